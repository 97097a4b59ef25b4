/*
 * ledger.h - the points ledger: balances computed from its entries, and manual adjustments.
 * Functions taking `w` run inside the caller's write transaction.
 */
#ifndef KT_LOYALTY_LEDGER_H
#define KT_LOYALTY_LEDGER_H

#include "loyalty/loyalty.h"
#include "store/store.h"

struct points_balance {
    int64_t available;          /* spendable now */
    int64_t pending;            /* earned, still in the hold, less the debt it will cover */
    int64_t debt;               /* taken back after it was spent, beyond all credits */
    int64_t next_expiry_at;     /* ms, 0 = nothing expires */
    int64_t next_expiry_points; /* what expires then */
    int64_t expired_unwritten;  /* past its expiry, not yet taken by an `expire` entry */
};

/* The balance at `now` of a customer's entries (oldest first). A lot past its expiry counts as
 * not spendable from that moment, before the expiry job writes its entry. */
void loyalty_balance(const struct ledger_entry *e, size_t n, int64_t now,
                     struct points_balance *out);

/* `ms` plus whole calendar months (UTC), the day clamped to the month's last. */
int64_t loyalty_add_months(int64_t ms, int64_t months);

/* A manual adjustment by an administrator, with its reason: a credit is spendable at once and
 * expires by the programme's rule; a debit may not exceed what is spendable (KT_EINVAL
 * "insufficient_balance"). `after` gets the new balance. */
enum kt_rc loyalty_adjust(struct store_conn *w, int64_t ck, int64_t points, const char *reason,
                          const struct loyalty_rules *r, const char *key_id, const char *request_id,
                          int64_t now, struct arena *a, struct points_balance *after,
                          struct kt_err *err);

/* The expiry job: writes an `expire` entry for every customer with points past their expiry
 * since the last run (meta "expiry_done_until"), one short write transaction per customer.
 * Run by the scheduler (sched/jobs.c): every minute, `kartoteka run-due`, POST
 * /v1/loyalty/run-due. */
enum kt_rc loyalty_expire_due(struct store *s, int64_t now, int64_t *customers, int64_t *points,
                              struct kt_err *err);

/* A balance, and the ledger's entries, as documents show them (new references). */
json_t *loyalty_balance_json(struct arena *a, const char *customer_id,
                             const struct points_balance *b);
json_t *loyalty_ledger_json(struct arena *a, const struct ledger_entry *e, size_t n);

/* The programme's economics over [since, until) on a read connection (report.c): points earned,
 * spent, expired, given and adjusted, the outstanding liability, the receipts with and without a
 * customer (GET /v1/reports/loyalty, `kartoteka loyalty report`); NULL with err set on failure. */
json_t *loyalty_report_doc(struct store_conn *c, int64_t since, int64_t until, struct arena *a,
                           struct kt_err *err);

/* The same over time: from `since`'s day to `until`, one bucket every `step_days` (1: days, 7:
 * weeks) with the points issued (earned and given), spent and expired in it and the outstanding
 * points and their liability in kopecks at its end. An array of at most 400 buckets (more:
 * KT_EBADREQ bad_parameter "series"); NULL with err set on failure. */
json_t *loyalty_series_json(struct store_conn *c, int64_t since, int64_t until, int step_days,
                            struct arena *a, struct kt_err *err);

#endif
