-- 0036_segment_sizes.sql - a saved segment's size over time (the console's chart, GET
-- /v1/segments/{id}/sizes): one row per refresh, written by the trigger below when a refresh
-- sets refreshed_at, so every refresh path (the API's, the background job's) records it. A
-- refresh that changes nothing within the hour after the last row adds no row, so a segment
-- refreshed every few minutes keeps a handful of rows a day. Counts only: no one's data.
CREATE TABLE segment_sizes (
    segment_id TEXT NOT NULL,    -- segments.id
    at         INTEGER NOT NULL, -- ms, the refresh
    size       INTEGER NOT NULL, -- members after it
    PRIMARY KEY (segment_id, at)
) WITHOUT ROWID;

CREATE TRIGGER segment_sizes_record AFTER UPDATE OF refreshed_at ON segments
WHEN new.refreshed_at IS NOT NULL AND (new.size IS NOT old.size OR new.refreshed_at - coalesce(
    (SELECT max(at) FROM segment_sizes WHERE segment_id = new.id), 0) >= 3600000)
BEGIN
    INSERT OR REPLACE INTO segment_sizes (segment_id, at, size)
    VALUES (new.id, new.refreshed_at, new.size);
END;

CREATE TRIGGER segment_sizes_gone AFTER DELETE ON segments
BEGIN
    DELETE FROM segment_sizes WHERE segment_id = old.id;
END;

-- What the segments had before this migration: their last refresh, as a first point.
INSERT INTO segment_sizes (segment_id, at, size)
SELECT id, refreshed_at, size FROM segments WHERE refreshed_at IS NOT NULL;
