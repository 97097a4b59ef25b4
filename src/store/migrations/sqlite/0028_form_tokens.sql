-- The customer's pages (issue 14, docs/pages.md): the one-time tokens of their forms. A form's
-- token (pages/csrf.c) is sealed under the installation secret and names its form, its expiry and
-- a random nonce; a submission spends the nonce here, so a token replayed is refused. Rows past
-- their expiry are deleted as new ones come. No personal data.
CREATE TABLE form_tokens (
    nonce      TEXT PRIMARY KEY,       -- hex of the token's 16 random bytes
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX form_tokens_expiry ON form_tokens (expires_at);
