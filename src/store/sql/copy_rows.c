/*
 * copy_rows.c - store_copy's rows (copy.c drives the copy; copy_int.h): a connection on each
 * database of a store, a value as read and as bound, a key as the text of a resume point, the
 * SELECT of a batch in key order after the last key (text keys COLLATE "C" on PostgreSQL) and the
 * INSERTs that write it, PARAMS_MAX values a statement. Not here: which tables, in what order, or
 * when a batch is committed with its resume point (copy.c); the checksums (copy_verify.c).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/mem.h"
#include "store/sql/copy_int.h"

#define PARAMS_MAX 4000 /* values in one INSERT */

/* ---- connections ----------------------------------------------------------------------------- */

static const struct sql_hooks *hooks_of(struct store *s)
{
    return ((struct sql_store *)s)->hooks;
}

enum kt_rc sql_copy_link_get(struct link *l, struct store *s, enum side side, bool write,
                             struct kt_err *err)
{
    *l = (struct link){s, side, write, NULL};
    struct store_conn *sc = NULL;
    if (side == SIDE_MAIN) {
        enum kt_rc rc = write ? store_write_begin(s, &sc, err) : store_read_begin(s, &sc, err);
        l->c = (struct sql_conn *)sc;
        return rc;
    }
    const struct sql_hooks *h = hooks_of(s);
    enum kt_rc rc = side == SIDE_KEYS ? h->keys_conn(s, &l->c, err) : h->reads_conn(s, &l->c, err);
    if (rc == KT_OK && write && (rc = sql_exec(l->c, "BEGIN", err)) != KT_OK) {
        (side == SIDE_KEYS ? h->keys_conn_put : h->reads_conn_put)(s, l->c);
        l->c = NULL;
    }
    return rc;
}

/* Gives the connection back; a write commits when `rc` is KT_OK, else rolls back. */
enum kt_rc sql_copy_link_put(struct link *l, enum kt_rc rc, struct kt_err *err)
{
    if (l->c == NULL) {
        return rc;
    }
    if (l->side == SIDE_MAIN && l->write) {
        rc = store_write_end(&l->c->base, rc, err);
    } else if (l->side == SIDE_MAIN) {
        store_read_end(&l->c->base);
    } else {
        if (l->write && rc == KT_OK) {
            rc = sql_exec(l->c, "COMMIT", err);
        }
        if (l->write && rc != KT_OK) {
            l->c->drv->exec(l->c, "ROLLBACK");
        }
        const struct sql_hooks *h = hooks_of(l->s);
        (l->side == SIDE_KEYS ? h->keys_conn_put : h->reads_conn_put)(l->s, l->c);
    }
    l->c = NULL;
    return rc;
}

/* Runs `text` (without results) on c. */
enum kt_rc sql_copy_run_text(struct sql_conn *c, const char *text, struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c, text, &st);
    if (src != SQL_OK) {
        return sql_fail(c, src, "copy", err);
    }
    src = sql_step(st);
    while (src == SQL_ROW) {
        src = sql_step(st);
    }
    enum kt_rc rc = src == SQL_DONE ? KT_OK : sql_fail(c, src, "copy", err);
    sql_finalize(st);
    return rc;
}

/* The one integer of `text` (a count), with `arg` bound to ?1 when not NULL. */
enum kt_rc sql_copy_int_of(struct sql_conn *c, const char *text, const char *arg, int64_t *v,
                           struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c, text, &st);
    if (src != SQL_OK) {
        return sql_fail(c, src, "copy", err);
    }
    if (arg != NULL) {
        sql_bind_text(st, 1, arg);
    }
    enum kt_rc rc = sql_int_row(c, st, v, 1, "copy", err);
    sql_finalize(st);
    return rc;
}

/* ---- values ---------------------------------------------------------------------------------- */

static void val_read(struct sql_stmt *st, int i, struct arena *a, struct val *v)
{
    memset(v, 0, sizeof(*v));
    v->type = sql_col_type(st, i);
    if (v->type == SQL_INTEGER) {
        v->i = sql_col_i64(st, i);
    } else if (v->type == SQL_FLOAT) {
        v->d = sql_col_double(st, i);
    } else if (v->type == SQL_TEXT || v->type == SQL_BLOB) {
        const void *p =
            v->type == SQL_TEXT ? (const void *)sql_col_str(st, i) : sql_col_blob(st, i);
        v->n = sql_col_bytes(st, i);
        unsigned char *q = arena_alloc(a, (size_t)v->n + 1);
        if (v->n > 0) {
            memcpy(q, p, (size_t)v->n);
        }
        q[v->n] = '\0';
        v->p = q;
    } else {
        v->type = SQL_NULL;
    }
}

