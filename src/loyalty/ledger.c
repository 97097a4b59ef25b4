/*
 * ledger.c - balances from the append-only ledger, and manual adjustments.
 *
 * Credits (earn, bonus, refund_spend, positive adjust) are lots; debits (spend, expire,
 * refund_earn, negative adjust) consume the oldest spendable lots first (FIFO), so the lot that
 * expires next is the one left longest. A debit larger than what was spendable at its time is
 * debt (a refund after the points were spent): it is shown, never hidden in a negative lot.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/num.h"
#include "loyalty/ledger.h"

struct lot {
    int64_t left, available_at, expires_at;
    const char *purchase_id; /* earn: the receipt that earned it */
};

static bool live(const struct lot *l, int64_t t)
{
    return l->left > 0 && l->available_at <= t && (l->expires_at == 0 || l->expires_at > t);
}

void loyalty_balance(const struct ledger_entry *e, size_t n, int64_t now,
                     struct points_balance *out)
{
    memset(out, 0, sizeof(*out));
    struct lot *lots = calloc(n ? n : 1, sizeof(*lots));
    size_t n_lots = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].points > 0) {
            lots[n_lots++] = (struct lot){e[i].points, e[i].available_at, e[i].expires_at,
                                          strcmp(e[i].kind, "earn") == 0 ? e[i].purchase_id : NULL};
            continue;
        }
        int64_t need = -e[i].points;
        /* A refund takes back first what its own receipt earned, spendable yet or not. */
        for (size_t k = 0; k < n_lots && need > 0 && strcmp(e[i].kind, "refund_earn") == 0; k++) {
            if (lots[k].purchase_id != NULL && e[i].purchase_id != NULL &&
                strcmp(lots[k].purchase_id, e[i].purchase_id) == 0 && lots[k].left > 0 &&
                (lots[k].expires_at == 0 || lots[k].expires_at > e[i].at)) {
                int64_t take = lots[k].left < need ? lots[k].left : need;
                lots[k].left -= take;
                need -= take;
            }
        }
        /* Lots are in the order they were credited; with one hold period that is also the order
         * they become spendable and expire. */
        for (size_t k = 0; k < n_lots && need > 0; k++) {
            bool expired = lots[k].expires_at != 0 && lots[k].expires_at <= e[i].at;
            if (strcmp(e[i].kind, "expire") == 0 ? lots[k].left > 0 && expired
                                                 : live(&lots[k], e[i].at)) {
                int64_t take = lots[k].left < need ? lots[k].left : need;
                lots[k].left -= take;
                need -= take;
            }
        }
        out->debt += need;
    }
    for (size_t k = 0; k < n_lots; k++) {
        if (live(&lots[k], now)) {
            out->available += lots[k].left;
            if (lots[k].expires_at != 0 &&
                (out->next_expiry_at == 0 || lots[k].expires_at < out->next_expiry_at)) {
                out->next_expiry_at = lots[k].expires_at;
                out->next_expiry_points = 0;
            }
            if (lots[k].expires_at != 0 && lots[k].expires_at == out->next_expiry_at) {
                out->next_expiry_points += lots[k].left;
            }
        } else if (lots[k].left > 0 && lots[k].available_at > now) {
            out->pending += lots[k].left;
        } else if (lots[k].left > 0) {
            out->expired_unwritten += lots[k].left;
        }
    }
    /* Debt is paid from what is spendable first, then from what is in the hold: what is shown
     * pending is what the customer will get. */
    int64_t pay = out->debt < out->available ? out->debt : out->available;
    out->available -= pay;
    out->debt -= pay;
    pay = out->debt < out->pending ? out->debt : out->pending;
    out->pending -= pay;
    out->debt -= pay;
    free(lots);
}

int64_t loyalty_add_months(int64_t ms, int64_t months)
{
    int64_t day = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rest = ms - day * 86400000;
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    y = total / 12;
    m = (unsigned)(total % 12) + 1;
    while (d > 28 && !date_valid(y, m, d)) {
        d--; /* Jan 31 + 1 month = Feb 28 (or 29) */
    }
    return days_from_civil(y, m, d) * 86400000 + rest;
}

