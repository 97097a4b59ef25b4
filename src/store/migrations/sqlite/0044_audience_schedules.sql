-- 0044_audience_schedules.sql - audiences refreshed on a schedule (issue 18, docs/audiences.md):
-- a saved segment's audience file rewritten every so often by the server's scheduler, at a path
-- the operator named (`kartoteka segment export-audience ... --every`).
CREATE TABLE audience_schedules (
    segment_id TEXT NOT NULL,        -- the saved segment (its id: a rename keeps the schedule)
    format     TEXT NOT NULL,        -- yandex, vk-phone, vk-email
    path       TEXT NOT NULL,        -- the file, on the server's machine
    every_ms   INTEGER NOT NULL,     -- its period
    next_at    INTEGER NOT NULL,     -- ms: when it is due
    created_at INTEGER NOT NULL,
    last_at    INTEGER,              -- ms: the last run, or NULL
    last_run   TEXT,                 -- that run's id (audience_runs), or NULL
    last_error TEXT,                 -- or its error's code
    PRIMARY KEY (segment_id, format)
);
