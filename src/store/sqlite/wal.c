/*
 * wal.c - the life of the WAL of the SQLite backend: the background checkpointer, the writer's
 * backstop, and the rule that keeps a long read from holding the writers.
 *
 * Checkpoints run in a background thread on a connection of their own (PASSIVE, every 100 ms),
 * not inside a committing request: with synchronous=NORMAL a checkpoint is where SQLite calls
 * fsync, and doing it on the request path would stall every writer queued behind it.
 *
 * A passive round copies what no reader still needs, but SQLite can start the WAL over only
 * with the writer held and once every reader has left the WAL (a RESTART). A reader's snapshot
 * pins the WAL as it was when the read began, so a RESTART that meets a long read (a segment
 * preview, a report, an export) would hold the writer - every cash desk - until that read ends:
 * 2.5 s a preview, 139 receipts/s instead of 3,450 (issue 11). So:
 *
 *   - The store knows every read it handed out and when it began (read_since, under pool_mu).
 *     The writer is taken for a RESTART only when no read has been open longer than
 *     LONG_READ_MS and no analytic read is open; then the RESTART waits at most RESTART_WAIT_US
 *     for the short reads in flight, and gives up (the writer goes back) rather than wait longer.
 *     While a long read lives, the WAL grows; the restart comes when it ends.
 *   - Analytic reads (store_read_begin_analytics) declare themselves. When a restart is waiting
 *     for long reads to end (restart_pending), a new analytic read waits for it first, at most
 *     ANALYTICS_YIELD_MS: without that, a back-to-back loop of previews would always overlap the
 *     next one with the last and the WAL would never start over. So the WAL grows by what the
 *     tills write during one analytic read, and no more.
 *   - A read of another process (a CLI report beside `serve`) is invisible here: a RESTART that
 *     meets one fails within RESTART_WAIT_US, and the next try backs off, up to
 * RESTART_BACKOFF_MAX_MS.
 *
 * Invariant: nothing in this file waits for a reader while holding the writer for longer than
 * RESTART_WAIT_US.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/statvfs.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/sqlite/sqlite_int.h"

#ifndef CKPT_INTERVAL_MS
#define CKPT_INTERVAL_MS 100
#endif
#ifndef CKPT_RESTART_FRAMES
#define CKPT_RESTART_FRAMES 4096 /* about 16 MiB of WAL */
#endif
#define CKPT_WRITER_FRAMES     (4 * CKPT_RESTART_FRAMES) /* the writer's backstop, 64 MiB */
#define CKPT_FILE_CHUNK        (64 << 20)                /* bytes the database file grows by */
#define LONG_READ_MS           20    /* a read open longer than this is not a till's */
#define RESTART_WAIT_US        5000  /* the longest a RESTART holds the writer for readers */
#define RESTART_BACKOFF_MAX_MS 5000  /* after failed restarts, at most this between tries */
#define ANALYTICS_YIELD_MS     10000 /* an analytic read waits at most this for a restart */
#define CATCHUP_FRAMES         128   /* 1 MiB: little enough to copy with the writer held */
#define CATCHUP_MAX_FRAMES     512   /* 16 MiB: too much to copy with the writer held */
#define CATCHUP_ROUNDS         50    /* passive rounds to catch up before taking it */

/* ---- reads --------------------------------------------------------------------------------- */

/* Whether a read that would hold up a RESTART is open: an analytic one, or any open longer than
 * LONG_READ_MS. Called with pool_mu held. */
static bool long_read_open(struct sq_store *s, int64_t now_ns)
{
    if (s->analytics_open > 0) {
        return true;
    }
    for (size_t i = 0; i < s->n_readers; i++) {
        int64_t since = s->readers[i]->read_since;
        if (since != 0 && now_ns - since > (int64_t)LONG_READ_MS * 1000000) {
            return true;
        }
    }
    return false;
}

static struct timespec realtime_in(int64_t ms)
{
    struct timespec t;
    clock_deadline(ms, &t);
    return t;
}

