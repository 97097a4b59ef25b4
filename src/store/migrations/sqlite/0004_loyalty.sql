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

-- The points ledger: one row per movement, never changed. A balance is the sum of its rows.
CREATE TABLE points_ledger (
    seq             INTEGER PRIMARY KEY,
    ck              INTEGER NOT NULL REFERENCES customers (ck),
    kind            TEXT NOT NULL CHECK (kind IN ('earn', 'spend', 'expire', 'bonus',
                                                  'refund_earn', 'refund_spend', 'adjust')),
    points          INTEGER NOT NULL,   -- signed: + credits, - debits
    at              INTEGER NOT NULL,   -- when it happened
    available_at    INTEGER NOT NULL,   -- a credit is spendable from then (the hold)
    expires_at      INTEGER,            -- a credit expires then; NULL = never
    purchase_id     TEXT,
    program_version INTEGER,
    reason          TEXT,               -- adjustments: why
    key_id          TEXT,
    request_id      TEXT
);
CREATE INDEX points_ledger_ck ON points_ledger (ck, seq);
CREATE TRIGGER points_ledger_no_update BEFORE UPDATE OF seq, kind, points, at, available_at,
    expires_at, purchase_id, program_version, reason, key_id, request_id ON points_ledger
BEGIN SELECT RAISE(ABORT, 'the points ledger is append-only'); END;
CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger
BEGIN SELECT RAISE(ABORT, 'the points ledger is append-only'); END;

-- Receipts. The store's receipt number is the idempotency key: the same receipt posted twice is
-- one purchase (the stored reply is given again).
CREATE TABLE purchases (
    id              TEXT PRIMARY KEY,   -- "p_..."
    store_id        TEXT NOT NULL,
    receipt         TEXT NOT NULL,
    ck              INTEGER REFERENCES customers (ck), -- NULL: an anonymous receipt
    at              INTEGER NOT NULL,   -- when the receipt was rung up
    total           INTEGER NOT NULL,   -- kopecks, the sum of the lines' amounts
    points_earned   INTEGER NOT NULL,
    points_spent    INTEGER NOT NULL,
    program_version INTEGER NOT NULL,
    body_hash       BLOB NOT NULL,      -- of the request, to tell a retry from a clash
    reply           TEXT NOT NULL,      -- the reply, for a retry
    created_at      INTEGER NOT NULL,
    key_id          TEXT,
    UNIQUE (store_id, receipt)
) WITHOUT ROWID;
CREATE INDEX purchases_ck ON purchases (ck, at) WHERE ck IS NOT NULL;

CREATE TABLE purchase_lines (
    purchase_id TEXT NOT NULL,
    n           INTEGER NOT NULL,       -- 1, 2, ... in the receipt's order
    sku         TEXT NOT NULL,
    name        TEXT,
    category    TEXT,
    quantity    INTEGER NOT NULL,       -- thousandths (0.350 kg = 350)
    price       INTEGER NOT NULL,       -- kopecks per unit
    discount    INTEGER NOT NULL,       -- kopecks off the line
    amount      INTEGER NOT NULL,       -- kopecks paid for the line
    PRIMARY KEY (purchase_id, n)
) WITHOUT ROWID;
