/*
 * smtp.c - the SMTP sender of smtp.h: a curl_multi with one easy handle per connection slot.
 *
 * The multi handle keeps the connections (CURLMOPT_MAX_HOST_CONNECTIONS = the pool's size), so
 * the next message on a slot reuses an open connection: MAIL FROM straight away, no new TCP, TLS
 * or AUTH. Not here: retries and pacing (the outbox's, with pace.h), and what a message says (the
 * templates'). Invariant: the recipient's address reaches only the SMTP server - never the log,
 * nor the result's text (deliver_result_set scrubs what the server quotes).
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "consent/consent.h"
#include "deliver/smtp.h"

#define MAX_HEADER_BYTES (64 << 10)

struct slot {
    CURL *h;                    /* the transfer; its connection lives in the multi's cache */
    curl_mime *mime;            /* the message being sent, freed when it is done */
    struct curl_slist *hdr;     /* its headers */
    struct curl_slist *rcpt;    /* its one recipient */
    struct deliver_result *res; /* where its result goes; NULL when the slot is free */
    char reply[256];            /* the server's last reply line */
    char fail[256];             /* its first reply of 400 or more ("" while none): what refused
                                   the message, not the QUIT's 221 after it */
};

struct smtp_pool {
    CURLM *multi;
    struct slot *slots;
    int n;
    char *url, *from, *from_name, *user, *password, *domain; /* owned copies */
    char mail_from[320];                                     /* "<from>" */
    enum smtp_starttls starttls;
    int64_t timeout_ms;
};

/* ---- the message's text -------------------------------------------------------------------- */

static bool plain_ascii(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
        if (*p < 0x20 || *p > 0x7E || (p[0] == '=' && p[1] == '?')) {
            return false;
        }
    }
    return n <= 900; /* a line stays far under RFC 5322's 998 */
}

/* Length of the UTF-8 sequence starting with byte `c` (1 for a stray byte). */
static size_t seq_len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

void smtp_header_text(struct buf *b, const char *s)
{
    if (plain_ascii(s)) {
        buf_puts(b, s);
        return;
    }
    size_t len = strlen(s);
    for (size_t i = 0, words = 0; i < len; words++) {
        unsigned char raw[SMTP_WORD_BYTES];
        size_t k = 0;
        while (i < len) {
            size_t q = seq_len((unsigned char)s[i]);
            if (i + q > len) {
                q = len - i;
            }
            if (k + q > sizeof(raw)) {
                break;
            }
            for (size_t j = 0; j < q; j++) { /* a control character would end the header */
                unsigned char c = (unsigned char)s[i + j];
                raw[k++] = c < 0x20 || c == 0x7F ? ' ' : c;
            }
            i += q;
        }
        char b64[sodium_base64_ENCODED_LEN(SMTP_WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof(b64), raw, k, sodium_base64_VARIANT_ORIGINAL);
        buf_printf(b, "%s=?UTF-8?B?%s?=", words > 0 ? "\r\n " : "", b64);
    }
}

bool smtp_address_ok(const char *addr)
{
    if (addr == NULL || addr[0] == '\0' || strlen(addr) > 254) {
        return false;
    }
    int at = 0;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++) {
        if (*p <= 0x20 || *p == 0x7F || *p == '<' || *p == '>' || *p == '"' || *p == '(' ||
            *p == ')' || *p == ',' || *p == ';' || *p == '\\') {
            return false;
        }
        at += *p == '@';
    }
    const char *a = strchr(addr, '@');
    return at == 1 && a != addr && a[1] != '\0';
}

void smtp_mailbox(struct buf *b, const char *name, const char *addr)
{
    if (name == NULL || name[0] == '\0') {
        buf_puts(b, addr);
        return;
    }
    if (plain_ascii(name)) {
        buf_putc(b, '"');
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\') {
                buf_putc(b, '\\');
            }
            buf_putc(b, *p);
        }
        buf_putc(b, '"');
    } else {
        smtp_header_text(b, name);
    }
    /* Folded before the address when it would take the line past 78. */
    const char *line = b->p;
    for (const char *q = b->p; q != NULL && (q = strstr(q, "\r\n")) != NULL; q += 2) {
        line = q + 2;
    }
    size_t used = b->len - (size_t)(line - b->p);
    buf_printf(b, "%s<%s>", used + strlen(addr) + 3 > 78 ? "\r\n " : " ", addr);
}

