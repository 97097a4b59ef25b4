/*
 * metrics.h - counters for /metrics in the Prometheus text format: requests by route and status,
 * a latency histogram per route, database time per request, requests in flight, connections.
 * Updated with relaxed atomics from every worker thread; rendering reads a slightly moving
 * picture, which is what Prometheus expects.
 */
#ifndef KT_HTTP_METRICS_H
#define KT_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

struct metrics *metrics_new(const struct route *routes, size_t n_routes);
void metrics_free(struct metrics *m);

/* `route` is the index in the table, -1 for a request that matched none. */
void metrics_observe(struct metrics *m, int route, int status, int64_t dur_ns, int64_t db_ns);
void metrics_in_flight(struct metrics *m, int delta);

/* Connections: open ones (+1/-1), ones refused at a limit, ones closed at the head deadline. */
void metrics_connections(struct metrics *m, int delta);
void metrics_conns_refused(struct metrics *m);
void metrics_head_timeouts(struct metrics *m, uint64_t n);

/* The exposition text, malloc'd. */
char *metrics_render(struct metrics *m, size_t *len);

#endif
