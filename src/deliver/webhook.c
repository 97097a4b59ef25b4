/*
 * webhook.c - the signed JSON POST of webhook.h.
 *
 * The signed text is "<t>.<body>", the bytes sent: a receiver checks them before parsing, and a
 * timestamp inside the signed text lets it refuse a replay older than its tolerance (docs).
 * Not here: retries (the outbox's), the body's shape (the caller's).
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "base/num.h"
#include "deliver/webhook.h"

struct webhook {
    CURL *h;      /* kept between posts: its connection is reused */
    char *secret; /* owned copy */
    int64_t timeout_ms;
    char retry_after[64]; /* the last reply's Retry-After, "" when none */
};

void webhook_sign(const char *secret, int64_t t, const char *body, size_t len, char *out)
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[24], hex[2 * sizeof(mac) + 1];
    int n = snprintf(ts, sizeof(ts), "%lld.", (long long)t);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, (unsigned long long)len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(out, WEBHOOK_SIG_MAX, "t=%lld,v1=%s", (long long)t, hex);
}

int64_t webhook_retry_after_ms(const char *value, int64_t now_ms)
{
    if (value == NULL) {
        return -1;
    }
    while (*value == ' ' || *value == '\t') {
        value++;
    }
    size_t n = strlen(value);
    while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\r' ||
                     value[n - 1] == '\n')) {
        n--;
    }
    int64_t secs;
    if (n > 0 && num_parse_i64(value, n, 0, 366LL * 86400, &secs)) {
        return secs * 1000;
    }
    char date[64];
    if (n == 0 || n >= sizeof(date) || (value[0] >= '0' && value[0] <= '9')) {
        return -1;
    }
    memcpy(date, value, n);
    date[n] = '\0';
    time_t at = curl_getdate(date, NULL);
    if (at < 0) {
        return -1;
    }
    int64_t ms = (int64_t)at * 1000 - now_ms;
    return ms > 0 ? ms : 0;
}

struct webhook *webhook_new(const struct webhook_opts *o, struct kt_err *err)
{
    if (!o->plain && (o->secret == NULL || strlen(o->secret) < WEBHOOK_SECRET_MIN)) {
        kt_err_set(err, KT_EINVAL, "webhook_secret", NULL,
                   "KARTOTEKA_WEBHOOK_SECRET must be set, at least %d bytes", WEBHOOK_SECRET_MIN);
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        kt_err_set(err, KT_EINTERNAL, "curl_init", NULL, "libcurl could not start");
        return NULL;
    }
    struct webhook *w = kt_calloc(1, sizeof(*w));
    w->h = curl_easy_init();
    if (w->h == NULL) {
        free(w);
        curl_global_cleanup();
        kt_err_set(err, KT_EINTERNAL, "curl_init", NULL, "libcurl could not start");
        return NULL;
    }
    w->secret = kt_strdup(o->plain ? "" : o->secret);
    w->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : WEBHOOK_TIMEOUT_MS;
    return w;
}

void webhook_free(struct webhook *w)
{
    if (w == NULL) {
        return;
    }
    curl_easy_cleanup(w->h);
    sodium_memzero(w->secret, strlen(w->secret));
    free(w->secret);
    free(w);
    curl_global_cleanup();
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct webhook *w = ud;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
        size_t v = len - (sizeof(name) - 1);
        if (v >= sizeof(w->retry_after)) {
            v = sizeof(w->retry_after) - 1;
        }
        memcpy(w->retry_after, p + sizeof(name) - 1, v);
        w->retry_after[v] = '\0';
    }
    return len;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static void classify(struct webhook *w, CURLcode rc, long status, int64_t now_ms,
                     struct deliver_result *res)
{
    res->retry_after_ms = -1;
    char text[160];
    if (rc != CURLE_OK) {
        deliver_result_set(res, DELIVER_TEMPORARY, 0, curl_easy_strerror(rc));
        return;
    }
    snprintf(text, sizeof(text), "HTTP %ld", status);
    if (status >= 200 && status < 300) {
        deliver_result_set(res, DELIVER_SENT, (int)status, text);
        return;
    }
    bool temporary = status == 408 || status == 429 || status >= 500;
    deliver_result_set(res, temporary ? DELIVER_TEMPORARY : DELIVER_PERMANENT, (int)status, text);
    if (temporary) {
        res->retry_after_ms = webhook_retry_after_ms(w->retry_after, now_ms);
    }
}

void webhook_post(struct webhook *w, const char *url, const char *msg_id, const char *body,
                  size_t len, int64_t now_ms, struct deliver_result *res)
{
    char sig[WEBHOOK_SIG_MAX], line[WEBHOOK_SIG_MAX + 64], idline[160];
    webhook_sign(w->secret, now_ms / 1000, body, len, sig);
    snprintf(line, sizeof(line), "Kartoteka-Signature: %s", sig);
    snprintf(idline, sizeof(idline), "Kartoteka-Message-Id: %s", msg_id);
    const char *const headers[] = {line, idline, NULL};
    webhook_post_plain(w, url, headers, body, len, now_ms, res);
}

void webhook_post_plain(struct webhook *w, const char *url, const char *const *headers,
                        const char *body, size_t len, int64_t now_ms, struct deliver_result *res)
{
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        hdr = curl_slist_append(hdr, headers[i]);
    }
    hdr = curl_slist_append(hdr, "User-Agent: kartoteka/" KT_VERSION);
    hdr = curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip */
    w->retry_after[0] = '\0';
    CURL *h = w->h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)w->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(w->timeout_ms < 3000 ? w->timeout_ms : 3000));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, w);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    classify(w, rc, status, now_ms, res);
}
