/*
 * reads.c - the log of reads of personal data (store_reads_add, _chain, _list): a database file
 * of its own beside the main one ("<db>.reads"), opened on first use, append-only by its triggers
 * and chained like the log of changes (audit.c). The scheduler's flush writes it in bulk, so its
 * writes - thousands a second under lookups - never make the main database's readers drop their
 * caches. One connection, guarded by its mutex; statements are prepared per call (a flush is one
 * call a second).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

static const char reads_pragmas[] =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;";

/* The file's schema, by PRAGMA user_version: 0 is the first one (created if missing), 1 adds the
 * caller's address, the chain of hashes and its anchor, as 0014_audit_chain.sql does for the log
 * of changes: the entries already here predate the chain and the anchor records them. */
static const char reads_schema_0[] =
    "CREATE TABLE IF NOT EXISTS reads ("
    "  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, key_id TEXT, action TEXT NOT NULL,"
    "  customer_id TEXT, fields TEXT, detail TEXT, request_id TEXT);"
    "CREATE INDEX IF NOT EXISTS reads_customer ON reads (customer_id, seq);"
    "CREATE INDEX IF NOT EXISTS reads_key ON reads (key_id, seq);"
    "CREATE TRIGGER IF NOT EXISTS reads_no_delete BEFORE DELETE ON reads "
    "BEGIN SELECT RAISE(ABORT, 'the log of reads is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS reads_no_update BEFORE UPDATE ON reads "
    "BEGIN SELECT RAISE(ABORT, 'the log of reads is append-only'); END;";
static const char reads_schema_1[] =
    "ALTER TABLE reads ADD COLUMN ip TEXT;"
    "ALTER TABLE reads ADD COLUMN hash TEXT;"
    "CREATE TABLE audit_anchor (log TEXT PRIMARY KEY, before_seq INTEGER NOT NULL,"
    "  rows INTEGER NOT NULL, at INTEGER NOT NULL, mac TEXT) WITHOUT ROWID;"
    "INSERT INTO audit_anchor (log, before_seq, rows, at) SELECT 'reads', coalesce(max(seq), 0),"
    "  count(*), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM reads;"
    "CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor "
    "BEGIN SELECT RAISE(ABORT, 'the audit anchor is kept'); END;"
    "CREATE TRIGGER audit_anchor_sealed_once BEFORE UPDATE ON audit_anchor "
    "WHEN OLD.mac IS NOT NULL OR NEW.log IS NOT OLD.log OR NEW.before_seq IS NOT OLD.before_seq "
    "  OR NEW.rows IS NOT OLD.rows OR NEW.at IS NOT OLD.at "
    "BEGIN SELECT RAISE(ABORT, 'the audit anchor is sealed once'); END;"
    "CREATE TRIGGER reads_chained BEFORE INSERT ON reads WHEN NEW.hash IS NULL "
    "BEGIN SELECT RAISE(ABORT, 'an entry of the log of reads carries its hash'); END;"
    "PRAGMA user_version = 1;";

