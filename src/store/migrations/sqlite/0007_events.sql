-- 0007_events.sql - behaviour events (docs/events.md).

-- One row per event, in the order received. `ck` is the customer; NULL while the event is
-- anonymous (only a cookie or device id), filled in when that id is linked to a customer.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    ck          INTEGER REFERENCES customers (ck),
    anon_kind   TEXT,                  -- 'cookie' or 'device' when sent without a customer
    anon_id     TEXT,
    type        TEXT NOT NULL,
    at          INTEGER NOT NULL,      -- the client's time
    received_at INTEGER NOT NULL,      -- the server's
    channel     TEXT NOT NULL,
    props       TEXT                   -- JSON object, checked against the type
);
CREATE INDEX events_ck ON events (ck, type, at) WHERE ck IS NOT NULL;
CREATE INDEX events_anon ON events (anon_id, anon_kind) WHERE ck IS NULL;

-- Idempotency: a message id seen in the window is not stored again. Ids are kept as a keyed
-- 64-bit hash (the id itself may be anything a client makes up); purged after the window.
CREATE TABLE event_ids (
    h           INTEGER PRIMARY KEY,   -- keyed hash of the message id
    received_at INTEGER NOT NULL
);

-- Custom event types the retailer declares, with their properties' types.
CREATE TABLE event_types (
    name       TEXT PRIMARY KEY,
    properties TEXT NOT NULL,          -- JSON: {"name": "string|integer|number|boolean"}
    required   TEXT NOT NULL,          -- JSON array of property names
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
