/*
 * receipt.c - a receipt and a refund posted, each in one write transaction (docs/loyalty.md):
 * POST /v1/purchases, POST /v1/purchases/{id}/refunds, and the quote at the cash desk.
 *
 * A receipt names its customer by id, phone or card, or nobody; a web shop's receipt may carry
 * the browser's cookie (or an app's device id), which then becomes the customer's and brings the
 * browser's anonymous events along (events_link: receipts depend on events, never the other way).
 * The reply is built inside the transaction and stored with the receipt: the store's receipt
 * number makes a retry safe - the same receipt again gets the stored reply, a different receipt
 * under the same number is a conflict. Refunds work the same way under the refund's number.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/id.h"
#include "events/events.h"
#include "identity/identity.h"
#include "loyalty/cards.h"
#include "loyalty/program.h"
#include "loyalty/purchase.h"

/*
 * A receipt or a refund whose number was seen before: the same document again gets the stored
 * reply (`replayed`); a different one under that number is a KT_ECONFLICT `code`.
 */
static enum kt_rc seen_before(const unsigned char stored_hash[32], const unsigned char hash[32],
                              const char *stored_reply, const char *code, const char *field,
                              const char *msg, struct receipt_posted *out, struct kt_err *err)
{
    if (sodium_memcmp(stored_hash, hash, 32) != 0) {
        return kt_err_set(err, KT_ECONFLICT, code, field, "%s", msg);
    }
    out->reply = json_loads(stored_reply, 0, NULL);
    out->replayed = true;
    return KT_OK;
}

