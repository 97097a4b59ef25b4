/*
 * retention.c - the SQLite side of retention and incidents (0018_retention.sql): raw events and
 * the outbox's finished messages expired in batches, events rolled up into their daily counts
 * first; the incident register; the count of the subjects an incident's reads named.
 *
 * Every statement here runs rarely (a batch of the expiry jobs, an incident recorded or looked
 * at), so each is prepared for its call and holds no slot of enum sq_slot.
 *
 * Events are expired as a prefix of the table in the order received (seq): the first `limit`
 * rows are looked at, those received before the cutoff go. So a batch costs the same whether
 * it finds a thousand rows or none - no index on received_at, no scan of the young rows - and a
 * run stops at the first batch that removed fewer than it looked at.
 */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

#define DAY_MS_TEXT "86400000"

static sqlite3_stmt *once(struct sq_conn *c, const char *text, struct kt_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, text, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        sq_fail(c, rc, "retention", err);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Binds `before` and `limit` as ?1 and ?2, runs and finalizes; `changes` may be NULL. */
static enum kt_rc run_batch(struct sq_conn *c, const char *text, int64_t before, int limit,
                            int *changes, struct kt_err *err)
{
    sqlite3_stmt *st = once(c, text, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, limit);
    enum kt_rc rc = sq_run(c, st, changes, err);
    sqlite3_finalize(st);
    return rc;
}

enum kt_rc sq_events_expire(struct store_conn *base, int64_t before, int limit, int64_t *removed,
                            struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    static const char roll_up[] =
        "INSERT INTO event_days (ck, type, channel, day, received_day, count) "
        "SELECT coalesce(ck, 0), type, channel, at - at % " DAY_MS_TEXT ", "
        "received_at - received_at % " DAY_MS_TEXT ", count(*) "
        "FROM (SELECT ck, type, channel, at, received_at FROM events ORDER BY seq LIMIT ?2) "
        "WHERE received_at < ?1 GROUP BY 1, 2, 3, 4, 5 "
        "ON CONFLICT (ck, type, day, channel, received_day) DO UPDATE SET "
        "count = count + excluded.count";
    static const char drop[] =
        "DELETE FROM events WHERE seq IN "
        "(SELECT seq FROM events ORDER BY seq LIMIT ?2) AND received_at < ?1";
    int changes = 0;
    *removed = 0;
    enum kt_rc rc = run_batch(c, roll_up, before, limit, NULL, err);
    if (rc == KT_OK) {
        rc = run_batch(c, drop, before, limit, &changes, err);
    }
    *removed = changes;
    return rc;
}

/* A merge: the survivor takes the merged-away customer's daily counts (added to its own). */
enum kt_rc sq_event_days_move(struct sq_conn *c, int64_t from, int64_t into, struct kt_err *err)
{
    static const char *const text[] = {
        "INSERT INTO event_days (ck, type, channel, day, received_day, count) "
        "SELECT ?2, type, channel, day, received_day, count FROM event_days WHERE ck = ?1 "
        "ON CONFLICT (ck, type, day, channel, received_day) DO UPDATE SET "
        "count = count + excluded.count",
        "DELETE FROM event_days WHERE ck = ?1 AND ?2 <> ?1"};
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < 2; i++) {
        sqlite3_stmt *st = once(c, text[i], err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, into);
        rc = sq_run(c, st, NULL, err);
        sqlite3_finalize(st);
    }
    return rc;
}

enum kt_rc sq_outbox_expire(struct store_conn *base, int64_t before, int limit, int64_t *removed,
                            struct kt_err *err)
{
    int changes = 0;
    enum kt_rc rc = run_batch((struct sq_conn *)base,
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

enum kt_rc sq_incident_put(struct store_conn *base, const struct incident *x, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = once(c,
                            "INSERT OR REPLACE INTO incidents (" INCIDENT_COLS ") VALUES (?1, ?2, "
                            "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                            "?18, ?19, ?20, ?21)",
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
            sqlite3_bind_int64(st, i + 1, ints[i]);
        } else {
            sq_bind_text(st, i + 1, texts[i]);
        }
    }
    sq_bind_i64_or_null(st, 16, x->notified_at);
    sq_bind_i64_or_null(st, 17, x->reported_at);
    sq_bind_text(st, 18, x->state);
    sq_bind_text(st, 19, x->key_id);
    sqlite3_bind_int64(st, 20, x->created_at);
    sqlite3_bind_int64(st, 21, x->updated_at);
    enum kt_rc rc = sq_run(c, st, NULL, err);
    sqlite3_finalize(st);
    return rc;
}

