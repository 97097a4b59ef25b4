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
 * Durability: synchronous=NORMAL. In WAL mode a commit is durable against a process crash at once
 * and against a power cut from the next checkpoint (SQLite's documented trade-off); this is the
 * setting the benchmarks compare against.
 *
 * Invariants: only this file includes sqlite3.h; every value reaches SQL as a bound parameter.
 */
#include <assert.h>
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
#include "store/sqlite/sqlite_int.h"

extern const struct embedded_file sqlite_migrations[];
extern const size_t sqlite_migrations_count;

#define CUST_COLS                                                                                  \
    "ck, id, created_at, updated_at, merged_into, last_name, last_name_at, first_name, "           \
    "first_name_at, middle_name, middle_name_at, gender, gender_at, birth_date, birth_date_at, "   \
    "email, email_at, phone, phone_at, city, city_at, address, address_at, verified, attrs, "      \
    "attrs_at, quality, gender_inferred, name_key, erased_at"

#define IMPORT_COLS                                                                                \
    "id, state, file_name, path, options, error, "                                                 \
    "EXISTS (SELECT 1 FROM import_rejects r WHERE r.import_id = imports.id AND r.line > 1), "      \
    "bytes_total, bytes_done, rows_total, created, updated, unchanged, partial, rejected, "        \
    "created_at, started_at, finished_at"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [SQ_META_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [SQ_CUST_GET] = "SELECT " CUST_COLS " FROM customers WHERE ck = ?1",
    [SQ_CUST_GET_BY_ID] = "SELECT " CUST_COLS " FROM customers WHERE id = ?1",
    [SQ_CUST_INSERT] =
        "INSERT INTO customers (id, created_at, updated_at, last_name, last_name_at, first_name, "
        "first_name_at, middle_name, middle_name_at, gender, gender_at, birth_date, "
        "birth_date_at, email, email_at, phone, phone_at, city, city_at, address, address_at, "
        "verified, attrs, attrs_at, quality, gender_inferred, name_key) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
        "?23, ?24, ?25, ?26, ?27)",
    [SQ_CUST_UPDATE] =
        "UPDATE customers SET id = ?1, created_at = ?2, updated_at = ?3, last_name = ?4, "
        "last_name_at = ?5, first_name = ?6, first_name_at = ?7, middle_name = ?8, "
        "middle_name_at = ?9, gender = ?10, gender_at = ?11, birth_date = ?12, "
        "birth_date_at = ?13, email = ?14, email_at = ?15, phone = ?16, phone_at = ?17, "
        "city = ?18, city_at = ?19, address = ?20, address_at = ?21, verified = ?22, "
        "attrs = ?23, attrs_at = ?24, quality = ?25, gender_inferred = ?26, name_key = ?27 "
        "WHERE ck = ?28",
    [SQ_CUST_LIST_START] = "SELECT " CUST_COLS " FROM customers WHERE merged_into IS NULL "
                           "ORDER BY id LIMIT ?1",
    [SQ_CUST_LIST_AFTER] = "SELECT " CUST_COLS " FROM customers WHERE merged_into IS NULL "
                           "AND id > ?1 ORDER BY id LIMIT ?2",
    [SQ_CUST_SET_MERGED] = "UPDATE customers SET merged_into = ?2, merged_at = ?3 "
                           "WHERE ck = ?1 OR merged_into = ?1",
    [SQ_CUST_MERGED_FROM] =
        "SELECT id FROM customers WHERE merged_into = ?1 ORDER BY merged_at, id",
    [SQ_IDENT_FIND] = "SELECT ck, verified, created_at, channel FROM identifiers "
                      "WHERE kind = ?1 AND value = ?2",
    [SQ_IDENT_INSERT] = "INSERT INTO identifiers (kind, value, ck, verified, created_at, channel) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_IDENT_VERIFY] = "UPDATE identifiers SET verified = 1 WHERE kind = ?1 AND value = ?2",
    [SQ_IDENT_LIST] = "SELECT kind, value, verified, created_at, channel FROM identifiers "
                      "WHERE ck = ?1 ORDER BY created_at, kind, value",
    [SQ_IDENT_MOVE] = "UPDATE identifiers SET ck = ?2 WHERE ck = ?1",
    [SQ_HIST_ADD] = "INSERT INTO history (ck, at, field, action, old_value, new_value, channel, "
                    "store_id, operator_id, request_id, reason) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [SQ_HIST_LIST] = "SELECT seq, at, field, action, old_value, new_value, channel, store_id, "
                     "operator_id, request_id, reason FROM history WHERE ck = ?1 AND seq > ?2 "
                     "ORDER BY seq LIMIT ?3",
    [SQ_HIST_MOVE] = "UPDATE history SET ck = ?2 WHERE ck = ?1",
    [SQ_HIST_LAST_REFUSED] = "SELECT new_value FROM history WHERE ck = ?1 AND field = ?2 "
                             "AND action = 'refused' ORDER BY seq DESC LIMIT 1",
    [SQ_MC_ADD] = "INSERT INTO merge_candidates (ck_a, ck_b, reason, created_at) "
                  "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ck_a, ck_b) DO NOTHING",
    [SQ_MC_RESOLVE] = "UPDATE merge_candidates SET resolved_at = ?3 "
                      "WHERE ck_a = ?1 AND ck_b = ?2 AND resolved_at IS NULL",
    [SQ_MC_COUNT] = "SELECT count(*) FROM merge_candidates "
                    "WHERE (ck_a = ?1 OR ck_b = ?1) AND resolved_at IS NULL",
    [SQ_ATTR_PUT] =
        "INSERT INTO attributes (name, type, items, enum_values, title, description, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (name) DO UPDATE SET "
        "type = excluded.type, items = excluded.items, enum_values = excluded.enum_values, "
        "title = excluded.title, description = excluded.description, "
        "updated_at = excluded.updated_at",
    [SQ_ATTR_GET] = "SELECT name, type, items, enum_values, title, description, created_at, "
                    "updated_at FROM attributes WHERE name = ?1",
    [SQ_ATTR_LIST] = "SELECT name, type, items, enum_values, title, description, created_at, "
                     "updated_at FROM attributes ORDER BY name",
    [SQ_ATTR_IN_USE] = "SELECT 1 FROM customers WHERE merged_into IS NULL "
                       "AND json_type(attrs, ?1) IS NOT NULL LIMIT 1",
    [SQ_KEY_INSERT] = "INSERT INTO api_keys (id, name, scope, hash, created_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)",
    [SQ_KEY_GET] = "SELECT id, name, scope, hash, created_at, revoked_at FROM api_keys "
                   "WHERE id = ?1",
    [SQ_KEY_LIST] = "SELECT id, name, scope, hash, created_at, revoked_at FROM api_keys "
                    "ORDER BY created_at, id",
    [SQ_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    [SQ_KEY_COUNT] = "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL",
    [SQ_IDEM_GET] = "SELECT request_hash, status, body, created_at FROM idempotency "
                    "WHERE key_id = ?1 AND idem_key = ?2",
    [SQ_IDEM_PUT] = "INSERT INTO idempotency (key_id, idem_key, request_hash, status, body, "
                    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_IDEM_EXPIRE] = "DELETE FROM idempotency WHERE created_at < ?1",
    [SQ_PING] = "SELECT 1",
    [SQ_INTAKE_ADD] =
        "INSERT INTO intake (day, channel, store_id, operator_id, requests, refused, ok, "
        "corrected, suspicious, invalid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT (day, channel, store_id, operator_id) DO UPDATE SET "
        "requests = requests + excluded.requests, refused = refused + excluded.refused, "
        "ok = ok + excluded.ok, corrected = corrected + excluded.corrected, "
        "suspicious = suspicious + excluded.suspicious, invalid = invalid + excluded.invalid",
    [SQ_IMPORT_INSERT] = "INSERT INTO imports (id, state, file_name, path, options, bytes_total, "
                         "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQ_IMPORT_UPDATE] =
        "UPDATE imports SET state = ?2, bytes_done = ?3, rows_total = ?4, created = ?5, "
        "updated = ?6, unchanged = ?7, partial = ?8, rejected = ?9, error = ?10, "
        "started_at = ?12, finished_at = ?13, bytes_total = ?14 WHERE id = ?1",
    [SQ_IMPORT_GET] = "SELECT " IMPORT_COLS " FROM imports WHERE id = ?1",
    [SQ_IMPORT_NEXT] = "SELECT " IMPORT_COLS " FROM imports WHERE state IN ('queued', 'running') "
                       "ORDER BY created_at, id LIMIT 1",
    [SQ_IMPORT_LIST] = "SELECT " IMPORT_COLS " FROM imports ORDER BY created_at DESC, id LIMIT ?1",
};

struct sq_reads *sq_store_reads(struct store *base)
{
    return &((struct sq_store *)base)->reads;
}

/* The disk cannot take a write: 1 when it is full (or the --db-max-size cap is reached), 2 when it
 * is read-only, 0 for any other failure. */
static int space_cause(struct sq_conn *c, int rc)
{
    int os = c && c->db ? sqlite3_system_errno(c->db) : 0;
    if (rc == SQLITE_FULL ||
        ((rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN) && (os == ENOSPC || os == EDQUOT))) {
        return SPACE_FULL;
    }
    if (rc == SQLITE_READONLY || ((rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN) && os == EROFS)) {
        return SPACE_READ_ONLY;
    }
    return 0;
}

/* KT_ESPACE: nothing of the write was kept (SQLite rolls the statement or the transaction
 * back), reads go on, and /readyz says so until a write succeeds again (sq_health). */
static enum kt_rc no_space(struct sq_conn *c, int cause, const char *what, struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)c->base.store;
    if (atomic_exchange(&s->writes_failing, cause) != cause) {
        log_error("storage_failing", "cause=%s", cause == SPACE_FULL ? "full" : "read_only");
    }
    if (cause == SPACE_FULL) {
        kt_err_set(err, KT_ESPACE, "storage_full", NULL,
                   "the database's disk is full; nothing was written, retry once space is freed");
    } else {
        kt_err_set(err, KT_ESPACE, "storage_read_only", NULL,
                   "the database's disk is read-only; nothing was written");
    }
    if (err != NULL) {
        err->retry_after = 30;
    }
    kt_err_detail(err, "%s: %s (errno %d)", what, sqlite3_errmsg(c->db),
                  sqlite3_system_errno(c->db));
    return KT_ESPACE;
}

