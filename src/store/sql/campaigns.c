/*
 * campaigns.c - the SQL side of campaigns (0023_campaigns.sql; docs/messages.md,
 * "Campaigns"): the campaign and its variants, the audience frozen at the start, the members
 * enqueued or set aside, and the moves of a campaign's queued outbox rows on a pause, a resume
 * and a cancel. No personal data: the addresses and texts are the outbox's, sealed there.
 *
 * Statements are cached per connection in their slots of enum sql_slot; every value is bound.
 */

#include "store/sql/sql_int.h"

#define CMP_COLS                                                                                   \
    "id, name, state, channel, kind, topic, segment_id, query, control_pct, window_days, "         \
    "coalesce(scheduled_at, 0), created_at, updated_at, coalesce(started_at, 0), "                 \
    "coalesce(finished_at, 0), coalesce(audience, -1), cursor_ck, enqueued, control, key_id"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_CAMPAIGN_ADD] =
        "INSERT INTO campaigns (id, name, state, channel, kind, topic, segment_id, query, "
        "control_pct, window_days, scheduled_at, created_at, updated_at, key_id) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)",
    [SQL_CAMPAIGN_VARIANT_ADD] = "INSERT INTO campaign_variants (campaign_id, name, template, "
                                 "version, share, ord) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_CAMPAIGN_GET] = "SELECT " CMP_COLS " FROM campaigns WHERE id = ?1",
    [SQL_CAMPAIGN_VARIANTS] = "SELECT name, template, version, share FROM campaign_variants "
                              "WHERE campaign_id = ?1 ORDER BY ord",
    [SQL_CAMPAIGN_LIST] = "SELECT " CMP_COLS " FROM campaigns WHERE (created_at, id) < (?1, ?2) "
                          "ORDER BY created_at DESC, id DESC LIMIT ?3",
    [SQL_CAMPAIGN_UPDATE] =
        "UPDATE campaigns SET state = ?2, updated_at = ?3, started_at = ?4, finished_at = ?5, "
        "audience = CASE WHEN ?6 < 0 THEN NULL ELSE ?6 END, cursor_ck = ?7, enqueued = ?8, "
        "control = ?9 WHERE id = ?1",
    [SQL_CAMPAIGN_LIVE] = "SELECT id FROM campaigns WHERE state = 'running' OR (state = "
                          "'scheduled' AND scheduled_at <= ?1) ORDER BY created_at, id",
    [SQL_CAMPAIGN_AUDIENCE_ADD] = "INSERT INTO campaign_audience (campaign_id, ck) VALUES (?1, ?2) "
                                  "ON CONFLICT DO NOTHING",
    [SQL_CAMPAIGN_AUDIENCE_CLEAR] = "DELETE FROM campaign_audience WHERE campaign_id = ?1",
    [SQL_CAMPAIGN_AUDIENCE_NEXT] = "SELECT ck FROM campaign_audience WHERE campaign_id = ?1 AND "
                                   "ck > ?2 ORDER BY ck LIMIT ?3",
    [SQL_CAMPAIGN_MEMBER_ADD] = "INSERT INTO campaign_members (campaign_id, ck, grp, message_id, "
                                "at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    [SQL_CAMPAIGN_MEMBERS] = "SELECT ck, grp, message_id, at FROM campaign_members WHERE "
                             "campaign_id = ?1 AND ck > ?2 ORDER BY ck LIMIT ?3",
    [SQL_CAMPAIGN_OUTBOX_HOLD] = "UPDATE outbox SET next_at = ?2 WHERE campaign_id = ?1 AND "
                                 "state = 'queued'",
    [SQL_CAMPAIGN_OUTBOX_CANCEL] =
        "UPDATE outbox SET state = 'suppressed', reason = 'cancelled', content = NULL, "
        "updated_at = ?2 WHERE campaign_id = ?1 AND state = 'queued'",
    [SQL_CAMPAIGN_OUTBOX_WAITING] = "SELECT count(*) FROM outbox WHERE campaign_id = ?1 AND "
                                    "state IN ('queued', 'sending')",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

