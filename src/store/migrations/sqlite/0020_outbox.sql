-- The outbox of issue 12 (docs/messages.md, "The outbox"): one row per message, whatever made it
-- (the retailer's systems through POST /v1/messages now; campaigns and journeys later). The id
-- is a keyed hash of the message's origin, so a second enqueue of the same origin finds this row
-- instead of making another. The recipient's address and the rendered content are sealed under
-- the customer's key (seal.c); the content is blanked once the message is finished.
CREATE TABLE outbox (
    id          TEXT PRIMARY KEY,      -- "m_" + hex of the keyed hash of the origin
    ck          INTEGER NOT NULL REFERENCES customers (ck),
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'push', 'webhook')),
    kind        TEXT NOT NULL CHECK (kind IN ('transactional', 'marketing')),
    topic       TEXT,
    priority    INTEGER NOT NULL DEFAULT 0,
    recipient   BLOB,                  -- sealed: the e-mail address or phone; NULL for push
    content     BLOB,                  -- sealed JSON: subject, text, html (or title, body)
    state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent',
                    'delivered', 'bounced', 'failed', 'suppressed', 'capped')),
    next_at     INTEGER NOT NULL,      -- when to try (again); a policy's "hold until" too
    attempts    INTEGER NOT NULL DEFAULT 0,
    reply_code  INTEGER,               -- the last SMTP reply code or HTTP status
    reply_text  TEXT,                  -- the last reply, scrubbed of addresses (deliver.c)
    reason      TEXT,                  -- why it was suppressed, failed or capped
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
-- The sender's claim: queued rows whose time has come.
CREATE INDEX outbox_due ON outbox (state, next_at);
-- A customer's messages, newest first (GET /v1/customers/{id}/messages).
CREATE INDEX outbox_ck ON outbox (ck);
