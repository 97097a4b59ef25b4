/*
 * sched.c - runs the table of jobs (see sched.h): once on demand, or on a clock in the runner.
 *
 * The runner is one base/ticker thread. A pass first serves a pending on-demand run, then runs
 * each job whose period has passed, looking between jobs whether the server is stopping. The
 * SCHED_OWN jobs (the outbox's sender) have a second ticker of their own, at the process's
 * priority, woken when a message is queued: a one-time code is sent in milliseconds, never after
 * a segment refresh or a retention run. Jobs
 * never run two at a time in the process: the API's run waits for the runner. Across processes
 * (run-due beside serve) each job is safe on its own, claiming its work in write transactions
 * (README.md).
 */
#include "sched/sched.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/ticker.h"

#define TICK_MS     1000 /* how often the runner looks at the clock */
#define RUNNER_NICE 10   /* background work waits for slack on a busy machine */

static int64_t mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}

/* Claims the next item of due work and does it, in one write transaction; *claimed false when
 * nothing is due. The claim is the write transaction itself: in one process the writer's mutex,
 * across processes SQLite's write lock or PostgreSQL's writers' lock (store/pg/pg.c) - an item
 * is done once, and one whose work fails stays due for the next run. */
static enum kt_rc claim_one(const struct sched_conf *c, const struct sched_job *j, int64_t now,
                            int64_t n[2], bool *claimed, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *w;
    *claimed = false;
    enum kt_rc rc = store_write_begin(c->s, &w, err);
    if (rc != KT_OK) {
        arena_release(&a);
        return rc;
    }
    struct due_item d;
    rc = store_due_next(w, now, &a, &d, claimed, err);
    if (rc == KT_OK && *claimed && strcmp(d.kind, j->due_kind) != 0) {
        /* One kind today, and store_due_next() takes none: a second kind needs it to. */
        rc = kt_err_set(err, KT_EINTERNAL, "internal", NULL, "due work of kind '%s' has no job",
                        d.kind);
    }
    if (rc == KT_OK && *claimed) {
        rc = j->due(c, w, &d, now, &a, n, err);
    }
    if (rc == KT_OK && *claimed) {
        rc = store_due_finish(w, d.seq, now, err);
    }
    if (rc == KT_OK && *claimed) {
        rc = store_write_end(w, rc, err);
    } else {
        store_write_rollback(w);
    }
    arena_release(&a);
    return rc;
}

/* A kind of due work: every item due at `now`, each in its own transaction. */
static enum kt_rc drain(const struct sched_conf *c, const struct sched_job *j, int64_t now,
                        int64_t n[2], struct kt_err *err)
{
    enum kt_rc rc;
    bool claimed;
    while ((rc = claim_one(c, j, now, n, &claimed, err)) == KT_OK && claimed) {
    }
    if (n[0] > 0 && j->after != NULL) {
        j->after(c);
    }
    return rc;
}

/* Runs one job; a failure is logged with what the job did before it (`at`: "shutdown" or NULL)
 * and copied into `err` unless it holds one. */
static enum kt_rc run_one(const struct sched_conf *c, const struct sched_job *j, int64_t now,
                          int64_t n[2], const char *at, struct kt_err *err)
{
    struct kt_err e;
    kt_err_reset(&e);
    n[0] = n[1] = 0;
    enum kt_rc rc = (j->flags & SCHED_SECRET) && c->secret == NULL
                        ? kt_err_set(&e, KT_EINTERNAL, "internal", NULL,
                                     "the job '%s' needs the installation secret", j->name)
                    : j->run != NULL ? j->run(c, now, n, &e)
                                     : drain(c, j, now, n, &e);
    if (rc != KT_OK) {
        char did[96] = "";
        size_t len = 0;
        for (int k = 0; k < 2; k++) {
            if (j->counts[k] != NULL && len < sizeof(did)) {
                len += kt_snprintf(did + len, sizeof(did) - len, " %s=%lld", j->counts[k],
                                   (long long)n[k]);
            }
        }
        log_event(at != NULL ? LOG_ERROR : LOG_WARN, j->name, "code=%s%s%s%s", e.code, did,
                  at != NULL ? " at=" : "", at != NULL ? at : "");
        kt_err_copy(err, &e);
    }
    return rc;
}

