/*
 * outbox_send.c - the outbox's sender (see outbox.h): claim in a write transaction with the
 * policy's answer, send outside it, record in another.
 *
 * Invariant: a row is sent only after a committed move to `sending`, and a row in `sending` is
 * touched by no one but the pass that moved it - until a restart puts it back (outbox_recover).
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "deliver/outbox.h"
#include "deliver/pace.h"
#include "deliver/policy.h"
#include "deliver/webhook.h"

struct outbox_sender {
    struct outbox_conf c;
    struct smtp_pool *smtp; /* NULL: no e-mail */
    struct webhook *push;   /* NULL: no push */
    struct pace email_pace;
};

/* One claimed message and what its channel answered. */
struct claimed {
    struct outbox_msg m;
    struct deliver_result res;
};

const char *outbox_id(const struct key_secret *k, const char *origin, struct arena *a)
{
    static const char ctx[] = "kartoteka/outbox/v1:";
    unsigned char h[OUTBOX_ID_HEX / 2];
    crypto_generichash_state st;
    crypto_generichash_init(&st, k->k, sizeof(k->k), sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)ctx, sizeof(ctx) - 1);
    crypto_generichash_update(&st, (const unsigned char *)origin, strlen(origin));
    crypto_generichash_final(&st, h, sizeof(h));
    char hex[OUTBOX_ID_HEX + 1];
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    return arena_printf(a, "m_%s", hex);
}

/* A JSON string's bytes for `v`: the quote and the backslash escaped, control characters as
 * \n or \u00XX, every other byte as it is (the rendered text is UTF-8 already). Jansson's dump
 * decodes each character of a 2 KB HTML part and was a tenth of a campaign's enqueue. With `o`
 * NULL it only counts. */
static size_t json_text(char *o, const char *v)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)v; *c != '\0'; c++) {
        char esc[6] = {'\\', (char)*c, 0, 0, 0, 0};
        size_t k = 2;
        if (*c == '\n') {
            esc[1] = 'n';
        } else if (*c < 0x20) {
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[*c >> 4];
            esc[5] = hex[*c & 15];
            k = 6;
        } else if (*c != '"' && *c != '\\') {
            esc[0] = (char)*c;
            k = 1;
        }
        if (o != NULL) {
            memcpy(o + n, esc, k);
        }
        n += k;
    }
    return n;
}

/* `,"name":"value"` (no comma first) at `o`; its length. Nothing for a NULL value. */
static size_t json_member(char *o, const char *name, const char *v, bool *first)
{
    if (v == NULL) {
        return 0;
    }
    size_t len = strlen(name), n = 0;
    if (o != NULL) {
        if (!*first) {
            o[n] = ',';
        }
        n += !*first;
        o[n] = '"';
        memcpy(o + n + 1, name, len);
        memcpy(o + n + 1 + len, "\":\"", 3);
    } else {
        n += !*first;
    }
    *first = false;
    n += len + 4;
    n += json_text(o ? o + n : NULL, v);
    if (o != NULL) {
        o[n] = '"';
    }
    return n + 1;
}

const char *outbox_content(const char *channel, const char *customer_id, const char *subject,
                           const char *text, const char *html, const char *title, const char *body,
                           const char *unsub, struct arena *a)
{
    bool email = strcmp(channel, "email") == 0;
    const char *const names[] = {"subject",     "text",  "html", "unsubscribe_url",
                                 "customer_id", "title", "body"};
    const char *const vals[] = {subject, text, html, unsub, customer_id, title, body};
    size_t from = email ? 0 : 4, to = email ? 4 : 7, n = 2;
    bool first = true;
    for (size_t i = from; i < to; i++) {
        n += json_member(NULL, names[i], vals[i], &first);
    }
    char *out = arena_alloc(a, n + 1);
    out[0] = '{';
    n = 1;
    first = true;
    for (size_t i = from; i < to; i++) {
        n += json_member(out + n, names[i], vals[i], &first);
    }
    out[n] = '}';
    out[n + 1] = '\0';
    return out;
}