/* Binds v to parameter i; text goes as bytes when `bytes` (a bytea column). */
void sql_copy_val_bind(struct sql_stmt *st, int i, const struct val *v, bool bytes)
{
    if (v->type == SQL_INTEGER) {
        sql_bind_i64(st, i, v->i);
    } else if (v->type == SQL_FLOAT) {
        sql_bind_double(st, i, v->d);
    } else if (v->type == SQL_TEXT && !bytes) {
        sql_bind_textn(st, i, (const char *)v->p, v->n, SQL_STATIC);
    } else if (v->type == SQL_TEXT || v->type == SQL_BLOB) {
        sql_bind_blob(st, i, v->p, v->n, SQL_STATIC); /* p is never NULL: "" for none */
    } else {
        sql_bind_null(st, i);
    }
}

/* A key as text for copy_progress.last_key: per value i<int>, f<real>, t<hex>, b<hex> or n. */
void sql_copy_key_encode(const struct val *v, int n, struct buf *b)
{
    for (int k = 0; k < n; k++) {
        buf_puts(b, k ? "," : "");
        if (v[k].type == SQL_INTEGER) {
            buf_printf(b, "i%lld", (long long)v[k].i);
        } else if (v[k].type == SQL_FLOAT) {
            buf_printf(b, "f%.17g", v[k].d);
        } else if (v[k].type == SQL_TEXT || v[k].type == SQL_BLOB) {
            buf_puts(b, v[k].type == SQL_TEXT ? "t" : "b");
            for (int j = 0; j < v[k].n; j++) {
                buf_printf(b, "%02x", v[k].p[j]);
            }
        } else {
            buf_puts(b, "n");
        }
    }
}

bool sql_copy_key_decode(const char *s, struct arena *a, struct val *v, int n)
{
    for (int k = 0; k < n; k++) {
        memset(&v[k], 0, sizeof(v[k]));
        size_t len = strcspn(s, ",");
        if (s[0] == 'i') {
            v[k].type = SQL_INTEGER;
            v[k].i = strtoll(s + 1, NULL, 10);
        } else if (s[0] == 'f') {
            v[k].type = SQL_FLOAT;
            v[k].d = strtod(s + 1, NULL);
        } else if (s[0] == 't' || s[0] == 'b') {
            v[k].type = s[0] == 't' ? SQL_TEXT : SQL_BLOB;
            unsigned char *p = arena_alloc(a, len / 2 + 1);
            size_t got = 0;
            if (sodium_hex2bin(p, len / 2 + 1, s + 1, len - 1, NULL, &got, NULL) != 0) {
                return false;
            }
            p[got] = '\0';
            v[k].p = p;
            v[k].n = (int)got;
        } else if (s[0] == 'n') {
            v[k].type = SQL_NULL;
        } else {
            return false;
        }
        s += len;
        if (k + 1 < n && *s++ != ',') {
            return false;
        }
    }
    return true;
}

/* ---- statements ------------------------------------------------------------------------------ */

static void put_name(struct buf *b, const char *name)
{
    /* SQLite's implicit rowid is found by its bare name only */
    buf_printf(b, strcmp(name, "rowid") == 0 ? "%s" : "\"%s\"", name);
}

static void put_key(struct buf *b, const struct unit *u, bool pg)
{
    for (int k = 0; k < u->nkey; k++) {
        buf_puts(b, k ? ", " : "");
        put_name(b, u->c[u->key[k]].name);
        buf_puts(b, pg && u->c[u->key[k]].text ? " COLLATE \"C\"" : "");
    }
}

/* SELECT of the unit's columns after the key ?1..?nkey (when `after`), in key order. */
static char *select_text(const struct sql_conn *c, const struct unit *u, bool after,
                         const char *extra, int limit)
{
    bool pg = sql_dialect(c) == SQL_PG;
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "SELECT ");
    for (int i = 0; i < u->n; i++) {
        buf_puts(&b, i ? ", " : "");
        put_name(&b, u->c[i].name);
    }
    buf_printf(&b, " FROM \"%s\" WHERE (%s)", u->table, u->where ? u->where : "1 = 1");
    if (extra != NULL) {
        buf_printf(&b, " AND (%s)", extra);
    }
    if (after) {
        buf_puts(&b, " AND (");
        put_key(&b, u, pg);
        buf_puts(&b, ") > (");
        for (int k = 0; k < u->nkey; k++) {
            buf_printf(&b, "%s?%d", k ? ", " : "", k + 1);
        }
        buf_puts(&b, ")");
    }
    buf_puts(&b, " ORDER BY ");
    put_key(&b, u, pg);
    buf_printf(&b, " LIMIT %d", limit);
    char *t = kt_strdup(buf_cstr(&b));
    buf_release(&b);
    return t;
}

