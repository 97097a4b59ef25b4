/*
 * metrics.h - counters for /metrics in the Prometheus text format: requests by route and status,
 * a latency histogram per route, database time per request, requests in flight. Updated with
 * relaxed atomics from every worker thread; rendering reads a slightly moving picture, which is
 * what Prometheus expects.
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

/* The exposition text, malloc'd. */
char *metrics_render(struct metrics *m, size_t *len);

#endif
