/*
 * conns.h - the open connections and the deadline for a request's head.
 *
 * libmicrohttpd's connection timeout is an idle timeout: every byte a client sends resets it, so a
 * client that sends one header byte a second ("slowloris") keeps its connection forever. This
 * table remembers, for each open connection, since when it owes the server a complete request
 * head, and conns_sweep() closes the ones past the deadline.
 *
 * A head is owed from the moment the connection is accepted, and on a kept-alive connection from
 * the first byte that arrives after a reply (the kernel's count of bytes received tells it; a
 * kept-alive connection that sends nothing is left to the idle timeout). While a request is being
 * handled (its head complete) the connection owes nothing.
 *
 * Closing is shutdown(2) of the socket, never close(2): the server's event loop sees the end of
 * the stream and cleans up as for any client that went away, and the descriptor stays the
 * server's until it is removed from this table, so it cannot be reused under the sweeper.
 *
 * Thread safety: every function takes the table's lock; the server's threads and the sweeper
 * thread share one table.
 */
#ifndef KT_HTTP_CONNS_H
#define KT_HTTP_CONNS_H

#include <stddef.h>
#include <stdint.h>

struct conns;
struct conn;

/* A table of up to `cap` connections whose request heads must be complete within
 * `head_timeout_ns` (0 = no deadline). */
struct conns *conns_new(uint32_t cap, int64_t head_timeout_ns);
void conns_free(struct conns *t);

/* Registers an accepted connection's socket at monotonic time `now` (ns). NULL when the table is
 * full, which the server's own limit prevents; such a connection simply has no deadline. */
struct conn *conns_add(struct conns *t, int fd, int64_t now);

/* Forgets a connection; call before its socket is closed. NULL is ignored. */
void conns_remove(struct conns *t, struct conn *c);

/* The request head is complete: the connection owes nothing until the reply is sent. */
void conns_request_begin(struct conns *t, struct conn *c);

/* The reply is sent and the connection stays open for the next request. */
void conns_request_end(struct conns *t, struct conn *c);

/* Shuts down every connection whose head is overdue at `now`. Returns how many. */
size_t conns_sweep(struct conns *t, int64_t now);

/* Connections whose next request has begun to arrive (bytes received since the accept or the
 * last reply) and is not yet being handled: requests the server owes an answer, which a graceful
 * stop waits for as for those in flight. A connection that has sent nothing is not counted. */
uint32_t conns_arriving(struct conns *t);

/* Connections in the table now. */
uint32_t conns_count(struct conns *t);

#endif
