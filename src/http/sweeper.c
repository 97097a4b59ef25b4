/*
 * sweeper.c - the connections' side of the server. libmicrohttpd tells us when a connection opens
 * and closes (its entry in the table of head deadlines, conns.c, and the gauge), when a request
 * line is in (its target's length, for the 414), and what goes wrong (its log, where a refusal at
 * the connection limit is counted rather than written). The sweeper thread shuts down the
 * connections whose request head is overdue - libmicrohttpd's own timeout is an idle one, which a
 * client sending a byte a second never reaches - and logs the refusals at most every 10 s.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "http/conns.h"
#include "http/metrics.h"
#include "http/server_int.h"

#define REFUSED_LOG_NS ((int64_t)10 * 1000000000) /* at most one refusal line per 10 s */

struct conn_ctx *http_conn_ctx_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

/* A connection opens or closes: its entry in the table of deadlines, the gauge. */
void http_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    struct http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_ctx *cc = kt_calloc(1, sizeof(*cc));
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci != NULL) {
            cc->entry = conns_add(srv->conns, ci->connect_fd, clock_mono_ns());
        }
        *socket_context = cc;
        metrics_connections(srv->app->metrics, 1);
        return;
    }
    struct conn_ctx *cc = *socket_context;
    if (cc != NULL) { /* libmicrohttpd closes the socket only after this returns */
        conns_remove(srv->conns, cc->entry);
        free(cc);
        *socket_context = NULL;
    }
    metrics_connections(srv->app->metrics, -1);
}

/* The request line is in: its target's length, as sent, for the 414 check. Returning NULL keeps
 * the access handler's first call the one that makes the request's state. */
void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    struct conn_ctx *cc = http_conn_ctx_of(c);
    if (cc != NULL) {
        cc->target_len = strlen(uri);
    }
    return NULL;
}

/* libmicrohttpd's messages about one client's connection: what the client did (went away, sent a
 * malformed or oversized head) rather than what is wrong with the server. At warn level a flood of
 * bad clients would write one line each, so they are debug. */
static const char *const client_messages[] = {
    "Connection socket is closed",
    "Connection was closed by remote side",
    "Socket has been disconnected",
    "Error processing request",
    "Too late to send an error",
    "Failed to send",
    "Failed to parse `Content-Length'",
    "Too large value of 'Content-Length'",
    "Received HTTP/1.1 request without `Host'",
    "Not enough memory in pool",
    "WARNING: incomplete upload processing",
    NULL,
};

void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *srv = cls;
    if (strncmp(fmt, "Server reached connection limit", 31) == 0) {
        /* One line per refused connection would let a flood write the log: count them, and the
         * sweeper logs the sum. */
        atomic_fetch_add(&srv->refused, 1);
        metrics_conns_refused(srv->app->metrics);
        return;
    }
    enum log_level level = LOG_WARN;
    for (const char *const *m = client_messages; *m != NULL; m++) {
        if (strncmp(fmt, *m, strlen(*m)) == 0) {
            level = LOG_DEBUG;
        }
    }
    if (!log_enabled(level)) {
        return;
    }
    char msg[256];
    char q[300];
    kt_vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    log_event(level, "http_server", "msg=%s", log_quote(q, sizeof(q), msg));
}

/* Shuts down connections whose request head is overdue, and logs the connections refused at a
 * limit, until the server stops. */
static void *sweeper_main(void *arg)
{
    struct http_server *s = arg;
    int64_t refused_logged = clock_mono_ns() - REFUSED_LOG_NS; /* the first burst logs at once */
    pthread_mutex_lock(&s->stop_lock);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        int64_t ns = until.tv_nsec + s->sweep_ns;
        until.tv_sec += (time_t)(ns / 1000000000);
        until.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &until);
        if (s->stopping) {
            break;
        }
        pthread_mutex_unlock(&s->stop_lock);
        int64_t now = clock_mono_ns();
        size_t shut = conns_sweep(s->conns, now);
        if (shut > 0) {
            metrics_head_timeouts(s->app->metrics, shut);
            log_info("head_timeout", "closed=%zu", shut);
        }
        if (now - refused_logged >= REFUSED_LOG_NS && atomic_load(&s->refused) > 0) {
            log_warn("connections_refused", "count=%llu open=%u",
                     (unsigned long long)atomic_exchange(&s->refused, 0), conns_count(s->conns));
            refused_logged = now;
        }
        pthread_mutex_lock(&s->stop_lock);
    }
    pthread_mutex_unlock(&s->stop_lock);
    return NULL;
}

void http_sweeper_start(struct http_server *s, unsigned head_timeout_ms)
{
    /* A tenth of the deadline, between 50 ms and 1 s: a slow head lives at most 10% past it. */
    int64_t tick = head_timeout_ms ? (int64_t)head_timeout_ms * 100000 : 1000000000;
    s->sweep_ns = tick < 50000000 ? 50000000 : tick > 1000000000 ? 1000000000 : tick;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->stop_cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->stop_lock, NULL);
    if (pthread_create(&s->sweeper, NULL, sweeper_main, s) != 0) {
        abort(); /* out of threads at start-up: nothing sensible to go on with */
    }
}

void http_sweeper_stop(struct http_server *s)
{
    pthread_mutex_lock(&s->stop_lock);
    s->stopping = true;
    pthread_cond_signal(&s->stop_cond);
    pthread_mutex_unlock(&s->stop_lock);
    pthread_join(s->sweeper, NULL);
    pthread_cond_destroy(&s->stop_cond);
    pthread_mutex_destroy(&s->stop_lock);
}