static void writes_work_again(struct sq_store *s)
{
    if (atomic_exchange(&s->writes_failing, 0) != 0) {
        log_info("storage_writable", "msg=\"writes succeed again\"");
    }
}

static enum kt_rc fail(struct sq_conn *c, int rc, const char *what, struct kt_err *err)
{
    int cause = space_cause(c, rc);
    if (cause != 0) {
        return no_space(c, cause, what, err);
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        kt_err_set(err, KT_EBUSY, "store_busy", NULL, "the database is busy; retry shortly");
        kt_err_detail(err, "%s: %s", what, sqlite3_errstr(rc));
        return KT_EBUSY;
    }
    kt_err_set(err, KT_ESTORE, "store_error", NULL, "the database failed");
    kt_err_detail(err, "%s: %s", what, c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    return KT_ESTORE;
}

enum kt_rc sq_fail(struct sq_conn *c, int rc, const char *what, struct kt_err *err)
{
    return fail(c, rc, what, err);
}

static enum kt_rc exec(struct sq_conn *c, const char *text, struct kt_err *err)
{
    int rc = sqlite3_exec(c->db, text, NULL, NULL, NULL);
    return rc == SQLITE_OK ? KT_OK : fail(c, rc, text, err);
}

/* The statement in `slot` of the connection, prepared from `text` on first use; it is reset and
 * has no bindings. NULL on failure (err is set). */
sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sq_slot slot, const char *text, struct kt_err *err)
{
    assert(text != NULL); /* a slot another file's statements own, or one given no text */
    if (c->stmts[slot] == NULL) {
        int rc =
            sqlite3_prepare_v3(c->db, text, -1, SQLITE_PREPARE_PERSISTENT, &c->stmts[slot], NULL);
        if (rc != SQLITE_OK) {
            fail(c, rc, "prepare", err);
            return NULL;
        }
    }
    return c->stmts[slot];
}

