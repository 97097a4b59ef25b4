/*
 * cards.c - enrolment at the cash desk, one-time codes, and loyalty cards (docs/loyalty.md).
 *
 *   POST /v1/pos/enroll   {"phone": "...", "store": "S-1", "operator": "...", "card": "..."}
 *   POST /v1/pos/otp      {"phone": "..."}                 a new code (within the limits)
 *   POST /v1/pos/verify   {"phone": "...", "code": "123456"}
 *   POST /v1/cards/batches {"batch": "2026-11", "count": 500}
 *   GET  /v1/cards/{number}, POST /v1/cards/{number}/block|replace|unbind
 *   GET  /v1/customers/{id}/cards
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"
#include "deliver/sms.h"
#include "loyalty/bonus.h"
#include "loyalty/cards.h"
#include "loyalty/program.h"

/* A string member of 1-`max` bytes; `required` or NULL when absent. */
static bool member(struct http_req *r, const json_t *body, const char *name, bool required,
                   size_t max, const char **out, struct kt_err *err)
{
    *out = NULL;
    return jsonx_str(body, "", name, max, required ? JSONX_REQUIRED : 0, r->arena, out, err) ==
           KT_OK;
}

static bool phone_of(struct http_req *r, const json_t *body, const char **value, struct kt_err *err)
{
    const char *raw;
    return member(r, body, "phone", true, 64, &raw, err) &&
           ident_value_clean("phone", raw, strlen(raw), r->arena, "phone", value, err) == KT_OK;
}

/* A 409 that names the customer the clash is with: the cashier sees whose card it is. */
static void reply_card_limit(struct http_req *r, const struct kt_err *err, const char *customer_id,
                             struct store_conn *c)
{
    json_t *o = http_error_json(err, r->rid);
    json_object_set_new(o, "customer_id", json_string(customer_id));
    struct card *cs;
    size_t n;
    struct kt_err e2;
    kt_err_reset(&e2);
    struct customer cu;
    json_t *cards = json_array();
    if (store_customer_get_by_id(c, customer_id, r->arena, &cu, &e2) == KT_OK &&
        store_card_list(c, cu.ck, r->arena, &cs, &n, &e2) == KT_OK) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(cs[i].state, "active") == 0) {
                json_array_append_new(cards, json_string(cs[i].number));
            }
        }
    }
    json_object_set_new(o, "cards", cards);
    r->err = *err;
    http_reply_json(r, 409, o);
}

/* "referrer": the phone or the card of the customer who brought this one, new to the programme. */
static enum kt_rc referral_of(struct http_req *r, struct store_conn *w, const char *referrer,
                              const struct upsert_result *res, int64_t now, struct kt_err *err)
{
    if (!res->created) {
        return kt_err_set(err, KT_ECONFLICT, "referral_not_new", "referrer",
                          "only a new customer can be brought by a friend");
    }
    const char *kind = ean13_valid(referrer) ? "card" : "phone", *value;
    struct ident id;
    struct kt_err e2;
    kt_err_reset(&e2);
    enum kt_rc rc =
        ident_value_clean(kind, referrer, strlen(referrer), r->arena, "referrer", &value, err);
    if (rc == KT_OK) {
        rc = store_ident_find(w, kind, value, r->arena, &id, &e2);
    }
    if (rc == KT_ENOTFOUND) {
        return kt_err_set(err, KT_EINVAL, "referrer_not_found", "referrer",
                          "no customer has that %s", kind);
    }
    if (rc != KT_OK) {
        return err->rc != KT_OK ? err->rc : kt_err_copy(err, &e2);
    }
    return loyalty_referral_set(w, res->cust.ck, id.ck, now, r->arena, err);
}

