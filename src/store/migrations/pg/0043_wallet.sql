-- 0043_wallet.sql - the PostgreSQL twin of SQLite's 0043: wallet cards (issue 18,
-- docs/wallet.md): a customer's Apple Wallet pass under a random serial, and the devices that
-- added it. What the pass shows is not kept, only a hash of it to see it change.
CREATE TABLE wallet_passes (
    serial         text PRIMARY KEY,
    ck             bigint NOT NULL UNIQUE REFERENCES customers (ck),
    created_at     bigint NOT NULL,
    updated_at     bigint NOT NULL,
    content        text NOT NULL,
    ledger_seq     bigint NOT NULL,
    next_change_at bigint
);
CREATE TABLE wallet_devices (
    device     text NOT NULL,
    serial     text NOT NULL REFERENCES wallet_passes (serial),
    ck         bigint NOT NULL,
    push_token text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (device, serial)
);
CREATE INDEX wallet_devices_serial ON wallet_devices (serial);
