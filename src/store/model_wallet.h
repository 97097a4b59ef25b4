/*
 * model_wallet.h - what the store keeps of wallet cards (0043_wallet.sql, docs/wallet.md): a
 * customer's pass and the devices that added it. Included by model.h.
 */
#ifndef KT_STORE_MODEL_WALLET_H
#define KT_STORE_MODEL_WALLET_H

#include <stdint.h>

/* A customer's Apple Wallet pass. */
struct wallet_pass {
    const char *serial; /* random, public: "wp_..." */
    int64_t ck;
    int64_t created_at;     /* ms */
    int64_t updated_at;     /* ms: what it shows last changed */
    const char *content;    /* a hash of what it shows */
    int64_t ledger_seq;     /* the customer's last ledger entry it took in */
    int64_t next_change_at; /* ms: a hold ends or points expire; 0 = nothing due */
};

/* A device that added a pass (Apple's web service for passes). */
struct wallet_device {
    const char *device, *serial, *push_token;
    int64_t ck, created_at;
};

#endif
