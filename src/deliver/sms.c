/*
 * sms.c - the SMS sender (see sms.h): the gateway's webhook, or the development sink.
 *
 * Invariant: a one-time code leaves the process only through the gateway or the sink the
 * operator named; it never reaches the log.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/ticker.h"
#include "deliver/sms.h"

#define TICK_MS        1000
#define BATCH          32
#define MAX_BACKOFF_MS (10 * 60 * 1000)

struct sms_sender {
    struct store *s;
    struct sms_opts o;
    int sink_fd;       /* the sink's file, stdout for "-", -1 without a sink; owned unless stdout */
    struct ticker *th; /* passes over the outbox at every tick and wake */
};

static void json_escaped(struct buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)*p);
        } else if (*p < 0x20) {
            buf_printf(b, "\\u%04x", *p);
        } else {
            buf_putc(b, (char)*p);
        }
    }
}

char *sms_body(const char *tmpl, const char *phone, const char *text, int64_t id)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{{phone}}", 9) == 0) {
            json_escaped(&b, phone);
            p += 9;
        } else if (strncmp(p, "{{text}}", 8) == 0) {
            json_escaped(&b, text);
            p += 8;
        } else if (strncmp(p, "{{id}}", 6) == 0) {
            buf_puts(&b, idtext);
            p += 6;
        } else {
            buf_putc(&b, *p++);
        }
    }
    char *out = strdup(b.p ? b.p : "");
    buf_release(&b);
    return out;
}

char *sms_sink_line(const struct sms_msg *m, int64_t now)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    char at[40];
    buf_printf(&b, "{\"id\": %lld, \"at\": \"%s\", \"to\": \"", (long long)m->id,
               time_format_rfc3339(now, at, sizeof(at)));
    json_escaped(&b, m->phone);
    buf_puts(&b, "\", \"text\": \"");
    json_escaped(&b, m->text ? m->text : "");
    buf_puts(&b, "\"}\n");
    char *out = strdup(b.p ? b.p : "");
    buf_release(&b);
    return out;
}

/* Appends one message to the sink with one write(2), so lines never interleave. */
static const char *sink_write(int fd, const struct sms_msg *m)
{
    char *line = sms_sink_line(m, clock_now_ms());
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t k = write(fd, line + off, len - off);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            break;
        }
        off += (size_t)k;
    }
    free(line);
    return off == len ? NULL : "sink_write";
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* Posts one message; NULL when the gateway took it, else why not (static text). */
static const char *post(CURL *h, const struct sms_opts *o, const struct sms_msg *m)
{
    char *body = sms_body(o->body, m->phone, m->text ? m->text : "", m->id);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    char auth[1024];
    if (o->auth != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: %s", o->auth);
        hdr = curl_slist_append(hdr, auth);
    }
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, o->url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(o->timeout_ms < 3000 ? o->timeout_ms : 3000));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    free(body);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        return "timeout";
    }
    if (rc != CURLE_OK) {
        return "unreachable";
    }
    if (status >= 200 && status < 300) {
        return NULL;
    }
    return status >= 500 ? "gateway_5xx" : status == 429 ? "gateway_429" : "gateway_4xx";
}

enum kt_rc sms_send_due(struct store *s, const struct sms_opts *o, int sink_fd, int64_t now,
                        int *sent, int *retried, int *dead, struct kt_err *err)
{
    *sent = *retried = *dead = 0;
    if (o->url == NULL && sink_fd < 0) {
        return KT_OK;
    }
    CURL *h = sink_fd >= 0 ? NULL : curl_easy_init();
    if (h == NULL && sink_fd < 0) {
        return kt_err_set(err, KT_EINTERNAL, "curl_init", NULL, "libcurl could not start");
    }
    enum kt_rc rc = KT_OK;
    for (;;) {
        struct arena a;
        arena_init(&a, 0);
        struct store_conn *rd;
        struct sms_msg *m = NULL;
        size_t n = 0;
        rc = store_read_begin(s, &rd, err);
        if (rc == KT_OK) {
            rc = store_sms_due(rd, now, BATCH, &a, &m, &n, err);
            store_read_end(rd);
        }
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            const char *why = sink_fd >= 0 ? sink_write(sink_fd, &m[i])
                                           : post(h, o, &m[i]); /* outside any transaction */
            int64_t attempts = m[i].attempts + 1;
            const char *state = why == NULL                   ? "sent"
                                : attempts >= o->max_attempts ? "dead"
                                                              : "queued";
            int64_t backoff = o->backoff_ms << (attempts - 1 < 20 ? attempts - 1 : 20);
            int64_t next = clock_now_ms() + (backoff < MAX_BACKOFF_MS ? backoff : MAX_BACKOFF_MS);
            struct store_conn *w;
            rc = store_write_begin(s, &w, err);
            if (rc == KT_OK) {
                rc = store_sms_done(w, m[i].id, state, attempts, next, why, clock_now_ms(), err);
                rc = store_write_end(w, rc, err);
            }
            *sent += why == NULL;
            *dead += why != NULL && strcmp(state, "dead") == 0;
            *retried += why != NULL && strcmp(state, "queued") == 0;
            if (why != NULL) {
                log_warn("sms", "id=%lld attempt=%lld state=%s why=%s", (long long)m[i].id,
                         (long long)attempts, state, why);
            }
        }
        arena_release(&a);
        if (rc != KT_OK || n < BATCH) {
            break;
        }
    }
    if (h != NULL) {
        curl_easy_cleanup(h);
    }
    return rc;
}

