/*
 * customers.c - /v1/customers: identify-and-upsert, lookup by identifier, list, read, patch and
 * history (a merge and taking it back are in merges.c).
 *
 * Writes follow one pattern: decode and clean the body outside the write lock (with the attribute
 * declarations of a read snapshot), then open the write transaction, re-check what the decision
 * depends on, let identity/ decide and write, build the reply inside the transaction (so it shows
 * exactly what was committed) and commit. Any error rolls everything back.
 *
 * A collect key's reply to an upsert is 202 {"accepted": true} and nothing more: not the profile,
 * not whether the customer existed, not the id - a key shipped in a web page must leak nothing.
 */
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/jsonx.h"
#include "base/num.h"
#include "consent/consent.h"
#include "loyalty/bonus.h"
#include "privacy/privacy.h"
#include "quality/duplicates.h"
#include "quality/quality.h"

#define IDEM_TTL_MS  (24LL * 3600 * 1000)
#define IDEM_KEY_MAX 128

static json_t *warning_json(const struct ident_warning *w)
{
    json_t *o = json_pack("{s:s, s:s}", "code", w->code, "field", w->field);
    if (w->detail != NULL) {
        json_object_set_new(o, "detail", json_string(w->detail));
    }
    return o;
}

static json_t *warnings_json(const struct upsert_result *res)
{
    json_t *w = json_array();
    for (size_t i = 0; i < res->n_warnings; i++) {
        json_array_append_new(w, warning_json(&res->warnings[i]));
    }
    return w;
}

/* What cleaning said of the caller's own values: all a collect key is told. */
static json_t *notes_json(const struct upsert_req *req)
{
    json_t *w = json_array();
    for (size_t i = 0; i < req->n_notes; i++) {
        json_array_append_new(w, warning_json(&req->notes[i]));
    }
    return w;
}

static json_t *conflicts_json(const struct upsert_result *res)
{
    json_t *c = json_array();
    for (size_t i = 0; i < res->n_conflicts; i++) {
        json_array_append_new(c,
                              json_pack("{s:s, s:s}", "customer_id", res->conflicts[i].customer_id,
                                        "identifier", res->conflicts[i].identifier));
    }
    return c;
}

/* ---- shared steps ------------------------------------------------------------------------ */

/* Attribute declarations, read only when the body uses attributes. */
static enum kt_rc load_defs(struct http_req *r, const json_t *body, struct attr_def **defs,
                            size_t *n, struct kt_err *err)
{
    *defs = NULL;
    *n = 0;
    if (json_object_get(body, "attributes") == NULL) {
        return KT_OK;
    }
    struct store_conn *rd;
    enum kt_rc rc = http_req_reader(r, &rd, err);
    if (rc == KT_OK) {
        rc = store_attr_list(rd, r->arena, defs, n, err);
    }
    http_req_reader_end(r); /* the write that follows must not hold a snapshot */
    return rc;
}

/* Inside the write transaction: the declarations the body was checked against still stand. */
static enum kt_rc recheck_defs(struct store_conn *w, const struct upsert_req *req,
                               const struct attr_def *defs, size_t n, struct arena *a,
                               struct kt_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(req->attrs, key, v)
    {
        struct attr_def now;
        enum kt_rc rc = store_attr_get(w, key, a, &now, NULL, err);
        if (rc != KT_OK) {
            return rc;
        }
        for (size_t i = 0; i < n; i++) {
            if (strcmp(defs[i].name, key) == 0 && defs[i].updated_at != now.updated_at) {
                kt_err_set(err, KT_ECONFLICT, "attribute_changed",
                           arena_printf(a, "attributes.%s", key),
                           "the attribute's declaration changed during the request; retry");
                return KT_ECONFLICT;
            }
        }
    }
    return KT_OK;
}

static bool idem_key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > IDEM_KEY_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

