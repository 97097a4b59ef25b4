/*
 * purchases.c - POST /v1/purchases: a receipt from the cash desk or the web shop, with the points
 * it earns and spends (docs/loyalty.md). The store's receipt number makes retries safe: the same
 * receipt again gets the stored reply; a different receipt under the same number is a conflict.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "consent/consent.h"
#include "events/events.h"
#include "loyalty/cards.h"
#include "loyalty/program.h"
#include "loyalty/purchase.h"

/*
 * A receipt or a refund whose number was seen before (`found` is not KT_ENOTFOUND): the same
 * request again gets the stored reply (200, Idempotent-Replayed); a different one under that
 * number is a 409 `code`; a failed look-up is its error. Ends the write transaction.
 */
static void answer_again(struct http_req *r, struct store_conn *w, enum kt_rc found,
                         const struct kt_err *lookup, const unsigned char stored_hash[32],
                         const unsigned char hash[32], const char *stored_reply, const char *code,
                         const char *field, const char *msg)
{
    store_write_rollback(w);
    struct kt_err err;
    kt_err_reset(&err);
    if (found != KT_OK) {
        kt_err_copy(&err, lookup);
    } else if (sodium_memcmp(stored_hash, hash, 32) != 0) {
        kt_err_set(&err, KT_ECONFLICT, code, field, "%s", msg);
    } else {
        http_reply_json(r, 200, json_loads(stored_reply, 0, NULL));
        r->replayed = true;
        return;
    }
    http_reply_error(r, &err);
}

/* The customer the receipt names; KT_OK with *found false for an anonymous receipt. */
static enum kt_rc customer_of(struct http_req *r, struct store_conn *w,
                              const struct purchase_req *req, struct customer *cu, bool *found,
                              struct kt_err *err)
{
    *found = false;
    const char *kind = req->phone ? "phone" : req->card ? "card" : NULL;
    const char *raw = req->phone ? req->phone : req->card;
    enum kt_rc rc = KT_OK;
    if (req->customer_id != NULL) {
        struct kt_err e2;
        kt_err_reset(&e2);
        rc = id_valid(req->customer_id, "c_")
                 ? store_customer_get_by_id(w, req->customer_id, r->arena, cu, &e2)
                 : KT_ENOTFOUND;
        if (rc == KT_ENOTFOUND) {
            return kt_err_set(err, KT_EINVAL, "customer_not_found", "customer.id",
                              "no customer has that id; enrol them first");
        }
        if (rc != KT_OK) {
            return kt_err_copy(err, &e2);
        }
    } else if (kind != NULL) {
        const char *field = arena_printf(r->arena, "customer.%s", kind);
        const char *value;
        struct ident id;
        struct kt_err e2;
        kt_err_reset(&e2);
        rc = ident_value_clean(kind, raw, strlen(raw), r->arena, field, &value, err);
        if (rc == KT_OK && req->card != NULL) {
            rc = card_check(w, value, r->arena, err);
        }
        if (rc == KT_OK) {
            rc = store_ident_find(w, kind, value, r->arena, &id, &e2);
        }
        if (rc == KT_ENOTFOUND && req->card != NULL) {
            return kt_err_set(err, KT_EINVAL, "card_unknown", field,
                              "no customer has that card; enrol them first");
        }
        if (rc == KT_ENOTFOUND) {
            return kt_err_set(err, KT_EINVAL, "customer_not_found", field,
                              "no customer has that %s; enrol them first", kind);
        }
        if (rc == KT_OK) {
            rc = store_customer_get(w, id.ck, r->arena, cu, &e2);
        }
        if (rc != KT_OK) {
            return err->rc != KT_OK ? err->rc : kt_err_copy(err, &e2);
        }
    } else {
        return KT_OK;
    }
    rc = ident_live(cu, "customer", "the receipt can be posted without them", err);
    if (rc != KT_OK) {
        return rc;
    }
    *found = true;
    return KT_OK;
}

