/*
 * sqlite.c - the embedded SQLite backend (the default; one file in WAL mode).
 *
 * Connections: one writer, guarded by a mutex and handed out for one write transaction at a time,
 * plus a pool of readers that grows on demand up to max_readers. WAL lets readers run beside the
 * writer; each read_begin opens a transaction so a request sees one snapshot. Statements are
 * prepared once per connection (lazily, SQLITE_PREPARE_PERSISTENT) and always reset after use,
 * so no statement is ever left running between calls.
 *
 * Checkpoints run in a background thread on a connection of their own (wal.c).
 *
 * This file holds the connections, migrations, transactions and the store's health; the
 * statement helpers and the mapping of errors are in stmt.c, and each table's statements in the
 * file of its concern: keys.c (meta, API keys, idempotency), customers.c (customers,
 * identifiers, history, merge candidates, attributes), imports.c, rejects.c, privacy.c,
 * loyalty.c, cards.c, events.c, segments.c (with cond.c), quality.c, erase.c, and the log of
 * reads in reads.c. Sealed columns go through seal.c, the key store is keystore.c, and migration
 * 0013's C half (run after its SQL: the schema edit in its transaction, the data step at every
 * open that migrates until it is done) is seal_migrate.c.
 *
 * Durability: synchronous=NORMAL. In WAL mode a commit is durable against a process crash at once
 * and against a power cut from the next checkpoint (SQLite's documented trade-off); this is the
 * setting the benchmarks compare against.
 *
 * Invariants: only store/sqlite/ includes sqlite3.h; every value reaches SQL as a bound parameter.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "base/clock.h"
#include "base/embed.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/sql/event_levels.h"
#include "store/sqlite/sqlite_int.h"

extern const struct embedded_file sqlite_migrations[];
extern const size_t sqlite_migrations_count;
static const struct sql_hooks sq_hooks;

/* ---- connections ------------------------------------------------------------------------- */

void sq_conn_close(struct sq_conn *c)
{
    if (c == NULL) {
        return;
    }
    sql_conn_finalize(&c->base);
    sq_conn_ks_close(c);
    sqlite3_close(c->db);
    free(c);
}

/* The writer's page cache, KiB: 256 MiB (each reader keeps 16). Event ingestion touches index
 * pages all over (the anonymous events' cookie index and the message ids are random keys); with
 * 16 MiB the writer read them back from the file over and over: 37,000 events/s against 47,000
 * with 256 MiB in one sitting (BENCHMARKS.md, "100,000 events a second"). SQLite takes the
 * memory as pages are used, not at once. */
#define WRITER_CACHE_KIB "262144"

enum kt_rc sq_conn_open(struct sq_store *s, struct sq_conn **out, struct kt_err *err)
{
    struct sq_conn *c = kt_calloc(1, sizeof(*c));
    c->base.base.ops = &store_sqlite_ops;
    c->base.base.store = &s->base.base;
    c->base.drv = &sq_driver;
    enum kt_rc rc = KT_OK;
    int src = sqlite3_open_v2(
        s->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = sq_fail_raw(c, src, "open", err);
        goto out;
    }
    sqlite3_extended_result_codes(c->db, 0);
    sqlite3_busy_timeout(c->db, s->busy_ms);
    rc =
        sq_exec(c,
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384; "
                "PRAGMA mmap_size = 0; PRAGMA wal_autocheckpoint = 0; "
                "PRAGMA journal_size_limit = 134217728; PRAGMA secure_delete = ON;",
                err);
out:
    if (rc != KT_OK) {
        sq_conn_close(c);
        c = NULL;
    }
    *out = c;
    return rc;
}

/* ---- migrations -------------------------------------------------------------------------- */

/* The version this binary brings its databases to: its newest migration's number. Not their
 * count: numbers are reserved for work done in parallel (docs/privacy-plan.md), so a build may
 * have 0014 before 0013 lands. */
