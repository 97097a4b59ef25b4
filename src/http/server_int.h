/*
 * server_int.h - what the files of the HTTP server share (server.h is its interface): the
 * server, what it keeps per connection and a request's state from its first call to its
 * completion. Only the server's own files include it.
 */
#ifndef KT_HTTP_SERVER_INT_H
#define KT_HTTP_SERVER_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "http/tls.h"
#include "http/http.h"
#include "http/router.h"

struct http_server {
    struct MHD_Daemon *d;
    struct kt_app *app;
    _Atomic int in_flight; /* requests between first call and completion */
    uint16_t port;
    struct conns *conns;       /* open connections and their head deadlines */
    int64_t sweep_ns;          /* how often the sweeper looks */
    pthread_t sweeper;         /* runs sweeper_main() from start to stop */
    pthread_mutex_t stop_lock; /* guards stopping */
    pthread_cond_t stop_cond;  /* signalled when stopping is set */
    bool stopping;
    _Atomic uint64_t refused; /* connections refused at a limit since the last log line */
    atomic_bool closing;      /* http_server_stop began: new connections are closed at once */
    struct offload *offload;  /* the analytic threads (ROUTE_LONG) */
    struct offload *ingest;   /* the ingest threads (ROUTE_BULK) */
    struct http_tls tls;      /* the certificate and key when serving HTTPS; zero for HTTP */
};

/* What the server keeps per connection (libmicrohttpd's socket context). Used only by the
 * connection's own worker thread; the deadline entry is shared with the sweeper through conns. */
struct conn_ctx {
    struct conn *entry; /* in http_server.conns, or NULL */
    size_t target_len;  /* bytes of the current request's target (path and query), as sent */
};

struct reqctx {
    struct http_server *srv;
    struct http_req r;
    struct arena arena;
    struct route_match m;
    struct buf body;
    bool too_big;      /* the body passed max_body; the rest is drained */
    bool preflight;    /* OPTIONS of a beacon route: answered with its CORS headers */
    bool offloaded;    /* handed to the analytic or ingest threads; when resumed, the reply is
                          made */
    int64_t t0;        /* monotonic ns at the first call */
    size_t target_len; /* bytes of the request target, as sent */
    int64_t db_ns;     /* database time of this request */
    char rid[72];
    char ip[46]; /* the client's address, numeric (INET6_ADDRSTRLEN): the audit log's */
};

/* request.c: a query parameter's name as an error quotes it - cut to `size`, control characters
 * and quotes made '?'. */
void http_param_name(char *out, size_t size, const char *name);

/* admit.c: the largest body the matched route takes. */
size_t http_body_limit(const struct reqctx *x);
/* admit.c: the request's reply - the error of a check, a preflight's 204, or what its handler
 * makes. */
void http_dispatch(struct reqctx *x);

/* inflate.c: a gzip body `in` inflated into `out` (initialised here; released unless
 * INFLATE_OK), stopping once it would pass `max` bytes. */
enum inflate_result { INFLATE_OK, INFLATE_BAD, INFLATE_TOO_BIG };
enum inflate_result http_inflate(const char *in, size_t n, size_t max, struct buf *out);

/* sweeper.c: the connection's context, or NULL (libmicrohttpd's socket context). */
struct conn_ctx *http_conn_ctx_of(struct MHD_Connection *c);
/* sweeper.c: libmicrohttpd's callbacks for a connection opened or closed, a request line read
 * (returns NULL), and its log. */
void http_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *c);
void http_mhd_log(void *cls, const char *fmt, va_list ap);
/* sweeper.c: the sweeper thread, looking a tenth of the head deadline apart; stopped before the
 * daemon. */
void http_sweeper_start(struct http_server *s, unsigned head_timeout_ms);
void http_sweeper_stop(struct http_server *s);

/* response.c: queues the request's reply on `c` (MHD_NO when libmicrohttpd could not take it). */
enum MHD_Result http_queue(struct reqctx *x, struct MHD_Connection *c);

#endif
