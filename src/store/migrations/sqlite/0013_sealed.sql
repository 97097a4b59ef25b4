-- 0013_sealed.sql - encryption at rest (issue 19, part A; docs/privacy.md, "Encryption at rest").
-- Personal data is sealed under the customer's data key, which lives in the key store <db>.keys,
-- never here. A sealed value is a BLOB, a clear one TEXT: the data step of this migration
-- (store/sqlite/seal_migrate.c) seals, in batches, what an older database holds in clear, and
-- this file only makes room. The step runs after this file, at every open that migrates, until
-- nothing is left; meta 'sealed_done' records that it finished.

-- Free-text attributes (type string, list of strings): their values as one sealed JSON object;
-- `attrs` keeps their names, with the value "sealed", for the quality report and "in use".
ALTER TABLE customers ADD COLUMN attrs_sealed BLOB;

-- Identifiers are found by a blind index of their standard form (keyed BLAKE2b, the key derived
-- from the installation secret) and keep the value sealed. The data step moves each row of
-- identifiers_clear here and drops that table once it is empty.
DROP INDEX identifiers_ck;
ALTER TABLE identifiers RENAME TO identifiers_clear;
CREATE TABLE identifiers (
    kind       TEXT NOT NULL,               -- phone, email, card, cookie, device, ext:<system>...
    bidx       BLOB NOT NULL,               -- blind index of the standard form
    value      BLOB NOT NULL,               -- the standard form, sealed under the owner's key
    ck         INTEGER NOT NULL REFERENCES customers (ck),
    verified   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    channel    TEXT NOT NULL,
    PRIMARY KEY (kind, bidx)
) WITHOUT ROWID;
CREATE INDEX identifiers_ck ON identifiers (ck);

-- The SMS outbox and the stored replies of retried requests name the customer whose key seals
-- them, and whose erasure deletes them.
ALTER TABLE sms_outbox ADD COLUMN ck INTEGER REFERENCES customers (ck);
CREATE INDEX sms_outbox_ck ON sms_outbox (ck) WHERE ck IS NOT NULL;
ALTER TABLE idempotency ADD COLUMN ck INTEGER;
CREATE INDEX idempotency_ck ON idempotency (ck) WHERE ck IS NOT NULL;

-- Data keys an erasure destroys once its transaction has committed (store_keys_shred); what is
-- left here after a crash is destroyed at the next open.
CREATE TABLE key_shreds (
    ck INTEGER PRIMARY KEY,
    at INTEGER NOT NULL
);

-- Consent evidence could only be destroyed; now it may also be sealed (by this migration, or
-- again under the survivor's key when a merge moves it), still never written in clear.
DROP TRIGGER consent_events_no_new_pd;
CREATE TRIGGER consent_events_no_new_pd BEFORE UPDATE OF ip, user_agent ON consent_events
    WHEN (NEW.ip IS NOT NULL AND typeof(NEW.ip) <> 'blob')
      OR (NEW.user_agent IS NOT NULL AND typeof(NEW.user_agent) <> 'blob')
BEGIN SELECT RAISE(ABORT, 'consent evidence can only be destroyed or sealed'); END;
