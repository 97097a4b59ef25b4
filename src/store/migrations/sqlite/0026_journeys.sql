-- Journeys of issue 13 (docs/journeys.md): a versioned document of an entry, steps and exits,
-- and one run per customer and entry key. No personal data here: a run's context holds the
-- entry event's key and the coupon a step made; the messages are the outbox's, sealed.
CREATE TABLE journeys (
    key          TEXT PRIMARY KEY,      -- [a-z0-9_-]
    name         TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'active', 'paused',
                     'archived')),
    version      INTEGER NOT NULL,      -- the latest version
    live_version INTEGER,               -- the version new runs enter with (set by a start)
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    started_at   INTEGER                -- the first start
) WITHOUT ROWID;

-- Every version's document as it was decoded and checked (canonical JSON, sorted keys).
CREATE TABLE journey_versions (
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    key_id     TEXT,                    -- the API key that saved it
    PRIMARY KEY (key, version)
) WITHOUT ROWID;

-- A customer's way through a journey. `step` is the index of the step the run is at, `visit`
-- the number of steps it has taken (the outbox origin "journey:<id>:<visit>" names one step
-- taken once). `due_at` is when the scheduler moves it next; NULL once it is finished.
CREATE TABLE journey_runs (
    id          INTEGER PRIMARY KEY,
    journey     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    ck          INTEGER NOT NULL REFERENCES customers (ck),
    entry_key   TEXT NOT NULL DEFAULT '', -- the entry property's value ('' when none)
    step        INTEGER NOT NULL DEFAULT 0,
    visit       INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL CHECK (state IN ('active', 'waiting', 'done', 'exited',
                    'control')),
    due_at      INTEGER,
    since_at    INTEGER NOT NULL,       -- when the run reached its step (a wait-for's start)
    entered_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER,
    exit        TEXT,                   -- the exit's name, when exited
    ctx         TEXT                    -- JSON: {"key", "coupon": {...}}
);
-- One live run per journey, customer and key, whatever the re-entry rule.
CREATE UNIQUE INDEX journey_runs_live ON journey_runs (journey, ck, entry_key)
    WHERE state IN ('active', 'waiting');
CREATE INDEX journey_runs_key ON journey_runs (journey, ck, entry_key, entered_at);
CREATE INDEX journey_runs_due ON journey_runs (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX journey_runs_ck ON journey_runs (ck) WHERE state IN ('active', 'waiting');

-- Each step a run took, once (the report's counts, the customer's "why").
CREATE TABLE journey_steps (
    run        INTEGER NOT NULL,
    visit      INTEGER NOT NULL,
    journey    TEXT NOT NULL,
    step       TEXT NOT NULL,           -- the step's id
    outcome    TEXT NOT NULL,           -- entered, waited, sent, capped, granted, ... exited
    message_id TEXT,                    -- a send's outbox id
    at         INTEGER NOT NULL,
    PRIMARY KEY (run, visit)
) WITHOUT ROWID;
CREATE INDEX journey_steps_journey ON journey_steps (journey, step);

-- Where the job's passes have read to: 'events' (events.seq), 'purchases' (purchases.at),
-- 'date:<journey>:<zone>' (the last local day entered), ...
CREATE TABLE journey_cursors (
    name TEXT PRIMARY KEY,
    pos  INTEGER NOT NULL
) WITHOUT ROWID;

-- Personal coupons a step made: a code with an expiry (redemption at the till is later work).
CREATE TABLE coupons (
    code       TEXT PRIMARY KEY,
    ck         INTEGER NOT NULL REFERENCES customers (ck),
    journey    TEXT,
    run        INTEGER,
    percent    INTEGER NOT NULL DEFAULT 0,
    kopecks    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    redeemed_at INTEGER
) WITHOUT ROWID;
CREATE INDEX coupons_ck ON coupons (ck);

-- A journey's messages: the run that made each (NULL for every other origin).
ALTER TABLE outbox ADD COLUMN journey_run INTEGER;
CREATE INDEX outbox_journey_run ON outbox (journey_run) WHERE journey_run IS NOT NULL;