static int newest_version(void)
{
    int v = 0;
    for (size_t i = 0; i < sqlite_migrations_count; i++) {
        int m = sql_migration_version(sqlite_migrations[i].name);
        v = m > v ? m : v;
    }
    return v;
}

/* Whether migration `version` is recorded as applied. */
static enum kt_rc applied_one(struct sq_conn *c, int version, bool *yes, struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int src =
        sql_prepare(&c->base, "SELECT count(*) FROM schema_migrations WHERE version = ?1", &st);
    if (src != SQLITE_OK) {
        return sq_fail_raw(c, src, "schema version", err);
    }
    sql_bind_i64(st, 1, version);
    int64_t n = 0;
    enum kt_rc rc = sql_int_row(&c->base, st, &n, 1, "schema version", err);
    sql_finalize(st);
    *yes = n > 0;
    return rc;
}

/* The version a database is at, by which migrations it has, not by the newest alone: parts of
 * one issue reserve their numbers and land in any order, so a database may have 0016 without
 * 0013. It is the newest recorded when every migration this binary knows is there (then above
 * newest_version() means the database is ahead), else the number before the first one missing
 * (below newest_version(): sq_migrate applies each missing one). */
static enum kt_rc read_version(struct sq_conn *c, int *have, struct kt_err *err)
{
    enum kt_rc rc = sq_exec(c,
                            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                            "KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                            err);
    if (rc != KT_OK) {
        return rc;
    }
    struct sql_stmt *st = NULL;
    int src = sql_prepare(&c->base, "SELECT coalesce(max(version), 0) FROM schema_migrations", &st);
    if (src != SQLITE_OK) {
        return sq_fail_raw(c, src, "schema version", err);
    }
    int64_t v = 0;
    rc = sql_int_row(&c->base, st, &v, 1, "schema version", err);
    sql_finalize(st);
    int first_missing = 0;
    for (size_t i = 0; rc == KT_OK && i < sqlite_migrations_count; i++) {
        int m = sql_migration_version(sqlite_migrations[i].name);
        bool yes = false;
        rc = applied_one(c, m, &yes, err);
        if (rc == KT_OK && !yes && (first_missing == 0 || m < first_missing)) {
            first_missing = m;
        }
    }
    if (rc == KT_OK) {
        *have = first_missing ? first_missing - 1 : (int)v;
    }
    return rc;
}

static enum kt_rc sq_schema_version(struct store *base, int *have, int *want, struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)base;
    *want = newest_version();
    pthread_mutex_lock(&s->write_mu);
    enum kt_rc rc = read_version(s->writer, have, err);
    pthread_mutex_unlock(&s->write_mu);
    return rc;
}

