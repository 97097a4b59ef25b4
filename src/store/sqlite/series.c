/*
 * series.c - the console's series over time, for the SQLite backend: a segment's sizes at its
 * refreshes (0036_segment_sizes.sql), the intake statistics day by day (0002_quality.sql) and the
 * points ledger's sums per day. Reports run rarely, so the statements are prepared for the call
 * and not cached; every value is a bound parameter.
 */
#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"

static sqlite3_stmt *prepare(struct sq_conn *c, const char *sql, struct kt_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        sq_fail(c, rc, "series", err);
        return NULL;
    }
    return st;
}

static void size_row(sqlite3_stmt *st, struct arena *a, void *out)
{
    (void)a;
    *(struct size_point *)out =
        (struct size_point){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)};
}

enum kt_rc sq_segment_sizes(struct store_conn *base, const char *id, int64_t since, int64_t until,
                            int limit, struct arena *a, struct size_point **out, size_t *n,
                            struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = prepare(c,
                               "SELECT at, size FROM (SELECT at, size FROM segment_sizes WHERE "
                               "segment_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY at DESC "
                               "LIMIT ?4) ORDER BY at",
                               err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, until);
    sqlite3_bind_int(st, 4, limit);
    enum kt_rc rc = sq_rows(c, st, size_row, sizeof(**out), a, out, n, "segment sizes", err);
    sqlite3_finalize(st);
    return rc;
}

static void intake_day_row(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct intake_row *r = out;
    r->day = sqlite3_column_int64(st, 0);
    r->channel = arena_strdup(a, (const char *)sqlite3_column_text(st, 1));
    r->store_id = arena_strdup(a, (const char *)sqlite3_column_text(st, 2));
    r->operator_id = arena_strdup(a, (const char *)sqlite3_column_text(st, 3));
    int64_t *v[] = {&r->requests, &r->refused, &r->ok, &r->corrected, &r->suspicious, &r->invalid};
    for (int i = 0; i < 6; i++) {
        *v[i] = sqlite3_column_int64(st, 4 + i);
    }
}

enum kt_rc sq_intake_daily(struct store_conn *base, int64_t since_day, int64_t until_day,
                           struct arena *a, struct intake_row **out, size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = prepare(c,
                               "SELECT day, channel, store_id, operator_id, requests, refused, "
                               "ok, corrected, suspicious, invalid FROM intake WHERE day >= ?1 "
                               "AND day < ?2 ORDER BY day, channel, store_id, operator_id",
                               err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, since_day);
    sqlite3_bind_int64(st, 2, until_day);
    enum kt_rc rc = sq_rows(c, st, intake_day_row, sizeof(**out), a, out, n, "intake daily", err);
    sqlite3_finalize(st);
    return rc;
}

static void ledger_day_row(sqlite3_stmt *st, struct arena *a, void *out)
{
    *(struct ledger_day *)out = (struct ledger_day){
        sqlite3_column_int64(st, 0), arena_strdup(a, (const char *)sqlite3_column_text(st, 1)),
        sqlite3_column_int64(st, 2)};
}

enum kt_rc sq_ledger_daily(struct store_conn *base, int64_t since, int64_t until, struct arena *a,
                           struct ledger_day **out, size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = prepare(c,
                               "SELECT at / 86400000 AS d, kind, sum(points) FROM points_ledger "
                               "WHERE at >= ?1 AND at < ?2 GROUP BY d, kind ORDER BY d, kind",
                               err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, until);
    enum kt_rc rc = sq_rows(c, st, ledger_day_row, sizeof(**out), a, out, n, "ledger daily", err);
    sqlite3_finalize(st);
    return rc;
}
