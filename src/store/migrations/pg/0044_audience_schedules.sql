-- 0044_audience_schedules.sql - the PostgreSQL twin of SQLite's 0044: audiences refreshed on a
-- schedule (issue 18, docs/audiences.md). A handful of rows: a reference table (docs/scale.md).
CREATE TABLE audience_schedules (
    segment_id text NOT NULL,
    format     text NOT NULL,
    path       text NOT NULL,
    every_ms   bigint NOT NULL,
    next_at    bigint NOT NULL,
    created_at bigint NOT NULL,
    last_at    bigint,
    last_run   text,
    last_error text,
    PRIMARY KEY (segment_id, format)
);