static json_t *reply_json(struct http_req *r, const char *id, const struct purchase_req *req,
                          const struct customer *cu, const struct loyalty_rules *rules,
                          const struct purchase_outcome *o)
{
    json_t *reply =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "purchase_id", id, "store", req->store_id,
                  "receipt", req->receipt, "at", api_time(r->arena, req->at), "total",
                  (json_int_t)req->total, "program_version", (json_int_t)rules->version);
    json_object_set_new(reply, "customer_id", cu ? json_string(cu->id) : json_null());
    if (cu != NULL) {
        json_t *pts = json_pack("{s:I, s:I, s:I, s:I}", "earned", (json_int_t)o->earned, "spent",
                                (json_int_t)o->spent, "available", (json_int_t)o->balance.available,
                                "pending", (json_int_t)o->balance.pending);
        if (o->earned > 0) {
            json_object_set_new(pts, "earned_available_at",
                                json_string(api_time(r->arena, o->earned_available_at)));
        }
        json_object_set_new(reply, "points", pts);
    }
    if (o->refused != NULL) {
        json_t *why =
            json_pack("{s:s, s:I}", "code", o->refused, "asked", (json_int_t)req->spend_points);
        if (o->missing != 0) {
            json_object_set_new(why, "missing", loyalty_gate_json(o->missing));
        }
        json_object_set_new(reply, "spend_refused", why);
    }
    return reply;
}

void api_purchases_post(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    struct purchase_req req;
    struct store_conn *w;
    if (body == NULL || purchase_decode(body, now, r->arena, &req, &err) != KT_OK) {
        goto fail;
    }
    struct purchase p;
    memset(&p, 0, sizeof(p));
    crypto_generichash(p.body_hash, 32, (const unsigned char *)r->body, r->body_len, NULL, 0);
    if (store_write_begin(r->app->store, &w, &err) != KT_OK) {
        goto fail;
    }
    struct purchase before;
    struct kt_err e2;
    kt_err_reset(&e2);
    enum kt_rc rc = store_purchase_find(w, req.store_id, req.receipt, r->arena, &before, &e2);
    if (rc != KT_ENOTFOUND) {
        answer_again(r, w, rc, &e2, before.body_hash, p.body_hash, before.reply, "receipt_conflict",
                     "receipt", "this store posted a different receipt under that number");
        return;
    }
    struct customer cu;
    bool has = false;
    struct loyalty_rules rules;
    struct purchase_outcome out;
    json_t *reply = NULL;
    int64_t at = 0;
    id_new(p.id, sizeof(p.id), "p_");
    rc = customer_of(r, w, &req, &cu, &has, &err);
    if (rc == KT_OK && has && req.anon_kind != NULL) { /* the shop's browser is this customer */
        const char *value;
        int64_t adopted;
        rc = ident_value_clean(req.anon_kind, req.anon_id, strlen(req.anon_id), r->arena,
                               arena_printf(r->arena, "customer.%s", req.anon_kind), &value, &err);
        if (rc == KT_OK) {
            rc = events_link(w, req.anon_kind, value, cu.ck, "web", now, &adopted, &err);
        }
    }
    if (rc == KT_OK) {
        rc = loyalty_program_get(w, r->arena, &rules, &at, &err);
    }
    if (rc == KT_OK) {
        rc = purchase_apply(w, &req, &rules, has ? &cu : NULL, p.id, r->key->id, r->rid, now,
                            r->arena, &out, &err);
    }
    if (rc == KT_OK) {
        reply = reply_json(r, p.id, &req, has ? &cu : NULL, &rules, &out);
        char *text = json_dumps(reply, JSON_COMPACT);
        p.store_id = req.store_id;
        p.receipt = req.receipt;
        p.ck = has ? cu.ck : 0;
        p.at = req.at;
        p.total = req.total;
        p.points_earned = out.earned;
        p.points_spent = out.spent;
        p.program_version = rules.version;
        p.reply = arena_strdup(r->arena, text);
        p.created_at = now;
        p.key_id = r->key->id;
        p.identified_by = !has                ? NULL
                          : req.customer_id   ? "id"
                          : req.phone != NULL ? "phone"
                                              : "card";
        free(text);
        rc = store_purchase_insert(w, &p, req.lines, req.n_lines, &err);
    }
    if (store_write_end(w, rc, &err) != KT_OK) {
        json_decref(reply);
        goto fail;
    }
    http_reply_json(r, 201, reply);
    return;
fail:
    http_reply_error(r, &err);
}