static void idem_hash(struct http_req *r, unsigned char out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const unsigned char *)r->route->pattern,
                              strlen(r->route->pattern));
    crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&st, (const unsigned char *)r->body, r->body_len);
    crypto_generichash_final(&st, out, 32);
}

/* Looks for an earlier reply to the same Idempotency-Key. True when one was replayed (or the key
 * was misused), in which case the reply is set and nothing must be written. */
static bool idem_replay(struct http_req *r, struct store_conn *w, const char *idem,
                        const unsigned char hash[32], struct kt_err *err)
{
    struct idem_record rec;
    bool found;
    if (store_idem_get(w, r->key->id, idem, r->arena, &rec, &found, err) != KT_OK) {
        return true;
    }
    if (!found) {
        return false;
    }
    if (sodium_memcmp(rec.req_hash, hash, 32) != 0) {
        kt_err_set(err, KT_EINVAL, "idempotency_key_reused", "Idempotency-Key",
                   "the Idempotency-Key was used before with a different request");
        return true;
    }
    json_t *body = json_loads(rec.body, 0, NULL);
    const char *shown = json_string_value(json_object_get(json_object_get(body, "customer"), "id"));
    if (shown != NULL) { /* the stored reply shows the profile again (a collect key's does not) */
        api_audit_note(r, "write", shown, AUDIT_F_IDENTIFIERS | AUDIT_F_ATTRIBUTES);
    } else {
        audit_nothing_read();
    }
    http_reply_json(r, rec.status, body);
    r->replayed = true;
    return true;
}

static enum kt_rc idem_store(struct http_req *r, struct store_conn *w, const char *idem,
                             const unsigned char hash[32], int status, const json_t *reply,
                             int64_t ck, int64_t now, struct kt_err *err)
{
    static _Atomic int64_t last_expire; /* ms; old records are swept at most once a minute */
    int64_t last = atomic_load(&last_expire);
    if (now - last > 60000 && atomic_compare_exchange_strong(&last_expire, &last, now)) {
        enum kt_rc rc = store_idem_expire(w, now - IDEM_TTL_MS, err);
        if (rc != KT_OK) {
            return rc;
        }
    }
    char *text = json_dumps(reply, JSON_COMPACT);
    struct idem_record rec = {r->key->id, idem, {0}, status, text, now, ck};
    memcpy(rec.req_hash, hash, 32);
    enum kt_rc rc = store_idem_put(w, &rec, err);
    free(text);
    return rc;
}

/* Where a refused request says it came from, for the intake statistics: the channel when it is
 * one we know, the store and operator when they are short strings. */
static struct ident_source peek_source(const json_t *body, struct arena *a)
{
    struct ident_source src;
    memset(&src, 0, sizeof(src));
    const json_t *s = json_object_get(body, "source");
    const char *ch = json_string_value(json_object_get(s, "channel"));
    src.channel = ch && ident_channel_valid(ch) ? ch : "unknown";
    const char *st = json_string_value(json_object_get(s, "store"));
    const char *op = json_string_value(json_object_get(s, "operator"));
    src.store_id = st && strlen(st) <= 64 ? arena_strdup(a, st) : NULL;
    src.operator_id = op && strlen(op) <= 64 ? arena_strdup(a, op) : NULL;
    return src;
}

/* ---- POST /v1/customers ------------------------------------------------------------------ */

/* Sources where the customer fills the form in: consent must come with the data. */
static bool form_channel(const char *ch)
{
    return strcmp(ch, "web") == 0 || strcmp(ch, "app") == 0 || strcmp(ch, "qr_form") == 0 ||
           strcmp(ch, "tablet") == 0;
}

/*
 * The consent rules of an upsert (docs/privacy.md): a form without pd_processing consent is
 * refused under the strict policy; data of an erased person is refused (and the refusal counted,
 * so `keep` asks the caller to commit the count) until a form brings new consent.
 */
