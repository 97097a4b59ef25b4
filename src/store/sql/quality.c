/*
 * quality.c - the queries of the quality report, for both backends.
 *
 * One pass over customers computes completeness, validity, verification and freshness together;
 * the other questions (attributes, refusals, duplicates, sources, cards) are one grouped query
 * each over an index or a small table. These statements are run rarely, so they are prepared for
 * the call and not cached. Every value is a bound parameter; the SQL text is built from the
 * fixed field list only.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store/sql/sql_int.h"

static const char *const cols[PF_COUNT] = {"last_name", "first_name", "middle_name",
                                           "gender",    "birth_date", "email",
                                           "phone",     "city",       "address"};

/* The one pass over customers: 3 sums per field, then the rest. */
static char *scan_sql(bool pg)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "SELECT count(*)");
    for (int f = 0; f < PF_COUNT; f++) {
        buf_printf(&b,
                   ", count(%s), sum(%s IS NOT NULL AND ((quality >> %d) & 3) = 1), "
                   "sum(%s IS NOT NULL AND ((quality >> %d) & 3) = 2)",
                   cols[f], cols[f], 2 * f, cols[f], 2 * f);
    }
    buf_printf(&b, ", sum(phone IS NOT NULL AND (verified & %d) != 0)", 1 << PF_PHONE);
    buf_printf(&b, ", sum(email IS NOT NULL AND (verified & %d) != 0)", 1 << PF_EMAIL);
    buf_puts(&b, ", sum(gender IS NOT NULL AND gender_inferred <> 0)");
    buf_printf(&b,
               ", sum(phone IS NOT NULL AND (verified & %d) != 0 AND first_name IS NOT NULL "
               "AND birth_date IS NOT NULL)",
               1 << PF_PHONE);
    buf_printf(&b, ", sum(t < ?1), sum(t < ?2), sum(t < ?3) FROM (SELECT *, %s(updated_at",
               pg ? "greatest" : "max");
    for (int f = 0; f < PF_COUNT; f++) {
        buf_printf(&b, ", coalesce(%s_at, 0)", cols[f]);
    }
    buf_puts(&b, ") AS t FROM customers WHERE merged_into IS NULL) AS x");
    return buf_take(&b);
}

/* The condition of the partial index customers_dup (0002_quality.sql), written the same way so
 * that SQLite counts duplicate groups from the index alone. */
#define DUP_WHERE "name_key IS NOT NULL AND birth_date IS NOT NULL AND merged_into IS NULL"

static enum kt_rc prepare(struct sql_conn *c, const char *sql, struct sql_stmt **st,
                          struct kt_err *err)
{
    int rc = sql_prepare(c, sql, st);
    return rc == SQL_OK ? KT_OK : sql_fail(c, rc, "quality prepare", err);
}

/* The columns scan_sql() selects: the count, 3 per field, 4 more, 3 ages. */
#define SCAN_COLS (1 + 3 * PF_COUNT + 4 + 3)

static enum kt_rc scan(struct sql_conn *c, int64_t now, struct quality_data *q, struct kt_err *err)
{
    char *sql = scan_sql(sql_dialect(c) == SQL_PG);
    struct sql_stmt *st = NULL;
    enum kt_rc rc = prepare(c, sql, &st, err);
    free(sql);
    if (rc != KT_OK) {
        return rc;
    }
    const int64_t year = 365LL * 86400 * 1000;
    for (int i = 0; i < 3; i++) {
        sql_bind_i64(st, i + 1, now - year * (i + 1));
    }
    int64_t v[SCAN_COLS] = {0};
    rc = sql_int_row(c, st, v, SCAN_COLS, "quality scan", err);
    sql_finalize(st);
    if (rc != KT_OK) {
        return rc;
    }
    int k = 0;
    q->customers = v[k++];
    for (int f = 0; f < PF_COUNT; f++) {
        q->filled[f] = v[k++];
        q->corrected[f] = v[k++];
        q->suspicious[f] = v[k++];
    }
    q->phone_verified = v[k++];
    q->email_verified = v[k++];
    q->gender_inferred = v[k++];
    q->complete = v[k++];
    for (int i = 0; i < 3; i++) {
        q->stale[i] = v[k++];
    }
    return KT_OK;
}

static void count_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct quality_count *qc = out;
    const char *t = sql_col_str(st, 0);
    qc->key = arena_strdup(a, t ? (const char *)t : "");
    qc->n = sql_col_i64(st, 1);
}