static enum kt_rc apply_one(struct sq_conn *c, const struct embedded_file *m, struct kt_err *err)
{
    enum kt_rc rc = sq_exec(c, "BEGIN IMMEDIATE", err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = sq_exec(c, m->data, err);
    if (rc == KT_OK && sql_migration_version(m->name) == 13) {
        rc = sq_seal_schema(c, err); /* what the SQL cannot say (seal_migrate.c) */
    }
    if (rc == KT_OK) {
        struct sql_stmt *st = NULL;
        int src = sql_prepare(&c->base,
                              "INSERT INTO schema_migrations (version, name, applied_at) "
                              "VALUES (?1, ?2, ?3)",
                              &st);
        if (src == SQLITE_OK) {
            sql_bind_i64(st, 1, sql_migration_version(m->name));
            sql_bind_textn(st, 2, m->name, -1, SQL_STATIC);
            sql_bind_i64(st, 3, clock_now_ms());
            src = sql_step(st);
        }
        sql_finalize(st);
        if (src != SQLITE_DONE) {
            rc = sq_fail_raw(c, src, "record migration", err);
        }
    }
    if (rc == KT_OK) {
        rc = sq_exec(c, "COMMIT", err);
    }
    if (rc != KT_OK) {
        kt_err_detail(err, "migration %s failed", m->name);
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

/* An up-to-date database with its keys: the key store attached, the keys erasures queued
 * destroyed, and what is still clear sealed (when `run`; else pending work refuses). */
static enum kt_rc ready(struct sq_store *s, bool run, struct kt_err *err)
{
    int64_t shredded = 0;
    enum kt_rc rc = sq_keys_attach(s, err);
    rc = rc == KT_OK ? sq_keys_shred(&s->base.base, &shredded, err) : rc;
    rc = rc == KT_OK ? sq_seal_step(s, s->sealed_requested, run, err) : rc;
    return rc == KT_OK ? sq_sms_fold(s, run, err) : rc; /* after the sealing pass (sms_fold.c) */
}

static enum kt_rc sq_migrate(struct store *base, int *applied, struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)base;
    int have = 0;
    *applied = 0;
    pthread_mutex_lock(&s->write_mu);
    enum kt_rc rc = read_version(s->writer, &have, err);
    for (size_t i = 0; rc == KT_OK && i < sqlite_migrations_count; i++) {
        const struct embedded_file *m = &sqlite_migrations[i];
        bool yes = sql_migration_version(m->name) <= have;
        if (!yes) {
            rc = applied_one(s->writer, sql_migration_version(m->name), &yes, err);
        }
        if (rc != KT_OK || yes) {
            continue;
        }
        rc = apply_one(s->writer, m, err);
        if (rc == KT_OK) {
            log_info("migration_applied", "name=%s", m->name);
            (*applied)++;
        }
    }
    pthread_mutex_unlock(&s->write_mu);
    if (rc == KT_OK && s->base.crypt != NULL) {
        rc = ready(s, true, err); /* up to date now: the key store goes with it */
    }
    return rc;
}

/* ---- open and close ---------------------------------------------------------------------- */

static void sq_close(struct store *base)
{
    struct sq_store *s = (struct sq_store *)base;
    sq_checkpointer_stop(s);
    for (size_t i = 0; i < s->n_readers; i++) {
        sq_conn_close(s->readers[i]);
    }
    free(s->readers);
    if (s->writer != NULL) {
        /* The last connection to close checkpoints the WAL and removes it. */
        sq_conn_close(s->writer);
    }
    sq_flusher_close(s);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_cond_destroy(&s->pool_cv);
    pthread_cond_destroy(&s->restart_cv);
    pthread_mutex_destroy(&s->write_mu);
    pthread_mutex_destroy(&s->ckpt_mu);
    pthread_cond_destroy(&s->ckpt_cv);
    pthread_cond_destroy(&s->flush_cv);
    sq_reads_close(&s->reads);
    sq_keys_close(s);
    ev_level0_free(s->base.level0);
    free(s->path);
    free(s->dir);
    free(s);
}

/* One number a PRAGMA answers, on connection `c`; -1 on failure (a probe that raises nothing, so
 * it steps the statement itself). */
static int64_t pragma_int(struct sq_conn *c, const char *text)
{
    struct sql_stmt *st = NULL;
    int64_t v = -1;
    if (sql_prepare(&c->base, text, &st) == SQL_OK && sql_step(st) == SQL_ROW) {
        v = sql_col_i64(st, 0);
    }
    sql_finalize(st);
    return v;
}

/* --db-max-size: SQLite's own cap on the pages of the database (the writer is the only connection
 * that adds pages), a quota an operator sets to keep room on a shared disk. */
static enum kt_rc cap_size(struct sq_store *s, int64_t max_bytes, struct kt_err *err)
{
    struct sq_conn *w = s->writer;
    int64_t page = pragma_int(w, "PRAGMA page_size");
    char text[96];
    int64_t pages = max_bytes / (page > 0 ? page : 4096);
    s->max_pages = pages > 0 ? pages : 1;
    kt_snprintf(text, sizeof(text), "PRAGMA max_page_count = %lld",
                (long long)(pages > 0 ? pages : 1));
    return sq_exec(w, text, err);
}

static enum kt_rc sq_open(const struct store_opts *o, struct store **out, struct kt_err *err)
{
    struct sq_store *s = kt_calloc(1, sizeof(*s));
    s->base.base.ops = &store_sqlite_ops;
    s->base.hooks = &sq_hooks;
    s->reads.owner = &s->base.base;
    s->path = kt_strdup(o->path);
    s->dir = kt_strdup(o->path);
    char *slash = strrchr(s->dir, '/');
    if (slash == NULL) {
        kt_strlcpy(s->dir, ".", 2);
    } else {
        slash[slash == s->dir] = '\0';
    }
    pthread_mutex_init(&s->reads.mu, NULL);
    size_t pl = strlen(o->path) + sizeof(".reads");
    s->reads.path = kt_malloc(pl);
    kt_snprintf(s->reads.path, pl, "%s.reads", o->path);
    pthread_mutex_init(&s->keys.mu, NULL);
    s->keys.path = kt_malloc(pl);
    kt_snprintf(s->keys.path, pl, "%s.keys", o->path);
    s->base.crypt = o->crypt;
    s->base.level0 = ev_level0_new(); /* one writer: the events' two levels (event_levels.c) */
    s->sealed_requested = o->sealed_fields;
    s->base.rotating = o->crypt != NULL && crypt_has_next(o->crypt);
    s->busy_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000;
    s->max_readers = o->max_readers > 0 ? o->max_readers : 64;
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    pthread_cond_init(&s->restart_cv, NULL);
    pthread_mutex_init(&s->write_mu, NULL);
    pthread_mutex_init(&s->ckpt_mu, NULL);
    pthread_cond_init(&s->ckpt_cv, NULL);
    pthread_cond_init(&s->flush_cv, NULL);
    s->flush_fds[0] = s->flush_fds[1] = -1;
    int have = 0, want = newest_version(), applied = 0;
    enum kt_rc rc = sq_conn_open(s, &s->writer, err);
    if (rc == KT_OK && o->max_bytes > 0) {
        rc = cap_size(s, o->max_bytes, err);
    }
    if (rc == KT_OK) { /* the writer's pages: see WRITER_CACHE_KIB */
        rc = sq_exec(s->writer, "PRAGMA cache_size = -" WRITER_CACHE_KIB, err);
    }
    if (rc == KT_OK) {
        sqlite3_wal_hook(s->writer->db, sq_wal_backstop, s);
        rc = read_version(s->writer, &have, err);
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
    } else if (rc == KT_OK && o->schema == STORE_MIGRATE) { /* below the newest too */
        rc = sq_migrate(&s->base.base, &applied, err);
    }
    if (rc == KT_OK && s->base.crypt == NULL && o->schema != STORE_AS_IS) {
        rc = kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                        "the database was opened without its keys");
    } else if (rc == KT_OK && s->base.crypt != NULL && o->schema != STORE_AS_IS && have == want) {
        rc = ready(s, o->schema == STORE_MIGRATE, err); /* sq_migrate did it when it migrated */
    }
    if (rc == KT_OK && o->warm_keys && s->keys.db != NULL) {
        sq_keys_warm(s);
    }
    if (rc != KT_OK) {
        sq_close(&s->base.base);
        return rc;
    }
    sq_checkpointer_start(s);
    *out = &s->base.base;
    return KT_OK;
}

/* ---- transactions ------------------------------------------------------------------------ */

static void pool_put(struct sq_store *s, struct sq_conn *c)
{
    pthread_mutex_lock(&s->pool_mu);
    if (c->pooled) { /* ended twice: two threads would share it next */
        pthread_mutex_unlock(&s->pool_mu);
        sql_conn_given_twice();
        return;
    }
    c->pooled = true;
    sq_read_closed(s, c);
    c->next_free = s->free_readers;
    s->free_readers = c;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_mu);
    sq_read_after_close(s);
}

