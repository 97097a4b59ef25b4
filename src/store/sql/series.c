/*
 * series.c - the console's series over time, for both backends: a segment's sizes at its
 * refreshes (0036_segment_sizes.sql), the intake statistics day by day (0002_quality.sql) and the
 * points ledger's sums per day. Reports run rarely, so the statements are prepared for the call
 * and not cached; every value is a bound parameter.
 */

#include "store/sql/sql_int.h"

/* One series' rows: `sql` prepared for the call with `text` (when not NULL) bound to ?1 and the
 * period's two bounds to the next two parameters, then `extra` (when not 0) to the one after. */
static enum kt_rc series(struct sql_conn *c, const char *sql, const char *text, int64_t from,
                         int64_t to, int extra, sql_row_fn row, size_t size, struct arena *a,
                         void *out, size_t *n, const char *what, struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int rc = sql_prepare(c, sql, &st);
    if (rc != SQL_OK) {
        return sql_fail(c, rc, what, err);
    }
    int i = 1;
    if (text != NULL) {
        sql_bind_text(st, i++, text);
    }
    sql_bind_i64(st, i++, from);
    sql_bind_i64(st, i++, to);
    if (extra) {
        sql_bind_i64(st, i, extra);
    }
    enum kt_rc k = sql_rows(c, st, row, size, a, out, n, what, err);
    sql_finalize(st);
    return k;
}

static void size_row(struct sql_stmt *st, struct arena *a, void *out)
{
    (void)a;
    *(struct size_point *)out = (struct size_point){sql_col_i64(st, 0), sql_col_i64(st, 1)};
}

enum kt_rc sql_segment_sizes(struct store_conn *base, const char *id, int64_t since, int64_t until,
                             int limit, struct arena *a, struct size_point **out, size_t *n,
                             struct kt_err *err)
{
    return series((struct sql_conn *)base,
                  "SELECT at, size FROM (SELECT at, size FROM segment_sizes WHERE segment_id = ?1 "
                  "AND at >= ?2 AND at < ?3 ORDER BY at DESC LIMIT ?4) AS x ORDER BY at",
                  id, since, until, limit, size_row, sizeof(**out), a, out, n, "segment sizes",
                  err);
}

static void intake_day_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct intake_row *r = out;
    r->day = sql_col_i64(st, 0);
    r->channel = arena_strdup(a, (const char *)sql_col_str(st, 1));
    r->store_id = arena_strdup(a, (const char *)sql_col_str(st, 2));
    r->operator_id = arena_strdup(a, (const char *)sql_col_str(st, 3));
    int64_t *v[] = {&r->requests, &r->refused, &r->ok, &r->corrected, &r->suspicious, &r->invalid};
    for (int i = 0; i < 6; i++) {
        *v[i] = sql_col_i64(st, 4 + i);
    }
}

enum kt_rc sql_intake_daily(struct store_conn *base, int64_t since_day, int64_t until_day,
                            struct arena *a, struct intake_row **out, size_t *n, struct kt_err *err)
{
    return series((struct sql_conn *)base,
                  "SELECT day, channel, store_id, operator_id, requests, refused, ok, corrected, "
                  "suspicious, invalid FROM intake WHERE day >= ?1 AND day < ?2 ORDER BY day, "
                  "channel, store_id, operator_id",
                  NULL, since_day, until_day, 0, intake_day_row, sizeof(**out), a, out, n,
                  "intake daily", err);
}

static void ledger_day_row(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct ledger_day *)out = (struct ledger_day){
        sql_col_i64(st, 0), arena_strdup(a, (const char *)sql_col_str(st, 1)), sql_col_i64(st, 2)};
}

enum kt_rc sql_ledger_daily(struct store_conn *base, int64_t since, int64_t until, struct arena *a,
                            struct ledger_day **out, size_t *n, struct kt_err *err)
{
    return series((struct sql_conn *)base,
                  "SELECT at / 86400000 AS d, kind, sum(points) FROM points_ledger WHERE at >= ?1 "
                  "AND at < ?2 GROUP BY d, kind ORDER BY d, kind",
                  NULL, since, until, 0, ledger_day_row, sizeof(**out), a, out, n, "ledger daily",
                  err);
}