#define TEXT(i) sql_col_text(st, (i), a)
#define I64(i)  sql_col_i64(st, (i))

static void read_campaign(struct sql_stmt *st, struct arena *a, void *out)
{
    struct campaign *cp = out;
    *cp = (struct campaign){
        .id = TEXT(0),
        .name = TEXT(1),
        .state = TEXT(2),
        .channel = TEXT(3),
        .kind = TEXT(4),
        .topic = TEXT(5),
        .segment_id = TEXT(6),
        .query = TEXT(7),
        .control_pct = I64(8),
        .window_days = I64(9),
        .scheduled_at = I64(10),
        .created_at = I64(11),
        .updated_at = I64(12),
        .started_at = I64(13),
        .finished_at = I64(14),
        .audience = I64(15),
        .cursor_ck = I64(16),
        .enqueued = I64(17),
        .control = I64(18),
        .key_id = TEXT(19),
    };
}

static void read_variant(struct sql_stmt *st, struct arena *a, void *out)
{
    struct campaign_variant *v = out;
    *v = (struct campaign_variant){TEXT(0), TEXT(1), I64(2), I64(3)};
}

static void read_member(struct sql_stmt *st, struct arena *a, void *out)
{
    struct campaign_member *m = out;
    *m = (struct campaign_member){I64(0), TEXT(1), TEXT(2), I64(3)};
}

/* Runs `st` with ?1 the campaign and ?2 an integer; `n` (may be NULL) gets the rows touched. */
static enum kt_rc run_id_i64(struct store_conn *base, enum sql_slot slot, const char *id, int64_t v,
                             int64_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, v);
    int changes = 0;
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, &changes, err);
    if (n != NULL) {
        *n = changes;
    }
    return rc;
}

enum kt_rc sql_campaign_add(struct store_conn *base, const struct campaign *cp, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, cp->id);
    sql_bind_text(st, 2, cp->name);
    sql_bind_text(st, 3, cp->state);
    sql_bind_text(st, 4, cp->channel);
    sql_bind_text(st, 5, cp->kind);
    sql_bind_text(st, 6, cp->topic);
    sql_bind_text(st, 7, cp->segment_id);
    sql_bind_text(st, 8, cp->query);
    sql_bind_i64(st, 9, cp->control_pct);
    sql_bind_i64(st, 10, cp->window_days);
    sql_bind_i64_or_null(st, 11, cp->scheduled_at);
    sql_bind_i64(st, 12, cp->created_at);
    sql_bind_text(st, 13, cp->key_id);
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, NULL, err);
    for (size_t i = 0; rc == KT_OK && i < cp->n_variants; i++) {
        const struct campaign_variant *v = &cp->variants[i];
        if ((st = get(base, SQL_CAMPAIGN_VARIANT_ADD, err)) == NULL) {
            return KT_ESTORE;
        }
        sql_bind_text(st, 1, cp->id);
        sql_bind_text(st, 2, v->name);
        sql_bind_text(st, 3, v->template);
        sql_bind_i64(st, 4, v->version);
        sql_bind_i64(st, 5, v->share);
        sql_bind_i64(st, 6, (int64_t)i);
        rc = sql_run((struct sql_conn *)base, st, NULL, err);
    }
    return rc;
}

enum kt_rc sql_campaign_get(struct store_conn *base, const char *id, struct arena *a,
                            struct campaign *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    struct sql_conn *c = (struct sql_conn *)base;
    enum kt_rc rc = sql_one(c, st, read_campaign, a, out, found, "campaign_not_found",
                            "campaign not found", err);
    if (rc != KT_OK || !sql_found(found)) {
        return rc;
    }
    if ((st = get(base, SQL_CAMPAIGN_VARIANTS, err)) == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return sql_rows(c, st, read_variant, sizeof(*out->variants), a, &out->variants,
                    &out->n_variants, "campaign variants", err);
}

enum kt_rc sql_campaign_list(struct store_conn *base, int64_t before_at, const char *before_id,
                             int limit, struct arena *a, struct campaign **out, size_t *n,
                             struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, before_at > 0 ? before_at : INT64_MAX);
    sql_bind_text(st, 2, before_at > 0 && before_id != NULL ? before_id : "");
    sql_bind_i64(st, 3, limit);
    return sql_rows((struct sql_conn *)base, st, read_campaign, sizeof(**out), a, out, n,
                    "campaign list", err);
}