static sqlite3_stmt *stmt(struct sq_conn *c, enum sq_slot s, struct kt_err *err)
{
    return sq_stmt(c, s, sql[s], err);
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s == NULL) {
        sqlite3_bind_null(st, i);
    } else {
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    }
}

static void bind_i64_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v == 0) {
        sqlite3_bind_null(st, i);
    } else {
        sqlite3_bind_int64(st, i, v);
    }
}

static const char *col_text(sqlite3_stmt *st, int i, struct arena *a)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

/* Runs a statement that returns no rows; `changes` (may be NULL) gets the rows it touched. */
static enum kt_rc run(struct sq_conn *c, sqlite3_stmt *st, int *changes, struct kt_err *err)
{
    int rc = sqlite3_step(st);
    done(st);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_CONSTRAINT) {
            kt_err_set(err, KT_ECONFLICT, "conflict", NULL, "the record exists already");
            kt_err_detail(err, "%s", sqlite3_errmsg(c->db));
            return KT_ECONFLICT;
        }
        return fail(c, rc, "step", err);
    }
    if (changes != NULL) {
        *changes = sqlite3_changes(c->db);
    }
    return KT_OK;
}

void sq_done(sqlite3_stmt *st)
{
    done(st);
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    bind_text(st, i, s);
}

void sq_bind_i64_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    bind_i64_or_null(st, i, v);
}

const char *sq_col_text(sqlite3_stmt *st, int i, struct arena *a)
{
    return col_text(st, i, a);
}

enum kt_rc sq_run(struct sq_conn *c, sqlite3_stmt *st, int *changes, struct kt_err *err)
{
    return run(c, st, changes, err);
}

/* ---- connections ------------------------------------------------------------------------- */

void sq_conn_close(struct sq_conn *c)
{
    if (c == NULL) {
        return;
    }
    for (int i = 0; i < SQ_STATEMENTS; i++) {
        sqlite3_finalize(c->stmts[i]);
    }
    sqlite3_close(c->db);
    free(c);
}

enum kt_rc sq_conn_open(struct sq_store *s, struct sq_conn **out, struct kt_err *err)
{
    struct sq_conn *c = kt_calloc(1, sizeof(*c));
    c->base.ops = &store_sqlite_ops;
    c->base.store = &s->base;
    enum kt_rc rc = KT_OK;
    int src = sqlite3_open_v2(
        s->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = fail(c, src, "open", err);
        goto out;
    }
    sqlite3_extended_result_codes(c->db, 0);
    sqlite3_busy_timeout(c->db, s->busy_ms);
    rc = exec(c,
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

static int migration_version(const char *name)
{
    int v = 0;
    for (const char *p = name; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
    }
    return v;
}

static enum kt_rc read_version(struct sq_conn *c, int *have, struct kt_err *err)
{
    enum kt_rc rc = exec(c,
                         "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                         "KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                         err);
    if (rc != KT_OK) {
        return rc;
    }
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                                 -1, &st, NULL);
    if (src == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *have = sqlite3_column_int(st, 0);
    } else {
        rc = fail(c, src == SQLITE_OK ? sqlite3_errcode(c->db) : src, "schema version", err);
    }
    sqlite3_finalize(st);
    return rc;
}

static enum kt_rc sq_schema_version(struct store *base, int *have, int *want, struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)base;
    *want = (int)sqlite_migrations_count;
    pthread_mutex_lock(&s->write_mu);
    enum kt_rc rc = read_version(s->writer, have, err);
    pthread_mutex_unlock(&s->write_mu);
    return rc;
}

static enum kt_rc apply_one(struct sq_conn *c, const struct embedded_file *m, struct kt_err *err)
{
    enum kt_rc rc = exec(c, "BEGIN IMMEDIATE", err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = exec(c, m->data, err);
    if (rc == KT_OK) {
        sqlite3_stmt *st = NULL;
        int src = sqlite3_prepare_v2(c->db,
                                     "INSERT INTO schema_migrations (version, name, applied_at) "
                                     "VALUES (?1, ?2, ?3)",
                                     -1, &st, NULL);
        if (src == SQLITE_OK) {
            sqlite3_bind_int(st, 1, migration_version(m->name));
            sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, clock_now_ms());
            src = sqlite3_step(st);
        }
        sqlite3_finalize(st);
        if (src != SQLITE_DONE) {
            rc = fail(c, src, "record migration", err);
        }
    }
    if (rc == KT_OK) {
        rc = exec(c, "COMMIT", err);
    }
    if (rc != KT_OK) {
        kt_err_detail(err, "migration %s failed", m->name);
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
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
        if (migration_version(m->name) <= have) {
            continue;
        }
        rc = apply_one(s->writer, m, err);
        if (rc == KT_OK) {
            log_info("migration_applied", "name=%s", m->name);
            (*applied)++;
        }
    }
    pthread_mutex_unlock(&s->write_mu);
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
    free(s->path);
    free(s->dir);
    free(s);
}

/* --db-max-size: SQLite's own cap on the pages of the database (the writer is the only connection
 * that adds pages), a quota an operator sets to keep room on a shared disk. */
