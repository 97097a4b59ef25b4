-- 0012_import_rejects.sql - the reject file of a server import, one row per line, each with the
-- keyed hashes of the identifiers it carries, so that an erasure can remove the lines that name
-- the erased person and every line can expire (docs/import.md, docs/privacy.md; issue 11).
CREATE TABLE import_rejects (
    id        INTEGER PRIMARY KEY,
    import_id TEXT NOT NULL,    -- imports.id
    line      INTEGER NOT NULL, -- the row's line in the file (_row); 1 = the reject file's header
    at        INTEGER NOT NULL, -- ms, when the row was refused: the term runs from here
    csv       TEXT NOT NULL     -- the reject file's line, CRLF included
);
CREATE UNIQUE INDEX import_rejects_line ON import_rejects (import_id, line);
CREATE INDEX import_rejects_at ON import_rejects (at);

-- suppress_hash() of each phone, e-mail and card found in a line: the same keyed hash as the
-- suppression list, so an erasure finds the lines by the hashes it suppresses.
CREATE TABLE import_reject_keys (
    hash      BLOB NOT NULL,
    reject_id INTEGER NOT NULL REFERENCES import_rejects (id) ON DELETE CASCADE,
    PRIMARY KEY (hash, reject_id)
) WITHOUT ROWID;
CREATE INDEX import_reject_keys_reject ON import_reject_keys (reject_id);

-- The reject files kept whole until now cannot be matched against erasures (their hashes need
-- the installation secret, which the database never holds): they are dropped. The imports'
-- counts stay; the operator still has the uploaded file.
ALTER TABLE imports DROP COLUMN rejects;
