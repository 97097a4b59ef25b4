/*
 * sms.c - the SMS channel (see sms.h): the gateway's webhook, or the development sink.
 *
 * Invariant: a one-time code leaves the process only through the gateway or the sink the
 * operator named; it never reaches the log.
 */
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
#include "consent/consent.h"
#include "deliver/sms.h"
#include "deliver/smtp.h"
#include "deliver/webhook.h"

struct sms_gw {
    struct sms_opts o;
    int sink_fd;       /* the sink's file, stdout for "-", -1 without a sink; owned unless stdout */
    struct webhook *h; /* the gateway's poster (unsigned), NULL with the sink */
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

char *sms_body(const char *tmpl, const char *phone, const char *text, const char *id)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{{phone}}", 9) == 0) {
            json_escaped(&b, phone);
            p += 9;
        } else if (strncmp(p, "{{text}}", 8) == 0) {
            json_escaped(&b, text);
            p += 8;
        } else if (strncmp(p, "{{id}}", 6) == 0) {
            json_escaped(&b, id);
            p += 6;
        } else {
            buf_putc(&b, *p++);
        }
    }
    char *out = strdup(b.p ? b.p : "");
    buf_release(&b);
    return out;
}

const char *sms_marketing_text(const char *text, const char *sender, const char *unsubscribe_url,
                               struct arena *a)
{
    return arena_printf(a, "%s\n%s. " SMS_OPT_OUT "%s", text, sender, unsubscribe_url);
}

enum kt_rc deliver_optout_url(struct store_conn *c, const struct key_secret *k, const char *channel,
                              const char *sender, const char *customer_id, const char *topic,
                              struct arena *a, const char **url, struct kt_err *err)
{
    *url = NULL;
    if (strcmp(channel, "sms") == 0 && sender == NULL) { /* an advertisement names its sender */
        return kt_err_set(err, KT_EINVAL, "sms_sender_required", "transactional",
                          "a marketing SMS is signed with the sender's name: start the server "
                          "with --sms-sender");
    }
    struct privacy_settings ps;
    if (privacy_settings_get(c, a, &ps, err) != KT_OK) {
        return err->rc;
    }
    if (ps.public_url == NULL || ps.public_url[0] == '\0') { /* never a bare marketing message */
        return kt_err_set(err, KT_EINVAL, "public_url_required", "transactional",
                          "a marketing message carries an unsubscribe link: set public_url in "
                          "PUT /v1/privacy/settings first");
    }
    *url = deliver_unsubscribe_url(k, ps.public_url, customer_id, topic, channel, a);
    return KT_OK;
}

char *sms_sink_line(const char *id, const char *phone, const char *text, int64_t now)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    char at[40];
    buf_puts(&b, "{\"id\": \"");
    json_escaped(&b, id);
    buf_printf(&b, "\", \"at\": \"%s\", \"to\": \"", time_format_rfc3339(now, at, sizeof(at)));
    json_escaped(&b, phone);
    buf_puts(&b, "\", \"text\": \"");
    json_escaped(&b, text ? text : "");
    buf_puts(&b, "\"}\n");
    char *out = strdup(b.p ? b.p : "");
    buf_release(&b);
    return out;
}

/* Appends one message to the sink with one write(2), so lines never interleave. */
static void sink_write(int fd, const char *id, const char *phone, const char *text, int64_t now,
                       struct deliver_result *res)
{
    char *line = sms_sink_line(id, phone, text, now);
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
    res->retry_after_ms = -1;
    deliver_result_set(res, off == len ? DELIVER_SENT : DELIVER_TEMPORARY, 0,
                       off == len ? "sink" : "sink_write");
}

void sms_gw_send(struct sms_gw *g, const char *id, const char *phone, const char *text, int64_t now,
                 struct deliver_result *res)
{
    if (g->sink_fd >= 0) {
        sink_write(g->sink_fd, id, phone, text, now, res);
        return;
    }
    char *body = sms_body(g->o.body, phone, text ? text : "", id);
    char auth[1024];
    const char *headers[2] = {NULL, NULL};
    if (g->o.auth != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: %s", g->o.auth);
        headers[0] = auth;
    }
    webhook_post_plain(g->h, g->o.url, headers, body, strlen(body), now, res);
    free(body);
}

/* The sink's file, opened at start so that a path that cannot be written stops the server
 * before it answers anyone; created 0600 (it holds phones and codes). */
static enum kt_rc sink_open(const char *path, int *fd, struct kt_err *err)
{
    *fd = -1;
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

enum kt_rc sms_gw_new(const struct sms_opts *o, struct sms_gw **out, struct kt_err *err)
{
    *out = NULL;
    if (o->url != NULL && o->sink != NULL) {
        return kt_err_set(err, KT_EINVAL, "sms_sink", NULL,
                          "an SMS gateway and the development sink exclude each other");
    }
    if (o->url == NULL && o->sink == NULL) {
        log_warn(
            "sms",
            "msg=\"no SMS gateway (--sms-url): codes wait in the outbox, and every other SMS\"");
        return KT_OK;
    }
    struct sms_gw *g = kt_calloc(1, sizeof(*g));
    g->o = *o;
    g->sink_fd = -1;
    enum kt_rc rc = KT_OK;
    if (o->sink != NULL) {
        rc = sink_open(o->sink, &g->sink_fd, err);
    } else {
        struct webhook_opts wo = {.timeout_ms = o->timeout_ms, .plain = true};
        rc = (g->h = webhook_new(&wo, err)) == NULL ? err->rc : KT_OK;
    }
    if (rc != KT_OK) {
        free(g);
        return rc;
    }
    *out = g;
    return KT_OK;
}

bool sms_gw_sink(const struct sms_gw *g)
{
    return g != NULL && g->sink_fd >= 0;
}

void sms_gw_free(struct sms_gw *g)
{
    if (g == NULL) {
        return;
    }
    if (g->sink_fd > STDOUT_FILENO) {
        close(g->sink_fd);
    }
    webhook_free(g->h);
    free(g);
}