static enum kt_rc cap_size(struct sq_store *s, int64_t max_bytes, struct kt_err *err)
{
    struct sq_conn *w = s->writer;
    sqlite3_stmt *st = NULL;
    int page = 4096;
    if (sqlite3_prepare_v2(w->db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        page = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    char text[96];
    int64_t pages = max_bytes / (page > 0 ? page : 4096);
    s->max_pages = pages > 0 ? pages : 1;
    kt_snprintf(text, sizeof(text), "PRAGMA max_page_count = %lld",
                (long long)(pages > 0 ? pages : 1));
    return exec(w, text, err);
}

static enum kt_rc sq_open(const struct store_opts *o, struct store **out, struct kt_err *err)
{
    struct sq_store *s = kt_calloc(1, sizeof(*s));
    s->base.ops = &store_sqlite_ops;
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
    int have = 0, want = (int)sqlite_migrations_count, applied = 0;
    enum kt_rc rc = sq_conn_open(s, &s->writer, err);
    if (rc == KT_OK && o->max_bytes > 0) {
        rc = cap_size(s, o->max_bytes, err);
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
    } else if (rc == KT_OK && have < want && o->schema == STORE_MIGRATE) {
        rc = sq_migrate(&s->base, &applied, err);
    }
    if (rc != KT_OK) {
        sq_close(&s->base);
        return rc;
    }
    sq_checkpointer_start(s);
    *out = &s->base;
    return KT_OK;
}

/* ---- transactions ------------------------------------------------------------------------ */

static void pool_put(struct sq_store *s, struct sq_conn *c)
{
    pthread_mutex_lock(&s->pool_mu);
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
    rc = exec(c, "BEGIN", err);
    if (rc != KT_OK) {
        pool_put(s, c);
        return rc;
    }
    *out = &c->base;
    return KT_OK;
}

static void sq_read_end(struct store_conn *base)
{
    struct sq_conn *c = (struct sq_conn *)base;
    if (!sqlite3_get_autocommit(c->db)) {
        sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    }
    pool_put((struct sq_store *)c->base.store, c);
}

static enum kt_rc sq_write_begin(struct store *base, struct store_conn **out, struct kt_err *err)
{
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
    enum kt_rc rc = exec(s->writer, "BEGIN IMMEDIATE", err);
    if (rc != KT_OK) {
        pthread_mutex_unlock(&s->write_mu);
        return rc;
    }
    s->changes_at_begin = sqlite3_total_changes64(s->writer->db);
    *out = &s->writer->base;
    return KT_OK;
}

static bool room_to_write(struct sq_store *s);

static enum kt_rc sq_write_end(struct store_conn *base, bool commit, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    struct sq_store *s = (struct sq_store *)c->base.store;
    enum kt_rc rc = KT_OK;
    if (commit && (err == NULL || err->rc == KT_OK)) {
        rc = exec(c, "COMMIT", err);
        if (rc == KT_OK && atomic_load(&s->writes_failing) != 0 &&
            sqlite3_total_changes64(c->db) > s->changes_at_begin && room_to_write(s)) {
            writes_work_again(s); /* a write reached the disk, and more will */
        }
    }
    if (!sqlite3_get_autocommit(c->db)) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&s->write_mu);
    return rc;
}

enum kt_rc sq_ping(struct store_conn *base, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_PING, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    int rc = sqlite3_step(st);
    done(st);
    return rc == SQLITE_ROW ? KT_OK : fail(c, rc, "ping", err);
}

/* Steps a statement expected to give at most one row: SQLITE_ROW, SQLITE_DONE or an error.
 * The caller reads the row and calls done(). */
static int step(sqlite3_stmt *st)
{
    return sqlite3_step(st);
}

static enum kt_rc not_found(struct kt_err *err, const char *code, const char *what)
{
    return kt_err_set(err, KT_ENOTFOUND, code, NULL, "%s not found", what);
}

/* ---- meta -------------------------------------------------------------------------------- */

enum kt_rc sq_meta_get(struct store_conn *base, const char *key, struct arena *a, const char **val,
                       struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_META_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, key);
    int rc = step(st);
    enum kt_rc r = KT_OK;
    if (rc == SQLITE_ROW) {
        *val = col_text(st, 0, a);
    } else if (rc == SQLITE_DONE) {
        r = not_found(err, "not_found", "setting");
    } else {
        r = fail(c, rc, "meta get", err);
    }
    done(st);
    return r;
}

enum kt_rc sq_meta_put(struct store_conn *base, const char *key, const char *val,
                       struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_META_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, key);
    bind_text(st, 2, val);
    return run(c, st, NULL, err);
}

/* ---- customers --------------------------------------------------------------------------- */

static void read_customer(sqlite3_stmt *st, struct arena *a, struct customer *cu)
{
    memset(cu, 0, sizeof(*cu));
    cu->ck = sqlite3_column_int64(st, 0);
    const unsigned char *id = sqlite3_column_text(st, 1);
    kt_strlcpy(cu->id, id ? (const char *)id : "", sizeof(cu->id));
    cu->created_at = sqlite3_column_int64(st, 2);
    cu->updated_at = sqlite3_column_int64(st, 3);
    cu->merged_into = sqlite3_column_int64(st, 4);
    for (int i = 0; i < PF_COUNT; i++) {
        cu->val[i] = col_text(st, 5 + 2 * i, a);
        cu->at[i] = sqlite3_column_int64(st, 6 + 2 * i);
    }
    cu->verified = (uint32_t)sqlite3_column_int64(st, 5 + 2 * PF_COUNT);
    cu->attrs = col_text(st, 6 + 2 * PF_COUNT, a);
    cu->attrs_at = col_text(st, 7 + 2 * PF_COUNT, a);
    cu->quality = (uint32_t)sqlite3_column_int64(st, 8 + 2 * PF_COUNT);
    cu->gender_inferred = sqlite3_column_int(st, 9 + 2 * PF_COUNT) != 0;
    cu->name_key = col_text(st, 10 + 2 * PF_COUNT, a);
    cu->erased_at = sqlite3_column_int64(st, 11 + 2 * PF_COUNT);
}

