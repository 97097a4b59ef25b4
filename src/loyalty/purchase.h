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

#define PURCHASE_MAX_LINES 2000 /* a wholesale order of the web shop can pass a thousand */
#define KT_STR_(x)         #x
#define KT_STR(x)          KT_STR_(x)

struct purchase_req {
    const char *store_id, *receipt;
    int64_t at;                             /* ms */
    const char *phone, *card, *customer_id; /* at most one; none = anonymous */
    const char *anon_kind, *anon_id;        /* a web shop's cookie or an app's device id besides:
                                               links the browser to the customer (events) */
    struct purchase_line *lines;
    size_t n_lines;
    int64_t total;        /* the sum of the lines' amounts (checked against "total" if given) */
    int64_t spend_points; /* asked for; 0 = none */
    bool spend_exact;     /* all of spend_points or no receipt: a refusal is an error */
    bool quote;           /* a quote: what could be spent is worked out even if none is asked */
};

/* Shared by the receipt and refund decoders: member `name` of `o` (whose path is `path`), a
 * quantity above zero and at most a million with at most three decimals, in thousandths:
 * missing_field, wrong_type (not a number) or invalid_value. */
enum kt_rc loyalty_quantity(const json_t *o, const char *path, const char *name, int64_t *milli,
                            struct kt_err *err);

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

/* ---- posting (receipt.c) ------------------------------------------------------------------ */

/* The customer a receipt names (customer.id, .phone or .card) on `c`: customer_not_found or
 * card_unknown (KT_EINVAL) when nobody is, the card's own refusals (card_check), customer_erased
 * (ident_live) for an erased one; KT_OK with *found false for an anonymous receipt. */
enum kt_rc purchase_customer(struct store_conn *c, const struct purchase_req *req, struct arena *a,
                             struct customer *cu, bool *found, struct kt_err *err);

/* What posting a receipt or a refund came to. */
struct receipt_posted {
    json_t *reply; /* the reply document (new reference), stored with the receipt or refund */
    bool replayed; /* posted before: `reply` is the one stored then, nothing was written now */
};

/*
 * Posts a receipt decoded by purchase_decode in a write transaction of its own: its customer
 * found, a web shop's cookie or an app's device id linked to them (events_link), the points
 * spent and earned, the receipt and its reply stored. `body` is the request as received: a
 * retry under the store's receipt number with the same bytes gets the stored reply (`replayed`),
 * other bytes KT_ECONFLICT "receipt_conflict".
 */
enum kt_rc purchase_post(struct store *s, const struct purchase_req *req, const void *body,
                         size_t len, const char *key_id, const char *request_id, int64_t now,
                         struct arena *a, struct receipt_posted *out, struct kt_err *err);

/* The quote at the cash desk: what the receipt would do for its customer, writing nothing. */
struct purchase_quote {
    bool has_customer;
    struct customer customer; /* when has_customer */
    struct loyalty_rules rules;
    struct purchase_outcome outcome; /* balance before; spendable, would spend, would earn */
};
enum kt_rc purchase_quote(struct store_conn *c, const struct purchase_req *req, int64_t now,
                          struct arena *a, struct purchase_quote *out, struct kt_err *err);

/* A purchase as documents show it (the API, the export, the CLI); with `c`, whose it is and its
 * lines (new reference). */
json_t *purchase_json(struct arena *a, struct store_conn *c, const struct purchase *p,
                      const struct purchase_line *l, size_t n);

/* ---- refunds --------------------------------------------------------------------------------- */

struct refund_req {
    const char *number; /* the store's return document: a retry of it is the same refund */
    int64_t at;
    struct refund_line *lines; /* NULL: everything not refunded yet */
    size_t n_lines;
};

/* Decodes POST /v1/purchases/{id}/refunds: {"refund": "R-1", "at": ..., "lines": [{"line": 1,
 * "quantity": 1}]}; without lines the whole rest of the receipt is refunded. */
enum kt_rc refund_decode(const json_t *body, int64_t now, struct arena *a, struct refund_req *out,
                         struct kt_err *err);

/* The refund `req` makes of purchase `p` (its lines as store_purchase_get gives them, with what
 * was refunded before): each line's money (its share of the amount; the last of a line gets what
 * is left, so a line refunded in parts gives back exactly its amount), and the points, reversed
 * and returned in proportion to the money refunded so far, rounded down, so that the whole
 * receipt refunded reverses exactly what it earned and returns exactly what it spent. Refuses
 * more than was bought (refund_exceeds_purchase) and a time before the purchase. */
enum kt_rc refund_compute(const struct purchase *p, const struct purchase_line *pl, size_t n,
                          const struct refund_req *req, int64_t now, struct arena *a,
                          struct refund *out, struct refund_line **lines, size_t *n_lines,
                          struct kt_err *err);

/* Writes the refund's ledger entries for the purchase's customer: `refund_earn` (taken from the
 * purchase's own lot first, then the oldest; beyond the balance it is debt, recorded) and
 * `refund_spend` (spendable at once). `after` gets the balance. */
enum kt_rc refund_apply(struct store_conn *w, const struct purchase *p, const struct refund *rf,
                        const struct loyalty_rules *r, const char *key_id, const char *request_id,
                        int64_t now, struct arena *a, struct points_balance *after,
                        struct kt_err *err);

/* Posts refund `req` of purchase `purchase_id` as purchase_post posts a receipt: a retry under
 * the refund's number with the same bytes gets the stored reply, other bytes KT_ECONFLICT
 * "refund_conflict". */
enum kt_rc refund_post(struct store *s, const char *purchase_id, const struct refund_req *req,
                       const void *body, size_t len, const char *key_id, const char *request_id,
                       int64_t now, struct arena *a, struct receipt_posted *out,
                       struct kt_err *err);

#endif
