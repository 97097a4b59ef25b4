/*
 * retention.c - the SQL side of retention and incidents (0018_retention.sql): raw events and
 * the outbox's finished messages expired in batches, events rolled up into their daily counts
 * first; the incident register; the count of the subjects an incident's reads named.
 *
 * Every statement here runs rarely (a batch of the expiry jobs, an incident recorded or looked
 * at), so each is prepared for its call and holds no slot of enum sql_slot.
 *
 * Events are expired as a prefix of the table in the order received (seq): the first `limit`
 * rows are looked at, those received before the cutoff go. So a batch costs the same whether
 * it finds a thousand rows or none - no index on received_at, no scan of the young rows - and a
 * run stops at the first batch that removed fewer than it looked at.
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define DAY_MS_TEXT "86400000"

static struct sql_stmt *once(struct sql_conn *c, const char *text, struct kt_err *err)
{
    return sql_prepare_once(c, text, "retention", err);
}

/* Binds `before` and `limit` as ?1 and ?2, runs and finalizes; `changes` may be NULL. */
static enum kt_rc run_batch(struct sql_conn *c, const char *text, int64_t before, int limit,
                            int *changes, struct kt_err *err)
{
    struct sql_stmt *st = once(c, text, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, before);
    sql_bind_i64(st, 2, limit);
    enum kt_rc rc = sql_run(c, st, changes, err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_events_expire(struct store_conn *base, int64_t before, int limit, int64_t *removed,
                             struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    static const char roll_up[] =
        "INSERT INTO event_days (ck, type, channel, day, received_day, count) "
        "SELECT coalesce(ck, 0), type, channel, at - at % " DAY_MS_TEXT ", "
        "received_at - received_at % " DAY_MS_TEXT ", count(*) "
        "FROM (SELECT ck, type, channel, at, received_at FROM events ORDER BY seq LIMIT ?2) AS x "
        "WHERE received_at < ?1 GROUP BY 1, 2, 3, 4, 5 "
        "ON CONFLICT (ck, type, day, channel, received_day) DO UPDATE SET "
        "count = event_days.count + excluded.count";
    static const char drop[] =
        "DELETE FROM events WHERE seq IN "
        "(SELECT seq FROM events ORDER BY seq LIMIT ?2) AND received_at < ?1";
    /* their keys in level 1 of the anonymous events (event_levels.c), while still anonymous */
    static const char anon_drop[] =
        "DELETE FROM event_anon WHERE (h, seq) IN (SELECT anon_h, seq FROM (SELECT seq, ck, "
        "anon_h, received_at FROM events ORDER BY seq LIMIT ?2) AS x WHERE received_at < ?1 AND "
        "anon_h IS NOT NULL AND ck IS NULL)";
    /* their message ids, which may be in level 0 alone (not merged yet) and must outlive them
     * for the window of docs/events.md ("Stored once") with an --events-days under 8 */
    static const char ids_keep[] =
        "INSERT INTO event_ids (h, received_at) SELECT msg_h, received_at FROM (SELECT seq, "
        "msg_h, received_at FROM events ORDER BY seq LIMIT ?2) AS x WHERE received_at < ?1 AND "
        "msg_h IS NOT NULL ON CONFLICT DO NOTHING";
    int changes = 0;
    *removed = 0;
    enum kt_rc rc = run_batch(c, roll_up, before, limit, NULL, err);
    if (rc == KT_OK) {
        rc = run_batch(c, anon_drop, before, limit, NULL, err);
    }
    if (rc == KT_OK) {
        rc = run_batch(c, ids_keep, before, limit, NULL, err);
    }
    if (rc == KT_OK) {
        rc = run_batch(c, drop, before, limit, &changes, err);
    }
    *removed = changes;
    return rc;
}

/* A merge: the survivor takes the merged-away customer's daily counts (added to its own). */
enum kt_rc sql_event_days_move(struct sql_conn *c, int64_t from, int64_t into, struct kt_err *err)
{
    static const char *const text[] = {
        "INSERT INTO event_days (ck, type, channel, day, received_day, count) "
        "SELECT ?2, type, channel, day, received_day, count FROM event_days WHERE ck = ?1 "
        "ON CONFLICT (ck, type, day, channel, received_day) DO UPDATE SET "
        "count = event_days.count + excluded.count",
        "DELETE FROM event_days WHERE ck = ?1 AND ?2 <> ?1"};
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < 2; i++) {
        struct sql_stmt *st = once(c, text[i], err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, from);
        sql_bind_i64(st, 2, into);
        rc = sql_run(c, st, NULL, err);
        sql_finalize(st);
    }
    return rc;
}

enum kt_rc sql_outbox_expire(struct store_conn *base, int64_t before, int limit, int64_t *removed,
                             struct kt_err *err)
{
    int changes = 0;
    enum kt_rc rc = run_batch((struct sql_conn *)base,
                              "DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox WHERE "
                              "state NOT IN ('queued', 'sending') AND updated_at < ?1 LIMIT ?2)",
                              before, limit, &changes, err);
    *removed = changes;
    return rc;
}

/* ---- the incident register ------------------------------------------------------------------ */

#define INCIDENT_COLS                                                                              \
    "id, description, detected_at, categories, since, until, key_ids, ips, routes, subjects, "     \
    "bulk_reads, method, counted_at, measures, findings, notified_at, reported_at, state, "        \
    "key_id, created_at, updated_at"

enum kt_rc sql_incident_put(struct store_conn *base, const struct incident *x, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c,
             "INSERT INTO incidents (" INCIDENT_COLS ") VALUES (?1, ?2, "
             "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
             "?18, ?19, ?20, ?21) ON CONFLICT (id) DO UPDATE SET description = "
             "excluded.description, detected_at = excluded.detected_at, categories = "
             "excluded.categories, since = excluded.since, until = excluded.until, key_ids = "
             "excluded.key_ids, ips = excluded.ips, routes = excluded.routes, subjects = "
             "excluded.subjects, bulk_reads = excluded.bulk_reads, method = excluded.method, "
             "counted_at = excluded.counted_at, measures = excluded.measures, findings = "
             "excluded.findings, notified_at = excluded.notified_at, reported_at = "
             "excluded.reported_at, state = excluded.state, key_id = excluded.key_id, "
             "created_at = excluded.created_at, updated_at = excluded.updated_at",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    const char *texts[] = {x->id, x->description, NULL,   x->categories, NULL,
                           NULL,  x->key_ids,     x->ips, x->routes,     NULL,
                           NULL,  x->method,      NULL,   x->measures,   x->findings};
    int64_t ints[] = {0, 0,           x->detected_at, 0, x->since,     x->until, 0, 0,
                      0, x->subjects, x->bulk_reads,  0, x->counted_at};
    for (int i = 0; i < 15; i++) {
        if (i < 13 && texts[i] == NULL) {
            sql_bind_i64(st, i + 1, ints[i]);
        } else {
            sql_bind_text(st, i + 1, texts[i]);
        }
    }
    sql_bind_i64_or_null(st, 16, x->notified_at);
    sql_bind_i64_or_null(st, 17, x->reported_at);
    sql_bind_text(st, 18, x->state);
    sql_bind_text(st, 19, x->key_id);
    sql_bind_i64(st, 20, x->created_at);
    sql_bind_i64(st, 21, x->updated_at);
    enum kt_rc rc = sql_run(c, st, NULL, err);
    sql_finalize(st);
    return rc;
}

static void incident_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct incident *x = out;
    const char *id = (const char *)sql_col_str(st, 0);
    kt_strlcpy(x->id, id ? id : "", sizeof(x->id));
    x->description = sql_col_text(st, 1, a);
    x->detected_at = sql_col_i64(st, 2);
    x->categories = sql_col_text(st, 3, a);
    x->since = sql_col_i64(st, 4);
    x->until = sql_col_i64(st, 5);
    x->key_ids = sql_col_text(st, 6, a);
    x->ips = sql_col_text(st, 7, a);
    x->routes = sql_col_text(st, 8, a);
    x->subjects = sql_col_i64(st, 9);
    x->bulk_reads = sql_col_i64(st, 10);
    x->method = sql_col_text(st, 11, a);
    x->counted_at = sql_col_i64(st, 12);
    x->measures = sql_col_text(st, 13, a);
    x->findings = sql_col_text(st, 14, a);
    x->notified_at = sql_col_i64(st, 15);
    x->reported_at = sql_col_i64(st, 16);
    x->state = sql_col_text(st, 17, a);
    x->key_id = sql_col_text(st, 18, a);
    x->created_at = sql_col_i64(st, 19);
    x->updated_at = sql_col_i64(st, 20);
}

