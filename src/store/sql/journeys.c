/*
 * journeys.c - the SQL side of journeys (0026_journeys.sql; docs/journeys.md): the journeys
 * and their versions, the runs, the steps they took, the job's cursors and reads of what ingest
 * stored, the coupons, and a journey's runs by state and exit. No personal data: a run's context
 * holds its entry key and coupon; the messages are the outbox's, sealed there.
 *
 * Statements are cached per connection in their slots of enum sql_slot; every value is bound.
 */

#include "store/sql/sql_int.h"

#define RUN_COLS                                                                                   \
    "id, journey, version, ck, entry_key, step, visit, state, coalesce(due_at, 0), since_at, "     \
    "entered_at, updated_at, coalesce(finished_at, 0), exit, ctx"
#define LIVE "state IN ('active', 'waiting')"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_JOURNEY_PUT] =
        "INSERT INTO journeys (key, name, state, version, live_version, created_at, updated_at, "
        "started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (key) DO UPDATE SET "
        "name = excluded.name, state = excluded.state, version = excluded.version, live_version "
        "= excluded.live_version, updated_at = excluded.updated_at, started_at = "
        "excluded.started_at",
    [SQL_JOURNEY_GET] = "SELECT key, name, state, version, coalesce(live_version, 0), created_at, "
                        "updated_at, coalesce(started_at, 0) FROM journeys WHERE key = ?1",
    [SQL_JOURNEY_LIST] = "SELECT key, name, state, version, coalesce(live_version, 0), created_at, "
                         "updated_at, coalesce(started_at, 0) FROM journeys ORDER BY key",
    [SQL_JOURNEY_VERSION_ADD] = "INSERT INTO journey_versions (key, version, doc, created_at, "
                                "key_id) VALUES (?1, ?2, ?3, ?4, ?5)",
    [SQL_JOURNEY_VERSION_GET] =
        "SELECT key, version, doc, created_at, key_id FROM journey_versions WHERE key = ?1 AND "
        "(version = ?2 OR ?2 = 0) ORDER BY version DESC LIMIT 1",
    [SQL_JOURNEY_RUN_ADD] =
        "INSERT INTO journey_runs (journey, version, ck, entry_key, step, visit, state, due_at, "
        "since_at, entered_at, updated_at, finished_at, exit, ctx) VALUES (?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13) ON CONFLICT DO NOTHING RETURNING id",
    [SQL_JOURNEY_RUN_LAST] = "SELECT " RUN_COLS " FROM journey_runs WHERE journey = ?1 AND ck = ?2 "
                             "AND entry_key = ?3 ORDER BY entered_at DESC, id DESC LIMIT 1",
    [SQL_JOURNEY_RUN_UPDATE] =
        "UPDATE journey_runs SET step = ?2, visit = ?3, state = ?4, due_at = ?5, since_at = ?6, "
        "updated_at = ?7, finished_at = ?8, exit = ?9, ctx = ?10 WHERE id = ?1",
    [SQL_JOURNEY_RUNS_DUE] =
        "SELECT " RUN_COLS " FROM journey_runs r WHERE due_at <= ?1 AND " LIVE " AND EXISTS "
        "(SELECT 1 FROM journeys j WHERE j.key = r.journey AND j.state = 'active') ORDER BY "
        "due_at LIMIT ?2",
    [SQL_JOURNEY_RUNS_LIVE] = "SELECT " RUN_COLS " FROM journey_runs WHERE ck = ?1 AND " LIVE
                              " AND journey = ?2 ORDER BY id",
    [SQL_JOURNEY_RUNS_LIVE_ALL] =
        "SELECT " RUN_COLS " FROM journey_runs WHERE ck = ?1 AND " LIVE " ORDER BY id",
    [SQL_JOURNEY_RUNS_OF] = "SELECT " RUN_COLS " FROM journey_runs WHERE ck = ?1 ORDER BY "
                            "entered_at DESC, id DESC LIMIT ?2",
    [SQL_JOURNEY_STEP_ADD] = "INSERT INTO journey_steps (run, visit, journey, step, outcome, "
                             "message_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT "
                             "DO NOTHING",
    [SQL_JOURNEY_CURSOR_GET] = "SELECT pos FROM journey_cursors WHERE name = ?1",
    [SQL_JOURNEY_CURSOR_PUT] = "INSERT INTO journey_cursors (name, pos) VALUES (?1, ?2) ON "
                               "CONFLICT (name) DO UPDATE SET pos = excluded.pos",
    [SQL_JOURNEY_EVENTS_AFTER] =
        "SELECT seq, ck, type, at, received_at, channel, props FROM events WHERE seq > ?1 AND "
        "ck IS NOT NULL ORDER BY seq LIMIT ?2",
    [SQL_EVENTS_LAST_SEQ] = "SELECT coalesce(max(seq), 0) FROM events WHERE received_at < ?1",
    [SQL_JOURNEY_PURCHASES] =
        "SELECT ck, at FROM purchases p WHERE at >= ?1 AND at < ?2 AND ck IS NOT NULL AND EXISTS "
        "(SELECT 1 FROM journey_runs r WHERE r.ck = p.ck AND r." LIVE ") ORDER BY at",
    [SQL_JOURNEY_BOUGHT] = "SELECT EXISTS (SELECT 1 FROM purchases WHERE ck = ?1 AND at >= ?2)",
    [SQL_JOURNEY_EVENT_PROPS] = "SELECT props FROM events WHERE ck = ?1 AND type = ?2 AND "
                                "received_at >= ?3 ORDER BY seq LIMIT ?4",
    [SQL_JOURNEY_OUTBOX_CANCEL] =
        "UPDATE outbox SET state = 'suppressed', reason = ?2, content = NULL, updated_at = ?3 "
        "WHERE journey_run = ?1 AND state = 'queued'",
    [SQL_COUPON_ADD] = "INSERT INTO coupons (code, ck, journey, run, percent, kopecks, created_at, "
                       "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQL_JOURNEY_RUN_COUNTS] =
        "SELECT state, coalesce(exit, ''), count(*) FROM journey_runs WHERE journey = ?1 GROUP "
        "BY state, exit ORDER BY state, exit",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