/* Runs a query of (text, count) rows into a list. */
static enum kt_rc counts(struct sql_conn *c, const char *sql, struct arena *a,
                         struct quality_count **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    enum kt_rc rc = prepare(c, sql, &st, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = sql_rows(c, st, count_row, sizeof(**out), a, out, n, "quality counts", err);
    sql_finalize(st);
    return rc;
}

static enum kt_rc two(struct sql_conn *c, const char *sql, int64_t *x, int64_t *y,
                      struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    enum kt_rc rc = prepare(c, sql, &st, err);
    if (rc != KT_OK) {
        return rc;
    }
    int64_t v[2] = {0, 0};
    rc = sql_int_row(c, st, v, 2, "quality pair", err);
    sql_finalize(st);
    if (rc == KT_OK) {
        *x = v[0];
        *y = v[1];
    }
    return rc;
}

static void intake_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct intake_row *r = out;
    r->channel = arena_strdup(a, (const char *)sql_col_str(st, 0));
    r->store_id = arena_strdup(a, (const char *)sql_col_str(st, 1));
    r->operator_id = arena_strdup(a, (const char *)sql_col_str(st, 2));
    int64_t *v[] = {&r->requests, &r->refused, &r->ok, &r->corrected, &r->suspicious, &r->invalid};
    for (int i = 0; i < 6; i++) {
        *v[i] = sql_col_i64(st, 3 + i);
    }
}

static enum kt_rc intake(struct sql_conn *c, int64_t since_day, struct arena *a,
                         struct quality_data *q, struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    enum kt_rc rc = prepare(c,
                            "SELECT channel, store_id, operator_id, sum(requests), sum(refused), "
                            "sum(ok), sum(corrected), sum(suspicious), sum(invalid) FROM intake "
                            "WHERE day >= ?1 GROUP BY channel, store_id, operator_id",
                            &st, err);
    if (rc != KT_OK) {
        return rc;
    }
    sql_bind_i64(st, 1, since_day);
    rc = sql_rows(c, st, intake_row, sizeof(*q->intake), a, &q->intake, &q->n_intake,
                  "quality intake", err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_quality(struct store_conn *base, int64_t now, int64_t since_day, struct arena *a,
                       struct quality_data *q, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    memset(q, 0, sizeof(*q));
    enum kt_rc rc = scan(c, now, q, err);
    if (rc == KT_OK) {
        rc = counts(c,
                    "SELECT a.name, (SELECT count(*) FROM customers WHERE merged_into IS NULL "
                    "AND json_type(attrs, '$.\"' || a.name || '\"') IS NOT NULL) "
                    "FROM attributes a ORDER BY a.name",
                    a, &q->attrs, &q->n_attrs, err);
    }
    if (rc == KT_OK) {
        rc = counts(c,
                    "SELECT field, count(*) FROM history WHERE action = 'refused' "
                    "GROUP BY field ORDER BY field",
                    a, &q->refused, &q->n_refused, err);
    }
    if (rc == KT_OK) {
        rc = two(c,
                 "SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM customers "
                 "WHERE " DUP_WHERE " GROUP BY name_key, birth_date HAVING count(*) > 1) AS x",
                 &q->dup_groups, &q->dup_customers, err);
    }
    if (rc == KT_OK) {
        rc =
            counts(c,
                   "SELECT (SELECT group_concat(id) FROM customers c WHERE " DUP_WHERE
                   " AND c.name_key = g.k AND c.birth_date = g.b), n FROM (SELECT name_key AS "
                   "k, birth_date AS b, count(*) AS n FROM customers WHERE " DUP_WHERE
                   " GROUP BY name_key, birth_date HAVING count(*) > 1 ORDER BY n DESC LIMIT 10) g",
                   a, &q->dup_samples, &q->n_dup_samples, err);
    }
    if (rc == KT_OK) {
        rc = two(c,
                 "SELECT count(*), (SELECT count(*) FROM (SELECT ck_a FROM merge_candidates "
                 "WHERE resolved_at IS NULL UNION SELECT ck_b FROM merge_candidates "
                 "WHERE resolved_at IS NULL) AS x) FROM merge_candidates WHERE resolved_at IS NULL",
                 &q->candidates_open, &q->candidates_customers, err);
    }
    if (rc == KT_OK) { /* the identifiers a hard bounce marked, by the blind index they share */
        rc = two(c,
                 "SELECT count(DISTINCT CASE WHEN u.kind = 'email' THEN i.ck END), "
                 "count(DISTINCT CASE WHEN u.kind = 'phone' THEN i.ck END) FROM undeliverable u "
                 "JOIN identifiers i ON i.kind = u.kind AND i.bidx = u.bidx "
                 "JOIN customers c ON c.ck = i.ck WHERE c.merged_into IS NULL",
                 &q->email_undeliverable, &q->phone_undeliverable, err);
    }
    if (rc == KT_OK) {
        rc = intake(c, since_day, a, q, err);
    }
    if (rc == KT_OK) {
        rc = counts(c,
                    "SELECT n, count(*) FROM (SELECT count(*) AS n FROM identifiers "
                    "WHERE kind = 'card' GROUP BY ck) AS x GROUP BY n ORDER BY n",
                    a, &q->cards, &q->n_cards, err);
    }
    return rc;
}
