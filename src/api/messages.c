/*
 * messages.c - the outbox's routes (docs/messages.md, "The outbox"):
 *
 *   POST /v1/messages                    a message from the retailer's systems, once per
 *                                        Idempotency-Key (201 new, 200 the same one again)
 *   GET  /v1/customers/{id}/messages     a customer's messages with state and reason
 *
 * The content is given rendered (subject, text, html for e-mail; text for SMS; title, body for
 * push; data for a webhook), or as a stored template's name and a context, rendered now for the
 * customer as preview renders it. The recipient is resolved now from the profile (the e-mail
 * address, the phone); the consents are asked at send time (deliver/outbox.h). A marketing SMS
 * is signed with --sms-sender and carries its opt-out link (docs/messages.md, "SMS").
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"
#include "deliver/outbox.h"
#include "deliver/template_store.h"
#include "loyalty/purchase.h"
#include "sched/sched.h"

#define IDEM_MAX     128
#define PART_MAX     (256 * 1024) /* bytes of one rendered part */
#define PRIORITY_MAX 100
#define SMS_TEXT_MAX 2000 /* bytes of an SMS's text: about 14 parts in Cyrillic */

static const char *const channels[] = {"email", "sms", "push", "webhook", NULL};

static bool idem_ok(const char *k)
{
    size_t n = strlen(k);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e) {
            return false;
        }
    }
    return n > 0 && n <= IDEM_MAX;
}

static json_t *message_json(struct arena *a, const struct outbox_msg *m, const char *customer_id)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s?, s:I, s:s, s:I, s:s}", "id", m->id,
                          "customer_id", customer_id, "channel", m->channel, "kind", m->kind,
                          "transactional", strcmp(m->kind, "transactional") == 0, "topic", m->topic,
                          "priority", (json_int_t)m->priority, "state", m->state, "attempts",
                          (json_int_t)m->attempts, "created_at", api_time(a, m->created_at));
    json_object_set_new(o, "reason", m->reason ? json_string(m->reason) : json_null());
    json_object_set_new(o, "due_at",
                        strcmp(m->state, "queued") == 0 ? json_string(api_time(a, m->next_at))
                                                        : json_null());
    json_object_set_new(o, "sent_at",
                        m->sent_at ? json_string(api_time(a, m->sent_at)) : json_null());
    json_object_set_new(o, "reply_code", m->reply_code ? json_integer(m->reply_code) : json_null());
    json_object_set_new(o, "reply", m->reply_text ? json_string(m->reply_text) : json_null());
    return o;
}

/* The parts of stored template `template` (its latest version) rendered for `cu` with the body's
 * `context`, as preview renders them (deliver/template_store.h); *parts NULL without `template`. */
static enum kt_rc rendered(struct http_req *r, struct store_conn *w, const json_t *body,
                           const char *channel, const struct customer *cu, json_t **parts,
                           struct kt_err *err)
{
    static const char *const direct[] = {"subject", "text", "html", "title", "body", "data", NULL};
    const char *name = NULL;
    const json_t *context = NULL;
    struct msg_template row;
    struct msg_tpl t = {0};
    json_t *ctx = NULL, *out = NULL;
    *parts = NULL;
    if (jsonx_str(body, "", "template", MSG_TPL_NAME_MAX, 0, r->arena, &name, err) != KT_OK ||
        jsonx_object(body, "", "context", NULL, 0, r->arena, &context, err) != KT_OK) {
        return err->rc;
    }
    for (size_t i = 0; direct[i] != NULL && (name != NULL || context != NULL); i++) {
        if (json_object_get(body, direct[i]) != NULL) {
            return kt_err_set(err, KT_EINVAL, "unexpected_field", direct[i],
                              "a message is given rendered or by its template, not both");
        }
    }
    if (name == NULL) {
        return context == NULL ? KT_OK
                               : kt_err_set(err, KT_EINVAL, "unexpected_field", "context",
                                            "a context goes with a template");
    }
    bool found = false;
    if (store_template_get(w, name, 0, r->arena, &row, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) {
        return kt_err_set(err, KT_EINVAL, "template_not_found", "template",
                          "no template has that name");
    }
    if (strcmp(row.channel, channel) != 0) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "template",
                          "the template is for another channel");
    }
    enum kt_rc rc = msg_tpl_compile(&row, &t, err);
    struct msg_links links;
    rc = rc == KT_OK ? api_msg_links(r, w, &links, err) : rc;
    rc = rc == KT_OK ? msg_context_json(w, cu, context, &links, clock_now_ms(), r->arena, &ctx, err)
                     : rc;
    rc = rc == KT_OK ? msg_tpl_render_json(&t, ctx, r->arena, &out, err) : rc;
    if (rc == KT_OK) {
        *parts = json_incref(json_object_get(out, "parts"));
    }
    json_decref(out);
    json_decref(ctx);
    msg_tpl_release(&t);
    return rc;
}