/* Reads up to `limit` rows after `last` (NULL: from the first) into b. */
enum kt_rc sql_copy_read_batch(struct sql_conn *c, const struct unit *u, const struct val *last,
                               const char *extra, int limit, struct batch *b, struct kt_err *err)
{
    char *text = select_text(c, u, last != NULL, extra, limit);
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c, text, &st);
    free(text);
    if (src != SQL_OK) {
        return sql_fail(c, src, u->name, err);
    }
    for (int k = 0; last != NULL && k < u->nkey; k++) {
        sql_copy_val_bind(st, k + 1, &last[k], false);
    }
    b->v = arena_alloc(&b->a, sizeof(*b->v) * (size_t)u->n * (size_t)limit);
    b->rows = 0;
    while ((src = sql_step(st)) == SQL_ROW) {
        if (b->rows == 0 && st->drv->col_count(st) != u->n) {
            src = SQL_ERROR;
            break;
        }
        for (int i = 0; i < u->n; i++) {
            val_read(st, i, &b->a, &b->v[b->rows * (size_t)u->n + (size_t)i]);
        }
        b->rows++;
    }
    enum kt_rc rc = src == SQL_DONE ? KT_OK : sql_fail(c, src, u->name, err);
    sql_finalize(st);
    return rc;
}

/* The key of row r of b. */
void sql_copy_key_of(const struct unit *u, const struct batch *b, size_t r, struct val *out)
{
    for (int k = 0; k < u->nkey; k++) {
        out[k] = b->v[r * (size_t)u->n + (size_t)u->key[k]];
    }
}

static char *insert_text(const struct sql_conn *c, const struct unit *u, size_t rows)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "INSERT INTO \"%s\" (", u->table);
    for (int i = 0; i < u->n; i++) {
        buf_printf(&b, "%s\"%s\"", i ? ", " : "", u->c[i].name);
    }
    buf_puts(&b, u->overriding && sql_dialect(c) == SQL_PG ? ") OVERRIDING SYSTEM VALUE VALUES "
                                                           : ") VALUES ");
    for (size_t r = 0; r < rows; r++) {
        buf_puts(&b, r ? ", (" : "(");
        for (int i = 0; i < u->n; i++) {
            buf_printf(&b, "%s?%zu", i ? ", " : "", r * (size_t)u->n + (size_t)i + 1);
        }
        buf_puts(&b, ")");
    }
    char *t = kt_strdup(buf_cstr(&b));
    buf_release(&b);
    return t;
}

/* A BLOB for a column the target keeps as text: a value sealed under --sealed-fields, which
 * PostgreSQL does not take. */
static enum kt_rc blob_refused(const struct unit *u, int i, struct kt_err *err)
{
    kt_err_set(err, KT_EINVAL, "sealed_fields_unsupported", NULL,
               "the source seals a field PostgreSQL keeps clear (--sealed-fields): open it "
               "with --sealed-fields none first to clear them, then copy");
    kt_err_detail(err, "table %s, column %s", u->table, u->c[i].name);
    return KT_EINVAL;
}

/* Writes the rows of b, PARAMS_MAX values a statement. */
enum kt_rc sql_copy_write_rows(struct sql_conn *c, const struct unit *u, const struct batch *b,
                               struct kt_err *err)
{
    size_t per = (size_t)(PARAMS_MAX / u->n);
    per = per ? per : 1;
    struct sql_stmt *full = NULL;
    enum kt_rc rc = KT_OK;
    for (size_t r0 = 0; rc == KT_OK && r0 < b->rows; r0 += per) {
        size_t rows = b->rows - r0 < per ? b->rows - r0 : per;
        struct sql_stmt *st = rows == per ? full : NULL;
        if (st == NULL) {
            char *text = insert_text(c, u, rows);
            int src = c->drv->prepare(c, text, rows == per, &st);
            free(text);
            if (src != SQL_OK) {
                rc = sql_fail(c, src, u->name, err);
                break;
            }
            full = rows == per ? st : full;
        }
        for (size_t r = 0; r < rows; r++) {
            for (int i = 0; i < u->n; i++) {
                const struct val *v = &b->v[(r0 + r) * (size_t)u->n + (size_t)i];
                int p = (int)(r * (size_t)u->n) + i + 1;
                if (u->c[i].self_ref) {
                    sql_bind_null(st, p);
                } else if (v->type == SQL_BLOB && !u->c[i].bytea && u->c[i].text) {
                    rc = blob_refused(u, i, err);
                } else {
                    sql_copy_val_bind(st, p, v, u->c[i].bytea);
                }
            }
        }
        rc = rc == KT_OK ? sql_run(c, st, NULL, err) : rc;
        sql_reset(st);
        if (st != full) {
            sql_finalize(st);
        }
    }
    sql_finalize(full);
    return rc;
}
