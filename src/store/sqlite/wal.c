/*
 * wal.c - the life of the WAL of the SQLite backend: the background checkpointer and the writer's
 * backstop.
 *
 * Checkpoints run in a background thread on a connection of their own (PASSIVE, every 100 ms),
 * not inside a committing request: with synchronous=NORMAL a checkpoint is where SQLite calls
 * fsync, and doing it on the request path would stall every writer queued behind it.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/sqlite/sqlite_int.h"

/* ---- the checkpointer ---------------------------------------------------------------------- */

#ifndef CKPT_INTERVAL_MS
#define CKPT_INTERVAL_MS 100
#endif
#ifndef CKPT_RESTART_FRAMES
#define CKPT_RESTART_FRAMES 4096 /* about 16 MiB of WAL */
#endif
#define CKPT_FILE_CHUNK (64 << 20) /* bytes the database file grows by */

/*
 * One round: a PASSIVE checkpoint copies what it can without blocking anyone. Under a steady
 * stream of writes and reads it never catches up completely, and SQLite can only start the WAL
 * over once it has; so when the WAL passes CKPT_RESTART_FRAMES, a RESTART checkpoint is run
 * while holding the writer, which waits for the readers of old snapshots (requests are short)
 * and lets the next commit start the WAL from its beginning. Most frames were copied by the
 * passive rounds already, so writers wait only for the rest and one fsync.
 */
static void checkpoint(struct sq_store *s, struct sq_conn *c)
{
    int log_frames = 0, done_frames = 0;
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                       &done_frames);
    if (rc == SQLITE_OK && log_frames > CKPT_RESTART_FRAMES) {
        /* Wait for the writer between two transactions, a few milliseconds at most. */
        int locked = -1;
        for (int i = 0; i < 20 && (locked = pthread_mutex_trylock(&s->write_mu)) != 0; i++) {
            struct timespec ts = {0, 500 * 1000};
            nanosleep(&ts, NULL);
        }
        if (locked == 0) {
            int64_t t0 = clock_mono_ns();
            rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_RESTART, &log_frames,
                                           &done_frames);
            pthread_mutex_unlock(&s->write_mu);
            int64_t us = (clock_mono_ns() - t0) / 1000;
            if (us > 10000) { /* the writers waited this long: worth knowing when tails grow */
                log_info("checkpoint_slow", "ms=%.1f frames=%d", (double)us / 1000.0, log_frames);
            }
        }
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        log_warn("checkpoint_failed", "error=\"%s\"", sqlite3_errstr(rc));
    }
}

/*
 * The writer's own backstop, called by SQLite after each commit on the writer connection. The
 * checkpointer's RESTART needs the writer between two transactions; a bulk import holds it for
 * seconds and takes it again at once, the try never wins, and the WAL grew to 1.2 GB over a
 * million rows (each new frame extending the file, each page read searching a bigger WAL
 * index). So when the WAL passes CKPT_WRITER_FRAMES the committing writer restarts it itself,
 * still holding the write lock: the passive rounds have copied most frames already.
 */
#define CKPT_WRITER_FRAMES (4 * CKPT_RESTART_FRAMES)

static int brief_waits(void *arg, int tries)
{
    (void)arg;
    if (tries >= 200) {
        return 0; /* 20 ms: a long reader (a report, an export) makes it wait for next time */
    }
    struct timespec ts = {0, 100 * 1000};
    nanosleep(&ts, NULL);
    return 1;
}

int sq_wal_backstop(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct sq_store *s = arg;
    if (frames > CKPT_WRITER_FRAMES) {
        sqlite3_busy_handler(db, brief_waits, NULL);
        int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
        sqlite3_busy_timeout(db, s->busy_ms);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            log_warn("checkpoint_failed", "by=writer error=\"%s\"", sqlite3_errstr(rc));
        }
    }
    return SQLITE_OK;
}

/*
 * Busy handler of the checkpointer. A RESTART waits for readers of old snapshots, which finish
 * within a millisecond; SQLite's own handler sleeps 1, 2, 5, 10, ... ms between tries, which held
 * the writer for 20-70 ms per restart (measured). Poll every 100 us instead, up to the busy
 * timeout.
 */
static int short_waits(void *arg, int tries)
{
    struct sq_store *s = arg;
    if ((int64_t)tries * 100 >= (int64_t)s->busy_ms * 1000) {
        return 0;
    }
    struct timespec ts = {0, 100 * 1000};
    nanosleep(&ts, NULL);
    return 1;
}

static void *checkpointer(void *arg)
{
    struct sq_store *s = arg;
    struct sq_conn *c = NULL;
    pthread_setname_np(pthread_self(), "kt-checkpoint");
    if (sq_conn_open(s, &c, NULL) != KT_OK) {
        log_error("checkpointer", "msg=\"cannot open a connection; WAL will grow until close\"");
        return NULL;
    }
    /* Checkpoints are what grows the database file. Growing it in large steps keeps the size
     * stable for long stretches, so the readers' memory maps are not redone (and every CPU's
     * TLB flushed) after each checkpoint. */
    int chunk = CKPT_FILE_CHUNK;
    sqlite3_file_control(c->db, "main", SQLITE_FCNTL_CHUNK_SIZE, &chunk);
    sqlite3_busy_handler(c->db, short_waits, s);
    pthread_mutex_lock(&s->ckpt_mu);
    while (!s->ckpt_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CKPT_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->ckpt_cv, &s->ckpt_mu, &until);
        if (s->ckpt_stop) {
            break;
        }
        pthread_mutex_unlock(&s->ckpt_mu);
        checkpoint(s, c);
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
    pthread_mutex_unlock(&s->ckpt_mu);
}

void sq_checkpointer_stop(struct sq_store *s)
{
    pthread_mutex_lock(&s->ckpt_mu);
    bool running = s->ckpt_running;
    s->ckpt_stop = true;
    pthread_cond_signal(&s->ckpt_cv);
    pthread_mutex_unlock(&s->ckpt_mu);
    if (running) {
        pthread_join(s->ckpt_thread, NULL);
    }
}