/* One pass of the sender's thread over what is due. */
static void pass(void *arg)
{
    struct sms_sender *x = arg;
    struct kt_err err;
    kt_err_reset(&err);
    int sent, retried, dead;
    if (sms_send_due(x->s, &x->o, x->sink_fd, clock_now_ms(), &sent, &retried, &dead, &err) !=
        KT_OK) {
        log_warn("sms", "code=%s", err.code);
    }
}

/* The sink's file, opened at start so that a path that cannot be written stops the server
 * before it answers anyone; created 0600 (it holds phones and codes). */
static enum kt_rc sink_open(const char *path, int *fd, struct kt_err *err)
{
    *fd = -1;
    if (path == NULL) {
        return KT_OK;
    }
    if (strcmp(path, "-") == 0) {
        *fd = STDOUT_FILENO;
    } else {
        *fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    }
    if (*fd < 0) {
        return kt_err_set(err, KT_EINTERNAL, "sms_sink", NULL, "cannot open the SMS sink '%s'",
                          path);
    }
    log_warn("sms",
             "msg=\"development SMS sink: messages go to the sink, not to phones; never in "
             "production\" sink=%s",
             strcmp(path, "-") == 0 ? "stdout" : "file");
    return KT_OK;
}

enum kt_rc sms_sender_start(struct store *s, const struct sms_opts *o, struct sms_sender **out,
                            struct kt_err *err)
{
    *out = NULL;
    if (o->url != NULL && o->sink != NULL) {
        return kt_err_set(err, KT_EINVAL, "sms_sink", NULL,
                          "an SMS gateway and the development sink exclude each other");
    }
    if (o->url == NULL && o->sink == NULL) {
        log_warn("sms", "msg=\"no SMS gateway (--sms-url): codes wait in the outbox\"");
        return KT_OK;
    }
    int fd = -1;
    enum kt_rc rc = sink_open(o->sink, &fd, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        if (fd > STDOUT_FILENO) {
            close(fd);
        }
        return kt_err_set(err, KT_EINTERNAL, "curl_init", NULL, "libcurl could not start");
    }
    struct sms_sender *x = kt_calloc(1, sizeof(*x));
    x->s = s;
    x->o = *o;
    x->sink_fd = fd;
    struct ticker_opts to = {"kt-sms", TICK_MS, 0, pass, x};
    rc = ticker_start(&to, &x->th, err);
    if (rc != KT_OK) {
        if (fd > STDOUT_FILENO) {
            close(fd);
        }
        free(x);
        curl_global_cleanup();
        return rc;
    }
    *out = x;
    return KT_OK;
}

void sms_sender_wake(struct sms_sender *x)
{
    if (x == NULL) {
        return;
    }
    uint64_t ticket = ticker_wake(x->th);
    /* A gateway is never waited for (a slow one must not slow a cash desk); the sink is a local
     * file on a developer's machine, and a script reads the code right after the reply. On
     * timeout the message goes at the next pass. */
    if (x->sink_fd >= 0) {
        ticker_wait(x->th, ticket, SMS_SINK_WAIT_MS);
    }
}

void sms_sender_stop(struct sms_sender *x)
{
    if (x == NULL) {
        return;
    }
    ticker_stop(x->th);
    if (x->sink_fd > STDOUT_FILENO) {
        close(x->sink_fd);
    }
    free(x);
    curl_global_cleanup();
}
