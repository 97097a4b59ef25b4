/*
 * conns.c - the open connections and the deadline for a request's head (see conns.h).
 *
 * The table is an array of slots with a stack of free ones, so adding and removing are O(1) and
 * the sweeper can walk it in batches, dropping the lock between batches: a sweep of thousands of
 * connections never holds up a request for more than one batch.
 *
 * Linux only in one place: the bytes a socket has received (TCP_INFO, tcpi_bytes_received, Linux
 * 4.1) tell a kept-alive connection that is starting its next request from one that is idle.
 * Where that is unknown the kept-alive connection gets no head deadline (the idle timeout still
 * applies).
 */
#include "http/conns.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "base/mem.h"

#define SWEEP_BATCH 64 /* slots looked at per lock hold */

struct conn {
    int fd;             /* the connection's socket, the server's until conns_remove() */
    uint32_t slot;      /* index in conns.slots */
    int64_t head_since; /* ns: since when a complete head is owed; 0 = none owed */
    uint64_t rx_mark;   /* bytes received when the last reply was sent */
    bool rx_known;      /* rx_mark is valid */
    bool in_request;    /* the head is complete and the request is being handled */
    bool shut;          /* the sweeper shut it down; the server has yet to notice */
};

struct conns {
    pthread_mutex_t lock; /* guards everything below and every struct conn in slots */
    struct conn **slots;  /* cap entries, NULL = free */
    uint32_t *free_stack; /* indexes of free slots */
    uint32_t n_free;
    uint32_t cap;
    int64_t head_timeout; /* ns, 0 = no deadline */
};

struct conns *conns_new(uint32_t cap, int64_t head_timeout_ns)
{
    struct conns *t = kt_calloc(1, sizeof(*t));
    pthread_mutex_init(&t->lock, NULL);
    t->cap = cap;
    t->head_timeout = head_timeout_ns;
    t->slots = kt_calloc(cap ? cap : 1, sizeof(*t->slots));
    t->free_stack = kt_calloc(cap ? cap : 1, sizeof(*t->free_stack));
    for (uint32_t i = 0; i < cap; i++) {
        t->free_stack[i] = cap - 1 - i; /* slot 0 on top: a sweep finds them near the start */
    }
    t->n_free = cap;
    return t;
}

void conns_free(struct conns *t)
{
    if (t == NULL) {
        return;
    }
    for (uint32_t i = 0; i < t->cap; i++) {
        free(t->slots[i]);
    }
    free(t->slots);
    free(t->free_stack);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* The bytes the socket has received so far, from the kernel. */
static bool rx_bytes(int fd, uint64_t *out)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received)) {
        return false;
    }
    *out = ti.tcpi_bytes_received;
    return true;
}

struct conn *conns_add(struct conns *t, int fd, int64_t now)
{
    struct conn *c = kt_calloc(1, sizeof(*c));
    c->fd = fd;
    c->head_since = now;
    pthread_mutex_lock(&t->lock);
    if (t->n_free == 0) {
        pthread_mutex_unlock(&t->lock);
        free(c);
        return NULL;
    }
    c->slot = t->free_stack[--t->n_free];
    t->slots[c->slot] = c;
    pthread_mutex_unlock(&t->lock);
    return c;
}

void conns_remove(struct conns *t, struct conn *c)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    t->slots[c->slot] = NULL;
    t->free_stack[t->n_free++] = c->slot;
    pthread_mutex_unlock(&t->lock);
    free(c);
}

void conns_request_begin(struct conns *t, struct conn *c)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    c->in_request = true;
    c->head_since = 0;
    pthread_mutex_unlock(&t->lock);
}

void conns_request_end(struct conns *t, struct conn *c)
{
    if (c == NULL) {
        return;
    }
    uint64_t rx = 0;
    bool known = rx_bytes(c->fd, &rx); /* outside the lock: the fd is ours on this thread */
    pthread_mutex_lock(&t->lock);
    c->in_request = false;
    c->head_since = 0;
    c->rx_mark = rx;
    c->rx_known = known;
    pthread_mutex_unlock(&t->lock);
}

/* Whether `c` is past its deadline at `now`; starts the clock of a kept-alive connection whose
 * next request has begun to arrive. Called with the lock held. */
static bool overdue(const struct conns *t, struct conn *c, int64_t now)
{
    if (c->in_request || c->shut) {
        return false;
    }
    if (c->head_since == 0) {
        uint64_t rx;
        if (!c->rx_known || !rx_bytes(c->fd, &rx) || rx <= c->rx_mark) {
            return false; /* idle between requests: the idle timeout's business */
        }
        c->head_since = now;
    }
    return now - c->head_since > t->head_timeout;
}

/* Calls `fn` on every connection, SWEEP_BATCH slots a lock hold; how many it said true of. */
static size_t walk(struct conns *t, bool (*fn)(const struct conns *, struct conn *, int64_t),
                   int64_t now)
{
    size_t n = 0;
    for (uint32_t base = 0; base < t->cap; base += SWEEP_BATCH) {
        pthread_mutex_lock(&t->lock);
        for (uint32_t i = base; i < t->cap && i < base + SWEEP_BATCH; i++) {
            n += t->slots[i] != NULL && fn(t, t->slots[i], now);
        }
        pthread_mutex_unlock(&t->lock);
    }
    return n;
}

/* Shuts `c` down when it is overdue at `now`. Called with the lock held. */
static bool cut_if_overdue(const struct conns *t, struct conn *c, int64_t now)
{
    if (!overdue(t, c, now)) {
        return false;
    }
    shutdown(c->fd, SHUT_RDWR);
    c->shut = true;
    return true;
}

size_t conns_sweep(struct conns *t, int64_t now)
{
    return t->head_timeout > 0 ? walk(t, cut_if_overdue, now) : 0;
}

/* Whether part of `c`'s next request is in. Called with the lock held. */
static bool arriving(const struct conns *t, struct conn *c, int64_t now)
{
    (void)t, (void)now;
    uint64_t rx;
    if (c->in_request || c->shut || !rx_bytes(c->fd, &rx)) {
        return false;
    }
    return c->rx_known ? rx > c->rx_mark : rx > 0;
}

uint32_t conns_arriving(struct conns *t)
{
    return (uint32_t)walk(t, arriving, 0);
}

uint32_t conns_count(struct conns *t)
{
    pthread_mutex_lock(&t->lock);
    uint32_t n = t->cap - t->n_free;
    pthread_mutex_unlock(&t->lock);
    return n;
}
