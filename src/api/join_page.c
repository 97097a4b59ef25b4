/*
 * join_page.c - the join form's routes (docs/pages.md, "The join form", "The tablet"):
 *
 *   GET  /j/{code}                   the form (public: a join point's QR code links here)
 *   POST /j/{code}                   checked, held, the code sent: 302 to the code page
 *   GET  /t/{code}, POST /t/{code}   the same in tablet mode
 *   GET  /j/{code}/doc               the text of the consent document the form links to
 *   GET  /j/{code}/confirm/{token}   the code page (the token names the held form, sealed)
 *   POST /j/{code}/confirm/{token}   the code: everything stored, 302 to the card
 *   GET  /j/{code}/card/{token}      the card and its barcode
 *
 * The rules are pages/join*.c's; a value refused comes back beside its field with every value
 * kept (422); a form token refused is a page in Russian (403); an unknown join point 404, a
 * closed one 410, a code page's token altered, expired or used 404 - each a page, nothing stored.
 */
#include <string.h>

#include "api/api.h"
#include "auth/links.h"
#include "base/clock.h"
#include "consent/consent.h"
#include "deliver/sms.h"
#include "pages/docs.h"
#include "pages/form.h"
#include "pages/join.h"
#include "sched/sched.h"
#include "wallet/wallet.h"

#define TITLE "Вступить в программу"

/* What the form takes: the profile's six fields, the attributes and the consents. */
#define J_FIELDS                                                                                   \
    ((1u << PF_PHONE) | (1u << PF_FIRST_NAME) | (1u << PF_LAST_NAME) | (1u << PF_BIRTH_DATE) |     \
     (1u << PF_EMAIL) | (1u << PF_GENDER) | AUDIT_F_ATTRIBUTES | AUDIT_F_CONSENTS)

/* The join point of the path: KT_OK with *open true, or its page (404, 410) replied. */
static enum kt_rc point_of(struct http_req *r, struct store_conn *c, struct join_point *jp,
                           bool *open, struct kt_err *err)
{
    enum pages_jp_state st = PAGES_JP_NONE;
    *open = false;
    if (pages_join_point(c, r->params[0], r->arena, &st, jp, err) != KT_OK) {
        return err->rc;
    }
    if (st == PAGES_JP_NONE) {
        return api_page_invalid(r, err);
    }
    if (st == PAGES_JP_CLOSED) {
        json_t *ctx = json_pack("{s:s, s:s}", "heading", "Запись здесь закрыта", "text",
                                "Эта анкета больше не принимает заявки. Спросите на кассе, "
                                "как вступить в программу.");
        enum kt_rc rc =
            api_page_reply(r, http_status_of(KT_EGONE), "refused", "Запись закрыта", ctx, err);
        json_decref(ctx);
        return rc;
    }
    *open = true;
    return KT_OK;
}

