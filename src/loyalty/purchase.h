/*
 * purchase.h - receipts: decoding a receipt, checking that it adds up, and what it does to the
 * customer's points (earn under the programme, spend under the gate and the cap). Functions
 * taking `w` run inside the caller's write transaction, which serialises cash desks: two of them
 * spending one balance at the same moment cannot overdraw it.
 */
#ifndef KT_LOYALTY_PURCHASE_H
#define KT_LOYALTY_PURCHASE_H

#include "loyalty/ledger.h"
#include "loyalty/loyalty.h"
#include "store/store.h"

#define PURCHASE_MAX_LINES 500

struct purchase_req {
    const char *store_id, *receipt;
    int64_t at;                             /* ms */
    const char *phone, *card, *customer_id; /* at most one; none = anonymous */
    struct purchase_line *lines;
    size_t n_lines;
    int64_t total;        /* the sum of the lines' amounts (checked against "total" if given) */
    int64_t spend_points; /* asked for; 0 = none */
    bool quote;           /* a quote: what could be spent is worked out even if none is asked */
};

/* Decodes and checks POST /v1/purchases: every line's amount is its price times its quantity
 * less its discount, the total is their sum, the time is not in the future. */
enum kt_rc purchase_decode(const json_t *body, int64_t now, struct arena *a,
                           struct purchase_req *out, struct kt_err *err);

struct purchase_outcome {
    int64_t spendable; /* the most points this receipt could take (gate, cap, balance) */
    int64_t earned;    /* points, pending until earned_available_at */
    int64_t earned_available_at;
    int64_t spent;
    const char *refused; /* why spending was refused or cut: profile_incomplete, cap_exceeded,
                            insufficient_balance; NULL when it was not */
    unsigned missing;    /* profile_incomplete: the gate items missing (enum gate_item) */
    struct points_balance balance; /* before (compute) or after (apply) */
};

/* The gate items `cu` does not meet (pd_given: its pd_processing consent is given). */
unsigned loyalty_gate_missing(const struct loyalty_rules *r, const struct customer *cu,
                              bool pd_given);
/* "phone_verified", ... of gate bits, in a JSON array (new reference). */
json_t *loyalty_gate_json(unsigned bits);

/* What the receipt would do for customer `cu` (NULL: anonymous, nothing), writing nothing: the
 * quote at the cash desk (POST /v1/loyalty/quote). */
enum kt_rc purchase_compute(struct store_conn *c, const struct purchase_req *req,
                            const struct loyalty_rules *r, const struct customer *cu, int64_t now,
                            struct arena *a, struct purchase_outcome *out, struct kt_err *err);

/* The same, done: spends (under the gate, the cap and the balance) and earns for `cu`, writing
 * the ledger entries. */
enum kt_rc purchase_apply(struct store_conn *w, const struct purchase_req *req,
                          const struct loyalty_rules *r, const struct customer *cu,
                          const char *purchase_id, const char *key_id, const char *request_id,
                          int64_t now, struct arena *a, struct purchase_outcome *out,
                          struct kt_err *err);

#endif
