/*
 * offload.c - a pool of request threads (offload.h): a FIFO of jobs under one mutex, taken by a
 * fixed set of threads. Nothing here blocks a caller: a full queue is refused at once.
 *
 * Invariants: every job given to offload_submit() that returned true gets exactly one call, of
 * `run` or (when stopping) of `cancel`; the queue never holds more than max_queue jobs.
 */
#include "http/offload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/mem.h"

struct item {
    void *job;
    struct item *next;
};

struct offload {
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;  /* signalled when a job is queued or stop is set */
    struct item *head, *tail;
    unsigned waiting, max_queue;
    bool stop;
    offload_fn run, cancel; /* immutable after offload_new */
    char name[16];          /* the threads' name */
    pthread_t *threads;
    unsigned n_threads;
};

static void *worker(void *arg)
{
    struct offload *o = arg;
    pthread_setname_np(pthread_self(), o->name);
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (o->head == NULL && !o->stop) {
            pthread_cond_wait(&o->cv, &o->mu);
        }
        if (o->stop) {
            break; /* what still waits is cancelled by offload_free */
        }
        struct item *it = o->head;
        o->head = it->next;
        if (o->head == NULL) {
            o->tail = NULL;
        }
        o->waiting--;
        pthread_mutex_unlock(&o->mu);
        o->run(it->job);
        free(it);
        pthread_mutex_lock(&o->mu);
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

struct offload *offload_new(const char *name, unsigned threads, unsigned max_queue, offload_fn run,
                            offload_fn cancel)
{
    struct offload *o = kt_calloc(1, sizeof(*o));
    snprintf(o->name, sizeof(o->name), "%s", name);
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    o->max_queue = max_queue;
    o->run = run;
    o->cancel = cancel;
    o->n_threads = threads > 0 ? threads : 1;
    o->threads = kt_calloc(o->n_threads, sizeof(*o->threads));
    for (unsigned i = 0; i < o->n_threads; i++) {
        if (pthread_create(&o->threads[i], NULL, worker, o) != 0) {
            abort(); /* out of threads at start-up: nothing sensible to go on with */
        }
    }
    return o;
}

bool offload_submit(struct offload *o, void *job)
{
    pthread_mutex_lock(&o->mu);
    bool ok = !o->stop && o->waiting < o->max_queue;
    if (ok) {
        struct item *it = kt_calloc(1, sizeof(*it));
        it->job = job;
        if (o->tail) {
            o->tail->next = it;
        } else {
            o->head = it;
        }
        o->tail = it;
        o->waiting++;
        pthread_cond_signal(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
    return ok;
}

unsigned offload_waiting(struct offload *o)
{
    pthread_mutex_lock(&o->mu);
    unsigned n = o->waiting;
    pthread_mutex_unlock(&o->mu);
    return n;
}

void offload_free(struct offload *o)
{
    if (o == NULL) {
        return;
    }
    pthread_mutex_lock(&o->mu);
    o->stop = true;
    struct item *left = o->head;
    o->head = o->tail = NULL;
    o->waiting = 0;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    while (left != NULL) {
        struct item *next = left->next;
        o->cancel(left->job);
        free(left);
        left = next;
    }
    for (unsigned i = 0; i < o->n_threads; i++) {
        pthread_join(o->threads[i], NULL);
    }
    free(o->threads);
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    free(o);
}
