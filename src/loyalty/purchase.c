/*
 * purchase.c - receipts (see purchase.h).
 *
 *   {"store": "S-12", "receipt": "000123", "at": "2026-11-24T10:00:00+03:00",
 *    "customer": {"phone": "+7 916 123-45-67"},          or {"card": ...} or {"id": "c_..."}
 *    "lines": [{"sku": "A-1", "name": "Молоко", "category": "Молочное", "quantity": 2,
 *               "price": 8990, "discount": 0, "amount": 17980}],
 *    "total": 17980, "spend_points": 50}
 *
 * Money in kopecks, as integers. Quantities may have up to three decimals (weighed goods) and are
 * kept in thousandths; a line's amount must be round(price x quantity) - discount.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"
#include "loyalty/bonus.h"
#include "loyalty/purchase.h"

#define DAY_MS    (86400LL * 1000)
#define TEXT_MAX  64
#define MONEY_MAX 100000000000LL /* a billion roubles */

static enum kt_rc bad(struct kt_err *err, struct arena *a, const char *field, const char *code,
                      const char *msg)
{
    return kt_err_set(err, KT_EINVAL, code, arena_strdup(a, field), "%s", msg);
}

enum kt_rc loyalty_quantity(const json_t *o, const char *path, const char *name, int64_t *milli,
                            struct kt_err *err)
{
    char field[sizeof(err->field)];
    jsonx_path(field, sizeof(field), path, name);
    const json_t *q = json_object_get(o, name);
    if (q == NULL || json_is_null(q)) {
        return kt_err_set(err, KT_EINVAL, "missing_field", field, "'%s' is required", field);
    }
    if (!json_is_number(q)) {
        return kt_err_set(err, KT_EINVAL, "wrong_type", field, "'%s' must be a number", field);
    }
    *milli = 0;
    if (json_is_integer(q) && json_integer_value(q) > 0 && json_integer_value(q) <= 1000000) {
        *milli = json_integer_value(q) * 1000;
    } else if (json_is_real(q) && json_real_value(q) > 0 && json_real_value(q) <= 1000000) {
        double m = json_real_value(q) * 1000;
        *milli = llround(m);
        if (fabs(m - (double)*milli) > 1e-6) {
            *milli = 0;
        }
    }
    if (*milli <= 0) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", field,
                          "'%s' must be more than zero and at most 1000000, with at most three "
                          "decimals",
                          field);
    }
    return KT_OK;
}

static enum kt_rc decode_line(const json_t *o, size_t i, struct arena *a, struct purchase_line *l,
                              struct kt_err *err)
{
    static const char *const known[] = {"sku",   "name",     "category", "quantity",
                                        "price", "discount", "amount",   NULL};
    const char *path = arena_printf(a, "lines[%zu]", i);
    memset(l, 0, sizeof(*l));
    if (json_only_members(o, known, path, a, err) != KT_OK ||
        jsonx_str(o, path, "sku", TEXT_MAX, JSONX_REQUIRED, a, &l->sku, err) != KT_OK ||
        jsonx_str(o, path, "name", TEXT_MAX, 0, a, &l->name, err) != KT_OK ||
        jsonx_str(o, path, "category", TEXT_MAX, 0, a, &l->category, err) != KT_OK ||
        jsonx_int(o, path, "price", 0, MONEY_MAX, JSONX_REQUIRED, &l->price, err) != KT_OK ||
        jsonx_int(o, path, "discount", 0, MONEY_MAX, 0, &l->discount, err) != KT_OK ||
        jsonx_int(o, path, "amount", 0, MONEY_MAX, JSONX_REQUIRED, &l->amount, err) != KT_OK ||
        loyalty_quantity(o, path, "quantity", &l->quantity, err) != KT_OK) {
        return err->rc;
    }
    /* price x quantity, rounded half up to the kopeck, less the discount */
    int64_t gross = (l->price * l->quantity + 500) / 1000;
    if (l->discount > gross) {
        return bad(err, a, arena_printf(a, "%s.discount", path), "invalid_value",
                   "the discount is larger than the line");
    }
    if (l->amount != gross - l->discount) {
        return kt_err_set(err, KT_EINVAL, "amount_mismatch", arena_printf(a, "%s.amount", path),
                          "the amount is %lld kopecks: price x quantity - discount",
                          (long long)(gross - l->discount));
    }
    return KT_OK;
}