static void bind_customer(sqlite3_stmt *st, const struct customer *cu)
{
    bind_text(st, 1, cu->id);
    sqlite3_bind_int64(st, 2, cu->created_at);
    sqlite3_bind_int64(st, 3, cu->updated_at);
    for (int i = 0; i < PF_COUNT; i++) {
        bind_text(st, 4 + 2 * i, cu->val[i]);
        bind_i64_or_null(st, 5 + 2 * i, cu->val[i] ? cu->at[i] : 0);
    }
    sqlite3_bind_int64(st, 4 + 2 * PF_COUNT, cu->verified);
    bind_text(st, 5 + 2 * PF_COUNT, cu->attrs ? cu->attrs : "{}");
    bind_text(st, 6 + 2 * PF_COUNT, cu->attrs_at ? cu->attrs_at : "{}");
    sqlite3_bind_int64(st, 7 + 2 * PF_COUNT, cu->quality);
    sqlite3_bind_int(st, 8 + 2 * PF_COUNT, cu->gender_inferred ? 1 : 0);
    bind_text(st, 9 + 2 * PF_COUNT, cu->name_key);
}

static enum kt_rc get_one_customer(struct sq_conn *c, sqlite3_stmt *st, struct arena *a,
                                   struct customer *out, struct kt_err *err)
{
    int rc = step(st);
    enum kt_rc r = KT_OK;
    if (rc == SQLITE_ROW) {
        read_customer(st, a, out);
    } else if (rc == SQLITE_DONE) {
        r = not_found(err, "customer_not_found", "customer");
    } else {
        r = fail(c, rc, "customer get", err);
    }
    done(st);
    return r;
}

enum kt_rc sq_customer_get(struct store_conn *base, int64_t ck, struct arena *a,
                           struct customer *out, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    return get_one_customer(c, st, a, out, err);
}

enum kt_rc sq_customer_get_by_id(struct store_conn *base, const char *id, struct arena *a,
                                 struct customer *out, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_GET_BY_ID, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, id);
    enum kt_rc rc = get_one_customer(c, st, a, out, err);
    /* Merges keep the chain one hop long, but follow a few in case an old chain survives. */
    for (int hops = 0; rc == KT_OK && out->merged_into != 0 && hops < 8; hops++) {
        rc = sq_customer_get(base, out->merged_into, a, out, err);
    }
    return rc;
}

enum kt_rc sq_customer_insert(struct store_conn *base, struct customer *cu, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_customer(st, cu);
    enum kt_rc rc = run(c, st, NULL, err);
    if (rc == KT_OK) {
        cu->ck = sqlite3_last_insert_rowid(c->db);
    }
    return rc;
}

enum kt_rc sq_customer_update(struct store_conn *base, const struct customer *cu,
                              struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_customer(st, cu);
    sqlite3_bind_int64(st, 10 + 2 * PF_COUNT, cu->ck);
    int changes = 0;
    enum kt_rc rc = run(c, st, &changes, err);
    if (rc == KT_OK && changes == 0) {
        rc = not_found(err, "customer_not_found", "customer");
    }
    return rc;
}

enum kt_rc sq_customer_list(struct store_conn *base, const char *after_id, int limit,
                            struct arena *a, struct customer **out, size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, after_id ? SQ_CUST_LIST_AFTER : SQ_CUST_LIST_START, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    if (after_id != NULL) {
        bind_text(st, 1, after_id);
        sqlite3_bind_int(st, 2, limit);
    } else {
        sqlite3_bind_int(st, 1, limit);
    }
    *out = arena_alloc(a, sizeof(**out) * (size_t)(limit > 0 ? limit : 1));
    *n = 0;
    int rc;
    while ((rc = step(st)) == SQLITE_ROW && *n < (size_t)limit) {
        read_customer(st, a, &(*out)[(*n)++]);
    }
    done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? KT_OK : fail(c, rc, "customer list", err);
}

enum kt_rc sq_customer_set_merged(struct store_conn *base, int64_t from, int64_t into, int64_t at,
                                  struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_SET_MERGED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, into);
    sqlite3_bind_int64(st, 3, at);
    return run(c, st, NULL, err);
}

enum kt_rc sq_customer_merged_from(struct store_conn *base, int64_t ck, struct arena *a,
                                   const char ***ids, size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_MERGED_FROM, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    int rc;
    while ((rc = step(st)) == SQLITE_ROW) {
        const char **slot = arena_push(a, ids, n, &cap, sizeof(**ids));
        *slot = col_text(st, 0, a);
    }
    done(st);
    return rc == SQLITE_DONE ? KT_OK : fail(c, rc, "merged from", err);
}

/* ---- identifiers ------------------------------------------------------------------------- */

enum kt_rc sq_ident_find(struct store_conn *base, const char *kind, const char *value,
                         struct arena *a, struct ident *out, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDENT_FIND, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, kind);
    bind_text(st, 2, value);
    int rc = step(st);
    enum kt_rc r = KT_OK;
    if (rc == SQLITE_ROW) {
        out->kind = kind;
        out->value = value;
        out->ck = sqlite3_column_int64(st, 0);
        out->verified = sqlite3_column_int(st, 1) != 0;
        out->created_at = sqlite3_column_int64(st, 2);
        out->channel = col_text(st, 3, a);
    } else if (rc == SQLITE_DONE) {
        r = not_found(err, "identifier_not_found", "identifier");
    } else {
        r = fail(c, rc, "identifier find", err);
    }
    done(st);
    return r;
}

enum kt_rc sq_ident_insert(struct store_conn *base, const struct ident *id, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDENT_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, id->kind);
    bind_text(st, 2, id->value);
    sqlite3_bind_int64(st, 3, id->ck);
    sqlite3_bind_int(st, 4, id->verified ? 1 : 0);
    sqlite3_bind_int64(st, 5, id->created_at);
    bind_text(st, 6, id->channel);
    return run(c, st, NULL, err);
}