static enum kt_rc consent_gate(struct http_req *r, struct store_conn *w,
                               const struct upsert_req *req, const struct consent_input *cin,
                               size_t n_cin, int64_t now, bool *keep, struct kt_err *err)
{
    bool form = form_channel(req->src.channel), pd = consent_grants_pd(cin, n_cin);
    if (form && !pd) {
        struct privacy_settings ps;
        enum kt_rc rc = privacy_settings_get(w, r->arena, &ps, err);
        if (rc != KT_OK) {
            return rc;
        }
        if (ps.strict) {
            return kt_err_set(err, KT_EINVAL, "consent_required", "consents",
                              "data from a %s form needs the customer's pd_processing consent in "
                              "the same request; nothing was stored",
                              req->src.channel);
        }
    }
    const char *which = NULL, *field = NULL;
    enum kt_rc rc =
        suppress_check_at(w, &r->app->secret, req, form && pd, now, &which, &field, err);
    if (rc == KT_OK && which != NULL) {
        *keep = true;
        return kt_err_set(err, KT_EINVAL, "suppressed", field,
                          "this %s belonged to a customer who was erased; it comes back only with "
                          "new consent given through a form",
                          which);
    }
    return rc;
}

static enum kt_rc upsert_write(struct http_req *r, struct store_conn *w,
                               const struct upsert_req *req, const struct consent_input *cin,
                               size_t n_cin, const struct attr_def *defs, size_t n_defs,
                               int64_t now, bool *keep, int *status, json_t **reply, int64_t *ck,
                               struct kt_err *err)
{
    enum kt_rc rc = req->attrs ? recheck_defs(w, req, defs, n_defs, r->arena, err) : KT_OK;
    struct upsert_result res;
    *ck = 0;
    if (rc == KT_OK) {
        rc = consent_gate(r, w, req, cin, n_cin, now, keep, err);
    }
    if (rc != KT_OK && *keep && r->key->scope == SCOPE_COLLECT) {
        /* An erased person's value: refused and counted as for any key, but a public key gets
         * the answer of any upsert, or it could test whether a phone's owner was erased. */
        kt_err_reset(err);
        *status = 202;
        *reply = json_pack("{s:b, s:o}", "accepted", 1, "warnings", notes_json(req));
        audit_nothing_read();
        return KT_OK;
    }
    if (rc == KT_OK) {
        rc = ident_upsert(w, req, now, r->arena, &res, err);
    }
    /* Refused before anything was written, but a public key must not learn that a phone's owner
     * is blocked, nor a store key that another store's customer is: each gets the answer of any
     * upsert (api_blocked_to gives the 404 of nobody for the latter). */
    bool hide = rc == KT_ELOCKED && r->key->scope == SCOPE_COLLECT;
    if (rc == KT_ELOCKED && !hide) {
        rc = api_blocked_to(r, w, res.cust.ck, err);
        hide = rc == KT_ENOTFOUND;
    }
    if (hide) {
        kt_err_reset(err);
        *status = 202;
        *reply = json_pack("{s:b, s:o}", "accepted", 1, "warnings", notes_json(req));
        audit_nothing_read();
        return KT_OK;
    }
    struct consent_actor who = {
        req->src.channel, req->src.store_id, req->src.operator_id, r->key->id, r->rid, NULL, false};
    if (rc == KT_OK) {
        *ck = res.cust.ck;
        who.subject = res.cust.id;
        rc = n_cin > 0     ? consent_record(w, res.cust.ck, cin, n_cin, &who, now, NULL, err)
             : res.created ? consent_mark_pending(w, res.cust.ck, &who, now, err)
                           : KT_OK;
    }
    if (rc == KT_OK && !res.created) { /* a new customer has no card yet: no bonus to look at */
        rc = loyalty_welcome_check(w, res.cust.ck, now, r->arena, NULL, err);
    }
    /* A new customer who may be someone already here: stored all the same, the pair queued for
     * review and the caller warned (docs/dedup.md, "At upsert"). */
    struct dup_pair dup;
    bool dup_hit = false;
    if (rc == KT_OK && res.created) {
        rc = dup_check(w, &res.cust, now, r->arena, &dup, &dup_hit, err);
    }
    /* A store key's data is kept, but a customer who was not in its stores before (a phone that
     * belongs to another store's customer) is answered as a collect key is answered. */
    bool hidden = false;
    if (rc == KT_OK && !res.created &&
        (rc = api_customer_visible(r, w, res.cust.ck, r->rid, err)) == KT_ENOTFOUND) {
        kt_err_reset(err);
        rc = KT_OK;
        hidden = true;
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (r->key->scope != SCOPE_COLLECT && !hidden) {
        api_audit_read(r, &res.cust, "write");
    }
    if (r->key->scope == SCOPE_COLLECT || hidden) { /* the reply shows nothing of the customer */
        audit_nothing_read();
        *status = 202;
        *reply = json_pack("{s:b, s:o}", "accepted", 1, "warnings", notes_json(req));
        return KT_OK;
    }
    json_t *view = ident_customer_json(w, &res.cust, r->arena, err);
    if (view == NULL) {
        return err ? err->rc : KT_ESTORE;
    }
    json_t *warnings = warnings_json(&res);
    if (dup_hit) {
        json_array_append_new(warnings, json_pack("{s:s, s:s, s:s, s:s}", "code",
                                                  "possible_duplicate", "field", "customer",
                                                  "customer_id", dup.id_b, "duplicate_id", dup.id));
    }
    *status = res.created ? 201 : 200;
    *reply = json_pack("{s:b, s:o, s:o, s:o}", "created", res.created, "customer", view, "warnings",
                       warnings, "conflicts", conflicts_json(&res));
    return KT_OK;
}

enum kt_rc api_customers_take(struct http_req *r, const json_t *body, const char *idem,
                              int *status_out, json_t **reply_out, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    struct attr_def *defs = NULL;
    size_t n_defs = 0;
    struct upsert_req req;
    struct consent_input *cin = NULL;
    size_t n_cin = 0;
    if (load_defs(r, body, &defs, &n_defs, err) != KT_OK) {
        return err->rc;
    }
    if (ident_decode(body, &(struct ident_decode_opts){false, false, r->key->scope, NULL}, defs,
                     n_defs, now, r->arena, &req, err) != KT_OK) {
        struct ident_source src = peek_source(body, r->arena);
        intake_record(&src, NULL, true, now);
        return err->rc;
    }
    req.src.request_id = r->rid;
    if (api_store_allowed(r, req.src.store_id, "source.store", err) != KT_OK) {
        return err->rc;
    }
    if (consent_decode(json_object_get(body, "consents"), req.src.channel, now, r->arena, &cin,
                       &n_cin, err) != KT_OK) {
        intake_record(&req.src, NULL, true, now);
        return err->rc;
    }

    unsigned char hash[32];
    struct store_conn *w;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    if (idem != NULL) {
        idem_hash(r, hash);
        if (idem_replay(r, w, idem, hash, err)) { /* replied, or refused */
            store_write_rollback(w);
            *status_out = 0;
            *reply_out = NULL; /* replied already */
            return err->rc;
        }
    }
    int status = 0;
    json_t *reply = NULL;
    bool keep = false; /* a refusal whose count is worth committing (a collect key is answered
                        * as for any upsert: rc is KT_OK then) */
    int64_t ck = 0;
    enum kt_rc rc =
        upsert_write(r, w, &req, cin, n_cin, defs, n_defs, now, &keep, &status, &reply, &ck, err);
    if (rc == KT_OK && idem != NULL) {
        rc = idem_store(r, w, idem, hash, status, reply, ck, now, err);
    }
    intake_record(&req.src, &req, keep || (rc != KT_OK && err->rc == KT_EINVAL), now);
    if (rc == KT_OK || keep) { /* after a refusal `err` holds it: a failure here cannot win */
        enum kt_rc frc = intake_flush(w, false, now, err);
        rc = rc == KT_OK ? frc : rc;
    }
    if (keep && rc != KT_OK) {
        store_write_end(w, KT_OK, NULL); /* the refusal's counts; `err` holds the refusal */
        return rc;
    }
    rc = store_write_end(w, rc, err);
    if (rc != KT_OK) {
        json_decref(reply);
        return err->rc;
    }
    *status_out = status;
    *reply_out = reply;
    return KT_OK;
}

enum kt_rc api_customers_upsert(struct http_req *r, struct kt_err *err)
{
    const char *idem = http_req_header(r, "Idempotency-Key");
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL) {
        return err->rc;
    }
    if (idem != NULL && !idem_key_ok(idem)) {
        return kt_err_set(err, KT_EBADREQ, "bad_header", "Idempotency-Key",
                          "Idempotency-Key must be 1-128 printable ASCII characters");
    }
    int status;
    json_t *reply;
    if (api_customers_take(r, body, idem, &status, &reply, err) != KT_OK) {
        return err->rc;
    }
    if (reply != NULL) { /* NULL: an earlier reply was replayed */
        http_reply_json(r, status, reply);
    }
    return KT_OK;
}

