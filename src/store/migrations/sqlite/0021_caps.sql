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
-- What counts against the caps (store_outbox_sent_since): a customer's sent marketing messages
-- since a moment, read from the index alone (it holds the columns the rules filter on), and the
-- few rows in flight. Only sent marketing rows are in the first, only `sending` ones in the
-- second. `kind` is a column too because SQLite (3.40) does not count the index's own WHERE
-- as covering the query's `kind = 'marketing'`: without it every entry costs a row lookup.
-- Measured against no index in bench/policy.sh (BENCHMARKS.md, "Sending policy").
CREATE INDEX outbox_sent ON outbox (ck, sent_at, channel, topic, kind)
    WHERE kind = 'marketing' AND sent_at IS NOT NULL;
CREATE INDEX outbox_sending ON outbox (ck) WHERE state = 'sending';
