/*
 * server.c - the HTTP server on libmicrohttpd: a request's life cycle through the access handler,
 * and the daemon's start and stop. Its other parts are files of their own that share
 * server_int.h, and with this one are the only files that include microhttpd.h: what a handler
 * reads of its request (request.c), the checks before a handler and the dispatch (admit.c), the
 * reply queued as a response (response.c), and the connections and their sweeper (sweeper.c).
 *
 * A request goes through the access handler several times: first with the headers (we match the
 * route, take the request id and check the declared body size), then once per body chunk (we
 * collect it up to the limit, and past the limit drain it so the client can read the 413), and
 * last with no data, when we authenticate, check the body, call the handler and queue the reply.
 * The completion callback logs the request, counts it and frees its state.
 *
 * Connections: libmicrohttpd's thread pool, each worker with its own epoll set, all accepting from
 * one listening socket; it enforces --max-connections (split evenly between the workers) and the
 * per-address limit by closing the surplus at once, and closes connections idle for
 * --idle-timeout. Its timeout is an idle one, which a client sending a byte a second never
 * reaches, so the deadline for a request's head is ours: every connection is registered in a
 * table (conns.c) when it opens and a sweeper thread (sweeper.c) shuts down the ones whose head
 * is overdue.
 *
 * Shutdown: http_server_drain() makes /readyz answer 503 while everything else is still served;
 * http_server_stop() then closes every new connection at once (the accept policy), waits until no
 * request is in flight or arriving on a connection already accepted, and stops the daemon, whose
 * threads finish the replies already queued. Not MHD_quiesce_daemon: with epoll and the daemon's
 * own threads it races a worker removing the same listening socket from its epoll set, and
 * libmicrohttpd aborts the process ("Failed to remove listen FD from epoll set";
 * src/http/server_test.c makes it show).
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/num.h"
#include "http/conns.h"
#include "http/metrics.h"
#include "http/offload.h"
#include "http/router.h"
#include "http/server_int.h"

#define DRAIN_CAP ((size_t)64 << 20) /* beyond this a too-large body is not read at all */
/* libmicrohttpd's memory per connection; the request head must fit, and longer heads get its
 * own 414/431 (docs/api.md) */
#define CONN_MEMORY (32u << 10)
/* open files the rest of the process may need (the database and its readers, uploads, the SMS
 * sender), besides two per worker thread (its epoll set and wake-up) */
#define FD_RESERVE 256u

/* ---- the request life cycle ---------------------------------------------------------------- */

static bool rid_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.')) {
            return false;
        }
    }
    return true;
}

/* The client's address as text, without the "::ffff:" of an IPv4 client on an IPv6 socket;
 * "" when libmicrohttpd does not say. */
static void client_ip(struct MHD_Connection *c, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (ci == NULL || ci->client_addr == NULL) {
        return;
    }
    const struct sockaddr *sa = ci->client_addr;
    socklen_t len =
        sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (getnameinfo(sa, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0) {
        out[0] = '\0';
    } else if (strncmp(out, "::ffff:", 7) == 0 && strchr(out + 7, '.') != NULL) {
        memmove(out, out + 7, strlen(out + 7) + 1);
    }
}

/* The last X-Forwarded-For header's value: a proxy that adds a header of its own rather than
 * append to the client's puts it last. */
static enum MHD_Result last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    if (strcasecmp(key, "X-Forwarded-For") == 0 && value != NULL) {
        *(const char **)cls = value;
    }
    return MHD_YES;
}

/* The client's address: the peer's, or the one a trusted proxy forwarded (base/cidr.h). */
static void client_of(struct http_server *srv, struct MHD_Connection *c, char *out)
{
    char peer[CIDR_IP_MAX];
    const char *xff = NULL;
    client_ip(c, peer, sizeof(peer));
    if (srv->app->trusted.n > 0) {
        MHD_get_connection_values(c, MHD_HEADER_KIND, last_xff, &xff);
    }
    cidr_client(&srv->app->trusted, peer, xff, out);
}