enum kt_rc sq_ident_set_verified(struct store_conn *base, const char *kind, const char *value,
                                 struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDENT_VERIFY, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, kind);
    bind_text(st, 2, value);
    return run(c, st, NULL, err);
}

enum kt_rc sq_ident_list(struct store_conn *base, int64_t ck, struct arena *a, struct ident **out,
                         size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDENT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc;
    while ((rc = step(st)) == SQLITE_ROW) {
        struct ident *x = arena_push(a, out, n, &cap, sizeof(**out));
        x->kind = col_text(st, 0, a);
        x->value = col_text(st, 1, a);
        x->ck = ck;
        x->verified = sqlite3_column_int(st, 2) != 0;
        x->created_at = sqlite3_column_int64(st, 3);
        x->channel = col_text(st, 4, a);
    }
    done(st);
    return rc == SQLITE_DONE ? KT_OK : fail(c, rc, "identifier list", err);
}

static enum kt_rc move(struct store_conn *base, enum sq_slot which, int64_t from, int64_t into,
                       struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, which, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, into);
    return run(c, st, NULL, err);
}

enum kt_rc sq_ident_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err)
{
    return move(base, SQ_IDENT_MOVE, from, into, err);
}

/* ---- history ----------------------------------------------------------------------------- */

enum kt_rc sq_history_add(struct store_conn *base, const struct history_entry *h,
                          struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_HIST_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, h->ck);
    sqlite3_bind_int64(st, 2, h->at);
    bind_text(st, 3, h->field);
    bind_text(st, 4, h->action);
    bind_text(st, 5, h->old_value);
    bind_text(st, 6, h->new_value);
    bind_text(st, 7, h->channel);
    bind_text(st, 8, h->store_id);
    bind_text(st, 9, h->operator_id);
    bind_text(st, 10, h->request_id);
    bind_text(st, 11, h->reason);
    return run(c, st, NULL, err);
}

enum kt_rc sq_history_list(struct store_conn *base, int64_t ck, int64_t after_seq, int limit,
                           struct arena *a, struct history_entry **out, size_t *n,
                           struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_HIST_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    sqlite3_bind_int64(st, 2, after_seq);
    sqlite3_bind_int(st, 3, limit);
    *out = arena_alloc(a, sizeof(**out) * (size_t)(limit > 0 ? limit : 1));
    *n = 0;
    int rc;
    while ((rc = step(st)) == SQLITE_ROW && *n < (size_t)limit) {
        struct history_entry *h = &(*out)[(*n)++];
        h->seq = sqlite3_column_int64(st, 0);
        h->ck = ck;
        h->at = sqlite3_column_int64(st, 1);
        h->field = col_text(st, 2, a);
        h->action = col_text(st, 3, a);
        h->old_value = col_text(st, 4, a);
        h->new_value = col_text(st, 5, a);
        h->channel = col_text(st, 6, a);
        h->store_id = col_text(st, 7, a);
        h->operator_id = col_text(st, 8, a);
        h->request_id = col_text(st, 9, a);
        h->reason = col_text(st, 10, a);
    }
    done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? KT_OK : fail(c, rc, "history list", err);
}

enum kt_rc sq_history_last_refused(struct store_conn *base, int64_t ck, const char *field,
                                   struct arena *a, const char **raw, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_HIST_LAST_REFUSED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    bind_text(st, 2, field);
    int rc = step(st);
    enum kt_rc r = KT_OK;
    if (rc == SQLITE_ROW) {
        *raw = col_text(st, 0, a);
    } else if (rc == SQLITE_DONE) {
        r = not_found(err, "not_found", "refusal");
    } else {
        r = fail(c, rc, "last refusal", err);
    }
    done(st);
    return r;
}

enum kt_rc sq_history_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err)
{
    enum kt_rc rc = move(base, SQ_HIST_MOVE, from, into, err);
    return rc == KT_OK ? sq_privacy_move(base, from, into, err) : rc;
}

/* ---- merge candidates -------------------------------------------------------------------- */

enum kt_rc sq_merge_candidate_add(struct store_conn *base, int64_t a, int64_t b, const char *reason,
                                  int64_t at, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_MC_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, a < b ? a : b);
    sqlite3_bind_int64(st, 2, a < b ? b : a);
    bind_text(st, 3, reason);
    sqlite3_bind_int64(st, 4, at);
    return run(c, st, NULL, err);
}

enum kt_rc sq_merge_candidate_resolve(struct store_conn *base, int64_t a, int64_t b, int64_t at,
                                      struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_MC_RESOLVE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, a < b ? a : b);
    sqlite3_bind_int64(st, 2, a < b ? b : a);
    sqlite3_bind_int64(st, 3, at);
    return run(c, st, NULL, err);
}

static enum kt_rc count(struct sq_conn *c, sqlite3_stmt *st, int64_t *n, struct kt_err *err)
{
    int rc = step(st);
    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 0);
    }
    done(st);
    return rc == SQLITE_ROW ? KT_OK : fail(c, rc, "count", err);
}

enum kt_rc sq_merge_candidate_count(struct store_conn *base, int64_t ck, int64_t *n,
                                    struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_MC_COUNT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    return count(c, st, n, err);
}

/* ---- attributes -------------------------------------------------------------------------- */

static void read_attr(sqlite3_stmt *st, struct arena *a, struct attr_def *d)
{
    d->name = col_text(st, 0, a);
    d->type = col_text(st, 1, a);
    d->items = col_text(st, 2, a);
    d->values = col_text(st, 3, a);
    d->title = col_text(st, 4, a);
    d->description = col_text(st, 5, a);
    d->created_at = sqlite3_column_int64(st, 6);
    d->updated_at = sqlite3_column_int64(st, 7);
}

