/*
 * join_hold.c - a join form posted: checked, the phone's customer found or stored alone, the
 * code sent and the form held for it (join.h, pages_join_submit).
 */
#include <sodium.h>
#include <string.h>

#include "auth/seal.h"
#include "consent/consent.h"
#include "loyalty/cards.h"
#include "loyalty/program.h"
#include "pages/csrf.h"
#include "pages/docs.h"
#include "pages/join_int.h"
#include "pages/limits.h"

#define UA_MAX 256 /* bytes of the user agent kept as evidence */

const char *pages_join_held_context(const char *code, struct arena *a)
{
    return arena_printf(a, "kartoteka/join/v1:%s", code);
}

/* The user agent as evidence: at most UA_MAX bytes, cut at a character's start. */
static const char *ua_of(const char *ua, struct arena *a)
{
    if (ua == NULL) {
        return NULL;
    }
    size_t n = strlen(ua);
    if (n <= UA_MAX) {
        return ua;
    }
    n = UA_MAX;
    while (n > 0 && ((unsigned char)ua[n] & 0xc0) == 0x80) {
        n--;
    }
    return arena_strndup(a, ua, n);
}

/* The customer of `phone` (standard form): the one who holds it, or a new one with the phone
 * alone, pending consent, as the till's enrolment stores one (the one-time code needs a
 * customer). */
static enum kt_rc phone_customer(struct store_conn *w, const struct key_secret *k,
                                 const char *phone, const char *channel, const char *store,
                                 const char *request_id, int64_t now, struct arena *a,
                                 struct customer *cu, struct kt_err *err)
{
    struct ident id;
    bool held = false;
    if (store_ident_find(w, "phone", phone, a, &id, &held, err) != KT_OK) {
        return err->rc;
    }
    if (held) {
        return store_customer_get(w, id.ck, a, cu, NULL, err);
    }
    json_t *doc = json_pack("{s:{s:s, s:s}, s:{s:s}}", "source", "channel", channel, "store", store,
                            "profile", "phone", phone);
    struct upsert_req req;
    struct upsert_result res;
    const char *which = NULL;
    enum kt_rc rc =
        ident_decode(doc, &(struct ident_decode_opts){false, false, SCOPE_COLLECT, NULL}, NULL, 0,
                     now, a, &req, err);
    json_decref(doc);
    req.src.request_id = request_id;
    /* the form brings new pd_processing consent: an erased person's phone comes back, as the
     * API's upsert of a form with consent lets it */
    rc = rc == KT_OK ? suppress_check(w, k, &req, true, now, &which, err) : rc;
    rc = rc == KT_OK ? ident_upsert(w, &req, now, a, &res, err) : rc;
    if (rc == KT_OK) {
        *cu = res.cust;
        struct consent_actor who = {channel, store, NULL, NULL, request_id, res.cust.id, false};
        rc = res.created ? consent_mark_pending(w, res.cust.ck, &who, now, err) : KT_OK;
    }
    return rc;
}

/* What waits for the code: the request as typed, the documents consented to, the ads channels,
 * the topics and the evidence. */
