/*
 * stmt.c - what every file of the SQL layer does with a statement: prepare it once per
 * connection, bind values, run it, read its rows, and turn the driver's failures into the
 * store's errors (the driver says which: a full disk, a lock, a lost connection).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/sql/sql_int.h"

void sql_writes_work_again(struct sql_store *s)
{
    if (atomic_exchange(&s->writes_failing, 0) != 0) {
        log_info("storage_writable", "msg=\"writes succeed again\"");
    }
}

enum kt_rc sql_fail(struct sql_conn *c, int rc, const char *what, struct kt_err *err)
{
    return c->drv->fail(c, rc, what, err);
}

enum kt_rc sql_exec(struct sql_conn *c, const char *text, struct kt_err *err)
{
    int rc = c->drv->exec(c, text);
    return rc == SQL_OK ? KT_OK : sql_fail(c, rc, text, err);
}

int sql_prepare(struct sql_conn *c, const char *text, struct sql_stmt **out)
{
    return c->drv->prepare(c, text, false, out);
}

struct sql_stmt *sql_prepare_once(struct sql_conn *c, const char *text, const char *what,
                                  struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int rc = sql_prepare(c, text, &st);
    if (rc != SQL_OK) {
        sql_fail(c, rc, what, err);
        sql_finalize(st);
        return NULL;
    }
    return st;
}

struct sql_stmt *sql_stmt_kept(struct sql_conn *c, const char *text, bool *keep, struct kt_err *err)
{
    size_t free_at = SQL_KEPT;
    for (size_t i = 0; i < SQL_KEPT; i++) {
        if (c->kept[i].text == NULL) {
            free_at = free_at < i ? free_at : i;
        } else if (strcmp(c->kept[i].text, text) == 0) {
            *keep = true;
            return c->kept[i].st;
        }
    }
    struct sql_stmt *st = NULL;
    *keep = free_at < SQL_KEPT;
    int rc = c->drv->prepare(c, text, *keep, &st);
    if (rc != SQL_OK) {
        sql_fail(c, rc, "prepare", err);
        return NULL;
    }
    if (*keep) {
        c->kept[free_at].text = strdup(text);
        if (c->kept[free_at].text == NULL) {
            *keep = false; /* finalized by the caller */
        } else {
            c->kept[free_at].st = st;
        }
    }
    return st;
}

void sql_conn_given_twice(void)
{
    log_error("store_conn_twice", "msg=\"a connection was ended twice\"");
#ifndef NDEBUG
    abort();
#endif
}

void sql_conn_finalize(struct sql_conn *c)
{
    for (size_t i = 0; i < SQL_STATEMENTS; i++) {
        sql_finalize(c->stmts[i]);
        c->stmts[i] = NULL;
    }
    for (size_t i = 0; i < SQL_KEPT; i++) {
        sql_finalize(c->kept[i].st);
        free(c->kept[i].text);
        c->kept[i].st = NULL;
        c->kept[i].text = NULL;
    }
}

/* The statement in `slot` of the connection, prepared from `text` on first use; it is reset and
 * has no bindings. NULL on failure (err is set). */
struct sql_stmt *sql_stmt(struct sql_conn *c, enum sql_slot slot, const char *text,
                          struct kt_err *err)
{
    assert(text != NULL); /* a slot another file's statements own, or one given no text */
    if (c->stmts[slot] == NULL) {
        int rc = c->drv->prepare(c, text, true, &c->stmts[slot]);
        if (rc != SQL_OK) {
            sql_fail(c, rc, "prepare", err);
            return NULL;
        }
    }
    return c->stmts[slot];
}

void sql_done(struct sql_stmt *st)
{
    st->drv->reset(st);
    st->drv->clear(st);
}

void sql_bind_text(struct sql_stmt *st, int i, const char *s)
{
    if (s == NULL) {
        sql_bind_null(st, i);
    } else {
        sql_bind_textn(st, i, s, -1, SQL_STATIC);
    }
}

void sql_bind_i64_or_null(struct sql_stmt *st, int i, int64_t v)
{
    if (v == 0) {
        sql_bind_null(st, i);
    } else {
        sql_bind_i64(st, i, v);
    }
}

/* Runs a statement that returns no rows; `changes` (may be NULL) gets the rows it touched. */
enum kt_rc sql_run(struct sql_conn *c, struct sql_stmt *st, int *changes, struct kt_err *err)
{
    int rc = sql_step(st);
    sql_done(st);
    if (rc != SQL_DONE) {
        if (rc == SQL_CONSTRAINT) {
            kt_err_set(err, KT_ECONFLICT, "conflict", NULL, "the record exists already");
            kt_err_detail(err, "%s", c->drv->errmsg(c));
            return KT_ECONFLICT;
        }
        return sql_fail(c, rc, "step", err);
    }
    if (changes != NULL) {
        *changes = sql_changes(c);
    }
    return KT_OK;
}

