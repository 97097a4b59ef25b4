-- 0045_event_levels.sql - the message ids and the anonymous events by cookie in two levels
-- (issue 18, docs/events.md "Speed", src/store/sql/event_levels.c). Level 0 is the tail of the
-- events table past the merge mark, whose rows now carry both hashes; level 1 is event_ids (as
-- before) and event_anon, written only by the merge, sorted. The rows from before keep their
-- cookies in the old partial index, now of the rows without a hash.
ALTER TABLE events ADD COLUMN msg_h INTEGER;  -- the keyed hash of its message id, or NULL
ALTER TABLE events ADD COLUMN anon_h INTEGER; -- its cookie's or device id's hash while anonymous
DROP INDEX events_anon;
CREATE INDEX events_anon ON events (anon_id, anon_kind) WHERE ck IS NULL AND anon_h IS NULL;

-- Level 1 of the anonymous events: a cookie's hash and an event of it.
CREATE TABLE event_anon (
    h   INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (h, seq)
) WITHOUT ROWID;

-- The merge mark: the events up to it are in level 1.
CREATE TABLE event_levels (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    merged_seq INTEGER NOT NULL
);
INSERT INTO event_levels (id, merged_seq) SELECT 1, coalesce(max(seq), 0) FROM events;