/* The content as the sealed JSON the sender reads: the body's parts, or the template's. */
static enum kt_rc content(struct http_req *r, struct store_conn *w, const json_t *body,
                          const char *channel, const struct customer *cu, const char *unsub,
                          const char **out, struct kt_err *err)
{
    const char *subject = NULL, *text = NULL, *html = NULL, *title = NULL, *pbody = NULL;
    const json_t *data = NULL;
    bool email = strcmp(channel, "email") == 0, sms = strcmp(channel, "sms") == 0;
    bool hook = strcmp(channel, "webhook") == 0;
    json_t *parts = NULL;
    if (rendered(r, w, body, channel, cu, &parts, err) != KT_OK) {
        return err->rc;
    }
    const json_t *src = parts != NULL ? parts : body;
    unsigned req = parts != NULL ? 0 : JSONX_REQUIRED; /* a stored template was checked at save */
    enum kt_rc rc =
        email  ? (jsonx_str(src, "", "subject", 998, JSONX_REQUIRED, r->arena, &subject, err) ||
                 jsonx_str(src, "", "text", PART_MAX, req, r->arena, &text, err) ||
                 jsonx_str(src, "", "html", PART_MAX, 0, r->arena, &html, err))
        : sms  ? jsonx_str(src, "", "text", SMS_TEXT_MAX, JSONX_REQUIRED, r->arena, &text, err)
        : hook ? jsonx_object(src, "", "data", NULL, JSONX_REQUIRED, r->arena, &data, err)
               : (jsonx_str(src, "", "title", 1000, 0, r->arena, &title, err) ||
                  jsonx_str(src, "", "body", PART_MAX, JSONX_REQUIRED, r->arena, &pbody, err));
    if (rc != KT_OK) {
        json_decref(parts);
        return err->rc;
    }
    if (sms || hook) { /* the campaigns' channels go through outbox_content, these not yet */
        json_t *o = sms ? json_pack("{s:s}", "text",
                                    unsub == NULL ? text
                                                  : sms_marketing_text(text, r->app->sms_sender,
                                                                       unsub, r->arena))
                        : json_pack("{s:s, s:O}", "customer_id", cu->id, "data", data);
        json_decref(parts);
        char *s = json_dumps(o, JSON_COMPACT);
        *out = arena_strdup(r->arena, s);
        free(s);
        json_decref(o);
        return KT_OK;
    }
    json_decref(parts);
    *out = outbox_content(channel, cu->id, subject, text, html, title, pbody, unsub, r->arena);
    return KT_OK;
}

/* The customer: `customer_id`, or `customer` naming her by one identifier (phone, card or id),
 * as a receipt does; exactly one of the two. */
static enum kt_rc decode_customer(struct http_req *r, const json_t *body, struct purchase_req *who,
                                  struct kt_err *err)
{
    static const char *const ck[] = {"phone", "card", "id", NULL};
    const json_t *c = NULL;
    const char *cid = NULL;
    memset(who, 0, sizeof(*who));
    if (jsonx_str(body, "", "customer_id", 64, 0, r->arena, &cid, err) != KT_OK ||
        jsonx_object(body, "", "customer", ck, 0, r->arena, &c, err) != KT_OK ||
        (c != NULL &&
         (jsonx_str(c, "customer", "phone", 64, 0, r->arena, &who->phone, err) != KT_OK ||
          jsonx_str(c, "customer", "card", 64, 0, r->arena, &who->card, err) != KT_OK ||
          jsonx_str(c, "customer", "id", 64, 0, r->arena, &who->customer_id, err) != KT_OK))) {
        return err->rc;
    }
    int named = (who->phone != NULL) + (who->card != NULL) + (who->customer_id != NULL);
    if ((cid != NULL) == (c != NULL) || (c != NULL && named != 1)) {
        return kt_err_set(err, KT_EINVAL, cid || c ? "invalid_value" : "missing_field",
                          c ? "customer" : "customer_id",
                          "name the customer by customer_id, or by customer with one of phone, "
                          "card or id");
    }
    who->customer_id = cid ? cid : who->customer_id;
    return KT_OK;
}

static enum kt_rc decode(struct http_req *r, const json_t *body, struct outbox_msg *m,
                         struct purchase_req *who, bool *transactional, struct kt_err *err)
{
    static const char *const known[] = {"customer_id", "customer", "channel", "transactional",
                                        "topic",       "priority", "subject", "text",
                                        "html",        "title",    "body",    "data",
                                        "template",    "context",  NULL};
    if (json_only_members(body, known, "", r->arena, err) != KT_OK ||
        decode_customer(r, body, who, err) != KT_OK ||
        jsonx_enum(body, "", "channel", channels, JSONX_REQUIRED, &m->channel, err) != KT_OK ||
        jsonx_bool(body, "", "transactional", JSONX_REQUIRED, transactional, err) != KT_OK ||
        jsonx_str(body, "", "topic", 64, 0, r->arena, &m->topic, err) != KT_OK ||
        jsonx_int(body, "", "priority", 0, PRIORITY_MAX, 0, &m->priority, err) != KT_OK) {
        return err->rc;
    }
    if (!*transactional && m->topic == NULL) {
        return kt_err_set(err, KT_EINVAL, "missing_field", "topic",
                          "a marketing message names its topic (the customer's subscription)");
    }
    if (m->topic != NULL && strcmp(m->topic, OUTBOX_TOPIC_CODE) == 0) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "topic",
                          "the topic otp is the one-time codes' own");
    }
    m->kind = *transactional ? "transactional" : "marketing";
    return KT_OK;
}

