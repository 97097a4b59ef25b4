-- 0043_wallet.sql - wallet cards (issue 18, docs/wallet.md): a customer's Apple Wallet pass,
-- under a random serial that is never her id, and the devices that added it (Apple's web
-- service for passes). What the pass shows is not kept, only a hash of it to see it change.
CREATE TABLE wallet_passes (
    serial         TEXT PRIMARY KEY,        -- random, public ("wp_...")
    ck             INTEGER NOT NULL UNIQUE REFERENCES customers (ck),
    created_at     INTEGER NOT NULL,        -- ms
    updated_at     INTEGER NOT NULL,        -- ms: what it shows last changed (the web service's tag)
    content        TEXT NOT NULL,           -- a hash of what it shows
    ledger_seq     INTEGER NOT NULL,        -- the customer's last ledger entry it took in
    next_change_at INTEGER                  -- ms: a hold ends or points expire; NULL = nothing due
);
CREATE TABLE wallet_devices (
    device     TEXT NOT NULL,               -- Apple's device library identifier
    serial     TEXT NOT NULL REFERENCES wallet_passes (serial),
    ck         INTEGER NOT NULL,
    push_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (device, serial)
) WITHOUT ROWID;
CREATE INDEX wallet_devices_serial ON wallet_devices (serial);
