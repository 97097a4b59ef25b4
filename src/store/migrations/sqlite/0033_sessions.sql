-- 0033_sessions.sql - the console's logged-in sessions (issue 15, docs/console.md). A session is a
-- row, not a signed cookie, so a logout or a disabled user ends it at once. The cookie carries a
-- random 256-bit id; the row keeps only its keyed hash (keys_tag under the installation secret),
-- so a copy of the database lets nobody in. A session ends when it was idle too long (last_at)
-- or at its absolute end (expires_at), whichever comes first; rows past either are deleted at
-- the next login.
CREATE TABLE sessions (
    hash        BLOB PRIMARY KEY,                      -- keys_tag("kartoteka/session:", id)
    user_id     TEXT NOT NULL REFERENCES users (id),
    factor      TEXT NOT NULL CHECK (factor IN ('none', 'needed', 'passed')),
    created_at  INTEGER NOT NULL,                      -- ms
    last_at     INTEGER NOT NULL,                      -- ms, the last request (within a minute)
    expires_at  INTEGER NOT NULL                       -- ms, the absolute end
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
