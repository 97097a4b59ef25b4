-- 0030_join_pending.sql - the join form of issue 14 (docs/pages.md, "The join form"): a form
-- filled in at /j/<code> or /t/<code> waits here until the SMS code proves the phone. The values
-- are the customer's personal data, sealed under her data key (seal.c) as the outbox's are; the
-- row goes when the code is right (in the transaction that stores the values), when it expires
-- (deleted as new ones come) or when she is erased (store/sqlite/erase.c).
CREATE TABLE join_pending (
    id          TEXT PRIMARY KEY,      -- "jf_" + 32 hex: the confirm page's sealed token names it
    ck          INTEGER NOT NULL REFERENCES customers (ck),
    join_point  TEXT NOT NULL REFERENCES join_points (code),
    channel     TEXT NOT NULL CHECK (channel IN ('qr_form', 'tablet')),
    data        BLOB NOT NULL,         -- sealed JSON: the form's values
    otp_id      TEXT,                  -- the code sent, or NULL when none went
    created_at  INTEGER NOT NULL,      -- ms
    expires_at  INTEGER NOT NULL       -- ms
) WITHOUT ROWID;
CREATE INDEX join_pending_expiry ON join_pending (expires_at);
CREATE INDEX join_pending_ck ON join_pending (ck);