#define TEXT(i) sql_col_text(st, (i), a)
#define I64(i)  sql_col_i64(st, (i))
#define CONN    ((struct sql_conn *)base)

static void read_journey(struct sql_stmt *st, struct arena *a, void *out)
{
    struct journey_row *j = out;
    *j = (struct journey_row){TEXT(0), TEXT(1), TEXT(2), I64(3), I64(4), I64(5), I64(6), I64(7)};
}

static void read_version(struct sql_stmt *st, struct arena *a, void *out)
{
    struct journey_version *v = out;
    *v = (struct journey_version){TEXT(0), I64(1), TEXT(2), I64(3), TEXT(4)};
}

static void read_run(struct sql_stmt *st, struct arena *a, void *out)
{
    struct journey_run *r = out;
    *r = (struct journey_run){.id = I64(0),
                              .journey = TEXT(1),
                              .version = I64(2),
                              .ck = I64(3),
                              .entry_key = TEXT(4),
                              .step = I64(5),
                              .visit = I64(6),
                              .state = TEXT(7),
                              .due_at = I64(8),
                              .since_at = I64(9),
                              .entered_at = I64(10),
                              .updated_at = I64(11),
                              .finished_at = I64(12),
                              .exit = TEXT(13),
                              .ctx = TEXT(14)};
}

static void read_event(struct sql_stmt *st, struct arena *a, void *out)
{
    struct event *e = out;
    *e = (struct event){.seq = I64(0),
                        .ck = I64(1),
                        .type = TEXT(2),
                        .at = I64(3),
                        .received_at = I64(4),
                        .channel = TEXT(5),
                        .props = TEXT(6)};
}

/* ---- journeys and versions ------------------------------------------------------------------- */

enum kt_rc sql_journey_put(struct store_conn *base, const struct journey_row *j, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, j->key);
    sql_bind_text(st, 2, j->name);
    sql_bind_text(st, 3, j->state);
    sql_bind_i64(st, 4, j->version);
    sql_bind_i64_or_null(st, 5, j->live_version);
    sql_bind_i64(st, 6, j->created_at);
    sql_bind_i64(st, 7, j->updated_at);
    sql_bind_i64_or_null(st, 8, j->started_at);
    return sql_run(CONN, st, NULL, err);
}

enum kt_rc sql_journey_get(struct store_conn *base, const char *key, struct arena *a,
                           struct journey_row *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, key);
    return sql_one(CONN, st, read_journey, a, out, found, "journey_not_found", "journey not found",
                   err);
}

enum kt_rc sql_journey_list(struct store_conn *base, struct arena *a, struct journey_row **out,
                            size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sql_rows(CONN, st, read_journey, sizeof(**out), a, out, n, "journeys", err);
}

enum kt_rc sql_journey_version_add(struct store_conn *base, const struct journey_version *v,
                                   struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_VERSION_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, v->key);
    sql_bind_i64(st, 2, v->version);
    sql_bind_text(st, 3, v->doc);
    sql_bind_i64(st, 4, v->created_at);
    sql_bind_text(st, 5, v->key_id);
    return sql_run(CONN, st, NULL, err);
}

