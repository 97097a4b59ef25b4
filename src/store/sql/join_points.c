/*
 * join_points.c - the SQL side of join points (0027_join_points.sql): a store and a spot in
 * it, named by the short code of a public link (pages/join_points.c). No personal data.
 *
 * Statements are cached per connection in their slots of enum sql_slot; every value is bound.
 */
#include <stdio.h>
#include <string.h>

#include "store/sql/sql_int.h"

#define JP_COLS "code, store_id, spot, label, created_at, disabled_at"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_JOIN_POINT_ADD] =
        "INSERT INTO join_points (" JP_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
    [SQL_JOIN_POINT_GET] = "SELECT " JP_COLS " FROM join_points WHERE code = ?1",
    [SQL_JOIN_POINT_LIST] =
        "SELECT " JP_COLS " FROM join_points WHERE code > ?1 "
        "AND (CAST(?2 AS TEXT) IS NULL OR store_id = ?2) ORDER BY code LIMIT ?3",
    [SQL_JOIN_POINT_DISABLE] = "UPDATE join_points SET disabled_at = coalesce(disabled_at, ?2) "
                               "WHERE code = ?1",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

static void read_jp(struct sql_stmt *st, struct arena *a, void *out)
{
    struct join_point *j = out;
    memset(j, 0, sizeof(*j));
    const char *code = (const char *)sql_col_str(st, 0);
    snprintf(j->code, sizeof(j->code), "%s", code ? code : "");
    j->store = sql_col_text(st, 1, a);
    j->spot = sql_col_text(st, 2, a);
    j->label = sql_col_text(st, 3, a);
    j->created_at = sql_col_i64(st, 4);
    j->disabled_at = sql_col_i64(st, 5);
}

enum kt_rc sql_join_point_add(struct store_conn *base, const struct join_point *j,
                              struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOIN_POINT_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, j->code);
    sql_bind_text(st, 2, j->store);
    sql_bind_text(st, 3, j->spot);
    sql_bind_text(st, 4, j->label);
    sql_bind_i64(st, 5, j->created_at);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_join_point_get(struct store_conn *base, const char *code, struct arena *a,
                              struct join_point *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOIN_POINT_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, code);
    return sql_one((struct sql_conn *)base, st, read_jp, a, out, found, "join_point_not_found",
                   "join point not found", err);
}

enum kt_rc sql_join_point_list(struct store_conn *base, const char *store, const char *after,
                               size_t limit, struct arena *a, struct join_point **out, size_t *n,
                               struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOIN_POINT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, after ? after : "");
    sql_bind_text(st, 2, store);
    sql_bind_i64(st, 3, (int64_t)limit);
    return sql_rows((struct sql_conn *)base, st, read_jp, sizeof(**out), a, out, n, "join_points",
                    err);
}

enum kt_rc sql_join_point_disable(struct store_conn *base, const char *code, int64_t at,
                                  struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOIN_POINT_DISABLE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, code);
    sql_bind_i64(st, 2, at);
    int changes = 0;
    if (sql_run((struct sql_conn *)base, st, &changes, err) != KT_OK) {
        return err->rc;
    }
    return changes ? KT_OK
                   : kt_err_set(err, KT_ENOTFOUND, "join_point_not_found", NULL,
                                "join point not found");
}