enum kt_rc loyalty_adjust(struct store_conn *w, int64_t ck, int64_t points, const char *reason,
                          const struct loyalty_rules *r, const char *key_id, const char *request_id,
                          int64_t now, struct arena *a, struct points_balance *after,
                          struct kt_err *err)
{
    struct ledger_entry *e;
    size_t n;
    enum kt_rc rc = store_ledger_list(w, ck, a, &e, &n, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct points_balance b;
    loyalty_balance(e, n, now, &b);
    if (points < 0 && -points > b.available) {
        return kt_err_set(err, KT_EINVAL, "insufficient_balance", "points",
                          "the customer has %lld points to take from", (long long)b.available);
    }
    struct ledger_entry ne = {
        0,
        ck,
        "adjust",
        points,
        now,
        now,
        points > 0 && r->expiry_months > 0 ? loyalty_add_months(now, r->expiry_months) : 0,
        NULL,
        r->version,
        reason,
        key_id,
        request_id};
    rc = store_ledger_add(w, &ne, err);
    if (rc == KT_OK) {
        rc = store_ledger_list(w, ck, a, &e, &n, err);
    }
    if (rc == KT_OK) {
        loyalty_balance(e, n, now, after);
    }
    return rc;
}

#define EXPIRY_BATCH 500

enum kt_rc loyalty_expire_due(struct store *s, int64_t now, int64_t *customers, int64_t *points,
                              struct kt_err *err)
{
    *customers = *points = 0;
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *c;
    const char *v = NULL;
    int64_t since = 0, after = 0;
    bool set = false;
    enum kt_rc rc = store_read_begin(s, &c, err);
    if (rc == KT_OK) {
        rc = store_meta_get(c, "expiry_done_until", &a, &v, &set, err);
        store_read_end(c);
        if (rc == KT_OK && (!set || !num_parse_cstr(v, INT64_MIN, INT64_MAX, &since))) {
            since = INT64_MIN;
        }
    }
    for (bool more = true; rc == KT_OK && more;) {
        int64_t *cks;
        size_t n;
        arena_release(&a);
        if ((rc = store_read_begin(s, &c, err)) != KT_OK) {
            break;
        }
        rc = store_ledger_expiring(c, since, now, after, EXPIRY_BATCH, &a, &cks, &n, err);
        store_read_end(c);
        more = rc == KT_OK && n == EXPIRY_BATCH;
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            after = cks[i];
            struct ledger_entry *e;
            size_t ne;
            struct points_balance b;
            if ((rc = store_write_begin(s, &c, err)) != KT_OK) {
                break;
            }
            rc = store_ledger_list(c, cks[i], &a, &e, &ne, err);
            if (rc == KT_OK) {
                loyalty_balance(e, ne, now, &b);
                if (b.expired_unwritten > 0) {
                    struct ledger_entry x = {0,   cks[i], "expire", -b.expired_unwritten,
                                             now, now,    0,        NULL,
                                             0,   NULL,   NULL,     NULL};
                    rc = store_ledger_add(c, &x, err);
                    *customers += rc == KT_OK;
                    *points += rc == KT_OK ? b.expired_unwritten : 0;
                }
            }
            rc = store_write_end(c, rc, err);
        }
    }
    if (rc == KT_OK && (rc = store_write_begin(s, &c, err)) == KT_OK) {
        rc = store_meta_put(c, "expiry_done_until", arena_printf(&a, "%lld", (long long)now), err);
        rc = store_write_end(c, rc, err);
    }
    arena_release(&a);
    return rc;
}

json_t *loyalty_balance_json(struct arena *a, const char *customer_id,
                             const struct points_balance *b)
{
    json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "customer_id", customer_id, "available",
                          (json_int_t)b->available, "pending", (json_int_t)b->pending, "debt",
                          (json_int_t)b->debt);
    json_object_set_new(o, "next_expiry",
                        b->next_expiry_at
                            ? json_pack("{s:s, s:I}", "at", time_rfc3339(a, b->next_expiry_at),
                                        "points", (json_int_t)b->next_expiry_points)
                            : json_null());
    return o;
}

json_t *loyalty_ledger_json(struct arena *a, const struct ledger_entry *e, size_t n)
{
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "kind", e[i].kind, "points",
                              (json_int_t)e[i].points, "at", time_rfc3339(a, e[i].at),
                              "available_at", time_rfc3339(a, e[i].available_at));
        json_object_set_new(o, "expires_at",
                            e[i].expires_at ? json_string(time_rfc3339(a, e[i].expires_at))
                                            : json_null());
        const char *names[] = {"purchase_id", "reason", "key_id"};
        const char *vals[] = {e[i].purchase_id, e[i].reason, e[i].key_id};
        for (size_t k = 0; k < 3; k++) {
            if (vals[k] != NULL) {
                json_object_set_new(o, names[k], json_string(vals[k]));
            }
        }
        if (e[i].program_version) {
            json_object_set_new(o, "program_version", json_integer(e[i].program_version));
        }
        json_array_append_new(items, o);
    }
    return items;
}