enum kt_rc sq_attr_put(struct store_conn *base, const struct attr_def *d, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_ATTR_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, d->name);
    bind_text(st, 2, d->type);
    bind_text(st, 3, d->items);
    bind_text(st, 4, d->values);
    bind_text(st, 5, d->title);
    bind_text(st, 6, d->description);
    sqlite3_bind_int64(st, 7, d->created_at);
    sqlite3_bind_int64(st, 8, d->updated_at);
    return run(c, st, NULL, err);
}

enum kt_rc sq_attr_get(struct store_conn *base, const char *name, struct arena *a,
                       struct attr_def *out, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_ATTR_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, name);
    int rc = step(st);
    enum kt_rc r = KT_OK;
    if (rc == SQLITE_ROW) {
        read_attr(st, a, out);
    } else if (rc == SQLITE_DONE) {
        r = not_found(err, "attribute_not_found", "attribute");
    } else {
        r = fail(c, rc, "attribute get", err);
    }
    done(st);
    return r;
}

enum kt_rc sq_attr_list(struct store_conn *base, struct arena *a, struct attr_def **out, size_t *n,
                        struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_ATTR_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc;
    while ((rc = step(st)) == SQLITE_ROW) {
        read_attr(st, a, arena_push(a, out, n, &cap, sizeof(**out)));
    }
    done(st);
    return rc == SQLITE_DONE ? KT_OK : fail(c, rc, "attribute list", err);
}

enum kt_rc sq_attr_in_use(struct store_conn *base, const char *name, bool *used, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_ATTR_IN_USE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    /* The JSON path is a bound parameter too; names are [a-z0-9_] so quoting is exact. */
    char path[96];
    kt_snprintf(path, sizeof(path), "$.\"%s\"", name);
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    int rc = step(st);
    *used = rc == SQLITE_ROW;
    done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? KT_OK : fail(c, rc, "attribute in use", err);
}

/* ---- API keys ---------------------------------------------------------------------------- */

static const char *scope_text(enum key_scope s)
{
    return s == SCOPE_ADMIN ? "admin" : s == SCOPE_POS ? "pos" : "collect";
}

static enum key_scope scope_parse(const char *s)
{
    if (s != NULL && strcmp(s, "admin") == 0) {
        return SCOPE_ADMIN;
    }
    return s != NULL && strcmp(s, "pos") == 0 ? SCOPE_POS : SCOPE_COLLECT;
}

static void read_key(sqlite3_stmt *st, struct arena *a, struct api_key *k)
{
    memset(k, 0, sizeof(*k));
    const unsigned char *id = sqlite3_column_text(st, 0);
    kt_strlcpy(k->id, id ? (const char *)id : "", sizeof(k->id));
    k->name = col_text(st, 1, a);
    k->scope = scope_parse((const char *)sqlite3_column_text(st, 2));
    if (sqlite3_column_bytes(st, 3) == (int)sizeof(k->hash)) {
        memcpy(k->hash, sqlite3_column_blob(st, 3), sizeof(k->hash));
    }
    k->created_at = sqlite3_column_int64(st, 4);
    k->revoked_at = sqlite3_column_int64(st, 5);
}

enum kt_rc sq_key_insert(struct store_conn *base, const struct api_key *k, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, k->id);
    bind_text(st, 2, k->name);
    bind_text(st, 3, scope_text(k->scope));
    sqlite3_bind_blob(st, 4, k->hash, sizeof(k->hash), SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, k->created_at);
    return run(c, st, NULL, err);
}

enum kt_rc sq_key_get(struct store_conn *base, const char *id, struct arena *a, struct api_key *out,
                      struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, id);
    int rc = step(st);
    enum kt_rc r = KT_OK;
    if (rc == SQLITE_ROW) {
        read_key(st, a, out);
    } else if (rc == SQLITE_DONE) {
        r = not_found(err, "key_not_found", "key");
    } else {
        r = fail(c, rc, "key get", err);
    }
    done(st);
    return r;
}

enum kt_rc sq_key_list(struct store_conn *base, struct arena *a, struct api_key **out, size_t *n,
                       struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc;
    while ((rc = step(st)) == SQLITE_ROW) {
        read_key(st, a, arena_push(a, out, n, &cap, sizeof(**out)));
    }
    done(st);
    return rc == SQLITE_DONE ? KT_OK : fail(c, rc, "key list", err);
}

enum kt_rc sq_key_revoke(struct store_conn *base, const char *id, int64_t at, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_REVOKE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    int changes = 0;
    enum kt_rc rc = run(c, st, &changes, err);
    if (rc == KT_OK && changes == 0) {
        rc = not_found(err, "key_not_found", "active key");
    }
    return rc;
}

enum kt_rc sq_key_count_active(struct store_conn *base, int64_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_COUNT, err);
    return st == NULL ? KT_ESTORE : count(c, st, n, err);
}

/* ---- idempotency ------------------------------------------------------------------------- */

enum kt_rc sq_idem_get(struct store_conn *base, const char *key_id, const char *idem_key,
                       struct arena *a, struct idem_record *out, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDEM_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, key_id);
    bind_text(st, 2, idem_key);
    int rc = step(st);
    enum kt_rc r = KT_OK;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->key_id = key_id;
        out->idem_key = idem_key;
        if (sqlite3_column_bytes(st, 0) == (int)sizeof(out->req_hash)) {
            memcpy(out->req_hash, sqlite3_column_blob(st, 0), sizeof(out->req_hash));
        }
        out->status = sqlite3_column_int(st, 1);
        out->body = col_text(st, 2, a);
        out->created_at = sqlite3_column_int64(st, 3);
    } else if (rc == SQLITE_DONE) {
        r = not_found(err, "not_found", "idempotency record");
    } else {
        r = fail(c, rc, "idempotency get", err);
    }
    done(st);
    return r;
}

