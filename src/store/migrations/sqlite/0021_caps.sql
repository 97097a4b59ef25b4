-- 0021_caps.sql - the frequency caps of the sending policy (docs/messages.md, "The sending
-- policy"): a list of rules that must all hold, replaced as a whole by PUT /v1/messaging/caps.
-- No personal data. The version is bumped by every replacement, so the sender reloads its copy
-- of the rules only when they changed (one read of one row per claim).
CREATE TABLE message_caps (
    pos      INTEGER PRIMARY KEY,      -- the rule's place in the list, from 0
    count    INTEGER NOT NULL CHECK (count > 0),   -- at most this many marketing messages
    per      TEXT NOT NULL CHECK (per IN ('hours', 'days', 'weeks')),
    n        INTEGER NOT NULL DEFAULT 1 CHECK (n > 0), -- in this many of those units
    channel  TEXT CHECK (channel IN ('email', 'sms', 'push', 'webhook')), -- NULL: every channel
    topic    TEXT                      -- NULL: every topic
);
CREATE TABLE message_caps_version (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL        -- ms; 0 before the first PUT
);
INSERT INTO message_caps_version (one, version, updated_at) VALUES (1, 0, 0);
-- A customer's sent messages since a moment (the caps' count); also the rows never sent
-- (sent_at NULL), among which the claim's own `sending` ones. Measured in bench/policy.sh.
CREATE INDEX outbox_sent ON outbox (ck, sent_at);
