/*
 * purchases.c - POST /v1/purchases: a receipt from the cash desk or the web shop, with the points
 * it earns and spends (docs/loyalty.md); the quote at the cash desk; refunds; a purchase and a
 * customer's purchases; the programme's report. The store's receipt number makes retries safe:
 * the same receipt again gets the stored reply; a different receipt under the same number is a
 * conflict. The workflows are loyalty/receipt.c's; this file decodes, calls and replies.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/num.h"
#include "consent/consent.h"
#include "loyalty/ledger.h"
#include "loyalty/purchase.h"

/* 201 with the reply of a new receipt or refund; 200 with the stored one of a retry. A reply with
 * points shows the customer's balance: a read of customer `cid` (NULL when it could not be read:
 * the router then logs the read without them); one without points names nobody. */
static void reply_posted(struct http_req *r, struct receipt_posted *out, const char *cid)
{
    if (json_object_get(out->reply, "points") == NULL) {
        audit_nothing_read();
    } else if (cid != NULL) {
        api_audit_note(r, "read", cid, AUDIT_F_PURCHASES | AUDIT_F_POINTS);
    }
    r->replayed = out->replayed;
    http_reply_json(r, out->replayed ? 200 : 201, out->reply);
}

enum kt_rc api_purchases_post(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct purchase_req req;
    struct receipt_posted out;
    /* A receipt at one of a store key's stores is the customer's visit there: whoever it names
     * is that store's customer from then on (docs/privacy.md, "Roles and scopes"). */
    if (body == NULL || purchase_decode(body, now, r->arena, &req, err) != KT_OK ||
        api_store_allowed(r, req.store_id, "store", err) != KT_OK ||
        purchase_post(r->app->store, &req, r->body, r->body_len, r->key->id, r->rid, now, r->arena,
                      &out, err) != KT_OK) {
        return err->rc;
    }
    reply_posted(r, &out, json_string_value(json_object_get(out.reply, "customer_id")));
    return KT_OK;
}

/* ---- POST /v1/loyalty/quote ---------------------------------------------------------------- */

/* A quote names a customer a store key may not see: the refusal of a customer nobody has, word
 * for word (purchase_customer), so the key cannot tell them apart. */
static enum kt_rc quote_hidden(struct http_req *r, const struct purchase_quote *q,
                               const struct purchase_req *req, struct store_conn *rd,
                               struct kt_err *err)
{
    if (!q->has_customer || api_customer_visible(r, rd, q->customer.ck, NULL, err) == KT_OK) {
        return KT_OK;
    }
    if (err->rc != KT_ENOTFOUND) {
        return err->rc;
    }
    kt_err_reset(err);
    if (req->customer_id != NULL) {
        return kt_err_set(err, KT_EINVAL, "customer_not_found", "customer.id",
                          "no customer has that id; enrol them first");
    }
    if (req->card != NULL) {
        return kt_err_set(err, KT_EINVAL, "card_unknown", "customer.card",
                          "no customer has that card; enrol them first");
    }
    return kt_err_set(err, KT_EINVAL, "customer_not_found", "customer.phone",
                      "no customer has that phone; enrol them first");
}

