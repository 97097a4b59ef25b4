-- 0011_enrolments.sql - the enrolments of the last hour, for the limits per key and per store
-- (docs/loyalty.md, "Enrolment limits"). An enrolment is one that created a customer or issued a
-- card. The row names no customer; rows older than the window are deleted as new ones come.
CREATE TABLE enrolments (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,       -- ms
    key_id TEXT,                   -- the API key's id, NULL from the command line
    store  TEXT                    -- the store the cash desk named, or NULL
);
CREATE INDEX enrolments_key ON enrolments (key_id, at) WHERE key_id IS NOT NULL;
CREATE INDEX enrolments_store ON enrolments (store, at) WHERE store IS NOT NULL;
CREATE INDEX enrolments_at ON enrolments (at);