enum kt_rc sched_run_due(const struct sched_conf *c, int64_t now, struct sched_report *out,
                         struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    enum kt_rc first = KT_OK;
    for (size_t i = 0; i < sched_jobs_count; i++) {
        const struct sched_job *j = &sched_jobs[i];
        if (!(j->flags & SCHED_ON_DEMAND)) {
            continue;
        }
        enum kt_rc rc = run_one(c, j, now, out->n[i], NULL, err);
        out->ran[i] = rc == KT_OK;
        first = first != KT_OK ? first : rc;
    }
    return first;
}

json_t *sched_report_json(const struct sched_report *r)
{
    json_t *o = json_object();
    for (size_t i = 0; i < sched_jobs_count; i++) {
        const struct sched_job *j = &sched_jobs[i];
        if (!r->ran[i] || j->key == NULL) {
            continue;
        }
        json_t *v = json_object();
        for (int k = 0; k < 2; k++) {
            if (j->counts[k] != NULL) {
                json_object_set_new(v, j->counts[k], json_integer(r->n[i][k]));
            }
        }
        json_object_set_new(o, j->key, v);
    }
    return o;
}

/* One job's words: {0} and {1} the counts, {0s} and {1s} an "s" unless the count is 1. */
static void say(struct buf *b, const char *t, const int64_t n[2])
{
    for (const char *p = t; *p != '\0';) {
        if (p[0] == '{' && (p[1] == '0' || p[1] == '1') && p[2] == '}') {
            buf_printf(b, "%lld", (long long)n[p[1] - '0']);
            p += 3;
        } else if (p[0] == '{' && (p[1] == '0' || p[1] == '1') && p[2] == 's' && p[3] == '}') {
            buf_puts(b, n[p[1] - '0'] == 1 ? "" : "s");
            p += 4;
        } else {
            buf_putc(b, *p++);
        }
    }
}

void sched_report_text(const struct sched_report *r, struct buf *out)
{
    bool first = true;
    for (size_t i = 0; i < sched_jobs_count; i++) {
        if (r->ran[i] && sched_jobs[i].says != NULL) {
            buf_puts(out, first ? "" : "; ");
            say(out, sched_jobs[i].says, r->n[i]);
            first = false;
        }
    }
}

/* ---- the runner ------------------------------------------------------------------------------ */

struct sched {
    struct sched_conf c;          /* immutable */
    struct ticker *th;            /* the runner's thread */
    struct ticker *own;           /* the SCHED_OWN jobs' thread, NULL when the table has none */
    int64_t next[SCHED_JOBS_MAX]; /* monotonic ms of each job's next run; the runner's only */
    pthread_mutex_t run_mu;       /* one on-demand run at a time (sched_run_now) */
    pthread_mutex_t mu;           /* guards what follows: the on-demand run and its outcome */
    bool asked;                   /* an on-demand run waits for the runner */
    int64_t at;                   /* its time, UTC ms */
    struct sched_report report;   /* what it did */
    struct kt_err err;            /* its first failure */
    enum kt_rc rc;
};

/* The on-demand run, if one was asked for; the jobs it ran count as run for their periods. */
static void serve_asked(struct sched *x)
{
    pthread_mutex_lock(&x->mu);
    bool asked = x->asked;
    int64_t at = x->at;
    pthread_mutex_unlock(&x->mu);
    if (!asked) {
        return;
    }
    struct sched_report rep;
    struct kt_err e;
    kt_err_reset(&e);
    enum kt_rc rc = sched_run_due(&x->c, at, &rep, &e);
    for (size_t i = 0; i < sched_jobs_count; i++) {
        if (rep.ran[i] && sched_jobs[i].period_ms > 0) {
            x->next[i] = mono_ms() + sched_jobs[i].period_ms;
        }
    }
    pthread_mutex_lock(&x->mu);
    x->report = rep;
    x->err = e;
    x->rc = rc;
    x->asked = false;
    pthread_mutex_unlock(&x->mu);
}