void smtp_date(int64_t ms, char *out, size_t size)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool id_ok(const char *id)
{
    size_t n = 0;
    for (const char *p = id; p && *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == '+' || c == '=';
        if (!ok) {
            return false;
        }
    }
    return n > 0 && n <= 128;
}

const char *smtp_unsubscribe_url(const struct key_secret *k, const char *public_url,
                                 const char *customer_id, const char *topic, struct arena *a)
{
    return deliver_unsubscribe_url(k, public_url, customer_id, topic, "email", a);
}

const char *deliver_unsubscribe_url(const struct key_secret *k, const char *public_url,
                                    const char *customer_id, const char *topic, const char *channel,
                                    struct arena *a)
{
    const char *tok = subs_token(k, customer_id, topic, channel, a);
    size_t n = strlen(public_url);
    while (n > 0 && public_url[n - 1] == '/') {
        n--;
    }
    return arena_printf(a, "%.*s/u/%s", (int)n, public_url, tok);
}

bool smtp_starttls_parse(const char *s, enum smtp_starttls *out)
{
    static const struct {
        const char *word;
        enum smtp_starttls v;
    } words[] = {{"try", SMTP_STARTTLS_TRY},
                 {"require", SMTP_STARTTLS_REQUIRE},
                 {"never", SMTP_STARTTLS_NEVER}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcmp(s, words[i].word) == 0) {
            *out = words[i].v;
            return true;
        }
    }
    return false;
}

/* ---- the pool -------------------------------------------------------------------------------- */

static size_t on_reply(char *p, size_t size, size_t n, void *ud)
{
    struct slot *sl = ud;
    size_t len = size * n, keep = len < sizeof(sl->reply) - 1 ? len : sizeof(sl->reply) - 1;
    if (len >= 4 && p[0] >= '2' && p[0] <= '5') { /* a reply line: "250 ok", "550-..." */
        char *to = p[0] >= '4' && sl->fail[0] == '\0' ? sl->fail : sl->reply;
        memcpy(to, p, keep);
        to[keep] = '\0';
    }
    return len;
}

static char *dup_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? kt_strdup(s) : NULL;
}

struct smtp_pool *smtp_pool_new(const struct smtp_opts *o, struct kt_err *err)
{
    if (o->url == NULL || (strncmp(o->url, "smtp://", 7) != 0 && strncmp(o->url, "smtps://", 8))) {
        kt_err_set(err, KT_EINVAL, "smtp_url", NULL, "the SMTP URL must be smtp:// or smtps://");
        return NULL;
    }
    if (!smtp_address_ok(o->from)) {
        kt_err_set(err, KT_EINVAL, "smtp_from", NULL, "the sender's address is not an address");
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        kt_err_set(err, KT_EINTERNAL, "curl_init", NULL, "libcurl could not start");
        return NULL;
    }
    struct smtp_pool *p = kt_calloc(1, sizeof(*p));
    p->n = o->connections > 0 ? o->connections : SMTP_CONNECTIONS;
    p->slots = kt_calloc((size_t)p->n, sizeof(*p->slots));
    p->url = kt_strdup(o->url);
    p->from = kt_strdup(o->from);
    p->from_name = dup_or_null(o->from_name);
    p->user = dup_or_null(o->user);
    p->password = dup_or_null(o->password);
    p->domain = kt_strdup(strchr(o->from, '@') + 1);
    snprintf(p->mail_from, sizeof(p->mail_from), "<%s>", o->from);
    p->starttls = o->starttls != SMTP_STARTTLS_DEFAULT ? o->starttls
                  : p->user != NULL                    ? SMTP_STARTTLS_REQUIRE
                                                       : SMTP_STARTTLS_TRY;
    p->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : SMTP_TIMEOUT_MS;
    p->multi = curl_multi_init();
    curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)p->n);
    curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)p->n);
    for (int i = 0; i < p->n; i++) {
        p->slots[i].h = curl_easy_init();
        if (p->slots[i].h == NULL) {
            smtp_pool_free(p);
            kt_err_set(err, KT_EINTERNAL, "curl_init", NULL, "libcurl could not start");
            return NULL;
        }
    }
    return p;
}