void sq_read_yield(struct sq_store *s)
{
    if (!s->restart_pending) {
        return;
    }
    struct timespec until = realtime_in(ANALYTICS_YIELD_MS);
    while (s->restart_pending) {
        if (pthread_cond_timedwait(&s->restart_cv, &s->pool_mu, &until) == ETIMEDOUT) {
            log_warn("analytics_yield_timeout", "ms=%d", ANALYTICS_YIELD_MS);
            break;
        }
    }
}

void sq_read_opened(struct sq_store *s, struct sq_conn *c, bool analytics)
{
    c->read_since = clock_mono_ns();
    c->base.analytics = analytics;
    s->analytics_open += analytics;
}

static void kick(struct sq_store *s)
{
    pthread_mutex_lock(&s->ckpt_mu);
    s->ckpt_kick = true;
    pthread_cond_signal(&s->ckpt_cv);
    pthread_mutex_unlock(&s->ckpt_mu);
}

void sq_read_closed(struct sq_store *s, struct sq_conn *c)
{
    s->analytics_open -= c->base.analytics;
    c->base.analytics = false;
    c->read_since = 0;
    if (s->restart_pending && !long_read_open(s, clock_mono_ns())) {
        s->restart_due = true; /* the checkpointer is woken by sq_read_after_close() */
    }
}

void sq_read_after_close(struct sq_store *s)
{
    pthread_mutex_lock(&s->pool_mu);
    bool due = s->restart_due;
    s->restart_due = false;
    pthread_mutex_unlock(&s->pool_mu);
    if (due) {
        kick(s);
    }
}

static void restart_done(struct sq_store *s, bool ok)
{
    pthread_mutex_lock(&s->pool_mu);
    bool was = s->restart_pending;
    s->restart_pending = !ok;
    if (ok && was) {
        pthread_cond_broadcast(&s->restart_cv);
    }
    pthread_mutex_unlock(&s->pool_mu);
}

/* ---- restarts ------------------------------------------------------------------------------ */

/* Busy handler of a RESTART: the short reads in flight end within a millisecond or two; poll
 * every 100 us (SQLite's own handler sleeps 1, 2, 5, 10 ms) and give up after RESTART_WAIT_US. */
static int brief_waits(void *arg, int tries)
{
    (void)arg;
    if (tries * 100 >= RESTART_WAIT_US) {
        return 0;
    }
    struct timespec ts = {0, 100 * 1000};
    nanosleep(&ts, NULL);
    return 1;
}

/* A RESTART on `db`, whose caller holds the writer - a TRUNCATE when an erasure asked for the
 * WAL to be cut to nothing and it could not be then (wipe_pending). */
static int restart(struct sq_store *s, sqlite3 *db, int busy_ms, int *log_frames)
{
    bool wipe = atomic_load(&s->wipe_pending);
    sqlite3_busy_handler(db, brief_waits, NULL);
    int rc = sqlite3_wal_checkpoint_v2(
        db, NULL, wipe ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_RESTART, log_frames, NULL);
    if (wipe && rc == SQLITE_OK) {
        atomic_store(&s->wipe_pending, false);
        log_info("wal_wiped", "deferred=1");
    }
    sqlite3_busy_timeout(db, busy_ms);
    if (rc == SQLITE_OK) {
        restart_done(s, true); /* whoever restarted it, analytic reads need wait no more */
    }
    return rc;
}

/* Whether a RESTART may be tried now; when a long read is in the way, marks it pending so new
 * analytic reads yield, and the end of the last long read wakes the checkpointer. */
static bool restart_may_try(struct sq_store *s)
{
    pthread_mutex_lock(&s->pool_mu);
    bool blocked = long_read_open(s, clock_mono_ns());
    if (blocked) {
        s->restart_pending = true;
    }
    pthread_mutex_unlock(&s->pool_mu);
    return !blocked;
}

struct ckpt_state {
    int64_t next_try_ns; /* monotonic; no RESTART before this (back-off) */
    int backoff_ms;      /* 0, or the current back-off after failed restarts */
};

static void backoff(struct ckpt_state *st, bool failed)
{
    if (!failed) {
        st->backoff_ms = 0;
        st->next_try_ns = 0;
        return;
    }
    st->backoff_ms = st->backoff_ms == 0 ? CKPT_INTERVAL_MS : st->backoff_ms * 2;
    if (st->backoff_ms > RESTART_BACKOFF_MAX_MS) {
        st->backoff_ms = RESTART_BACKOFF_MAX_MS;
    }
    st->next_try_ns = clock_mono_ns() + (int64_t)st->backoff_ms * 1000000;
}

