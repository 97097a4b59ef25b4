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
#include "consent/consent.h"
#include "deliver/outbox.h"
#include "deliver/pace.h"
#include "deliver/policy.h"
#include "deliver/track.h"
#include "deliver/webhook.h"

/* The channels; a batch is sent in this order (codes first, the SMTP pool's batch last). */
enum channel { CH_SMS, CH_PUSH, CH_WEBHOOK, CH_EMAIL, CH_N };
static const char *const channel_names[CH_N] = {"sms", "push", "webhook", "email"};

struct outbox_sender {
    struct outbox_conf c;
    struct smtp_pool *smtp; /* NULL: no e-mail */
    struct sms_gw *sms;     /* NULL: no SMS */
    struct webhook *hook;   /* signed posts for push and webhook; NULL: neither */
    struct pace pace[CH_N];
    struct policy_caps caps; /* the store's rules, reloaded when they change */
    const char *channels[OUTBOX_CHANNELS_MAX + 1]; /* those configured, NULL-terminated */
    int64_t recovered_at; /* the last requeue of abandoned rows (c.lease_ms) */
};

/* One claimed message and what its channel answered. */
struct claimed {
    struct outbox_msg m;
    struct deliver_result res;
};

const char *outbox_id(const struct key_secret *k, const char *origin, struct arena *a)
{
    return keys_outbox_id(k, origin, a);
}

/* Whether channel `ch` can send: its receiver is configured. */
static bool configured(const struct outbox_sender *x, enum channel ch)
{
    switch (ch) {
    case CH_SMS:
        return x->sms != NULL;
    case CH_PUSH:
        return x->hook != NULL && x->c.push_url != NULL;
    case CH_WEBHOOK:
        return x->hook != NULL && x->c.webhook_url != NULL;
    default:
        return x->smtp != NULL;
    }
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
    policy_caps_init(&x->caps);
    const int64_t rates[CH_N] = {c->sms_rate, c->push_rate, c->webhook_rate, c->email_rate};
    for (int i = 0; i < CH_N; i++) {
        pace_init(&x->pace[i], (double)rates[i]);
    }
    if (x->c.retry_ms <= 0) {
        x->c.retry_ms = OUTBOX_RETRY_MS;
    }
    *out = NULL;
    if (c->smtp.url != NULL && (x->smtp = smtp_pool_new(&c->smtp, err)) == NULL) {
        outbox_sender_free(x);
        return err->rc;
    }
    if ((c->push_url != NULL || c->webhook_url != NULL) &&
        (x->hook = webhook_new(&(struct webhook_opts){.secret = c->webhook_secret}, err)) == NULL) {
        outbox_sender_free(x);
        return err->rc;
    }
    if (sms_gw_new(&c->sms, &x->sms, err) != KT_OK) {
        outbox_sender_free(x);
        return err->rc;
    }
    size_t nc = 0;
    for (int ch = 0; ch < CH_N; ch++) {
        if (configured(x, (enum channel)ch)) {
            x->channels[nc++] = channel_names[ch];
        }
    }
    *out = x;
    return KT_OK;
}

void outbox_sender_free(struct outbox_sender *x)
{
    if (x != NULL) {
        smtp_pool_free(x->smtp);
        webhook_free(x->hook);
        sms_gw_free(x->sms);
        policy_caps_free(&x->caps);
        free(x);
    }
}

bool outbox_sender_sink(const struct outbox_sender *x)
{
    return x != NULL && sms_gw_sink(x->sms);
}