/* A reader from the pool (opening one when none is free and the cap allows), noted as handed
 * out; an analytic read first yields to a pending WAL restart (wal.c). */
static enum kt_rc pool_get(struct sq_store *s, bool analytics, struct sq_conn **out,
                           struct kt_err *err)
{
    struct sq_conn *c = NULL;
    enum kt_rc rc = KT_OK;
    pthread_mutex_lock(&s->pool_mu);
    if (analytics) {
        sq_read_yield(s);
    }
    while (s->free_readers == NULL && s->n_readers >= (size_t)s->max_readers) {
        pthread_cond_wait(&s->pool_cv, &s->pool_mu);
    }
    if (s->free_readers != NULL) {
        c = s->free_readers;
        s->free_readers = c->next_free;
        c->pooled = false;
    } else {
        rc = sq_conn_open(s, &c, err);
        if (rc == KT_OK) {
            s->readers = kt_realloc(s->readers, sizeof(*s->readers) * (s->n_readers + 1));
            s->readers[s->n_readers++] = c;
        }
    }
    if (rc == KT_OK) {
        sq_read_opened(s, c, analytics);
    }
    pthread_mutex_unlock(&s->pool_mu);
    *out = c;
    return rc;
}

static enum kt_rc sq_read_begin(struct store *base, bool analytics, struct store_conn **out,
                                struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)base;
    struct sq_conn *c = NULL;
    *out = NULL;
    enum kt_rc rc = pool_get(s, analytics, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = sq_exec(c, "BEGIN", err);
    if (rc != KT_OK) {
        pool_put(s, c);
        return rc;
    }
    *out = &c->base.base;
    return KT_OK;
}

