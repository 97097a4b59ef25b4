/*
 * join_confirm.c - the code page of a held join form and the card page (join.h): the code
 * checked by loyalty's one-time code rules, then everything the form holds stored in one write
 * transaction through the identity, cleaning and consent path of the API.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/seal.h"
#include "base/num.h"
#include "consent/consent.h"
#include "loyalty/bonus.h"
#include "loyalty/enroll.h"
#include "loyalty/program.h"
#include "pages/csrf.h"
#include "pages/join_int.h"
#include "pages/qr.h"

static const char *card_context(const char *code, struct arena *a)
{
    return arena_printf(a, "kartoteka/join-card/v1:%s", code);
}

enum kt_rc pages_join_held_open(struct store_conn *c, const struct key_secret *k, const char *code,
                                const char *token, int64_t now, struct arena *a,
                                struct pages_join_held *out, bool *found, struct kt_err *err)
{
    const char *text = NULL;
    struct join_pending p;
    struct customer cu;
    bool there = false;
    *found = false;
    if (token == NULL || !seal_open(k, pages_join_held_context(code, a), token, a, &text) ||
        (text[0] != 't' && text[0] != 'j') || text[1] != '.') {
        return KT_OK;
    }
    if (store_join_pending_get(c, text + 2, a, &p, &there, err) != KT_OK) {
        return err->rc == KT_EGONE ? (kt_err_reset(err), KT_OK) : err->rc; /* she was erased */
    }
    if (!there || p.expires_at <= now || strcmp(p.join_point, code) != 0) {
        return KT_OK;
    }
    if (store_customer_get(c, p.ck, a, &cu, &there, err) != KT_OK) {
        return err->rc;
    }
    *out = (struct pages_join_held){text + 2, there ? cu.id : "", text[0] == 't'};
    *found = there && cu.erased_at == 0;
    return KT_OK;
}

json_t *pages_join_code_view(const struct key_secret *k, const char *code, bool tablet,
                             const char *error, int64_t now, struct arena *a)
{
    json_t *ctx =
        json_pack("{s:s, s:b, s:s}", "csrf", pages_csrf_token(k, FORM_CODE, now, a), "tablet",
                  tablet, "again", arena_printf(a, "/%c/%s", tablet ? 't' : 'j', code));
    if (error != NULL) {
        json_object_set_new(ctx, "error", json_string(error));
    }
    if (tablet) {
        json_object_set_new(ctx, "refresh",
                            json_string(arena_printf(a, "%d;url=/t/%s", PAGES_TABLET_IDLE, code)));
    }
    return ctx;
}

/* The code's refusal as the page says it. */
static const char *code_message(const struct kt_err *e, const struct code_verified *cv,
                                struct arena *a)
{
    if (strcmp(e->code, "code_wrong") == 0) {
        return arena_printf(a, "Неверный код. Осталось попыток: %lld",
                            (long long)(OTP_ATTEMPTS - cv->otp.attempts));
    }
    if (strcmp(e->code, "code_attempts_exceeded") == 0) {
        return "Код введён неверно слишком много раз: заполните форму заново, придёт новый код";
    }
    if (strcmp(e->code, "code_expired") == 0) {
        return "Код устарел: заполните форму заново, придёт новый код";
    }
    return "Этот код не подходит: заполните форму заново, придёт новый код";
}

/* The consents the form gave, with their evidence: the form (which join point), the document
 * and its hash (consent_record resolves them), the code that proved the phone, the address and
 * the user agent, at the moment the boxes were ticked. */
static size_t consents_of(const json_t *held, const char *form_id, const char *otp_id,
                          struct consent_input in[4], struct arena *a)
{
    const json_t *pd = json_object_get(held, "pd"), *ads = json_object_get(held, "ads");
    struct consent_input base = {
        .granted = true,
        .at = json_integer_value(json_object_get(held, "at")),
        .form_id = form_id,
        .otp_id = otp_id,
        .ip = json_string_value(json_object_get(held, "ip")),
        .user_agent = json_string_value(json_object_get(held, "ua")),
    };
    size_t n = 0;
    in[n] = base;
    in[n].purpose = "pd_processing";
    in[n].channel = "";
    in[n].doc_key = arena_strdup(a, json_string_value(json_object_get(pd, "key")));
    in[n++].doc_version = json_integer_value(json_object_get(pd, "version"));
    size_t i;
    const json_t *ch;
    json_array_foreach(json_object_get(held, "ads_channels"), i, ch)
    {
        if (ads == NULL || n == 4) {
            break;
        }
        in[n] = base;
        in[n].purpose = "ads";
        in[n].channel = arena_strdup(a, json_string_value(ch));
        in[n].doc_key = arena_strdup(a, json_string_value(json_object_get(ads, "key")));
        in[n++].doc_version = json_integer_value(json_object_get(ads, "version"));
    }
    return n;
}

