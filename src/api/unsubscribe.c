/*
 * unsubscribe.c - the unsubscribe link of a message (GET /v1/customers/{id}/unsubscribe-link) and
 * the customer's preferences and rights it opens (docs/pages.md, "Preferences and rights"); the
 * signed token is the only credential, the pages work without JavaScript:
 *
 *   GET  /u/{token}          her topics by channel       POST: a form of it (save, all) or RFC
 *   GET  /u/{token}/data     what we hold about her            8058's one-click, then 302
 *   GET  /u/{token}/erase    her erasure request or its form   POST: the form, then 302
 *
 * The rules are pages/prefs.c's; a form whose token is refused is a page in Russian (403).
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "consent/consent.h"
#include "pages/form.h"
#include "pages/prefs.h"

enum kt_rc api_unsub_link(struct http_req *r, struct kt_err *err)
{
    const char *channel, *topic;
    struct store_conn *rd;
    struct customer cu;
    if (api_channel_topic(r, false, &channel, &topic, err) != KT_OK) {
        return err->rc;
    }
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK) {
        return err->rc;
    }
    return api_page_link(r, rd, "u", subs_token(&r->app->secret, cu.id, topic, channel, r->arena),
                         err);
}

/* What the preferences page shows: the subscriptions and which channels have ads consent. */
#define U_FIELDS (AUDIT_F_SUBSCRIPTIONS | AUDIT_F_CONSENTS)

/* The customer the path's token names, and what it names besides (a topic, a channel); false
 * when the token is not valid (the caller shows the invalid link's page). */
static bool token_open(struct http_req *r, const char **id, const char **topic,
                       const char **channel)
{
    return subs_token_check(&r->app->secret, r->params[0], r->arena, id, topic, channel) &&
           id_valid(*id, "c_");
}

/* The customer of the path's token on a reader; *gone when there is none (erased, unknown). */
static enum kt_rc reader_customer(struct http_req *r, struct store_conn **rd, struct customer *cu,
                                  bool *gone, struct kt_err *err)
{
    const char *id, *topic, *channel;
    *gone = true;
    if (!token_open(r, &id, &topic, &channel)) {
        return KT_OK;
    }
    if (http_req_reader(r, rd, err) != KT_OK ||
        pages_prefs_customer(*rd, id, r->arena, cu, gone, err) != KT_OK) {
        return err->rc;
    }
    return KT_OK;
}

static const char *base_of(struct http_req *r)
{
    return arena_printf(r->arena, "/u/%s", r->params[0]);
}