static void pass(void *arg)
{
    struct sched *x = arg;
    serve_asked(x);
    for (size_t i = 0; i < sched_jobs_count && !ticker_stopping(x->th); i++) {
        const struct sched_job *j = &sched_jobs[i];
        if (j->period_ms <= 0 || (j->flags & SCHED_OWN) || mono_ms() < x->next[i]) {
            continue;
        }
        x->next[i] = mono_ms() + j->period_ms;
        int64_t n[2];
        run_one(&x->c, j, clock_now_ms(), n, NULL, NULL);
    }
}

/* The SCHED_OWN jobs, at each tick of their thread and at each wake. */
static void pass_own(void *arg)
{
    struct sched *x = arg;
    for (size_t i = 0; i < sched_jobs_count && !ticker_stopping(x->own); i++) {
        if (sched_jobs[i].flags & SCHED_OWN) {
            int64_t n[2];
            run_one(&x->c, &sched_jobs[i], clock_now_ms(), n, NULL, NULL);
        }
    }
}

static bool any_own(void)
{
    for (size_t i = 0; i < sched_jobs_count; i++) {
        if (sched_jobs[i].flags & SCHED_OWN) {
            return true;
        }
    }
    return false;
}

void sched_wake(struct sched *x, int64_t wait_ms)
{
    if (x == NULL || x->own == NULL) {
        return;
    }
    uint64_t ticket = ticker_wake(x->own);
    if (wait_ms > 0) {
        ticker_wait(x->own, ticket, wait_ms);
    }
}

enum kt_rc sched_start(const struct sched_conf *c, struct sched **out, struct kt_err *err)
{
    struct sched *x = kt_calloc(1, sizeof(*x));
    x->c = *c;
    int64_t start = mono_ms();
    for (size_t i = 0; i < sched_jobs_count; i++) {
        const struct sched_job *j = &sched_jobs[i];
        x->next[i] = start + (j->flags & SCHED_SETTLE ? j->period_ms : 0);
    }
    pthread_mutex_init(&x->run_mu, NULL);
    pthread_mutex_init(&x->mu, NULL);
    struct ticker_opts o = {"kt-sched", TICK_MS, RUNNER_NICE, pass, x};
    struct ticker_opts oo = {"kt-outbox", TICK_MS, 0, pass_own, x};
    enum kt_rc rc = ticker_start(&o, &x->th, err);
    if (rc == KT_OK && any_own() && (rc = ticker_start(&oo, &x->own, err)) != KT_OK) {
        ticker_stop(x->th);
    }
    if (rc != KT_OK) {
        pthread_mutex_destroy(&x->run_mu);
        pthread_mutex_destroy(&x->mu);
        free(x);
        x = NULL;
    }
    *out = x;
    return rc;
}

enum kt_rc sched_run_now(struct sched *x, int64_t now, struct sched_report *out, struct kt_err *err)
{
    if (x == NULL) {
        memset(out, 0, sizeof(*out));
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the scheduler is not running");
    }
    pthread_mutex_lock(&x->run_mu);
    pthread_mutex_lock(&x->mu);
    x->asked = true;
    x->at = now;
    pthread_mutex_unlock(&x->mu);
    uint64_t ticket = ticker_wake(x->th);
    while (!ticker_wait(x->th, ticket, 60 * 1000)) {
        /* a long job (a segment refresh on a big base) is still running: wait on */
    }
    pthread_mutex_lock(&x->mu);
    *out = x->report;
    enum kt_rc rc = x->rc;
    if (rc != KT_OK) {
        kt_err_copy(err, &x->err);
    }
    pthread_mutex_unlock(&x->mu);
    pthread_mutex_unlock(&x->run_mu);
    return rc;
}

void sched_stop(struct sched *x)
{
    if (x == NULL) {
        return;
    }
    ticker_stop(x->own);
    ticker_stop(x->th);
    for (size_t i = 0; i < sched_jobs_count; i++) {
        if (sched_jobs[i].flags & SCHED_AT_STOP) {
            int64_t n[2];
            run_one(&x->c, &sched_jobs[i], clock_now_ms(), n, "shutdown", NULL);
        }
    }
    pthread_mutex_destroy(&x->run_mu);
    pthread_mutex_destroy(&x->mu);
    free(x);
}
