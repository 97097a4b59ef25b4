-- 0032_users.sql - the people who use the console (issue 15, docs/console.md "People and
-- sessions"). Staff, not customers, but their e-mails are kept as customers' identifiers are: a
-- keyed tag to find a user by (BLAKE2b-256 under the installation secret, auth/keys.h keys_tag)
-- and the value itself sealed (XChaCha20-Poly1305 under a key derived from the installation
-- secret, auth/seal.h), so a copy of the database alone names nobody. The password is kept as
-- libsodium's crypto_pwhash_str (Argon2id, its own salt and parameters in the string). The TOTP
-- secret (RFC 6238) is sealed the same way; the last time step it accepted is kept so a code is
-- not accepted twice.
CREATE TABLE users (
    id           TEXT PRIMARY KEY,           -- "u_..." (base/id.h)
    email_tag    BLOB NOT NULL UNIQUE,       -- keys_tag("kartoteka/user-email:", e-mail): 32 bytes
    email        TEXT NOT NULL,              -- sealed (auth/seal.h), context "user-email:<id>"
    pw_hash      TEXT NOT NULL,              -- crypto_pwhash_str (Argon2id)
    role         TEXT NOT NULL CHECK (role IN ('admin', 'marketer', 'analyst',
                                               'store_manager', 'dpo')),
    stores       TEXT,                       -- JSON array of store codes (store_manager only)
    totp_secret  TEXT,                       -- sealed, context "user-totp:<id>"; NULL: none
    totp_on      INTEGER NOT NULL DEFAULT 0, -- 1 once a code proved the enrolment
    totp_step    INTEGER NOT NULL DEFAULT 0, -- the last time step accepted (not again)
    failed       INTEGER NOT NULL DEFAULT 0, -- wrong passwords since the last login
    failed_at    INTEGER,                    -- ms, the last wrong password
    disabled_at  INTEGER,                    -- ms; NULL while the user may log in
    created_at   INTEGER NOT NULL,           -- ms
    updated_at   INTEGER NOT NULL            -- ms
);
