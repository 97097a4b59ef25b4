-- 0019_templates.sql - stored message templates (docs/messages.md, "Templates"): each name a
-- series of versions, append-only; a PUT that changes a template adds a version, the same body
-- again adds nothing. A template's text is the retailer's, not a person's: nothing is sealed.
CREATE TABLE templates (
    name       TEXT NOT NULL,    -- the retailer's name, used in paths and by campaigns
    version    INTEGER NOT NULL, -- 1, 2, ... per name
    channel    TEXT NOT NULL,    -- email | sms | push
    parts      TEXT NOT NULL,    -- JSON object of the parts (subject, html, text, title, body, data), keys sorted
    created_at INTEGER NOT NULL, -- ms
    key_id     TEXT,             -- the API key that saved it
    PRIMARY KEY (name, version)
) WITHOUT ROWID;