void api_pos_enroll(struct http_req *r)
{
    static const char *const known[] = {"phone",     "store",    "operator", "card",
                                        "send_code", "referrer", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    const char *phone, *store = NULL, *op = NULL, *card = NULL, *referrer = NULL;
    if (body == NULL || json_only_members(body, known, "", r->arena, &err) != KT_OK ||
        !member(r, body, "referrer", false, 64, &referrer, &err) ||
        !phone_of(r, body, &phone, &err) || !member(r, body, "store", false, 64, &store, &err) ||
        !member(r, body, "operator", false, 64, &op, &err) ||
        !member(r, body, "card", false, 13, &card, &err)) {
        goto fail;
    }
    bool send = true;
    if (jsonx_bool(body, "", "send_code", 0, &send, &err) != KT_OK) {
        goto fail;
    }
    /* The customer through the same path as a cash-desk profile: cleaned, matched, pending
     * consent when new, refused when the phone belonged to an erased person. */
    json_t *doc = api_own(r->arena, json_pack("{s:{s:s}, s:{s:s}}", "source", "channel", "pos",
                                              "profile", "phone", phone));
    json_t *src = json_object_get(doc, "source");
    if (store) {
        json_object_set_new(src, "store", json_string(store));
    }
    if (op) {
        json_object_set_new(src, "operator", json_string(op));
    }
    struct upsert_req req;
    if (ident_decode(doc, &(struct ident_decode_opts){false, false, SCOPE_POS, NULL}, NULL, 0, now,
                     r->arena, &req, &err) != KT_OK) {
        goto fail;
    }
    req.src.request_id = r->rid;
    struct store_conn *w;
    if (store_write_begin(r->app->store, &w, &err) != KT_OK) {
        goto fail;
    }
    const char *which = NULL;
    struct upsert_result res;
    struct loyalty_rules rules;
    struct card cd;
    bool issued = false, limited = false;
    char otp_id[ID_MAX] = "";
    int retry = 0;
    int64_t at;
    struct enrol_limits lim = {r->app->enrol_per_key, r->app->enrol_per_store};
    enum kt_rc rc = suppress_check(w, &r->app->secret, &req, false, now, &which, &err);
    if (rc == KT_OK && which != NULL) {
        kt_err_set(&err, KT_EINVAL, "suppressed", "phone",
                   "this phone belonged to a customer who was erased; it comes back only with "
                   "new consent given through a form");
        struct kt_err e2; /* the refusal is counted: commit with an error of its own */
        kt_err_reset(&e2);
        store_write_end(w, KT_OK, &e2);
        goto fail;
    }
    if (rc == KT_OK) {
        rc = loyalty_program_get(w, r->arena, &rules, &at, &err);
    }
    if (rc == KT_OK) {
        rc = ident_upsert(w, &req, now, r->arena, &res, &err);
    }
    if (rc == KT_OK && res.created) {
        struct consent_actor who = {"pos", store, op, r->key->id, r->rid, res.cust.id, false};
        rc = consent_mark_pending(w, res.cust.ck, &who, now, &err);
    }
    if (rc == KT_OK && referrer != NULL) {
        rc = referral_of(r, w, referrer, &res, now, &err);
    }
    if (rc == KT_OK && card != NULL) {
        rc = card_bind(w, &rules, card, res.cust.ck, now, r->arena, &cd, &err);
        issued = rc == KT_OK;
    } else if (rc == KT_OK) { /* the newest active card they have, or a new virtual one */
        struct card *cs;
        size_t n;
        bool found = false;
        rc = store_card_list(w, res.cust.ck, r->arena, &cs, &n, &err);
        for (size_t i = n; rc == KT_OK && !found && i-- > 0;) {
            if (strcmp(cs[i].state, "active") == 0) {
                cd = cs[i];
                found = true;
            }
        }
        if (rc == KT_OK && !found) {
            rc = card_issue_virtual(w, &r->app->secret, &rules, res.cust.ck, now, r->arena, &cd,
                                    &err);
            issued = rc == KT_OK;
        }
    }
    if (rc == KT_OK && (res.created || issued)) { /* counted against the key's and store's */
        rc = enrol_admit(w, &lim, r->key->id, store, now, &err);
    }
    if (rc == KT_OK && issued) { /* a complete profile's first card */
        rc = loyalty_welcome_check(w, res.cust.ck, now, r->arena, NULL, &err);
    }
    bool verified = (res.cust.verified & (1u << PF_PHONE)) != 0;
    if (rc == KT_OK && send && !verified) {
        struct kt_err e2;
        kt_err_reset(&e2);
        enum kt_rc orc = otp_send(w, &r->app->secret, &rules, res.cust.ck, phone, cd.number,
                                  r->app->sms_text, r->key->id, now, r->arena, otp_id, &e2);
        limited = orc == KT_ELIMIT;
        retry = e2.retry_after;
        rc = limited ? KT_OK : orc == KT_OK ? KT_OK : kt_err_copy(&err, &e2);
    }
    if (rc == KT_ECONFLICT && strcmp(err.code, "card_limit") == 0) {
        store_write_rollback(w);
        struct store_conn *rd;
        if (http_req_reader(r, &rd, &err) == KT_OK) {
            reply_card_limit(r, &err, res.cust.id, rd);
            return;
        }
        goto fail;
    }
    if (store_write_end(w, rc, &err) != KT_OK) {
        goto fail;
    }
    if (otp_id[0]) {
        sms_sender_wake(r->app->sms);
    }
    json_t *o = json_pack("{s:s, s:b, s:o, s:b, s:b}", "customer_id", res.cust.id, "created",
                          res.created, "card", card_json(r->arena, &cd, res.cust.id), "card_issued",
                          issued, "phone_verified", verified);
    json_t *sms = json_pack("{s:b}", "queued", otp_id[0] != '\0');
    if (otp_id[0]) {
        json_object_set_new(sms, "otp_id", json_string(otp_id));
        json_object_set_new(sms, "expires_at", json_string(api_time(r->arena, now + OTP_TTL_MS)));
    } else if (limited) {
        json_object_set_new(sms, "refused", json_string("otp_rate_limited"));
        json_object_set_new(sms, "retry_after", json_integer(retry));
    } else {
        json_object_set_new(sms, "refused", json_string(verified ? "phone_verified" : "not_asked"));
    }
    json_object_set_new(o, "sms", sms);
    http_reply_json(r, res.created ? 201 : 200, o);
    return;
fail:
    http_reply_error(r, &err);
}

/* The customer who owns `phone`, in the write transaction. */
static enum kt_rc phone_customer(struct http_req *r, struct store_conn *w, const char *phone,
                                 struct customer *cu, struct kt_err *err)
{
    struct ident id;
    struct kt_err e2;
    kt_err_reset(&e2);
    enum kt_rc rc = store_ident_find(w, "phone", phone, r->arena, &id, &e2);
    if (rc == KT_ENOTFOUND) {
        return kt_err_set(err, KT_EINVAL, "customer_not_found", "phone",
                          "no customer has that phone; enrol them first");
    }
    if (rc == KT_OK) {
        rc = store_customer_get(w, id.ck, r->arena, cu, &e2);
    }
    return rc == KT_OK ? KT_OK : kt_err_copy(err, &e2);
}

void api_pos_otp(struct http_req *r)
{
    static const char *const known[] = {"phone", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    const char *phone;
    struct store_conn *w;
    if (body == NULL || json_only_members(body, known, "", r->arena, &err) != KT_OK ||
        !phone_of(r, body, &phone, &err) || store_write_begin(r->app->store, &w, &err) != KT_OK) {
        goto fail;
    }
    struct customer cu;
    struct loyalty_rules rules;
    struct card *cs = NULL;
    size_t n = 0;
    int64_t at;
    char otp_id[ID_MAX] = "";
    enum kt_rc rc = phone_customer(r, w, phone, &cu, &err);
    if (rc == KT_OK) {
        rc = loyalty_program_get(w, r->arena, &rules, &at, &err);
    }
    if (rc == KT_OK) {
        rc = store_card_list(w, cu.ck, r->arena, &cs, &n, &err);
    }
    if (rc == KT_OK) {
        const char *card = NULL;
        for (size_t i = 0; i < n; i++) {
            card = strcmp(cs[i].state, "active") == 0 ? cs[i].number : card;
        }
        rc = otp_send(w, &r->app->secret, &rules, cu.ck, phone, card, r->app->sms_text, r->key->id,
                      now, r->arena, otp_id, &err);
    }
    if (store_write_end(w, rc, &err) != KT_OK) {
        goto fail;
    }
    sms_sender_wake(r->app->sms);
    http_reply_json(r, 202,
                    json_pack("{s:s, s:s}", "otp_id", otp_id, "expires_at",
                              api_time(r->arena, now + OTP_TTL_MS)));
    return;
fail:
    http_reply_error(r, &err);
}

void api_pos_verify(struct http_req *r)
{
    static const char *const known[] = {"phone", "code", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    const char *phone, *code;
    struct store_conn *w;
    if (body == NULL || json_only_members(body, known, "", r->arena, &err) != KT_OK ||
        !phone_of(r, body, &phone, &err) || !member(r, body, "code", true, 12, &code, &err) ||
        store_write_begin(r->app->store, &w, &err) != KT_OK) {
        goto fail;
    }
    struct otp_code otp;
    bool count = false;
    struct customer cu;
    struct upsert_result res;
    enum kt_rc rc = otp_verify(w, &r->app->secret, phone, code, now, r->arena, &otp, &count, &err);
    if (rc != KT_OK) {
        struct kt_err e2; /* a wrong guess is counted: committed, with an error of its own */
        kt_err_reset(&e2);
        store_write_end(w, count ? KT_OK : rc, &e2);
        goto fail;
    }
    rc = store_customer_get(w, otp.ck, r->arena, &cu, &err);
    if (rc == KT_OK) { /* the phone is proven: verified, through the usual survivorship */
        struct upsert_req req;
        memset(&req, 0, sizeof(req));
        req.src = (struct ident_source){"pos", NULL, NULL, now, r->rid};
        req.val[PF_PHONE] = phone;
        req.verify = 1u << PF_PHONE;
        rc = ident_patch(w, cu.id, &req, now, r->arena, &res, &err);
    }
    if (rc == KT_OK) {
        rc = store_ident_set_verified(w, "phone", phone, &err);
    }
    int64_t welcome = 0;
    if (rc == KT_OK) {
        rc = loyalty_welcome_check(w, cu.ck, now, r->arena, &welcome, &err);
    }
    if (store_write_end(w, rc, &err) != KT_OK) {
        goto fail;
    }
    json_t *o = json_pack("{s:b, s:s, s:s}", "phone_verified", 1, "customer_id", res.cust.id,
                          "otp_id", otp.id);
    if (welcome > 0) {
        json_object_set_new(o, "welcome_bonus", json_integer(welcome));
    }
    http_reply_json(r, 200, o);
    return;
fail:
    http_reply_error(r, &err);
}

/* ---- cards ---------------------------------------------------------------------------------- */

static const char *owner_id(struct http_req *r, struct store_conn *c, const struct card *cd)
{
    struct customer cu;
    struct kt_err e;
    kt_err_reset(&e);
    return cd->ck != 0 && store_customer_get(c, cd->ck, r->arena, &cu, &e) == KT_OK
               ? arena_strdup(r->arena, cu.id)
               : NULL;
}

void api_cards_batch(struct http_req *r)
{
    static const char *const known[] = {"batch", "count", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms(), at;
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    const char *batch;
    struct store_conn *w;
    struct loyalty_rules rules;
    struct card *cs;
    if (body == NULL || json_only_members(body, known, "", r->arena, &err) != KT_OK ||
        !member(r, body, "batch", true, 64, &batch, &err)) {
        goto fail;
    }
    int64_t n;
    if (jsonx_int(body, "", "count", 1, CARD_BATCH_MAX, JSONX_REQUIRED, &n, &err) != KT_OK) {
        goto fail;
    }
    if (store_write_begin(r->app->store, &w, &err) != KT_OK) {
        goto fail;
    }
    enum kt_rc rc = loyalty_program_get(w, r->arena, &rules, &at, &err);
    if (rc == KT_OK) {
        rc = card_issue_batch(w, &r->app->secret, &rules, batch, n, now, r->arena, &cs, &err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "cards", NULL, NULL,
                         arena_printf(r->arena, "batch %lld cards", (long long)n), r->rid, now,
                         &err);
    }
    if (store_write_end(w, rc, &err) != KT_OK) {
        goto fail;
    }
    json_t *nums = json_array();
    for (int64_t i = 0; i < n; i++) {
        json_array_append_new(nums, json_string(cs[i].number));
    }
    http_reply_json(
        r, 201,
        json_pack("{s:s, s:I, s:o}", "batch", batch, "count", (json_int_t)n, "numbers", nums));
    return;
fail:
    http_reply_error(r, &err);
}

void api_card_get(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct card cd;
    if (http_req_reader(r, &rd, &err) == KT_OK &&
        store_card_get(rd, r->params[0], r->arena, &cd, &err) == KT_OK) {
        http_reply_json(r, 200, card_json(r->arena, &cd, owner_id(r, rd, &cd)));
        return;
    }
    http_reply_error(r, &err);
}

/* POST /v1/cards/{number}/{block,unbind,replace} {"reason": "...", "with": "..."} */
static void card_change(struct http_req *r, const char *what)
{
    static const char *const known[] = {"reason", "with", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms(), at;
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    const char *reason, *with = NULL;
    struct store_conn *w;
    struct loyalty_rules rules;
    struct card old, neu;
    bool replace = strcmp(what, "replaced") == 0;
    if (body == NULL || json_only_members(body, known, "", r->arena, &err) != KT_OK ||
        !member(r, body, "reason", true, 500, &reason, &err) ||
        (replace && !member(r, body, "with", false, 13, &with, &err))) {
        goto fail;
    }
    if (!replace && json_object_get(body, "with") != NULL) {
        kt_err_set(&err, KT_EINVAL, "unknown_field", "with", "only a replacement names a card");
        goto fail;
    }
    if (store_write_begin(r->app->store, &w, &err) != KT_OK) {
        goto fail;
    }
    enum kt_rc rc = loyalty_program_get(w, r->arena, &rules, &at, &err);
    if (rc == KT_OK) {
        rc = replace ? card_replace(w, &r->app->secret, &rules, r->params[0], with, reason, now,
                                    r->arena, &old, &neu, &err)
                     : card_set_state(w, r->params[0], what, reason, now, r->arena, &old, &err);
    }
    if (rc == KT_OK && replace) { /* a new card, counted like an enrolment's */
        struct enrol_limits lim = {r->app->enrol_per_key, 0};
        rc = enrol_admit(w, &lim, r->key->id, NULL, now, &err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "cards", NULL, NULL,
                         arena_printf(r->arena, "card %s", what), r->rid, now, &err);
    }
    if (rc != KT_OK && strcmp(err.field, "card") == 0) {
        kt_strlcpy(err.field, "number", sizeof(err.field));
    }
    if (store_write_end(w, rc, &err) != KT_OK) {
        goto fail;
    }
    struct store_conn *rd;
    if (http_req_reader(r, &rd, &err) != KT_OK) {
        goto fail;
    }
    json_t *o = card_json(r->arena, &old, owner_id(r, rd, &old));
    if (replace) {
        o = json_pack("{s:o, s:o}", "replaced", o, "card",
                      card_json(r->arena, &neu, owner_id(r, rd, &neu)));
    }
    http_reply_json(r, 200, o);
    return;
fail:
    http_reply_error(r, &err);
}

void api_card_block(struct http_req *r)
{
    card_change(r, "blocked");
}

void api_card_unbind(struct http_req *r)
{
    card_change(r, "unbound");
}

void api_card_replace(struct http_req *r)
{
    card_change(r, "replaced");
}

void api_customer_cards(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct customer cu;
    struct card *cs;
    size_t n;
    if (http_req_reader(r, &rd, &err) != KT_OK || api_path_customer(r, rd, &cu, &err) != KT_OK ||
        store_card_list(rd, cu.ck, r->arena, &cs, &n, &err) != KT_OK) {
        http_reply_error(r, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, card_json(r->arena, &cs[i], cu.id));
    }
    http_reply_json(r, 200, json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items));
}
