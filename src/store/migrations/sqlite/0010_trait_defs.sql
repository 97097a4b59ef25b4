-- 0010_trait_defs.sql - computed traits the retailer defines by a segment expression
-- (docs/segments.md, "Computed traits"); the values live in `traits`.
CREATE TABLE trait_defs (
    name       TEXT PRIMARY KEY,
    expression TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
