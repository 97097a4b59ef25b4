/*
 * driver.c - SQLite as the SQL layer's driver (sql_int.h): a statement is an sqlite3_stmt behind
 * the layer's handle, and SQLite's result codes, which the layer's numbering copies, pass
 * through; a failure is turned into the store's error here, where a full or read-only disk can be
 * told from a lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/log.h"
#include "store/sqlite/sqlite_int.h"

struct sq_stmt {
    struct sql_stmt base;
    sqlite3_stmt *st;
};

static sqlite3_stmt *raw(struct sql_stmt *st)
{
    return ((struct sq_stmt *)st)->st;
}

static sqlite3 *db_of(struct sql_conn *c)
{
    return ((struct sq_conn *)c)->db;
}

/* The disk cannot take a write: SPACE_FULL, SPACE_READ_ONLY, or 0 for any other failure. */
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
enum kt_rc sq_no_space(struct sq_conn *c, int cause, const char *what, struct kt_err *err)
{
    struct sql_store *s = (struct sql_store *)c->base.base.store;
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

enum kt_rc sq_fail_raw(struct sq_conn *c, int rc, const char *what, struct kt_err *err)
{
    int cause = space_cause(c, rc);
    if (cause != 0) {
        return sq_no_space(c, cause, what, err);
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

enum kt_rc sq_exec(struct sq_conn *c, const char *text, struct kt_err *err)
{
    int rc = sqlite3_exec(c->db, text, NULL, NULL, NULL);
    return rc == SQLITE_OK ? KT_OK : sq_fail_raw(c, rc, text, err);
}

static enum kt_rc d_fail(struct sql_conn *c, int rc, const char *what, struct kt_err *err)
{
    return sq_fail_raw((struct sq_conn *)c, rc, what, err);
}

static const char *d_errmsg(struct sql_conn *c)
{
    return sqlite3_errmsg(db_of(c));
}

static int d_exec(struct sql_conn *c, const char *text)
{
    return sqlite3_exec(db_of(c), text, NULL, NULL, NULL);
}

static int d_prepare(struct sql_conn *c, const char *text, bool persistent, struct sql_stmt **out)
{
    *out = NULL;
    struct sq_stmt *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        return SQLITE_NOMEM;
    }
    int rc = sqlite3_prepare_v3(db_of(c), text, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
                                &st->st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st->st);
        free(st);
        return rc;
    }
    st->base.drv = &sq_driver;
    st->base.conn = c;
    *out = &st->base;
    return SQLITE_OK;
}

static void d_finalize(struct sql_stmt *st)
{
    sqlite3_finalize(raw(st));
    free(st);
}

static void d_reset(struct sql_stmt *st)
{
    sqlite3_reset(raw(st));
}

static void d_clear(struct sql_stmt *st)
{
    sqlite3_clear_bindings(raw(st));
}

static void d_bind_i64(struct sql_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(raw(st), i, v);
}

static void d_bind_double(struct sql_stmt *st, int i, double v)
{
    sqlite3_bind_double(raw(st), i, v);
}

static void d_bind_null(struct sql_stmt *st, int i)
{
    sqlite3_bind_null(raw(st), i);
}

static void d_bind_text(struct sql_stmt *st, int i, const char *s, int n, int life)
{
    if (s == NULL) {
        sqlite3_bind_null(raw(st), i);
        return;
    }
    sqlite3_bind_text(raw(st), i, s, n, life == SQL_TRANSIENT ? SQLITE_TRANSIENT : SQLITE_STATIC);
}

static void d_bind_blob(struct sql_stmt *st, int i, const void *p, int n, int life)
{
    if (p == NULL) {
        sqlite3_bind_null(raw(st), i);
        return;
    }
    sqlite3_bind_blob(raw(st), i, p, n, life == SQL_TRANSIENT ? SQLITE_TRANSIENT : SQLITE_STATIC);
}

static int d_step(struct sql_stmt *st)
{
    return sqlite3_step(raw(st));
}

static int d_col_type(struct sql_stmt *st, int i)
{
    return sqlite3_column_type(raw(st), i);
}

static int64_t d_col_i64(struct sql_stmt *st, int i)
{
    return sqlite3_column_int64(raw(st), i);
}

static double d_col_double(struct sql_stmt *st, int i)
{
    return sqlite3_column_double(raw(st), i);
}

static const char *d_col_text(struct sql_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(raw(st), i);
}

static const void *d_col_blob(struct sql_stmt *st, int i)
{
    return sqlite3_column_blob(raw(st), i);
}

static int d_col_bytes(struct sql_stmt *st, int i)
{
    return sqlite3_column_bytes(raw(st), i);
}

static int64_t d_changes(struct sql_conn *c)
{
    return sqlite3_changes64(db_of(c));
}

static int d_col_count(struct sql_stmt *st)
{
    return sqlite3_column_count(raw(st));
}

static const char *d_col_name(struct sql_stmt *st, int i)
{
    return sqlite3_column_name(raw(st), i);
}

const struct sql_driver sq_driver = {
    .dialect = SQL_SQLITE,
    .prepare = d_prepare,
    .finalize = d_finalize,
    .reset = d_reset,
    .clear = d_clear,
    .bind_i64 = d_bind_i64,
    .bind_double = d_bind_double,
    .bind_null = d_bind_null,
    .bind_text = d_bind_text,
    .bind_blob = d_bind_blob,
    .step = d_step,
    .col_type = d_col_type,
    .col_i64 = d_col_i64,
    .col_double = d_col_double,
    .col_text = d_col_text,
    .col_blob = d_col_blob,
    .col_bytes = d_col_bytes,
    .changes = d_changes,
    .fail = d_fail,
    .errmsg = d_errmsg,
    .exec = d_exec,
    .col_count = d_col_count,
    .col_name = d_col_name,
};

void sq_conn_wrap(struct sq_conn *c, struct store *s, sqlite3 *db)
{
    c->base.base.ops = s ? s->ops : NULL;
    c->base.base.store = s;
    c->base.drv = &sq_driver;
    c->db = db;
}
