/*
 * enroll.c - enrolment at the cash desk by phone alone, and the one-time code that proves the
 * phone (docs/loyalty.md): POST /v1/pos/enroll, /v1/pos/otp and /v1/pos/verify.
 *
 * Enrolment takes the same path as a cash-desk profile (identity/: cleaned, matched, a new
 * customer pending consent) and is refused when the phone belonged to an erased person; then the
 * friend who brought them, a card (a physical one bound, or the newest active one, or a new
 * virtual one), the hourly enrolment limits, the welcome bonus and the code by SMS, all in one
 * write transaction. Each function here opens and ends its own.
 */
#include <string.h>

#include "consent/consent.h"
#include "loyalty/bonus.h"
#include "loyalty/enroll.h"
#include "loyalty/program.h"

/* The enrolment as the upsert of a cash-desk profile: {"source": {"channel": "pos", "store",
 * "operator"}, "profile": {"phone"}}. */
static enum kt_rc enrol_upsert_req(const struct enrol_req *e, int64_t now, struct arena *a,
                                   struct upsert_req *req, struct kt_err *err)
{
    json_t *doc =
        json_pack("{s:{s:s}, s:{s:s}}", "source", "channel", "pos", "profile", "phone", e->phone);
    json_t *src = json_object_get(doc, "source");
    if (e->store_id) {
        json_object_set_new(src, "store", json_string(e->store_id));
    }
    if (e->operator_id) {
        json_object_set_new(src, "operator", json_string(e->operator_id));
    }
    enum kt_rc rc = ident_decode(doc, &(struct ident_decode_opts){false, false, SCOPE_POS, NULL},
                                 NULL, 0, now, a, req, err);
    json_decref(doc);
    req->src.request_id = e->request_id;
    return rc;
}

/* "referrer": the phone or the card of the customer who brought this one, new to the programme. */
static enum kt_rc referral_of(struct store_conn *w, const char *referrer,
                              const struct upsert_result *res, int64_t now, struct arena *a,
                              struct kt_err *err)
{
    if (!res->created) {
        return kt_err_set(err, KT_ECONFLICT, "referral_not_new", "referrer",
                          "only a new customer can be brought by a friend");
    }
    const char *kind = ean13_valid(referrer) ? "card" : "phone", *value;
    struct ident id;
    bool held = false;
    enum kt_rc rc = ident_value_clean(kind, referrer, strlen(referrer), a, "referrer", &value, err);
    if (rc == KT_OK) {
        rc = store_ident_find(w, kind, value, a, &id, &held, err);
    }
    if (rc == KT_OK && !held) {
        return kt_err_set(err, KT_EINVAL, "referrer_not_found", "referrer",
                          "no customer has that %s", kind);
    }
    if (rc != KT_OK) {
        return rc;
    }
    return loyalty_referral_set(w, res->cust.ck, id.ck, now, a, err);
}

enum kt_rc loyalty_card_for(struct store_conn *w, const struct key_secret *k,
                            const struct loyalty_rules *rules, const char *number, int64_t ck,
                            int64_t now, struct arena *a, struct card *cd, bool *issued,
                            struct kt_err *err)
{
    *issued = false;
    if (number != NULL) {
        enum kt_rc rc = card_bind(w, rules, number, ck, now, a, cd, err);
        *issued = rc == KT_OK;
        return rc;
    }
    struct card *cs;
    size_t n;
    enum kt_rc rc = store_card_list(w, ck, a, &cs, &n, err);
    for (size_t i = n; rc == KT_OK && i-- > 0;) {
        if (strcmp(cs[i].state, "active") == 0) {
            *cd = cs[i];
            return KT_OK;
        }
    }
    if (rc == KT_OK) {
        rc = card_issue_virtual(w, k, rules, ck, now, a, cd, err);
        *issued = rc == KT_OK;
    }
    return rc;
}

/* The code by SMS when asked and the phone is not verified; the send limit is no error of the
 * enrolment, only a refusal in `out`. */
