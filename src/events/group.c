/*
 * group.c - group commit of event batches (see events.h).
 *
 * A batch's cost is mostly its transaction: the pages it dirties are written to the WAL and
 * later checkpointed, and a thousand events dirty nearly a thousand index pages. Batches that
 * arrive while one is being written are queued; the first request to find no write under way
 * becomes the leader and writes every queued batch in one transaction, then wakes the others
 * with their results (leader and followers: no thread of its own). Measured with the raw loop:
 * 1,000 events a transaction 46,726/s, 10,000 108,288/s, 50,000 176,358/s (BENCHMARKS.md).
 *
 * But the tills write through the same writer, and a group holds it for its whole write: groups
 * of up to 32,000 events (32 ingest threads) held it about half a second each, and receipts beside
 * event batches went at 27 a second (p99 0.9 s). So a group takes at most GROUP_MAX_EVENTS; its
 * write begins as a bulk one (store_write_begin_bulk), letting every write that waits go first;
 * and once GROUP_YIELD_MS have passed, it ends after the batch under way when another write
 * waits, the batches not begun going back to the head of the queue (on a grown base a batch of
 * 1,000 takes tens of milliseconds, and five of them held a receipt for a third of a second).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "base/clock.h"
#include "events/events.h"

#define GROUP_MAX_EVENTS 5000 /* one transaction takes at most this many */
#define GROUP_YIELD_MS   20   /* past this, a group ends early when another write waits */

struct job {
    struct store *s; /* a group is of one store's batches */
    const struct key_secret *k;
    struct event_in *in;
    size_t n;
    enum event_unknown unknown;
    int64_t now;
    struct arena *a;
    struct event_result *res;
    enum kt_rc rc;
    struct kt_err err;
    bool done;
    struct job *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;
static bool writing;
static size_t queued;              /* events waiting for a leader to take them */
static _Atomic uint64_t unmatched; /* events_unmatched_total() */

uint64_t events_unmatched_total(void)
{
    return atomic_load_explicit(&unmatched, memory_order_relaxed);
}

/* Writes `first` and the jobs after it in one transaction - unless another write waits for the
 * writer once GROUP_YIELD_MS have passed: then the jobs written so far are committed and those
 * not begun are given back (returned, in order) for the next group. */
static struct job *write_group(struct store *s, const struct key_secret *k, struct job *first)
{
    struct store_conn *w;
    struct kt_err err;
    kt_err_reset(&err);
    struct job *rest = NULL;
    int64_t until = clock_mono_ns() + (int64_t)GROUP_YIELD_MS * 1000000;
    enum kt_rc rc = store_write_begin_bulk(s, &w, &err);
    if (rc == KT_OK) {
        for (struct job *j = first; rc == KT_OK && j != NULL; j = j->next) {
            rc = events_ingest(w, k, j->in, j->n, j->unknown, j->now, j->a, j->res, &err);
            if (rc == KT_OK && j->next != NULL && store_write_waiting(s) &&
                clock_mono_ns() > until) {
                rest = j->next; /* a till waits: it goes before the rest */
                j->next = NULL;
            }
        }
        rc = store_write_end(w, rc, &err);
    }
    for (struct job *j = first; j != NULL; j = j->next) {
        j->rc = rc;
        if (rc != KT_OK) {
            kt_err_copy(&j->err, &err);
        }
    }
    return rest;
}

enum kt_rc events_ingest_grouped(struct store *s, const struct key_secret *k, struct event_in *in,
                                 size_t n, enum event_unknown unknown, int64_t now, struct arena *a,
                                 struct event_result *res, struct kt_err *err)
{
    struct job me;
    memset(&me, 0, sizeof(me));
    me.s = s;
    me.k = k;
    me.in = in;
    me.n = n;
    me.unknown = unknown;
    me.now = now;
    me.a = a;
    me.res = res;
    kt_err_reset(&me.err);
    pthread_mutex_lock(&mu);
    if (queued > 0 && queued + n > EVENTS_QUEUE_MAX) { /* the writer is behind: push back */
        pthread_mutex_unlock(&mu);
        return kt_err_limit(err, 1, "events_busy", NULL,
                            "more than %d events are waiting to be written; retry in a second",
                            EVENTS_QUEUE_MAX);
    }
    queued += n;
    if (tail) {
        tail->next = &me;
    } else {
        head = &me;
    }
    tail = &me;
    while (!me.done) {
        if (writing) {
            pthread_cond_wait(&cv, &mu);
            continue;
        }
        /* Lead: take the queue (up to GROUP_MAX_EVENTS) and write it. */
        writing = true;
        struct job *first = head, *last = head;
        size_t events = head->n;
        while (last->next != NULL && last->next->s == head->s &&
               events + last->next->n <= GROUP_MAX_EVENTS) {
            last = last->next;
            events += last->n;
        }
        queued -= events;
        head = last->next;
        if (head == NULL) {
            tail = NULL;
        }
        last->next = NULL;
        pthread_mutex_unlock(&mu);
        struct job *rest = write_group(first->s, first->k, first);
        pthread_mutex_lock(&mu);
        for (struct job *j = first; j != NULL; j = j->next) {
            j->done = true;
        }
        if (rest != NULL) { /* back at the head of the queue, in order */
            struct job *end = rest;
            queued += rest->n;
            while (end->next != NULL) {
                end = end->next;
                queued += end->n;
            }
            end->next = head;
            head = rest;
            tail = tail != NULL ? tail : end;
        }
        writing = false;
        pthread_cond_broadcast(&cv);
    }
    pthread_mutex_unlock(&mu);
    if (me.rc != KT_OK) {
        kt_err_copy(err, &me.err);
        return me.rc;
    }
    uint64_t left_out = 0; /* counted once committed: a failed group stored none of them */
    for (size_t i = 0; i < n; i++) {
        left_out += res[i].unmatched && res[i].status == EVENT_STORED;
    }
    atomic_fetch_add_explicit(&unmatched, left_out, memory_order_relaxed);
    return KT_OK;
}
