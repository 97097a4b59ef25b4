/*
 * pg.c - the PostgreSQL backend (docs/scale.md): the store over libpq, so that any number of
 * `kartoteka serve` processes share one database. The operations are the SQL layer's
 * (store/sql/); this file holds the pools, transactions, migrations and health.
 *
 *   - Pools of connections, made on demand: `rw` on the primary for writes and the tills'
 *     reads, `ro` for analytics - on the replica given by --db-read, else the primary's own
 *     connections of a pool of their own, so a long read never takes a till's connection.
 *   - A read is one snapshot: REPEATABLE READ, READ ONLY.
 *   - A write is READ COMMITTED under the writers' lock (pg_advisory_xact_lock): writes are
 *     serialised across every process as SQLite's one writer serialises them in one, so the
 *     operations written for SQLite - read, decide, write - stay right with any number of
 *     servers. Reads never wait for it. A narrow write (a till's receipt or refund) holds the
 *     lock shared and claims its receipt number and customer alone (two-key advisory locks),
 *     so the tills' writes run side by side and wait only for each other's customer.
 *   - A connection lost is closed when given back, and the next call makes a new one; while the
 *     server cannot be reached, calls answer 503 store_unavailable with Retry-After.
 *   - Migrations (src/store/migrations/pg/, compiled in) run under a session lock, so servers
 *     started together apply each once; the first is a baseline at the SQLite schema's version.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/embed.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/pg/pg_int.h"

extern const struct embedded_file pg_migrations[];
extern const size_t pg_migrations_count;
static const struct sql_hooks pg_hooks;

/* The writers' lock and the migrations' lock: two keys of pg_advisory_*lock. */
#define WRITE_LOCK        "SELECT pg_advisory_xact_lock(7201601)"
#define WRITE_LOCK_SHARED "SELECT pg_advisory_xact_lock_shared(7201601)"
#define MIGRATE_LOCK      7201602

/* ---- pools --------------------------------------------------------------------------------- */

void pg_pool_init(struct pg_pool *pool, const char *url, int max)
{
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    pool->url = url;
    pool->max = max;
    pool->backoff_ms = 0;
    pool->retry_at = 0;
    pool->trying = false;
}

void pg_pool_close(struct pg_pool *pool)
{
    if (pool->url == NULL) {
        return;
    }
    pthread_mutex_lock(&pool->mu);
    while (pool->free != NULL) {
        struct pg_conn *c = pool->free;
        pool->free = c->next;
        pool->open--;
        pg_disconnect(c);
    }
    pthread_mutex_unlock(&pool->mu);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    pool->url = NULL;
}

/* An idle connection is still open when its socket is quiet: the server has nothing to say to a
 * connection between statements, and one it closed (a restart, a crash, a terminated backend)
 * is readable - its farewell, or the end of the stream. */
static bool idle_alive(struct pg_conn *c)
{
    struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};
    return PQstatus(c->pg) == CONNECTION_OK && p.fd >= 0 && poll(&p, 1, 0) == 0;
}

static int64_t mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}

static int seconds_of(int ms)
{
    return ms <= 1000 ? 1 : (ms + 999) / 1000;
}

/* A new connection of the pool, its place already counted in pool->open (given back on failure),
 * and the pause after a failure set or, after a success, lifted. */
static struct pg_conn *pool_connect(struct pg_store *s, struct pg_pool *pool, struct kt_err *err)
{
    struct pg_conn *c = pg_connect(&s->base.base, pool->url, err);
    if (c != NULL) {
        char text[64];
        snprintf(text, sizeof(text), "SET lock_timeout = %d", s->busy_ms);
        int rc = pg_exec(c, text);
        if (rc != SQL_OK) {
            pg_fail(c, rc, "connect", err);
            pg_disconnect(c);
            c = NULL;
        }
    }
    pthread_mutex_lock(&pool->mu);
    pool->trying = false;
    if (c == NULL) {
        pool->open--;
        int b = pool->backoff_ms * 2;
        pool->backoff_ms = b < PG_BACKOFF_MIN_MS   ? PG_BACKOFF_MIN_MS
                           : b > PG_BACKOFF_MAX_MS ? PG_BACKOFF_MAX_MS
                                                   : b;
        pool->retry_at = mono_ms() + pool->backoff_ms;
        if (err != NULL && strcmp(err->code, "store_unavailable") == 0) {
            err->retry_after = seconds_of(pool->backoff_ms);
        }
        pthread_cond_signal(&pool->cv);
    } else if (pool->backoff_ms > 0) {
        log_info("store_reconnected", "after_ms=%d", pool->backoff_ms);
        pool->backoff_ms = 0;
    }
    pthread_mutex_unlock(&pool->mu);
    return c;
}

