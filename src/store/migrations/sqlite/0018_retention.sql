-- 0018_retention.sql - retention of raw data and the incident register (issue 19, part G;
-- docs/privacy.md, "Retention of raw data" and "Incidents").

-- The daily counts of behaviour events that outlived their term. The events job rolls each
-- batch of expired events up into these rows in the transaction that deletes them, so a count
-- over events (a segment's `events(...)`, a trait, the clusters' channels, the events report)
-- reads the rows still kept plus these, and is the same after the job as before it. Type,
-- channel and times only, which is what an erasure keeps of an event too.
CREATE TABLE event_days (
    ck           INTEGER NOT NULL,  -- the customer; 0 for events that had none
    type         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    day          INTEGER NOT NULL,  -- the UTC day of the events' `at`, ms at 00:00Z
    received_day INTEGER NOT NULL,  -- the UTC day they were received, ms at 00:00Z
    count        INTEGER NOT NULL,
    PRIMARY KEY (ck, type, day, channel, received_day)
) WITHOUT ROWID;
CREATE INDEX event_days_received ON event_days (received_day);

-- The outbox's sent and dead messages expire by their term (--messages-days) from done_at.
CREATE INDEX sms_outbox_done ON sms_outbox (done_at) WHERE state <> 'queued';

-- Incidents: unlawful or accidental transfer of personal data (152-FZ art. 21 part 3.1). The
-- deadlines are computed from detected_at; the subjects affected are counted from the log of
-- reads and stored with the way they were counted.
CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,  -- "i_..."
    description     TEXT NOT NULL,     -- what happened, the DPO's words
    detected_at     INTEGER NOT NULL,  -- ms; both deadlines run from here
    categories      TEXT NOT NULL,     -- JSON array of the categories of data suspected
    since           INTEGER NOT NULL,  -- the window of the incident, ms
    until           INTEGER NOT NULL,
    key_ids         TEXT NOT NULL,     -- JSON arrays: the keys, addresses and routes involved
    ips             TEXT NOT NULL,
    routes          TEXT NOT NULL,
    subjects        INTEGER NOT NULL,  -- distinct customers read in the window by them
    bulk_reads      INTEGER NOT NULL,  -- reads of many customers at once (not in `subjects`)
    method          TEXT NOT NULL,     -- how `subjects` was counted
    counted_at      INTEGER NOT NULL,
    measures        TEXT,              -- what was done about it
    findings        TEXT,              -- the results of the internal investigation
    notified_at     INTEGER,           -- the first notice was sent to Roskomnadzor
    reported_at     INTEGER,           -- the results were sent
    state           TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    key_id          TEXT,              -- who recorded it
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;
