/*
 * ticker.h - a background thread that runs one function, a "pass", at every tick and whenever it
 * is woken, and stops between passes. The one copy of the thread's start, wake and stop that the
 * scheduler's runner (sched/), the SMS sender (deliver/) and the import runner (import/) share.
 *
 * A pass runs without any lock of the ticker held. Wakes never pile up: any number of wakes during
 * a pass ask for one more pass after it. A waker that must know its wake was served takes the
 * ticket ticker_wake() returns to ticker_wait(), which returns once a pass that began after the
 * wake has ended - so whatever the waker did before waking (queued a message, posted a request)
 * has been seen by that pass.
 */
#ifndef KT_BASE_TICKER_H
#define KT_BASE_TICKER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

typedef void (*ticker_fn)(void *arg);

struct ticker_opts {
    const char *name; /* the thread's name, at most 15 bytes ("kt-sms") */
    int64_t tick_ms;  /* a pass at least this often, ms */
    int nice;         /* how much lower the thread's priority is than the process's; 0 = same */
    ticker_fn pass;   /* runs on the thread */
    void *arg;        /* given to `pass`; owned by the caller, outlives the ticker */
};

struct ticker;

/* Starts the thread; its first pass comes one tick later, or at once after a ticker_wake().
 * `*out` is set before the thread starts, so a pass may read it. */
enum kt_rc ticker_start(const struct ticker_opts *o, struct ticker **out, struct kt_err *err);

/* Asks for a pass as soon as the current one (if any) ends. Returns the wake's ticket. */
uint64_t ticker_wake(struct ticker *t);

/* Waits at most `ms` until a pass that began after the wake `ticket` has ended; false on
 * timeout. */
bool ticker_wait(struct ticker *t, uint64_t ticket, int64_t ms);

/* True once ticker_stop() was called: a long pass looks between its steps and returns early. */
bool ticker_stopping(const struct ticker *t);

/* Stops after the current pass and joins the thread. Whoever wakes or waits must be gone first
 * (the server stops the HTTP workers before the threads they wake). NULL is a no-op. */
void ticker_stop(struct ticker *t);

#endif
