/*
 * campaign_report.c - the SQL side of a campaign's report (store_ops.def, campaign_report;
 * docs/messages.md, "What a campaign earned"). Three aggregate reads over the campaign's
 * members, each grouped by the member's group and merged here by name:
 *
 *   outcomes    the message's state and its feedback events (by properties.message_id), and an
 *               unsubscribe from the topic or a withdrawal of the channel's ads consent within
 *               the window after the sending;
 *   attributed  the purchases within the window after the sending with no later marketing
 *               message of the same channel to the customer before them (last touch per
 *               channel), net of their refunds;
 *   window      every member's purchases within the window after their `at` (when they were
 *               enqueued or set aside), control included: the uplift's intention-to-treat
 *               comparison.
 *
 * No personal data is read: keys, times, states and money.
 */
#include <string.h>

#include "store/sql/sql_int.h"

/* A member with its message's row (NULL columns for control). */
#define MEMBERS                                                                                    \
    "WITH m AS (SELECT cm.ck, cm.grp, cm.message_id, cm.at, o.state, o.sent_at, o.channel, "       \
    "o.topic FROM campaign_members cm LEFT JOIN outbox o ON o.id = cm.message_id "                 \
    "WHERE cm.campaign_id = ?1) "

/* Whether the message has a feedback event of one of the types. */
#define FEEDBACK(types)                                                                            \
    "sum(m.message_id IS NOT NULL AND EXISTS (SELECT 1 FROM events e WHERE e.ck = m.ck AND "       \
    "e.type IN (" types ") AND json_extract(e.props, '$.message_id') = m.message_id)), "

/* A purchase's money less what was refunded of it. */
#define NET                                                                                        \
    "p.total - coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.purchase_id = p.id), 0)"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_CAMPAIGN_REPORT_OUTCOMES] =
        MEMBERS "SELECT m.grp, count(*), sum(m.sent_at IS NOT NULL), " FEEDBACK(
            "'email_delivered', 'sms_delivered'") FEEDBACK("'email_open'") FEEDBACK("'email_click'")
            FEEDBACK("'message_bounced'")
                FEEDBACK("'spam_complaint'") "sum(m.sent_at IS NOT NULL AND (EXISTS (SELECT 1 FROM "
                                             "subscription_events s WHERE "
                                             "s.ck = m.ck AND s.subscribed = 0 AND s.channel = "
                                             "m.channel AND (m.topic IS NULL OR "
                                             "s.topic = m.topic) AND s.at >= m.sent_at AND s.at < "
                                             "m.sent_at + ?2) OR EXISTS (SELECT 1 "
                                             "FROM consent_events c WHERE c.ck = m.ck AND "
                                             "c.purpose = 'ads' AND c.channel = m.channel "
                                             "AND c.action = 'withdraw' AND c.at >= m.sent_at AND "
                                             "c.at < m.sent_at + ?2))), "
                                             "sum(m.state = 'capped'), sum(m.state = "
                                             "'suppressed'), sum(m.state = 'failed'), "
                                             "sum(m.state IN ('queued', 'sending')) FROM m GROUP "
                                             "BY m.grp ORDER BY m.grp",
    [SQL_CAMPAIGN_REPORT_ATTRIBUTED] = MEMBERS
    ", a AS (SELECT m.grp, m.ck, " NET " AS net FROM m JOIN purchases p ON p.ck = m.ck "
    "AND p.at >= m.sent_at AND p.at < m.sent_at + ?2 WHERE m.sent_at IS NOT NULL AND NOT "
    "EXISTS (SELECT 1 FROM outbox o2 WHERE o2.ck = m.ck AND o2.channel = m.channel AND "
    "o2.kind = 'marketing' AND o2.sent_at <= p.at AND (o2.sent_at, o2.id) > (m.sent_at, "
    "m.message_id))) SELECT grp, count(DISTINCT ck), coalesce(sum(net), 0) FROM a "
    "GROUP BY grp",
    [SQL_CAMPAIGN_REPORT_WINDOW] =
        "WITH w AS (SELECT cm.grp, (SELECT count(*) FROM purchases p WHERE p.ck = cm.ck AND "
        "p.at >= cm.at AND p.at < cm.at + ?2) AS n, (SELECT coalesce(sum(" NET "), 0) FROM "
        "purchases p WHERE p.ck = cm.ck AND p.at >= cm.at AND p.at < cm.at + ?2) AS rev, cm.at "
        "FROM campaign_members cm WHERE cm.campaign_id = ?1) SELECT grp, sum(n > 0), sum(rev), "
        "sum(rev * 1.0 * rev), max(at) FROM w GROUP BY grp",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

#define I64(i) sql_col_i64(st, (i))

static void read_outcomes(struct sql_stmt *st, struct arena *a, void *out)
{
    struct campaign_report_group *g = out;
    *g = (struct campaign_report_group){
        .grp = sql_col_text(st, 0, a),
        .members = I64(1),
        .sent = I64(2),
        .delivered = I64(3),
        .opened = I64(4),
        .clicked = I64(5),
        .bounced = I64(6),
        .complained = I64(7),
        .unsubscribed = I64(8),
        .capped = I64(9),
        .suppressed = I64(10),
        .failed = I64(11),
        .pending = I64(12),
    };
}

struct groups {
    struct campaign_report_group *g;
    size_t n;
};

static struct campaign_report_group *find(struct groups *gs, struct sql_stmt *st)
{
    const char *name = (const char *)sql_col_str(st, 0);
    for (size_t i = 0; name != NULL && i < gs->n; i++) {
        if (strcmp(gs->g[i].grp, name) == 0) {
            return &gs->g[i];
        }
    }
    return NULL; /* a member added between the reads (one snapshot: cannot happen) */
}

static void add_attributed(struct sql_stmt *st, void *ctx)
{
    struct campaign_report_group *g = find(ctx, st);
    if (g != NULL) {
        g->converted = I64(1);
        g->revenue = I64(2);
    }
}

static void add_window(struct sql_stmt *st, void *ctx)
{
    struct campaign_report_group *g = find(ctx, st);
    if (g != NULL) {
        g->buyers = I64(1);
        g->window_revenue = I64(2);
        g->window_revenue_sq = sql_col_double(st, 3);
        g->last_at = I64(4);
    }
}

enum kt_rc sql_campaign_report(struct store_conn *base, const char *id, int64_t window_ms,
                               struct arena *a, struct campaign_report_group **out, size_t *n,
                               struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct groups gs = {0};
    *out = NULL;
    *n = 0;
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_REPORT_OUTCOMES, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, window_ms);
    enum kt_rc rc = sql_rows(c, st, read_outcomes, sizeof(*gs.g), a, &gs.g, &gs.n,
                             "campaign report outcomes", err);
    static const enum sql_slot more[] = {SQL_CAMPAIGN_REPORT_ATTRIBUTED,
                                         SQL_CAMPAIGN_REPORT_WINDOW};
    static const sql_each_fn fns[] = {add_attributed, add_window};
    for (size_t i = 0; rc == KT_OK && gs.n > 0 && i < sizeof(more) / sizeof(more[0]); i++) {
        if ((st = get(base, more[i], err)) == NULL) {
            return KT_ESTORE;
        }
        sql_bind_text(st, 1, id);
        sql_bind_i64(st, 2, window_ms);
        rc = sql_each(c, st, fns[i], &gs, "campaign report purchases", err);
    }
    if (rc == KT_OK) {
        *out = gs.g;
        *n = gs.n;
    }
    return rc;
}