/*
 * One round of the checkpointer. A PASSIVE checkpoint copies what it can without blocking anyone;
 * when the WAL has passed CKPT_RESTART_FRAMES and no long read is in the way, the writer is taken
 * between two transactions (a few milliseconds at most) for a RESTART, which copies the frames
 * committed since the passive round, syncs, and waits briefly for the short reads in flight.
 */
static void checkpoint(struct sq_store *s, struct sq_conn *c, struct ckpt_state *st)
{
    int log_frames = 0, done_frames = 0;
    int64_t tp = clock_mono_ns();
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                       &done_frames);
    log_debug("checkpoint_passive", "ms=%.1f frames=%d copied=%d",
              (double)(clock_mono_ns() - tp) / 1e6, log_frames, done_frames);
    if (rc == SQLITE_OK) {
        atomic_store(&s->wal_frames, log_frames);
        atomic_store(&s->wal_copied, done_frames);
    }
    bool wanted = log_frames > CKPT_RESTART_FRAMES || atomic_load(&s->wipe_pending);
    if (rc == SQLITE_OK && !wanted) {
        restart_done(s, true); /* the WAL is small again (restarted by the writer, or a wipe) */
    }
    if (rc != SQLITE_OK || !wanted || clock_mono_ns() < st->next_try_ns || !restart_may_try(s)) {
        goto out;
    }
    /* What is left to copy is copied under the writer: after a long read there may be hundreds
     * of megabytes, and the tills write more while a round copies. Catch up first - while the
     * rounds still gain on the writers - and leave the restart to a later round rather than take
     * the writer with more than CATCHUP_MAX_FRAMES left. */
    int left = log_frames - done_frames, before = INT32_MAX;
    for (int i = 0; rc == SQLITE_OK && i < CATCHUP_ROUNDS && left > CATCHUP_FRAMES &&
                    left < before - before / 4;
         i++) {
        before = left;
        rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                       &done_frames);
        left = log_frames - done_frames;
    }
    if (rc != SQLITE_OK || left > CATCHUP_MAX_FRAMES) {
        goto out;
    }
    int locked = -1;
    for (int i = 0; i < 20 && (locked = pthread_mutex_trylock(&s->write_mu)) != 0; i++) {
        struct timespec ts = {0, 500 * 1000};
        nanosleep(&ts, NULL);
    }
    if (locked != 0) {
        goto out; /* the writer is busy: the backstop or the next round */
    }
    int64_t t0 = clock_mono_ns();
    rc = restart(s, c->db, s->busy_ms, &log_frames);
    pthread_mutex_unlock(&s->write_mu);
    int64_t us = (clock_mono_ns() - t0) / 1000;
    if (us > 50000) { /* the writers waited this long: the tills' p99 */
        log_warn("checkpoint_slow", "ms=%.1f frames=%d", (double)us / 1000.0, log_frames);
    } else if (us > 10000) {
        log_info("checkpoint_slow", "ms=%.1f frames=%d", (double)us / 1000.0, log_frames);
    }
    backoff(st, rc != SQLITE_OK);
    if (rc != SQLITE_OK) {
        restart_done(s, false);
    }
out:
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        log_warn("checkpoint_failed", "error=\"%s\"", sqlite3_errstr(rc));
    }
}

/*
 * The writer's own backstop, called by SQLite after each commit on the writer connection. The
 * checkpointer's RESTART needs the writer between two transactions; a bulk import holds it for
 * seconds and takes it again at once, the try never wins, and the WAL grew to 1.2 GB over a
 * million rows. So when the WAL passes CKPT_WRITER_FRAMES the committing writer restarts it
 * itself - but only when the passive rounds have copied all but the last CKPT_RESTART_FRAMES
 * (copying more would hold the writer) and no long read is in the way.
 */
