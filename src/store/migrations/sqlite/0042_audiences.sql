-- 0042_audiences.sql - audiences for the ad platforms (issue 18, docs/audiences.md): each export
-- of a saved segment to VK Ads or Yandex Audiences, and, for each customer whose data left,
-- which audience took it, which fields, first and last (152-FZ art. 14: who received her data;
-- the customer's export shows it). Keys only: no value that left is kept here.
CREATE TABLE audience_runs (
    id         TEXT PRIMARY KEY,       -- public, "ar_..."
    segment    TEXT NOT NULL,          -- the segment's name at the run
    segment_id TEXT NOT NULL,
    format     TEXT NOT NULL,          -- yandex, vk-phone, vk-email
    recipient  TEXT NOT NULL,          -- yandex_audiences, vk_ads
    fields     TEXT NOT NULL,          -- "phone,email": what left, hashed
    at         INTEGER NOT NULL,       -- ms
    count      INTEGER NOT NULL,       -- customers in the file
    sha256     TEXT NOT NULL           -- of the file written
);
CREATE TABLE audience_transfers (
    ck        INTEGER NOT NULL,
    segment   TEXT NOT NULL,          -- the segment's name
    format    TEXT NOT NULL,
    recipient TEXT NOT NULL,
    fields    TEXT NOT NULL,
    first_at  INTEGER NOT NULL,        -- ms: the first export that took her
    last_at   INTEGER NOT NULL,        -- ms: the latest
    runs      INTEGER NOT NULL,        -- how many exports took her
    PRIMARY KEY (ck, segment, format)
) WITHOUT ROWID;