/* The topics ticked, on each channel of theirs whose ads consent the form gave. */
static enum kt_rc topics_of(struct store_conn *w, int64_t ck, const json_t *held,
                            const struct consent_actor *who, int64_t now, struct arena *a,
                            struct kt_err *err)
{
    struct topic *t = NULL;
    size_t n = 0;
    if (store_topic_list(w, a, &t, &n, err) != KT_OK) {
        return err->rc;
    }
    size_t i, j;
    const json_t *key, *ch;
    json_array_foreach(json_object_get(held, "topics"), i, key)
    {
        for (size_t k = 0; k < n; k++) {
            if (strcmp(t[k].key, json_string_value(key)) != 0) {
                continue;
            }
            json_array_foreach(json_object_get(held, "ads_channels"), j, ch)
            {
                const char *c = json_string_value(ch);
                int changed = 0;
                if (strstr(t[k].channels, arena_printf(a, "\"%s\"", c)) != NULL &&
                    subs_set(w, ck, t[k].key, c, true, "join_form", who, now, &changed, err) !=
                        KT_OK) {
                    return err->rc;
                }
            }
        }
    }
    return KT_OK;
}

/* Everything the held form says, stored: the phone proven already. */
static enum kt_rc store_held(struct store_conn *w, const struct key_secret *k, const char *code,
                             const struct pages_join_held *h, const json_t *held,
                             const struct upsert_req *req0, const char *otp_id, int64_t now,
                             struct arena *a, struct card *cd, const char **customer_id,
                             struct kt_err *err)
{
    struct upsert_req req = *req0;
    struct upsert_result res;
    const char *which = NULL, *field = NULL;
    req.verify |= 1u << PF_PHONE; /* the code proved it */
    enum kt_rc rc = suppress_check_at(w, k, &req, true, now, &which, &field, err);
    rc = rc == KT_OK ? ident_upsert(w, &req, now, a, &res, err) : rc;
    if (rc != KT_OK) {
        return rc;
    }
    const char *form_id = arena_printf(a, "%s:%s", h->tablet ? "tablet" : "join", code);
    struct consent_input in[4];
    size_t n = consents_of(held, form_id, otp_id, in, a);
    struct consent_actor who = {req.src.channel,    req.src.store_id, NULL, NULL,
                                req.src.request_id, res.cust.id,      false};
    struct loyalty_rules rules;
    int64_t at = 0;
    bool issued = false;
    rc = consent_record(w, res.cust.ck, in, n, &who, now, NULL, err);
    rc = rc == KT_OK ? topics_of(w, res.cust.ck, held, &who, now, a, err) : rc;
    rc = rc == KT_OK ? loyalty_program_get(w, a, &rules, &at, err) : rc;
    rc = rc == KT_OK ? loyalty_card_for(w, k, &rules, NULL, res.cust.ck, now, a, cd, &issued, err)
                     : rc;
    if (rc == KT_OK && issued) {
        rc = loyalty_sign_up(
            w, res.cust.ck, req.src.channel,
            arena_printf(a, "{\"method\":\"join_form\",\"join_point\":\"%s\"}", code), now, err);
    }
    rc = rc == KT_OK ? loyalty_welcome_check(w, res.cust.ck, now, a, NULL, err) : rc;
    rc = rc == KT_OK ? store_join_pending_delete(w, h->id, err) : rc;
    *customer_id = res.cust.id;
    return rc;
}

/* The held form's values decoded strictly, against the declarations as they are now. */
static enum kt_rc held_request(struct store_conn *w, const json_t *held, const char *request_id,
                               int64_t now, struct arena *a, struct upsert_req *req,
                               struct kt_err *err)
{
    struct attr_def *defs = NULL;
    size_t n_defs = 0;
    if (store_attr_list(w, a, &defs, &n_defs, err) != KT_OK ||
        ident_decode(json_object_get(held, "request"),
                     &(struct ident_decode_opts){false, false, SCOPE_COLLECT, NULL}, defs, n_defs,
                     now, a, req, err) != KT_OK) {
        return err->rc;
    }
    req->src.request_id = request_id;
    return KT_OK;
}

