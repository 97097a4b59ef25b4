-- 0002_quality.sql - what cleaning found, per field; the key duplicates are found by; refused
-- raw values in the history; intake statistics per source; import jobs.

-- Two bits per profile field, in column order: 0 ok, 1 corrected, 2 suspicious.
ALTER TABLE customers ADD COLUMN quality INTEGER NOT NULL DEFAULT 0;
-- 1 when the gender was inferred from the name rather than stated.
ALTER TABLE customers ADD COLUMN gender_inferred INTEGER NOT NULL DEFAULT 0;
-- "фамилия имя отчество", folded ("ё" as "е"), Latin transliterated: one person's key.
ALTER TABLE customers ADD COLUMN name_key TEXT;
-- Likely duplicates share a name key and a birth date. The index holds live customers only, so
-- the quality report counts the groups from the index alone, without touching the table.
CREATE INDEX customers_dup ON customers (name_key, birth_date)
    WHERE name_key IS NOT NULL AND birth_date IS NOT NULL AND merged_into IS NULL;

-- Why a value was refused (history rows with action 'refused' keep the raw text).
ALTER TABLE history ADD COLUMN reason TEXT;

-- Values received per day and source, and what cleaning made of them.
CREATE TABLE intake (
    day         INTEGER NOT NULL,   -- days since 1970-01-01, UTC
    channel     TEXT NOT NULL,
    store_id    TEXT NOT NULL,      -- '' when none was given
    operator_id TEXT NOT NULL,      -- '' when none was given
    requests    INTEGER NOT NULL DEFAULT 0,
    refused     INTEGER NOT NULL DEFAULT 0, -- requests or rows refused as a whole
    ok          INTEGER NOT NULL DEFAULT 0, -- values, by verdict
    corrected   INTEGER NOT NULL DEFAULT 0,
    suspicious  INTEGER NOT NULL DEFAULT 0,
    invalid     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel, store_id, operator_id)
) WITHOUT ROWID;

CREATE TABLE imports (
    id          TEXT PRIMARY KEY,   -- public id "i_..."
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    file_name   TEXT,
    bytes_total INTEGER NOT NULL DEFAULT 0, -- size of the file
    bytes_done  INTEGER NOT NULL DEFAULT 0, -- read so far
    rows_total  INTEGER NOT NULL DEFAULT 0, -- rows read so far
    created     INTEGER NOT NULL DEFAULT 0, -- customers created
    updated     INTEGER NOT NULL DEFAULT 0, -- rows that changed an existing customer
    unchanged   INTEGER NOT NULL DEFAULT 0, -- rows that changed nothing
    partial     INTEGER NOT NULL DEFAULT 0, -- rows stored without some refused values
    rejected    INTEGER NOT NULL DEFAULT 0, -- rows refused as a whole
    error       TEXT,                       -- why the job failed
    path        TEXT NOT NULL,              -- the uploaded file, kept until the job is done
    rejects     TEXT,                       -- the reject file, CSV (kept for the API)
    options     TEXT NOT NULL,              -- JSON: mapping, delimiter, encoding, source
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER
) WITHOUT ROWID;
