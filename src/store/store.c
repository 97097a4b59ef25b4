/*
 * store.c - dispatch to the backend, and the per-thread database-time counter for /metrics.
 *
 * Each wrapper times the backend call with the monotonic clock; the HTTP layer takes the sum per
 * request. The wrappers of the operations are made from store_ops.def at the end of this file;
 * only the lifecycle is written out. The wrappers hold no logic: a rule about customers belongs
 * in identity/, a query in the backend.
 */
#include "store/store_impl.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

static _Thread_local int64_t db_ns;  /* this thread's database time since the last take */
static _Thread_local int reads_open; /* read snapshots this thread holds */

int64_t store_db_time_take(void)
{
    int64_t v = db_ns;
    db_ns = 0;
    return v;
}

#define TIMED(expr)                                                                                \
    do {                                                                                           \
        int64_t t0_ = clock_mono_ns();                                                             \
        enum kt_rc rc_ = (expr);                                                                   \
        db_ns += clock_mono_ns() - t0_;                                                            \
        return rc_;                                                                                \
    } while (0)

enum kt_rc store_open(const struct store_opts *opts, struct store **out, struct kt_err *err)
{
    *out = NULL;
    if (opts->read_path != NULL && !store_is_pg(opts->path)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "db-read",
                          "--db-read names a PostgreSQL replica; an SQLite database has none");
    }
    if (opts->read_path != NULL && !store_is_pg(opts->read_path)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "db-read",
                          "--db-read takes a PostgreSQL URL (postgres://...)");
    }
    if (store_is_pg(opts->path)) {
        return store_pg_ops.open(opts, out, err);
    }
    return store_sqlite_ops.open(opts, out, err);
}

bool store_is_pg(const char *path)
{
    return path != NULL &&
           (strncmp(path, "postgres://", 11) == 0 || strncmp(path, "postgresql://", 13) == 0);
}

void store_close(struct store *s)
{
    if (s != NULL) {
        s->ops->close(s);
    }
}

enum kt_rc store_schema_version(struct store *s, int *have, int *want, struct kt_err *err)
{
    return s->ops->schema_version(s, have, want, err);
}

enum kt_rc store_migrate(struct store *s, int *applied, struct kt_err *err)
{
    return s->ops->migrate(s, applied, err);
}

static enum kt_rc read_begin(struct store *s, bool analytics, struct store_conn **out,
                             struct kt_err *err)
{
    int64_t t0 = clock_mono_ns();
    enum kt_rc rc = s->ops->read_begin(s, analytics, out, err);
    db_ns += clock_mono_ns() - t0;
    reads_open += rc == KT_OK;
    return rc;
}

enum kt_rc store_read_begin(struct store *s, struct store_conn **out, struct kt_err *err)
{
    return read_begin(s, false, out, err);
}

enum kt_rc store_read_begin_analytics(struct store *s, struct store_conn **out, struct kt_err *err)
{
    return read_begin(s, true, out, err);
}

void store_read_end(struct store_conn *c)
{
    if (c != NULL) {
        int64_t t0 = clock_mono_ns();
        c->ops->read_end(c);
        db_ns += clock_mono_ns() - t0;
        reads_open--;
    }
}

/* Waits for the writer, counted among those waiting unless `bulk`. */
static enum kt_rc write_begin(struct store *s, bool narrow, bool bulk, struct store_conn **out,
                              struct kt_err *err)
{
    if (reads_open > 0) {
        /* A thread that waits for the writer while it holds a snapshot can stall the checkpoint
         * that waits for that snapshot: a bug, refused loudly. */
        *out = NULL;
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                          "a write was begun while this thread holds a read snapshot");
    }
    int64_t t0 = clock_mono_ns();
    if (bulk) { /* give way, for a while, to every other write waiting */
        int64_t until = t0 + (int64_t)STORE_BULK_YIELD_MS * 1000000;
        while (atomic_load(&s->write_waiting) > 0 && clock_mono_ns() < until) {
            nanosleep(&(struct timespec){0, 200 * 1000}, NULL);
        }
    } else {
        atomic_fetch_add(&s->write_waiting, 1);
    }
    enum kt_rc rc = s->ops->write_begin(s, narrow, out, err);
    if (!bulk) {
        atomic_fetch_sub(&s->write_waiting, 1);
    }
    db_ns += clock_mono_ns() - t0;
    return rc;
}

enum kt_rc store_write_begin(struct store *s, struct store_conn **out, struct kt_err *err)
{
    return write_begin(s, false, false, out, err);
}

enum kt_rc store_write_begin_narrow(struct store *s, struct store_conn **out, struct kt_err *err)
{
    return write_begin(s, true, false, out, err);
}

enum kt_rc store_write_begin_bulk(struct store *s, struct store_conn **out, struct kt_err *err)
{
    return write_begin(s, false, true, out, err);
}

bool store_write_waiting(struct store *s)
{
    return atomic_load(&s->write_waiting) > 0;
}

enum kt_rc store_write_claim(struct store_conn *w, enum store_claim what, const void *key,
                             size_t len, struct kt_err *err)
{
    uint32_t h = 2166136261u; /* FNV-1a: a claim's key need only spread, not resist anyone */
    for (size_t i = 0; i < len; i++) {
        h = (h ^ ((const unsigned char *)key)[i]) * 16777619u;
    }
    TIMED(w->ops->write_claim(w, (int)what, (int32_t)h, err));
}

enum kt_rc store_write_end(struct store_conn *c, enum kt_rc rc, struct kt_err *err)
{
    int64_t t0 = clock_mono_ns();
    enum kt_rc end = c->ops->write_end(c, rc == KT_OK, err);
    db_ns += clock_mono_ns() - t0;
    return rc != KT_OK ? rc : end;
}

void store_write_rollback(struct store_conn *c)
{
    int64_t t0 = clock_mono_ns();
    c->ops->write_end(c, false, NULL);
    db_ns += clock_mono_ns() - t0;
}

enum kt_rc store_health(struct store *s, struct kt_err *err)
{
    return s->ops->health(s, err);
}

enum kt_rc store_replica_lag(struct store *s, bool *has, int64_t *lag_ms, struct kt_err *err)
{
    TIMED(s->ops->replica_lag(s, has, lag_ms, err));
}

enum kt_rc store_wipe_wal(struct store *s, struct kt_err *err)
{
    return s->ops->wipe_wal(s, err);
}

/* The operations of store_ops.def: each times its backend call. The handle (first argument, a
 * connection or the store) leads to the backend's table. */
#define STORE_FIRST_(handle, ...) handle
#define STORE_FIRST(args)         STORE_FIRST_ args
#define STORE_OP(name, params, args)                                                               \
    enum kt_rc store_##name params                                                                 \
    {                                                                                              \
        TIMED(STORE_FIRST(args)->ops->name args);                                                  \
    }
#include "store/store_ops.def"
