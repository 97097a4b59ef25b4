/*
 * imports.c - the SQL side of intake statistics and import jobs (0002_quality.sql). Statements
 * are cached per connection in their slots of enum sql_slot (sql_int.h).
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define IMPORT_COLS                                                                                \
    "id, state, file_name, path, options, error, "                                                 \
    "EXISTS (SELECT 1 FROM import_rejects r WHERE r.import_id = imports.id AND r.line > 1), "      \
    "bytes_total, bytes_done, rows_total, created, updated, unchanged, partial, rejected, "        \
    "created_at, started_at, finished_at"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_INTAKE_ADD] =
        "INSERT INTO intake (day, channel, store_id, operator_id, requests, refused, ok, "
        "corrected, suspicious, invalid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT (day, channel, store_id, operator_id) DO UPDATE SET "
        "requests = intake.requests + excluded.requests, refused = intake.refused + "
        "excluded.refused, ok = intake.ok + excluded.ok, corrected = intake.corrected + "
        "excluded.corrected, suspicious = intake.suspicious + excluded.suspicious, invalid = "
        "intake.invalid + excluded.invalid",
    [SQL_IMPORT_INSERT] = "INSERT INTO imports (id, state, file_name, path, options, bytes_total, "
                          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQL_IMPORT_UPDATE] =
        "UPDATE imports SET state = ?2, bytes_done = ?3, rows_total = ?4, created = ?5, "
        "updated = ?6, unchanged = ?7, partial = ?8, rejected = ?9, error = ?10, "
        "started_at = ?12, finished_at = ?13, bytes_total = ?14 WHERE id = ?1",
    [SQL_IMPORT_GET] = "SELECT " IMPORT_COLS " FROM imports WHERE id = ?1",
    [SQL_IMPORT_NEXT] = "SELECT " IMPORT_COLS " FROM imports WHERE state IN ('queued', 'running') "
                        "ORDER BY created_at, id LIMIT 1",
    [SQL_IMPORT_LIST] = "SELECT " IMPORT_COLS " FROM imports ORDER BY created_at DESC, id LIMIT ?1",
};

static struct sql_stmt *stmt(struct sql_conn *c, enum sql_slot s, struct kt_err *err)
{
    return sql_stmt(c, s, sql[s], err);
}

/* ---- intake and imports ------------------------------------------------------------------ */

enum kt_rc sql_intake_add(struct store_conn *base, const struct intake_row *r, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_INTAKE_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, r->day);
    sql_bind_text(st, 2, r->channel);
    sql_bind_text(st, 3, r->store_id ? r->store_id : "");
    sql_bind_text(st, 4, r->operator_id ? r->operator_id : "");
    const int64_t v[] = {r->requests, r->refused, r->ok, r->corrected, r->suspicious, r->invalid};
    for (int i = 0; i < 6; i++) {
        sql_bind_i64(st, 5 + i, v[i]);
    }
    return sql_run(c, st, NULL, err);
}

static void read_import(struct sql_stmt *st, struct arena *a, void *out)
{
    struct import_job *j = out;
    memset(j, 0, sizeof(*j));
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(j->id, id ? (const char *)id : "", sizeof(j->id));
    j->state = sql_col_text(st, 1, a);
    j->file_name = sql_col_text(st, 2, a);
    j->path = sql_col_text(st, 3, a);
    j->options = sql_col_text(st, 4, a);
    j->error = sql_col_text(st, 5, a);
    j->has_rejects = (int)sql_col_i64(st, 6) != 0;
    int64_t *n[] = {&j->bytes_total, &j->bytes_done, &j->rows_total, &j->created,
                    &j->updated,     &j->unchanged,  &j->partial,    &j->rejected,
                    &j->created_at,  &j->started_at, &j->finished_at};
    for (int i = 0; i < 11; i++) {
        *n[i] = sql_col_i64(st, 7 + i);
    }
}

enum kt_rc sql_import_insert(struct store_conn *base, const struct import_job *j,
                             struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IMPORT_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, j->id);
    sql_bind_text(st, 2, j->state);
    sql_bind_text(st, 3, j->file_name);
    sql_bind_text(st, 4, j->path);
    sql_bind_text(st, 5, j->options);
    sql_bind_i64(st, 6, j->bytes_total);
    sql_bind_i64(st, 7, j->created_at);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_import_update(struct store_conn *base, const struct import_job *j,
                             struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IMPORT_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, j->id);
    sql_bind_text(st, 2, j->state);
    const int64_t v[] = {j->bytes_done, j->rows_total, j->created, j->updated,
                         j->unchanged,  j->partial,    j->rejected};
    for (int i = 0; i < 7; i++) {
        sql_bind_i64(st, 3 + i, v[i]);
    }
    sql_bind_text(st, 10, j->error);
    sql_bind_i64_or_null(st, 12, j->started_at);
    sql_bind_i64_or_null(st, 13, j->finished_at);
    sql_bind_i64(st, 14, j->bytes_total);
    int changes = 0;
    enum kt_rc rc = sql_run(c, st, &changes, err);
    return rc == KT_OK && changes == 0 ? sql_not_found(NULL, err, "import_not_found", "import")
                                       : rc;
}

static enum kt_rc one_import(struct sql_conn *c, struct sql_stmt *st, struct arena *a,
                             struct import_job *out, struct kt_err *err)
{
    return sql_one(c, st, read_import, a, out, NULL, "import_not_found", "import not found", err);
}

enum kt_rc sql_import_get(struct store_conn *base, const char *id, struct arena *a,
                          struct import_job *out, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IMPORT_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return one_import(c, st, a, out, err);
}

enum kt_rc sql_import_next(struct store_conn *base, struct arena *a, struct import_job *out,
                           struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IMPORT_NEXT, err);
    return st == NULL ? KT_ESTORE : one_import(c, st, a, out, err);
}

enum kt_rc sql_import_list(struct store_conn *base, int limit, struct arena *a,
                           struct import_job **out, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IMPORT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, limit);
    return sql_rows(c, st, read_import, sizeof(**out), a, out, n, "import list", err);
}