/* The recipient from the profile, and a marketing e-mail's or SMS's unsubscribe link. */
static enum kt_rc resolve(struct http_req *r, struct store_conn *w, const struct customer *cu,
                          struct outbox_msg *m, const char **unsub, struct kt_err *err)
{
    *unsub = NULL;
    bool sms = strcmp(m->channel, "sms") == 0;
    if (strcmp(m->channel, "push") == 0 || strcmp(m->channel, "webhook") == 0) {
        return KT_OK;
    }
    m->recipient = cu->val[sms ? PF_PHONE : PF_EMAIL];
    if (m->recipient == NULL) {
        return kt_err_set(err, KT_EINVAL, "no_address", "customer",
                          sms ? "the customer has no phone" : "the customer has no e-mail address");
    }
    if (strcmp(m->kind, "marketing") != 0) {
        return KT_OK;
    }
    return deliver_optout_url(w, &r->app->secret, m->channel, r->app->sms_sender, cu->id, m->topic,
                              r->arena, unsub, err);
}

enum kt_rc api_messages_post(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    const char *idem = http_req_header(r, "Idempotency-Key"), *unsub;
    struct purchase_req who;
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct outbox_msg m = {0}, old;
    bool transactional = false, created = false, found = false;
    struct customer cu;
    struct store_conn *w;
    if (body == NULL) {
        return err->rc;
    }
    if (idem == NULL || !idem_ok(idem)) {
        return kt_err_set(err, KT_EBADREQ, "bad_header", "Idempotency-Key",
                          "a message needs an Idempotency-Key of 1-128 printable ASCII "
                          "characters: a retry with it finds the same message");
    }
    if (decode(r, body, &m, &who, &transactional, err) != KT_OK) {
        return err->rc;
    }
    m.id =
        outbox_id(&r->app->secret, arena_printf(r->arena, "api:%s:%s", r->key->id, idem), r->arena);
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_outbox_get(w, m.id, r->arena, &old, &found, err);
    if (rc == KT_OK && found) { /* a retry: the same message, whatever its state now */
        rc = store_customer_get(w, old.ck, r->arena, &cu, NULL, err);
        rc = store_write_end(w, rc, err);
        if (rc == KT_OK && strcmp(old.channel, m.channel) != 0) {
            return kt_err_set(err, KT_EINVAL, "idempotency_key_reused", "Idempotency-Key",
                              "the Idempotency-Key was used before with a different request");
        }
        if (rc == KT_OK) {
            http_reply_json(r, 200, message_json(r->arena, &old, cu.id));
        }
        return rc;
    }
    /* customer_not_found, card_unknown, customer_erased as for a receipt */
    rc = rc == KT_OK ? purchase_customer(w, &who, r->arena, &cu, &found, err) : rc;
    rc = rc == KT_OK ? resolve(r, w, &cu, &m, &unsub, err) : rc;
    rc = rc == KT_OK ? content(r, w, body, m.channel, &cu, unsub, &m.content, err) : rc;
    if (rc == KT_OK) {
        m.ck = cu.ck;
        m.state = "queued";
        m.next_at = m.created_at = m.updated_at = now;
        rc = store_outbox_add(w, &m, &created, err);
    }
    if ((rc = store_write_end(w, rc, err)) != KT_OK) {
        return rc;
    }
    if (created) {
        sched_wake(r->app->sched, 0); /* the sender looks now, not at its next tick */
    }
    api_audit_note(r, "write", cu.id, AUDIT_F_MESSAGES);
    http_reply_json(r, created ? 201 : 200, message_json(r->arena, &m, cu.id));
    return KT_OK;
}

enum kt_rc api_customer_messages(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t before = 0;
    struct store_conn *rd;
    struct customer cu;
    struct outbox_msg *ms;
    size_t n;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 100, 1000, &limit, err) != KT_OK) {
        return err->rc;
    }
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        api_cursor_num(r, "messages", cu.id, &before, err) != KT_OK ||
        store_outbox_list(rd, cu.ck, before, limit, r->arena, &ms, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, message_json(r->arena, &ms[i], cu.id));
    }
    json_t *next = api_next_cursor(
        r, "messages", cu.id,
        n == (size_t)limit ? arena_printf(r->arena, "%lld", (long long)ms[n - 1].seq) : NULL);
    api_audit_note(r, "read", cu.id, AUDIT_F_MESSAGES);
    http_reply_json(
        r, 200,
        json_pack("{s:s, s:o, s:o}", "customer_id", cu.id, "items", items, "next_cursor", next));
    return KT_OK;
}