/* The customer a receipt names by phone or card (`kind`), at `field`. */
static enum kt_rc customer_by(struct store_conn *c, const struct purchase_req *req,
                              const char *kind, struct arena *a, struct customer *cu,
                              struct kt_err *err)
{
    const char *raw = req->phone ? req->phone : req->card;
    const char *field = arena_printf(a, "customer.%s", kind);
    const char *value;
    struct ident id;
    bool held = false;
    enum kt_rc rc = ident_value_clean(kind, raw, strlen(raw), a, field, &value, err);
    if (rc == KT_OK && req->card != NULL) {
        rc = card_check(c, value, a, err);
    }
    if (rc == KT_OK) {
        rc = store_ident_find(c, kind, value, a, &id, &held, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (!held && req->card != NULL) {
        return kt_err_set(err, KT_EINVAL, "card_unknown", field,
                          "no customer has that card; enrol them first");
    }
    if (!held) {
        return kt_err_set(err, KT_EINVAL, "customer_not_found", field,
                          "no customer has that %s; enrol them first", kind);
    }
    return store_customer_get(c, id.ck, a, cu, NULL, err);
}

enum kt_rc purchase_customer(struct store_conn *c, const struct purchase_req *req, struct arena *a,
                             struct customer *cu, bool *found, struct kt_err *err)
{
    *found = false;
    const char *kind = req->phone ? "phone" : req->card ? "card" : NULL;
    enum kt_rc rc = KT_OK;
    if (req->customer_id != NULL) {
        bool known = false;
        if (id_valid(req->customer_id, "c_")) {
            rc = store_customer_get_by_id(c, req->customer_id, a, cu, &known, err);
        }
        if (rc != KT_OK) {
            return rc;
        }
        if (!known) {
            return kt_err_set(err, KT_EINVAL, "customer_not_found", "customer.id",
                              "no customer has that id; enrol them first");
        }
    } else if (kind != NULL) {
        rc = customer_by(c, req, kind, a, cu, err);
        if (rc != KT_OK) {
            return rc;
        }
    } else {
        return KT_OK;
    }
    rc = ident_live(cu, "customer", "the receipt can be posted without them", err);
    if (rc == KT_OK) { /* no earning nor spending: the points are the customer's data in use */
        rc = ident_unblocked(c, cu, "customer", "the receipt can be posted without them", err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    *found = true;
    return KT_OK;
}

/* The shop's browser (or the app's device) is this customer. */
static enum kt_rc link_browser(struct store_conn *w, const struct purchase_req *req, int64_t ck,
                               int64_t now, struct arena *a, struct kt_err *err)
{
    const char *value;
    int64_t adopted;
    enum kt_rc rc = ident_value_clean(req->anon_kind, req->anon_id, strlen(req->anon_id), a,
                                      arena_printf(a, "customer.%s", req->anon_kind), &value, err);
    if (rc == KT_OK) {
        rc = events_link(w, req->anon_kind, value, ck, "web", now, &adopted, NULL, err);
    }
    return rc;
}

/* The reply to a posted receipt: the document stored with it (new reference). */
static json_t *purchase_reply_json(struct arena *a, const char *id, const struct purchase_req *req,
                                   const struct customer *cu, const struct loyalty_rules *rules,
                                   const struct purchase_outcome *o)
{
    json_t *reply =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "store", req->store_id, "receipt",
                  req->receipt, "at", time_rfc3339(a, req->at), "total", (json_int_t)req->total,
                  "program_version", (json_int_t)rules->version);
    json_object_set_new(reply, "customer_id", cu ? json_string(cu->id) : json_null());
    if (cu != NULL) {
        json_t *pts = json_pack("{s:I, s:I, s:I, s:I}", "earned", (json_int_t)o->earned, "spent",
                                (json_int_t)o->spent, "available", (json_int_t)o->balance.available,
                                "pending", (json_int_t)o->balance.pending);
        if (o->earned > 0) {
            json_object_set_new(pts, "earned_available_at",
                                json_string(time_rfc3339(a, o->earned_available_at)));
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

/* A new receipt in the write transaction: its customer, the browser linked, the points, the
 * record with its reply. */
static enum kt_rc purchase_record(struct store_conn *w, const struct purchase_req *req,
                                  const char *key_id, const char *request_id, int64_t now,
                                  struct arena *a, struct purchase *p, json_t **reply,
                                  struct kt_err *err)
{
    struct customer cu;
    bool has = false;
    struct loyalty_rules rules;
    struct purchase_outcome out;
    int64_t at = 0;
    id_new(p->id, sizeof(p->id), "p_");
    enum kt_rc rc = purchase_customer(w, req, a, &cu, &has, err);
    if (rc == KT_OK && has) { /* their points are read and written only under their claim */
        rc = store_write_claim(w, STORE_CLAIM_CUSTOMER, &cu.ck, sizeof(cu.ck), err);
    }
    if (rc == KT_OK && has && req->anon_kind != NULL) {
        rc = link_browser(w, req, cu.ck, now, a, err);
    }
    if (rc == KT_OK) {
        rc = loyalty_program_get(w, a, &rules, &at, err);
    }
    if (rc == KT_OK) {
        rc = purchase_apply(w, req, &rules, has ? &cu : NULL, p->id, key_id, request_id, now, a,
                            &out, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    *reply = purchase_reply_json(a, p->id, req, has ? &cu : NULL, &rules, &out);
    char *text = json_dumps(*reply, JSON_COMPACT);
    p->store_id = req->store_id;
    p->receipt = req->receipt;
    p->ck = has ? cu.ck : 0;
    p->at = req->at;
    p->total = req->total;
    p->points_earned = out.earned;
    p->points_spent = out.spent;
    p->program_version = rules.version;
    p->reply = arena_strdup(a, text);
    p->created_at = now;
    p->key_id = key_id;
    p->identified_by = !has                 ? NULL
                       : req->customer_id   ? "id"
                       : req->phone != NULL ? "phone"
                                            : "card";
    free(text);
    return store_purchase_insert(w, p, req->lines, req->n_lines, err);
}

enum kt_rc purchase_post(struct store *s, const struct purchase_req *req, const void *body,
                         size_t len, const char *key_id, const char *request_id, int64_t now,
                         struct arena *a, struct receipt_posted *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct purchase p;
    memset(&p, 0, sizeof(p));
    crypto_generichash(p.body_hash, 32, body, len, NULL, 0);
    /* A receipt touches its number, its customer's points and its own rows: a narrow write,
     * which runs beside the other tills' on PostgreSQL. One that links a browser adopts the
     * browser's history from another profile, so it takes the writers' lock whole. */
    struct store_conn *w;
    enum kt_rc rc = req->anon_kind == NULL ? store_write_begin_narrow(s, &w, err)
                                           : store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    const char *number = arena_printf(a, "%s%c%s", req->store_id, 0, req->receipt);
    rc = store_write_claim(w, STORE_CLAIM_RECEIPT, number,
                           strlen(req->store_id) + 1 + strlen(req->receipt), err);
    if (rc != KT_OK) {
        store_write_rollback(w);
        return rc;
    }
    struct purchase before;
    bool seen;
    rc = store_purchase_find(w, req->store_id, req->receipt, a, &before, &seen, err);
    if (rc != KT_OK || seen) {
        store_write_rollback(w);
        return rc != KT_OK ? rc
                           : seen_before(before.body_hash, p.body_hash, before.reply,
                                         "receipt_conflict", "receipt",
                                         "this store posted a different receipt under that number",
                                         out, err);
    }
    rc = purchase_record(w, req, key_id, request_id, now, a, &p, &out->reply, err);
    rc = store_write_end(w, rc, err);
    if (rc != KT_OK) {
        json_decref(out->reply);
        out->reply = NULL;
    }
    return rc;
}

enum kt_rc purchase_quote(struct store_conn *c, const struct purchase_req *req, int64_t now,
                          struct arena *a, struct purchase_quote *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct purchase_req q = *req;
    q.quote = true; /* what could be spent is worked out even when nothing is asked */
    int64_t at;
    if (purchase_customer(c, &q, a, &out->customer, &out->has_customer, err) != KT_OK ||
        loyalty_program_get(c, a, &out->rules, &at, err) != KT_OK) {
        return err->rc;
    }
    return purchase_compute(c, &q, &out->rules, out->has_customer ? &out->customer : NULL, now, a,
                            &out->outcome, err);
}

/* ---- refunds --------------------------------------------------------------------------------- */

/* The reply to a posted refund: the document stored with it (new reference). */
static json_t *refund_reply_json(struct arena *a, const struct purchase *p, const struct refund *rf,
                                 const struct refund_line *l, size_t n,
                                 const struct points_balance *b)
{
    json_t *lines = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(lines, json_pack("{s:I, s:f, s:I}", "line", (json_int_t)l[i].n,
                                               "quantity", (double)l[i].quantity / 1000.0, "amount",
                                               (json_int_t)l[i].amount));
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "id", rf->id, "purchase_id", p->id,
                          "refund", rf->number, "at", time_rfc3339(a, rf->at), "amount",
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

/* A new refund of purchase `purchase_id` in the write transaction: what it gives back, the
 * points, the record with its reply. */
static enum kt_rc refund_record(struct store_conn *w, const char *purchase_id,
                                const struct refund_req *req, const unsigned char hash[32],
                                const char *key_id, const char *request_id, int64_t now,
                                struct arena *a, json_t **reply, struct kt_err *err)
{
    struct refund rf;
    struct purchase p;
    struct purchase_line *pl;
    size_t n_pl, n_rl = 0;
    struct refund_line *rl = NULL;
    struct loyalty_rules rules;
    struct points_balance after;
    int64_t at;
    enum kt_rc rc = store_purchase_get(w, purchase_id, a, &p, &pl, &n_pl, err);
    if (rc == KT_OK && p.ck != 0) {
        rc = store_write_claim(w, STORE_CLAIM_CUSTOMER, &p.ck, sizeof(p.ck), err);
    }
    if (rc == KT_OK) {
        rc = refund_compute(&p, pl, n_pl, req, now, a, &rf, &rl, &n_rl, err);
    }
    if (rc == KT_OK) {
        rc = loyalty_program_get(w, a, &rules, &at, err);
    }
    if (rc == KT_OK) {
        rc = refund_apply(w, &p, &rf, &rules, key_id, request_id, now, a, &after, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    id_new(rf.id, sizeof(rf.id), "r_");
    memcpy(rf.body_hash, hash, 32);
    rf.created_at = now;
    rf.key_id = key_id;
    *reply = refund_reply_json(a, &p, &rf, rl, n_rl, &after);
    char *text = json_dumps(*reply, JSON_COMPACT);
    rf.reply = arena_strdup(a, text);
    free(text);
    return store_refund_insert(w, &rf, rl, n_rl, err);
}

enum kt_rc refund_post(struct store *s, const char *purchase_id, const struct refund_req *req,
                       const void *body, size_t len, const char *key_id, const char *request_id,
                       int64_t now, struct arena *a, struct receipt_posted *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    unsigned char hash[32];
    crypto_generichash(hash, 32, body, len, NULL, 0);
    struct store_conn *w; /* narrow: the purchase's refunds (its claim), its customer's points */
    enum kt_rc rc = store_write_begin_narrow(s, &w, err);
    if (rc == KT_OK) {
        rc = store_write_claim(w, STORE_CLAIM_RECEIPT, purchase_id, strlen(purchase_id), err);
        if (rc != KT_OK) {
            store_write_rollback(w);
        }
    }
    if (rc != KT_OK) {
        return rc;
    }
    struct refund before;
    bool seen;
    rc = store_refund_find(w, purchase_id, req->number, a, &before, &seen, err);
    if (rc != KT_OK || seen) {
        store_write_rollback(w);
        return rc != KT_OK
                   ? rc
                   : seen_before(before.body_hash, hash, before.reply, "refund_conflict", "refund",
                                 "a different refund of this receipt has that number", out, err);
    }
    rc = refund_record(w, purchase_id, req, hash, key_id, request_id, now, a, &out->reply, err);
    rc = store_write_end(w, rc, err);
    if (rc != KT_OK) {
        json_decref(out->reply);
        out->reply = NULL;
    }
    return rc;
}