static char *held_json(const struct pages_form *form, json_t *request, const struct consent_doc *pd,
                       const struct consent_doc *ads, const char *ip, const char *ua, int64_t now,
                       struct arena *a)
{
    json_t *channels = json_array(), *topics = json_array();
    static const char *const chs[] = {"sms", "email", "push"};
    for (size_t i = 0; ads != NULL && i < sizeof(chs) / sizeof(chs[0]); i++) {
        if (pages_form_get(form, arena_printf(a, "ads_%s", chs[i])) != NULL) {
            json_array_append_new(channels, json_string(chs[i]));
        }
    }
    const char *picked[PAGES_FORM_FIELDS_MAX];
    size_t np = pages_form_all(form, "topic", picked, PAGES_FORM_FIELDS_MAX);
    for (size_t i = 0; i < np && i < PAGES_FORM_FIELDS_MAX; i++) {
        json_array_append_new(topics, json_string(picked[i]));
    }
    json_t *o = json_pack("{s:O, s:{s:s, s:I}, s:o, s:o, s:I}", "request", request, "pd", "key",
                          pd->key, "version", (json_int_t)pd->version, "ads_channels", channels,
                          "topics", topics, "at", (json_int_t)now);
    if (ads != NULL) {
        json_object_set_new(
            o, "ads",
            json_pack("{s:s, s:I}", "key", ads->key, "version", (json_int_t)ads->version));
    }
    if (ip != NULL) {
        json_object_set_new(o, "ip", json_string(ip));
    }
    if (ua != NULL) {
        json_object_set_new(o, "ua", json_string(ua));
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* The code sent and the form held, in `w`: the join point open, the form checked. */
static enum kt_rc hold(struct store_conn *w, const struct pages_join_env *env,
                       const struct join_point *jp, bool tablet, const struct pages_form *form,
                       const char *ip, const char *ua, const char *request_id, int64_t now,
                       struct arena *a, struct pages_join_result *out, struct kt_err *err)
{
    const char *channel = tablet ? "tablet" : "qr_form";
    struct attr_def *defs = NULL;
    size_t n_defs = 0;
    struct upsert_req req;
    const struct consent_doc *pd = NULL, *ads = NULL;
    if (store_attr_list(w, a, &defs, &n_defs, err) != KT_OK ||
        pages_join_check(form, channel, jp->store, defs, n_defs, now, a, &req, &out->errors, err) !=
            KT_OK) {
        return err->rc;
    }
    if (out->errors != NULL) {
        return KT_OK;
    }
    struct customer cu;
    struct loyalty_rules rules;
    int64_t at = 0;
    const char *phone = req.val[PF_PHONE];
    /* against SMS pumping: counted with the work, so a refusal below counts nothing */
    if (pages_limit_take(w, env->secret, "phone", phone, now, err) != KT_OK ||
        pages_limit_take(w, env->secret, "addr", ip, now, err) != KT_OK ||
        pages_limit_take(w, env->secret, "join_point", jp->code, now, err) != KT_OK ||
        pages_doc_latest(w, "pd_processing", a, &pd, err) != KT_OK ||
        pages_doc_latest(w, "ads", a, &ads, err) != KT_OK ||
        phone_customer(w, env->secret, phone, channel, jp->store, request_id, now, a, &cu, err) !=
            KT_OK ||
        loyalty_program_get(w, a, &rules, &at, err) != KT_OK) {
        return err->rc;
    }
    char otp_id[ID_MAX] = "";
    struct kt_err e2;
    kt_err_reset(&e2);
    enum kt_rc rc = otp_send(w, env->secret, &rules, cu.ck, phone, NULL, env->sms_text, NULL, now,
                             a, otp_id, &e2);
    if (rc == KT_ELOCKED) { /* blocked: no SMS, and the page says nothing a stranger may learn */
        otp_id[0] = '\0';
    } else if (rc != KT_OK) {
        return kt_err_copy(err, &e2);
    }
    json_t *request = pages_join_request(form, channel, jp->store, defs, n_defs, a);
    char *data = held_json(form, request, pd, ads, ip, ua_of(ua, a), now, a);
    json_decref(request);
    unsigned char nonce[16];
    char hex[33];
    randombytes_buf(nonce, sizeof(nonce));
    sodium_bin2hex(hex, sizeof(hex), nonce, sizeof(nonce));
    struct join_pending p = {.ck = cu.ck,
                             .join_point = jp->code,
                             .channel = channel,
                             .data = data,
                             .otp_id = otp_id[0] ? otp_id : NULL,
                             .created_at = now,
                             .expires_at = now + PAGES_JOIN_TTL_MS};
    snprintf(p.id, sizeof(p.id), "jf_%s", hex);
    rc = store_join_pending_add(w, &p, now, err);
    sodium_memzero(data, strlen(data));
    free(data);
    if (rc == KT_OK) {
        out->customer_id = arena_strdup(a, cu.id);
        out->token = seal_make(env->secret, pages_join_held_context(jp->code, a),
                               arena_printf(a, "%c.%s", tablet ? 't' : 'j', p.id), a);
    }
    return rc;
}

enum kt_rc pages_join_submit(struct store *s, const struct pages_join_env *env, const char *code,
                             bool tablet, const struct pages_form *form, const char *ip,
                             const char *ua, const char *request_id, int64_t now, struct arena *a,
                             struct pages_join_result *out, struct kt_err *err)
{
    struct store_conn *w;
    struct join_point jp;
    enum pages_jp_state state = PAGES_JP_NONE;
    *out = (struct pages_join_result){0};
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = pages_join_point(w, code, a, &state, &jp, err);
    if (rc == KT_OK && state != PAGES_JP_OPEN) {
        rc = state == PAGES_JP_NONE
                 ? kt_err_set(err, KT_ENOTFOUND, "join_point_not_found", NULL, "no such join point")
                 : kt_err_set(err, KT_ECONFLICT, "join_point_disabled", NULL,
                              "the join point takes no customers");
    }
    rc = rc == KT_OK
             ? pages_csrf_spend(w, env->secret, FORM_JOIN, pages_form_get(form, "csrf"), now, err)
             : rc;
    const char *honey = pages_form_get(form, "website");
    if (rc == KT_OK && honey != NULL && honey[0] != '\0') { /* a robot: thanked, nothing kept */
        out->robot = true;
        return store_write_end(w, KT_OK, err);
    }
    rc = rc == KT_OK ? hold(w, env, &jp, tablet, form, ip, ua, request_id, now, a, out, err) : rc;
    if (rc == KT_OK && out->errors != NULL) { /* nothing stored, the token not spent either */
        store_write_rollback(w);
        return KT_OK;
    }
    return store_write_end(w, rc, err);
}
