-- 0043_wallet.sql - the PostgreSQL twin of SQLite's 0043: wallet cards (issue 18,
-- docs/wallet.md): a customer's Apple Wallet pass under a random serial, and the devices that
-- added it. What the pass shows is not kept, only a hash of it to see it change. Both are the
-- customer's, distributed with her (docs/scale.md): their keys are widened by ck, and a
-- device's pass is not a foreign key here.
CREATE TABLE wallet_passes (
    serial         text NOT NULL,
    ck             bigint NOT NULL REFERENCES customers (ck),
    created_at     bigint NOT NULL,
    updated_at     bigint NOT NULL,
    content        text NOT NULL,
    ledger_seq     bigint NOT NULL,
    next_change_at bigint,
    PRIMARY KEY (serial, ck),
    UNIQUE (ck)
);
CREATE TABLE wallet_devices (
    device     text NOT NULL,
    serial     text NOT NULL,
    ck         bigint NOT NULL,
    push_token text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (device, serial, ck)
);
CREATE INDEX wallet_devices_serial ON wallet_devices (serial);