enum kt_rc outbox_sender_new(const struct outbox_conf *c, struct outbox_sender **out,
                             struct kt_err *err)
{
    struct outbox_sender *x = kt_calloc(1, sizeof(*x));
    x->c = *c;
    pace_init(&x->email_pace, (double)c->email_rate);
    if (x->c.retry_ms <= 0) {
        x->c.retry_ms = OUTBOX_RETRY_MS;
    }
    if (c->smtp.url != NULL && (x->smtp = smtp_pool_new(&c->smtp, err)) == NULL) {
        free(x);
        return err->rc;
    }
    if (c->push_url != NULL) {
        struct webhook_opts wo = {.secret = c->webhook_secret};
        if ((x->push = webhook_new(&wo, err)) == NULL) {
            smtp_pool_free(x->smtp);
            free(x);
            return err->rc;
        }
    }
    *out = x;
    return KT_OK;
}

void outbox_sender_free(struct outbox_sender *x)
{
    if (x != NULL) {
        smtp_pool_free(x->smtp);
        webhook_free(x->push);
        free(x);
    }
}

enum kt_rc outbox_recover(struct store *s, int64_t now, int64_t *n, struct kt_err *err)
{
    struct store_conn *w;
    *n = 0;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_outbox_requeue(w, now, n, err);
    return store_write_end(w, rc, err);
}

int64_t outbox_backoff(int64_t retry_ms, int64_t attempts, int64_t retry_after)
{
    int64_t d = retry_ms;
    for (int64_t i = 1; i < attempts && d < OUTBOX_RETRY_MAX_MS; i++) {
        d *= 2;
    }
    d = d > OUTBOX_RETRY_MAX_MS ? OUTBOX_RETRY_MAX_MS : d;
    /* jitter: a relay that came back is not met by every message at the same millisecond */
    d += (int64_t)randombytes_uniform((uint32_t)(d / 4 + 1));
    return retry_after > d ? retry_after : d;
}

/* ---- the claim ------------------------------------------------------------------------------ */

static enum kt_rc record(struct store_conn *w, struct outbox_msg *m, const char *state,
                         const char *reason, int64_t now, struct kt_err *err)
{
    m->state = state;
    m->reason = reason;
    m->updated_at = now;
    return store_outbox_update(w, m, err);
}

/* Claims up to OUTBOX_BATCH due messages of `channel`: the policy's refusals recorded
 * `suppressed`, its holds queued again at their time, those the pace allows moved to `sending`
 * (the rest held until a token is there). */
static enum kt_rc claim(struct store *s, struct outbox_sender *x, const char *channel, int64_t now,
                        struct arena *a, struct claimed **out, size_t *n_out, size_t *n_due,
                        int64_t n[2], struct kt_err *err)
{
    struct store_conn *w;
    struct outbox_msg *due;
    size_t nd = 0, cap = 0;
    *out = NULL;
    *n_out = 0;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_outbox_due(w, channel, now, OUTBOX_BATCH, a, &due, &nd, err);
    for (size_t i = 0; rc == KT_OK && i < nd; i++) {
        struct policy_decision d;
        if ((rc = policy_decide(w, &x->c.policy, &due[i], now, a, &d, err)) != KT_OK) {
            break;
        }
        if (d.verdict == POLICY_REFUSE) {
            rc = record(w, &due[i], "suppressed", d.reason, now, err);
            n[1]++;
            continue;
        }
        if (d.verdict == POLICY_HOLD) { /* quiet hours: the same row, at the window's end */
            due[i].next_at = d.until;
            rc = record(w, &due[i], "queued", d.reason, now, err);
            continue;
        }
        int64_t wait = strcmp(channel, "email") == 0 ? pace_take(&x->email_pace, now) : 0;
        if (wait > 0) { /* held, not dropped: the same row, later */
            due[i].next_at = now + wait;
            rc = record(w, &due[i], "queued", NULL, now, err);
            continue;
        }
        due[i].attempts++;
        if ((rc = record(w, &due[i], "sending", NULL, now, err)) == KT_OK) {
            struct claimed *c = arena_push(a, out, n_out, &cap, sizeof(*c));
            c->m = due[i];
        }
    }
    *n_due = nd;
    return store_write_end(w, rc, err);
}

/* ---- sending, outside any transaction ----------------------------------------------------- */