enum kt_rc api_unsub_page(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"done", NULL};
    struct store_conn *rd;
    struct customer cu;
    bool gone;
    json_t *ctx = NULL;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        reader_customer(r, &rd, &cu, &gone, err) != KT_OK) {
        return err->rc;
    }
    if (gone) {
        return api_page_invalid(r, err);
    }
    if (pages_prefs_view(rd, &r->app->secret, &cu, base_of(r), http_req_query(r, "done"),
                         clock_now_ms(), r->arena, &ctx, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", cu.id, U_FIELDS); /* by whoever holds the link */
    enum kt_rc rc = api_page_reply(r, 200, "prefs", "Подписки", ctx, err);
    json_decref(ctx);
    return rc;
}

static enum kt_rc stale(struct http_req *r, const char *back, struct kt_err *err)
{
    return api_page_stale(r,
                          "Эту форму уже отправляли или она открыта слишком давно. Откройте "
                          "страницу заново и повторите.",
                          back, err);
}

enum kt_rc api_unsub_post(struct http_req *r, struct kt_err *err)
{
    const char *id, *topic, *channel;
    struct pages_form form;
    struct pages_prefs_result out;
    int64_t now = clock_now_ms();
    if (!token_open(r, &id, &topic, &channel)) {
        return api_page_invalid(r, err);
    }
    if (pages_form_parse(r->body, r->body_len, r->arena, &form, err) != KT_OK) {
        return err->rc;
    }
    /* RFC 8058: a mail client's POST, no form token; it stops what the token names. */
    const char *one_click = pages_form_get(&form, "List-Unsubscribe");
    if (one_click != NULL && strcmp(one_click, "One-Click") == 0) {
        if (pages_prefs_one_click(r->app->store, id, topic, channel, r->rid, now, err) != KT_OK) {
            return err->rc;
        }
        audit_nothing_read(); /* the reply names no one; the change is logged */
        http_reply_text(r, 200, "text/plain; charset=utf-8", "unsubscribed\n", 13);
        return KT_OK;
    }
    enum kt_rc rc = pages_prefs_submit(r->app->store, &r->app->secret, id, &form, r->ip, r->rid,
                                       now, r->arena, &out, err);
    if (rc == KT_EFORBIDDEN) {
        return stale(r, base_of(r), err);
    }
    if (rc == KT_ENOTFOUND) {
        kt_err_reset(err);
        return api_page_invalid(r, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    audit_nothing_read(); /* a redirect; the changes are logged with her id */
    http_reply_redirect(r, out.done ? arena_printf(r->arena, "%s?done=%s", base_of(r), out.done)
                                    : base_of(r));
    return KT_OK;
}

enum kt_rc api_unsub_data(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    bool gone;
    json_t *ctx = NULL;
    if (http_req_query_only(r, (const char *const[]){NULL}, err) != KT_OK ||
        reader_customer(r, &rd, &cu, &gone, err) != KT_OK) {
        return err->rc;
    }
    if (gone) {
        return api_page_invalid(r, err);
    }
    if (pages_prefs_held(rd, &cu, base_of(r), clock_now_ms(), r->arena, &ctx, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", cu.id,
                   api_audit_fields(&cu) | AUDIT_F_IDENTIFIERS | AUDIT_F_ATTRIBUTES |
                       AUDIT_F_CONSENTS | AUDIT_F_SUBSCRIPTIONS | AUDIT_F_CARDS | AUDIT_F_POINTS |
                       AUDIT_F_PURCHASES);
    enum kt_rc rc = api_page_reply(r, 200, "prefs_held", "Что мы о вас храним", ctx, err);
    json_decref(ctx);
    return rc;
}

/* The erasure page: her open request, or the form (`error` beside its box: 422). */
static enum kt_rc erase_show(struct http_req *r, const char *error, bool done, bool already,
                             struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    bool gone;
    json_t *ctx = NULL;
    if (reader_customer(r, &rd, &cu, &gone, err) != KT_OK) {
        return err->rc;
    }
    if (gone) {
        return api_page_invalid(r, err);
    }
    if (pages_erase_view(rd, &r->app->secret, &cu, base_of(r), error, done, already, clock_now_ms(),
                         r->arena, &ctx, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", cu.id, AUDIT_F_REQUESTS);
    enum kt_rc rc = api_page_reply(r, error ? http_status_of(KT_EINVAL) : 200, "prefs_erase",
                                   "Удалить мои данные", ctx, err);
    json_decref(ctx);
    return rc;
}

enum kt_rc api_unsub_erase_page(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"done", "already", NULL};
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    return erase_show(r, NULL, http_req_query(r, "done") != NULL,
                      http_req_query(r, "already") != NULL, err);
}

enum kt_rc api_unsub_erase_post(struct http_req *r, struct kt_err *err)
{
    const char *id, *topic, *channel;
    struct pages_form form;
    struct pages_erase_result out;
    if (!token_open(r, &id, &topic, &channel)) {
        return api_page_invalid(r, err);
    }
    if (pages_form_parse(r->body, r->body_len, r->arena, &form, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = pages_erase_submit(r->app->store, &r->app->secret, id, &form, r->rid,
                                       clock_now_ms(), r->arena, &out, err);
    const char *page = arena_printf(r->arena, "%s/erase", base_of(r));
    if (rc == KT_EFORBIDDEN) {
        return stale(r, page, err);
    }
    if (rc == KT_ENOTFOUND) {
        kt_err_reset(err);
        return api_page_invalid(r, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (out.error != NULL) {
        return erase_show(r, out.error, false, false, err);
    }
    audit_nothing_read(); /* a redirect; the request is logged with her id */
    http_reply_redirect(r,
                        arena_printf(r->arena, "%s?%s=1", page, out.already ? "already" : "done"));
    return KT_OK;
}