static void incident_row(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct incident *x = out;
    const char *id = (const char *)sqlite3_column_text(st, 0);
    kt_strlcpy(x->id, id ? id : "", sizeof(x->id));
    x->description = sq_col_text(st, 1, a);
    x->detected_at = sqlite3_column_int64(st, 2);
    x->categories = sq_col_text(st, 3, a);
    x->since = sqlite3_column_int64(st, 4);
    x->until = sqlite3_column_int64(st, 5);
    x->key_ids = sq_col_text(st, 6, a);
    x->ips = sq_col_text(st, 7, a);
    x->routes = sq_col_text(st, 8, a);
    x->subjects = sqlite3_column_int64(st, 9);
    x->bulk_reads = sqlite3_column_int64(st, 10);
    x->method = sq_col_text(st, 11, a);
    x->counted_at = sqlite3_column_int64(st, 12);
    x->measures = sq_col_text(st, 13, a);
    x->findings = sq_col_text(st, 14, a);
    x->notified_at = sqlite3_column_int64(st, 15);
    x->reported_at = sqlite3_column_int64(st, 16);
    x->state = sq_col_text(st, 17, a);
    x->key_id = sq_col_text(st, 18, a);
    x->created_at = sqlite3_column_int64(st, 19);
    x->updated_at = sqlite3_column_int64(st, 20);
}

enum kt_rc sq_incident_get(struct store_conn *base, const char *id, struct arena *a,
                           struct incident *out, bool *found, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = once(c, "SELECT " INCIDENT_COLS " FROM incidents WHERE id = ?1", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, id);
    enum kt_rc rc =
        sq_one(c, st, incident_row, a, out, found, "incident_not_found", "incident not found", err);
    sqlite3_finalize(st);
    return rc;
}

enum kt_rc sq_incident_list(struct store_conn *base, int64_t overdue_at, const char *cursor,
                            int limit, struct arena *a, struct incident **out, size_t *n,
                            struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = once(c,
                            "SELECT " INCIDENT_COLS " FROM incidents WHERE (?1 IS NULL OR id < ?1) "
                            "AND (?2 = 0 OR (state = 'open' AND ((notified_at IS NULL AND "
                            "detected_at + 86400000 < ?2) OR (reported_at IS NULL AND "
                            "detected_at + 259200000 < ?2)))) ORDER BY id DESC LIMIT ?3",
                            err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, cursor);
    sqlite3_bind_int64(st, 2, overdue_at);
    sqlite3_bind_int(st, 3, limit);
    enum kt_rc rc = sq_rows(c, st, incident_row, sizeof(**out), a, out, n, "incidents", err);
    sqlite3_finalize(st);
    return rc;
}

/* ---- the subjects of an incident, from the log of reads ------------------------------------ */

/* Every entry the filter names (reads_filter, model.h); the lists are JSON arrays. A route
 * names the entries whose detail is the route's pattern, alone or followed by what a read of
 * many read. */
static const char subjects_sql[] =
    "SELECT count(DISTINCT customer_id), coalesce(sum(customer_id IS NULL), 0) FROM reads "
    "WHERE at >= ?1 AND at < ?2 AND ((json_array_length(?3) = 0 AND json_array_length(?4) = 0) "
    "OR key_id IN (SELECT value FROM json_each(?3)) OR ip IN (SELECT value FROM json_each(?4))) "
    "AND (json_array_length(?5) = 0 OR EXISTS (SELECT 1 FROM json_each(?5) r WHERE "
    "reads.detail = r.value OR substr(reads.detail, 1, length(r.value) + 1) = r.value || ' '))";

enum kt_rc sq_reads_subjects(struct store *s, const struct reads_filter *f, int64_t *subjects,
                             int64_t *bulk, struct kt_err *err)
{
    struct sq_reads *r = sq_store_reads(s);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    *subjects = *bulk = 0;
    /* A connection of its own, read-only: the count may scan the whole log, and the flush (which
     * holds r->mu) must not wait for it. No file yet: nothing was read. */
    int rc = sqlite3_open_v2(r->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_CANTOPEN) {
        sqlite3_close(db);
        return KT_OK;
    }
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_prepare_v2(db, subjects_sql, -1, &st, NULL);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, f->since);
        sqlite3_bind_int64(st, 2, f->until);
        sq_bind_text(st, 3, f->key_ids);
        sq_bind_text(st, 4, f->ips);
        sq_bind_text(st, 5, f->routes);
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        *subjects = sqlite3_column_int64(st, 0);
        *bulk = sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        kt_err_set(err, rc == SQLITE_BUSY ? KT_EBUSY : KT_ESTORE, "store_error", NULL,
                   "the log of reads cannot be read");
        kt_err_detail(err, "reads subjects: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_OK ? KT_OK : err ? err->rc : KT_ESTORE;
}
