/*
 * cards.c - enrolment at the cash desk, one-time codes, and loyalty cards (docs/loyalty.md). The
 * workflows are loyalty/enroll.c's and loyalty/cards.c's; this file decodes, calls and replies.
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
#include "loyalty/cards.h"
#include "loyalty/enroll.h"
#include "loyalty/program.h"
#include "sched/sched.h"

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

/* What enrolment needs of the server: its secret, limits and SMS text. */
static struct enrol_env enrol_env_of(struct http_req *r, int64_t per_store)
{
    return (struct enrol_env){
        &r->app->secret, {r->app->enrol_per_key, per_store}, r->app->sms_text};
}

/* The 409 card_limit names the customer the clash is with: the cashier sees whose card it is. */
static void card_limit_more(struct http_req *r, const struct enrol_result *res)
{
    json_t *cards = json_array();
    for (size_t i = 0; i < res->n_held; i++) {
        json_array_append_new(cards, json_string(res->held[i]));
    }
    http_error_more(r, json_pack("{s:s, s:o}", "customer_id", res->customer.id, "cards", cards));
}

static json_t *enrol_json(struct http_req *r, const struct enrol_result *res)
{
    json_t *o = json_pack("{s:s, s:b, s:o, s:b, s:b}", "customer_id", res->customer.id, "created",
                          res->created, "card", card_json(r->arena, &res->card, res->customer.id),
                          "card_issued", res->card_issued, "phone_verified", res->phone_verified);
    json_t *sms = json_pack("{s:b}", "queued", res->otp_id[0] != '\0');
    if (res->otp_id[0]) {
        json_object_set_new(sms, "otp_id", json_string(res->otp_id));
        json_object_set_new(sms, "expires_at",
                            json_string(api_time(r->arena, res->otp_expires_at)));
    } else {
        json_object_set_new(sms, "reason", json_string(res->sms_refused));
        if (strcmp(res->sms_refused, "otp_rate_limited") == 0) {
            json_object_set_new(sms, "retry_after_seconds", json_integer(res->retry_after));
        }
    }
    json_object_set_new(o, "sms", sms);
    return o;
}

enum kt_rc api_pos_enroll(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"phone",     "store",    "operator", "card",
                                        "send_code", "referrer", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct enrol_req e = {.send_code = true, .key_id = r->key->id, .request_id = r->rid};
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        !member(r, body, "referrer", false, 64, &e.referrer, err) ||
        !phone_of(r, body, &e.phone, err) ||
        !member(r, body, "store", false, 64, &e.store_id, err) ||
        !member(r, body, "operator", false, 64, &e.operator_id, err) ||
        !member(r, body, "card", false, 13, &e.card, err) ||
        jsonx_bool(body, "", "send_code", 0, &e.send_code, err) != KT_OK) {
        return err->rc;
    }
    struct enrol_env env = enrol_env_of(r, r->app->enrol_per_store);
    struct enrol_result res;
    enum kt_rc rc = loyalty_enrol(r->app->store, &env, &e, clock_now_ms(), r->arena, &res, err);
    if (rc == KT_ECONFLICT && strcmp(err->code, "card_limit") == 0) {
        card_limit_more(r, &res); /* names the customer and their cards: a read of them */
        api_audit_note(r, "read", res.customer.id, AUDIT_F_CARDS);
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (res.otp_id[0]) {
        sched_wake(r->app->sched, r->app->sms_sink ? SMS_SINK_WAIT_MS : 0);
    }
    api_audit_note(r, "read", res.customer.id, AUDIT_F_CARDS);
    http_reply_json(r, res.created ? 201 : 200, enrol_json(r, &res));
    return KT_OK;
}

enum kt_rc api_pos_otp(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"phone", NULL};
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *phone;
    char otp_id[ID_MAX];
    struct enrol_env env = enrol_env_of(r, 0);
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        !phone_of(r, body, &phone, err) ||
        loyalty_code_send(r->app->store, &env, phone, r->key->id, now, r->arena, otp_id, err) !=
            KT_OK) {
        return err->rc;
    }
    sched_wake(r->app->sched, r->app->sms_sink ? SMS_SINK_WAIT_MS : 0);
    http_reply_json(r, 202,
                    json_pack("{s:s, s:s}", "otp_id", otp_id, "expires_at",
                              api_time(r->arena, now + OTP_TTL_MS)));
    return KT_OK;
}

enum kt_rc api_pos_verify(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"phone", "code", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *phone, *code;
    struct code_verified v;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        !phone_of(r, body, &phone, err) || !member(r, body, "code", true, 12, &code, err) ||
        loyalty_code_verify(r->app->store, &r->app->secret, phone, code, r->rid, clock_now_ms(),
                            r->arena, &v, err) != KT_OK) {
        return err->rc;
    }
    json_t *o = json_pack("{s:b, s:s, s:s}", "phone_verified", 1, "customer_id", v.customer_id,
                          "otp_id", v.otp.id);
    if (v.welcome_bonus > 0) {
        json_object_set_new(o, "welcome_bonus", json_integer(v.welcome_bonus));
    }
    api_audit_note(r, "read", v.customer_id, 1u << PF_PHONE); /* whose phone it is */
    http_reply_json(r, 200, o);
    return KT_OK;
}

/* ---- cards ---------------------------------------------------------------------------------- */

/* The id of the card's holder, or NULL: none, or none to be read (the card is shown without). */
static const char *owner_id(struct http_req *r, struct store_conn *c, const struct card *cd)
{
    struct customer cu;
    bool found = false;
    if (cd->ck == 0 || store_customer_get(c, cd->ck, r->arena, &cu, &found, NULL) != KT_OK ||
        !found) {
        return NULL;
    }
    return arena_strdup(r->arena, cu.id);
}

