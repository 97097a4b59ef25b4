-- 0027_join_points.sql - join points of issue 14 (docs/pages.md, "Join points and QR codes"): a
-- store and a spot in it where a QR code invites customers to join, named by a short random
-- code that its public link /j/<code> carries. No personal data.
CREATE TABLE join_points (
    code        TEXT PRIMARY KEY,       -- 8 characters of 23456789ABCDEFGHJKMNPQRSTVWXYZ
    store_id    TEXT NOT NULL REFERENCES stores (code),
    spot        TEXT NOT NULL CHECK (spot IN ('till', 'entrance', 'shelf', 'other')),
    label       TEXT,                   -- the retailer's words for the spot, or NULL
    created_at  INTEGER NOT NULL,       -- ms
    disabled_at INTEGER                 -- ms; NULL while it takes customers
) WITHOUT ROWID;
CREATE INDEX join_points_store ON join_points (store_id, code);