enum kt_rc pages_join_confirm(struct store *s, const struct key_secret *k, const char *code,
                              const char *token, const struct pages_form *form,
                              const char *request_id, int64_t now, struct arena *a,
                              struct pages_join_done *out, struct kt_err *err)
{
    struct store_conn *w;
    struct pages_join_held h;
    struct join_pending p;
    bool found = false;
    *out = (struct pages_join_done){0};
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = pages_join_held_open(w, k, code, token, now, a, &h, &found, err);
    if (rc == KT_OK && !found) {
        out->gone = true;
        store_write_rollback(w);
        return KT_OK;
    }
    rc = rc == KT_OK ? pages_csrf_spend(w, k, FORM_CODE, pages_form_get(form, "csrf"), now, err)
                     : rc;
    rc = rc == KT_OK ? store_join_pending_get(w, h.id, a, &p, NULL, err) : rc;
    json_t *held = rc == KT_OK ? json_loads(p.data, 0, NULL) : NULL;
    if (rc == KT_OK && held == NULL) {
        rc = kt_err_set(err, KT_EINTERNAL, "internal", NULL, "a held join form is not JSON");
    }
    arena_defer(a, (void (*)(void *))json_decref, held);
    struct upsert_req req;
    rc = rc == KT_OK ? held_request(w, held, request_id, now, a, &req, err) : rc;
    if (rc == KT_EINVAL) { /* the declarations changed since: the form is to be filled again */
        kt_err_reset(err);
        out->error = "Анкета изменилась, пока шёл код: заполните её заново";
        store_write_rollback(w);
        return KT_OK;
    }
    const char *typed = pages_form_get(form, "code");
    if (rc == KT_OK && (typed == NULL || typed[0] == '\0')) {
        out->error = "Введите код из SMS";
        store_write_rollback(w);
        return KT_OK;
    }
    struct code_verified cv;
    bool count = false;
    struct kt_err e2;
    kt_err_reset(&e2);
    memset(&cv, 0, sizeof(cv));
    if (rc == KT_OK && loyalty_code_check(w, k, req.val[PF_PHONE], typed, &req.src, now, a, &cv,
                                          &count, &e2) != KT_OK) {
        if (e2.rc != KT_EINVAL && e2.rc != KT_ELIMIT) {
            kt_err_copy(err, &e2);
            return store_write_end(w, e2.rc, err);
        }
        out->error = code_message(&e2, &cv, a);
        if (count) { /* a wrong guess counts: committed, the form's token spent with it */
            return store_write_end(w, KT_OK, err);
        }
        store_write_rollback(w);
        return KT_OK;
    }
    struct card cd;
    rc = rc == KT_OK ? store_held(w, k, code, &h, held, &req, cv.otp.id, now, a, &cd,
                                  &out->customer_id, err)
                     : rc;
    rc = store_write_end(w, rc, err);
    if (rc == KT_OK) {
        out->card_token = seal_make(k, card_context(code, a),
                                    arena_printf(a, "%c.%lld.%s.%s", h.tablet ? 't' : 'j',
                                                 (long long)(now + PAGES_CARD_TTL_MS), cd.number,
                                                 out->customer_id),
                                    a);
    }
    return rc;
}

json_t *pages_join_card_view(const struct key_secret *k, const char *code, const char *token,
                             int64_t now, struct arena *a, const char **customer_id)
{
    const char *text = NULL, *svg = NULL;
    if (token == NULL || !seal_open(k, card_context(code, a), token, a, &text) ||
        (text[0] != 't' && text[0] != 'j') || text[1] != '.') {
        return NULL;
    }
    const char *d1 = strchr(text + 2, '.'), *d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
    int64_t expires = 0;
    if (d2 == NULL || !num_parse_i64(text + 2, (size_t)(d1 - text - 2), 0, INT64_MAX, &expires) ||
        expires < now) {
        return NULL;
    }
    const char *number = arena_strndup(a, d1 + 1, (size_t)(d2 - d1 - 1));
    if (ean13_svg(number, "card", a, &svg, NULL) != KT_OK) {
        return NULL;
    }
    bool tablet = text[0] == 't';
    *customer_id = d2 + 1;
    json_t *ctx = json_pack("{s:s, s:s, s:b, s:s}", "card", number, "barcode", svg, "tablet",
                            tablet, "again", arena_printf(a, "/%c/%s", tablet ? 't' : 'j', code));
    if (tablet) {
        json_object_set_new(ctx, "refresh",
                            json_string(arena_printf(a, "%d;url=/t/%s", PAGES_TABLET_SHOWN, code)));
    }
    return ctx;
}
