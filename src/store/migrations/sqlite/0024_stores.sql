-- 0024_stores.sql - the retailer's stores, each with its IANA time zone (docs/messages.md, "Local
-- time"): quiet hours, "per day" caps and birthdays are in the customer's local time, and a
-- customer's zone is their home store's. Receipts, history rows and keys already name stores by
-- the code the tills send; this table is what the chain says about each code. No personal data.
CREATE TABLE stores (
    code       TEXT PRIMARY KEY,        -- the code the tills send (purchases.store_id, history.store_id)
    title      TEXT,                    -- what the chain calls it, for people, or NULL
    city       TEXT,                    -- its city, standard form (clean_city), or NULL
    time_zone  TEXT NOT NULL,           -- IANA name, checked against the tz database when put
    created_at INTEGER NOT NULL,        -- ms
    updated_at INTEGER NOT NULL         -- ms
) WITHOUT ROWID;