enum kt_rc outbox_recover(struct store *s, int64_t now, int64_t lease_ms, int64_t *n,
                          struct kt_err *err)
{
    struct store_conn *w;
    *n = 0;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_outbox_requeue(w, now, lease_ms > 0 ? now - lease_ms : INT64_MAX, n, err);
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

static enum channel channel_of(const char *name)
{
    for (int ch = 0; ch < CH_N; ch++) {
        if (strcmp(channel_names[ch], name) == 0) {
            return (enum channel)ch;
        }
    }
    return CH_EMAIL; /* the table's CHECK allows no other */
}

static enum kt_rc record(struct store_conn *w, struct outbox_msg *m, const char *state,
                         const char *reason, int64_t now, struct kt_err *err)
{
    m->state = state;
    m->reason = reason;
    m->updated_at = now;
    return store_outbox_update(w, m, err);
}

/* Claims up to OUTBOX_BATCH due messages of the configured channels, highest priority first
 * across them (so a cap spanning channels gives its last slot to the higher priority, whatever
 * its channel): a code past its life failed, the policy's refusals recorded `suppressed`, its
 * caps `capped`, its holds queued again at their time, those their channel's pace allows moved
 * to `sending` (the rest held until a token is there). Each decision sees the `sending` rows of
 * the ones before it. */
static enum kt_rc claim(struct store *s, struct outbox_sender *x, int64_t now, struct arena *a,
                        struct claimed **out, size_t *n_out, size_t *n_due, int64_t n[2],
                        struct kt_err *err)
{
    struct store_conn *w;
    struct outbox_msg *due;
    size_t nd = 0, cap = 0;
    *out = NULL;
    *n_out = 0;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = policy_caps_load(w, &x->caps, err);
    if (rc == KT_OK) {
        rc = store_outbox_due(w, x->channels, now, OUTBOX_BATCH, a, &due, &nd, err);
    }
    for (size_t i = 0; rc == KT_OK && i < nd; i++) {
        struct policy_decision d;
        if (due[i].expires_at > 0 && now >= due[i].expires_at) { /* a code past its life */
            rc = record(w, &due[i], "failed", "expired", now, err);
            n[1]++;
            continue;
        }
        if ((rc = policy_decide(w, &x->c.policy, &x->caps, &due[i], now, a, &d, err)) != KT_OK) {
            break;
        }
        if (d.verdict == POLICY_REFUSE || d.verdict == POLICY_CAP) {
            rc = record(w, &due[i], d.verdict == POLICY_CAP ? "capped" : "suppressed", d.reason,
                        now, err);
            n[1]++;
            continue;
        }
        if (d.verdict == POLICY_HOLD) { /* quiet hours: the same row, at the window's end */
            due[i].next_at = d.until;
            rc = record(w, &due[i], "queued", d.reason, now, err);
            continue;
        }
        int64_t wait = pace_take(&x->pace[channel_of(due[i].channel)], now);
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

/* Whether the batch holds a message of channel `ch` (only configured channels are claimed). */
static bool any_of(const struct claimed *c, size_t n, enum channel ch)
{
    for (size_t i = 0; i < n; i++) {
        if (channel_of(c[i].m.channel) == ch) {
            return true;
        }
    }
    return false;
}

static const char *part(json_t *o, const char *name)
{
    const char *v = json_string_value(json_object_get(o, name));
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* The public URL the pixel and the links of this batch's marketing e-mails point to, without
 * its trailing slashes; NULL when there is none or no secret to sign with (sent untracked). */
static const char *track_base(struct store *s, const struct outbox_sender *x, struct arena *a)
{
    struct store_conn *rd;
    struct privacy_settings ps;
    struct kt_err err;
    if (x->c.secret == NULL || store_read_begin(s, &rd, &err) != KT_OK) {
        return NULL;
    }
    enum kt_rc rc = privacy_settings_get(rd, a, &ps, &err);
    store_read_end(rd);
    if (rc != KT_OK || ps.public_url == NULL || ps.public_url[0] == '\0') {
        return NULL;
    }
    size_t n = strlen(ps.public_url);
    while (n > 0 && ps.public_url[n - 1] == '/') {
        n--;
    }
    return arena_strndup(a, ps.public_url, n);
}

/* A marketing e-mail's HTML with its pixel and links (transactional ones are not tracked). */
static const char *tracked_html(const struct outbox_sender *x, const struct outbox_msg *m,
                                const char *html, const char *base, struct arena *a)
{
    if (base == NULL || html == NULL || strcmp(m->kind, "marketing") != 0) {
        return html;
    }
    return track_html(x->c.secret, base, arena_printf(a, "%s/u/", base), m->id, html, a);
}

/* The claimed e-mails of `c`, together (the pool spreads them over its connections). */
static void send_email(struct outbox_sender *x, struct claimed *c, size_t n, struct arena *a,
                       int64_t now, const char *base)
{
    struct email *m = arena_zalloc(a, (n ? n : 1) * sizeof(*m));
    struct deliver_result *res = arena_zalloc(a, (n ? n : 1) * sizeof(*res));
    json_t **docs = arena_zalloc(a, (n ? n : 1) * sizeof(*docs));
    size_t *at = arena_zalloc(a, (n ? n : 1) * sizeof(*at)), ne = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(c[i].m.channel, "email") != 0) {
            continue;
        }
        docs[ne] = json_loads(c[i].m.content ? c[i].m.content : "{}", 0, NULL);
        m[ne] = (struct email){.id = c[i].m.id,
                               .to = c[i].m.recipient,
                               .subject = part(docs[ne], "subject"),
                               .text = part(docs[ne], "text"),
                               .html = tracked_html(x, &c[i].m, part(docs[ne], "html"), base, a),
                               .unsubscribe_url = part(docs[ne], "unsubscribe_url")};
        at[ne++] = i;
    }
    if (ne > 0) {
        smtp_send(x->smtp, m, ne, now, res);
    }
    for (size_t i = 0; i < ne; i++) {
        c[at[i]].res = res[i];
        json_decref(docs[i]);
    }
}

/* Push and webhook: {"id", "channel", "customer_id", then the content's own members (title and
 * body; data)}, signed. */
static void send_hook(struct outbox_sender *x, enum channel ch, struct claimed *c, size_t n,
                      int64_t now)
{
    const char *url = ch == CH_PUSH ? x->c.push_url : x->c.webhook_url;
    for (size_t i = 0; i < n; i++) {
        if (channel_of(c[i].m.channel) != ch) {
            continue;
        }
        json_t *doc = json_loads(c[i].m.content ? c[i].m.content : "{}", 0, NULL);
        json_t *body = json_pack("{s:s, s:s}", "id", c[i].m.id, "channel", channel_names[ch]);
        json_object_update(body, doc);
        char *text = json_dumps(body, JSON_COMPACT);
        webhook_post(x->hook, url, c[i].m.id, text, strlen(text), now, &c[i].res);
        free(text);
        json_decref(body);
        json_decref(doc);
    }
}

static void send_sms(struct outbox_sender *x, struct claimed *c, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        if (channel_of(c[i].m.channel) != CH_SMS) {
            continue;
        }
        json_t *doc = json_loads(c[i].m.content ? c[i].m.content : "{}", 0, NULL);
        sms_gw_send(x->sms, c[i].m.id, c[i].m.recipient, part(doc, "text"), now, &c[i].res);
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
        bool sms = strcmp(m->channel, "sms") == 0; /* --sms-backoff and --sms-attempts */
        int64_t base = sms && x->c.sms.backoff_ms > 0 ? x->c.sms.backoff_ms : x->c.retry_ms;
        int64_t tries =
            sms && x->c.sms.max_attempts > 0 ? x->c.sms.max_attempts : OUTBOX_MAX_ATTEMPTS;
        if (r->cls == DELIVER_TEMPORARY && m->attempts < tries) {
            int64_t d = outbox_backoff(base, m->attempts, r->retry_after_ms);
            m->next_at = now + (sms && d > SMS_MAX_BACKOFF_MS ? SMS_MAX_BACKOFF_MS : d);
            rc = record(w, m, "queued", NULL, now, err);
        } else {
            rc = record(w, m, "failed",
                        r->cls == DELIVER_PERMANENT ? "refused" : "attempts_exhausted", now, err);
        }
        log_warn("outbox", "id=%s channel=%s attempt=%lld state=%s code=%d", m->id, m->channel,
                 (long long)m->attempts, m->state, r->code);
    }
    return store_write_end(w, rc, err);
}

enum kt_rc outbox_send_due(struct store *s, struct outbox_sender *x, int64_t now, int64_t n[2],
                           struct kt_err *err)
{
    if (x == NULL || x->channels[0] == NULL) {
        return KT_OK;
    }
    /* a server among several died: looked for each minute, or each lease when that is shorter */
    int64_t every = x->c.lease_ms < 60000 ? x->c.lease_ms : 60000;
    if (x->c.lease_ms > 0 && now - x->recovered_at >= every) {
        int64_t back = 0;
        x->recovered_at = now;
        if (outbox_recover(s, now, x->c.lease_ms, &back, err) != KT_OK) {
            return err->rc;
        }
        if (back > 0) {
            log_warn("outbox_recovered", "messages=%lld", (long long)back);
        }
    }
    for (;;) {
        struct arena a;
        arena_init(&a, 0);
        struct claimed *c;
        size_t nc = 0, nd = 0;
        enum kt_rc rc = claim(s, x, now, &a, &c, &nc, &nd, n, err);
        if (rc == KT_OK && nc > 0) {
            /* codes first: the gateway's answer does not wait for the SMTP pool's batch */
            if (any_of(c, nc, CH_SMS)) {
                send_sms(x, c, nc, now);
            }
            if (any_of(c, nc, CH_PUSH)) {
                send_hook(x, CH_PUSH, c, nc, now);
            }
            if (any_of(c, nc, CH_WEBHOOK)) {
                send_hook(x, CH_WEBHOOK, c, nc, now);
            }
            if (any_of(c, nc, CH_EMAIL)) {
                send_email(x, c, nc, &a, now, track_base(s, x, &a));
            }
            rc = settle(s, x, c, nc, now, n, err);
        }
        arena_release(&a);
        if (rc != KT_OK || nd < OUTBOX_BATCH) {
            return rc;
        }
    }
}
