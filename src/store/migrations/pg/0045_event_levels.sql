-- 0045_event_levels.sql - the PostgreSQL twin of SQLite's 0045 (issue 18, docs/events.md
-- "Speed"). PostgreSQL keeps one level - several servers write at once, and a memory of one
-- process could not answer for the others - so its rows leave both hashes NULL and event_anon
-- empty; the partial index keeps every anonymous row, as before.
ALTER TABLE events ADD COLUMN msg_h bigint;
ALTER TABLE events ADD COLUMN anon_h bigint;
DROP INDEX events_anon;
CREATE INDEX events_anon ON events (anon_id, anon_kind) WHERE ck IS NULL AND anon_h IS NULL;

CREATE TABLE event_anon (
    h   bigint NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (h, seq)
);

CREATE TABLE event_levels (
    id         integer PRIMARY KEY CHECK (id = 1),
    merged_seq bigint NOT NULL
);
INSERT INTO event_levels (id, merged_seq) SELECT 1, coalesce(max(seq), 0) FROM events;