enum kt_rc sq_idem_put(struct store_conn *base, const struct idem_record *r, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDEM_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, r->key_id);
    bind_text(st, 2, r->idem_key);
    sqlite3_bind_blob(st, 3, r->req_hash, sizeof(r->req_hash), SQLITE_STATIC);
    sqlite3_bind_int(st, 4, r->status);
    bind_text(st, 5, r->body);
    sqlite3_bind_int64(st, 6, r->created_at);
    return run(c, st, NULL, err);
}

enum kt_rc sq_idem_expire(struct store_conn *base, int64_t before, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDEM_EXPIRE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, before);
    return run(c, st, NULL, err);
}

/* ---- intake and imports ------------------------------------------------------------------ */

enum kt_rc sq_intake_add(struct store_conn *base, const struct intake_row *r, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_INTAKE_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, r->day);
    bind_text(st, 2, r->channel);
    bind_text(st, 3, r->store_id ? r->store_id : "");
    bind_text(st, 4, r->operator_id ? r->operator_id : "");
    const int64_t v[] = {r->requests, r->refused, r->ok, r->corrected, r->suspicious, r->invalid};
    for (int i = 0; i < 6; i++) {
        sqlite3_bind_int64(st, 5 + i, v[i]);
    }
    return run(c, st, NULL, err);
}

static void read_import(sqlite3_stmt *st, struct arena *a, struct import_job *j)
{
    memset(j, 0, sizeof(*j));
    const unsigned char *id = sqlite3_column_text(st, 0);
    kt_strlcpy(j->id, id ? (const char *)id : "", sizeof(j->id));
    j->state = col_text(st, 1, a);
    j->file_name = col_text(st, 2, a);
    j->path = col_text(st, 3, a);
    j->options = col_text(st, 4, a);
    j->error = col_text(st, 5, a);
    j->has_rejects = sqlite3_column_int(st, 6) != 0;
    int64_t *n[] = {&j->bytes_total, &j->bytes_done, &j->rows_total, &j->created,
                    &j->updated,     &j->unchanged,  &j->partial,    &j->rejected,
                    &j->created_at,  &j->started_at, &j->finished_at};
    for (int i = 0; i < 11; i++) {
        *n[i] = sqlite3_column_int64(st, 7 + i);
    }
}

enum kt_rc sq_import_insert(struct store_conn *base, const struct import_job *j, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IMPORT_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, j->id);
    bind_text(st, 2, j->state);
    bind_text(st, 3, j->file_name);
    bind_text(st, 4, j->path);
    bind_text(st, 5, j->options);
    sqlite3_bind_int64(st, 6, j->bytes_total);
    sqlite3_bind_int64(st, 7, j->created_at);
    return run(c, st, NULL, err);
}

enum kt_rc sq_import_update(struct store_conn *base, const struct import_job *j, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IMPORT_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, j->id);
    bind_text(st, 2, j->state);
    const int64_t v[] = {j->bytes_done, j->rows_total, j->created, j->updated,
                         j->unchanged,  j->partial,    j->rejected};
    for (int i = 0; i < 7; i++) {
        sqlite3_bind_int64(st, 3 + i, v[i]);
    }
    bind_text(st, 10, j->error);
    bind_i64_or_null(st, 12, j->started_at);
    bind_i64_or_null(st, 13, j->finished_at);
    sqlite3_bind_int64(st, 14, j->bytes_total);
    int changes = 0;
    enum kt_rc rc = run(c, st, &changes, err);
    return rc == KT_OK && changes == 0 ? not_found(err, "import_not_found", "import") : rc;
}

static enum kt_rc one_import(struct sq_conn *c, sqlite3_stmt *st, struct arena *a,
                             struct import_job *out, struct kt_err *err)
{
    int rc = step(st);
    enum kt_rc r = KT_OK;
    if (rc == SQLITE_ROW) {
        read_import(st, a, out);
    } else if (rc == SQLITE_DONE) {
        r = not_found(err, "import_not_found", "import");
    } else {
        r = fail(c, rc, "import get", err);
    }
    done(st);
    return r;
}

enum kt_rc sq_import_get(struct store_conn *base, const char *id, struct arena *a,
                         struct import_job *out, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IMPORT_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_text(st, 1, id);
    return one_import(c, st, a, out, err);
}

enum kt_rc sq_import_next(struct store_conn *base, struct arena *a, struct import_job *out,
                          struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IMPORT_NEXT, err);
    return st == NULL ? KT_ESTORE : one_import(c, st, a, out, err);
}

enum kt_rc sq_import_list(struct store_conn *base, int limit, struct arena *a,
                          struct import_job **out, size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IMPORT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int(st, 1, limit);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc;
    while ((rc = step(st)) == SQLITE_ROW) {
        read_import(st, a, arena_push(a, out, n, &cap, sizeof(**out)));
    }
    done(st);
    return rc == SQLITE_DONE ? KT_OK : fail(c, rc, "import list", err);
}

#define ROOM_BYTES (4 << 20) /* free on the disk before writes count as possible again */
#define ROOM_PAGES 64        /* pages under the --db-max-size cap, the same */

/* One number a PRAGMA answers, on connection `c`; -1 on failure. */
static int64_t pragma_int(struct sq_conn *c, const char *text)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(c->db, text, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

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
    int cause = atomic_load(&s->writes_failing);
    if (cause == 0) {
        return KT_OK;
    }
    if (room_to_write(s)) {
        writes_work_again(s);
        return KT_OK;
    }
    return no_space(s->writer, cause, "health", err);
}

static enum kt_rc sq_wipe_wal(struct store *base, struct kt_err *err)
{
    return sq_wal_wipe((struct sq_store *)base, err);
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .schema_version = sq_schema_version,
    .migrate = sq_migrate,
    .read_begin = sq_read_begin,
    .read_end = sq_read_end,
    .write_begin = sq_write_begin,
    .write_end = sq_write_end,
    .health = sq_health,
    .wipe_wal = sq_wipe_wal,
#define STORE_OP(name, params, args) .name = sq_##name,
#include "store/store_ops.def"
};