enum kt_rc sql_incident_get(struct store_conn *base, const char *id, struct arena *a,
                            struct incident *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c, "SELECT " INCIDENT_COLS " FROM incidents WHERE id = ?1", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    enum kt_rc rc = sql_one(c, st, incident_row, a, out, found, "incident_not_found",
                            "incident not found", err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_incident_list(struct store_conn *base, int64_t overdue_at, const char *cursor,
                             int limit, struct arena *a, struct incident **out, size_t *n,
                             struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c,
             "SELECT " INCIDENT_COLS " FROM incidents WHERE (CAST(?1 AS TEXT) IS NULL OR id < ?1) "
             "AND (CAST(?2 AS BIGINT) = 0 OR (state = 'open' AND ((notified_at IS NULL AND "
             "detected_at + 86400000 < ?2) OR (reported_at IS NULL AND "
             "detected_at + 259200000 < ?2)))) ORDER BY id DESC LIMIT ?3",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, cursor);
    sql_bind_i64(st, 2, overdue_at);
    sql_bind_i64(st, 3, limit);
    enum kt_rc rc = sql_rows(c, st, incident_row, sizeof(**out), a, out, n, "incidents", err);
    sql_finalize(st);
    return rc;
}

/* ---- the subjects of an incident, from the log of reads ------------------------------------ */