static const char *part(json_t *o, const char *name)
{
    const char *v = json_string_value(json_object_get(o, name));
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static void send_email(struct outbox_sender *x, struct claimed *c, size_t n, struct arena *a,
                       int64_t now)
{
    struct email *m = arena_zalloc(a, (n ? n : 1) * sizeof(*m));
    struct deliver_result *res = arena_zalloc(a, (n ? n : 1) * sizeof(*res));
    json_t **docs = arena_zalloc(a, (n ? n : 1) * sizeof(*docs));
    for (size_t i = 0; i < n; i++) {
        docs[i] = json_loads(c[i].m.content ? c[i].m.content : "{}", 0, NULL);
        m[i] = (struct email){.id = c[i].m.id,
                              .to = c[i].m.recipient,
                              .subject = part(docs[i], "subject"),
                              .text = part(docs[i], "text"),
                              .html = part(docs[i], "html"),
                              .unsubscribe_url = part(docs[i], "unsubscribe_url")};
    }
    smtp_send(x->smtp, m, n, now, res);
    for (size_t i = 0; i < n; i++) {
        c[i].res = res[i];
        json_decref(docs[i]);
    }
}

static void send_push(struct outbox_sender *x, struct claimed *c, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        json_t *doc = json_loads(c[i].m.content ? c[i].m.content : "{}", 0, NULL);
        json_t *body =
            json_pack("{s:s, s:s, s:O?, s:O?, s:O?}", "id", c[i].m.id, "channel", "push",
                      "customer_id", json_object_get(doc, "customer_id"), "title",
                      json_object_get(doc, "title"), "body", json_object_get(doc, "body"));
        char *text = json_dumps(body, JSON_COMPACT);
        webhook_post(x->push, x->c.push_url, c[i].m.id, text, strlen(text), now, &c[i].res);
        free(text);
        json_decref(body);
        json_decref(doc);
    }
}

/* Records what each channel answered, in one transaction. */
static enum kt_rc settle(struct store *s, struct outbox_sender *x, struct claimed *c, size_t n,
                         int64_t now, int64_t cnt[2], struct kt_err *err)
{
    struct store_conn *w;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct outbox_msg *m = &c[i].m;
        const struct deliver_result *r = &c[i].res;
        m->reply_code = r->code;
        m->reply_text = r->text[0] ? r->text : NULL;
        if (r->cls == DELIVER_SENT) {
            m->sent_at = now;
            rc = record(w, m, "sent", NULL, now, err);
            cnt[0]++;
            continue;
        }
        cnt[1]++;
        if (r->cls == DELIVER_TEMPORARY && m->attempts < OUTBOX_MAX_ATTEMPTS) {
            m->next_at = now + outbox_backoff(x->c.retry_ms, m->attempts, r->retry_after_ms);
            rc = record(w, m, "queued", NULL, now, err);
        } else {
            rc = record(w, m, "failed",
                        r->cls == DELIVER_PERMANENT ? "refused" : "attempts_exhausted", now, err);
        }
    }
    return store_write_end(w, rc, err);
}

static enum kt_rc channel_pass(struct store *s, struct outbox_sender *x, const char *channel,
                               int64_t now, int64_t n[2], struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    for (;;) {
        struct arena a;
        arena_init(&a, 0);
        struct claimed *c;
        size_t nc = 0, nd = 0;
        rc = claim(s, x, channel, now, &a, &c, &nc, &nd, n, err);
        if (rc == KT_OK && nc > 0) {
            if (strcmp(channel, "email") == 0) {
                send_email(x, c, nc, &a, now);
            } else {
                send_push(x, c, nc, now);
            }
            rc = settle(s, x, c, nc, now, n, err);
        }
        arena_release(&a);
        if (rc != KT_OK || nd < OUTBOX_BATCH) {
            return rc;
        }
    }
}

enum kt_rc outbox_send_due(struct store *s, struct outbox_sender *x, int64_t now, int64_t n[2],
                           struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    if (x != NULL && x->smtp != NULL) {
        rc = channel_pass(s, x, "email", now, n, err);
    }
    if (rc == KT_OK && x != NULL && x->push != NULL) {
        rc = channel_pass(s, x, "push", now, n, err);
    }
    return rc;
}
