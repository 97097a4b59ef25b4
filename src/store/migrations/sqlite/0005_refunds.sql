-- 0005_refunds.sql - returns of a receipt's lines, and how the receipt named its customer
-- (docs/loyalty.md). Append-only like the ledger: a refund is never changed, a second refund of
-- the same receipt is another row.

ALTER TABLE purchases ADD COLUMN identified_by TEXT; -- 'card', 'phone', 'id'; NULL: anonymous

CREATE TABLE refunds (
    id              TEXT PRIMARY KEY,   -- "r_..."
    purchase_id     TEXT NOT NULL REFERENCES purchases (id),
    number          TEXT NOT NULL,      -- the store's return document: idempotency per receipt
    at              INTEGER NOT NULL,
    amount          INTEGER NOT NULL,   -- kopecks given back
    points_reversed INTEGER NOT NULL,   -- earned points taken back
    points_returned INTEGER NOT NULL,   -- spent points given back
    body_hash       BLOB NOT NULL,
    reply           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    key_id          TEXT,
    UNIQUE (purchase_id, number)
) WITHOUT ROWID;
CREATE INDEX refunds_at ON refunds (at);

CREATE TABLE refund_lines (
    refund_id TEXT NOT NULL,
    n         INTEGER NOT NULL,         -- the purchase line
    quantity  INTEGER NOT NULL,         -- thousandths
    amount    INTEGER NOT NULL,         -- kopecks
    PRIMARY KEY (refund_id, n)
) WITHOUT ROWID;

CREATE TRIGGER refunds_no_update BEFORE UPDATE ON refunds
BEGIN SELECT RAISE(ABORT, 'refunds are append-only'); END;
CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds
BEGIN SELECT RAISE(ABORT, 'refunds are append-only'); END;
CREATE INDEX purchases_at ON purchases (at);
