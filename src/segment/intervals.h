/*
 * intervals.h - learned purchase intervals (docs/journeys.md, "Learned intervals"): when a
 * customer's SKU or category is due again (the journey entry `replenish`) and when she has
 * stayed away longer than her habit (the entry `lapse`), from her own receipts, else the
 * population's.
 *
 * Days are whole local dates, counted from 1970-01-01 (tz_local's `days`): a purchase day is
 * the date a receipt was rung up on its store's clock; several receipts on one day are one
 * purchase day. Her interval is the median of the gaps between her consecutive purchase days of
 * the key when she has three purchase days of it or more; else the population's median of every
 * customer's gaps of that key; none when no customer has a gap of it. A median of an even count
 * is the mean of the middle two, a half day rounded up.
 *
 *   replenishment: due = last purchase day + interval; fires when due - days_before is in the
 *                  span [from, until);
 *   lapse:         the key is the receipt (any purchase), the interval her usual gap; she is
 *                  lapsed on the first day whose days since her last purchase exceed factor x
 *                  gap: due = last + floor(factor x gap) + 1; fires when due is in the span.
 */
#ifndef KT_SEGMENT_INTERVALS_H
#define KT_SEGMENT_INTERVALS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/model.h"
#include "store/store.h"

/* One due row: a customer and key the entry fires for in the span. */
struct interval_due {
    int64_t ck;
    const char *customer_id; /* the public id */
    const char *key;         /* the SKU or category; "" for a lapse */
    int64_t last_day;        /* her last purchase day of the key */
    int64_t purchase_days;   /* how many distinct days she bought it on */
    int64_t days;            /* the interval or expected gap, whole days */
    bool own;                /* her own median (3 purchase days or more), else the population's */
    int64_t due_day;         /* replenishment: last_day + days; lapse: her first lapsed day */
};

/* What is asked. */
struct intervals_ask {
    enum store_day_key by; /* STORE_DAY_SKU or _CATEGORY: replenishment; _RECEIPT: lapse */
    int64_t from, until;   /* the span of days [from, until) */
    int days_before;       /* replenishment: this many days ahead of the due day, 0-365 */
    int factor_x100;       /* lapse: the factor in hundredths (150 = 1.5 x), 100-10000 */
};

#define INTERVALS_DAYS_BEFORE_MAX 365
#define INTERVALS_FACTOR_MIN      100   /* 1.00 x */
#define INTERVALS_FACTOR_MAX      10000 /* 100.00 x */

/* One purchase day, for the computation over rows in memory. */
struct interval_row {
    int64_t ck;
    const char *customer_id;
    const char *key;
    int64_t day;
};

/*
 * The rows of customers and keys the entry fires for in the span, in (ck, key) order, in the
 * arena. Over rows in memory (`rows`: grouped by (ck, key), each group's days ascending; a day
 * repeated is one purchase day). KT_EBADREQ `bad_parameter` (field: the member) for an ask out of
 * range.
 */
enum kt_rc intervals_due_of_rows(const struct interval_row *rows, size_t n,
                                 const struct intervals_ask *q, struct arena *a,
                                 struct interval_due **out, size_t *n_out, struct kt_err *err);

/*
 * The same over the store's receipts up to `now`, on an analytic read `rd`
 * (store_read_begin_analytics; store_purchase_days): it reads the purchase days twice, on the
 * one snapshot - once for the population's gaps (counted per key and gap, not kept one by one),
 * once for each customer - so memory is the keys' gap counts and the due rows, never the
 * receipts. `by` is STORE_DAY_SKU or STORE_DAY_CATEGORY.
 */
enum kt_rc intervals_replenish_due(struct store_conn *rd, enum store_day_key by, int64_t now,
                                   int64_t from, int64_t until, int days_before, struct arena *a,
                                   struct interval_due **out, size_t *n, struct kt_err *err);
enum kt_rc intervals_lapse_due(struct store_conn *rd, int64_t now, int64_t from, int64_t until,
                               int factor_x100, struct arena *a, struct interval_due **out,
                               size_t *n, struct kt_err *err);

/* The median of `n` (> 0) whole days, sorted ascending in place; even counts round half up. */
int64_t intervals_median(int64_t *v, size_t n);

/* ---- the reports (intervals_report.c) ------------------------------------------------------ */

/*
 * An ask from the texts of a report's query, each NULL for its default: a replenishment's `by`
 * "sku" (the default) or "category" and `days_before` 0-365 (default 0); with `lapse`, a lapse's
 * `factor` 1-100 with at most two decimals (default 2); both: `starting_on` the span's first day
 * YYYY-MM-DD (default `today`) and `days` its length 1-366 (default 7). KT_EBADREQ
 * `bad_parameter` naming the parameter.
 */
enum kt_rc intervals_ask_parse(bool lapse, const char *by, const char *starting_on,
                               const char *days, const char *days_before, const char *factor,
                               int64_t today, struct intervals_ask *q, struct kt_err *err);

/* Today on the installation's clock (tz_default), as a day number: the reports' default. */
int64_t intervals_today(int64_t now);

/* The report of GET /v1/reports/replenishment (q->by STORE_DAY_SKU or _CATEGORY) or
 * /v1/reports/lapsed (STORE_DAY_RECEIPT) over the receipts up to `now` on an analytic read
 * (new reference; NULL with err set). */
json_t *intervals_report_doc(struct store_conn *rd, const struct intervals_ask *q, int64_t now,
                             struct arena *a, struct kt_err *err);

#endif
