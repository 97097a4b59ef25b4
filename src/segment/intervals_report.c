/*
 * intervals_report.c - the learned intervals as reports a marketer reads on their own (GET
 * /v1/reports/replenishment: who runs out of what in the span; GET /v1/reports/lapsed: who stays
 * away longer than her habit), and the parsing of their asks, shared by the API and the CLI.
 * The computation is intervals.c's.
 */
#include <string.h>

#include "base/clock.h"
#include "base/tz.h"
#include "consent/consent.h"
#include "segment/intervals.h"

int64_t intervals_today(int64_t now)
{
    struct tz_local t;
    tz_local(tz_default(), now, &t);
    return t.days;
}

/* A whole number of at most 4 digits from lo to hi. */
static bool whole(const char *s, int lo, int hi, int *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 4 || strspn(s, "0123456789") != n) {
        return false;
    }
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        *out = *out * 10 + (s[i] - '0');
    }
    return *out >= lo && *out <= hi;
}

/* A factor "2", "1.5", "2.25" in hundredths, from 1 to 100. */
static bool hundredths(const char *s, int *out)
{
    int whole_digits = 0, frac = -1; /* digits after the point; -1 before it */
    *out = 0;
    for (; *s; s++) {
        if (*s == '.' && frac < 0 && whole_digits > 0) {
            frac = 0;
        } else if (*s < '0' || *s > '9' || frac == 2 || whole_digits > 3) {
            return false;
        } else {
            *out = *out * 10 + (*s - '0');
            if (frac < 0) {
                whole_digits++;
            } else {
                frac++;
            }
        }
    }
    if (whole_digits == 0 || frac == 0) {
        return false;
    }
    for (frac = frac < 0 ? 0 : frac; frac < 2; frac++) {
        *out *= 10;
    }
    return *out >= INTERVALS_FACTOR_MIN && *out <= INTERVALS_FACTOR_MAX;
}

enum kt_rc intervals_ask_parse(bool lapse, const char *by, const char *starting_on,
                               const char *days, const char *days_before, const char *factor,
                               int64_t today, struct intervals_ask *q, struct kt_err *err)
{
    int n_days = 7;
    *q = (struct intervals_ask){
        .by = lapse ? STORE_DAY_RECEIPT : STORE_DAY_SKU, .from = today, .factor_x100 = 200};
    const char *field = NULL;
    if (!lapse && by != NULL && strcmp(by, "sku") != 0) {
        q->by = STORE_DAY_CATEGORY;
        field = strcmp(by, "category") == 0 ? NULL : "by";
    }
    if (field == NULL && starting_on != NULL && !cal_parse(starting_on, &q->from)) {
        field = "starting_on";
    }
    if (field == NULL && days != NULL && !whole(days, 1, 366, &n_days)) {
        field = "days";
    }
    if (field == NULL && !lapse && days_before != NULL &&
        !whole(days_before, 0, INTERVALS_DAYS_BEFORE_MAX, &q->days_before)) {
        field = "days_before";
    }
    if (field == NULL && lapse && factor != NULL && !hundredths(factor, &q->factor_x100)) {
        field = "factor";
    }
    q->until = q->from + n_days;
    if (field == NULL) {
        return KT_OK;
    }
    return kt_err_set(err, KT_EBADREQ, "bad_parameter", field,
                      lapse ? "starting_on is a date YYYY-MM-DD; days is 1 to 366; factor is 1 "
                              "to 100 with at most two decimals"
                            : "by is sku or category; starting_on is a date YYYY-MM-DD; days is "
                              "1 to 366; days_before is 0 to 365");
}

json_t *intervals_report_doc(struct store_conn *rd, const struct intervals_ask *q, int64_t now,
                             struct arena *a, struct kt_err *err)
{
    bool lapse = q->by == STORE_DAY_RECEIPT;
    struct interval_due *d;
    size_t n;
    enum kt_rc rc =
        lapse ? intervals_lapse_due(rd, now, q->from, q->until, q->factor_x100, a, &d, &n, err)
              : intervals_replenish_due(rd, q->by, now, q->from, q->until, q->days_before, a, &d,
                                        &n, err);
    if (rc != KT_OK) {
        return NULL;
    }
    const char *key = q->by == STORE_DAY_SKU ? "sku" : "category";
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s}", "customer_id", d[i].customer_id,
                              "bought_on", cal_format(d[i].last_day, a), "days_bought",
                              (json_int_t)d[i].purchase_days, lapse ? "gap_days" : "interval_days",
                              (json_int_t)d[i].days, "basis", d[i].own ? "own" : "population");
        json_object_set_new(o, lapse ? "lapsed_on" : "due_on",
                            json_string(cal_format(d[i].due_day, a)));
        if (!lapse) {
            json_object_set_new(o, key, json_string(d[i].key));
        }
        json_array_append_new(items, o);
    }
    json_t *doc =
        json_pack("{s:s, s:s, s:I, s:I, s:o}", "as_of", time_rfc3339(a, now), "starting_on",
                  cal_format(q->from, a), "days", (json_int_t)(q->until - q->from), "count",
                  (json_int_t)n, "items", items);
    if (lapse) {
        json_object_set_new(doc, "factor", json_real(q->factor_x100 / 100.0));
    } else {
        json_object_set_new(doc, "by", json_string(key));
        json_object_set_new(doc, "days_before", json_integer(q->days_before));
    }
    return doc;
}