enum kt_rc sql_not_found(bool *found, struct kt_err *err, const char *code, const char *what)
{
    if (found != NULL) {
        *found = false;
        return KT_OK;
    }
    return kt_err_set(err, KT_ENOTFOUND, code, NULL, "%s not found", what);
}

/* ---- reading rows: the one loop every query goes through ------------------------------------ */

enum kt_rc sql_each(struct sql_conn *c, struct sql_stmt *st, sql_each_fn fn, void *ctx,
                    const char *what, struct kt_err *err)
{
    int rc;
    while ((rc = sql_step(st)) == SQL_ROW) {
        fn(st, ctx);
    }
    sql_done(st);
    return rc == SQL_DONE ? KT_OK : sql_fail(c, rc, what, err);
}

int sql_collect(struct sql_stmt *st, sql_row_fn row, size_t size, struct arena *a, void *arr,
                size_t *n)
{
    size_t cap = 0;
    int rc;
    *(void **)arr = NULL;
    *n = 0;
    while ((rc = sql_step(st)) == SQL_ROW) {
        row(st, a, arena_push(a, arr, n, &cap, size));
    }
    return rc;
}

enum kt_rc sql_rows(struct sql_conn *c, struct sql_stmt *st, sql_row_fn row, size_t size,
                    struct arena *a, void *arr, size_t *n, const char *what, struct kt_err *err)
{
    int rc = sql_collect(st, row, size, a, arr, n);
    sql_done(st);
    return rc == SQL_DONE ? KT_OK : sql_fail(c, rc, what, err);
}

enum kt_rc sql_one(struct sql_conn *c, struct sql_stmt *st, sql_row_fn row, struct arena *a,
                   void *out, bool *found, const char *code, const char *msg, struct kt_err *err)
{
    int rc = sql_step(st);
    if (rc == SQL_ROW) {
        row(st, a, out);
    }
    sql_done(st);
    if (rc != SQL_ROW && rc != SQL_DONE) {
        return sql_fail(c, rc, code, err);
    }
    if (found != NULL) {
        *found = rc == SQL_ROW;
        return KT_OK;
    }
    return rc == SQL_ROW ? KT_OK : kt_err_set(err, KT_ENOTFOUND, code, NULL, "%s", msg);
}

enum kt_rc sql_int_row(struct sql_conn *c, struct sql_stmt *st, int64_t *v, int n, const char *what,
                       struct kt_err *err)
{
    int rc = sql_step(st);
    for (int i = 0; rc == SQL_ROW && i < n; i++) {
        v[i] = sql_col_i64(st, i);
    }
    sql_done(st);
    return rc == SQL_ROW ? KT_OK : sql_fail(c, rc, what, err);
}

void sql_row_i64(struct sql_stmt *st, struct arena *a, void *out)
{
    *(int64_t *)out = sql_col_i64(st, 0);
}

struct i64_pair {
    int64_t x, y;
};

static void row_pair(struct sql_stmt *st, struct arena *a, void *out)
{
    (void)a;
    *(struct i64_pair *)out = (struct i64_pair){sql_col_i64(st, 0), sql_col_i64(st, 1)};
}

enum kt_rc sql_pairs(struct sql_conn *c, struct sql_stmt *st, struct arena *a, int64_t **x,
                     int64_t **y, size_t *n, const char *what, struct kt_err *err)
{
    struct i64_pair *rows = NULL;
    enum kt_rc rc = sql_rows(c, st, row_pair, sizeof(*rows), a, &rows, n, what, err);
    *x = arena_alloc(a, (*n + 1) * sizeof(**x));
    *y = arena_alloc(a, (*n + 1) * sizeof(**y));
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        (*x)[i] = rows[i].x;
        (*y)[i] = rows[i].y;
    }
    return rc;
}

void sql_row_text(struct sql_stmt *st, struct arena *a, void *out)
{
    *(const char **)out = sql_col_text(st, 0, a);
}

char *sql_printf(const char *fmt, ...)
{
    struct buf b;
    buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    bool ok = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (!ok) {
        buf_release(&b);
        return NULL;
    }
    return buf_take(&b);
}

enum kt_rc sql_insert_id(struct sql_conn *c, struct sql_stmt *st, int64_t *id, struct kt_err *err)
{
    *id = 0;
    int rc = sql_step(st);
    if (rc == SQL_ROW) {
        *id = sql_col_i64(st, 0);
        rc = sql_step(st);
    }
    sql_done(st);
    if (rc == SQL_DONE) {
        return KT_OK;
    }
    if (rc == SQL_CONSTRAINT) {
        kt_err_set(err, KT_ECONFLICT, "conflict", NULL, "the record exists already");
        kt_err_detail(err, "%s", c->drv->errmsg(c));
        return KT_ECONFLICT;
    }
    return sql_fail(c, rc, "insert", err);
}

int sql_migration_version(const char *name)
{
    const char *base = strrchr(name, '/');
    int v = 0;
    for (const char *p = base ? base + 1 : name; *p >= '0' && *p <= '9' && v < 100000; p++) {
        v = v * 10 + (*p - '0');
    }
    return v;
}
