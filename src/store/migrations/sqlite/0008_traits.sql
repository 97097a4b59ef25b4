-- 0008_traits.sql - computed traits: named values per customer, recomputed by their job
-- (docs/segments.md). RFM stores rfm_score ("545") and rfm_group ("champions") here.
CREATE TABLE traits (
    ck          INTEGER NOT NULL REFERENCES customers (ck),
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (ck, name)
) WITHOUT ROWID;
CREATE INDEX traits_name ON traits (name, value);