static void sq_read_end(struct store_conn *base)
{
    struct sq_conn *c = (struct sq_conn *)base;
    if (!sqlite3_get_autocommit(c->db)) {
        sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    }
    pool_put((struct sq_store *)c->base.base.store, c);
}

/* A claim of a narrow write: nothing to take beside the one writer. */
static enum kt_rc sq_write_claim(struct store_conn *c, int what, int32_t key, struct kt_err *err)
{
    (void)c, (void)what, (void)key, (void)err;
    return KT_OK;
}

static enum kt_rc sq_write_begin(struct store *base, bool narrow, struct store_conn **out,
                                 struct kt_err *err)
{
    (void)narrow; /* one writer: every write is as narrow as can be */
    struct sq_store *s = (struct sq_store *)base;
    *out = NULL;
    struct timespec until;
    clock_deadline(s->busy_ms, &until);
    int prc = pthread_mutex_timedlock(&s->write_mu, &until);
    if (prc != 0) {
        kt_err_set(err, KT_EBUSY, "store_busy", NULL, "the database is busy; retry shortly");
        kt_err_detail(err, "writer wait: %s", prc == ETIMEDOUT ? "timed out" : "failed");
        return KT_EBUSY;
    }
    enum kt_rc rc = sq_exec(s->writer, "BEGIN IMMEDIATE", err);
    if (rc != KT_OK) {
        pthread_mutex_unlock(&s->write_mu);
        return rc;
    }
    s->changes_at_begin = sqlite3_total_changes64(s->writer->db);
    s->base.write_tx++;
    *out = &s->writer->base.base;
    return KT_OK;
}

static bool room_to_write(struct sq_store *s);

static enum kt_rc sq_write_end(struct store_conn *base, bool commit, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    struct sq_store *s = (struct sq_store *)c->base.base.store;
    enum kt_rc rc = KT_OK;
    bool committed = false;
    if (commit && (err == NULL || err->rc == KT_OK)) {
        rc = sq_exec(c, "COMMIT", err);
        committed = rc == KT_OK;
        if (rc == KT_OK && atomic_load(&s->base.writes_failing) != 0 &&
            sqlite3_total_changes64(c->db) > s->changes_at_begin && room_to_write(s)) {
            sql_writes_work_again(&s->base); /* a write reached the disk, and more will */
        }
    }
    if (!sqlite3_get_autocommit(c->db)) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (!committed && s->base.level0->added_tx == s->base.write_tx) {
        s->base.level0->valid = false; /* it holds what was rolled back: read it again */
    }
    pthread_mutex_unlock(&s->write_mu);
    return rc;
}

