-- 0034_console_scopes.sql - the console's roles as key scopes (issue 15, part 3; docs/api.md,
-- "Scopes by route"): marketer, analyst and store_manager. A store_manager key must name its
-- stores (auth/keys.c refuses one without; the CHECK keeps the rule below the code too). The
-- scope's CHECK cannot be altered in SQLite, so the table is made anew, as 0017 and 0022 did;
-- nothing refers to it.
CREATE TABLE api_keys_new (
    id                 TEXT PRIMARY KEY,    -- public part of the key
    name               TEXT NOT NULL,
    scope              TEXT NOT NULL CHECK (scope IN ('admin', 'pos', 'collect', 'dpo', 'auditor',
                           'deliveries', 'marketer', 'analyst', 'store_manager')),
    hash               BLOB NOT NULL,       -- keyed BLAKE2b-256 of the secret part
    created_at         INTEGER NOT NULL,
    revoked_at         INTEGER,
    expires_at         INTEGER,             -- ms; NULL: never. Refused from then on (key_expired)
    stores             TEXT CHECK (stores IS NULL OR json_array_length(stores) > 0),
                                            -- JSON array of store codes the key is limited to;
                                            -- NULL: every store
    expiry_audited_at  INTEGER,             -- ms; when the audit log recorded the expiry
    CHECK (scope <> 'store_manager' OR stores IS NOT NULL)
) WITHOUT ROWID;

INSERT INTO api_keys_new (id, name, scope, hash, created_at, revoked_at, expires_at, stores,
                          expiry_audited_at)
SELECT id, name, scope, hash, created_at, revoked_at, expires_at, stores, expiry_audited_at
FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
CREATE INDEX api_keys_expiry ON api_keys (expires_at)
WHERE expires_at IS NOT NULL AND expiry_audited_at IS NULL;
