/*
 * server.h - the HTTP server: libmicrohttpd with an internal thread pool (epoll).
 */
#ifndef KT_HTTP_SERVER_H
#define KT_HTTP_SERVER_H

#include <stdint.h>

#include "base/err.h"
#include "http/http.h"

struct http_server;

#define HTTP_MAX_CONNS_DEFAULT 4096u
#define HTTP_MAX_TARGET        8192u /* bytes of a request target (path and query) */

struct http_server_opts {
    const char *listen;          /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0" (0 = free port) */
    unsigned threads;            /* worker threads; 0 = one per CPU, at least 2 (remote_store:
                                    HTTP_THREADS_REMOTE per CPU, at least 8) */
    unsigned max_conns;          /* open connections; 0 = HTTP_MAX_CONNS_DEFAULT, lowered (with a
                                    warning) to what the open-file limit allows; a number asked
                                    for that the limit cannot hold refuses to start */
    unsigned max_conns_per_addr; /* open connections per client address; 0 = no limit */
    unsigned head_timeout_ms;    /* a request's head must arrive within this; 0 = no deadline */
    unsigned idle_timeout_ms;    /* a connection silent this long is closed (whole seconds,
                                    rounded up); 0 = never */
    unsigned analytics_threads;  /* threads for ROUTE_LONG requests; 0 = half the CPUs, at
                                    least 1 */
    const char *tls_cert;        /* PEM certificate chain: serve HTTPS (with tls_key); NULL: HTTP */
    const char *tls_key;         /* PEM private key of tls_cert */
    bool insecure_http;          /* plain HTTP beyond loopback allowed: a proxy terminates TLS */
    bool remote_store;           /* the store is a server across a socket (PostgreSQL) */
};

/* Worker threads per CPU by default when the store is remote: a request there spends most of
 * its time waiting for the database's replies and its commit's flush, not on a core (BENCHMARKS.md,
 * "PostgreSQL beside SQLite", the second sitting). */
#define HTTP_THREADS_REMOTE 4u

#define HTTP_ANALYTICS_QUEUE 64u /* ROUTE_LONG requests waiting; past it 503 analytics_busy */

/* The ingest threads (ROUTE_BULK): they decode event batches side by side and then mostly wait
 * for the events' writer, which writes the batches of those waiting in one transaction (up to
 * 5,000 events, events/group.c); so many a CPU, and the writer always finds the next groups
 * decoded (32 connections sending to a fresh database: 47,000 events/s with 8 threads, 59,000
 * with 32, before groups were capped; BENCHMARKS.md, "100,000 events a second"). */
#define HTTP_INGEST_PER_CPU 8u
#define HTTP_INGEST_MIN     32u
#define HTTP_INGEST_QUEUE   256u /* ROUTE_BULK requests waiting; past it 429 events_busy */

/* Starts serving `app->routes`. The server owns app->metrics from here until stop. */
enum kt_rc http_server_start(const struct http_server_opts *o, struct kt_app *app,
                             struct http_server **out, struct kt_err *err);

/* The port the server listens on (useful with port 0). */
uint16_t http_server_port(const struct http_server *s);

/* Starts the drain before a stop: /readyz answers 503 and replies close their connections, while
 * requests are still accepted and served. */
void http_server_drain(struct http_server *s);

/* Graceful stop: refuse new connections, let requests in flight finish, and those whose head has
 * begun to arrive on a connection already accepted (up to `grace_ms`), then close everything.
 * Returns the number of requests that were still running or arriving when time ran out. */
int http_server_stop(struct http_server *s, int grace_ms);

#endif