int sq_wal_backstop(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct sq_store *s = arg;
    (void)name;
    if (frames <= CKPT_WRITER_FRAMES ||
        frames - atomic_load(&s->wal_copied) > CKPT_RESTART_FRAMES) {
        return SQLITE_OK;
    }
    pthread_mutex_lock(&s->pool_mu);
    bool blocked = s->restart_pending || long_read_open(s, clock_mono_ns());
    pthread_mutex_unlock(&s->pool_mu);
    if (blocked) {
        return SQLITE_OK;
    }
    int rc = restart(s, db, s->busy_ms, NULL);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        log_warn("checkpoint_failed", "by=writer error=\"%s\"", sqlite3_errstr(rc));
    }
    if (rc == SQLITE_OK) {
        atomic_store(&s->wal_copied, 0);
    }
    return SQLITE_OK;
}

/* ---- the erasure's wipe -------------------------------------------------------------------- */

#define WIPE_WAIT_MS 2000

/*
 * After an erasure the WAL still holds page images from before it: a TRUNCATE checkpoint copies
 * them over (secure_delete zeroes the values in the database file) and cuts the WAL to nothing.
 * Like a RESTART it waits for the readers of old snapshots, so it follows the same rule: the
 * writer is held at most RESTART_WAIT_US for them per try, tries go on for WIPE_WAIT_MS while
 * only short reads are in the way, and when a long read is, the wipe is left pending - the
 * checkpointer makes its next restart a TRUNCATE, as soon as the long read ends.
 */
