-- 0004_loyalty.sql - the loyalty programme's rules, one version per change (docs/loyalty.md).
-- Append-only: a receipt is earned under the version in force when it was posted.

CREATE TABLE loyalty_programs (
    version    INTEGER PRIMARY KEY,   -- 1, 2, ...
    rules      TEXT NOT NULL,         -- the programme document, JSON, as loyalty/ checked it
    created_at INTEGER NOT NULL,
    key_id     TEXT                   -- API key that published it
);
CREATE TRIGGER loyalty_programs_no_update BEFORE UPDATE ON loyalty_programs
BEGIN SELECT RAISE(ABORT, 'programme versions are append-only'); END;
CREATE TRIGGER loyalty_programs_no_delete BEFORE DELETE ON loyalty_programs
BEGIN SELECT RAISE(ABORT, 'programme versions are append-only'); END;
