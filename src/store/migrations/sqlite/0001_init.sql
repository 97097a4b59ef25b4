-- 0001_init.sql - the first schema: keys, declared attributes, customers, identifiers, history,
-- merge candidates and idempotent replies. Times are UTC milliseconds since the epoch. Every table
-- about a customer carries the customer key `ck` so the schema can be distributed by customer.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,            -- public part of the key
    name       TEXT NOT NULL,
    scope      TEXT NOT NULL CHECK (scope IN ('admin', 'pos', 'collect')),
    hash       BLOB NOT NULL,               -- keyed BLAKE2b-256 of the secret part
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) WITHOUT ROWID;

CREATE TABLE attributes (
    name        TEXT PRIMARY KEY,
    type        TEXT NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'date', 'enum', 'list')),
    items       TEXT CHECK (items IS NULL OR items IN ('string', 'number', 'date', 'enum')),
    enum_values TEXT,                        -- JSON array, for enum and list of enum
    title       TEXT,
    description TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE customers (
    ck             INTEGER PRIMARY KEY,      -- internal key, never shown
    id             TEXT NOT NULL UNIQUE,     -- public random id
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    merged_into    INTEGER REFERENCES customers (ck),
    merged_at      INTEGER,
    last_name      TEXT, last_name_at   INTEGER,
    first_name     TEXT, first_name_at  INTEGER,
    middle_name    TEXT, middle_name_at INTEGER,
    gender         TEXT CHECK (gender IS NULL OR gender IN ('m', 'f')), gender_at INTEGER,
    birth_date     TEXT, birth_date_at  INTEGER,
    email          TEXT, email_at       INTEGER,
    phone          TEXT, phone_at       INTEGER,
    city           TEXT, city_at        INTEGER,
    address        TEXT, address_at     INTEGER,
    verified       INTEGER NOT NULL DEFAULT 0, -- bit per profile field, in column order
    attrs          TEXT NOT NULL DEFAULT '{}', -- declared attribute -> value
    attrs_at       TEXT NOT NULL DEFAULT '{}'  -- declared attribute -> observed ms
);
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE identifiers (
    kind       TEXT NOT NULL,               -- phone, email, card, cookie, device, ext:<system>, vk...
    value      TEXT NOT NULL,               -- standard form
    ck         INTEGER NOT NULL REFERENCES customers (ck),
    verified   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    channel    TEXT NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX identifiers_ck ON identifiers (ck);

CREATE TABLE history (
    seq         INTEGER PRIMARY KEY,
    ck          INTEGER NOT NULL REFERENCES customers (ck),
    at          INTEGER NOT NULL,
    field       TEXT NOT NULL,
    action      TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    channel     TEXT NOT NULL,
    store_id    TEXT,
    operator_id TEXT,
    request_id  TEXT
);
CREATE INDEX history_ck ON history (ck, seq);

CREATE TABLE merge_candidates (
    ck_a        INTEGER NOT NULL REFERENCES customers (ck), -- the smaller key of the pair
    ck_b        INTEGER NOT NULL REFERENCES customers (ck),
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER,
    PRIMARY KEY (ck_a, ck_b)
) WITHOUT ROWID;
CREATE INDEX merge_candidates_b ON merge_candidates (ck_b);

CREATE TABLE idempotency (
    key_id       TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (key_id, idem_key)
) WITHOUT ROWID;
CREATE INDEX idempotency_created ON idempotency (created_at);