/* ---- POST /v1/loyalty/quote ---------------------------------------------------------------- */

void api_loyalty_quote(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    struct purchase_req req;
    struct store_conn *rd;
    struct customer cu;
    bool has = false;
    struct loyalty_rules rules;
    struct purchase_outcome out;
    int64_t at;
    if (body == NULL || purchase_decode(body, now, r->arena, &req, &err) != KT_OK) {
        goto fail;
    }
    req.quote = true;
    if (http_req_reader(r, &rd, &err) != KT_OK ||
        customer_of(r, rd, &req, &cu, &has, &err) != KT_OK ||
        loyalty_program_get(rd, r->arena, &rules, &at, &err) != KT_OK ||
        purchase_compute(rd, &req, &rules, has ? &cu : NULL, now, r->arena, &out, &err) != KT_OK) {
        goto fail;
    }
    json_t *o = json_pack("{s:I, s:I}", "total", (json_int_t)req.total, "program_version",
                          (json_int_t)rules.version);
    json_object_set_new(o, "customer_id", has ? json_string(cu.id) : json_null());
    if (has) {
        json_object_set_new(o, "available", json_integer(out.balance.available));
        json_object_set_new(o, "spendable", json_integer(out.spendable));
        json_object_set_new(o, "would_spend", json_integer(out.spent));
        json_object_set_new(o, "would_earn", json_integer(out.earned));
        if (out.missing != 0) {
            json_object_set_new(o, "missing", loyalty_gate_json(out.missing));
        }
        if (out.refused != NULL) {
            json_object_set_new(o, "spend_refused",
                                json_pack("{s:s, s:I}", "code", out.refused, "asked",
                                          (json_int_t)req.spend_points));
        }
    }
    http_reply_json(r, 200, o);
    return;
fail:
    http_reply_error(r, &err);
}

/* ---- POST /v1/purchases/{id}/refunds --------------------------------------------------------- */

static json_t *refund_reply(struct http_req *r, const struct purchase *p, const struct refund *rf,
                            const struct refund_line *l, size_t n, const struct points_balance *b)
{
    json_t *lines = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(lines, json_pack("{s:I, s:f, s:I}", "line", (json_int_t)l[i].n,
                                               "quantity", (double)l[i].quantity / 1000.0, "amount",
                                               (json_int_t)l[i].amount));
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "refund_id", rf->id, "purchase_id",
                          p->id, "refund", rf->number, "at", api_time(r->arena, rf->at), "amount",
                          (json_int_t)rf->amount, "lines", lines);
    if (p->ck != 0) {
        json_object_set_new(o, "points",
                            json_pack("{s:I, s:I, s:I, s:I, s:I}", "reversed",
                                      (json_int_t)rf->points_reversed, "returned",
                                      (json_int_t)rf->points_returned, "available",
                                      (json_int_t)b->available, "pending", (json_int_t)b->pending,
                                      "debt", (json_int_t)b->debt));
    }
    return o;
}