enum kt_rc purchase_decode(const json_t *body, int64_t now, struct arena *a,
                           struct purchase_req *out, struct kt_err *err)
{
    static const char *const known[] = {"store", "receipt",      "at",          "customer", "lines",
                                        "total", "spend_points", "spend_exact", NULL};
    memset(out, 0, sizeof(*out));
    out->at = now;
    if (json_only_members(body, known, "", a, err) != KT_OK ||
        jsonx_str(body, "", "store", TEXT_MAX, JSONX_REQUIRED, a, &out->store_id, err) != KT_OK ||
        jsonx_str(body, "", "receipt", TEXT_MAX, JSONX_REQUIRED, a, &out->receipt, err) != KT_OK ||
        jsonx_time(body, "", "at", now, 0, &out->at, err) != KT_OK) {
        return err->rc;
    }
    static const char *const ck[] = {"phone", "card", "id", "cookie", "device", NULL};
    const json_t *c = NULL;
    if (jsonx_object(body, "", "customer", ck, 0, a, &c, err) != KT_OK) {
        return err->rc;
    }
    if (c != NULL) {
        const char *cookie = NULL, *device = NULL;
        if (jsonx_str(c, "customer", "phone", TEXT_MAX, 0, a, &out->phone, err) != KT_OK ||
            jsonx_str(c, "customer", "card", TEXT_MAX, 0, a, &out->card, err) != KT_OK ||
            jsonx_str(c, "customer", "id", TEXT_MAX, 0, a, &out->customer_id, err) != KT_OK ||
            jsonx_str(c, "customer", "cookie", TEXT_MAX, 0, a, &cookie, err) != KT_OK ||
            jsonx_str(c, "customer", "device", TEXT_MAX, 0, a, &device, err) != KT_OK) {
            return err->rc;
        }
        int named = (out->phone != NULL) + (out->card != NULL) + (out->customer_id != NULL);
        if (named != 1 || (cookie != NULL && device != NULL)) {
            return bad(err, a, "customer", "invalid_value",
                       "customer names one of phone, card or id (and perhaps a cookie or device)");
        }
        out->anon_kind = cookie ? "cookie" : device ? "device" : NULL;
        out->anon_id = cookie ? cookie : device;
    }
    const json_t *lines = NULL;
    if (jsonx_array(body, "", "lines", 1, PURCHASE_MAX_LINES, JSONX_REQUIRED, &lines, err) !=
        KT_OK) {
        return err->rc;
    }
    out->n_lines = json_array_size(lines);
    out->lines = arena_alloc(a, out->n_lines * sizeof(*out->lines));
    for (size_t i = 0; i < out->n_lines; i++) {
        enum kt_rc rc = decode_line(json_array_get(lines, i), i, a, &out->lines[i], err);
        if (rc != KT_OK) {
            return rc;
        }
        out->total += out->lines[i].amount;
    }
    int64_t total = out->total;
    if (jsonx_int(body, "", "total", 0, MONEY_MAX, 0, &total, err) != KT_OK ||
        jsonx_int(body, "", "spend_points", 0, MONEY_MAX, 0, &out->spend_points, err) != KT_OK ||
        jsonx_bool(body, "", "spend_exact", 0, &out->spend_exact, err) != KT_OK) {
        return err->rc;
    }
    if (total != out->total) {
        return kt_err_set(err, KT_EINVAL, "total_mismatch", "total",
                          "the lines add up to %lld kopecks", (long long)out->total);
    }
    if (out->spend_points > 0 && c == NULL) {
        return bad(err, a, "spend_points", "customer_required",
                   "points are spent by a customer: name them");
    }
    return KT_OK;
}

/* ---- points ------------------------------------------------------------------------------- */

