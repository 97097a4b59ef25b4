-- 0014_audit_chain.sql - the audit log, complete and tamper-evident (issue 19, part C): the
-- caller's address on every entry, and each entry's keyed hash chained to the entry before it
-- (consent/audit.c makes the hashes; the key is derived from the installation secret, which is
-- never in the database). The entries already here predate the chain: the anchor records up to
-- which seq and how many, and the first chained entry seals it. docs/privacy.md, "The audit log".
-- The log of reads (<db>.reads) gets the same columns and an anchor of its own (reads.c).

ALTER TABLE audit ADD COLUMN ip TEXT;   -- the caller's address; NULL for the CLI and the worker
ALTER TABLE audit ADD COLUMN hash TEXT; -- hex keyed BLAKE2b-256 over the previous hash and this entry

CREATE TABLE audit_anchor (
    log        TEXT PRIMARY KEY,        -- 'changes': this database's audit table
    before_seq INTEGER NOT NULL,        -- entries up to this seq were written before the chain
    rows       INTEGER NOT NULL,        -- how many there were
    at         INTEGER NOT NULL,        -- when the anchor was recorded, ms
    mac        TEXT                     -- hex keyed hash of the anchor, set by the first chained entry
) WITHOUT ROWID;

INSERT INTO audit_anchor (log, before_seq, rows, at)
SELECT 'changes', coalesce(max(seq), 0), count(*),
       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM audit;

-- Guards against a bug, not against someone holding the file (who can drop them): that is what
-- the chain is for.
CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN SELECT RAISE(ABORT, 'the audit anchor is kept'); END;
CREATE TRIGGER audit_anchor_sealed_once BEFORE UPDATE ON audit_anchor
WHEN OLD.mac IS NOT NULL OR NEW.log IS NOT OLD.log OR NEW.before_seq IS NOT OLD.before_seq
     OR NEW.rows IS NOT OLD.rows OR NEW.at IS NOT OLD.at
BEGIN SELECT RAISE(ABORT, 'the audit anchor is sealed once'); END;
CREATE TRIGGER audit_chained BEFORE INSERT ON audit WHEN NEW.hash IS NULL
BEGIN SELECT RAISE(ABORT, 'an audit entry carries its hash'); END;
