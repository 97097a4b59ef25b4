/*
 * events.c - the SQL side of behaviour events. Tables in 0007_events.sql. Statements are
 * cached per connection in their slots of enum sql_slot (sql_int.h). Where one process writes
 * (SQLite), an event's message id and cookie go through the two levels of event_levels.c; these
 * statements are PostgreSQL's one level.
 */
#include <string.h>

#include "store/sql/event_levels.h"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_EVENT_ID] =
        "INSERT INTO event_ids (h, received_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [SQL_EVENT_ADD] =
        "INSERT INTO events (ck, anon_kind, anon_id, type, at, received_at, channel, props) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQL_EVENT_LIST] =
        "SELECT seq, ck, anon_kind, anon_id, type, at, received_at, channel, props FROM events "
        "WHERE ck = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
    /* With the daily counts of the events past their term (0018_retention.sql), by the day
     * received: a window that starts or ends inside such a day counts that day whole. */
    [SQL_EVENT_COUNTS] =
        "SELECT type, sum(n) FROM (SELECT type, 1 AS n FROM events WHERE received_at >= ?1 "
        "AND received_at < ?2 UNION ALL SELECT type, count FROM event_days WHERE "
        "received_day >= ?1 - ?1 % 86400000 AND received_day < ?2) AS x GROUP BY type ORDER BY "
        "type",
    [SQL_EVENT_PURGE] = "DELETE FROM event_ids WHERE h >= ?2 AND h <= ?3 AND received_at < ?1",
    [SQL_EVENT_TYPE_PUT] =
        "INSERT INTO event_types (name, properties, required, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (name) DO UPDATE SET "
        "properties = excluded.properties, required = excluded.required, "
        "updated_at = excluded.updated_at",
    [SQL_EVENT_TYPE_LIST] =
        "SELECT name, properties, required, created_at, updated_at FROM event_types ORDER BY name",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

enum kt_rc sql_event_add(struct store_conn *base, const struct event *e, bool *duplicate,
                         struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct ev_level0 *l = ((struct sql_store *)base->store)->level0;
    if (l != NULL) {
        return sql_levels_event_add(c, l, e, duplicate, err);
    }
    struct sql_stmt *st;
    *duplicate = false;
    if (e->msg_hash != 0) {
        if ((st = get(base, SQL_EVENT_ID, err)) == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, e->msg_hash);
        sql_bind_i64(st, 2, e->received_at);
        int changes = 0;
        enum kt_rc rc = sql_run(c, st, &changes, err);
        if (rc != KT_OK || changes == 0) {
            *duplicate = rc == KT_OK;
            return rc;
        }
    }
    if ((st = get(base, SQL_EVENT_ADD, err)) == NULL) {
        return KT_ESTORE;
    }
    sql_event_bind(st, e);
    return sql_run(c, st, NULL, err);
}

void sql_event_bind(struct sql_stmt *st, const struct event *e)
{
    sql_bind_i64_or_null(st, 1, e->ck);
    sql_bind_text(st, 2, e->anon_kind);
    sql_bind_text(st, 3, e->anon_id);
    sql_bind_text(st, 4, e->type);
    sql_bind_i64(st, 5, e->at);
    sql_bind_i64(st, 6, e->received_at);
    sql_bind_text(st, 7, e->channel);
    sql_bind_text(st, 8, e->props);
}

enum kt_rc sql_events_adopt(struct store_conn *base, const char *kind, const char *value,
                            int64_t ck, int64_t *n, struct kt_err *err)
{
    return sql_levels_adopt((struct sql_conn *)base, ((struct sql_store *)base->store)->level0,
                            kind, value, ck, n, err);
}

static void event_row(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct event *)out = (struct event){sql_col_i64(st, 0),     sql_col_i64(st, 1),
                                          sql_col_text(st, 2, a), sql_col_text(st, 3, a),
                                          sql_col_text(st, 4, a), sql_col_i64(st, 5),
                                          sql_col_i64(st, 6),     sql_col_text(st, 7, a),
                                          sql_col_text(st, 8, a), 0};
}

