-- 0031_page_versions.sql - the retailer's own versions of the customer's pages (docs/pages.md,
-- "The retailer's own pages"): a page's template, the stylesheet (`style.css`) and the logo
-- (`logo`), each name a series of versions, append-only. A PUT that changes one adds a version,
-- the same body again adds nothing; a reset adds a version without a body (the built-in again),
-- so the history says who changed what and when. The retailer's text, not a person's: nothing
-- is sealed.
CREATE TABLE page_versions (
    seq        INTEGER PRIMARY KEY, -- grows with every version of any name: the servers' caches
                                    -- compare max(seq), one read of the index's last entry
    name       TEXT NOT NULL,       -- a built-in page's name, style.css or logo
    version    INTEGER NOT NULL,    -- 1, 2, ... per name
    body       BLOB,                -- the template or stylesheet (UTF-8) or the image; NULL: a reset
    type       TEXT,                -- the logo's media type (image/png, image/svg+xml); else NULL
    created_at INTEGER NOT NULL,    -- ms
    key_id     TEXT,                -- the API key that stored it
    UNIQUE (name, version)
);
