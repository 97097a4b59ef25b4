/*
 * outbox.c - the SQL side of the outbox (0020_outbox.sql; docs/messages.md, "The outbox").
 * The recipient and the content are sealed under the customer's key; a row of a customer whose
 * key was shredded (erased) reads with both NULL, so the sender can still record why it was not
 * sent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sql_int.h"

#define COLS                                                                                       \
    "rowid, id, ck, channel, kind, topic, priority, recipient, content, state, next_at, "          \
    "attempts, coalesce(reply_code, 0), reply_text, reason, created_at, updated_at, "              \
    "coalesce(sent_at, 0), coalesce(expires_at, 0), campaign_id, coalesce(journey_run, 0)"
#define LIST_COLS                                                                                  \
    "rowid, id, ck, channel, kind, topic, priority, NULL, NULL, state, next_at, "                  \
    "attempts, coalesce(reply_code, 0), reply_text, reason, created_at, updated_at, "              \
    "coalesce(sent_at, 0), coalesce(expires_at, 0), campaign_id, coalesce(journey_run, 0)"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_OUTBOX_ADD] =
        "INSERT INTO outbox (id, ck, channel, kind, topic, priority, recipient, "
        "content, state, next_at, created_at, updated_at, expires_at, campaign_id, journey_run) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?10, ?10, ?11, ?12, ?13) ON "
        "CONFLICT (id) DO NOTHING",
    [SQL_OUTBOX_GET] = "SELECT " COLS " FROM outbox WHERE id = ?1",
    /* The claim, one channel and one priority at a time (sql_outbox_due): the highest priority
     * of a channel's queued rows below ?2 (a seek in outbox_claim), and the due rows of a channel
     * at a priority in their order (a range of it). A paused or cancelled campaign's rows are
     * never claimed (its pause holds them ahead too, so they are not even read; this is the
     * guarantee inside the claim's transaction). */
    [SQL_OUTBOX_TOP] = "SELECT max(priority) IS NOT NULL, coalesce(max(priority), 0) FROM outbox "
                       "WHERE state = 'queued' AND channel = ?1 AND priority < ?2",
    [SQL_OUTBOX_DUE] = "SELECT " COLS " FROM outbox WHERE state = 'queued' AND channel = ?1 AND "
                       "priority = ?2 AND next_at <= ?3 AND (campaign_id IS NULL OR NOT EXISTS "
                       "(SELECT 1 FROM campaigns p WHERE p.id = outbox.campaign_id AND p.state IN "
                       "('paused', 'cancelled'))) ORDER BY next_at, rowid LIMIT ?4",
    [SQL_OUTBOX_UPDATE] =
        "UPDATE outbox SET state = ?2, next_at = ?3, attempts = ?4, reply_code = ?5, "
        "reply_text = ?6, reason = ?7, updated_at = ?8, sent_at = ?9, "
        "content = CASE WHEN ?2 IN ('queued', 'sending') THEN content ELSE NULL END WHERE id = ?1 "
        /* a row an erasure or a block suppressed while its send was in flight stays so: the
         * sender's record afterwards would bring it back to `queued` (and retry it) or `sent` */
        "AND NOT (state = 'suppressed' AND reason IN ('erased', 'blocked'))",
    [SQL_OUTBOX_REQUEUE] = "UPDATE outbox SET state = 'queued', next_at = ?1, updated_at = ?1 "
                           "WHERE state = 'sending' AND updated_at < ?2",
    [SQL_OUTBOX_LIST] = "SELECT " LIST_COLS " FROM outbox WHERE ck = ?1 AND rowid < ?2 "
                        "ORDER BY rowid DESC LIMIT ?3",
    /* from the partial indexes alone: outbox_sent covers the first half (a row with sent_at was
     * sent: delivered and bounced keep it), outbox_sending finds the claim's own rows */
    [SQL_OUTBOX_SENT_SINCE] =
        "SELECT channel, topic, sent_at FROM outbox WHERE ck = ?1 AND sent_at >= ?2 "
        "AND kind = 'marketing' UNION ALL "
        "SELECT channel, topic, updated_at FROM outbox WHERE ck = ?1 AND state = 'sending' "
        "AND kind = 'marketing'",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