static struct reqctx *reqctx_new(struct http_server *srv, struct MHD_Connection *c, const char *url,
                                 const char *method)
{
    struct reqctx *x = kt_calloc(1, sizeof(*x));
    x->srv = srv;
    x->t0 = clock_mono_ns();
    arena_init(&x->arena, 8192);
    x->r.arena = &x->arena;
    x->r.app = srv->app;
    x->r.impl = c;
    x->r.body = "";
    kt_err_reset(&x->r.err);
    const char *in_rid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
    if (in_rid != NULL && rid_ok(in_rid)) {
        kt_strlcpy(x->rid, in_rid, sizeof(x->rid));
    } else {
        unsigned char raw[8];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(x->rid, sizeof(x->rid), raw, sizeof(raw));
    }
    x->r.rid = x->rid;
    client_of(srv, c, x->ip);
    x->r.ip = x->ip;
    x->r.method = http_method_parse(method);
    router_match(srv->app->routes, srv->app->n_routes, x->r.method, url, &x->arena, &x->m);
    if (x->r.method == HTTP_OPTIONS) { /* a browser's preflight of a beacon route */
        struct route_match post;
        router_match(srv->app->routes, srv->app->n_routes, HTTP_POST, url, &x->arena, &post);
        if (post.route != NULL && (post.route->flags & ROUTE_BEACON)) {
            x->m = post;
            x->preflight = true;
        }
    }
    x->r.route = x->m.route;
    buf_init(&x->body, http_body_limit(x) + 1);
    x->r.n_params = x->m.n_params;
    memcpy(x->r.params, x->m.params, sizeof(x->r.params));
    return x;
}

/* A refusal with Retry-After whose message the client sees: `rc` KT_EBUSY (503: the server or
 * a queue of its is busy) or KT_ELIMIT (429: backpressure a client retries). */
static void refuse(struct http_req *r, enum kt_rc rc, const char *code, int retry_after,
                   const char *msg)
{
    struct kt_err e;
    kt_err_reset(&e);
    kt_err_set(&e, rc, code, NULL, "%s", msg);
    e.retry_after = retry_after;
    http_reply_error(r, &e);
}

/* ---- the analytic and ingest threads (offload.h) ----------------------------------------- */

/* On an analytic or ingest thread: the request as a worker would run it, then its connection
 * resumed; its worker calls on_request() again and sends the reply. */
static void offload_run(void *job)
{
    struct reqctx *x = job;
    store_db_time_take();
    http_dispatch(x);
    http_req_reader_end(&x->r);
    x->db_ns += store_db_time_take();
    MHD_resume_connection(x->r.impl);
}

/* A request that was waiting when the server stopped. */
static void offload_cancel(void *job)
{
    struct reqctx *x = job;
    refuse(&x->r, KT_EBUSY, "shutting_down", 1, "the server is stopping; send it to another one");
    MHD_resume_connection(x->r.impl);
}

/* Hands a ROUTE_LONG request to the analytic threads, a ROUTE_BULK one to the ingest threads (or
 * refuses it when their queue is full): either way the connection is suspended now and resumed
 * with the reply made. A full ingest queue is backpressure the tracking SDKs know: 429 with
 * Retry-After, as when the events' writer is behind (events_ingest_grouped). */
