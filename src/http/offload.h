/*
 * offload.h - pools of request threads: a few threads and a bounded queue for the requests that
 * must not run on a libmicrohttpd worker - those that may take seconds (routes marked ROUTE_LONG,
 * the analytic threads) and those that wait for the events' writer (ROUTE_BULK, the ingest
 * threads).
 *
 * A worker owns many keep-alive connections, the tills' among them; while it ran a 2-second
 * segment preview, every other connection it owned waited those 2 seconds. So the worker
 * suspends the connection, hands the request here and goes on serving; a thread here runs the
 * handler and resumes the connection, whose worker then sends the reply (server.c).
 *
 * Generic: it knows nothing of HTTP. `run` and `cancel` are given once; each job is the caller's.
 */
#ifndef KT_HTTP_OFFLOAD_H
#define KT_HTTP_OFFLOAD_H

#include <stdbool.h>

struct offload;

typedef void (*offload_fn)(void *job);

/* Starts `threads` threads (at least 1), named `name` (15 bytes at most), taking jobs in order from
 * a queue of at most `max_queue` waiting jobs. `run` does a job; `cancel` answers one that will not
 * run (the server stopping). Aborts when a thread cannot be started (start-up only). */
struct offload *offload_new(const char *name, unsigned threads, unsigned max_queue, offload_fn run,
                            offload_fn cancel);

/* Queues `job`; false when max_queue jobs are waiting already (the job is not taken). */
bool offload_submit(struct offload *o, void *job);

/* Jobs waiting (for /metrics and tests). */
unsigned offload_waiting(struct offload *o);

/* Stops taking jobs: those still waiting get `cancel`, those running finish; joins the threads
 * and frees. NULL is a no-op. */
void offload_free(struct offload *o);

#endif
