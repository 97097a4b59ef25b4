-- 0003_privacy.sql - consent documents and events, topics and subscriptions, the suppression
-- list, the privacy requests register, acts of destruction, scheduled work and the audit log.
-- See docs/privacy.md. Consent and subscription events and the audit log are append-only:
-- triggers refuse deletes and any update but the two an erasure or a merge needs.

ALTER TABLE customers ADD COLUMN erased_at INTEGER; -- set when the customer was depersonalised

CREATE TABLE consent_documents (
    key          TEXT NOT NULL,            -- "loyalty-pd", [a-z0-9_-]{1,40}
    version      INTEGER NOT NULL,         -- 1, 2, ... in publication order
    purpose      TEXT NOT NULL,            -- pd_processing, ads, third_party_transfer, distribution
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,            -- the text the customer agreed to
    sha256       TEXT NOT NULL,            -- hex SHA-256 of body
    term_days    INTEGER,                  -- how long a consent to it lasts; NULL = until withdrawn
    reconsent    INTEGER NOT NULL DEFAULT 0, -- consents to earlier versions become outdated
    published_at INTEGER NOT NULL,
    PRIMARY KEY (key, version)
) WITHOUT ROWID;

CREATE TABLE consent_events (
    seq         INTEGER PRIMARY KEY,
    ck          INTEGER NOT NULL REFERENCES customers (ck),
    purpose     TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT '',  -- the ads channel; '' for the other purposes
    action      TEXT NOT NULL CHECK (action IN ('grant', 'withdraw', 'pending')),
    at          INTEGER NOT NULL,          -- when the customer gave or withdrew it
    recorded_at INTEGER NOT NULL,          -- when Kartoteka recorded it
    expires_at  INTEGER,                   -- end of the term of a grant, or NULL
    doc_key     TEXT,
    doc_version INTEGER,
    doc_sha256  TEXT,
    source      TEXT NOT NULL,             -- channel the event came through
    store_id    TEXT,
    operator_id TEXT,
    form_id     TEXT,
    otp_id      TEXT,
    paper_form  TEXT,
    legal_basis TEXT,
    ip          TEXT,                      -- web only; destroyed by an erasure
    user_agent  TEXT,                      -- web only; destroyed by an erasure
    key_id      TEXT,                      -- API key that recorded it
    request_id  TEXT
);
CREATE INDEX consent_events_ck ON consent_events (ck, seq);
CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;
CREATE TRIGGER consent_events_no_update BEFORE UPDATE OF seq, purpose, channel, action, at,
    recorded_at, expires_at, doc_key, doc_version, doc_sha256, source, store_id, operator_id,
    form_id, otp_id, paper_form, legal_basis, key_id, request_id ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;
CREATE TRIGGER consent_events_no_new_pd BEFORE UPDATE OF ip, user_agent ON consent_events
    WHEN NEW.ip IS NOT NULL OR NEW.user_agent IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'consent evidence can only be destroyed'); END;

CREATE TABLE topics (
    key         TEXT PRIMARY KEY,          -- "promo", [a-z0-9_-]{1,40}
    title       TEXT NOT NULL,
    description TEXT,
    channels    TEXT NOT NULL,             -- JSON array of ads channels
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE subscription_events (
    seq        INTEGER PRIMARY KEY,
    ck         INTEGER NOT NULL REFERENCES customers (ck),
    topic      TEXT NOT NULL,
    channel    TEXT NOT NULL,
    subscribed INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    via        TEXT NOT NULL,              -- api, unsubscribe_page, one_click, erasure
    source     TEXT NOT NULL,
    key_id     TEXT,
    request_id TEXT
);
CREATE INDEX subscription_events_ck ON subscription_events (ck, seq);
CREATE TRIGGER subscription_events_no_delete BEFORE DELETE ON subscription_events
BEGIN SELECT RAISE(ABORT, 'subscription events are append-only'); END;
CREATE TRIGGER subscription_events_no_update BEFORE UPDATE OF seq, topic, channel, subscribed,
    at, via, source, key_id, request_id ON subscription_events
BEGIN SELECT RAISE(ABORT, 'subscription events are append-only'); END;

-- Keyed BLAKE2b of each destroyed phone, e-mail and card: the same data sent again is refused
-- until the person consents anew through a form.
CREATE TABLE suppression (
    hash       BLOB PRIMARY KEY,
    kind       TEXT NOT NULL,
    act_id     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    hits       INTEGER NOT NULL DEFAULT 0,
    last_hit   INTEGER
) WITHOUT ROWID;

CREATE TABLE privacy_requests (
    id          TEXT PRIMARY KEY,          -- "r_..."
    kind        TEXT NOT NULL CHECK (kind IN ('access', 'rectification', 'stop', 'erasure')),
    customer_id TEXT,                      -- public id, when known
    received_on TEXT NOT NULL,             -- YYYY-MM-DD, Moscow date
    deadline    TEXT NOT NULL,             -- YYYY-MM-DD, last day to answer
    provisional INTEGER NOT NULL DEFAULT 0, -- the deadline used a year without a shipped calendar
    extended    INTEGER NOT NULL DEFAULT 0, -- +5 working days with a reasoned notice
    channel     TEXT NOT NULL,             -- how it arrived: letter, email, web, store
    note        TEXT,
    state       TEXT NOT NULL CHECK (state IN ('open', 'done', 'refused')),
    outcome     TEXT,
    created_at  INTEGER NOT NULL,
    closed_at   INTEGER,
    key_id      TEXT
) WITHOUT ROWID;
CREATE INDEX privacy_requests_open ON privacy_requests (deadline) WHERE state = 'open';

CREATE TABLE destruction_acts (
    id          TEXT PRIMARY KEY,          -- "a_..."
    customer_id TEXT NOT NULL,
    at          INTEGER NOT NULL,
    reason      TEXT NOT NULL,             -- request, withdrawal, retention
    categories  TEXT NOT NULL,             -- JSON array of what was destroyed
    system      TEXT NOT NULL,             -- which information system
    key_id      TEXT,
    operator_id TEXT,
    request_id  TEXT,                      -- the privacy request it answers, if any
    log_extract TEXT NOT NULL,             -- JSON: the event-log entries of the customer
    keep_until  INTEGER NOT NULL           -- 3 years after the act
) WITHOUT ROWID;
CREATE INDEX destruction_acts_at ON destruction_acts (at);

-- Work the background worker (or `kartoteka run-due`) does when its time comes.
CREATE TABLE due_work (
    seq        INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('erase')),
    ck         INTEGER NOT NULL REFERENCES customers (ck),
    due_at     INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    done_at    INTEGER,
    cancelled  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX due_work_due ON due_work (due_at) WHERE done_at IS NULL AND cancelled = 0;
CREATE INDEX due_work_ck ON due_work (ck);

-- Who read or changed whose data. IDs only, never personal data.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    key_id      TEXT,                      -- NULL for the CLI and the background worker
    action      TEXT NOT NULL,             -- read, export, erase, consent, merge, key, ...
    customer_id TEXT,
    fields      TEXT,                      -- comma-separated field names read or changed
    detail      TEXT,                      -- route or reason; no personal data
    request_id  TEXT
);
CREATE INDEX audit_customer ON audit (customer_id, seq) WHERE customer_id IS NOT NULL;
CREATE INDEX audit_key ON audit (key_id, seq);
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
