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
#include "loyalty/program.h"
#include "loyalty/purchase.h"

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
        if (rc == KT_OK) {
            rc = store_ident_find(w, kind, value, r->arena, &id, &e2);
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
    if (cu->erased_at != 0) {
        kt_err_set(err, KT_ECONFLICT, "customer_erased", "customer",
                   "the customer was erased; the receipt can be posted without them");
        err->status = 410;
        return KT_ECONFLICT;
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
    if (rc == KT_OK) { /* a retry, or another receipt under the same number */
        store_write_rollback(w);
        if (sodium_memcmp(before.body_hash, p.body_hash, 32) != 0) {
            kt_err_set(&err, KT_ECONFLICT, "receipt_conflict", "receipt",
                       "this store posted a different receipt under that number");
            goto fail;
        }
        http_reply_json(r, 200, json_loads(before.reply, 0, NULL));
        r->replayed = true;
        return;
    }
    if (rc != KT_ENOTFOUND) {
        kt_err_copy(&err, &e2);
        store_write_rollback(w);
        goto fail;
    }
    struct customer cu;
    bool has = false;
    struct loyalty_rules rules;
    struct purchase_outcome out;
    json_t *reply = NULL;
    int64_t at = 0;
    id_new(p.id, sizeof(p.id), "p_");
    rc = customer_of(r, w, &req, &cu, &has, &err);
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
