-- 0017_key_roles.sql - roles and limits of API keys (issue 19, part F; docs/privacy.md, "Roles
-- and scopes"): the scopes dpo (privacy without marketing) and auditor (reads the audit log and
-- nothing else), keys limited to stores, and keys that expire. The scope's CHECK cannot be
-- altered in SQLite, so the table is made anew; nothing refers to it.

CREATE TABLE api_keys_new (
    id                 TEXT PRIMARY KEY,    -- public part of the key
    name               TEXT NOT NULL,
    scope              TEXT NOT NULL CHECK (scope IN ('admin', 'pos', 'collect', 'dpo', 'auditor')),
    hash               BLOB NOT NULL,       -- keyed BLAKE2b-256 of the secret part
    created_at         INTEGER NOT NULL,
    revoked_at         INTEGER,
    expires_at         INTEGER,             -- ms; NULL: never. Refused from then on (key_expired)
    stores             TEXT CHECK (stores IS NULL OR json_array_length(stores) > 0),
                                            -- JSON array of store codes the key is limited to;
                                            -- NULL: every store
    expiry_audited_at  INTEGER              -- ms; when the audit log recorded the expiry
) WITHOUT ROWID;

INSERT INTO api_keys_new (id, name, scope, hash, created_at, revoked_at)
SELECT id, name, scope, hash, created_at, revoked_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;

-- The expiry job's search: keys whose expiry is not yet in the audit log.
CREATE INDEX api_keys_expiry ON api_keys (expires_at)
WHERE expires_at IS NOT NULL AND expiry_audited_at IS NULL;

-- A customer's changes by store: a store-limited key's question "was this customer in one of my
-- stores" reads the history's rows of that customer and store.
CREATE INDEX history_store ON history (ck, store_id) WHERE store_id IS NOT NULL;
CREATE INDEX purchases_store_ck ON purchases (ck, store_id) WHERE ck IS NOT NULL;