static enum kt_rc enrol_code(struct store_conn *w, const struct enrol_env *env,
                             const struct loyalty_rules *rules, const struct enrol_req *e,
                             int64_t now, struct arena *a, struct enrol_result *out,
                             struct kt_err *err)
{
    if (out->phone_verified || !e->send_code) {
        out->sms_refused = out->phone_verified ? "phone_verified" : "not_asked";
        return KT_OK;
    }
    struct kt_err e2;
    kt_err_reset(&e2);
    enum kt_rc rc = otp_send(w, env->secret, rules, out->customer.ck, e->phone, out->card.number,
                             env->sms_text, e->key_id, now, a, out->otp_id, &e2);
    if (rc == KT_ELIMIT) {
        out->sms_refused = "otp_rate_limited";
        out->retry_after = e2.retry_after;
        return KT_OK;
    }
    out->otp_expires_at = now + OTP_TTL_MS;
    return rc == KT_OK ? KT_OK : kt_err_copy(err, &e2);
}

enum kt_rc loyalty_sign_up(struct store_conn *w, int64_t ck, const char *channel, const char *props,
                           int64_t now, struct kt_err *err)
{
    struct event ev = {.ck = ck,
                       .type = "sign_up",
                       .at = now,
                       .received_at = now,
                       .channel = channel,
                       .props = props};
    bool dup = false;
    return store_event_add(w, &ev, &dup, err);
}