enum kt_rc sql_journey_version_get(struct store_conn *base, const char *key, int64_t version,
                                   struct arena *a, struct journey_version *out, bool *found,
                                   struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_VERSION_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, key);
    sql_bind_i64(st, 2, version);
    return sql_one(CONN, st, read_version, a, out, found, "journey_not_found",
                   "journey version not found", err);
}

/* ---- runs ------------------------------------------------------------------------------------ */

enum kt_rc sql_journey_run_add(struct store_conn *base, struct journey_run *r, bool *created,
                               struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_RUN_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, r->journey);
    sql_bind_i64(st, 2, r->version);
    sql_bind_i64(st, 3, r->ck);
    sql_bind_text(st, 4, r->entry_key != NULL ? r->entry_key : "");
    sql_bind_i64(st, 5, r->step);
    sql_bind_i64(st, 6, r->visit);
    sql_bind_text(st, 7, r->state);
    sql_bind_i64_or_null(st, 8, r->due_at);
    sql_bind_i64(st, 9, r->since_at);
    sql_bind_i64(st, 10, r->entered_at);
    sql_bind_i64_or_null(st, 11, r->finished_at);
    sql_bind_text(st, 12, r->exit);
    sql_bind_text(st, 13, r->ctx);
    int64_t id = 0;
    enum kt_rc rc = sql_insert_id(CONN, st, &id, err);
    *created = rc == KT_OK && id != 0;
    if (*created) {
        r->id = id;
    }
    return rc;
}

enum kt_rc sql_journey_run_last(struct store_conn *base, const char *journey, int64_t ck,
                                const char *entry_key, struct arena *a, struct journey_run *out,
                                bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_RUN_LAST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, journey);
    sql_bind_i64(st, 2, ck);
    sql_bind_text(st, 3, entry_key != NULL ? entry_key : "");
    return sql_one(CONN, st, read_run, a, out, found, "run_not_found", "run not found", err);
}

enum kt_rc sql_journey_run_update(struct store_conn *base, const struct journey_run *r,
                                  struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_RUN_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, r->id);
    sql_bind_i64(st, 2, r->step);
    sql_bind_i64(st, 3, r->visit);
    sql_bind_text(st, 4, r->state);
    sql_bind_i64_or_null(st, 5, r->due_at);
    sql_bind_i64(st, 6, r->since_at);
    sql_bind_i64(st, 7, r->updated_at);
    sql_bind_i64_or_null(st, 8, r->finished_at);
    sql_bind_text(st, 9, r->exit);
    sql_bind_text(st, 10, r->ctx);
    return sql_run(CONN, st, NULL, err);
}

enum kt_rc sql_journey_runs_due(struct store_conn *base, int64_t now, int limit, struct arena *a,
                                struct journey_run **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_RUNS_DUE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, now);
    sql_bind_i64(st, 2, limit);
    return sql_rows(CONN, st, read_run, sizeof(**out), a, out, n, "due runs", err);
}

enum kt_rc sql_journey_runs_live(struct store_conn *base, int64_t ck, const char *journey,
                                 struct arena *a, struct journey_run **out, size_t *n,
                                 struct kt_err *err)
{
    struct sql_stmt *st =
        get(base, journey != NULL ? SQL_JOURNEY_RUNS_LIVE : SQL_JOURNEY_RUNS_LIVE_ALL, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    if (journey != NULL) {
        sql_bind_text(st, 2, journey);
    }
    return sql_rows(CONN, st, read_run, sizeof(**out), a, out, n, "live runs", err);
}

enum kt_rc sql_journey_runs_of(struct store_conn *base, int64_t ck, int limit, struct arena *a,
                               struct journey_run **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_RUNS_OF, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_i64(st, 2, limit);
    return sql_rows(CONN, st, read_run, sizeof(**out), a, out, n, "runs", err);
}

enum kt_rc sql_journey_step_add(struct store_conn *base, const struct journey_step_row *s,
                                bool *created, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_STEP_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, s->run);
    sql_bind_i64(st, 2, s->visit);
    sql_bind_text(st, 3, s->journey);
    sql_bind_text(st, 4, s->step);
    sql_bind_text(st, 5, s->outcome);
    sql_bind_text(st, 6, s->message_id);
    sql_bind_i64(st, 7, s->at);
    int changes = 0;
    enum kt_rc rc = sql_run(CONN, st, &changes, err);
    *created = rc == KT_OK && changes == 1;
    return rc;
}

/* ---- the job's cursors and reads ------------------------------------------------------------- */

