/*
 * ticker.c - the background thread with a wake and a tick (see ticker.h).
 *
 * Invariants: `asked` counts wakes and `done` is the last wake covered by a finished pass, both
 * under `mu`; a pass covers every wake asked before it began. `stop` is also read without the lock
 * by a pass (ticker_stopping), hence atomic.
 */
#include "base/ticker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

struct ticker {
    struct ticker_opts o; /* immutable after start */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* the thread waits here for a wake, the tick or the stop */
    pthread_cond_t done_cv; /* ticker_wait() waits here for a pass to end */
    bool woken;             /* guarded by mu: a pass is asked for */
    uint64_t asked, done;   /* guarded by mu: wakes asked for, and covered by a finished pass */
    atomic_bool stop;       /* set once by ticker_stop() */
};

static void *loop(void *arg)
{
    struct ticker *t = arg;
    pthread_setname_np(pthread_self(), t->o.name);
    /* Linux threads have their own nice: background work waits for slack instead of adding to
     * the request workers' latency on a busy machine. */
    if (t->o.nice != 0 && setpriority(PRIO_PROCESS, (id_t)gettid(), t->o.nice) != 0) {
        log_warn("ticker", "thread=%s msg=\"cannot lower the thread's priority\"", t->o.name);
    }
    pthread_mutex_lock(&t->mu);
    while (!atomic_load(&t->stop)) {
        if (!t->woken) {
            struct timespec until;
            clock_deadline(t->o.tick_ms, &until);
            pthread_cond_timedwait(&t->cv, &t->mu, &until);
        }
        if (atomic_load(&t->stop)) {
            break;
        }
        t->woken = false;
        uint64_t upto = t->asked; /* every wake up to here happened before this pass began */
        pthread_mutex_unlock(&t->mu);
        t->o.pass(t->o.arg);
        pthread_mutex_lock(&t->mu);
        t->done = upto;
        pthread_cond_broadcast(&t->done_cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

enum kt_rc ticker_start(const struct ticker_opts *o, struct ticker **out, struct kt_err *err)
{
    struct ticker *t = kt_calloc(1, sizeof(*t));
    t->o = *o;
    atomic_init(&t->stop, false);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    pthread_cond_init(&t->done_cv, NULL);
    *out = t; /* before the thread starts: a pass may read it (ticker_stopping) */
    if (pthread_create(&t->th, NULL, loop, t) != 0) {
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
        pthread_cond_destroy(&t->done_cv);
        free(t);
        *out = NULL;
        return kt_err_set(err, KT_EINTERNAL, "thread", NULL, "cannot start the thread '%s'",
                          o->name);
    }
    return KT_OK;
}

uint64_t ticker_wake(struct ticker *t)
{
    pthread_mutex_lock(&t->mu);
    uint64_t mine = ++t->asked;
    t->woken = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return mine;
}

bool ticker_wait(struct ticker *t, uint64_t ticket, int64_t ms)
{
    struct timespec until;
    clock_deadline(ms, &until);
    pthread_mutex_lock(&t->mu);
    while (t->done < ticket) {
        if (pthread_cond_timedwait(&t->done_cv, &t->mu, &until) != 0) {
            break; /* ETIMEDOUT */
        }
    }
    bool served = t->done >= ticket;
    pthread_mutex_unlock(&t->mu);
    return served;
}

bool ticker_stopping(const struct ticker *t)
{
    return atomic_load(&t->stop);
}

void ticker_stop(struct ticker *t)
{
    if (t == NULL) {
        return;
    }
    pthread_mutex_lock(&t->mu);
    atomic_store(&t->stop, true);
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->th, NULL);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    pthread_cond_destroy(&t->done_cv);
    free(t);
}
