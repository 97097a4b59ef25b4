-- 0009_segments.sql - saved segments and their membership over time (docs/segments.md).
CREATE TABLE segments (
    id           TEXT PRIMARY KEY,      -- "s_..."
    name         TEXT NOT NULL UNIQUE,
    query        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    refreshed_at INTEGER,
    size         INTEGER NOT NULL DEFAULT 0,
    key_id       TEXT
) WITHOUT ROWID;

-- One row per stay in a segment: when the customer entered, and left (NULL: still in).
CREATE TABLE segment_members (
    segment_id TEXT NOT NULL,
    ck         INTEGER NOT NULL REFERENCES customers (ck),
    entered_at INTEGER NOT NULL,
    left_at    INTEGER,
    PRIMARY KEY (segment_id, ck, entered_at)
) WITHOUT ROWID;
CREATE INDEX segment_members_now ON segment_members (segment_id, ck) WHERE left_at IS NULL;