static void wipe(char *s)
{
    if (s != NULL) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

void smtp_pool_free(struct smtp_pool *p)
{
    if (p == NULL) {
        return;
    }
    for (int i = 0; i < p->n; i++) {
        if (p->slots[i].h != NULL) {
            curl_easy_cleanup(p->slots[i].h);
        }
    }
    curl_multi_cleanup(p->multi); /* closes the connections (QUIT) */
    free(p->slots);
    free(p->url);
    free(p->from);
    free(p->from_name);
    wipe(p->user);
    wipe(p->password);
    free(p->domain);
    free(p);
    curl_global_cleanup();
}

/* The message's own headers; curl adds MIME-Version and the parts' Content-* itself. */
static struct curl_slist *headers(const struct smtp_pool *p, const struct email *m, int64_t now)
{
    struct buf b;
    buf_init(&b, MAX_HEADER_BYTES);
    char date[40];
    smtp_date(now, date, sizeof(date));
    struct curl_slist *h = NULL;
    buf_printf(&b, "Date: %s", date);
    h = curl_slist_append(h, buf_cstr(&b));
    buf_reset(&b);
    buf_puts(&b, "From: ");
    smtp_mailbox(&b, p->from_name, p->from);
    h = curl_slist_append(h, buf_cstr(&b));
    buf_reset(&b);
    buf_puts(&b, "To: ");
    smtp_mailbox(&b, m->to_name, m->to);
    h = curl_slist_append(h, buf_cstr(&b));
    buf_reset(&b);
    buf_puts(&b, "Subject: ");
    smtp_header_text(&b, m->subject ? m->subject : "");
    h = curl_slist_append(h, buf_cstr(&b));
    buf_reset(&b);
    buf_printf(&b, "Message-ID: <%s@%s>", m->id, p->domain);
    h = curl_slist_append(h, buf_cstr(&b));
    if (m->unsubscribe_url != NULL) {
        buf_reset(&b);
        buf_printf(&b, "List-Unsubscribe: <%s>", m->unsubscribe_url);
        h = curl_slist_append(h, buf_cstr(&b));
        h = curl_slist_append(h, "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    }
    buf_release(&b);
    return h;
}

static void add_part(curl_mime *mime, const char *data, const char *type)
{
    curl_mimepart *part = curl_mime_addpart(mime);
    curl_mime_data(part, data, CURL_ZERO_TERMINATED);
    curl_mime_type(part, type);
    curl_mime_encoder(part, "base64");
}

/* The body: multipart/alternative, text first (the least preferred, RFC 2046), or the text. */
static curl_mime *body(CURL *h, const struct email *m, struct curl_slist **hdr)
{
    curl_mime *mime = curl_mime_init(h);
    const char *text = m->text ? m->text : "";
    if (m->html == NULL) {
        add_part(mime, text, "text/plain; charset=utf-8");
        return mime;
    }
    curl_mime *alt = curl_mime_init(h);
    add_part(alt, text, "text/plain; charset=utf-8");
    add_part(alt, m->html, "text/html; charset=utf-8");
    curl_mimepart *part = curl_mime_addpart(mime);
    curl_mime_subparts(part, alt);
    curl_mime_type(part, "multipart/alternative");
    (void)hdr;
    return mime;
}

static bool refuse(const struct email *m, struct deliver_result *res)
{
    const char *why = !smtp_address_ok(m->to) ? "the recipient's address is not one"
                      : !id_ok(m->id)         ? "the message id cannot be a Message-ID"
                      : m->unsubscribe_url != NULL && strpbrk(m->unsubscribe_url, "\r\n<> ") != NULL
                          ? "the unsubscribe link is not a URL"
                          : NULL;
    if (why != NULL) {
        deliver_result_set(res, DELIVER_PERMANENT, 0, why);
    }
    return why != NULL;
}

static void start(struct smtp_pool *p, struct slot *sl, const struct email *m, int64_t now,
                  struct deliver_result *res)
{
    CURL *h = sl->h;
    sl->res = res;
    sl->reply[0] = sl->fail[0] = '\0';
    sl->hdr = headers(p, m, now);
    sl->mime = body(h, m, &sl->hdr);
    sl->rcpt = curl_slist_append(NULL, m->to);
    curl_easy_setopt(h, CURLOPT_URL, p->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, p->mail_from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, sl->rcpt);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl->hdr);
    curl_easy_setopt(h, CURLOPT_MIMEPOST, sl->mime);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(p->timeout_ms < 10000 ? p->timeout_ms : 10000));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_reply);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, sl);
    long tls = p->starttls == SMTP_STARTTLS_REQUIRE ? CURLUSESSL_ALL
               : p->starttls == SMTP_STARTTLS_NEVER ? CURLUSESSL_NONE
                                                    : CURLUSESSL_TRY;
    curl_easy_setopt(h, CURLOPT_USE_SSL, tls);
    if (p->user != NULL) {
        curl_easy_setopt(h, CURLOPT_USERNAME, p->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, p->password ? p->password : "");
    }
}