enum kt_rc sql_campaign_update(struct store_conn *base, const struct campaign *cp,
                               struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, cp->id);
    sql_bind_text(st, 2, cp->state);
    sql_bind_i64(st, 3, cp->updated_at);
    sql_bind_i64_or_null(st, 4, cp->started_at);
    sql_bind_i64_or_null(st, 5, cp->finished_at);
    sql_bind_i64(st, 6, cp->audience);
    sql_bind_i64(st, 7, cp->cursor_ck);
    sql_bind_i64(st, 8, cp->enqueued);
    sql_bind_i64(st, 9, cp->control);
    int changes = 0;
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, &changes, err);
    if (rc == KT_OK && changes == 0) {
        return kt_err_set(err, KT_ENOTFOUND, "campaign_not_found", "id", "campaign not found");
    }
    return rc;
}

enum kt_rc sql_campaign_live(struct store_conn *base, int64_t now, struct arena *a,
                             const char ***ids, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_LIVE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, now);
    return sql_rows((struct sql_conn *)base, st, sql_row_text, sizeof(**ids), a, ids, n,
                    "live campaigns", err);
}

enum kt_rc sql_campaign_audience_add(struct store_conn *base, const char *id, const int64_t *cks,
                                     size_t n, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        rc = run_id_i64(base, SQL_CAMPAIGN_AUDIENCE_ADD, id, cks[i], NULL, err);
    }
    return rc;
}

enum kt_rc sql_campaign_audience_clear(struct store_conn *base, const char *id, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_AUDIENCE_CLEAR, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_campaign_audience_next(struct store_conn *base, const char *id, int64_t after_ck,
                                      int limit, struct arena *a, int64_t **cks, size_t *n,
                                      struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_AUDIENCE_NEXT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, after_ck);
    sql_bind_i64(st, 3, limit);
    return sql_rows((struct sql_conn *)base, st, sql_row_i64, sizeof(**cks), a, cks, n,
                    "campaign audience", err);
}

enum kt_rc sql_campaign_member_add(struct store_conn *base, const char *id,
                                   const struct campaign_member *m, bool *created,
                                   struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_MEMBER_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, m->ck);
    sql_bind_text(st, 3, m->grp);
    sql_bind_text(st, 4, m->message_id);
    sql_bind_i64(st, 5, m->at);
    int changes = 0;
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, &changes, err);
    *created = changes == 1;
    return rc;
}

enum kt_rc sql_campaign_members(struct store_conn *base, const char *id, int64_t after_ck,
                                int limit, struct arena *a, struct campaign_member **out, size_t *n,
                                struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_MEMBERS, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, after_ck);
    sql_bind_i64(st, 3, limit);
    return sql_rows((struct sql_conn *)base, st, read_member, sizeof(**out), a, out, n,
                    "campaign members", err);
}

enum kt_rc sql_campaign_outbox_hold(struct store_conn *base, const char *id, int64_t next_at,
                                    int64_t *n, struct kt_err *err)
{
    return run_id_i64(base, SQL_CAMPAIGN_OUTBOX_HOLD, id, next_at, n, err);
}

enum kt_rc sql_campaign_outbox_cancel(struct store_conn *base, const char *id, int64_t now,
                                      int64_t *n, struct kt_err *err)
{
    return run_id_i64(base, SQL_CAMPAIGN_OUTBOX_CANCEL, id, now, n, err);
}

enum kt_rc sql_campaign_outbox_waiting(struct store_conn *base, const char *id, int64_t *n,
                                       struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAMPAIGN_OUTBOX_WAITING, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return sql_int_row((struct sql_conn *)base, st, n, 1, "campaign waiting", err);
}