void api_refunds_post(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    struct refund_req req;
    struct store_conn *w;
    if (body == NULL || refund_decode(body, now, r->arena, &req, &err) != KT_OK) {
        goto fail;
    }
    if (!id_valid(r->params[0], "p_")) {
        kt_err_set(&err, KT_ENOTFOUND, "purchase_not_found", "id", "no such purchase");
        goto fail;
    }
    struct refund rf;
    unsigned char hash[32];
    crypto_generichash(hash, 32, (const unsigned char *)r->body, r->body_len, NULL, 0);
    if (store_write_begin(r->app->store, &w, &err) != KT_OK) {
        goto fail;
    }
    struct refund before;
    struct kt_err e2;
    kt_err_reset(&e2);
    enum kt_rc rc = store_refund_find(w, r->params[0], req.number, r->arena, &before, &e2);
    if (rc != KT_ENOTFOUND) {
        answer_again(r, w, rc, &e2, before.body_hash, hash, before.reply, "refund_conflict",
                     "refund", "a different refund of this receipt has that number");
        return;
    }
    struct purchase p;
    struct purchase_line *pl;
    size_t n_pl, n_rl = 0;
    struct refund_line *rl = NULL;
    struct loyalty_rules rules;
    struct points_balance after;
    json_t *reply = NULL;
    int64_t at;
    rc = store_purchase_get(w, r->params[0], r->arena, &p, &pl, &n_pl, &err);
    if (rc == KT_OK) {
        rc = refund_compute(&p, pl, n_pl, &req, now, r->arena, &rf, &rl, &n_rl, &err);
    }
    if (rc == KT_OK) {
        rc = loyalty_program_get(w, r->arena, &rules, &at, &err);
    }
    if (rc == KT_OK) {
        rc = refund_apply(w, &p, &rf, &rules, r->key->id, r->rid, now, r->arena, &after, &err);
    }
    if (rc == KT_OK) {
        id_new(rf.id, sizeof(rf.id), "r_");
        memcpy(rf.body_hash, hash, 32);
        rf.created_at = now;
        rf.key_id = r->key->id;
        reply = refund_reply(r, &p, &rf, rl, n_rl, &after);
        char *text = json_dumps(reply, JSON_COMPACT);
        rf.reply = arena_strdup(r->arena, text);
        free(text);
        rc = store_refund_insert(w, &rf, rl, n_rl, &err);
    }
    if (store_write_end(w, rc, &err) != KT_OK) {
        json_decref(reply);
        goto fail;
    }
    http_reply_json(r, 201, reply);
    return;
fail:
    http_reply_error(r, &err);
}

/* ---- GET /v1/purchases/{id}, GET /v1/customers/{id}/purchases ------------------------------ */

void api_purchase_get(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct purchase p;
    struct purchase_line *l;
    size_t n;
    if (!id_valid(r->params[0], "p_")) {
        kt_err_set(&err, KT_ENOTFOUND, "purchase_not_found", "id", "no such purchase");
    } else if (http_req_reader(r, &rd, &err) == KT_OK &&
               store_purchase_get(rd, r->params[0], r->arena, &p, &l, &n, &err) == KT_OK) {
        http_reply_json(r, 200, purchase_json(r->arena, rd, &p, l, n));
        return;
    }
    http_reply_error(r, &err);
}

void api_customer_purchases(struct http_req *r)
{
    static const char *const allowed[] = {"limit", "before", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct customer cu;
    struct purchase *p;
    size_t n;
    int limit;
    int64_t before = 0;
    const char *b = http_req_query(r, "before");
    if (http_req_query_only(r, allowed, &err) != KT_OK ||
        api_limit(r, 50, 500, &limit, &err) != KT_OK) {
        goto fail;
    }
    if (b != NULL && !time_parse_rfc3339(b, strlen(b), &before)) {
        kt_err_set(&err, KT_EINVAL, "bad_parameter", "before", "before is an RFC 3339 time");
        err.status = 400;
        goto fail;
    }
    if (http_req_reader(r, &rd, &err) != KT_OK || api_path_customer(r, rd, &cu, &err) != KT_OK ||
        store_purchase_list(rd, cu.ck, before, limit, r->arena, &p, &n, &err) != KT_OK) {
        goto fail;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, purchase_json(r->arena, NULL, &p[i], NULL, 0));
    }
    json_t *o = json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items);
    json_object_set_new(o, "next_before",
                        n == (size_t)limit ? json_string(api_time(r->arena, p[n - 1].at))
                                           : json_null());
    http_reply_json(r, 200, o);
    return;
fail:
    http_reply_error(r, &err);
}

/* ---- GET /v1/reports/loyalty ------------------------------------------------------------------
 */

void api_reports_loyalty(struct http_req *r)
{
    static const char *const allowed[] = {"since", "until", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    int64_t since = INT64_MIN, until = clock_now_ms() + 1;
    if (http_req_query_only(r, allowed, &err) != KT_OK ||
        api_since_until(r, &since, &until, &err) != KT_OK) {
        goto fail;
    }
    struct store_conn *rd;
    json_t *o;
    if (http_req_analytics(r, &rd, &err) != KT_OK ||
        (o = loyalty_report_doc(rd, since, until, r->arena, &err)) == NULL) {
        goto fail;
    }
    http_reply_json(r, 200, o);
    return;
fail:
    http_reply_error(r, &err);
}
