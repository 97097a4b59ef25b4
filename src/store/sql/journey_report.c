/*
 * journey_report.c - the SQL side of a journey's report (store_ops.def, journey_report;
 * docs/journeys.md, "Reports"). Two aggregate reads on one snapshot:
 *
 *   steps   every step logged (journey_steps) by step and outcome, with the states of the
 *           messages the sends made and what they earned: the purchases within the window after
 *           the message was sent with no later marketing message of the same channel to the
 *           customer before them (last touch per channel, as a campaign's), net of refunds;
 *   groups  the runs in the journey and those held out in the control group, each with its
 *           purchases within the window after entry (intention to treat: the uplift).
 *
 * No personal data is read: keys, times, states and money. Not cached: a report, not a till.
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define NET                                                                                        \
    "p.total - coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.purchase_id = p.id), 0)"

static const char steps_sql[] =
    "WITH s AS (SELECT s.step, s.outcome, s.message_id, o.state, o.sent_at, o.channel, o.ck "
    "FROM journey_steps s LEFT JOIN outbox o ON o.id = s.message_id WHERE s.journey = ?1), "
    "a AS (SELECT s.step, s.outcome, s.ck, " NET " AS net FROM s JOIN purchases p ON p.ck = "
    "s.ck AND p.at >= s.sent_at AND p.at < s.sent_at + ?2 WHERE s.sent_at IS NOT NULL AND NOT "
    "EXISTS (SELECT 1 FROM outbox o2 WHERE o2.ck = s.ck AND o2.channel = s.channel AND o2.kind "
    "= 'marketing' AND o2.sent_at <= p.at AND (o2.sent_at, o2.id) > (s.sent_at, "
    "s.message_id))) "
    "SELECT s.step, s.outcome, count(*), sum(s.state IN ('sent', 'delivered', 'bounced')), "
    "sum(s.state = 'capped'), sum(s.state = 'suppressed'), sum(s.state IN ('queued', "
    "'sending')), (SELECT count(DISTINCT a.ck) FROM a WHERE a.step = s.step AND a.outcome = "
    "s.outcome), (SELECT coalesce(sum(a.net), 0) FROM a WHERE a.step = s.step AND a.outcome = "
    "s.outcome) FROM s GROUP BY s.step, s.outcome ORDER BY s.step, s.outcome";

static const char groups_sql[] =
    "WITH w AS (SELECT r.state = 'control' AS control, (SELECT count(*) FROM purchases p WHERE "
    "p.ck = r.ck AND p.at >= r.entered_at AND p.at < r.entered_at + ?2) AS n, (SELECT "
    "coalesce(sum(" NET "), 0) FROM purchases p WHERE p.ck = r.ck AND p.at >= r.entered_at AND "
    "p.at < r.entered_at + ?2) AS rev FROM journey_runs r WHERE r.journey = ?1) SELECT control, "
    "count(*), sum(n > 0), sum(rev), "
    "sum(rev * 1.0 * rev) FROM w GROUP BY control ORDER BY control";

static void read_step(struct sql_stmt *st, struct arena *a, void *out)
{
    struct journey_report_step *s = out;
    *s = (struct journey_report_step){
        .step = sql_col_text(st, 0, a),
        .outcome = sql_col_text(st, 1, a),
        .count = sql_col_i64(st, 2),
        .sent = sql_col_i64(st, 3),
        .capped = sql_col_i64(st, 4),
        .suppressed = sql_col_i64(st, 5),
        .pending = sql_col_i64(st, 6),
        .converted = sql_col_i64(st, 7),
        .revenue = sql_col_i64(st, 8),
    };
}

static void read_group(struct sql_stmt *st, struct arena *a, void *out)
{
    (void)a;
    struct journey_report_group *g = out;
    *g = (struct journey_report_group){
        .control = sql_col_i64(st, 0) != 0,
        .runs = sql_col_i64(st, 1),
        .buyers = sql_col_i64(st, 2),
        .revenue = sql_col_i64(st, 3),
        .revenue_sq = sql_col_double(st, 4),
    };
}

static enum kt_rc rows(struct sql_conn *c, const char *sql, const char *journey, int64_t window,
                       sql_row_fn fn, size_t size, struct arena *a, void *out, size_t *n,
                       struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int r = sql_prepare(c, sql, &st);
    if (r != SQL_OK) {
        return sql_fail(c, r, "journey report", err);
    }
    sql_bind_text(st, 1, journey);
    sql_bind_i64(st, 2, window);
    enum kt_rc rc = sql_rows(c, st, fn, size, a, out, n, "journey report", err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_journey_report(struct store_conn *base, const char *journey, int64_t window_ms,
                              struct arena *a, struct journey_report_step **steps, size_t *n_steps,
                              struct journey_report_group **groups, size_t *n_groups,
                              struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    enum kt_rc rc =
        rows(c, steps_sql, journey, window_ms, read_step, sizeof(**steps), a, steps, n_steps, err);
    return rc == KT_OK ? rows(c, groups_sql, journey, window_ms, read_group, sizeof(**groups), a,
                              groups, n_groups, err)
                       : rc;
}
