-- 0006_cards.sql - loyalty cards, one-time codes and the SMS outbox (docs/loyalty.md).

-- Cards issued by the programme. A bound card is also the customer's "card" identifier, so a
-- receipt finds the customer by it; the state here says whether it may be used.
CREATE TABLE cards (
    number      TEXT PRIMARY KEY,      -- EAN-13
    ck          INTEGER REFERENCES customers (ck), -- NULL: a physical card not bound yet
    kind        TEXT NOT NULL CHECK (kind IN ('virtual', 'physical')),
    state       TEXT NOT NULL CHECK (state IN ('issued', 'active', 'blocked', 'replaced',
                                               'unbound')),
    batch       TEXT,                  -- physical cards: the batch they were printed in
    issued_at   INTEGER NOT NULL,
    bound_at    INTEGER,
    state_at    INTEGER NOT NULL,      -- when the state last changed
    replaced_by TEXT,                  -- replaced: the card that took its place
    reason      TEXT                   -- blocked, replaced, unbound: why
) WITHOUT ROWID;
CREATE INDEX cards_ck ON cards (ck) WHERE ck IS NOT NULL;
CREATE INDEX cards_batch ON cards (batch) WHERE batch IS NOT NULL;

-- One-time codes sent by SMS. Only a keyed hash of the code and of the phone is kept.
CREATE TABLE otp_codes (
    id          TEXT PRIMARY KEY,      -- "o_...": consent evidence may name it
    ck          INTEGER NOT NULL REFERENCES customers (ck),
    phone_tag   BLOB NOT NULL,         -- keyed hash of the phone: limits and lookup
    code_hash   BLOB NOT NULL,         -- keyed hash of id and code
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    verified_at INTEGER,
    key_id      TEXT
) WITHOUT ROWID;
CREATE INDEX otp_codes_phone ON otp_codes (phone_tag, created_at);
CREATE INDEX otp_codes_key ON otp_codes (key_id, created_at);

-- Messages waiting for the SMS gateway. The sender posts them outside any transaction and
-- records the outcome; the text (it holds the code) is blanked once the message is sent or dead.
CREATE TABLE sms_outbox (
    id          INTEGER PRIMARY KEY,
    phone       TEXT NOT NULL,
    text        TEXT,
    purpose     TEXT NOT NULL,         -- 'otp'
    created_at  INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,      -- when to try (again)
    attempts    INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'dead')),
    last_error  TEXT,
    done_at     INTEGER
);
CREATE INDEX sms_outbox_due ON sms_outbox (next_at) WHERE state = 'queued';

-- The expiry job finds the customers whose points expire between two runs.
CREATE INDEX points_ledger_expires ON points_ledger (expires_at) WHERE expires_at IS NOT NULL;

-- "Bring a friend": who brought whom, and when both got their points (after the friend's first
-- paid purchase). A friend is brought once; loops are refused before a row is written.
CREATE TABLE referrals (
    friend_ck   INTEGER PRIMARY KEY REFERENCES customers (ck),
    referrer_ck INTEGER NOT NULL REFERENCES customers (ck),
    created_at  INTEGER NOT NULL,
    rewarded_at INTEGER,
    purchase_id TEXT                   -- the friend's first paid purchase
);
CREATE INDEX referrals_referrer ON referrals (referrer_ck);
