/*
 * events_bulk.c - a batch of events at once: who its identifiers name, and its rows (store_ops.def
 * events_add_many, idents_owners; docs/events.md, "Speed").
 *
 * Where a statement costs a round trip to another process (PostgreSQL), an event cost three: its
 * cookie looked up, its message id inserted, its row inserted. Here a batch costs four in all:
 *
 *   - the identifiers, one query joining arrays of kinds and blind indexes (hex) to identifiers;
 *   - the message ids, one INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING h:
 *     the ids it gives back are the new ones, the others duplicates (of the base or of the batch:
 *     a second of one id is not inserted twice, and the first of the batch takes it);
 *   - the rows, COPY in its text format (two: the statement, then the rows and their end).
 *
 * Where the database is in the process (SQLite) and its writer keeps the message ids in two
 * levels (event_levels.c), one at a time is as fast: both go through the one-row statements.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "store/sql/event_levels.h"

/* Statements of one batch: below PostgreSQL's limits, and a lookup's plan stays index probes. */
#define OWNERS_AT_ONCE 1000

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_IDENT_OWNER] = "SELECT ck FROM identifiers WHERE kind = ?1 AND bidx = ?2",
    [SQL_IDENT_OWNERS] =
        "SELECT u.i, x.ck FROM unnest(?1::text[], ?2::text[]) WITH ORDINALITY AS u(kind, b, i) "
        "JOIN identifiers x ON x.kind = u.kind AND x.bidx = decode(u.b, 'hex')",
    [SQL_EVENT_IDS_NEW] =
        "INSERT INTO event_ids (h, received_at) SELECT h, r FROM unnest(?1::bigint[], "
        "?2::bigint[]) AS u(h, r) ORDER BY h ON CONFLICT DO NOTHING RETURNING h",
};

static const char copy_events[] = "COPY events (ck, anon_kind, anon_id, type, at, received_at, "
                                  "channel, props) FROM STDIN";

static struct sql_stmt *get(struct sql_conn *c, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt(c, slot, sql[slot], err);
}

static bool bulk(const struct sql_conn *c)
{
    return c->drv->copy_in != NULL && ((struct sql_store *)c->base.store)->level0 == NULL;
}

/* ---- identifiers ------------------------------------------------------------------------- */

/* A batch's text past its buffer's cap (a batch is bounded far below it). */
static enum kt_rc too_big(struct kt_err *err, const char *what)
{
    kt_err_set(err, KT_ESTORE, "store_error", NULL, "the database failed");
    kt_err_detail(err, "%s: the batch's text is past its buffer's cap", what);
    return KT_ESTORE;
}

/* Runs statement `slot` with the arrays x and y (their text forms) as ?1 and ?2, `fn` on each
 * row. */
static enum kt_rc each_of_arrays(struct sql_conn *c, enum sql_slot slot, const struct buf *x,
                                 const struct buf *y, sql_each_fn fn, void *ctx, const char *what,
                                 struct kt_err *err)
{
    if (x->failed || y->failed) {
        return too_big(err, what);
    }
    struct sql_stmt *st = get(c, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, buf_cstr(x));
    sql_bind_text(st, 2, buf_cstr(y));
    return sql_each(c, st, fn, ctx, what, err);
}

/* An element of an array's text form, quoted: " and \ escaped. */
static void array_text(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            buf_putc(b, '\\');
        }
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

struct owners {
    int64_t *cks;
    size_t n;
};

static void owner_row(struct sql_stmt *st, void *ctx)
{
    struct owners *o = ctx;
    int64_t i = sql_col_i64(st, 0);
    if (i >= 1 && (size_t)i <= o->n) { /* the array's positions, 1 to n */
        o->cks[i - 1] = sql_col_i64(st, 1);
    }
}

static enum kt_rc owners_at_once(struct sql_conn *c, const char *const *kinds,
                                 const char *const *values, size_t n, int64_t *cks,
                                 struct kt_err *err)
{
    struct buf k, b;
    buf_init(&k, BUF_MAX_DEFAULT);
    buf_init(&b, BUF_MAX_DEFAULT);
    buf_putc(&k, '{');
    buf_putc(&b, '{');
    for (size_t i = 0; i < n; i++) {
        unsigned char h[CRYPT_BIDX_BYTES];
        char hex[2 * CRYPT_BIDX_BYTES + 1];
        sql_bidx(c, kinds[i], values[i], h);
        sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
        buf_puts(&k, i > 0 ? "," : "");
        array_text(&k, kinds[i]);
        buf_puts(&b, i > 0 ? "," : "");
        buf_puts(&b, hex);
    }
    buf_putc(&k, '}');
    buf_putc(&b, '}');
    struct owners o = {cks, n};
    enum kt_rc rc =
        each_of_arrays(c, SQL_IDENT_OWNERS, &k, &b, owner_row, &o, "identifiers' owners", err);
    buf_release(&k);
    buf_release(&b);
    return rc;
}

