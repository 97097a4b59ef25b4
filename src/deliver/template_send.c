/*
 * template_send.c - a test send of a rendered template (POST /v1/templates/{name}/test): one
 * message to an address the caller gives, through the channel itself, so the retailer sees it
 * as a customer would. Not the outbox: no row, no retries, no policy (the address is the
 * retailer's own, not a customer's); the channel's answer is the reply.
 *
 * The e-mail goes through a pool made for it and freed after (a pool is for one thread, and a
 * test send is rare enough that a connection per send costs nothing); it is transactional (no
 * List-Unsubscribe: there is no customer to unsubscribe). A push is posted to --push-url as
 * {"id", "to", "title", "body"}, signed with KARTOTEKA_WEBHOOK_SECRET.
 */
#include <string.h>

#include "deliver/smtp.h"
#include "deliver/template_store.h"
#include "deliver/webhook.h"

static const char *part(const json_t *parts, const char *name)
{
    return json_string_value(json_object_get(parts, name));
}

static enum kt_rc send_email(const struct msg_test *m, const json_t *parts, int64_t now,
                             struct deliver_result *res, struct kt_err *err)
{
    struct smtp_pool *pool = smtp_pool_new(m->smtp, err);
    if (pool == NULL) {
        return err->rc;
    }
    const char *text = part(parts, "text"), *html = part(parts, "html");
    struct email e = {.id = m->id,
                      .to = m->to,
                      .subject = part(parts, "subject"),
                      .text = text != NULL ? text : "",
                      .html = html};
    smtp_send(pool, &e, 1, now, res);
    smtp_pool_free(pool);
    return KT_OK;
}

static enum kt_rc send_push(const struct msg_test *m, const json_t *parts, int64_t now,
                            struct deliver_result *res, struct kt_err *err)
{
    struct webhook_opts o = {.secret = m->webhook_secret};
    struct webhook *w = webhook_new(&o, err);
    if (w == NULL) {
        return err->rc;
    }
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "id", m->id, "to", m->to, "title",
                             part(parts, "title"), "body", part(parts, "body"));
    char *s = json_dumps(body, JSON_COMPACT);
    webhook_post(w, m->push_url, m->id, s, strlen(s), now, res);
    free(s);
    json_decref(body);
    webhook_free(w);
    return KT_OK;
}

enum kt_rc msg_tpl_test_check(const struct msg_tpl *t, const struct msg_test *m, struct kt_err *err)
{
    bool mail = strcmp(t->row.channel, "email") == 0;
    if (mail && (m->smtp == NULL || m->smtp->url == NULL)) {
        return kt_err_set(err, KT_ECONFLICT, "smtp_not_configured", NULL,
                          "no SMTP server is set: start the server with --smtp-url and "
                          "--smtp-from (docs/operations.md)");
    }
    if (mail && !smtp_address_ok(m->to)) {
        return kt_err_set(err, KT_EINVAL, "invalid_email", "to", "not an e-mail address");
    }
    if (strcmp(t->row.channel, "push") == 0 && m->push_url == NULL) {
        return kt_err_set(err, KT_ECONFLICT, "push_not_configured", NULL,
                          "no push service is set: start the server with --push-url "
                          "(docs/operations.md)");
    }
    if (!mail && strcmp(t->row.channel, "push") != 0) {
        return kt_err_set(err, KT_EINVAL, "channel_not_testable", "channel",
                          "an SMS template is not test-sent: its preview shows the text, its "
                          "length and parts");
    }
    return KT_OK;
}

enum kt_rc msg_tpl_test_send(const struct msg_tpl *t, const json_t *parts, const struct msg_test *m,
                             int64_t now, struct deliver_result *res, struct kt_err *err)
{
    if (msg_tpl_test_check(t, m, err) != KT_OK) {
        return err->rc;
    }
    return strcmp(t->row.channel, "email") == 0 ? send_email(m, parts, now, res, err)
                                                : send_push(m, parts, now, res, err);
}