enum kt_rc pg_pool_get(struct pg_store *s, struct pg_pool *pool, struct pg_conn **out,
                       struct kt_err *err)
{
    *out = NULL;
    struct timespec until;
    clock_deadline(s->busy_ms, &until);
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (pool->free == NULL && pool->open >= pool->max) {
            if (pthread_cond_timedwait(&pool->cv, &pool->mu, &until) != 0) {
                pthread_mutex_unlock(&pool->mu);
                kt_err_set(err, KT_EBUSY, "store_busy", NULL,
                           "the database is busy; retry shortly");
                kt_err_detail(err, "every connection of the pool is taken (%d)", pool->max);
                return KT_EBUSY;
            }
        }
        struct pg_conn *c = pool->free;
        if (c == NULL) {
            break;
        }
        pool->free = c->next;
        c->pooled = false;
        if (idle_alive(c)) {
            pthread_mutex_unlock(&pool->mu);
            *out = c;
            return KT_OK;
        }
        pool->open--; /* closed by the server while it waited here: dropped, the next looked at */
        pthread_mutex_unlock(&pool->mu);
        pg_disconnect(c);
        pthread_mutex_lock(&pool->mu);
    }
    /* A new connection. After a failed one, a single caller tries again once the pause is over;
     * the others answer at once rather than wait for it or try too. */
    int64_t now = mono_ms();
    if (pool->backoff_ms > 0 && (pool->trying || now < pool->retry_at)) {
        int left = pool->trying ? pool->backoff_ms : (int)(pool->retry_at - now);
        pthread_mutex_unlock(&pool->mu);
        return pg_unavailable(err, seconds_of(left), "connect",
                              "the last connect failed; waiting before the next");
    }
    pool->trying = pool->backoff_ms > 0;
    pool->open++; /* a place held while connecting, without the mutex */
    pthread_mutex_unlock(&pool->mu);
    *out = pool_connect(s, pool, err);
    return *out != NULL ? KT_OK : err ? err->rc : KT_EBUSY;
}

void pg_pool_put(struct pg_pool *pool, struct pg_conn *c)
{
    c->base.analytics = false;
    if (!c->broken && PQstatus(c->pg) != CONNECTION_OK) {
        c->broken = true;
    }
    pthread_mutex_lock(&pool->mu);
    if (c->pooled) { /* ended twice: two threads would share it next */
        pthread_mutex_unlock(&pool->mu);
        sql_conn_given_twice();
        return;
    }
    if (c->broken) {
        pool->open--;
    } else {
        c->pooled = true;
        c->next = pool->free;
        pool->free = c;
    }
    pthread_cond_signal(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
    if (c->broken) {
        pg_disconnect(c);
    }
}

/* ---- migrations ---------------------------------------------------------------------------- */

static int newest_version(void)
{
    int v = 0;
    for (size_t i = 0; i < pg_migrations_count; i++) {
        int m = sql_migration_version(pg_migrations[i].name);
        v = m > v ? m : v;
    }
    return v;
}

/* The newest migration recorded (0 for a database never migrated). */
static enum kt_rc read_version(struct pg_conn *c, int *have, struct kt_err *err)
{
    int rc = pg_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY "
                        "KEY, name text NOT NULL, applied_at bigint NOT NULL)");
    if (rc != SQL_OK) {
        return pg_fail(c, rc, "schema version", err);
    }
    struct sql_stmt *st = NULL;
    rc = sql_prepare(&c->base, "SELECT coalesce(max(version), 0) FROM schema_migrations", &st);
    if (rc != SQL_OK) {
        return pg_fail(c, rc, "schema version", err);
    }
    int64_t v = 0;
    enum kt_rc r = sql_int_row(&c->base, st, &v, 1, "schema version", err);
    sql_finalize(st);
    *have = (int)v;
    return r;
}

