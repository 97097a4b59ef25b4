/*
 * series.c - the console's series over time, for the SQLite backend: a segment's sizes at its
 * refreshes (0036_segment_sizes.sql), the intake statistics day by day (0002_quality.sql) and the
 * points ledger's sums per day. Reports run rarely, so the statements are prepared for the call
 * and not cached; every value is a bound parameter.
 */
#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"

/* One series' rows: `sql` prepared for the call with `text` (when not NULL) bound to ?1 and the
 * period's two bounds to the next two parameters, then `extra` (when not 0) to the one after. */
static enum kt_rc series(struct sq_conn *c, const char *sql, const char *text, int64_t from,
                         int64_t to, int extra, sq_row_fn row, size_t size, struct arena *a,
                         void *out, size_t *n, const char *what, struct kt_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return sq_fail(c, rc, what, err);
    }
    int i = 1;
    if (text != NULL) {
        sq_bind_text(st, i++, text);
    }
    sqlite3_bind_int64(st, i++, from);
    sqlite3_bind_int64(st, i++, to);
    if (extra) {
        sqlite3_bind_int(st, i, extra);
    }
    enum kt_rc k = sq_rows(c, st, row, size, a, out, n, what, err);
    sqlite3_finalize(st);
    return k;
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
    return series((struct sq_conn *)base,
                  "SELECT at, size FROM (SELECT at, size FROM segment_sizes WHERE segment_id = ?1 "
                  "AND at >= ?2 AND at < ?3 ORDER BY at DESC LIMIT ?4) ORDER BY at",
                  id, since, until, limit, size_row, sizeof(**out), a, out, n, "segment sizes",
                  err);
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
    return series((struct sq_conn *)base,
                  "SELECT day, channel, store_id, operator_id, requests, refused, ok, corrected, "
                  "suspicious, invalid FROM intake WHERE day >= ?1 AND day < ?2 ORDER BY day, "
                  "channel, store_id, operator_id",
                  NULL, since_day, until_day, 0, intake_day_row, sizeof(**out), a, out, n,
                  "intake daily", err);
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
    return series((struct sq_conn *)base,
                  "SELECT at / 86400000 AS d, kind, sum(points) FROM points_ledger WHERE at >= ?1 "
                  "AND at < ?2 GROUP BY d, kind ORDER BY d, kind",
                  NULL, since, until, 0, ledger_day_row, sizeof(**out), a, out, n, "ledger daily",
                  err);
}