/* ---- GET /v1/customers ------------------------------------------------------------------- */

/* The customer's view with the block in force, if any, for the DPO who reads a blocked
 * customer (152-FZ art. 21; only an admin or dpo key reads one: api_unblocked_for). NULL when
 * `view` is, or on a store error (err set). */
static json_t *with_block(struct store_conn *c, const struct customer *cu, json_t *view,
                          struct arena *a, struct kt_err *err)
{
    struct customer_block b;
    bool blocked = false;
    if (view != NULL && store_block_get(c, cu->ck, a, &b, &blocked, err) != KT_OK) {
        json_decref(view);
        return NULL;
    }
    if (view != NULL && blocked) {
        json_object_set_new(view, "block", api_block_json(a, &b));
    }
    return view;
}

/* The zone the customer's local time is in, and what gave it (docs/messages.md, "Local time"):
 * what the sending policy will hold quiet hours and daily caps to. */
static json_t *with_zone(struct store_conn *c, const struct customer *cu, json_t *view,
                         struct arena *a, struct kt_err *err)
{
    struct ident_zone z;
    if (view != NULL && ident_time_zone(c, cu->ck, a, &z, err) != KT_OK) {
        json_decref(view);
        return NULL;
    }
    if (view != NULL) {
        json_object_set_new(view, "time_zone", json_string(tz_name(z.zone)));
        json_object_set_new(view, "time_zone_basis", json_string(ident_zone_source_name(z.source)));
    }
    return view;
}