static enum MHD_Result offload(struct reqctx *x, struct MHD_Connection *c)
{
    bool bulk = (x->r.route->flags & ROUTE_BULK) != 0;
    x->offloaded = true;
    MHD_suspend_connection(c);
    if (!offload_submit(bulk ? x->srv->ingest : x->srv->offload, x)) {
        if (bulk) {
            refuse(&x->r, KT_ELIMIT, "events_busy", 1,
                   "too many event batches are waiting to be written; retry in a second");
        } else {
            refuse(&x->r, KT_EBUSY, "analytics_busy", 5,
                   "too many reports and segment queries are waiting; retry in a few seconds");
        }
        MHD_resume_connection(c);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **state)
{
    struct http_server *srv = cls;
    struct reqctx *x = *state;
    if (x == NULL) {
        x = reqctx_new(srv, c, url, method);
        *state = x;
        /* in flight before it stops arriving: a stop never sees it as neither (conns.h) */
        atomic_fetch_add(&srv->in_flight, 1);
        metrics_in_flight(srv->app->metrics, 1);
        struct conn_ctx *cc = http_conn_ctx_of(c);
        if (cc != NULL) {
            x->target_len = cc->target_len;
            conns_request_begin(srv->conns, cc->entry);
        }
        store_db_time_take();
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        int64_t declared = 0;
        if (cl != NULL && num_parse_cstr(cl, 0, INT64_MAX, &declared) &&
            (uint64_t)declared > http_body_limit(x)) {
            x->too_big = true;
            const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
            if ((uint64_t)declared > DRAIN_CAP || expect != NULL) {
                /* Answer before the body: the client has not sent it, or it is not worth
                 * reading. The connection is closed afterwards. */
                http_dispatch(x);
                x->db_ns += store_db_time_take();
                http_req_reader_end(&x->r);
                return http_queue(x, c);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!x->too_big && !buf_append(&x->body, upload_data, *upload_data_size)) {
            x->too_big = true;
            buf_release(&x->body);
            buf_init(&x->body, 1);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (x->offloaded) {
        return http_queue(x, c); /* resumed: the analytic thread made the reply */
    }
    if (x->r.status != 0) {
        return MHD_YES; /* replied already, before the body */
    }
    if (x->r.route != NULL && (x->r.route->flags & (ROUTE_LONG | ROUTE_BULK)) && !x->preflight) {
        http_req_reader_end(&x->r);
        return offload(x, c);
    }
    http_dispatch(x);
    http_req_reader_end(&x->r);
    x->db_ns += store_db_time_take();
    return http_queue(x, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct reqctx *x = *state;
    if (x == NULL) {
        return;
    }
    struct conn_ctx *cc = http_conn_ctx_of(c);
    if (cc != NULL) {
        conns_request_end(srv->conns, cc->entry);
    }
    http_req_reader_end(&x->r);
    int64_t dur = clock_mono_ns() - x->t0;
    int status = x->r.status ? x->r.status : 499; /* 499: the client went away first */
    metrics_observe(srv->app->metrics, x->m.index, status, dur, x->db_ns);
    metrics_in_flight(srv->app->metrics, -1);
    char route[96];
    char detail[300];
    const char *pattern = x->r.route ? x->r.route->pattern : "unmatched";
    log_quote(route, sizeof(route), pattern);
    log_quote(detail, sizeof(detail), x->r.err.detail);
    enum log_level lvl = status >= 500 ? LOG_ERROR : LOG_INFO;
    log_event(lvl, "request",
              "rid=%s method=%s route=%s status=%d ms=%.3f db_ms=%.3f key=%s code=%s%s%s", x->rid,
              http_method_name(x->r.method), route, status, (double)dur / 1e6,
              (double)x->db_ns / 1e6, x->r.key ? x->r.key->id : "-",
              x->r.err.code[0] ? x->r.err.code : "-", x->r.err.detail[0] ? " detail=" : "",
              x->r.err.detail[0] ? detail : "");
    json_decref(x->r.json);
    json_decref(x->r.parsed);
    json_decref(x->r.err_more);
    free(x->r.text);
    buf_release(&x->body);
    arena_release(&x->arena);
    free(x);
    *state = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* ---- start and stop ------------------------------------------------------------------------ */

static enum kt_rc parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6,
                               struct kt_err *err)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen || (size_t)(colon - listen) >= sizeof(host)) {
        return kt_err_set(err, KT_EINVAL, "bad_listen", "listen",
                          "listen address '%s' must be host:port", listen);
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {
        h[strlen(h) - 1] = '\0';
        h++;
    }
    int64_t port;
    if (!num_parse_cstr(colon + 1, 0, 65535, &port)) {
        return kt_err_set(err, KT_EINVAL, "bad_listen", "listen", "bad port in '%s'", listen);
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    if (getaddrinfo(h, colon + 1, &hints, &res) != 0 || res == NULL) {
        return kt_err_set(err, KT_EINVAL, "bad_listen", "listen", "cannot resolve '%s'", listen);
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return KT_OK;
}

/* Raises the soft limit on open files to what --max-connections needs, as far as the hard limit
 * allows. A number the operator asked for that does not fit refuses to start; the default is
 * lowered to fit, with a warning. */
static enum kt_rc fit_open_files(unsigned *max_conns, unsigned threads, bool asked,
                                 struct kt_err *err)
{
    struct rlimit rl;
    rlim_t reserve = FD_RESERVE + 2 * (rlim_t)threads;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return KT_OK;
    }
    rlim_t want = (rlim_t)*max_conns + reserve;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        struct rlimit up = {want, rl.rlim_max};
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
            up.rlim_cur = rl.rlim_max;
        }
        if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
            rl.rlim_cur = up.rlim_cur;
        }
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want) {
        return KT_OK;
    }
    if (asked) {
        return kt_err_set(err, KT_EINVAL, "max_connections", "max-connections",
                          "%u connections need %llu open files, the limit is %llu (raise it: "
                          "ulimit -n, or LimitNOFILE= in the systemd unit)",
                          *max_conns, (unsigned long long)want, (unsigned long long)rl.rlim_cur);
    }
    unsigned fit = rl.rlim_cur > reserve + 64 ? (unsigned)(rl.rlim_cur - reserve) : 64;
    log_warn("max_connections_lowered", "from=%u to=%u open_files=%llu", *max_conns, fit,
             (unsigned long long)rl.rlim_cur);
    *max_conns = fit;
    return KT_OK;
}

/* The accept policy: every connection until the stop begins, none after. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    (void)addr;
    (void)len;
    const struct http_server *s = cls;
    return atomic_load(&s->closing) ? MHD_NO : MHD_YES;
}

static struct MHD_Daemon *daemon_start(struct http_server *s, const struct http_server_opts *o,
                                       unsigned threads, unsigned max_conns,
                                       struct sockaddr_storage *ss, bool v6)
{
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0);
    unsigned idle_s = (o->idle_timeout_ms + 999) / 1000;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls.key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls.cert_pem},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)HTTP_TLS_PRIORITIES},
        {MHD_OPTION_END, 0, NULL},
    };
    if (s->tls.cert_pem != NULL) {
        flags |= MHD_USE_TLS;
    } else {
        tls[0].option = MHD_OPTION_END;
    }
    return MHD_start_daemon(
        flags, 0, on_accept, s, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        o->max_conns_per_addr, MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_NOTIFY_CONNECTION,
        http_on_connection, s, MHD_OPTION_URI_LOG_CALLBACK, http_on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
}

/* HTTPS with the operator's certificate, or plain HTTP where nobody else can listen in: on
 * loopback, or beyond it when the operator says a proxy terminates TLS (--insecure-http). */
static enum kt_rc transport(const struct http_server_opts *o, const struct sockaddr *sa,
                            struct http_tls *tls, struct kt_err *err)
{
    memset(tls, 0, sizeof(*tls));
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        return kt_err_set(err, KT_EINVAL, "tls_incomplete", o->tls_cert ? "tls-key" : "tls-cert",
                          "HTTPS needs both --tls-cert and --tls-key");
    }
    if (o->tls_cert != NULL) {
        return http_tls_load(o->tls_cert, o->tls_key, clock_now_ms(), tls, err);
    }
    if (!http_addr_is_loopback(sa) && !o->insecure_http) {
        return kt_err_set(err, KT_EINVAL, "tls_required", "listen",
                          "'%s' is reachable beyond this machine: give --tls-cert and --tls-key, "
                          "or --insecure-http when a proxy in front terminates TLS",
                          o->listen);
    }
    if (!http_addr_is_loopback(sa)) {
        log_warn("listening", "msg=\"plain HTTP beyond loopback (--insecure-http): TLS must be "
                              "terminated in front of this server\"");
    }
    return KT_OK;
}

/* One worker per CPU measured best for cash-desk lookups on SQLite (BENCHMARKS.md): more threads
 * than cores only add scheduling delay to the tail; at least two, so one waiting for the writer
 * does not stop everything. A remote store's requests mostly wait for its replies and its
 * commits' flushes: with one worker a CPU, one server's receipts went at the pace of two
 * commits at a time, so HTTP_THREADS_REMOTE a CPU there, at least 8. */
static unsigned default_threads(bool remote, long ncpu)
{
    unsigned n = (unsigned)(ncpu > 1 ? ncpu : 1);
    if (remote) {
        return HTTP_THREADS_REMOTE * n > 8 ? HTTP_THREADS_REMOTE * n : 8;
    }
    return n > 2 ? n : 2;
}

enum kt_rc http_server_start(const struct http_server_opts *o, struct kt_app *app,
                             struct http_server **out, struct kt_err *err)
{
    struct sockaddr_storage ss;
    bool v6 = false;
    enum kt_rc rc = parse_listen(o->listen, &ss, &v6, err);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = o->threads ? o->threads : default_threads(o->remote_store, ncpu);
    unsigned max_conns = o->max_conns ? o->max_conns : HTTP_MAX_CONNS_DEFAULT;
    if (rc == KT_OK) {
        rc = fit_open_files(&max_conns, threads, o->max_conns != 0, err);
    }
    if (rc == KT_OK && max_conns < 4 * threads) { /* each worker takes its share of the slots */
        rc = kt_err_set(err, KT_EINVAL, "max_connections", "max-connections",
                        "%u connections for %u threads: give each thread at least 4", max_conns,
                        threads);
    }
    struct http_tls tls;
    if (rc == KT_OK) {
        rc = transport(o, (struct sockaddr *)&ss, &tls, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    struct http_server *s = kt_calloc(1, sizeof(*s));
    s->app = app;
    s->tls = tls;
    app->cookie_plain = o->tls_cert == NULL && http_addr_is_loopback((struct sockaddr *)&ss);
    s->conns = conns_new(max_conns, (int64_t)o->head_timeout_ms * 1000000);
    app->metrics = metrics_new(app->routes, app->n_routes);
    unsigned analytic =
        o->analytics_threads ? o->analytics_threads : (unsigned)(ncpu > 2 ? ncpu / 2 : 1);
    s->offload =
        offload_new("kt-analytics", analytic, HTTP_ANALYTICS_QUEUE, offload_run, offload_cancel);
    unsigned ingest = HTTP_INGEST_PER_CPU * (unsigned)(ncpu > 1 ? ncpu : 1);
    ingest = ingest > HTTP_INGEST_MIN ? ingest : HTTP_INGEST_MIN;
    s->ingest = offload_new("kt-ingest", ingest, HTTP_INGEST_QUEUE, offload_run, offload_cancel);
    s->d = daemon_start(s, o, threads, max_conns, &ss, v6);
    if (s->d == NULL) {
        offload_free(s->ingest);
        offload_free(s->offload);
        metrics_free(app->metrics);
        app->metrics = NULL;
        conns_free(s->conns);
        http_tls_free(&s->tls);
        free(s);
        return kt_err_set(err, KT_EINTERNAL, "listen_failed", "listen",
                          "cannot listen on '%s' (in use, or not allowed)", o->listen);
    }
    http_sweeper_start(s, o->head_timeout_ms);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    log_info("listening",
             "port=%u threads=%u analytics_threads=%u ingest_threads=%u max_connections=%u "
             "per_address=%u "
             "head_timeout_ms=%u idle_timeout_s=%u tls=%s",
             (unsigned)s->port, threads, analytic, ingest, max_conns, o->max_conns_per_addr,
             o->head_timeout_ms, (o->idle_timeout_ms + 999) / 1000, s->tls.cert_pem ? "on" : "off");
    *out = s;
    return KT_OK;
}

uint16_t http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_drain(struct http_server *s)
{
    s->app->draining = true;
}

int http_server_stop(struct http_server *s, int grace_ms)
{
    s->app->draining = true;
    atomic_store(&s->closing, true);
    int waited = 0;
    /* A request whose head has begun to arrive on a connection accepted before the stop is owed
     * its answer as much as one in a handler: on a busy worker it may not have begun yet. */
    while ((atomic_load(&s->in_flight) > 0 || conns_arriving(s->conns) > 0) && waited < grace_ms) {
        usleep(10 * 1000);
        waited += 10;
    }
    /* Analytics still waiting are answered 503 and resumed, those running finish: libmicrohttpd
     * must have no suspended connection when it stops. */
    offload_free(s->ingest);
    offload_free(s->offload);
    int left = atomic_load(&s->in_flight) + (int)conns_arriving(s->conns);
    http_sweeper_stop(s);
    MHD_stop_daemon(s->d);
    metrics_free(s->app->metrics);
    s->app->metrics = NULL;
    conns_free(s->conns);
    http_tls_free(&s->tls);
    free(s);
    return left;
}
