/*
 * metrics.c - request counters and histograms (see metrics.h).
 *
 * Status codes are counted in a dense array per route (100..599), so observing is two atomic adds
 * and no lock; rendering walks the array and prints only what is non-zero.
 */
#include "http/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/mem.h"
#include "http/router.h"

#define N_STATUS 500 /* 100..599 */

static const double lat_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                    0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define N_LAT (sizeof(lat_bounds) / sizeof(lat_bounds[0]))
static const double db_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                   0.01,   0.025,   0.05,   0.1,   0.5,    1.0};
#define N_DB (sizeof(db_bounds) / sizeof(db_bounds[0]))

struct route_stats {
    _Atomic uint64_t status[N_STATUS];
    _Atomic uint64_t lat[N_LAT + 1]; /* per bucket (not cumulative); last is +Inf */
    _Atomic uint64_t lat_sum_ns;
    _Atomic uint64_t count;
};

struct metrics {
    const struct route *routes; /* borrowed; lives as long as the server */
    size_t n_routes;
    struct route_stats *stats; /* n_routes + 1; the last is "unmatched" */
    _Atomic uint64_t db[N_DB + 1];
    _Atomic uint64_t db_sum_ns;
    _Atomic uint64_t db_count;
    _Atomic int64_t in_flight;
    _Atomic int64_t connections;    /* open now */
    _Atomic uint64_t conns_refused; /* at --max-connections or the per-address limit */
    _Atomic uint64_t head_timeouts; /* closed for not sending a request head in time */
};

struct metrics *metrics_new(const struct route *routes, size_t n_routes)
{
    struct metrics *m = kt_calloc(1, sizeof(*m));
    m->routes = routes;
    m->n_routes = n_routes;
    m->stats = kt_calloc(n_routes + 1, sizeof(*m->stats));
    return m;
}

void metrics_free(struct metrics *m)
{
    if (m != NULL) {
        free(m->stats);
        free(m);
    }
}

static size_t bucket(const double *bounds, size_t n, int64_t ns)
{
    double s = (double)ns / 1e9;
    size_t i = 0;
    while (i < n && s > bounds[i]) {
        i++;
    }
    return i;
}