static const struct {
    unsigned bit;
    const char *name;
} gate_names[] = {
    {GATE_PHONE_VERIFIED, "phone_verified"},
    {GATE_FIRST_NAME, "first_name"},
    {GATE_LAST_NAME, "last_name"},
    {GATE_BIRTH_DATE, "birth_date"},
    {GATE_EMAIL, "email"},
    {GATE_PD_CONSENT, "pd_consent"},
};

unsigned loyalty_gate_missing(const struct loyalty_rules *r, const struct customer *cu,
                              bool pd_given)
{
    unsigned have = 0;
    if (cu->val[PF_PHONE] != NULL && (cu->verified & (1u << PF_PHONE))) {
        have |= GATE_PHONE_VERIFIED;
    }
    have |= cu->val[PF_FIRST_NAME] ? GATE_FIRST_NAME : 0;
    have |= cu->val[PF_LAST_NAME] ? GATE_LAST_NAME : 0;
    have |= cu->val[PF_BIRTH_DATE] ? GATE_BIRTH_DATE : 0;
    have |= cu->val[PF_EMAIL] ? GATE_EMAIL : 0;
    have |= pd_given ? GATE_PD_CONSENT : 0;
    return r->gate & ~have;
}

json_t *loyalty_gate_json(unsigned bits)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof(gate_names) / sizeof(gate_names[0]); i++) {
        if (bits & gate_names[i].bit) {
            json_array_append_new(arr, json_string(gate_names[i].name));
        }
    }
    return arr;
}

enum kt_rc purchase_compute(struct store_conn *c, const struct purchase_req *req,
                            const struct loyalty_rules *r, const struct customer *cu, int64_t now,
                            struct arena *a, struct purchase_outcome *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    if (cu == NULL) {
        return KT_OK; /* an anonymous receipt: kept for statistics, no points */
    }
    struct ledger_entry *e;
    size_t n;
    enum kt_rc rc = store_ledger_list(c, cu->ck, a, &e, &n, err);
    if (rc != KT_OK) {
        return rc;
    }
    loyalty_balance(e, n, now, &out->balance);
    if (req->spend_points == 0 && !req->quote) { /* nothing to spend: no gate to look at */
        goto earn;
    }
    bool pd_given = false;
    if (r->gate & GATE_PD_CONSENT) {
        struct consent_state *cs;
        size_t n_cs;
        rc = consent_states(c, cu->ck, now, a, &cs, &n_cs, err);
        if (rc != KT_OK) {
            return rc;
        }
        pd_given = strcmp(consent_find(cs, n_cs, "pd_processing", "")->state, "given") == 0;
    }
    out->missing = loyalty_gate_missing(r, cu, pd_given);
    int64_t cap = loyalty_spend_cap(r, req->total);
    out->spendable = out->missing != 0              ? 0
                     : cap < out->balance.available ? cap
                                                    : out->balance.available;
    if (req->spend_points > 0) {
        out->spent = req->spend_points < out->spendable ? req->spend_points : out->spendable;
        if (out->missing != 0) {
            out->refused = "profile_incomplete";
        } else if (out->spent < req->spend_points) {
            out->refused = cap < out->balance.available ? "cap_exceeded" : "insufficient_balance";
        }
    }
earn:;
    /* Points are earned on what was paid in money: the lines' rate, scaled by the share not
     * paid with points. */
    struct loyalty_line *ll = arena_alloc(a, req->n_lines * sizeof(*ll));
    for (size_t i = 0; i < req->n_lines; i++) {
        ll[i] =
            (struct loyalty_line){req->lines[i].sku, req->lines[i].category, req->lines[i].amount};
    }
    int64_t paid = req->total - out->spent * r->kopecks_per_point;
    /* A receipt from before the programme started is history: kept, never earning. */
    out->earned =
        req->at < r->started_at ? 0 : loyalty_earn_share(r, ll, req->n_lines, paid, req->total);
    out->earned_available_at = out->earned > 0 ? req->at + r->hold_days * DAY_MS : 0;
    return KT_OK;
}