static void row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct outbox_msg *m = out;
    *m = (struct outbox_msg){
        .seq = sql_col_i64(st, 0),
        .id = sql_col_text(st, 1, a),
        .ck = sql_col_i64(st, 2),
        .channel = sql_col_text(st, 3, a),
        .kind = sql_col_text(st, 4, a),
        .topic = sql_col_text(st, 5, a),
        .priority = sql_col_i64(st, 6),
        .recipient = sql_col_text(st, 7, a),
        .content = sql_col_text(st, 8, a),
        .state = sql_col_text(st, 9, a),
        .next_at = sql_col_i64(st, 10),
        .attempts = sql_col_i64(st, 11),
        .reply_code = sql_col_i64(st, 12),
        .reply_text = sql_col_text(st, 13, a),
        .reason = sql_col_text(st, 14, a),
        .created_at = sql_col_i64(st, 15),
        .updated_at = sql_col_i64(st, 16),
        .sent_at = sql_col_i64(st, 17),
        .expires_at = sql_col_i64(st, 18),
        .campaign_id = sql_col_text(st, 19, a),
        .journey_run = sql_col_i64(st, 20),
    };
}

/* Opens recipient and content; a shredded key (the customer was erased) leaves both NULL. */
static enum kt_rc unseal(struct sql_conn *c, struct outbox_msg *m, struct arena *a,
                         struct kt_err *err)
{
    struct sql_key k;
    sql_key_init(&k, c, m->ck, false);
    enum kt_rc rc = sql_unseal(&k, "outbox.recipient", &m->recipient, a, err);
    rc = rc == KT_OK ? sql_unseal(&k, "outbox.content", &m->content, a, err) : rc;
    sql_key_release(&k);
    if (rc == KT_EGONE) {
        m->recipient = m->content = NULL;
        return KT_OK;
    }
    return rc;
}

enum kt_rc sql_outbox_add(struct store_conn *base, const struct outbox_msg *m, bool *created,
                          struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OUTBOX_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct sql_key k;
    sql_key_init(&k, (struct sql_conn *)base, m->ck, true);
    enum kt_rc rc = sql_bind_sealed(&k, st, 7, "outbox.recipient", m->recipient, err);
    rc = rc == KT_OK ? sql_bind_sealed(&k, st, 8, "outbox.content", m->content, err) : rc;
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
        return rc;
    }
    sql_bind_text(st, 1, m->id);
    sql_bind_i64(st, 2, m->ck);
    sql_bind_text(st, 3, m->channel);
    sql_bind_text(st, 4, m->kind);
    sql_bind_text(st, 5, m->topic);
    sql_bind_i64(st, 6, m->priority);
    sql_bind_i64(st, 9, m->next_at);
    sql_bind_i64(st, 10, m->created_at);
    sql_bind_i64_or_null(st, 11, m->expires_at);
    sql_bind_text(st, 12, m->campaign_id);
    sql_bind_i64_or_null(st, 13, m->journey_run);
    int changes = 0;
    rc = sql_run((struct sql_conn *)base, st, &changes, err);
    *created = changes == 1;
    return rc;
}

enum kt_rc sql_outbox_get(struct store_conn *base, const char *id, struct arena *a,
                          struct outbox_msg *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OUTBOX_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    enum kt_rc rc = sql_one((struct sql_conn *)base, st, row, a, out, found, "message_not_found",
                            "message not found", err);
    if (rc != KT_OK || !sql_found(found)) {
        return rc;
    }
    return unseal((struct sql_conn *)base, out, a, err);
}

/* The highest priority of channel `ch`'s queued rows below `below`; *any false when none. */
static enum kt_rc top_priority(struct store_conn *base, const char *ch, int64_t below, int64_t *p,
                               bool *any, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OUTBOX_TOP, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, ch);
    sql_bind_i64(st, 2, below);
    int64_t v[2] = {0, 0};
    enum kt_rc rc = sql_int_row((struct sql_conn *)base, st, v, 2, "outbox top priority", err);
    *any = rc == KT_OK && v[0] != 0;
    *p = v[1];
    return rc;
}