/* Brings the file's schema up to date, in one transaction. */
static int reads_schema(sqlite3 *db)
{
    int rc = sqlite3_exec(db, reads_pragmas, NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        return rc;
    }
    sqlite3_stmt *st = NULL;
    int version = -1;
    rc = sqlite3_exec(db, reads_schema_0, NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    }
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        version = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK && version == 0) {
        rc = sqlite3_exec(db, reads_schema_1, NULL, NULL, NULL);
    }
    rc = rc == SQLITE_OK ? sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) : rc;
    if (rc != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

/* Opens the file on first use; call with r->mu held. */
static enum kt_rc reads_open(struct sq_reads *r, struct kt_err *err)
{
    if (r->conn.db != NULL) {
        return KT_OK;
    }
    int rc =
        sqlite3_open_v2(r->path, &r->conn.db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sq_conn_wrap(&r->conn, r->owner, r->conn.db);
        sqlite3_busy_timeout(r->conn.db, 5000);
        rc = reads_schema(r->conn.db);
    }
    if (rc != SQLITE_OK) {
        kt_err_set(err, rc == SQLITE_BUSY ? KT_EBUSY : KT_ESTORE, "store_error", NULL,
                   "the log of reads cannot be opened");
        kt_err_detail(err, "%s: %s", r->path,
                      r->conn.db ? sqlite3_errmsg(r->conn.db) : sqlite3_errstr(rc));
        sqlite3_close(r->conn.db);
        r->conn.db = NULL;
        return err->rc;
    }
    return KT_OK;
}

static enum kt_rc reads_fail(struct sq_reads *r, int rc, const char *what, struct kt_err *err)
{
    kt_err_set(err, rc == SQLITE_BUSY ? KT_EBUSY : KT_ESTORE, "store_error", NULL,
               "the log of reads failed");
    kt_err_detail(err, "%s: %s", what, sqlite3_errmsg(r->conn.db));
    return err->rc;
}

/* The chain's statements on the file, prepared for one call; false when one failed. */
static bool chain_prepare(struct sq_reads *r, struct sql_chain_stmts *q, bool legacy,
                          struct sql_stmt **count)
{
    const char *text[] = {SQL_AUDIT_ANCHOR_SQL, SQL_AUDIT_LAST_SQL("reads"),
                          SQL_AUDIT_ADD_SQL("reads"), SQL_AUDIT_SEAL_SQL,
                          SQL_AUDIT_LEGACY_SQL("reads")};
    struct sql_stmt **st[] = {&q->anchor, &q->last, &q->add, &q->seal, count};
    memset(q, 0, sizeof(*q));
    q->log = "reads";
    bool ok = true;
    for (size_t i = 0; i < (legacy ? 5u : 4u); i++) {
        *st[i] = NULL;
        ok = ok && sql_prepare(&r->conn.base, text[i], st[i]) == SQL_OK;
    }
    return ok;
}

static void chain_finalize(struct sql_chain_stmts *q, struct sql_stmt *count)
{
    sql_finalize(q->anchor);
    sql_finalize(q->last);
    sql_finalize(q->add);
    sql_finalize(q->seal);
    sql_finalize(count);
}

enum kt_rc sq_reads_add(struct store *s, struct audit_entry *e, size_t n, store_audit_seal_fn seal,
                        void *ctx, struct kt_err *err)
{
    struct sq_reads *r = &((struct sq_store *)s)->reads;
    pthread_mutex_lock(&r->mu);
    enum kt_rc rc = reads_open(r, err);
    struct sql_chain_stmts q = {0};
    int src = SQLITE_OK;
    if (rc == KT_OK) {
        src = sqlite3_exec(r->conn.db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    }
    if (rc == KT_OK && src == SQLITE_OK) {
        src = chain_prepare(r, &q, false, NULL) ? SQLITE_OK : sqlite3_errcode(r->conn.db);
    }
    if (rc == KT_OK && src == SQLITE_OK) {
        src = sql_chain_append(&q, e, n, seal, ctx, err);
    }
    chain_finalize(&q, NULL);
    if (rc == KT_OK && src == SQLITE_OK) {
        src = sqlite3_exec(r->conn.db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc == KT_OK && src != SQLITE_OK) {
        rc = src == SQLITE_ABORT && err != NULL && err->rc != KT_OK
                 ? err->rc
                 : reads_fail(r, src, "reads add", err);
        sqlite3_exec(r->conn.db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

enum kt_rc sq_reads_chain(struct store *s, struct audit_chain *out, struct kt_err *err)
{
    struct sq_reads *r = &((struct sq_store *)s)->reads;
    pthread_mutex_lock(&r->mu);
    enum kt_rc rc = reads_open(r, err);
    struct sql_chain_stmts q = {0};
    struct sql_stmt *count = NULL;
    int src = SQLITE_OK;
    if (rc == KT_OK) {
        src = chain_prepare(r, &q, true, &count) ? sql_chain_head(&q, out)
                                                 : sqlite3_errcode(r->conn.db);
    }
    if (rc == KT_OK && src == SQLITE_OK) {
        sql_bind_i64(count, 1, out->anchor_seq);
        src = sql_step(count);
        out->legacy_rows = sql_col_i64(count, 0);
        src = src == SQLITE_ROW ? SQLITE_OK : src;
    }
    chain_finalize(&q, count);
    if (rc == KT_OK && src != SQLITE_OK) {
        rc = reads_fail(r, src, "reads chain", err);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

enum kt_rc sq_reads_list(struct store *s, const struct audit_filter *f, struct arena *a,
                         struct audit_entry **out, size_t *n, struct kt_err *err)
{
    struct sq_reads *r = &((struct sq_store *)s)->reads;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&r->mu);
    enum kt_rc rc = reads_open(r, err);
    struct sql_stmt *st = NULL;
    if (rc == KT_OK) {
        int src = sql_prepare(&r->conn.base, SQL_AUDIT_LIST_SQL("reads"), &st);
        if (src != SQL_OK) {
            rc = reads_fail(r, src, "reads prepare", err);
        }
    }
    if (rc == KT_OK) {
        sql_bind_i64(st, 1, f->after_seq);
        sql_bind_text(st, 2, f->customer_id);
        sql_bind_text(st, 3, f->key_id);
        sql_bind_text(st, 4, f->action);
        sql_bind_i64_or_null(st, 5, f->since);
        sql_bind_i64_or_null(st, 6, f->until);
        sql_bind_i64(st, 7, f->limit);
        int src = sql_collect(st, sql_audit_row, sizeof(**out), a, out, n);
        if (src != SQL_DONE) {
            rc = reads_fail(r, src, "reads list", err);
        }
    }
    sql_finalize(st);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void sq_reads_close(struct sq_reads *r)
{
    sql_conn_finalize(&r->conn.base);
    sqlite3_close(r->conn.db);
    r->conn.db = NULL;
    free(r->path);
    r->path = NULL;
    pthread_mutex_destroy(&r->mu);
}
/* Every entry the filter names (reads_filter, model.h); the lists are JSON arrays. A route
 * names the entries whose detail is the route's pattern, alone or followed by what a read of
 * many read. */
static const char subjects_sql[] =
    "SELECT count(DISTINCT customer_id), coalesce(sum(customer_id IS NULL), 0) FROM reads "
    "WHERE at >= ?1 AND at < ?2 AND ((json_array_length(?3) = 0 AND json_array_length(?4) = 0) "
    "OR key_id IN (SELECT value FROM json_each(?3)) OR ip IN (SELECT value FROM json_each(?4))) "
    "AND (json_array_length(?5) = 0 OR EXISTS (SELECT 1 FROM json_each(?5) r WHERE "
    "reads.detail = r.value OR substr(reads.detail, 1, length(r.value) + 1) = r.value || ' '))";

enum kt_rc sq_reads_subjects(struct store *s, const struct reads_filter *f, int64_t *subjects,
                             int64_t *bulk, struct kt_err *err)
{
    struct sq_reads *r = &((struct sq_store *)s)->reads;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    *subjects = *bulk = 0;
    /* A connection of its own, read-only: the count may scan the whole log, and the flush (which
     * holds r->mu) must not wait for it. No file yet: nothing was read. */
    int rc = sqlite3_open_v2(r->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_CANTOPEN) {
        sqlite3_close(db);
        return KT_OK;
    }
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_prepare_v2(db, subjects_sql, -1, &st, NULL);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, f->since);
        sqlite3_bind_int64(st, 2, f->until);
        sqlite3_bind_text(st, 3, f->key_ids, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, f->ips, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, f->routes, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        *subjects = sqlite3_column_int64(st, 0);
        *bulk = sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        kt_err_set(err, rc == SQLITE_BUSY ? KT_EBUSY : KT_ESTORE, "store_error", NULL,
                   "the log of reads cannot be read");
        kt_err_detail(err, "reads subjects: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_OK ? KT_OK : err ? err->rc : KT_ESTORE;
}

enum kt_rc sq_reads_conn(struct store *s, struct sql_conn **out, struct kt_err *err)
{
    struct sq_reads *r = &((struct sq_store *)s)->reads;
    *out = NULL;
    pthread_mutex_lock(&r->mu);
    enum kt_rc rc = reads_open(r, err);
    if (rc != KT_OK) {
        pthread_mutex_unlock(&r->mu);
        return rc;
    }
    *out = &r->conn.base;
    return KT_OK;
}

void sq_reads_conn_put(struct store *s, struct sql_conn *c)
{
    (void)c; /* the file's own connection, kept */
    pthread_mutex_unlock(&((struct sq_store *)s)->reads.mu);
}
