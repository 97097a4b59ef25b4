-- 0042_audiences.sql - the PostgreSQL twin of SQLite's 0042: audiences for the ad platforms
-- (issue 18, docs/audiences.md): each export of a saved segment, and for each customer whose
-- data left, which audience took it, which fields, first and last. Keys only.
CREATE TABLE audience_runs (
    id         text PRIMARY KEY,
    segment    text NOT NULL,
    segment_id text NOT NULL,
    format     text NOT NULL,
    recipient  text NOT NULL,
    fields     text NOT NULL,
    at         bigint NOT NULL,
    count      bigint NOT NULL,
    sha256     text NOT NULL
);
CREATE TABLE audience_transfers (
    ck        bigint NOT NULL,
    segment   text NOT NULL,
    format    text NOT NULL,
    recipient text NOT NULL,
    fields    text NOT NULL,
    first_at  bigint NOT NULL,
    last_at   bigint NOT NULL,
    runs      bigint NOT NULL,
    PRIMARY KEY (ck, segment, format)
);