enum kt_rc sql_events_list(struct store_conn *base, int64_t ck, int64_t before_seq, int limit,
                           struct arena *a, struct event **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_EVENT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_i64(st, 2, before_seq > 0 ? before_seq : INT64_MAX);
    sql_bind_i64(st, 3, limit);
    return sql_rows((struct sql_conn *)base, st, event_row, sizeof(**out), a, out, n, "events list",
                    err);
}

/* Two arrays of one length, filled a row at a time. */
struct type_counts {
    struct arena *a;
    const char ***types;
    int64_t **counts;
    size_t *n;
    size_t cap, cap2;
};

static void type_count_row(struct sql_stmt *st, void *ctx)
{
    struct type_counts *tc = ctx;
    size_t n2 = *tc->n;
    *(const char **)arena_push(tc->a, tc->types, tc->n, &tc->cap, sizeof(**tc->types)) =
        sql_col_text(st, 0, tc->a);
    *(int64_t *)arena_push(tc->a, tc->counts, &n2, &tc->cap2, sizeof(**tc->counts)) =
        sql_col_i64(st, 1);
}

enum kt_rc sql_event_counts(struct store_conn *base, int64_t since, int64_t until, struct arena *a,
                            const char ***types, int64_t **counts, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_EVENT_COUNTS, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, since);
    sql_bind_i64(st, 2, until);
    struct type_counts tc = {a, types, counts, n, 0, 0};
    *types = NULL;
    *counts = NULL;
    *n = 0;
    return sql_each((struct sql_conn *)base, st, type_count_row, &tc, "event counts", err);
}

/* The first and last hash of `slice` of `slices` (a power of two), in the B-tree's order
 * (signed): the unsigned range moved by the sign bit. */
static int64_t slice_edge(int slice, int slices, bool last)
{
    uint64_t step = slices > 1 ? (UINT64_MAX / (uint64_t)slices) + 1 : 0;
    uint64_t lo = (uint64_t)slice * step;
    uint64_t u = !last ? lo : slices > 1 ? lo + (step - 1) : UINT64_MAX;
    return (int64_t)(u ^ 0x8000000000000000ull);
}

enum kt_rc sql_event_ids_purge(struct store_conn *base, int64_t before, int slice, int slices,
                               int64_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_EVENT_PURGE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, before);
    sql_bind_i64(st, 2, slice_edge(slice, slices, false));
    sql_bind_i64(st, 3, slice_edge(slice, slices, true));
    int changes = 0;
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, &changes, err);
    *n = changes;
    struct ev_level0 *l = ((struct sql_store *)base->store)->level0;
    int64_t more = 0;
    if (rc == KT_OK && l != NULL && slice == 0) { /* and those of level 0 */
        rc = sql_levels_ids_purge((struct sql_conn *)base, l, before, &more, err);
        *n += more;
    }
    return rc;
}

enum kt_rc sql_event_type_put(struct store_conn *base, const struct event_type *t,
                              struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_EVENT_TYPE_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, t->name);
    sql_bind_text(st, 2, t->properties);
    sql_bind_text(st, 3, t->required);
    sql_bind_i64(st, 4, t->updated_at);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

static void event_type_row(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct event_type *)out =
        (struct event_type){sql_col_text(st, 0, a), sql_col_text(st, 1, a), sql_col_text(st, 2, a),
                            sql_col_i64(st, 3), sql_col_i64(st, 4)};
}

enum kt_rc sql_event_type_list(struct store_conn *base, struct arena *a, struct event_type **out,
                               size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_EVENT_TYPE_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sql_rows((struct sql_conn *)base, st, event_type_row, sizeof(**out), a, out, n,
                    "event types", err);
}