/* ?phone= / ?email= / ?card= / ?external=system:id: the one customer that has it. */
json_t *api_customer_found(struct http_req *r, struct store_conn *rd, const struct customer *cu,
                           const char *param, struct kt_err *err)
{
    json_t *view = NULL;
    if (api_customer_visible(r, rd, cu->ck, NULL, err) == KT_ENOTFOUND) {
        kt_err_reset(err); /* another store's customer, blocked or not: answered as nobody */
        return NULL;
    }
    if (err->rc == KT_OK && api_unblocked_for(r, rd, cu, param, err) == KT_OK) {
        view = with_block(rd, cu, ident_customer_json(rd, cu, r->arena, err), r->arena, err);
        if (view != NULL) {
            api_audit_read(r, cu, "read");
        }
    } else if (err->rc == KT_ELOCKED) { /* who was looked up, though nothing was shown */
        api_audit_note(r, "read", cu->id, 0);
    }
    return view;
}

static enum kt_rc lookup(struct http_req *r, const char *param, const char *raw, struct kt_err *err)
{
    const char *kind = param;
    if (strcmp(param, "external") == 0) {
        const char *colon = strchr(raw, ':');
        char *sys = colon ? arena_strndup(r->arena, raw, (size_t)(colon - raw)) : NULL;
        if (sys == NULL || !ident_system_valid(sys)) {
            return kt_err_set(err, KT_EBADREQ, "bad_parameter", "external",
                              "external must be written as system:id");
        }
        kind = arena_printf(r->arena, "ext:%s", sys);
        raw = colon + 1;
    }
    const char *value;
    struct store_conn *rd;
    if (ident_value_clean(kind, raw, strlen(raw), r->arena, param, &value, err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK) {
        return err->rc;
    }
    struct ident owner;
    bool held;
    if (store_ident_find(rd, kind, value, r->arena, &owner, &held, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    if (held) {
        struct customer cu;
        json_t *view = NULL;
        if (store_customer_get(rd, owner.ck, r->arena, &cu, NULL, err) == KT_OK) {
            view = api_customer_found(r, rd, &cu, param, err);
        }
        if (view == NULL && err->rc != KT_OK) {
            json_decref(items);
            return err->rc;
        }
        if (view != NULL) {
            json_array_append_new(items, view);
        }
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}

static enum kt_rc list(struct http_req *r, struct kt_err *err)
{
    int limit;
    const char *cursor;
    struct store_conn *rd;
    struct customer *cs;
    size_t n;
    if (api_limit(r, 50, 200, &limit, err) != KT_OK ||
        api_cursor(r, "customers", "", &cursor, err) != KT_OK) {
        return err->rc;
    }
    if (r->key->scope != SCOPE_ADMIN) {
        return kt_err_set(
            err, KT_EFORBIDDEN, "forbidden", NULL,
            "only an admin key may list customers; look one up by phone, e-mail or card");
    }
    if (cursor != NULL && !id_valid(cursor, "c_")) {
        return api_bad_cursor(err);
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_customer_list(rd, cursor, limit, r->arena, &cs, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *v = ident_customer_json(rd, &cs[i], r->arena, err);
        if (v == NULL) {
            json_decref(items);
            return err->rc;
        }
        api_audit_read(r, &cs[i], "read");
        json_array_append_new(items, v);
    }
    json_t *next = api_next_cursor(r, "customers", "", n == (size_t)limit ? cs[n - 1].id : NULL);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
    return KT_OK;
}

enum kt_rc api_customers_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit",    "cursor",    "phone",      "email", "card",
                                          "external", "full_name", "birth_date", NULL};
    static const char *const lookups[] = {"phone", "email", "card", "external", "full_name"};
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    const char *param = NULL, *value = NULL;
    for (size_t i = 0; i < 5; i++) {
        const char *v = http_req_query(r, lookups[i]);
        if (v != NULL && param != NULL) {
            return kt_err_set(err, KT_EBADREQ, "bad_parameter", lookups[i],
                              "look up by one identifier at a time");
        }
        if (v != NULL) {
            param = lookups[i];
            value = v;
        }
    }
    if (http_req_query(r, "birth_date") != NULL &&
        (param == NULL || strcmp(param, "full_name") != 0)) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "birth_date",
                          "birth_date narrows a search by name");
    }
    if (param != NULL && strcmp(param, "full_name") == 0) {
        return api_customers_by_name(r, value, err);
    }
    return param != NULL ? lookup(r, param, value, err) : list(r, err);
}

/* ---- /v1/customers/{id} ------------------------------------------------------------------ */

enum kt_rc api_customers_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    json_t *v = NULL;
    if (http_req_reader(r, &rd, err) == KT_OK && api_path_customer(r, rd, &cu, err) == KT_OK) {
        v = with_block(rd, &cu, ident_customer_json(rd, &cu, r->arena, err), r->arena, err);
        v = with_zone(rd, &cu, v, r->arena, err);
    }
    if (v == NULL) {
        return err->rc;
    }
    api_audit_read(r, &cu, "read");
    http_reply_json(r, 200, v);
    return KT_OK;
}