/* Says in the log when the server may lose commits it answered (docs/scale.md, "When the
 * database goes away"): the operator's choice to make, not the store's to override. */
static void warn_durability(struct pg_conn *c)
{
    PGresult *res = PQexec(c->pg, "SELECT current_setting('synchronous_commit'), "
                                  "current_setting('fsync')");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        const char *sync = PQgetvalue(res, 0, 0), *fsync = PQgetvalue(res, 0, 1);
        if (strcmp(sync, "off") == 0 || strcmp(fsync, "off") == 0) {
            log_warn("pg_commits_unsafe",
                     "synchronous_commit=%s fsync=%s: a crash of the database loses commits "
                     "already answered",
                     sync, fsync);
        }
    }
    PQclear(res);
}

static enum kt_rc apply_one(struct pg_conn *c, const struct embedded_file *m, struct kt_err *err)
{
    int rc = pg_exec(c, "BEGIN");
    rc = rc == SQL_OK ? pg_exec(c, m->data) : rc;
    if (rc == SQL_OK) {
        struct sql_stmt *st = NULL;
        rc = sql_prepare(&c->base,
                         "INSERT INTO schema_migrations (version, name, applied_at) "
                         "VALUES (?1, ?2, ?3)",
                         &st);
        if (rc == SQL_OK) {
            sql_bind_i64(st, 1, sql_migration_version(m->name));
            sql_bind_textn(st, 2, m->name, -1, SQL_STATIC);
            sql_bind_i64(st, 3, clock_now_ms());
            rc = sql_step(st);
            rc = rc == SQL_DONE ? SQL_OK : rc;
        }
        sql_finalize(st);
    }
    rc = rc == SQL_OK ? pg_exec(c, "COMMIT") : rc;
    if (rc != SQL_OK) {
        enum kt_rc r = pg_fail(c, rc, "migration", err);
        kt_err_detail(err, "migration %s failed: %s", m->name, c->errmsg ? c->errmsg : "");
        pg_exec(c, "ROLLBACK");
        return r;
    }
    return KT_OK;
}

/* Applies what is missing, under the migrations' lock (other servers wait for it). */
static enum kt_rc migrate_on(struct pg_conn *c, int *applied, struct kt_err *err)
{
    char lock[64], unlock[64];
    snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%d)", MIGRATE_LOCK);
    snprintf(unlock, sizeof(unlock), "SELECT pg_advisory_unlock(%d)", MIGRATE_LOCK);
    int src = pg_exec(c, lock);
    if (src != SQL_OK) {
        return pg_fail(c, src, "migration lock", err);
    }
    int have = 0;
    enum kt_rc rc = read_version(c, &have, err);
    for (size_t i = 0; rc == KT_OK && i < pg_migrations_count; i++) {
        const struct embedded_file *m = &pg_migrations[i];
        if (sql_migration_version(m->name) <= have) {
            continue;
        }
        rc = apply_one(c, m, err);
        if (rc == KT_OK) {
            log_info("migration_applied", "name=%s", m->name);
            (*applied)++;
        }
    }
    pg_exec(c, unlock);
    return rc;
}

