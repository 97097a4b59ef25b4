-- 0029_page_limits.sql - the uses the customer's pages count against their limits (issue 14,
-- docs/pages.md "Limits"): one row per admitted use of a phone, a client address or a join point
-- (SMS pumping is the attack). The key is kept only as a keyed tag (BLAKE2b-256 under the
-- installation secret, auth/keys.h keys_tag, the kind in its context), never in clear. A row
-- counts in the windows of its kind until `until` (its time plus the kind's longest window when
-- it was taken); the scheduler's `page_limits_expiry` deletes the rows past it.
CREATE TABLE page_limits (
    id    INTEGER PRIMARY KEY,
    kind  TEXT NOT NULL,           -- 'phone', 'addr' or 'join_point'
    tag   BLOB NOT NULL,           -- keys_tag(kind, key): 32 bytes
    at    INTEGER NOT NULL,        -- ms
    until INTEGER NOT NULL         -- ms: no window of the kind reaches it after this
);
CREATE INDEX page_limits_tag ON page_limits (tag, at);
CREATE INDEX page_limits_until ON page_limits (until);