enum kt_rc api_loyalty_quote(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct purchase_req req;
    struct store_conn *rd;
    struct purchase_quote q;
    if (body == NULL || purchase_decode(body, now, r->arena, &req, err) != KT_OK ||
        api_store_allowed(r, req.store_id, "store", err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK) {
        return err->rc;
    }
    if (purchase_quote(rd, &req, now, r->arena, &q, err) == KT_ELOCKED) {
        struct kt_err locked = *err; /* blocked (q.customer is them): told only to a key that */
        kt_err_reset(err);           /* may see them, another store's customer is nobody */
        q.has_customer = true;
        if (quote_hidden(r, &q, &req, rd, err) == KT_OK) {
            *err = locked;
        }
    }
    if (err->rc != KT_OK || quote_hidden(r, &q, &req, rd, err) != KT_OK) {
        return err->rc;
    }
    const struct purchase_outcome *out = &q.outcome;
    if (q.has_customer) {
        api_audit_note(r, "read", q.customer.id, AUDIT_F_POINTS);
    } else {
        audit_nothing_read();
    }
    json_t *o = json_pack("{s:I, s:I}", "total", (json_int_t)req.total, "program_version",
                          (json_int_t)q.rules.version);
    json_object_set_new(o, "customer_id",
                        q.has_customer ? json_string(q.customer.id) : json_null());
    if (q.has_customer) {
        json_object_set_new(o, "available", json_integer(out->balance.available));
        json_object_set_new(o, "spendable", json_integer(out->spendable));
        json_object_set_new(o, "would_spend", json_integer(out->spent));
        json_object_set_new(o, "would_earn", json_integer(out->earned));
        if (out->missing != 0) {
            json_object_set_new(o, "missing", loyalty_gate_json(out->missing));
        }
        if (out->refused != NULL) {
            json_object_set_new(o, "spend_refused",
                                json_pack("{s:s, s:I}", "code", out->refused, "asked",
                                          (json_int_t)req.spend_points));
        }
    }
    http_reply_json(r, 200, o);
    return KT_OK;
}

/* ---- POST /v1/purchases/{id}/refunds --------------------------------------------------------- */

/* A purchase of another store is, to a store key, a purchase that does not exist. */
static enum kt_rc not_own(struct http_req *r, const struct purchase *p, struct kt_err *err)
{
    if (keys_store_allowed(r->key, p->store_id)) {
        return KT_OK;
    }
    return kt_err_set(err, KT_ENOTFOUND, "purchase_not_found", NULL, "no such purchase");
}

/* For a store key: the purchase exists and is of one of its stores (the refund then reads it
 * again in its own transaction). */
static enum kt_rc purchase_own(struct http_req *r, const char *id, struct kt_err *err)
{
    struct store_conn *rd;
    struct purchase p;
    struct purchase_line *l;
    size_t n;
    if (r->key->stores == NULL) {
        return KT_OK;
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_purchase_get(rd, id, r->arena, &p, &l, &n, err) != KT_OK ||
        not_own(r, &p, err) != KT_OK) {
        return err->rc;
    }
    http_req_reader_end(r); /* the refund writes */
    return KT_OK;
}

/* The id of the purchase's customer, for the audit log of a refund's reply; NULL when none. */
static const char *purchase_customer_id(struct http_req *r, const char *purchase_id)
{
    struct store_conn *rd;
    struct purchase p;
    struct purchase_line *l;
    struct customer cu;
    size_t n;
    bool found = false;
    if (http_req_reader(r, &rd, NULL) != KT_OK ||
        store_purchase_get(rd, purchase_id, r->arena, &p, &l, &n, NULL) != KT_OK || p.ck == 0 ||
        store_customer_get(rd, p.ck, r->arena, &cu, &found, NULL) != KT_OK || !found) {
        return NULL;
    }
    return arena_strdup(r->arena, cu.id);
}

enum kt_rc api_refunds_post(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct refund_req req;
    struct receipt_posted out;
    if (body == NULL || refund_decode(body, now, r->arena, &req, err) != KT_OK) {
        return err->rc;
    }
    if (!id_valid(r->params[0], "p_")) {
        return kt_err_set(err, KT_ENOTFOUND, "purchase_not_found", "id", "no such purchase");
    }
    if (purchase_own(r, r->params[0], err) != KT_OK) {
        return err->rc;
    }
    if (refund_post(r->app->store, r->params[0], &req, r->body, r->body_len, r->key->id, r->rid,
                    now, r->arena, &out, err) != KT_OK) {
        return err->rc;
    }
    reply_posted(r, &out, purchase_customer_id(r, r->params[0]));
    return KT_OK;
}

/* ---- GET /v1/purchases/{id}, GET /v1/customers/{id}/purchases ------------------------------ */

/* The page position of a customer's purchases: "<time> <id>" of the last one shown. */
static enum kt_rc purchases_cursor(struct http_req *r, const char *customer_id, int64_t *at,
                                   const char **id, struct kt_err *err)
{
    const char *pos, *sp;
    *id = NULL;
    if (api_cursor(r, "purchases", customer_id, &pos, err) != KT_OK) {
        return err->rc;
    }
    if (pos == NULL) {
        return KT_OK;
    }
    if ((sp = strchr(pos, ' ')) == NULL ||
        !num_parse_i64(pos, (size_t)(sp - pos), INT64_MIN, INT64_MAX, at) ||
        !id_valid(sp + 1, "p_")) {
        return api_bad_cursor(err);
    }
    *id = sp + 1;
    return KT_OK;
}

enum kt_rc api_purchase_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct purchase p;
    struct purchase_line *l;
    size_t n;
    if (!id_valid(r->params[0], "p_")) {
        return kt_err_set(err, KT_ENOTFOUND, "purchase_not_found", "id", "no such purchase");
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_purchase_get(rd, r->params[0], r->arena, &p, &l, &n, err) != KT_OK ||
        not_own(r, &p, err) != KT_OK) {
        return err->rc;
    }
    if (p.ck != 0 && api_unblocked_for(r, rd, &(struct customer){.ck = p.ck}, "id", err) != KT_OK) {
        return err->rc; /* a blocked customer's receipt is their data too */
    }
    json_t *o = purchase_json(r->arena, rd, &p, l, n);
    const char *cid = json_string_value(json_object_get(o, "customer_id"));
    if (cid != NULL) {
        api_audit_note(r, "read", cid, AUDIT_F_PURCHASES);
    } else {
        audit_nothing_read();
    }
    http_reply_json(r, 200, o);
    return KT_OK;
}