enum kt_rc api_customers_patch(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct attr_def *defs = NULL;
    size_t n_defs = 0;
    struct upsert_req req;
    struct store_conn *w;
    static const char *const allowed[] = {"privacy_request_id", NULL};
    const char *rect = http_req_query(r, "privacy_request_id"); /* a rectification (art. 21) */
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if (rect != NULL && r->key->scope != SCOPE_ADMIN && r->key->scope != SCOPE_DPO) {
        return kt_err_set(err, KT_EFORBIDDEN, "forbidden", "privacy_request_id",
                          "only the DPO's key (admin or dpo) rectifies data under a privacy "
                          "request");
    }
    if (body == NULL || load_defs(r, body, &defs, &n_defs, err) != KT_OK) {
        return err->rc;
    }
    if (ident_decode(body, &(struct ident_decode_opts){true, false, r->key->scope, NULL}, defs,
                     n_defs, now, r->arena, &req, err) != KT_OK) {
        struct ident_source src = peek_source(body, r->arena);
        intake_record(&src, NULL, true, now);
        return err->rc;
    }
    if (!id_valid(r->params[0], "c_")) {
        return kt_err_set(err, KT_ENOTFOUND, "customer_not_found", "id", "customer not found");
    }
    if (api_store_allowed(r, req.src.store_id, "source.store", err) != KT_OK) {
        return err->rc;
    }
    req.src.request_id = r->rid;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    struct upsert_result res;
    json_t *view = NULL;
    enum kt_rc rc = req.attrs ? recheck_defs(w, &req, defs, n_defs, r->arena, err) : KT_OK;
    if (rc == KT_OK && rect != NULL) {
        req.rectification = true;
        rc = privacy_rectification(w, r->params[0], rect, r->key->id, r->rid, now, r->arena, err);
    }
    if (rc == KT_OK) {
        rc = ident_patch(w, r->params[0], &req, now, r->arena, &res, err);
    }
    if (rc == KT_ELOCKED) { /* blocked: told only to a key that may see the customer */
        rc = api_blocked_to(r, w, res.cust.ck, err);
    }
    if (rc == KT_OK) { /* before this request's own rows, which the rollback then removes */
        rc = api_customer_visible(r, w, res.cust.ck, r->rid, err);
    }
    if (rc == KT_OK && !req.rectification) { /* a name or a birth date may complete a member's
                                                profile; not while a block holds it */
        rc = loyalty_welcome_check(w, res.cust.ck, now, r->arena, NULL, err);
    }
    intake_record(&req.src, &req, rc != KT_OK, now);
    if (rc == KT_OK) {
        rc = intake_flush(w, false, now, err);
    }
    if (rc == KT_OK) {
        view = ident_customer_json(w, &res.cust, r->arena, err);
        rc = view ? KT_OK : err->rc;
    }
    if ((rc = store_write_end(w, rc, err)) != KT_OK) {
        json_decref(view);
        return err->rc;
    }
    api_audit_read(r, &res.cust, "write");
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o}", "customer", view, "warnings", warnings_json(&res)));
    return KT_OK;
}

/* ---- GET /v1/customers/{id}/history -------------------------------------------------------- */

enum kt_rc api_customers_history(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t after = 0;
    struct store_conn *rd;
    struct customer cu;
    struct history_entry *hs;
    size_t n;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 100, 1000, &limit, err) != KT_OK) {
        return err->rc;
    }
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        api_cursor_num(r, "history", cu.id, &after, err) != KT_OK ||
        store_history_list(rd, cu.ck, after, limit, r->arena, &hs, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, ident_history_json(r->arena, &hs[i]));
    }
    json_t *next = api_next_cursor(
        r, "history", cu.id,
        n == (size_t)limit ? arena_printf(r->arena, "%lld", (long long)hs[n - 1].seq) : NULL);
    api_audit_note(r, "read", cu.id, AUDIT_F_HISTORY);
    http_reply_json(
        r, 200,
        json_pack("{s:s, s:o, s:o}", "customer_id", cu.id, "items", items, "next_cursor", next));
    return KT_OK;
}
