/*
 * refund.c - returns of a receipt's lines (see purchase.h).
 *
 *   {"refund": "R-000123", "at": "2026-11-25T12:00:00+03:00",
 *    "lines": [{"line": 1, "quantity": 1}, {"line": 3, "quantity": 0.25}]}
 *
 * Lines are named by their place in the receipt, from 1. Quantities as in a receipt (up to three
 * decimals). Without "lines" everything not yet refunded goes back.
 */
#include <string.h>

#include "base/clock.h"
#include "base/jsonx.h"
#include "loyalty/purchase.h"

static enum kt_rc bad(struct kt_err *err, struct arena *a, const char *field, const char *code,
                      const char *msg)
{
    return kt_err_set(err, KT_EINVAL, code, arena_strdup(a, field), "%s", msg);
}

enum kt_rc refund_decode(const json_t *body, int64_t now, struct arena *a, struct refund_req *out,
                         struct kt_err *err)
{
    static const char *const known[] = {"refund", "at", "lines", NULL};
    memset(out, 0, sizeof(*out));
    out->at = now;
    const json_t *lines = NULL;
    if (json_only_members(body, known, "", a, err) != KT_OK ||
        jsonx_str(body, "", "refund", 64, JSONX_REQUIRED, a, &out->number, err) != KT_OK ||
        jsonx_time(body, "", "at", now, 0, &out->at, err) != KT_OK ||
        jsonx_array(body, "", "lines", 1, PURCHASE_MAX_LINES, 0, &lines, err) != KT_OK) {
        return err->rc;
    }
    if (lines == NULL) {
        return KT_OK;
    }
    out->n_lines = json_array_size(lines);
    out->lines = arena_alloc(a, out->n_lines * sizeof(*out->lines));
    for (size_t i = 0; i < out->n_lines; i++) {
        static const char *const lk[] = {"line", "quantity", NULL};
        const json_t *o = json_array_get(lines, i);
        const char *path = arena_printf(a, "lines[%zu]", i);
        int64_t n, milli;
        if (json_only_members(o, lk, path, a, err) != KT_OK ||
            jsonx_int(o, path, "line", 1, PURCHASE_MAX_LINES, JSONX_REQUIRED, &n, err) != KT_OK ||
            loyalty_quantity(o, path, "quantity", &milli, err) != KT_OK) {
            return err->rc;
        }
        for (size_t k = 0; k < i; k++) {
            if (out->lines[k].n == n) {
                return bad(err, a, arena_printf(a, "%s.line", path), "duplicate_line",
                           "each line is named once in a refund");
            }
        }
        out->lines[i] = (struct refund_line){n, milli, 0};
    }
    return KT_OK;
}

/* floor(x * num / den) without overflow; den > 0. */
static int64_t share(int64_t x, int64_t num, int64_t den)
{
    return (int64_t)((__int128)x * num / den);
}

enum kt_rc refund_compute(const struct purchase *p, const struct purchase_line *pl, size_t n,
                          const struct refund_req *req, int64_t now, struct arena *a,
                          struct refund *out, struct refund_line **lines, size_t *n_lines,
                          struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    (void)now;
    if (req->at < p->at) {
        return bad(err, a, "at", "time_before_purchase", "a refund comes after its purchase");
    }
    struct refund_line *l;
    size_t k = 0;
    if (req->lines == NULL) { /* the rest of every line */
        l = arena_alloc(a, (n ? n : 1) * sizeof(*l));
        for (size_t i = 0; i < n; i++) {
            if (pl[i].quantity > pl[i].refunded_qty) {
                l[k++] =
                    (struct refund_line){(int64_t)i + 1, pl[i].quantity - pl[i].refunded_qty, 0};
            }
        }
        if (k == 0) {
            return kt_err_set(err, KT_ECONFLICT, "nothing_to_refund", NULL,
                              "every line of this receipt was refunded already");
        }
    } else {
        l = arena_alloc(a, req->n_lines * sizeof(*l));
        memcpy(l, req->lines, req->n_lines * sizeof(*l));
        k = req->n_lines;
    }
    for (size_t i = 0; i < k; i++) {
        const char *path = arena_printf(a, "lines[%zu]", i);
        if (l[i].n > (int64_t)n) {
            return kt_err_set(err, KT_EINVAL, "line_not_found", arena_printf(a, "%s.line", path),
                              "the receipt has %zu lines", n);
        }
        const struct purchase_line *b = &pl[l[i].n - 1];
        int64_t left = b->quantity - b->refunded_qty;
        if (l[i].quantity > left) {
            return kt_err_set(err, KT_EINVAL, "refund_exceeds_purchase",
                              arena_printf(a, "%s.quantity", path),
                              "%lld.%03lld of this line are left to refund",
                              (long long)(left / 1000), (long long)(left % 1000));
        }
        l[i].amount =
            l[i].quantity == left
                ? b->amount - b->refunded_amount
                : (int64_t)(((__int128)b->amount * l[i].quantity + b->quantity / 2) / b->quantity);
        if (l[i].amount > b->amount - b->refunded_amount) {
            l[i].amount = b->amount - b->refunded_amount;
        }
        out->amount += l[i].amount;
    }
    out->purchase_id = p->id;
    out->number = req->number;
    out->at = req->at;
    if (p->total > 0) {
        int64_t done = p->refunded + out->amount;
        out->points_reversed = share(p->points_earned, done, p->total) - p->points_reversed;
        out->points_returned = share(p->points_spent, done, p->total) - p->points_returned;
    }
    *lines = l;
    *n_lines = k;
    return KT_OK;
}

enum kt_rc refund_apply(struct store_conn *w, const struct purchase *p, const struct refund *rf,
                        const struct loyalty_rules *r, const char *key_id, const char *request_id,
                        int64_t now, struct arena *a, struct points_balance *after,
                        struct kt_err *err)
{
    memset(after, 0, sizeof(*after));
    if (p->ck == 0) {
        return KT_OK; /* an anonymous receipt: no points either way */
    }
    enum kt_rc rc = KT_OK;
    if (rf->points_reversed > 0) {
        struct ledger_entry e = {0,      p->ck,     "refund_earn", -rf->points_reversed, now,
                                 now,    0,         p->id,         r->version,           NULL,
                                 key_id, request_id};
        rc = store_ledger_add(w, &e, err);
    }
    if (rc == KT_OK && rf->points_returned > 0) {
        struct ledger_entry e = {0,
                                 p->ck,
                                 "refund_spend",
                                 rf->points_returned,
                                 now,
                                 now,
                                 r->expiry_months ? loyalty_add_months(now, r->expiry_months) : 0,
                                 p->id,
                                 r->version,
                                 NULL,
                                 key_id,
                                 request_id};
        rc = store_ledger_add(w, &e, err);
    }
    struct ledger_entry *e;
    size_t n;
    if (rc == KT_OK) {
        rc = store_ledger_list(w, p->ck, a, &e, &n, err);
    }
    if (rc == KT_OK) {
        loyalty_balance(e, n, now, after);
    }
    return rc;
}
