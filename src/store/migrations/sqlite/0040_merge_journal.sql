-- 0040_merge_journal.sql - every merge journalled so that it can be taken back (issue 17,
-- docs/identity.md "Un-merge"). A merge moves the merged-away customer's rows to the survivor
-- and drops what is computed from them; the journal keeps which rows moved (their keys, no
-- values), what was dropped, and the survivor's profile before, sealed under the survivor's data
-- key (so an erasure, which shreds that key, leaves nothing readable behind).
CREATE TABLE merges (
    id         INTEGER PRIMARY KEY,
    into_ck    INTEGER NOT NULL,           -- the survivor
    from_ck    INTEGER NOT NULL,           -- the customer merged into it
    at         INTEGER NOT NULL,           -- ms
    hist_seq   INTEGER NOT NULL,           -- the newest history row before the merge
    survivor   BLOB NOT NULL,              -- the survivor's profile before, sealed (merges.survivor)
    undone_at  INTEGER                     -- ms, once taken back
);
CREATE INDEX merges_from ON merges (from_ck);

-- The rows a merge moved or wrote, by table and key: n for a number (a seq, a ck), s and b for a
-- text and a blob key (a receipt's id, a card's number; an identifier's kind and blind index).
CREATE TABLE merge_rows (
    merge_id INTEGER NOT NULL,
    tbl      TEXT NOT NULL,
    n        INTEGER NOT NULL DEFAULT 0,
    s        TEXT NOT NULL DEFAULT '',
    b        BLOB NOT NULL DEFAULT x'',
    PRIMARY KEY (merge_id, tbl, n, s, b)
) WITHOUT ROWID;

-- What a merge dropped or changed in place, as it was: both customers' traits, the merged-away
-- customer's segment memberships and daily event counts, the referrals of either.
CREATE TABLE merge_traits (
    merge_id    INTEGER NOT NULL,
    ck          INTEGER NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (merge_id, ck, name)
) WITHOUT ROWID;
CREATE TABLE merge_members (
    merge_id   INTEGER NOT NULL,
    segment_id TEXT NOT NULL,
    entered_at INTEGER NOT NULL,
    left_at    INTEGER,
    PRIMARY KEY (merge_id, segment_id, entered_at)
) WITHOUT ROWID;
CREATE TABLE merge_event_days (
    merge_id     INTEGER NOT NULL,
    type         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    day          INTEGER NOT NULL,
    received_day INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (merge_id, type, day, channel, received_day)
) WITHOUT ROWID;
CREATE TABLE merge_referrals (
    merge_id    INTEGER NOT NULL,
    friend_ck   INTEGER NOT NULL,
    referrer_ck INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    rewarded_at INTEGER,
    purchase_id TEXT,
    PRIMARY KEY (merge_id, friend_ck)
) WITHOUT ROWID;
