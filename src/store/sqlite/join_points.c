/*
 * join_points.c - the SQLite side of join points (0027_join_points.sql): a store and a spot in
 * it, named by the short code of a public link (pages/join_points.c). No personal data.
 *
 * Statements are cached per connection in their slots of enum sq_slot; every value is bound.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

#define JP_COLS "code, store_id, spot, label, created_at, disabled_at"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_JOIN_POINT_ADD] = "INSERT INTO join_points (" JP_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
    [SQ_JOIN_POINT_GET] = "SELECT " JP_COLS " FROM join_points WHERE code = ?1",
    [SQ_JOIN_POINT_LIST] = "SELECT " JP_COLS " FROM join_points WHERE code > ?1 "
                           "AND (?2 IS NULL OR store_id = ?2) ORDER BY code LIMIT ?3",
    [SQ_JOIN_POINT_DISABLE] = "UPDATE join_points SET disabled_at = coalesce(disabled_at, ?2) "
                              "WHERE code = ?1",
};

static sqlite3_stmt *get(struct store_conn *base, enum sq_slot slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, sql[slot], err);
}

static void read_jp(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct join_point *j = out;
    memset(j, 0, sizeof(*j));
    const char *code = (const char *)sqlite3_column_text(st, 0);
    snprintf(j->code, sizeof(j->code), "%s", code ? code : "");
    j->store = sq_col_text(st, 1, a);
    j->spot = sq_col_text(st, 2, a);
    j->label = sq_col_text(st, 3, a);
    j->created_at = sqlite3_column_int64(st, 4);
    j->disabled_at = sqlite3_column_int64(st, 5);
}

enum kt_rc sq_join_point_add(struct store_conn *base, const struct join_point *j,
                             struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_JOIN_POINT_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, j->code);
    sq_bind_text(st, 2, j->store);
    sq_bind_text(st, 3, j->spot);
    sq_bind_text(st, 4, j->label);
    sqlite3_bind_int64(st, 5, j->created_at);
    return sq_run((struct sq_conn *)base, st, NULL, err);
}

enum kt_rc sq_join_point_get(struct store_conn *base, const char *code, struct arena *a,
                             struct join_point *out, bool *found, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_JOIN_POINT_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, code);
    return sq_one((struct sq_conn *)base, st, read_jp, a, out, found, "join_point_not_found",
                  "join point not found", err);
}

enum kt_rc sq_join_point_list(struct store_conn *base, const char *store, const char *after,
                              size_t limit, struct arena *a, struct join_point **out, size_t *n,
                              struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_JOIN_POINT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, after ? after : "");
    sq_bind_text(st, 2, store);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    return sq_rows((struct sq_conn *)base, st, read_jp, sizeof(**out), a, out, n, "join_points",
                   err);
}

enum kt_rc sq_join_point_disable(struct store_conn *base, const char *code, int64_t at,
                                 struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_JOIN_POINT_DISABLE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, code);
    sqlite3_bind_int64(st, 2, at);
    int changes = 0;
    if (sq_run((struct sq_conn *)base, st, &changes, err) != KT_OK) {
        return err->rc;
    }
    return changes ? KT_OK
                   : kt_err_set(err, KT_ENOTFOUND, "join_point_not_found", NULL,
                                "join point not found");
}