enum kt_rc purchase_apply(struct store_conn *w, const struct purchase_req *req,
                          const struct loyalty_rules *r, const struct customer *cu,
                          const char *purchase_id, const char *key_id, const char *request_id,
                          int64_t now, struct arena *a, struct purchase_outcome *out,
                          struct kt_err *err)
{
    enum kt_rc rc = purchase_compute(w, req, r, cu, now, a, out, err);
    if (rc != KT_OK || cu == NULL) {
        return rc;
    }
    if (req->spend_exact && out->refused != NULL) { /* all or nothing: nothing is written */
        if (out->missing != 0) {
            json_t *m = loyalty_gate_json(out->missing);
            char *names = json_dumps(m, JSON_COMPACT);
            json_decref(m);
            kt_err_set(err, KT_EINVAL, out->refused, "spend_points",
                       "points cannot be spent until the profile has %s", names);
            free(names);
            return KT_EINVAL;
        }
        return kt_err_set(err, KT_EINVAL, out->refused, "spend_points",
                          "at most %lld points can be spent on this receipt",
                          (long long)out->spendable);
    }
    if (out->spent > 0) {
        struct ledger_entry s = {0, cu->ck,      "spend",    -out->spent, now,    now,
                                 0, purchase_id, r->version, NULL,        key_id, request_id};
        rc = store_ledger_add(w, &s, err);
    }
    if (rc == KT_OK && out->earned > 0) {
        struct ledger_entry en = {
            0,
            cu->ck,
            "earn",
            out->earned,
            req->at,
            out->earned_available_at,
            r->expiry_months ? loyalty_add_months(out->earned_available_at, r->expiry_months) : 0,
            purchase_id,
            r->version,
            NULL,
            key_id,
            request_id};
        rc = store_ledger_add(w, &en, err);
    }
    if (rc == KT_OK && req->total - out->spent * r->kopecks_per_point > 0) {
        rc = loyalty_referral_reward(w, r, cu->ck, purchase_id, req->at, now, key_id, err);
    }
    struct ledger_entry *e;
    size_t n;
    if (rc == KT_OK) {
        rc = store_ledger_list(w, cu->ck, a, &e, &n, err);
    }
    if (rc == KT_OK) {
        loyalty_balance(e, n, now, &out->balance);
    }
    return rc;
}

json_t *purchase_json(struct arena *a, struct store_conn *c, const struct purchase *p,
                      const struct purchase_line *l, size_t n)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "id", p->id, "store",
        p->store_id, "receipt", p->receipt, "at", time_rfc3339(a, p->at), "total",
        (json_int_t)p->total, "refunded", (json_int_t)p->refunded, "points_earned",
        (json_int_t)p->points_earned, "points_spent", (json_int_t)p->points_spent,
        "points_reversed", (json_int_t)p->points_reversed, "points_returned",
        (json_int_t)p->points_returned, "program_version", (json_int_t)p->program_version);
    json_object_set_new(o, "identified_by",
                        p->identified_by ? json_string(p->identified_by) : json_null());
    if (c != NULL) { /* one purchase: whose, and its lines */
        struct customer cu;
        bool named = false; /* no customer, or none to be read: shown without */
        if (p->ck != 0 && store_customer_get(c, p->ck, a, &cu, &named, NULL) != KT_OK) {
            named = false;
        }
        json_object_set_new(o, "customer_id", named ? json_string(cu.id) : json_null());
        json_t *lines = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_pack(
                "{s:I, s:s, s:f, s:I, s:I, s:I, s:f, s:I}", "line", (json_int_t)i + 1, "sku",
                l[i].sku, "quantity", (double)l[i].quantity / 1000.0, "price",
                (json_int_t)l[i].price, "discount", (json_int_t)l[i].discount, "amount",
                (json_int_t)l[i].amount, "refunded_quantity", (double)l[i].refunded_qty / 1000.0,
                "refunded_amount", (json_int_t)l[i].refunded_amount);
            json_object_set_new(x, "name", l[i].name ? json_string(l[i].name) : json_null());
            json_object_set_new(x, "category",
                                l[i].category ? json_string(l[i].category) : json_null());
            json_array_append_new(lines, x);
        }
        json_object_set_new(o, "lines", lines);
    }
    return o;
}
