/*
 * questionnaire.c - the questionnaire's routes (docs/pages.md, "The questionnaire"):
 *
 *   GET  /v1/customers/{id}/questionnaire-link   the link for the enrolment SMS or a receipt
 *   GET  /q/{token}                              the page (public: the token is the credential)
 *   POST /q/{token}                              the form: stored, then 303 to the page
 *
 * The rules are pages/questionnaire.c's; a form refused for a value comes back with the message
 * beside the field and the values kept; a form token refused is a page in Russian (403).
 */
#include <string.h>

#include "api/api.h"
#include "auth/links.h"
#include "base/clock.h"
#include "consent/consent.h"
#include "pages/form.h"
#include "pages/page.h"
#include "pages/questionnaire.h"

/* What the page shows and takes: the profile's four fields and the consent. */
#define Q_FIELDS                                                                                   \
    ((1u << PF_FIRST_NAME) | (1u << PF_LAST_NAME) | (1u << PF_BIRTH_DATE) | (1u << PF_EMAIL) |     \
     AUDIT_F_CONSENTS)

enum kt_rc api_q_link(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK) {
        return err->rc;
    }
    return api_page_link(r, rd, "q",
                         links_q_token(&r->app->secret, cu.id, clock_now_ms(), r->arena), err);
}

/* The page of the customer the token names, with the form's values and errors when given. */
static enum kt_rc show(struct http_req *r, const char *id, int status,
                       const struct pages_form *form, const json_t *errors, bool done,
                       struct kt_err *err)
{
    struct store_conn *rd;
    json_t *ctx = NULL;
    bool gone = false;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        pages_q_view(rd, &r->app->secret, id, form, errors, done, clock_now_ms(), r->arena, &ctx,
                     &gone, err) != KT_OK) {
        return err->rc;
    }
    if (gone) {
        return api_page_invalid(r, err);
    }
    api_audit_note(r, "read", id, Q_FIELDS); /* by whoever holds the link */
    enum kt_rc rc = api_page_reply(r, status, "questionnaire", "Анкета участника", ctx, err);
    json_decref(ctx);
    return rc;
}

enum kt_rc api_q_page(struct http_req *r, struct kt_err *err)
{
    const char *id = NULL;
    static const char *const allowed[] = {"done", NULL};
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if (!links_q_open(&r->app->secret, r->params[0], clock_now_ms(), r->arena, &id)) {
        return api_page_invalid(r, err);
    }
    return show(r, id, 200, NULL, NULL, http_req_query(r, "done") != NULL, err);
}

enum kt_rc api_q_post(struct http_req *r, struct kt_err *err)
{
    const char *id = NULL;
    struct pages_form form;
    struct pages_q_result out;
    int64_t now = clock_now_ms();
    if (!links_q_open(&r->app->secret, r->params[0], now, r->arena, &id)) {
        return api_page_invalid(r, err);
    }
    if (pages_form_parse(r->body, r->body_len, r->arena, &form, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = pages_q_submit(r->app->store, &r->app->secret, id, &form, r->ip, r->rid, now,
                                   r->arena, &out, err);
    if (rc == KT_EFORBIDDEN) { /* the form's token: a page that says so, nothing stored */
        return api_page_stale(r,
                              "Эту форму уже отправляли или она открыта слишком давно. "
                              "Откройте анкету заново и отправьте её ещё раз.",
                              arena_printf(r->arena, "/q/%s", r->params[0]), err);
    }
    if (rc == KT_ENOTFOUND) {
        kt_err_reset(err);
        return api_page_invalid(r, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    api_audit_note(r, "write", id, Q_FIELDS);
    if (out.errors != NULL) { /* the values kept, the message beside the field */
        rc = show(r, id, http_status_of(KT_EINVAL), &form, out.errors, false, err);
        json_decref(out.errors);
        return rc;
    }
    http_reply_redirect(r, arena_printf(r->arena, "/q/%s?done=1", r->params[0]));
    return KT_OK;
}
