/*
 * worker.c - the background worker of `kartoteka serve`: writes the queued audit entries (every
 * AUDIT_FLUSH_MS or AUDIT_FLUSH_ENTRIES); every minute runs the due work (erasures after
 * withdrawals, retention, points expiry, birthday bonuses, forgetting old event message ids,
 * the expiry of import reject lines);
 * every ten minutes refreshes the saved segments. At a lower priority than the request workers.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sodium.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "consent/consent.h"
#include "events/events.h"
#include "import/rejects.h"
#include "loyalty/bonus.h"
#include "segment/saved.h"
#include "loyalty/ledger.h"
#include "privacy/privacy.h"

#define TICK_MS      1000 /* how often the worker looks at the audit queue */
#define DUE_MS       60000
#define PRIVACY_NICE 10

struct privacy_worker {
    struct store *s;
    struct key_secret k;
    const char *system;
    int64_t rejects_days; /* term of import reject lines; immutable */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop; /* guarded by mu */
};

static void expire_rejects(struct privacy_worker *w)
{
    struct kt_err err;
    kt_err_reset(&err);
    int64_t rows = 0;
    if (import_rejects_expire(w->s, clock_now_ms(), w->rejects_days, &rows, &err) != KT_OK) {
        log_warn("import_rejects_expiry", "code=%s expired=%lld", err.code, (long long)rows);
    } else if (rows > 0) {
        log_info("import_rejects_expired", "rows=%lld", (long long)rows);
    }
}

static void *run(void *arg)
{
    struct privacy_worker *w = arg;
    pthread_setname_np(pthread_self(), "kt-privacy");
    /* Lower priority than the request workers: on a busy machine the audit writes wait for
     * slack instead of adding to the requests' latency (Linux threads have their own nice). */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), PRIVACY_NICE) != 0) {
        log_warn("privacy_worker", "msg=\"cannot lower the thread's priority\"");
    }
    int64_t last_due = 0, last_flush = clock_mono_ns() / 1000000, last_segments = last_flush;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += TICK_MS / 1000;
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        bool stopping = w->stop;
        pthread_mutex_unlock(&w->mu);
        struct kt_err err;
        kt_err_reset(&err);
        int64_t mono = clock_mono_ns() / 1000000;
        if (mono - last_flush >= AUDIT_FLUSH_MS || audit_queued() >= AUDIT_FLUSH_ENTRIES) {
            last_flush = mono;
            if (audit_flush(w->s, &err) != KT_OK) {
                log_warn("audit_flush", "code=%s", err.code);
            }
        }
        if (!stopping && mono - last_due >= DUE_MS) {
            last_due = mono;
            int erased = 0;
            kt_err_reset(&err);
            if (privacy_run_due(w->s, &w->k, clock_now_ms(), w->system, &erased, &err) != KT_OK) {
                log_warn("run_due", "code=%s erased=%d", err.code, erased);
            }
            int64_t customers = 0, points = 0;
            kt_err_reset(&err);
            if (loyalty_expire_due(w->s, clock_now_ms(), &customers, &points, &err) != KT_OK) {
                log_warn("points_expiry", "code=%s", err.code);
            }
            kt_err_reset(&err);
            if (loyalty_birthdays_due(w->s, clock_now_ms(), &customers, &points, &err) != KT_OK) {
                log_warn("birthday_bonus", "code=%s", err.code);
            }
            kt_err_reset(&err);
            if (events_forget_ids(w->s, clock_now_ms(), &points, &err) != KT_OK) {
                log_warn("event_ids", "code=%s", err.code);
            }
            expire_rejects(w);
        }
        if (!stopping && mono - last_segments >= SEGMENTS_REFRESH_MS) {
            last_segments = mono;
            int64_t n = 0;
            kt_err_reset(&err);
            if (segments_refresh_all(w->s, clock_now_ms(), &n, &err) != KT_OK) {
                log_warn("segments_refresh", "code=%s refreshed=%lld", err.code, (long long)n);
            }
        }
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

enum kt_rc privacy_worker_start(struct store *s, const struct key_secret *k, const char *system,
                                int64_t rejects_days, struct privacy_worker **out,
                                struct kt_err *err)
{
    struct privacy_worker *w = kt_calloc(1, sizeof(*w));
    w->s = s;
    w->k = *k;
    w->system = system;
    w->rejects_days = rejects_days;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->th, NULL, run, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        *out = NULL;
        return kt_err_set(err, KT_EINTERNAL, "thread", NULL, "cannot start the privacy worker");
    }
    *out = w;
    return KT_OK;
}

void privacy_worker_stop(struct privacy_worker *w)
{
    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    struct kt_err err;
    kt_err_reset(&err);
    if (audit_flush(w->s, &err) != KT_OK) {
        log_error("audit_flush", "code=%s at=shutdown", err.code);
    }
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    sodium_memzero(&w->k, sizeof(w->k));
    free(w);
}