enum kt_rc sql_journey_cursor_get(struct store_conn *base, const char *name, int64_t *pos,
                                  struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_CURSOR_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, name);
    bool found = false;
    *pos = 0;
    return sql_one(CONN, st, sql_row_i64, NULL, pos, &found, "cursor_not_found", "no cursor", err);
}

enum kt_rc sql_journey_cursor_put(struct store_conn *base, const char *name, int64_t pos,
                                  struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_CURSOR_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, name);
    sql_bind_i64(st, 2, pos);
    return sql_run(CONN, st, NULL, err);
}

enum kt_rc sql_journey_events_after(struct store_conn *base, int64_t after_seq, int limit,
                                    struct arena *a, struct event **out, size_t *n,
                                    struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_EVENTS_AFTER, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, after_seq);
    sql_bind_i64(st, 2, limit);
    return sql_rows(CONN, st, read_event, sizeof(**out), a, out, n, "journey events", err);
}

enum kt_rc sql_events_last_seq(struct store_conn *base, int64_t before, int64_t *seq,
                               struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_EVENTS_LAST_SEQ, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, before);
    *seq = 0;
    return sql_int_row(CONN, st, seq, 1, "last event", err);
}

enum kt_rc sql_journey_purchases_between(struct store_conn *base, int64_t since, int64_t until,
                                         struct arena *a, int64_t **cks, int64_t **ats, size_t *n,
                                         struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_PURCHASES, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, since);
    sql_bind_i64(st, 2, until);
    return sql_pairs(CONN, st, a, cks, ats, n, "journey receipts", err);
}

enum kt_rc sql_journey_bought_since(struct store_conn *base, int64_t ck, int64_t since, bool *yes,
                                    struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_BOUGHT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_i64(st, 2, since);
    int64_t v = 0;
    enum kt_rc rc = sql_int_row(CONN, st, &v, 1, "journey receipt", err);
    *yes = v != 0;
    return rc;
}

enum kt_rc sql_journey_event_props(struct store_conn *base, int64_t ck, const char *type,
                                   int64_t since, int limit, struct arena *a, const char ***props,
                                   size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_EVENT_PROPS, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_text(st, 2, type);
    sql_bind_i64(st, 3, since);
    sql_bind_i64(st, 4, limit);
    return sql_rows(CONN, st, sql_row_text, sizeof(**props), a, props, n, "journey event", err);
}

enum kt_rc sql_journey_outbox_cancel(struct store_conn *base, int64_t run, const char *reason,
                                     int64_t now, int64_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOURNEY_OUTBOX_CANCEL, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, run);
    sql_bind_text(st, 2, reason);
    sql_bind_i64(st, 3, now);
    int changes = 0;
    enum kt_rc rc = sql_run(CONN, st, &changes, err);
    *n = changes;
    return rc;
}

enum kt_rc sql_coupon_add(struct store_conn *base, const struct coupon *cp, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_COUPON_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, cp->code);
    sql_bind_i64(st, 2, cp->ck);
    sql_bind_text(st, 3, cp->journey);
    sql_bind_i64(st, 4, cp->run);
    sql_bind_i64(st, 5, cp->percent);
    sql_bind_i64(st, 6, cp->kopecks);
    sql_bind_i64(st, 7, cp->created_at);
    sql_bind_i64(st, 8, cp->expires_at);
    return sql_run(CONN, st, NULL, err);
}

/* ---- the report's counts --------------------------------------------------------------------- */

struct count3 {
    const char *a, *b;
    int64_t n;
};

static void read_count3(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct count3 *)out = (struct count3){TEXT(0), TEXT(1), I64(2)};
}

static enum kt_rc counts(struct store_conn *base, enum sql_slot slot, const char *journey,
                         struct arena *a, const char ***x, const char ***y, int64_t **c, size_t *n,
                         struct kt_err *err)
{
    struct sql_stmt *st = get(base, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, journey);
    struct count3 *rows = NULL;
    enum kt_rc rc =
        sql_rows(CONN, st, read_count3, sizeof(*rows), a, &rows, n, "journey counts", err);
    *x = arena_alloc(a, (*n + 1) * sizeof(**x));
    *y = arena_alloc(a, (*n + 1) * sizeof(**y));
    *c = arena_alloc(a, (*n + 1) * sizeof(**c));
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        (*x)[i] = rows[i].a;
        (*y)[i] = rows[i].b;
        (*c)[i] = rows[i].n;
    }
    return rc;
}

enum kt_rc sql_journey_run_counts(struct store_conn *base, const char *journey, struct arena *a,
                                  const char ***states, const char ***exits, int64_t **c, size_t *n,
                                  struct kt_err *err)
{
    return counts(base, SQL_JOURNEY_RUN_COUNTS, journey, a, states, exits, c, n, err);
}