/* The enrolment's writes after the refusal of an erased person's phone. */
static enum kt_rc enrol_write(struct store_conn *w, const struct enrol_env *env,
                              const struct enrol_req *e, const struct upsert_req *req, int64_t now,
                              struct arena *a, struct enrol_result *out, struct kt_err *err)
{
    struct loyalty_rules rules;
    struct upsert_result res;
    int64_t at;
    enum kt_rc rc = loyalty_program_get(w, a, &rules, &at, err);
    if (rc == KT_OK) {
        rc = ident_upsert(w, req, now, a, &res, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    out->customer = res.cust;
    out->created = res.created;
    if (res.created) {
        struct consent_actor who = {"pos",         e->store_id, e->operator_id, e->key_id,
                                    e->request_id, res.cust.id, false};
        rc = consent_mark_pending(w, res.cust.ck, &who, now, err);
    }
    if (rc == KT_OK && e->referrer != NULL) {
        rc = referral_of(w, e->referrer, &res, now, a, err);
    }
    if (rc == KT_OK) {
        rc = loyalty_card_for(w, env->secret, &rules, e->card, res.cust.ck, now, a, &out->card,
                              &out->card_issued, err);
    }
    if (rc == KT_OK && (res.created || out->card_issued)) { /* counted against the limits */
        rc = enrol_admit(w, &env->limits, e->key_id, e->store_id, now, err);
    }
    if (rc == KT_OK && out->card_issued) { /* a complete profile's first card */
        rc = loyalty_welcome_check(w, res.cust.ck, now, a, NULL, err);
    }
    if (rc == KT_OK && out->card_issued) {
        rc = loyalty_sign_up(w, res.cust.ck, "pos", "{\"method\":\"card\"}", now, err);
    }
    out->phone_verified = (res.cust.verified & (1u << PF_PHONE)) != 0;
    return rc == KT_OK ? enrol_code(w, env, &rules, e, now, a, out, err) : rc;
}

/* card_limit: the active cards of the customer the clash is with, read after the rollback. */
static void held_cards(struct store *s, struct arena *a, struct enrol_result *out)
{
    struct store_conn *rd;
    struct customer cu;
    struct card *cs;
    size_t n;
    out->held = NULL;
    out->n_held = 0;
    if (store_read_begin(s, &rd, NULL) != KT_OK) { /* the 409 stands without the list */
        return;
    }
    if (store_customer_get_by_id(rd, out->customer.id, a, &cu, NULL, NULL) == KT_OK &&
        store_card_list(rd, cu.ck, a, &cs, &n, NULL) == KT_OK) {
        out->held = arena_zalloc(a, (n ? n : 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            if (strcmp(cs[i].state, "active") == 0) {
                out->held[out->n_held++] = cs[i].number;
            }
        }
    }
    store_read_end(rd);
}

enum kt_rc loyalty_enrol(struct store *s, const struct enrol_env *env, const struct enrol_req *e,
                         int64_t now, struct arena *a, struct enrol_result *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct upsert_req req;
    struct store_conn *w;
    const char *which = NULL;
    enum kt_rc rc = enrol_upsert_req(e, now, a, &req, err);
    if (rc != KT_OK || (rc = store_write_begin(s, &w, err)) != KT_OK) {
        return rc;
    }
    rc = suppress_check(w, env->secret, &req, false, now, &which, err);
    if (rc == KT_OK && which != NULL) { /* the refusal is counted: committed, and it stands */
        rc = kt_err_set(err, KT_EINVAL, "suppressed", "phone",
                        "this phone belonged to a customer who was erased; it comes back only "
                        "with new consent given through a form");
        store_write_end(w, KT_OK, NULL); /* `err` holds the refusal */
        return rc;
    }
    if (rc == KT_OK) {
        rc = enrol_write(w, env, e, &req, now, a, out, err);
    }
    if (rc == KT_ECONFLICT && strcmp(err->code, "card_limit") == 0) {
        store_write_rollback(w);
        held_cards(s, a, out);
        return rc;
    }
    return store_write_end(w, rc, err);
}

/* ---- one-time codes ------------------------------------------------------------------------ */

/* The customer who owns `phone`, in the write transaction. */
static enum kt_rc phone_customer(struct store_conn *w, const char *phone, struct arena *a,
                                 struct customer *cu, struct kt_err *err)
{
    struct ident id;
    bool held;
    enum kt_rc rc = store_ident_find(w, "phone", phone, a, &id, &held, err);
    if (rc == KT_OK && !held) {
        return kt_err_set(err, KT_EINVAL, "customer_not_found", "phone",
                          "no customer has that phone; enrol them first");
    }
    return rc == KT_OK ? store_customer_get(w, id.ck, a, cu, NULL, err) : rc;
}

enum kt_rc loyalty_code_send(struct store *s, const struct enrol_env *env, const char *phone,
                             const char *key_id, int64_t now, struct arena *a, char otp_id[ID_MAX],
                             struct kt_err *err)
{
    struct store_conn *w;
    struct customer cu;
    struct loyalty_rules rules;
    struct card *cs = NULL;
    size_t n = 0;
    int64_t at;
    otp_id[0] = '\0';
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = phone_customer(w, phone, a, &cu, err);
    if (rc == KT_OK) {
        rc = loyalty_program_get(w, a, &rules, &at, err);
    }
    if (rc == KT_OK) {
        rc = store_card_list(w, cu.ck, a, &cs, &n, err);
    }
    if (rc == KT_OK) {
        const char *card = NULL; /* the SMS names their last active card */
        for (size_t i = 0; i < n; i++) {
            card = strcmp(cs[i].state, "active") == 0 ? cs[i].number : card;
        }
        rc = otp_send(w, env->secret, &rules, cu.ck, phone, card, env->sms_text, key_id, now, a,
                      otp_id, err);
    }
    return store_write_end(w, rc, err);
}

enum kt_rc loyalty_code_verify(struct store *s, const struct key_secret *k, const char *phone,
                               const char *code, const char *request_id, int64_t now,
                               struct arena *a, struct code_verified *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct store_conn *w;
    bool count = false;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    const struct ident_source src = {"pos", NULL, NULL, now, request_id};
    rc = loyalty_code_check(w, k, phone, code, &src, now, a, out, &count, err);
    if (rc != KT_OK && count) { /* a wrong guess is counted: committed, and the refusal stands */
        store_write_end(w, KT_OK, NULL); /* `err` holds the refusal */
        return rc;
    }
    if (rc == KT_OK) {
        rc = loyalty_welcome_check(w, out->otp.ck, now, a, &out->welcome_bonus, err);
    }
    return store_write_end(w, rc, err);
}

enum kt_rc loyalty_code_check(struct store_conn *w, const struct key_secret *k, const char *phone,
                              const char *code, const struct ident_source *src, int64_t now,
                              struct arena *a, struct code_verified *out, bool *count,
                              struct kt_err *err)
{
    struct customer cu;
    struct upsert_result res;
    enum kt_rc rc = otp_verify(w, k, phone, code, now, a, &out->otp, count, err);
    if (rc == KT_OK) {
        rc = store_customer_get(w, out->otp.ck, a, &cu, NULL, err);
    }
    if (rc == KT_OK) { /* the phone is proven: verified, through the usual survivorship */
        struct upsert_req req;
        memset(&req, 0, sizeof(req));
        req.src = *src;
        req.val[PF_PHONE] = phone;
        req.verify = 1u << PF_PHONE;
        rc = ident_patch(w, cu.id, &req, now, a, &res, err);
    }
    if (rc == KT_OK) {
        rc = store_ident_set_verified(w, "phone", phone, err);
    }
    if (rc == KT_OK) {
        out->customer_id = arena_strdup(a, res.cust.id);
    }
    return rc;
}
