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
    if (r->db != NULL) {
        return KT_OK;
    }
    int rc = sqlite3_open_v2(
        r->path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(r->db, 5000);
        rc = reads_schema(r->db);
    }
    if (rc != SQLITE_OK) {
        kt_err_set(err, rc == SQLITE_BUSY ? KT_EBUSY : KT_ESTORE, "store_error", NULL,
                   "the log of reads cannot be opened");
        kt_err_detail(err, "%s: %s", r->path, r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
        sqlite3_close(r->db);
        r->db = NULL;
        return err->rc;
    }
    return KT_OK;
}

static enum kt_rc reads_fail(struct sq_reads *r, int rc, const char *what, struct kt_err *err)
{
    kt_err_set(err, rc == SQLITE_BUSY ? KT_EBUSY : KT_ESTORE, "store_error", NULL,
               "the log of reads failed");
    kt_err_detail(err, "%s: %s", what, sqlite3_errmsg(r->db));
    return err->rc;
}

/* The chain's statements on the file, prepared for one call; false when one failed. */
static bool chain_prepare(struct sq_reads *r, struct sq_chain_stmts *q, bool legacy,
                          sqlite3_stmt **count)
{
    const char *text[] = {SQ_AUDIT_ANCHOR_SQL, SQ_AUDIT_LAST_SQL("reads"),
                          SQ_AUDIT_ADD_SQL("reads"), SQ_AUDIT_SEAL_SQL,
                          SQ_AUDIT_LEGACY_SQL("reads")};
    sqlite3_stmt **st[] = {&q->anchor, &q->last, &q->add, &q->seal, count};
    memset(q, 0, sizeof(*q));
    q->log = "reads";
    bool ok = true;
    for (size_t i = 0; i < (legacy ? 5u : 4u); i++) {
        *st[i] = NULL;
        ok = ok && sqlite3_prepare_v2(r->db, text[i], -1, st[i], NULL) == SQLITE_OK;
    }
    return ok;
}

static void chain_finalize(struct sq_chain_stmts *q, sqlite3_stmt *count)
{
    sqlite3_finalize(q->anchor);
    sqlite3_finalize(q->last);
    sqlite3_finalize(q->add);
    sqlite3_finalize(q->seal);
    sqlite3_finalize(count);
}

enum kt_rc sq_reads_add(struct store *s, struct audit_entry *e, size_t n, store_audit_seal_fn seal,
                        void *ctx, struct kt_err *err)
{
    struct sq_reads *r = sq_store_reads(s);
    pthread_mutex_lock(&r->mu);
    enum kt_rc rc = reads_open(r, err);
    struct sq_chain_stmts q = {0};
    int src = SQLITE_OK;
    if (rc == KT_OK) {
        src = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    }
    if (rc == KT_OK && src == SQLITE_OK) {
        src = chain_prepare(r, &q, false, NULL) ? SQLITE_OK : sqlite3_errcode(r->db);
    }
    if (rc == KT_OK && src == SQLITE_OK) {
        src = sq_chain_append(&q, e, n, seal, ctx, err);
    }
    chain_finalize(&q, NULL);
    if (rc == KT_OK && src == SQLITE_OK) {
        src = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc == KT_OK && src != SQLITE_OK) {
        rc = src == SQLITE_ABORT && err != NULL && err->rc != KT_OK
                 ? err->rc
                 : reads_fail(r, src, "reads add", err);
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

enum kt_rc sq_reads_chain(struct store *s, struct audit_chain *out, struct kt_err *err)
{
    struct sq_reads *r = sq_store_reads(s);
    pthread_mutex_lock(&r->mu);
    enum kt_rc rc = reads_open(r, err);
    struct sq_chain_stmts q = {0};
    sqlite3_stmt *count = NULL;
    int src = SQLITE_OK;
    if (rc == KT_OK) {
        src = chain_prepare(r, &q, true, &count) ? sq_chain_head(&q, out) : sqlite3_errcode(r->db);
    }
    if (rc == KT_OK && src == SQLITE_OK) {
        sqlite3_bind_int64(count, 1, out->anchor_seq);
        src = sqlite3_step(count);
        out->legacy_rows = sqlite3_column_int64(count, 0);
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
    struct sq_reads *r = sq_store_reads(s);
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&r->mu);
    enum kt_rc rc = reads_open(r, err);
    sqlite3_stmt *st = NULL;
    if (rc == KT_OK) {
        int src = sqlite3_prepare_v2(r->db, SQ_AUDIT_LIST_SQL("reads"), -1, &st, NULL);
        if (src != SQLITE_OK) {
            rc = reads_fail(r, src, "reads prepare", err);
        }
    }
    if (rc == KT_OK) {
        sqlite3_bind_int64(st, 1, f->after_seq);
        sq_bind_text(st, 2, f->customer_id);
        sq_bind_text(st, 3, f->key_id);
        sq_bind_text(st, 4, f->action);
        sq_bind_i64_or_null(st, 5, f->since);
        sq_bind_i64_or_null(st, 6, f->until);
        sqlite3_bind_int(st, 7, f->limit);
        int src = sq_collect(st, sq_audit_row, sizeof(**out), a, out, n);
        if (src != SQLITE_DONE) {
            rc = reads_fail(r, src, "reads list", err);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void sq_reads_close(struct sq_reads *r)
{
    sqlite3_close(r->db);
    r->db = NULL;
    free(r->path);
    r->path = NULL;
    pthread_mutex_destroy(&r->mu);
}
