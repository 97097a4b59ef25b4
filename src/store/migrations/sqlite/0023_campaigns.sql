-- Campaigns of issue 12 (docs/messages.md, "Campaigns"): one message to an audience frozen at
-- the start, a random control group that is never messaged, A/B variants. A campaign's messages
-- are ordinary outbox rows whose id is the keyed hash of "campaign:<id>:<ck>", so a resume, a
-- restart or a second run finds the row it made and never makes another. No personal data here:
-- the addresses and texts are the outbox's, sealed.
CREATE TABLE campaigns (
    id           TEXT PRIMARY KEY,      -- "cmp_..."
    name         TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'scheduled', 'running',
                     'paused', 'done', 'cancelled')),
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'push', 'webhook')),
    kind         TEXT NOT NULL DEFAULT 'marketing' CHECK (kind = 'marketing'),
    topic        TEXT,                  -- the subscription topic, or NULL
    segment_id   TEXT,                  -- the audience: a saved segment (segments.id) ...
    query        TEXT,                  -- ... or a query in the segment language; one of them
    control_pct  INTEGER NOT NULL DEFAULT 0 CHECK (control_pct BETWEEN 0 AND 90),
    window_days  INTEGER NOT NULL DEFAULT 3 CHECK (window_days BETWEEN 1 AND 30),
    scheduled_at INTEGER,               -- start at this time (ms); NULL: when started
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    started_at   INTEGER,               -- when the audience was frozen
    finished_at  INTEGER,               -- done or cancelled
    audience     INTEGER,               -- the frozen audience's size; NULL until frozen
    cursor_ck    INTEGER NOT NULL DEFAULT 0, -- the enqueue's progress: every ck <= it is handled
    enqueued     INTEGER NOT NULL DEFAULT 0, -- outbox rows made
    control      INTEGER NOT NULL DEFAULT 0, -- members set aside in the control group
    key_id       TEXT,                  -- the API key that created it
    CHECK ((segment_id IS NULL) <> (query IS NULL))
) WITHOUT ROWID;
CREATE INDEX campaigns_created ON campaigns (created_at, id);
-- The scheduler's look for work: scheduled and running campaigns.
CREATE INDEX campaigns_live ON campaigns (state) WHERE state IN ('scheduled', 'running');

-- The variants, at least one; each names a template's version, fixed when the campaign is
-- created. `share` is the percent of the messaged (non-control) members it gets; they sum to 100.
CREATE TABLE campaign_variants (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    name        TEXT NOT NULL,          -- "a", "b"...; never "control"
    template    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    share       INTEGER NOT NULL CHECK (share BETWEEN 1 AND 100),
    ord         INTEGER NOT NULL,       -- the order given
    PRIMARY KEY (campaign_id, name)
) WITHOUT ROWID;

-- The audience frozen at the start: the segment evaluated once. Deleted when the campaign is
-- finished (campaign_members holds who got what).
CREATE TABLE campaign_audience (
    campaign_id TEXT NOT NULL,
    ck          INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, ck)
) WITHOUT ROWID;

-- Who was enqueued or set aside, once each (the report reads it).
CREATE TABLE campaign_members (
    campaign_id TEXT NOT NULL,
    ck          INTEGER NOT NULL,
    grp         TEXT NOT NULL,          -- 'control' or the variant's name
    message_id  TEXT,                   -- the outbox id; NULL for control
    at          INTEGER NOT NULL,       -- when the member was enqueued or set aside
    PRIMARY KEY (campaign_id, ck)
) WITHOUT ROWID;

-- The outbox knows its campaign: the claim skips a paused campaign's rows, a cancel suppresses
-- its queued ones, the report counts them.
ALTER TABLE outbox ADD COLUMN campaign_id TEXT;
CREATE INDEX outbox_campaign ON outbox (campaign_id, state) WHERE campaign_id IS NOT NULL;

-- The claim's order, walked in the index: the queued rows of a channel by priority, then due
-- time. outbox_due (state, next_at) made the claim read and sort every due row for each batch
-- of 32 - with a campaign's million queued rows, a second per claim. A paused campaign's rows
-- (next_at far ahead) sit at the end of their priority and are passed over in the index alone.
DROP INDEX outbox_due;
CREATE INDEX outbox_claim ON outbox (channel, priority DESC, next_at) WHERE state = 'queued';
