-- 0015_blocking.sql - blocking (152-FZ art. 21, issue 19 part D): a customer's data kept but
-- used for nothing but storage while a disputed accuracy or lawfulness is checked; and the
-- register's deadlines for unlawful processing (stop in 3 working days, destroy in 10) and the
-- extension of a deadline only with a reasoned notice. docs/privacy.md, "Blocking".

-- One row per block, kept after it ends (the DPO shows an inspector when and why). The block in
-- force is the customer's row without `unblocked_at`; at most one (the partial unique index),
-- which is also what every query that must leave blocked customers out looks up.
CREATE TABLE customer_blocks (
    id                 TEXT PRIMARY KEY,   -- "b_..."
    ck                 INTEGER NOT NULL,   -- the customer (the survivor when merged)
    customer_id        TEXT NOT NULL,      -- its public id, as the act of an erasure names it
    reason             TEXT NOT NULL CHECK (reason IN ('accuracy_disputed', 'unlawful_processing',
                                                       'subject_request')),
    privacy_request_id TEXT NOT NULL,      -- the request of the register it answers
    note               TEXT,               -- the DPO's words
    blocked_at         INTEGER NOT NULL,   -- ms
    key_id             TEXT,               -- who blocked; NULL for the CLI
    unblocked_at       INTEGER,            -- ms; NULL while in force
    outcome            TEXT CHECK (outcome IN ('rectified', 'accurate', 'lawful', 'made_lawful',
                                               'erased')),
    outcome_note       TEXT,               -- the DPO's words on the outcome
    unblock_key_id     TEXT                -- who unblocked; NULL for the CLI and an erasure's worker
) WITHOUT ROWID;
CREATE UNIQUE INDEX customer_blocks_in_force ON customer_blocks (ck) WHERE unblocked_at IS NULL;
CREATE INDEX customer_blocks_by_customer ON customer_blocks (ck, blocked_at);

-- The register learns the kind `unlawful_processing` (art. 21 part 3: stop within 3 working
-- days, destroy within 10), the second deadline, and the reasoned notice an extension needs.
-- SQLite cannot change a CHECK in place, so the table is rebuilt with its rows.
CREATE TABLE privacy_requests_new (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('access', 'rectification', 'stop', 'erasure',
                                                   'unlawful_processing')),
    customer_id      TEXT,
    received_on      TEXT NOT NULL,
    deadline         TEXT NOT NULL,             -- unlawful_processing: the day to stop by
    provisional      INTEGER NOT NULL DEFAULT 0,
    extended         INTEGER NOT NULL DEFAULT 0,
    channel          TEXT NOT NULL,
    note             TEXT,
    state            TEXT NOT NULL CHECK (state IN ('open', 'done', 'refused')),
    outcome          TEXT,
    created_at       INTEGER NOT NULL,
    closed_at        INTEGER,
    key_id           TEXT,
    destroy_deadline TEXT,                      -- unlawful_processing: the day to destroy by
    extension_reason TEXT,                      -- the reasoned notice of an extension
    extended_at      INTEGER,                   -- ms, when it was extended
    CHECK (extended = 0 OR extension_reason IS NOT NULL OR extended_at IS NULL)
) WITHOUT ROWID;
INSERT INTO privacy_requests_new (id, kind, customer_id, received_on, deadline, provisional,
                                  extended, channel, note, state, outcome, created_at, closed_at,
                                  key_id)
SELECT id, kind, customer_id, received_on, deadline, provisional, extended, channel, note, state,
       outcome, created_at, closed_at, key_id
FROM privacy_requests;
DROP TABLE privacy_requests;
ALTER TABLE privacy_requests_new RENAME TO privacy_requests;
CREATE INDEX privacy_requests_open ON privacy_requests (deadline) WHERE state = 'open';
