/*
 * templates.c - the SQLite side of stored message templates (deliver/template_store.c), in table
 * templates (0019_templates.sql): versions appended, never changed. No personal data.
 *
 * Statements are cached per connection in their slots of enum sq_slot; every value is bound.
 */
#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"

#define TPL_COLS "name, version, channel, parts, created_at, key_id"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_TEMPLATE_PUT] = "INSERT INTO templates (" TPL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_TEMPLATE_GET] = "SELECT " TPL_COLS " FROM templates WHERE name = ?1 AND version = ?2",
    [SQ_TEMPLATE_LATEST] = "SELECT " TPL_COLS " FROM templates WHERE name = ?1 "
                           "ORDER BY version DESC LIMIT 1",
    [SQ_TEMPLATE_LIST] = "SELECT " TPL_COLS " FROM templates t WHERE version = "
                         "(SELECT max(version) FROM templates WHERE name = t.name) ORDER BY name",
};

static sqlite3_stmt *get(struct store_conn *base, enum sq_slot slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, sql[slot], err);
}

#define TEXT(i) sq_col_text(st, (i), a)
#define I64(i)  sqlite3_column_int64(st, (i))

static void read_template(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct msg_template *t = out;
    *t = (struct msg_template){TEXT(0), I64(1), TEXT(2), TEXT(3), I64(4), TEXT(5)};
}

enum kt_rc sq_template_put(struct store_conn *base, const struct msg_template *t,
                           struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_TEMPLATE_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, t->name);
    sqlite3_bind_int64(st, 2, t->version);
    sq_bind_text(st, 3, t->channel);
    sq_bind_text(st, 4, t->parts);
    sqlite3_bind_int64(st, 5, t->created_at);
    sq_bind_text(st, 6, t->key_id);
    return sq_run((struct sq_conn *)base, st, NULL, err);
}

enum kt_rc sq_template_get(struct store_conn *base, const char *name, int64_t version,
                           struct arena *a, struct msg_template *out, bool *found,
                           struct kt_err *err)
{
    sqlite3_stmt *st = get(base, version > 0 ? SQ_TEMPLATE_GET : SQ_TEMPLATE_LATEST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, name);
    if (version > 0) {
        sqlite3_bind_int64(st, 2, version);
    }
    return sq_one((struct sq_conn *)base, st, read_template, a, out, found, "template_not_found",
                  "template not found", err);
}

enum kt_rc sq_template_list(struct store_conn *base, struct arena *a, struct msg_template **out,
                            size_t *n, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_TEMPLATE_LIST, err);
    return st == NULL ? KT_ESTORE
                      : sq_rows((struct sq_conn *)base, st, read_template, sizeof(**out), a, out, n,
                                "templates", err);
}