enum kt_rc api_cards_batch(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"batch", "count", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *batch;
    struct card *cs;
    int64_t n;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        !member(r, body, "batch", true, 64, &batch, err) ||
        jsonx_int(body, "", "count", 1, CARD_BATCH_MAX, JSONX_REQUIRED, &n, err) != KT_OK ||
        card_batch_print(r->app->store, &r->app->secret, batch, n, r->key->id, r->rid, NULL,
                         clock_now_ms(), r->arena, &cs, err) != KT_OK) {
        return err->rc;
    }
    json_t *nums = json_array();
    for (int64_t i = 0; i < n; i++) {
        json_array_append_new(nums, json_string(cs[i].number));
    }
    http_reply_json(
        r, 201,
        json_pack("{s:s, s:I, s:o}", "batch", batch, "count", (json_int_t)n, "numbers", nums));
    return KT_OK;
}

enum kt_rc api_card_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct card cd;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_card_get(rd, r->params[0], r->arena, &cd, NULL, err) != KT_OK) {
        return err->rc;
    }
    struct customer cu; /* the holder, followed through merges: their rows moved with them */
    bool held = false;
    if (cd.ck != 0 && r->key->stores != NULL &&
        store_customer_get(rd, cd.ck, r->arena, &cu, &held, err) != KT_OK) {
        return err->rc;
    }
    if (held && api_customer_visible(r, rd, cu.ck, NULL, err) != KT_OK) {
        if (err->rc != KT_ENOTFOUND) {
            return err->rc;
        }
        kt_err_reset(err); /* another store's customer's card: as a card that does not exist */
        return kt_err_set(err, KT_ENOTFOUND, "card_not_found", NULL, "no such card");
    }
    const char *holder = owner_id(r, rd, &cd);
    struct customer of = {.ck = cd.ck}; /* blocked: told after the store key's limit */
    if (holder != NULL && api_unblocked_for(r, rd, &of, "number", err) != KT_OK) {
        api_audit_note(r, "read", holder, 0); /* whose card was looked up, though not shown */
        return err->rc;
    }
    if (holder != NULL) {
        api_audit_note(r, "read", holder, AUDIT_F_CARDS);
    } else {
        audit_nothing_read(); /* a card nobody holds */
    }
    http_reply_json(r, 200, card_json(r->arena, &cd, holder));
    return KT_OK;
}

/* POST /v1/cards/{number}/{block,unbind,replace} {"reason": "...", "with": "..."} */
static enum kt_rc card_change(struct http_req *r, const char *what, struct kt_err *err)
{
    static const char *const known[] = {"reason", "with", NULL};
    int64_t now = clock_now_ms(), at;
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *reason, *with = NULL;
    struct store_conn *w;
    struct loyalty_rules rules;
    struct card old, neu;
    bool replace = strcmp(what, "replaced") == 0;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        !member(r, body, "reason", true, 500, &reason, err) ||
        (replace && !member(r, body, "with", false, 13, &with, err))) {
        return err->rc;
    }
    if (!replace && json_object_get(body, "with") != NULL) {
        return kt_err_set(err, KT_EINVAL, "unknown_field", "with",
                          "only a replacement names a card");
    }
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = loyalty_program_get(w, r->arena, &rules, &at, err);
    if (rc == KT_OK) {
        rc = replace ? card_replace(w, &r->app->secret, &rules, r->params[0], with, reason, now,
                                    r->arena, &old, &neu, err)
                     : card_set_state(w, r->params[0], what, reason, now, r->arena, &old, err);
    }
    if (rc == KT_OK && replace && old.ck != 0) { /* a block stops a card being used, not one
                                                    being blocked or taken away */
        struct customer holder = {.ck = old.ck};
        rc = ident_unblocked(w, &holder, "number", "the card may be blocked", err);
    }
    if (rc == KT_OK && replace) { /* a new card, counted like an enrolment's */
        struct enrol_limits lim = {r->app->enrol_per_key, 0};
        rc = enrol_admit(w, &lim, r->key->id, NULL, now, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "cards", NULL, NULL,
                         arena_printf(r->arena, "card %s", what), r->rid, now, err);
    }
    if (rc != KT_OK && strcmp(err->field, "card") == 0) {
        kt_strlcpy(err->field, "number", sizeof(err->field));
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *rd;
    if (http_req_reader(r, &rd, err) != KT_OK) {
        return err->rc;
    }
    const char *holder = owner_id(r, rd, &old);
    json_t *o = card_json(r->arena, &old, holder);
    if (replace) {
        o = json_pack("{s:o, s:o}", "replaced", o, "card",
                      card_json(r->arena, &neu, owner_id(r, rd, &neu)));
    }
    if (holder != NULL) {
        api_audit_note(r, "read", holder, AUDIT_F_CARDS);
    }
    http_reply_json(r, 200, o);
    return KT_OK;
}

enum kt_rc api_card_block(struct http_req *r, struct kt_err *err)
{
    return card_change(r, "blocked", err);
}

enum kt_rc api_card_unbind(struct http_req *r, struct kt_err *err)
{
    return card_change(r, "unbound", err);
}

enum kt_rc api_card_replace(struct http_req *r, struct kt_err *err)
{
    return card_change(r, "replaced", err);
}

enum kt_rc api_customer_cards(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    struct card *cs;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        store_card_list(rd, cu.ck, r->arena, &cs, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, card_json(r->arena, &cs[i], cu.id));
    }
    api_audit_note(r, "read", cu.id, AUDIT_F_CARDS);
    http_reply_json(r, 200, json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items));
    return KT_OK;
}