void metrics_observe(struct metrics *m, int route, int status, int64_t dur_ns, int64_t db_ns)
{
    struct route_stats *st = &m->stats[route >= 0 ? (size_t)route : m->n_routes];
    if (status >= 100 && status < 600) {
        atomic_fetch_add_explicit(&st->status[status - 100], 1, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&st->lat[bucket(lat_bounds, N_LAT, dur_ns)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->lat_sum_ns, (uint64_t)dur_ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->db[bucket(db_bounds, N_DB, db_ns)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->db_sum_ns, (uint64_t)db_ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->db_count, 1, memory_order_relaxed);
}

void metrics_in_flight(struct metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->in_flight, delta, memory_order_relaxed);
}

void metrics_connections(struct metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->connections, delta, memory_order_relaxed);
}

void metrics_conns_refused(struct metrics *m)
{
    atomic_fetch_add_explicit(&m->conns_refused, 1, memory_order_relaxed);
}

void metrics_head_timeouts(struct metrics *m, uint64_t n)
{
    atomic_fetch_add_explicit(&m->head_timeouts, n, memory_order_relaxed);
}

static void labels(struct buf *b, struct metrics *m, size_t i)
{
    if (i == m->n_routes) {
        buf_puts(b, "route=\"unmatched\",method=\"\"");
    } else {
        buf_printf(b, "route=\"%s\",method=\"%s\"", m->routes[i].pattern,
                   http_method_name(m->routes[i].method));
    }
}

static void render_requests(struct buf *b, struct metrics *m)
{
    buf_puts(b, "# HELP kartoteka_http_requests_total HTTP requests by route and status.\n"
                "# TYPE kartoteka_http_requests_total counter\n");
    for (size_t i = 0; i <= m->n_routes; i++) {
        for (int s = 0; s < N_STATUS; s++) {
            uint64_t v = atomic_load_explicit(&m->stats[i].status[s], memory_order_relaxed);
            if (v != 0) {
                buf_puts(b, "kartoteka_http_requests_total{");
                labels(b, m, i);
                buf_printf(b, ",status=\"%d\"} %llu\n", s + 100, (unsigned long long)v);
            }
        }
    }
}

static void render_latency(struct buf *b, struct metrics *m)
{
    buf_puts(b, "# HELP kartoteka_http_request_duration_seconds Time from request to reply.\n"
                "# TYPE kartoteka_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->n_routes; i++) {
        struct route_stats *st = &m->stats[i];
        uint64_t count = atomic_load_explicit(&st->count, memory_order_relaxed);
        if (count == 0) {
            continue;
        }
        uint64_t cum = 0;
        for (size_t k = 0; k <= N_LAT; k++) {
            cum += atomic_load_explicit(&st->lat[k], memory_order_relaxed);
            buf_puts(b, "kartoteka_http_request_duration_seconds_bucket{");
            labels(b, m, i);
            if (k < N_LAT) {
                buf_printf(b, ",le=\"%g\"} %llu\n", lat_bounds[k], (unsigned long long)cum);
            } else {
                buf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
            }
        }
        buf_puts(b, "kartoteka_http_request_duration_seconds_sum{");
        labels(b, m, i);
        buf_printf(b, "} %.9f\n", (double)atomic_load(&st->lat_sum_ns) / 1e9);
        buf_puts(b, "kartoteka_http_request_duration_seconds_count{");
        labels(b, m, i);
        buf_printf(b, "} %llu\n", (unsigned long long)cum);
    }
}

static void render_db(struct buf *b, struct metrics *m)
{
    buf_puts(b, "# HELP kartoteka_db_seconds Database time spent per HTTP request.\n"
                "# TYPE kartoteka_db_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t k = 0; k <= N_DB; k++) {
        cum += atomic_load_explicit(&m->db[k], memory_order_relaxed);
        if (k < N_DB) {
            buf_printf(b, "kartoteka_db_seconds_bucket{le=\"%g\"} %llu\n", db_bounds[k],
                       (unsigned long long)cum);
        } else {
            buf_printf(b, "kartoteka_db_seconds_bucket{le=\"+Inf\"} %llu\n",
                       (unsigned long long)cum);
        }
    }
    buf_printf(b, "kartoteka_db_seconds_sum %.9f\nkartoteka_db_seconds_count %llu\n",
               (double)atomic_load(&m->db_sum_ns) / 1e9, (unsigned long long)cum);
    buf_printf(b,
               "# HELP kartoteka_http_requests_in_flight Requests being handled now.\n"
               "# TYPE kartoteka_http_requests_in_flight gauge\n"
               "kartoteka_http_requests_in_flight %lld\n",
               (long long)atomic_load(&m->in_flight));
}

static void render_connections(struct buf *b, struct metrics *m)
{
    buf_printf(b,
               "# HELP kartoteka_http_connections Open connections.\n"
               "# TYPE kartoteka_http_connections gauge\n"
               "kartoteka_http_connections %lld\n"
               "# HELP kartoteka_http_connections_refused_total Connections closed at once because "
               "the server or the client's address was at its limit.\n"
               "# TYPE kartoteka_http_connections_refused_total counter\n"
               "kartoteka_http_connections_refused_total %llu\n"
               "# HELP kartoteka_http_head_timeouts_total Connections closed because a request's "
               "head did not arrive in time.\n"
               "# TYPE kartoteka_http_head_timeouts_total counter\n"
               "kartoteka_http_head_timeouts_total %llu\n",
               (long long)atomic_load(&m->connections),
               (unsigned long long)atomic_load(&m->conns_refused),
               (unsigned long long)atomic_load(&m->head_timeouts));
}

char *metrics_render(struct metrics *m, size_t *len)
{
    struct buf b;
    buf_init(&b, 0);
    render_requests(&b, m);
    render_latency(&b, m);
    render_db(&b, m);
    render_connections(&b, m);
    *len = b.len;
    return buf_take(&b);
}
