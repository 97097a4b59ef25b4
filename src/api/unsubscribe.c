/*
 * unsubscribe.c - the unsubscribe link of a message (GET /v1/customers/{id}/unsubscribe-link) and
 * the public page it opens (GET and POST /u/{token}): the signed token is the only credential,
 * the page works without JavaScript, and an RFC 8058 one-click POST stops what the token names
 * (docs/privacy.md).
 */
#include <string.h>

#include "api/api.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/id.h"
#include "consent/consent.h"

enum kt_rc api_unsub_link(struct http_req *r, struct kt_err *err)
{
    const char *channel, *topic;
    struct store_conn *rd;
    struct customer cu;
    struct privacy_settings s;
    if (api_channel_topic(r, false, &channel, &topic, err) != KT_OK) {
        return err->rc;
    }
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        privacy_settings_get(rd, r->arena, &s, err) != KT_OK) {
        return err->rc;
    }
    const char *tok = subs_token(&r->app->secret, cu.id, topic, channel, r->arena);
    json_t *o = json_pack("{s:s, s:s}", "token", tok, "path", arena_printf(r->arena, "/u/%s", tok));
    if (s.public_url && s.public_url[0]) {
        json_object_set_new(o, "url",
                            json_string(arena_printf(r->arena, "%s/u/%s", s.public_url, tok)));
    }
    http_reply_json(r, 200, o);
    return KT_OK;
}

static void html_escape(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

static const char page_head[] =
    "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<meta name=\"robots\" content=\"noindex\"><title>Подписки</title>"
    "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}"
    "li{margin:.5rem 0}button{margin-left:.5rem}</style></head><body><main>";

static void page_reply(struct http_req *r, int status, struct buf *b)
{
    buf_puts(b, "</main></body></html>");
    http_reply_text(r, status, "text/html; charset=utf-8", buf_cstr(b), b->len);
    buf_release(b);
}

static void page_invalid(struct http_req *r)
{
    struct buf b;
    buf_init(&b, 1024);
    buf_puts(&b, page_head);
    buf_puts(&b, "<h1>Ссылка недействительна</h1><p>Эта ссылка для отписки повреждена или не "
                 "наша. Откройте ссылку из последнего письма или сообщения.</p>");
    page_reply(r, http_status_of(KT_ENOTFOUND), &b);
}

static const char *topic_title(const struct topic *t, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].key, key) == 0) {
            return t[i].title;
        }
    }
    return key;
}

