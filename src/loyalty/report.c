/*
 * report.c - the programme's economics over a period (GET /v1/reports/loyalty, `kartoteka
 * loyalty report`): points earned, spent, expired and given, the liability of what is
 * outstanding, and how many receipts name a customer. The sums are the store's; the document is
 * this file's.
 */
#include <string.h>

#include "base/clock.h"
#include "loyalty/ledger.h"
#include "loyalty/program.h"

json_t *loyalty_report_doc(struct store_conn *rd, int64_t since, int64_t until, struct arena *a,
                           struct kt_err *err)
{
    struct loyalty_report x;
    struct loyalty_rules rules;
    int64_t at;
    if (loyalty_program_get(rd, a, &rules, &at, err) != KT_OK ||
        store_loyalty_report(rd, since, until, &x, err) != KT_OK) {
        return NULL;
    }
    int64_t anon = x.receipts - x.receipts_identified;
    /* Money in kopecks, as every amount of the API: the liability is what the outstanding
     * points are worth at the programme's rate. */
    json_t *o =
        json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:I}", "points", "earned",
                  (json_int_t)x.earned, "spent", (json_int_t)-x.spent, "expired",
                  (json_int_t)-x.expired, "bonus", (json_int_t)x.bonus, "refund_reversed",
                  (json_int_t)-x.refund_earn, "refund_returned", (json_int_t)x.refund_spend,
                  "adjusted", (json_int_t)x.adjusted, "outstanding", (json_int_t)x.outstanding,
                  "liability", (json_int_t)(x.outstanding * rules.kopecks_per_point));
    json_object_set_new(
        o, "receipts",
        json_pack("{s:I, s:I, s:I, s:f, s:I, s:I}", "count", (json_int_t)x.receipts,
                  "with_customer", (json_int_t)x.receipts_identified, "with_card",
                  (json_int_t)x.receipts_by_card, "share_with_customer",
                  x.receipts ? (double)x.receipts_identified / (double)x.receipts : 0.0, "refunds",
                  (json_int_t)x.refunds, "refunded", (json_int_t)x.refunded));
    json_object_set_new(
        o, "average_receipt",
        json_pack(
            "{s:I, s:I}", "with_customer",
            (json_int_t)(x.receipts_identified ? x.total_identified / x.receipts_identified : 0),
            "without_customer", (json_int_t)(anon ? (x.total - x.total_identified) / anon : 0)));
    if (since != INT64_MIN) {
        json_object_set_new(o, "since", json_string(time_rfc3339(a, since)));
    }
    json_object_set_new(o, "until", json_string(time_rfc3339(a, until)));
    return o;
}

struct bucket {
    int64_t issued, spent, expired, moved; /* moved: every kind, signed */
};

json_t *loyalty_series_json(struct store_conn *rd, int64_t since, int64_t until, int step_days,
                            struct arena *a, struct kt_err *err)
{
    const int64_t day_ms = 86400000;
    int64_t first = (since >= 0 ? since : 0) / day_ms, last = (until + day_ms - 1) / day_ms;
    int64_t n = (last - first + step_days - 1) / step_days;
    if (n < 1 || n > 400) {
        kt_err_set(err, KT_EBADREQ, "bad_parameter", "series",
                   "a series has 1 to 400 points: narrow since and until");
        return NULL;
    }
    struct loyalty_report before;
    struct loyalty_rules rules;
    struct ledger_day *d;
    size_t n_d;
    int64_t at;
    if (loyalty_program_get(rd, a, &rules, &at, err) != KT_OK ||
        store_loyalty_report(rd, INT64_MIN, first * day_ms, &before, err) != KT_OK ||
        store_ledger_daily(rd, first * day_ms, last * day_ms, a, &d, &n_d, err) != KT_OK) {
        return NULL;
    }
    struct bucket *b = arena_alloc(a, (size_t)n * sizeof(*b));
    memset(b, 0, (size_t)n * sizeof(*b));
    for (size_t i = 0; i < n_d; i++) {
        struct bucket *k = &b[(d[i].day - first) / step_days];
        k->moved += d[i].points;
        if (strcmp(d[i].kind, "earn") == 0 || strcmp(d[i].kind, "bonus") == 0) {
            k->issued += d[i].points;
        } else if (strcmp(d[i].kind, "spend") == 0) {
            k->spent -= d[i].points;
        } else if (strcmp(d[i].kind, "expire") == 0) {
            k->expired -= d[i].points;
        }
    }
    json_t *out = json_array();
    int64_t outstanding = before.outstanding;
    for (int64_t i = 0; i < n; i++) {
        outstanding += b[i].moved;
        json_array_append_new(
            out, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "since",
                           time_rfc3339(a, (first + i * step_days) * day_ms), "issued",
                           (json_int_t)b[i].issued, "spent", (json_int_t)b[i].spent, "expired",
                           (json_int_t)b[i].expired, "outstanding", (json_int_t)outstanding,
                           "liability", (json_int_t)(outstanding * rules.kopecks_per_point)));
    }
    return out;
}