static enum kt_rc pg_migrate(struct store *base, int *applied, struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    *applied = 0;
    struct pg_conn *c = NULL;
    enum kt_rc rc = pg_pool_get(s, &s->rw, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = migrate_on(c, applied, err);
    pg_pool_put(&s->rw, c);
    if (rc == KT_OK && s->base.crypt != NULL) {
        rc = pg_keys_attach(base, err);
    }
    return rc;
}

static enum kt_rc pg_schema_version(struct store *base, int *have, int *want, struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    *want = newest_version();
    struct pg_conn *c = NULL;
    enum kt_rc rc = pg_pool_get(s, &s->rw, &c, err);
    if (rc == KT_OK) {
        rc = read_version(c, have, err);
        pg_pool_put(&s->rw, c);
    }
    return rc;
}

/* ---- transactions -------------------------------------------------------------------------- */

static enum kt_rc pg_read_begin(struct store *base, bool analytics, struct store_conn **out,
                                struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_pool *pool = analytics ? &s->ro : &s->rw;
    struct pg_conn *c = NULL;
    *out = NULL;
    enum kt_rc rc = pg_pool_get(s, pool, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    int src = pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    if (src != SQL_OK) {
        rc = pg_fail(c, src, "read", err);
        pg_pool_put(pool, c);
        return rc;
    }
    c->in_tx = true;
    c->base.analytics = analytics;
    *out = &c->base.base;
    return KT_OK;
}

static struct pg_pool *pool_of(struct pg_store *s, struct pg_conn *c)
{
    return c->base.analytics ? &s->ro : &s->rw;
}

static void pg_read_end(struct store_conn *base)
{
    struct pg_conn *c = (struct pg_conn *)base;
    struct pg_store *s = (struct pg_store *)base->store;
    if (c->in_tx && pg_exec(c, "ROLLBACK") != SQL_OK) {
        c->broken = true;
    }
    c->in_tx = false;
    pg_pool_put(pool_of(s, c), c);
}

static enum kt_rc pg_write_begin(struct store *base, bool narrow, struct store_conn **out,
                                 struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c = NULL;
    *out = NULL;
    enum kt_rc rc = pg_pool_get(s, &s->rw, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    /* One round trip: the transaction and the writers' lock. */
    int src = pg_exec(c, narrow ? "BEGIN; " WRITE_LOCK_SHARED : "BEGIN; " WRITE_LOCK);
    c->in_tx = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
    if (src != SQL_OK) {
        rc = pg_fail(c, src, "write", err);
        if (c->in_tx) {
            pg_exec(c, "ROLLBACK");
        }
        c->in_tx = false;
        pg_pool_put(&s->rw, c);
        return rc;
    }
    c->narrow = narrow;
    *out = &c->base.base;
    return KT_OK;
}

/* A narrow write's claim: an advisory lock of two keys (the kind, the hash), which live apart
 * from the one-key writers' lock, held to the end of the transaction. */
static enum kt_rc pg_write_claim(struct store_conn *base, int what, int32_t key, struct kt_err *err)
{
    struct pg_conn *c = (struct pg_conn *)base;
    if (!c->narrow) {
        return KT_OK;
    }
    char text[80];
    snprintf(text, sizeof(text), "SELECT pg_advisory_xact_lock(%d, %d)", what, (int)key);
    int src = pg_exec(c, text);
    return src == SQL_OK ? KT_OK : pg_fail(c, src, "claim", err);
}

static enum kt_rc pg_write_end(struct store_conn *base, bool commit, struct kt_err *err)
{
    struct pg_conn *c = (struct pg_conn *)base;
    struct pg_store *s = (struct pg_store *)base->store;
    enum kt_rc rc = KT_OK;
    if (commit && (err == NULL || err->rc == KT_OK)) {
        int src = pg_exec(c, "COMMIT");
        if (src != SQL_OK) {
            rc = pg_fail(c, src, "commit", err);
        } else if (atomic_load(&s->base.writes_failing) != 0) {
            sql_writes_work_again(&s->base);
        }
        if (src == SQL_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
            c->in_tx = false;
        }
    }
    if (c->in_tx && pg_exec(c, "ROLLBACK") != SQL_OK) {
        c->broken = true;
    }
    c->in_tx = false;
    c->narrow = false;
    pg_pool_put(&s->rw, c);
    return rc;
}

/* Whether the primary answers: a connection made or taken, and a statement run on it. */
static enum kt_rc pg_health(struct store *base, struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c = NULL;
    enum kt_rc rc = pg_pool_get(s, &s->rw, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    int src = pg_exec(c, "SELECT 1");
    rc = src == SQL_OK ? KT_OK : pg_fail(c, src, "health", err);
    pg_pool_put(&s->rw, c);
    return rc;
}

/* Nothing to wipe: PostgreSQL's WAL and dead rows are the server's, and what an erasure leaves in
 * them is sealed under a data key it destroyed (docs/scale.md, "Erasure on PostgreSQL"). */
static enum kt_rc pg_wipe_wal(struct store *base, struct kt_err *err)
{
    (void)base;
    (void)err;
    return KT_OK;
}

/* ---- open and close ------------------------------------------------------------------------ */

static void pg_close(struct store *base)
{
    struct pg_store *s = (struct pg_store *)base;
    if (s == NULL) {
        return;
    }
    pg_keys_close(base);
    pg_pool_close(&s->ro);
    pg_pool_close(&s->rw);
    crypt_free(s->base.crypt);
    free(s->url);
    free(s->read_url);
    free(s);
}

/* The policy of optional sealed fields: PostgreSQL keeps city, birth date and gender clear (its
 * columns are text, for segments to compare); asking for them sealed is refused. */
static enum kt_rc sealed_policy(const struct store_opts *o, struct kt_err *err)
{
    if (o->sealed_fields > 0) {
        return kt_err_set(err, KT_EINVAL, "sealed_fields_unsupported", NULL,
                          "--sealed-fields is not available on PostgreSQL: city, birth date and "
                          "gender stay clear there (docs/scale.md)");
    }
    return KT_OK;
}

static enum kt_rc pg_open(const struct store_opts *o, struct store **out, struct kt_err *err)
{
    struct pg_store *s = kt_calloc(1, sizeof(*s));
    s->base.base.ops = &store_pg_ops;
    s->base.hooks = &pg_hooks;
    s->base.crypt = o->crypt;
    s->base.rotating = o->crypt != NULL && crypt_has_next(o->crypt);
    s->url = kt_strdup(o->path);
    s->read_url = o->read_path ? kt_strdup(o->read_path) : NULL;
    s->busy_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000;
    int max = o->max_readers > 0 ? o->max_readers : 64;
    pg_pool_init(&s->rw, s->url, max);
    pg_pool_init(&s->ro, s->read_url ? s->read_url : s->url, max);
    enum kt_rc rc = sealed_policy(o, err);
    int have = 0, want = newest_version(), applied = 0;
    struct pg_conn *c = NULL;
    if (rc == KT_OK) {
        rc = pg_pool_get(s, &s->rw, &c, err);
    }
    if (rc == KT_OK) {
        warn_durability(c);
        rc = read_version(c, &have, err);
    }
    if (rc == KT_OK && have > want) {
        rc = kt_err_set(err, KT_ESTORE, "schema_ahead", NULL,
                        "the database schema (version %d) is newer than this binary knows (%d)",
                        have, want);
    } else if (rc == KT_OK && have < want && o->schema == STORE_REFUSE_OLD) {
        rc = kt_err_set(err, KT_ESTORE, "schema_behind", NULL,
                        "the database schema is at version %d, this binary needs %d; run "
                        "'kartoteka migrate'",
                        have, want);
    } else if (rc == KT_OK && o->schema == STORE_MIGRATE && have < want) {
        rc = migrate_on(c, &applied, err);
    }
    if (c != NULL) {
        pg_pool_put(&s->rw, c);
    }
    if (rc == KT_OK && s->base.crypt == NULL && o->schema != STORE_AS_IS) {
        rc = kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                        "the database was opened without its keys");
    } else if (rc == KT_OK && s->base.crypt != NULL && o->schema != STORE_AS_IS) {
        rc = pg_keys_attach(&s->base.base, err);
    }
    if (rc != KT_OK) {
        pg_close(&s->base.base);
        return rc;
    }
    *out = &s->base.base;
    return KT_OK;
}

static const struct sql_hooks pg_hooks = {
    .dk = pg_dk,
    .dk_many = pg_dk_many,
    .keys_shred = pg_keys_shred,
    .keys_rotate = pg_keys_rotate,
    .reads_add = pg_reads_add,
    .reads_chain = pg_reads_chain,
    .reads_list = pg_reads_list,
    .reads_subjects = pg_reads_subjects,
    .keys_conn = pg_keys_conn,
    .keys_conn_put = pg_keys_conn_put,
    .reads_conn = pg_reads_conn,
    .reads_conn_put = pg_reads_conn_put,
};

const struct store_ops store_pg_ops = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .schema_version = pg_schema_version,
    .migrate = pg_migrate,
    .read_begin = pg_read_begin,
    .read_end = pg_read_end,
    .write_begin = pg_write_begin,
    .write_claim = pg_write_claim,
    .write_end = pg_write_end,
    .health = pg_health,
    .wipe_wal = pg_wipe_wal,
    .replica_lag = pg_replica_lag,
#define STORE_OP(name, params, args) .name = sql_##name,
#include "store/store_ops.def"
};