/* The form, with `form`'s values and `errors` when it comes back. */
static enum kt_rc show(struct http_req *r, bool tablet, int status, const struct pages_form *form,
                       const json_t *errors, struct kt_err *err)
{
    struct store_conn *rd;
    struct join_point jp;
    bool open = false;
    json_t *ctx = NULL;
    if (http_req_reader(r, &rd, err) != KT_OK || point_of(r, rd, &jp, &open, err) != KT_OK ||
        !open) {
        return err->rc;
    }
    if (pages_join_view(rd, &r->app->secret, jp.code, tablet, form, errors, clock_now_ms(),
                        r->arena, &ctx, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = api_page_reply(r, status, "join", TITLE, ctx, err);
    json_decref(ctx);
    return rc;
}

static enum kt_rc refused_form(struct http_req *r, const char *back, struct kt_err *err)
{
    return api_page_stale(r,
                          "Эту форму уже отправляли или она открыта слишком давно. Откройте "
                          "анкету заново и отправьте её ещё раз.",
                          back, err);
}

static enum kt_rc post(struct http_req *r, bool tablet, struct kt_err *err)
{
    struct pages_form form;
    struct pages_join_result out;
    const char *base = arena_printf(r->arena, "/%c/%s", tablet ? 't' : 'j', r->params[0]);
    if (pages_form_parse(r->body, r->body_len, r->arena, &form, err) != KT_OK) {
        return err->rc;
    }
    struct pages_join_env env = {&r->app->secret, r->app->sms_text};
    enum kt_rc rc = pages_join_submit(r->app->store, &env, r->params[0], tablet, &form, r->ip,
                                      http_req_header(r, "User-Agent"), r->rid, clock_now_ms(),
                                      r->arena, &out, err);
    if (rc == KT_EFORBIDDEN) { /* the form's token: a page that says so, nothing stored */
        audit_nothing_read();
        return refused_form(r, base, err);
    }
    if (rc == KT_ENOTFOUND ||
        (rc == KT_ECONFLICT && strcmp(err->code, "join_point_disabled") == 0)) { /* its page */
        kt_err_reset(err);
        audit_nothing_read();
        return show(r, tablet, 200, NULL, NULL, err);
    }
    if (rc == KT_ELIMIT) { /* a limit of the page's or of the code's: the layer's 429 page */
        audit_nothing_read();
        return rc;
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (out.robot) { /* thanked as a person would be, nothing kept */
        audit_nothing_read();
        http_reply_redirect(r, base);
        return KT_OK;
    }
    if (out.errors != NULL) { /* the values she typed, back beside the messages: nothing stored */
        audit_nothing_read();
        rc = show(r, tablet, http_status_of(KT_EINVAL), &form, out.errors, err);
        json_decref(out.errors);
        return rc;
    }
    sched_wake(r->app->sched, r->app->sms_sink ? SMS_SINK_WAIT_MS : 0);
    api_audit_note(r, "write", out.customer_id, J_FIELDS);
    http_reply_redirect(r, arena_printf(r->arena, "/j/%s/confirm/%s", r->params[0], out.token));
    return KT_OK;
}

enum kt_rc api_join_page(struct http_req *r, struct kt_err *err)
{
    return show(r, false, 200, NULL, NULL, err);
}

enum kt_rc api_tablet_page(struct http_req *r, struct kt_err *err)
{
    return show(r, true, 200, NULL, NULL, err);
}

enum kt_rc api_join_post(struct http_req *r, struct kt_err *err)
{
    return post(r, false, err);
}

enum kt_rc api_tablet_post(struct http_req *r, struct kt_err *err)
{
    return post(r, true, err);
}

enum kt_rc api_join_doc(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"purpose", NULL};
    struct store_conn *rd;
    struct join_point jp;
    const struct consent_doc *doc = NULL;
    bool open = false;
    if (http_req_query_only(r, allowed, err) != KT_OK || http_req_reader(r, &rd, err) != KT_OK ||
        point_of(r, rd, &jp, &open, err) != KT_OK || !open) {
        return err->rc;
    }
    const char *purpose = http_req_query(r, "purpose");
    purpose = purpose != NULL && strcmp(purpose, "ads") == 0 ? "ads" : "pd_processing";
    if (pages_doc_latest(rd, purpose, r->arena, &doc, err) != KT_OK) {
        return err->rc;
    }
    if (doc == NULL) {
        return api_page_invalid(r, err);
    }
    json_t *ctx = json_pack("{s:s, s:I, s:s, s:s, s:s}", "title", doc->title, "version",
                            (json_int_t)doc->version, "sha256", doc->sha256, "text", doc->body,
                            "back", arena_printf(r->arena, "/j/%s", jp.code));
    enum kt_rc rc = api_page_reply(r, 200, "join_doc", doc->title, ctx, err);
    json_decref(ctx);
    return rc;
}

enum kt_rc api_join_code_page(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct pages_join_held h;
    bool found = false;
    int64_t now = clock_now_ms();
    if (http_req_reader(r, &rd, err) != KT_OK ||
        pages_join_held_open(rd, &r->app->secret, r->params[0], r->params[1], now, r->arena, &h,
                             &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) {
        return api_page_invalid(r, err);
    }
    json_t *ctx =
        pages_join_code_view(&r->app->secret, r->params[0], h.tablet, NULL, now, r->arena);
    enum kt_rc rc = api_page_reply(r, 200, "join_code", "Код из SMS", ctx, err);
    json_decref(ctx);
    return rc;
}

enum kt_rc api_join_code_post(struct http_req *r, struct kt_err *err)
{
    struct pages_form form;
    struct pages_join_done out;
    int64_t now = clock_now_ms();
    if (pages_form_parse(r->body, r->body_len, r->arena, &form, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = pages_join_confirm(r->app->store, &r->app->secret, r->params[0], r->params[1],
                                       &form, r->rid, now, r->arena, &out, err);
    if (rc == KT_EFORBIDDEN) {
        audit_nothing_read();
        return refused_form(
            r, arena_printf(r->arena, "/j/%s/confirm/%s", r->params[0], r->params[1]), err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (out.gone) {
        audit_nothing_read();
        return api_page_invalid(r, err);
    }
    if (out.error != NULL) {
        struct store_conn *rd;
        struct pages_join_held h;
        bool found = false;
        audit_nothing_read();
        if (http_req_reader(r, &rd, err) != KT_OK ||
            pages_join_held_open(rd, &r->app->secret, r->params[0], r->params[1], now, r->arena, &h,
                                 &found, err) != KT_OK) {
            return err->rc;
        }
        json_t *ctx = pages_join_code_view(&r->app->secret, r->params[0], found && h.tablet,
                                           out.error, now, r->arena);
        rc = api_page_reply(r, http_status_of(KT_EINVAL), "join_code", "Код из SMS", ctx, err);
        json_decref(ctx);
        return rc;
    }
    api_audit_note(r, "write", out.customer_id, J_FIELDS | AUDIT_F_SUBSCRIPTIONS | AUDIT_F_CARDS);
    http_reply_redirect(r, arena_printf(r->arena, "/j/%s/card/%s", r->params[0], out.card_token));
    return KT_OK;
}

/* The card's page on her own phone offers her wallet (docs/wallet.md); the tablet's does not:
 * the tablet is the shop's device. */
static void wallet_buttons(struct http_req *r, const char *customer_id, json_t *ctx)
{
    const struct wallet *wl = r->app->wallet;
    if (wl == NULL || json_is_true(json_object_get(ctx, "tablet"))) {
        return;
    }
    const char *token = links_w_token(&r->app->secret, customer_id, clock_now_ms(), r->arena);
    json_t *w = json_object();
    if (wallet_has_apple(wl)) {
        json_object_set_new(w, "apple", json_string(arena_printf(r->arena, "/w/%s/apple", token)));
    }
    if (wallet_has_google(wl)) {
        json_object_set_new(w, "google",
                            json_string(arena_printf(r->arena, "/w/%s/google", token)));
    }
    json_object_set_new(ctx, "wallet", w);
}

enum kt_rc api_join_card(struct http_req *r, struct kt_err *err)
{
    const char *id = NULL;
    json_t *ctx = pages_join_card_view(&r->app->secret, r->params[0], r->params[1], clock_now_ms(),
                                       r->arena, &id);
    if (ctx == NULL) {
        return api_page_invalid(r, err);
    }
    api_audit_note(r, "read", id, AUDIT_F_CARDS);
    wallet_buttons(r, id, ctx);
    enum kt_rc rc = api_page_reply(r, 200, "join_card", "Ваша карта", ctx, err);
    json_decref(ctx);
    return rc;
}