enum kt_rc sql_idents_owners(struct store_conn *base, const char *const *kinds,
                             const char *const *values, size_t n, int64_t *cks, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    memset(cks, 0, n * sizeof(*cks));
    enum kt_rc rc = KT_OK;
    if (sql_dialect(c) == SQL_PG) {
        for (size_t i = 0; rc == KT_OK && i < n; i += OWNERS_AT_ONCE) {
            size_t m = n - i < OWNERS_AT_ONCE ? n - i : OWNERS_AT_ONCE;
            rc = owners_at_once(c, kinds + i, values + i, m, cks + i, err);
        }
        return rc;
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct sql_stmt *st = get(c, SQL_IDENT_OWNER, err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sql_bind_text(st, 1, kinds[i]);
        sql_bind_bidx(c, st, 2, kinds[i], values[i]);
        bool found = false;
        rc = sql_one(c, st, sql_row_i64, NULL, &cks[i], &found, "identifier's owner", NULL, err);
        cks[i] = found ? cks[i] : 0;
    }
    return rc;
}

/* ---- message ids ------------------------------------------------------------------------- */

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

struct news {
    int64_t *h; /* the ids inserted, sorted once read */
    size_t n, cap;
};

static void new_row(struct sql_stmt *st, void *ctx)
{
    struct news *x = ctx;
    if (x->n < x->cap) { /* never more than were sent */
        x->h[x->n++] = sql_col_i64(st, 0);
    }
}

/* dup[i] for every event of the batch with a message id: false for the first of each id the
 * base did not have. */
static enum kt_rc ids_new(struct sql_conn *c, const struct event *e, size_t n, bool *dup,
                          struct kt_err *err)
{
    struct buf hs, rs;
    buf_init(&hs, BUF_MAX_DEFAULT);
    buf_init(&rs, BUF_MAX_DEFAULT);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].msg_hash != 0) {
            buf_printf(&hs, "%s%lld", m > 0 ? "," : "{", (long long)e[i].msg_hash);
            buf_printf(&rs, "%s%lld", m > 0 ? "," : "{", (long long)e[i].received_at);
            m++;
        }
    }
    enum kt_rc rc = KT_OK;
    struct news x = {kt_calloc(m + 1, sizeof(int64_t)), 0, m};
    bool *taken = kt_calloc(m + 1, sizeof(bool));
    if (m > 0) {
        buf_putc(&hs, '}');
        buf_putc(&rs, '}');
        rc = each_of_arrays(c, SQL_EVENT_IDS_NEW, &hs, &rs, new_row, &x, "message ids", err);
        qsort(x.h, x.n, sizeof(*x.h), cmp_i64);
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        if (e[i].msg_hash == 0) {
            continue;
        }
        const int64_t *at = bsearch(&e[i].msg_hash, x.h, x.n, sizeof(*x.h), cmp_i64);
        dup[i] = at == NULL || taken[at - x.h];
        if (at != NULL) {
            taken[at - x.h] = true;
        }
    }
    free(taken);
    free(x.h);
    buf_release(&hs);
    buf_release(&rs);
    return rc;
}

/* ---- rows -------------------------------------------------------------------------------- */

/* A value in COPY's text format: \N for NULL; backslash, tab, newline and return escaped. */
static void copy_text(struct buf *b, const char *s)
{
    if (s == NULL) {
        buf_puts(b, "\\N");
        return;
    }
    for (; *s; s++) {
        switch (*s) {
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

static enum kt_rc rows_copy(struct sql_conn *c, const struct event *e, size_t n, const bool *dup,
                            struct kt_err *err)
{
    struct buf b;
    buf_init(&b, (size_t)1 << 30);
    int64_t want = 0, rows = 0;
    for (size_t i = 0; i < n; i++) {
        if (dup[i]) {
            continue;
        }
        const struct event *x = &e[i];
        if (x->ck != 0) {
            buf_printf(&b, "%lld\t", (long long)x->ck);
        } else {
            buf_puts(&b, "\\N\t");
        }
        copy_text(&b, x->anon_kind);
        buf_putc(&b, '\t');
        copy_text(&b, x->anon_id);
        buf_putc(&b, '\t');
        copy_text(&b, x->type);
        buf_printf(&b, "\t%lld\t%lld\t", (long long)x->at, (long long)x->received_at);
        copy_text(&b, x->channel);
        buf_putc(&b, '\t');
        copy_text(&b, x->props);
        buf_putc(&b, '\n');
        want++;
    }
    enum kt_rc rc = KT_OK;
    if (b.failed) {
        rc = too_big(err, "events (copy)");
    } else if (want > 0) {
        int r = c->drv->copy_in(c, copy_events, b.p, b.len, &rows);
        rc = r == SQL_OK ? KT_OK : sql_fail(c, r, "events (copy)", err);
        if (rc == KT_OK && rows != want) {
            kt_err_set(err, KT_ESTORE, "store_error", NULL, "the database failed");
            kt_err_detail(err, "events: %lld rows copied of %lld", (long long)rows,
                          (long long)want);
            rc = KT_ESTORE;
        }
    }
    buf_release(&b);
    return rc;
}

enum kt_rc sql_events_add_many(struct store_conn *base, const struct event *e, size_t n, bool *dup,
                               struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    memset(dup, 0, n * sizeof(*dup));
    if (!bulk(c)) {
        enum kt_rc rc = KT_OK;
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            rc = sql_event_add(base, &e[i], &dup[i], err);
        }
        return rc;
    }
    enum kt_rc rc = ids_new(c, e, n, dup, err);
    return rc == KT_OK ? rows_copy(c, e, n, dup, err) : rc;
}
