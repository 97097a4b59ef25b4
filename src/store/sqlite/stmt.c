/*
 * stmt.c - what every file of the SQLite backend does with a statement: prepare it once per
 * connection, bind values, run it, read its rows, and turn SQLite's result codes into the
 * store's errors (a full or read-only disk into KT_ESPACE, a lock into KT_EBUSY).
 */
#include <assert.h>
#include <errno.h>
#include <sqlite3.h>
#include <string.h>

#include "base/log.h"
#include "store/sqlite/sqlite_int.h"

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
enum kt_rc sq_no_space(struct sq_conn *c, int cause, const char *what, struct kt_err *err)
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

void sq_writes_work_again(struct sq_store *s)
{
    if (atomic_exchange(&s->writes_failing, 0) != 0) {
        log_info("storage_writable", "msg=\"writes succeed again\"");
    }
}

enum kt_rc sq_fail(struct sq_conn *c, int rc, const char *what, struct kt_err *err)
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
    return rc == SQLITE_OK ? KT_OK : sq_fail(c, rc, text, err);
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
            sq_fail(c, rc, "prepare", err);
            return NULL;
        }
    }
    return c->stmts[slot];
}

void sq_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s == NULL) {
        sqlite3_bind_null(st, i);
    } else {
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    }
}

void sq_bind_i64_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v == 0) {
        sqlite3_bind_null(st, i);
    } else {
        sqlite3_bind_int64(st, i, v);
    }
}

/* Runs a statement that returns no rows; `changes` (may be NULL) gets the rows it touched. */
enum kt_rc sq_run(struct sq_conn *c, sqlite3_stmt *st, int *changes, struct kt_err *err)
{
    int rc = sqlite3_step(st);
    sq_done(st);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_CONSTRAINT) {
            kt_err_set(err, KT_ECONFLICT, "conflict", NULL, "the record exists already");
            kt_err_detail(err, "%s", sqlite3_errmsg(c->db));
            return KT_ECONFLICT;
        }
        return sq_fail(c, rc, "step", err);
    }
    if (changes != NULL) {
        *changes = sqlite3_changes(c->db);
    }
    return KT_OK;
}

enum kt_rc sq_not_found(bool *found, struct kt_err *err, const char *code, const char *what)
{
    if (found != NULL) {
        *found = false;
        return KT_OK;
    }
    return kt_err_set(err, KT_ENOTFOUND, code, NULL, "%s not found", what);
}

/* ---- reading rows: the one loop every query goes through ------------------------------------ */

enum kt_rc sq_each(struct sq_conn *c, sqlite3_stmt *st, sq_each_fn fn, void *ctx, const char *what,
                   struct kt_err *err)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fn(st, ctx);
    }
    sq_done(st);
    return rc == SQLITE_DONE ? KT_OK : sq_fail(c, rc, what, err);
}

int sq_collect(sqlite3_stmt *st, sq_row_fn row, size_t size, struct arena *a, void *arr, size_t *n)
{
    size_t cap = 0;
    int rc;
    *(void **)arr = NULL;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row(st, a, arena_push(a, arr, n, &cap, size));
    }
    return rc;
}

enum kt_rc sq_rows(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn row, size_t size, struct arena *a,
                   void *arr, size_t *n, const char *what, struct kt_err *err)
{
    int rc = sq_collect(st, row, size, a, arr, n);
    sq_done(st);
    return rc == SQLITE_DONE ? KT_OK : sq_fail(c, rc, what, err);
}

enum kt_rc sq_one(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn row, struct arena *a, void *out,
                  bool *found, const char *code, const char *msg, struct kt_err *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row(st, a, out);
    }
    sq_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return sq_fail(c, rc, code, err);
    }
    if (found != NULL) {
        *found = rc == SQLITE_ROW;
        return KT_OK;
    }
    return rc == SQLITE_ROW ? KT_OK : kt_err_set(err, KT_ENOTFOUND, code, NULL, "%s", msg);
}

enum kt_rc sq_int_row(struct sq_conn *c, sqlite3_stmt *st, int64_t *v, int n, const char *what,
                      struct kt_err *err)
{
    int rc = sqlite3_step(st);
    for (int i = 0; rc == SQLITE_ROW && i < n; i++) {
        v[i] = sqlite3_column_int64(st, i);
    }
    sq_done(st);
    return rc == SQLITE_ROW ? KT_OK : sq_fail(c, rc, what, err);
}

void sq_row_i64(sqlite3_stmt *st, struct arena *a, void *out)
{
    *(int64_t *)out = sqlite3_column_int64(st, 0);
}

struct i64_pair {
    int64_t x, y;
};

static void row_pair(sqlite3_stmt *st, struct arena *a, void *out)
{
    (void)a;
    *(struct i64_pair *)out =
        (struct i64_pair){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)};
}

enum kt_rc sq_pairs(struct sq_conn *c, sqlite3_stmt *st, struct arena *a, int64_t **x, int64_t **y,
                    size_t *n, const char *what, struct kt_err *err)
{
    struct i64_pair *rows = NULL;
    enum kt_rc rc = sq_rows(c, st, row_pair, sizeof(*rows), a, &rows, n, what, err);
    *x = arena_alloc(a, (*n + 1) * sizeof(**x));
    *y = arena_alloc(a, (*n + 1) * sizeof(**y));
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        (*x)[i] = rows[i].x;
        (*y)[i] = rows[i].y;
    }
    return rc;
}

void sq_row_text(sqlite3_stmt *st, struct arena *a, void *out)
{
    *(const char **)out = sq_col_text(st, 0, a);
}