enum kt_rc sq_wal_wipe(struct sq_store *s, struct kt_err *err)
{
    int rc = SQLITE_BUSY;
    atomic_store(&s->wipe_pending, true);
    int64_t until = clock_mono_ns() + WIPE_WAIT_MS * 1000000LL;
    while (rc == SQLITE_BUSY && clock_mono_ns() < until && restart_may_try(s)) {
        pthread_mutex_lock(&s->write_mu);
        if (!atomic_load(&s->wipe_pending)) {
            rc = SQLITE_OK; /* the checkpointer did it meanwhile */
        } else {
            rc = restart(s, s->writer->db, s->busy_ms, NULL);
        }
        pthread_mutex_unlock(&s->write_mu);
        if (rc == SQLITE_BUSY) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (rc == SQLITE_OK) {
        return KT_OK;
    }
    kick(s);
    if (rc == SQLITE_BUSY) {
        kt_err_set(err, KT_EBUSY, "store_busy", NULL, "the database is busy; retry shortly");
        kt_err_detail(err,
                      "wal truncate: a long read holds the WAL; the checkpointer cuts it after");
        return KT_EBUSY;
    }
    return sq_fail_raw(s->writer, rc, "wal truncate", err);
}

/* ---- the flusher --------------------------------------------------------------------------- */

#ifndef FLUSH_MS
#define FLUSH_MS                                                                                   \
    10 /* how often the writes of the WAL and of checkpoints are started to disk; 0 =              \
          never (the benchmark's reference) */
#endif

/*
 * With synchronous=NORMAL nobody syncs the WAL but the checkpoint, which then syncs everything
 * written since its last round, and the database file after its copy: tens of megabytes a time
 * under the tills. On ext4 (data=ordered) a big fsync holds the journal, and every write() that
 * needs it - extending the WAL, even updating its mtime - waits: the tills' tail latency was these
 * waits. So, as PostgreSQL's walwriter and checkpoint_flush_after do, the writes are started to
 * disk as they come, every FLUSH_MS (sync_file_range: start the writeback, wait for nothing), and a
 * sync later finds little left to do. Reads of the files are not affected; the cost is more,
 * smaller writes.
 */
static void *flusher(void *arg)
{
    struct sq_store *s = arg;
    pthread_setname_np(pthread_self(), "kt-flush");
    char wal[4200];
    kt_snprintf(wal, sizeof(wal), "%s-wal", s->path);
    const char *paths[2] = {s->path, wal};
    pthread_mutex_lock(&s->ckpt_mu);
    for (int tick = 0; !s->ckpt_stop; tick++) {
        struct timespec until = realtime_in(FLUSH_MS);
        pthread_cond_timedwait(&s->flush_cv, &s->ckpt_mu, &until);
        if (s->ckpt_stop) {
            break;
        }
        pthread_mutex_unlock(&s->ckpt_mu);
        for (int i = 0; i < 2; i++) {
            if (s->flush_fds[i] < 0 && tick % 100 == 0) { /* the WAL comes with the first write */
                s->flush_fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
            }
            if (s->flush_fds[i] >= 0) {
                sync_file_range(s->flush_fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
            }
        }
        pthread_mutex_lock(&s->ckpt_mu);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    return NULL;
}

void sq_flusher_close(struct sq_store *s)
{
    for (int i = 0; i < 2; i++) {
        if (s->flush_fds[i] >= 0) {
            close(s->flush_fds[i]);
            s->flush_fds[i] = -1;
        }
    }
}

/* ---- the thread ---------------------------------------------------------------------------- */

#define CHUNK_EVERY_ROUNDS 1 /* free space looked at every round (statvfs: a microsecond) */

/*
 * Checkpoints are what grows the database file. Growing it in large steps keeps its size stable
 * for long stretches (fewer extensions, less fragmentation), but a step is allocated whole: on a
 * 20 MiB filesystem a 64 MiB step failed where the pages themselves would have fitted. So the
 * step is at most an eighth of the space free, 1 MiB granular, and none below 1 MiB.
 */
static void set_chunk(struct sq_store *s, struct sq_conn *c)
{
    struct statvfs vfs;
    int chunk = CKPT_FILE_CHUNK;
    if (statvfs(s->dir, &vfs) == 0) {
        uint64_t eighth = (uint64_t)vfs.f_bavail * vfs.f_frsize / 8;
        if (eighth < (uint64_t)chunk) {
            chunk = (int)(eighth & ~(uint64_t)((1 << 20) - 1));
        }
    }
    sqlite3_file_control(c->db, "main", SQLITE_FCNTL_CHUNK_SIZE, &chunk);
}

static void *checkpointer(void *arg)
{
    struct sq_store *s = arg;
    struct sq_conn *c = NULL;
    struct ckpt_state st = {0, 0};
    pthread_setname_np(pthread_self(), "kt-checkpoint");
    if (sq_conn_open(s, &c, NULL) != KT_OK) {
        log_error("checkpointer", "msg=\"cannot open a connection; WAL will grow until close\"");
        return NULL;
    }
    pthread_mutex_lock(&s->ckpt_mu);
    for (int round = 0; !s->ckpt_stop; round++) {
        if (round % CHUNK_EVERY_ROUNDS == 0) {
            set_chunk(s, c);
        }
        if (!s->ckpt_kick) {
            struct timespec until = realtime_in(CKPT_INTERVAL_MS);
            pthread_cond_timedwait(&s->ckpt_cv, &s->ckpt_mu, &until);
        }
        s->ckpt_kick = false;
        if (s->ckpt_stop) {
            break;
        }
        pthread_mutex_unlock(&s->ckpt_mu);
        checkpoint(s, c, &st);
        pthread_mutex_lock(&s->ckpt_mu);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    sq_conn_close(c);
    return NULL;
}

void sq_checkpointer_start(struct sq_store *s)
{
    pthread_mutex_lock(&s->ckpt_mu);
    s->ckpt_running = pthread_create(&s->ckpt_thread, NULL, checkpointer, s) == 0;
    s->flush_running = FLUSH_MS > 0 && pthread_create(&s->flush_thread, NULL, flusher, s) == 0;
    pthread_mutex_unlock(&s->ckpt_mu);
}

void sq_checkpointer_stop(struct sq_store *s)
{
    pthread_mutex_lock(&s->ckpt_mu);
    bool running = s->ckpt_running, flushing = s->flush_running;
    s->ckpt_stop = true;
    pthread_cond_signal(&s->ckpt_cv);
    pthread_cond_signal(&s->flush_cv);
    pthread_mutex_unlock(&s->ckpt_mu);
    if (running) {
        pthread_join(s->ckpt_thread, NULL);
    }
    if (flushing) {
        pthread_join(s->flush_thread, NULL);
    }
    /* Nobody restarts the WAL any more: analytic reads must not wait for it. */
    restart_done(s, true);
}