static int by_due(const void *x, const void *y)
{
    const struct outbox_msg *a = x, *b = y;
    if (a->next_at != b->next_at) {
        return a->next_at < b->next_at ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The order is priority DESC, next_at, rowid across the channels, but never by sorting every due
 * row (a campaign queues a million at once: a sort of them all took 0.85 s per claim of 32). Each
 * channel ("lane") stands at its highest queued priority; the highest of those is served first,
 * its lanes' due rows read in order from the index and merged, then those lanes step down to
 * their next priority. Seeks and short ranges only; rows held ahead (quiet hours, a paused
 * campaign) end each range at once. */
enum kt_rc sql_outbox_due(struct store_conn *base, const char *const *channels, int64_t now,
                          int limit, struct arena *a, struct outbox_msg **out, size_t *n,
                          struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct {
        const char *ch;
        int64_t p;
    } lanes[OUTBOX_CHANNELS_MAX];
    size_t nl = 0, got = 0;
    *out = NULL;
    *n = 0;
    enum kt_rc rc = KT_OK;
    for (int i = 0; rc == KT_OK && i < OUTBOX_CHANNELS_MAX && channels[i] != NULL; i++) {
        bool any = false;
        rc = top_priority(base, channels[i], INT64_MAX, &lanes[nl].p, &any, err);
        if (any) {
            lanes[nl++].ch = channels[i];
        }
    }
    struct outbox_msg *res = limit > 0 ? arena_zalloc(a, (size_t)limit * sizeof(*res)) : NULL;
    while (rc == KT_OK && nl > 0 && got < (size_t)(limit > 0 ? limit : 0)) {
        int64_t top = lanes[0].p;
        for (size_t i = 1; i < nl; i++) {
            top = lanes[i].p > top ? lanes[i].p : top;
        }
        /* this priority's due rows of each lane at it, merged in their order */
        struct outbox_msg *at = NULL;
        size_t nat = 0;
        for (size_t i = 0; rc == KT_OK && i < nl; i++) {
            if (lanes[i].p != top) {
                continue;
            }
            struct sql_stmt *st = get(base, SQL_OUTBOX_DUE, err);
            if (st == NULL) {
                return KT_ESTORE;
            }
            sql_bind_text(st, 1, lanes[i].ch);
            sql_bind_i64(st, 2, top);
            sql_bind_i64(st, 3, now);
            sql_bind_i64(st, 4, (int64_t)limit - (int64_t)got);
            struct outbox_msg *rows;
            size_t nr = 0;
            rc = sql_rows(c, st, row, sizeof(*rows), a, &rows, &nr, "outbox due", err);
            if (rc == KT_OK && nr > 0) {
                struct outbox_msg *both = arena_zalloc(a, (nat + nr) * sizeof(*both));
                if (nat > 0) {
                    memcpy(both, at, nat * sizeof(*both));
                }
                memcpy(both + nat, rows, nr * sizeof(*both));
                at = both;
                nat += nr;
            }
        }
        if (nat > 1) {
            qsort(at, nat, sizeof(*at), by_due);
        }
        for (size_t i = 0; i < nat && got < (size_t)limit; i++) {
            res[got++] = at[i];
        }
        /* the lanes at this priority step down; a lane with nothing below leaves */
        for (size_t i = 0; rc == KT_OK && i < nl;) {
            bool any = true;
            if (lanes[i].p == top) {
                rc = top_priority(base, lanes[i].ch, top, &lanes[i].p, &any, err);
            }
            if (rc == KT_OK && !any) {
                lanes[i] = lanes[--nl];
                continue;
            }
            i++;
        }
    }
    for (size_t i = 0; rc == KT_OK && i < got; i++) {
        rc = unseal(c, &res[i], a, err);
    }
    if (rc == KT_OK && got > 0) {
        *out = res;
        *n = got;
    }
    return rc;
}

enum kt_rc sql_outbox_update(struct store_conn *base, const struct outbox_msg *m,
                             struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OUTBOX_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, m->id);
    sql_bind_text(st, 2, m->state);
    sql_bind_i64(st, 3, m->next_at);
    sql_bind_i64(st, 4, m->attempts);
    sql_bind_i64_or_null(st, 5, m->reply_code);
    sql_bind_text(st, 6, m->reply_text);
    sql_bind_text(st, 7, m->reason);
    sql_bind_i64(st, 8, m->updated_at);
    sql_bind_i64_or_null(st, 9, m->sent_at);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_outbox_requeue(struct store_conn *base, int64_t now, int64_t stale, int64_t *n,
                              struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OUTBOX_REQUEUE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, now);
    sql_bind_i64(st, 2, stale);
    int changes = 0;
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, &changes, err);
    *n = changes;
    return rc;
}

enum kt_rc sql_outbox_list(struct store_conn *base, int64_t ck, int64_t before, int limit,
                           struct arena *a, struct outbox_msg **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OUTBOX_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_i64(st, 2, before > 0 ? before : INT64_MAX);
    sql_bind_i64(st, 3, limit);
    return sql_rows((struct sql_conn *)base, st, row, sizeof(**out), a, out, n, "outbox list", err);
}

static void sent_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct outbox_sent *m = out;
    *m = (struct outbox_sent){.channel = sql_col_text(st, 0, a),
                              .topic = sql_col_text(st, 1, a),
                              .at = sql_col_i64(st, 2)};
}

enum kt_rc sql_outbox_sent_since(struct store_conn *base, int64_t ck, int64_t since,
                                 struct arena *a, struct outbox_sent **out, size_t *n,
                                 struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OUTBOX_SENT_SINCE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_i64(st, 2, since);
    return sql_rows((struct sql_conn *)base, st, sent_row, sizeof(**out), a, out, n,
                    "outbox sent since", err);
}
