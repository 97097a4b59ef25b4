-- 0041_duplicate_pairs.sql - the PostgreSQL twin of SQLite's 0041: the review queue of fuzzy
-- duplicates (issue 17, docs/dedup.md): two live customers the matcher judged to be one person, found by `kartoteka dedup run` or at
-- an upsert, with the pair's weight and its explanation (each field's level and weight), until
-- someone merges or rejects it. A pair is one row for good: a rejected pair is never proposed
-- again (a new finding of it changes nothing), and neither is a pair a rule stopped.
CREATE TABLE duplicate_pairs (
    id          text NOT NULL,              -- public, "dp_..."
    ck_a        bigint NOT NULL,            -- the smaller key of the pair
    ck_b        bigint NOT NULL,
    weight      double precision NOT NULL,              -- log2 of the odds that they are one person
    prob        double precision NOT NULL,
    explanation text NOT NULL,              -- JSON: [{"field", "level", "weight"}, ...]
    source      text NOT NULL CHECK (source IN ('run', 'upsert', 'unmerge')),
    state       text NOT NULL CHECK (state IN ('open', 'merged', 'rejected', 'vetoed')),
    reason      text,                       -- why a rule stopped it, or who decided and how
    found_at    bigint NOT NULL,           -- ms
    decided_at  bigint,                    -- ms
    PRIMARY KEY (ck_a, ck_b)
);
CREATE UNIQUE INDEX duplicate_pairs_id ON duplicate_pairs (id, ck_a); -- ck_a: Citus (docs/scale.md)
CREATE INDEX duplicate_pairs_state ON duplicate_pairs (state, weight);
CREATE INDEX duplicate_pairs_b ON duplicate_pairs (ck_b);

-- The blocking keys of each customer (dedup/'s rules: phone, e-mail, name keys, birth date...)
-- as blind indexes, so that a new customer's check at upsert finds those who share one with an
-- indexed lookup. Rebuilt by each `dedup run`, added to by each check.
CREATE TABLE dedup_keys (
    bidx bytea NOT NULL,   -- the key's blind index (domain "dedup_key")
    ck   bigint NOT NULL,
    PRIMARY KEY (bidx, ck)
);
CREATE INDEX dedup_keys_ck ON dedup_keys (ck);
