/*
 * reads.c - the log of reads of personal data (store_reads_add, store_reads_list): a database file
 * of its own beside the main one ("<db>.reads"), opened on first use, append-only by its triggers.
 * The privacy worker writes it in bulk, so its writes - thousands a second under lookups - never
 * make the main database's readers drop their caches. One connection, guarded by its mutex.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "store/sqlite/sqlite_int.h"

static const char reads_schema[] =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON; "
    "CREATE TABLE IF NOT EXISTS reads ("
    "  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, key_id TEXT, action TEXT NOT NULL,"
    "  customer_id TEXT, fields TEXT, detail TEXT, request_id TEXT);"
    "CREATE INDEX IF NOT EXISTS reads_customer ON reads (customer_id, seq);"
    "CREATE INDEX IF NOT EXISTS reads_key ON reads (key_id, seq);"
    "CREATE TRIGGER IF NOT EXISTS reads_no_delete BEFORE DELETE ON reads "
    "BEGIN SELECT RAISE(ABORT, 'the log of reads is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS reads_no_update BEFORE UPDATE ON reads "
    "BEGIN SELECT RAISE(ABORT, 'the log of reads is append-only'); END;";

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
        rc = sqlite3_exec(r->db, reads_schema, NULL, NULL, NULL);
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

enum kt_rc sq_reads_add(struct store *s, const struct audit_entry *e, size_t n, struct kt_err *err)
{
    struct sq_reads *r = sq_store_reads(s);
    pthread_mutex_lock(&r->mu);
    enum kt_rc rc = reads_open(r, err);
    sqlite3_stmt *st = NULL;
    int src = SQLITE_OK;
    if (rc == KT_OK) {
        src = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    }
    if (rc == KT_OK && src == SQLITE_OK) {
        src = sqlite3_prepare_v2(r->db,
                                 "INSERT INTO reads (at, key_id, action, customer_id, fields, "
                                 "detail, request_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                 -1, &st, NULL);
    }
    for (size_t i = 0; rc == KT_OK && src == SQLITE_OK && i < n; i++) {
        sqlite3_bind_int64(st, 1, e[i].at);
        sq_bind_text(st, 2, e[i].key_id);
        sq_bind_text(st, 3, e[i].action);
        sq_bind_text(st, 4, e[i].customer_id);
        sq_bind_text(st, 5, e[i].fields);
        sq_bind_text(st, 6, e[i].detail);
        sq_bind_text(st, 7, e[i].request_id);
        src = sqlite3_step(st);
        src = src == SQLITE_DONE ? SQLITE_OK : src;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == KT_OK && src == SQLITE_OK) {
        src = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc == KT_OK && src != SQLITE_OK) {
        rc = reads_fail(r, src, "reads add", err);
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
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
        int src = sqlite3_prepare_v2(
            r->db,
            "SELECT seq, at, key_id, action, customer_id, fields, detail, request_id FROM reads "
            "WHERE seq > ?1 AND (?2 IS NULL OR customer_id = ?2) AND (?3 IS NULL OR key_id = ?3) "
            "AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR at >= ?5) "
            "AND (?6 IS NULL OR at < ?6) ORDER BY seq LIMIT ?7",
            -1, &st, NULL);
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