/* The result of a finished transfer, from libcurl's code and the server's last reply. */
static void classify(struct slot *sl, CURLcode rc)
{
    long code = 0;
    curl_easy_getinfo(sl->h, CURLINFO_RESPONSE_CODE, &code);
    const char *text = sl->reply[0] != '\0' ? sl->reply : curl_easy_strerror(rc);
    if (rc != CURLE_OK && sl->fail[0] != '\0') {
        text = sl->fail;
        code = (sl->fail[0] - '0') * 100 + (sl->fail[1] - '0') * 10 + (sl->fail[2] - '0');
    }
    /* 530, 534, 535, 538: the server wants other credentials or TLS first - our settings
     * are wrong, not the message; it goes once they are fixed. */
    bool ours =
        rc == CURLE_LOGIN_DENIED || code == 530 || code == 534 || code == 535 || code == 538;
    enum deliver_class cls = rc == CURLE_OK              ? DELIVER_SENT
                             : ours                      ? DELIVER_TEMPORARY
                             : code >= 500 && code < 600 ? DELIVER_PERMANENT
                                                         : DELIVER_TEMPORARY;
    if (rc != CURLE_OK && sl->reply[0] == '\0' && sl->fail[0] == '\0') {
        code = 0; /* no reply of the server's explains it: a connection or TLS failure */
    }
    deliver_result_set(sl->res, cls, (int)code, text);
    sl->res->retry_after_ms = -1;
}

static void finish(struct slot *sl, CURLcode rc)
{
    classify(sl, rc);
    curl_mime_free(sl->mime);
    curl_slist_free_all(sl->hdr);
    curl_slist_free_all(sl->rcpt);
    sl->mime = NULL;
    sl->hdr = sl->rcpt = NULL;
    sl->res = NULL;
}

void smtp_send(struct smtp_pool *p, const struct email *m, size_t n, int64_t now_ms,
               struct deliver_result *res)
{
    size_t next = 0;
    int running = 0, active = 0;
    for (;;) {
        for (int i = 0; i < p->n && next < n; i++) {
            if (p->slots[i].res != NULL) {
                continue;
            }
            while (next < n && refuse(&m[next], &res[next])) {
                res[next++].retry_after_ms = -1;
            }
            if (next < n) {
                start(p, &p->slots[i], &m[next], now_ms, &res[next]);
                next++;
                curl_multi_add_handle(p->multi, p->slots[i].h);
                active++;
            }
        }
        if (active == 0) {
            break;
        }
        curl_multi_perform(p->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            CURL *h = msg->easy_handle;
            CURLcode rc = msg->data.result;
            for (int i = 0; i < p->n; i++) {
                if (p->slots[i].h == h) {
                    curl_multi_remove_handle(p->multi, h);
                    finish(&p->slots[i], rc);
                    active--;
                    break;
                }
            }
        }
        if (active > 0 && running > 0) {
            curl_multi_poll(p->multi, NULL, 0, 100, NULL);
        }
    }
}