static enum kt_rc page_show(struct http_req *r, struct store_conn *c, const struct customer *cu,
                            const char *note, struct kt_err *err)
{
    struct sub_state *s;
    struct topic *t;
    size_t n, n_t;
    if (subs_states(c, cu->ck, clock_now_ms(), r->arena, &s, &n, err) != KT_OK ||
        store_topic_list(c, r->arena, &t, &n_t, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", cu->id, AUDIT_F_SUBSCRIPTIONS); /* by whoever holds the link */
    struct buf b;
    buf_init(&b, 4096);
    buf_puts(&b, page_head);
    buf_puts(&b, "<h1>Ваши подписки</h1>");
    if (note) {
        buf_puts(&b, "<p role=\"status\"><strong>");
        html_escape(&b, note);
        buf_puts(&b, "</strong></p>");
    }
    buf_puts(&b, "<ul>");
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        buf_puts(&b, "<li>");
        html_escape(&b, topic_title(t, n_t, s[i].topic));
        buf_puts(&b, " — ");
        html_escape(&b, s[i].channel);
        buf_puts(&b, s[i].subscribed ? ": подписка включена" : ": выключено");
        if (s[i].subscribed) {
            any = true;
            buf_puts(&b, "<form method=\"post\" style=\"display:inline\">"
                         "<input type=\"hidden\" name=\"topic\" value=\"");
            html_escape(&b, s[i].topic);
            buf_puts(&b, "\"><input type=\"hidden\" name=\"channel\" value=\"");
            html_escape(&b, s[i].channel);
            buf_puts(&b, "\"><button type=\"submit\">Отписаться</button></form>");
        }
        buf_puts(&b, "</li>");
    }
    buf_puts(&b, "</ul>");
    if (any) {
        buf_puts(&b, "<form method=\"post\"><input type=\"hidden\" name=\"all\" value=\"1\">"
                     "<button type=\"submit\">Отписаться от всего</button></form>");
    } else {
        buf_puts(&b, "<p>Рассылок вам не отправляется.</p>");
    }
    page_reply(r, 200, &b);
    return KT_OK;
}

/* The token of the path; replies itself (404 page) and returns false when it is not valid or
 * names nobody the store can find. */
static bool page_customer(struct http_req *r, struct store_conn *c, struct customer *cu,
                          const char **topic, const char **channel)
{
    const char *id;
    bool found = false;
    if (!subs_token_check(&r->app->secret, r->params[0], r->arena, &id, topic, channel) ||
        !id_valid(id, "c_") ||
        store_customer_get_by_id(c, id, r->arena, cu, &found, NULL) != KT_OK || !found) {
        page_invalid(r);
        return false;
    }
    return true;
}

enum kt_rc api_unsub_page(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    const char *topic, *channel;
    if (http_req_reader(r, &rd, err) != KT_OK) {
        return err->rc;
    }
    if (!page_customer(r, rd, &cu, &topic, &channel)) {
        return KT_OK; /* the page that says so */
    }
    return page_show(r, rd, &cu, NULL, err);
}

/* A value of an application/x-www-form-urlencoded body (only the plain characters a form of
 * this page sends are expected; anything else does not match). */
static const char *form_value(struct http_req *r, const char *name)
{
    size_t nl = strlen(name);
    const char *p = r->body;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            return arena_strndup(r->arena, p + nl + 1, len - nl - 1);
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

/* The page again, asking to choose (the form sent something this page never offers). */
static enum kt_rc page_retry(struct http_req *r, const struct customer *cu, struct kt_err *err)
{
    struct store_conn *rd;
    if (http_req_reader(r, &rd, err) != KT_OK) {
        return err->rc;
    }
    return page_show(r, rd, cu, "Не удалось понять, от чего отписаться. Выберите ниже.", err);
}

enum kt_rc api_unsub_post(struct http_req *r, struct kt_err *err)
{
    struct store_conn *w;
    struct customer cu;
    const char *t_topic, *t_channel;
    int64_t now = clock_now_ms();
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    if (!page_customer(r, w, &cu, &t_topic, &t_channel)) {
        store_write_rollback(w);
        return KT_OK;
    }
    /* RFC 8058: "List-Unsubscribe=One-Click" stops what the token names (all when nothing). */
    bool one_click = form_value(r, "List-Unsubscribe") != NULL;
    const char *topic = t_topic, *channel = t_channel;
    if (!one_click && form_value(r, "all") == NULL) {
        topic = form_value(r, "topic");
        channel = form_value(r, "channel");
        if (topic == NULL || !consent_key_valid(topic) || !ads_channel_valid(channel)) {
            store_write_rollback(w);
            return page_retry(r, &cu, err);
        }
    } else if (!one_click) {
        topic = NULL;
        channel = NULL;
    }
    struct consent_actor who = {"web", NULL, NULL, NULL, r->rid, cu.id, false};
    int changed = 0;
    enum kt_rc rc = cu.erased_at ? KT_OK
                                 : subs_set(w, cu.ck, topic, channel, false,
                                            one_click ? "one_click" : "unsubscribe_page", &who, now,
                                            &changed, err);
    if (rc == KT_EINVAL) { /* a topic that is gone: the answer is the page again */
        store_write_rollback(w);
        kt_err_reset(err);
        return page_retry(r, &cu, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, NULL, "unsubscribe", cu.id, NULL,
                         arena_printf(r->arena, "%s %s:%s", one_click ? "one_click" : "page",
                                      topic ? topic : "*", channel ? channel : "*"),
                         r->rid, now, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    if (one_click) {
        http_reply_text(r, 200, "text/plain; charset=utf-8", "unsubscribed\n", 13);
        return KT_OK;
    }
    struct store_conn *rd;
    if (http_req_reader(r, &rd, err) != KT_OK) {
        return err->rc;
    }
    return page_show(r, rd, &cu, "Готово: вы отписаны.", err);
}