enum kt_rc api_customer_purchases(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    struct store_conn *rd;
    struct customer cu;
    struct purchase *p;
    size_t n;
    int limit;
    int64_t before_at = 0;
    const char *before_id;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 50, 500, &limit, err) != KT_OK) {
        return err->rc;
    }
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        purchases_cursor(r, cu.id, &before_at, &before_id, err) != KT_OK ||
        store_purchase_list(rd, cu.ck, before_at, before_id, limit, r->arena, &p, &n, err) !=
            KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, purchase_json(r->arena, NULL, &p[i], NULL, 0));
    }
    json_t *o = json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items);
    api_audit_note(r, "read", cu.id, AUDIT_F_PURCHASES);
    json_object_set_new(
        o, "next_cursor",
        api_next_cursor(r, "purchases", cu.id,
                        n == (size_t)limit
                            ? arena_printf(r->arena, "%lld %s", (long long)p[n - 1].at, p[n - 1].id)
                            : NULL));
    http_reply_json(r, 200, o);
    return KT_OK;
}

/* ---- GET /v1/reports/loyalty ------------------------------------------------------------------
 */

enum kt_rc api_reports_loyalty(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"since", "until", "series", NULL};
    int64_t since = INT64_MIN, until = clock_now_ms() + 1;
    const char *series = http_req_query(r, "series");
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_since_until(r, &since, &until, err) != KT_OK) {
        return err->rc;
    }
    int step = series == NULL                ? 0
               : strcmp(series, "day") == 0  ? 1
               : strcmp(series, "week") == 0 ? 7
                                             : -1;
    if (step < 0) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "series", "series is day or week");
    }
    if (step > 0 && since == INT64_MIN) { /* a series of the last 90 days by default */
        since = until - 90 * 86400000LL;
    }
    struct store_conn *rd;
    json_t *o, *s = NULL;
    if (http_req_analytics(r, &rd, err) != KT_OK ||
        (step > 0 && (s = loyalty_series_json(rd, since, until, step, r->arena, err)) == NULL) ||
        (o = loyalty_report_doc(rd, since, until, r->arena, err)) == NULL) {
        json_decref(s);
        return err->rc;
    }
    if (s != NULL) {
        json_object_set_new(o, "series", s);
    }
    http_reply_json(r, 200, o);
    return KT_OK;
}
