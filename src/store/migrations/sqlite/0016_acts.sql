-- 0016_acts.sql - acts of destruction as Roskomnadzor Order No. 179 (28.10.2022) wants them: the
-- operator, the persons who destroyed, the information system, the method, a canonical document
-- to sign, the signature; kept 3 years from the destruction, then purged by an audited job
-- (docs/privacy.md, "Acts of destruction"; issue 19 part E).
--
-- An act is append-only. What an erasure could not know - the operator's details when the
-- settings lacked them, the persons when nobody was named - is filled in once, while the act is a
-- draft (`document` NULL); once its document exists, nothing of it changes, and a signature is
-- added once. The one delete allowed is the purge's: a row of destruction_act_purges, itself
-- append-only, must name the act and say it was past its term.

ALTER TABLE destruction_acts RENAME COLUMN keep_until TO expires_at; -- 3 years after `at`
ALTER TABLE destruction_acts ADD COLUMN method TEXT;             -- how it was destroyed (a code)
ALTER TABLE destruction_acts ADD COLUMN information_system TEXT; -- the retailer's name for it
ALTER TABLE destruction_acts ADD COLUMN data_operator TEXT;      -- JSON {name, address, inn, ogrn}
ALTER TABLE destruction_acts ADD COLUMN data_processor TEXT;     -- JSON {name, address}, or NULL
ALTER TABLE destruction_acts ADD COLUMN destroyed_by TEXT;       -- JSON [{name, position}]
ALTER TABLE destruction_acts ADD COLUMN completed_at INTEGER;    -- a draft completed later, ms
ALTER TABLE destruction_acts ADD COLUMN document TEXT;           -- canonical JSON (RFC 8785)
ALTER TABLE destruction_acts ADD COLUMN document_sha256 TEXT;    -- hex SHA-256 of `document`
ALTER TABLE destruction_acts ADD COLUMN signature BLOB;          -- detached CMS (CAdES) over it
ALTER TABLE destruction_acts ADD COLUMN signed_at INTEGER;       -- when the signature came, ms

-- The acts written before this migration were made the way every erasure still is.
UPDATE destruction_acts SET method = 'secure_delete_wal' WHERE method IS NULL;

CREATE INDEX destruction_acts_expires ON destruction_acts (expires_at);
CREATE INDEX destruction_acts_drafts ON destruction_acts (id) WHERE document IS NULL;

CREATE TRIGGER destruction_acts_no_update BEFORE UPDATE OF id, customer_id, at, reason,
    categories, system, key_id, operator_id, request_id, log_extract, expires_at, method
    ON destruction_acts
BEGIN SELECT RAISE(ABORT, 'an act of destruction cannot be changed'); END;

-- A draft is completed once (its document made); a complete act is signed once.
CREATE TRIGGER destruction_acts_fill_once BEFORE UPDATE OF information_system, data_operator,
    data_processor, destroyed_by, completed_at, document, document_sha256, signature, signed_at
    ON destruction_acts
    WHEN (OLD.document IS NOT NULL AND (NEW.document IS NOT OLD.document
              OR NEW.document_sha256 IS NOT OLD.document_sha256
              OR NEW.information_system IS NOT OLD.information_system
              OR NEW.data_operator IS NOT OLD.data_operator
              OR NEW.data_processor IS NOT OLD.data_processor
              OR NEW.destroyed_by IS NOT OLD.destroyed_by
              OR NEW.completed_at IS NOT OLD.completed_at))
      OR (OLD.signature IS NOT NULL AND (NEW.signature IS NOT OLD.signature
              OR NEW.signed_at IS NOT OLD.signed_at))
      OR (NEW.signature IS NOT NULL AND NEW.document IS NULL)
BEGIN SELECT RAISE(ABORT, 'an act is completed once and signed once'); END;

-- The purge's record of each act it deleted: ids and times, no personal data. The act's delete
-- is refused unless its record is here and says the term was over.
CREATE TABLE destruction_act_purges (
    act_id          TEXT PRIMARY KEY,  -- the act deleted
    customer_id     TEXT NOT NULL,     -- whose erasure it proved (a depersonalised id)
    at              INTEGER NOT NULL,  -- the act's date of destruction, ms
    expires_at      INTEGER NOT NULL,  -- the end of its term, ms
    purged_at       INTEGER NOT NULL,  -- when the purge deleted it, ms
    document_sha256 TEXT               -- the hash of its document, or NULL for a draft
) WITHOUT ROWID;
CREATE TRIGGER destruction_act_purges_in_term BEFORE INSERT ON destruction_act_purges
    WHEN NOT EXISTS (SELECT 1 FROM destruction_acts
                     WHERE id = NEW.act_id AND expires_at <= NEW.purged_at)
BEGIN SELECT RAISE(ABORT, 'an act is purged only after its term'); END;
CREATE TRIGGER destruction_act_purges_no_update BEFORE UPDATE ON destruction_act_purges
BEGIN SELECT RAISE(ABORT, 'the record of purged acts is append-only'); END;
CREATE TRIGGER destruction_act_purges_no_delete BEFORE DELETE ON destruction_act_purges
BEGIN SELECT RAISE(ABORT, 'the record of purged acts is append-only'); END;

CREATE TRIGGER destruction_acts_no_delete BEFORE DELETE ON destruction_acts
    WHEN NOT EXISTS (SELECT 1 FROM destruction_act_purges
                     WHERE act_id = OLD.id AND purged_at >= OLD.expires_at)
BEGIN SELECT RAISE(ABORT, 'an act of destruction is kept until its term; only the purge deletes it'); END;