#define ROOM_BYTES (4 << 20) /* free on the disk before writes count as possible again */
#define ROOM_PAGES 64        /* pages under the --db-max-size cap, the same */

/* Whether a write would find room now: the disk writable with ROOM_BYTES free, and under the
 * cap ROOM_PAGES left (free pages inside the file count). */
static bool room_to_write(struct sq_store *s)
{
    struct statvfs v;
    if (statvfs(s->dir, &v) == 0 &&
        ((v.f_flag & ST_RDONLY) != 0 || (uint64_t)v.f_bavail * v.f_frsize < ROOM_BYTES)) {
        return false;
    }
    if (s->max_pages <= 0) {
        return true;
    }
    struct sq_conn *c;
    if (pool_get(s, false, &c, NULL) != KT_OK) {
        return false;
    }
    int64_t pages = pragma_int(c, "PRAGMA page_count");
    int64_t free_pages = pragma_int(c, "PRAGMA freelist_count");
    pool_put(s, c);
    return pages >= 0 && free_pages >= 0 && pages - free_pages + ROOM_PAGES <= s->max_pages;
}

/*
 * The store's health for /readyz: KT_OK, or KT_ESPACE while writes fail for want of disk. A write
 * that fails so sets the state; a write that succeeds ends it only when there is room for more
 * (a small row fits in a page with room long after a customer no longer does). A store taken out
 * of a load balancer gets no writes, though, so it would never learn that space was freed: while
 * writes fail, this looks for room itself - the disk's free space and, under --db-max-size, the
 * pages left.
 */
static enum kt_rc sq_health(struct store *base, struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)base;
    int cause = atomic_load(&s->base.writes_failing);
    if (cause == 0) {
        return KT_OK;
    }
    if (room_to_write(s)) {
        sql_writes_work_again(&s->base);
        return KT_OK;
    }
    return sq_no_space(s->writer, cause, "health", err);
}

static enum kt_rc sq_wipe_wal(struct store *base, struct kt_err *err)
{
    return sq_wal_wipe((struct sq_store *)base, err);
}

/* One file, no replica (store_open refuses --db-read). */
static enum kt_rc sq_replica_lag(struct store *base, bool *has, int64_t *lag_ms, struct kt_err *err)
{
    (void)base;
    (void)err;
    *has = false;
    *lag_ms = 0;
    return KT_OK;
}

/* What SQLite keeps apart from the database: the key store and the log of reads in files of
 * their own (keystore.c, reads.c). */
static const struct sql_hooks sq_hooks = {
    .dk = sq_dk,
    .dk_many = sq_dk_many,
    .keys_shred = sq_keys_shred,
    .keys_rotate = sq_keys_rotate,
    .reads_add = sq_reads_add,
    .reads_chain = sq_reads_chain,
    .reads_list = sq_reads_list,
    .reads_subjects = sq_reads_subjects,
    .keys_conn = sq_keys_conn,
    .keys_conn_put = sq_keys_conn_put,
    .reads_conn = sq_reads_conn,
    .reads_conn_put = sq_reads_conn_put,
};

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .schema_version = sq_schema_version,
    .migrate = sq_migrate,
    .read_begin = sq_read_begin,
    .read_end = sq_read_end,
    .write_begin = sq_write_begin,
    .write_claim = sq_write_claim,
    .write_end = sq_write_end,
    .health = sq_health,
    .wipe_wal = sq_wipe_wal,
    .replica_lag = sq_replica_lag,
#define STORE_OP(name, params, args) .name = sql_##name,
#include "store/store_ops.def"
};
