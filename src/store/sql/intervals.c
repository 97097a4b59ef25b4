/*
 * intervals.c - the SQL side of the learned purchase intervals (segment/intervals.c, docs/
 * journeys.md "Learned intervals"): every live customer's purchase days per SKU, category or
 * receipt, streamed in (ck, key) groups.
 *
 * One statement, prepared for the call (a report and a daily job, not a request path), walked
 * row by row: SQLite reads purchases in ck order by purchases_ck and sorts only the rows of one
 * customer at a time for the rest of the ORDER BY, so neither it nor this file holds more than
 * one customer's receipts. The local date of a receipt needs the tz database, which SQL has
 * not: the rows carry the moment and the store's zone, and the date is made here.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/tz.h"
#include "store/sql/sql_int.h"

/*
 * The statement for `by`, made for the call. Purchases in ck order by their index, forced on
 * SQLite (INDEXED BY, CROSS JOIN, `+p.at` so the index on dates is not taken): it then sorts one
 * customer's rows at a time ("temp b-tree for right part of order by"), never the whole base.
 * The refunded quantities per line are summed once (a few rows: most receipts have no refund)
 * and joined, not asked per line. Without `zones` - no store keeps a zone other than the
 * installation's - the store of a receipt is not read at all: purchases_ck covers ck, at and id,
 * while store_id is a lookup into the table per receipt, most of the statement's time.
 */
static char *statement(enum store_day_key by, bool zones, bool pg)
{
    const char *key = by == STORE_DAY_SKU ? "l.sku" : by == STORE_DAY_CATEGORY ? "l.category" : 0;
    return sql_printf(
        "SELECT p.ck, c.id, %s, p.at, %s FROM purchases p %s %s%s "
        "JOIN customers c ON c.ck = p.ck %s WHERE p.ck IS NOT NULL AND %sp.at <= ?1 AND "
        "c.merged_into IS NULL AND c.erased_at IS NULL AND" SQL_NOT_BLOCKED(
            "c.ck") "%s %s "
                    "ORDER BY p.ck, %s, p.at",
        key ? key : "''", zones ? "s.time_zone" : "NULL", pg ? "" : "INDEXED BY purchases_ck",
        key && !pg ? "CROSS " : "",
        key ? "JOIN purchase_lines l ON l.purchase_id = p.id LEFT JOIN (SELECT "
              "r.purchase_id AS pid, rl.n AS n, sum(rl.quantity) AS q FROM refunds r JOIN "
              "refund_lines rl ON rl.refund_id = r.id WHERE r.at <= ?1 GROUP BY 1, 2) rf ON "
              "rf.pid = p.id AND rf.n = l.n"
            : "",
        zones ? "LEFT JOIN stores s ON s.code = p.store_id" : "", pg ? "" : "+",
        key ? "AND l.quantity > coalesce(rf.q, 0)" : "",
        by == STORE_DAY_CATEGORY ? "AND l.category IS NOT NULL" : "", key ? key : "p.at");
}

/* Whether any store keeps a zone other than the installation's. */
static enum kt_rc other_zones(struct sql_conn *c, bool *out, struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int rc = sql_prepare(c, "SELECT count(*) FROM stores WHERE time_zone <> ?1", &st);
    if (rc != SQL_OK) {
        return sql_fail(c, rc, "purchase days", err);
    }
    sql_bind_textn(st, 1, tz_name(tz_default()), -1, SQL_STATIC);
    int64_t n = 0;
    enum kt_rc r = sql_int_row(c, st, &n, 1, "purchase days", err);
    sql_finalize(st);
    *out = n > 0;
    return r;
}

/* The group being read: one customer and key, its days (malloc'd, grown as needed). */
struct group {
    int64_t ck;
    char *id, *key;
    int64_t *days;
    size_t n, cap;
    char zone_buf[TZ_NAME_MAX]; /* the last zone looked up, and what it was */
    const struct tz *zone;
};

static int day_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Hands the group to `fn`, its days sorted and distinct (receipts in two zones may come out of
 * order by a day), and empties it. */
static enum kt_rc flush(struct group *g, store_day_fn fn, void *ctx, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    qsort(g->days, g->n, sizeof(*g->days), day_cmp);
    for (size_t i = 0; rc == KT_OK && i < g->n; i++) {
        if (i == 0 || g->days[i] != g->days[i - 1]) {
            rc = fn(ctx, g->ck, g->id, g->key, g->days[i], err);
        }
    }
    g->n = 0;
    return rc;
}

static bool same(const char *kept, const char *s)
{
    return kept != NULL && s != NULL && strcmp(kept, (const char *)s) == 0;
}

static const struct tz *zone_of(struct group *g, const char *name)
{
    if (name == NULL) {
        return tz_default();
    }
    if (g->zone != NULL && strcmp(g->zone_buf, (const char *)name) == 0) {
        return g->zone;
    }
    const struct tz *z;
    if (strlen((const char *)name) >= sizeof(g->zone_buf) ||
        tz_find((const char *)name, NULL, &z, NULL) != KT_OK) {
        return tz_default(); /* a zone a later tzdata withdrew: as zone.c does */
    }
    memcpy(g->zone_buf, name, strlen((const char *)name) + 1);
    g->zone = z;
    return z;
}

static void push(struct group *g, int64_t day)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->days = kt_realloc(g->days, g->cap * sizeof(*g->days));
    }
    g->days[g->n++] = day;
}

static char *dup_text(char *old, const char *s)
{
    free(old);
    return kt_strdup(s ? (const char *)s : "");
}

enum kt_rc sql_purchase_days(struct store_conn *base, enum store_day_key by, int64_t now,
                             store_day_fn fn, void *ctx, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    if (!c->analytics) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                          "purchase days are read on an analytic connection");
    }
    bool zones = false;
    enum kt_rc r = other_zones(c, &zones, err);
    if (r != KT_OK) {
        return r;
    }
    struct sql_stmt *st = NULL;
    char *sql = statement(by, zones, sql_dialect(c) == SQL_PG);
    int rc = sql ? sql_prepare(c, sql, &st) : SQL_NOMEM;
    free(sql);
    if (rc != SQL_OK) {
        return sql_fail(c, rc, "purchase days", err);
    }
    sql_bind_i64(st, 1, now);
    struct group g = {0};
    while (r == KT_OK && (rc = sql_step(st)) == SQL_ROW) {
        int64_t ck = sql_col_i64(st, 0);
        const char *key = sql_col_str(st, 2);
        if (g.n > 0 && (ck != g.ck || !same(g.key, key))) {
            r = flush(&g, fn, ctx, err);
        }
        if (r != KT_OK) {
            break;
        }
        if (g.n == 0) {
            g.ck = ck;
            g.id = dup_text(g.id, sql_col_str(st, 1));
            g.key = dup_text(g.key, key);
        }
        struct tz_local t;
        tz_local(zone_of(&g, sql_col_str(st, 4)), sql_col_i64(st, 3), &t);
        push(&g, t.days);
    }
    if (r == KT_OK && rc != SQL_ROW && rc != SQL_DONE) {
        r = sql_fail(c, rc, "purchase days", err);
    }
    if (r == KT_OK && g.n > 0) {
        r = flush(&g, fn, ctx, err);
    }
    sql_finalize(st);
    free(g.days);
    free(g.id);
    free(g.key);
    return r;
}
