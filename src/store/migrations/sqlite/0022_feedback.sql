-- 0022_feedback.sql - what became of a message after it was sent (issue 12, part 5;
-- docs/messages.md, "Feedback"): opens, clicks and the providers' callbacks, each recorded once;
-- addresses a hard bounce marked undeliverable; the message a complaint came from as consent
-- evidence; and the key scope the providers' callbacks use.

-- Each piece of feedback once per message: the first open, the first click of each link, a
-- delivery, a bounce of each kind, a complaint. A second one finds its row and records nothing,
-- so a callback sent twice or a pixel fetched twice gives one event. No personal data: a
-- click's link is a keyed hash of its URL.
CREATE TABLE feedback (
    message_id TEXT NOT NULL,              -- the outbox id
    kind       TEXT NOT NULL CHECK (kind IN ('delivered', 'open', 'click', 'bounced',
                   'complained')),
    detail     TEXT NOT NULL DEFAULT '',   -- click: hex of the keyed hash of the URL;
                                           -- bounced: hard or soft; else ''
    at         INTEGER NOT NULL,           -- ms, when it happened
    PRIMARY KEY (message_id, kind, detail)
) WITHOUT ROWID;

-- Addresses no message may go to: a hard bounce said the mailbox or number does not exist. Found
-- by the blind index of the address as identifiers finds it (same kind, same key), so the
-- quality report joins the two without opening anything; an erasure deletes the customer's rows.
CREATE TABLE undeliverable (
    kind       TEXT NOT NULL,              -- the identifier's kind: email, phone
    bidx       BLOB NOT NULL,              -- blind index of the address's standard form
    ck         INTEGER NOT NULL,           -- whose address it was when it bounced
    message_id TEXT NOT NULL,              -- the message that bounced
    reason     TEXT NOT NULL,              -- hard_bounce
    at         INTEGER NOT NULL,           -- ms
    PRIMARY KEY (kind, bidx)
) WITHOUT ROWID;
CREATE INDEX undeliverable_ck ON undeliverable (ck);

-- A withdrawal on a complaint names the message complained of.
ALTER TABLE consent_events ADD COLUMN message_id TEXT;

-- The scope `deliveries`: the e-mail and SMS providers' callbacks (POST /v1/deliveries/status)
-- and nothing else. The scope's CHECK cannot be altered in SQLite, so the table is made anew, as
-- 0017 did; nothing refers to it.
CREATE TABLE api_keys_new (
    id                 TEXT PRIMARY KEY,    -- public part of the key
    name               TEXT NOT NULL,
    scope              TEXT NOT NULL CHECK (scope IN ('admin', 'pos', 'collect', 'dpo', 'auditor',
                           'deliveries')),
    hash               BLOB NOT NULL,       -- keyed BLAKE2b-256 of the secret part
    created_at         INTEGER NOT NULL,
    revoked_at         INTEGER,
    expires_at         INTEGER,             -- ms; NULL: never. Refused from then on (key_expired)
    stores             TEXT CHECK (stores IS NULL OR json_array_length(stores) > 0),
                                            -- JSON array of store codes the key is limited to;
                                            -- NULL: every store
    expiry_audited_at  INTEGER              -- ms; when the audit log recorded the expiry
) WITHOUT ROWID;

INSERT INTO api_keys_new (id, name, scope, hash, created_at, revoked_at, expires_at, stores,
                          expiry_audited_at)
SELECT id, name, scope, hash, created_at, revoked_at, expires_at, stores, expiry_audited_at
FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
CREATE INDEX api_keys_expiry ON api_keys (expires_at)
WHERE expires_at IS NOT NULL AND expiry_audited_at IS NULL;
