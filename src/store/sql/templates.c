/*
 * templates.c - the SQL side of stored message templates (deliver/template_store.c), in table
 * templates (0019_templates.sql): versions appended, never changed. No personal data.
 *
 * Statements are cached per connection in their slots of enum sql_slot; every value is bound.
 */

#include "store/sql/sql_int.h"

#define TPL_COLS "name, version, channel, parts, created_at, key_id"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_TEMPLATE_PUT] = "INSERT INTO templates (" TPL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_TEMPLATE_GET] = "SELECT " TPL_COLS " FROM templates WHERE name = ?1 AND version = ?2",
    [SQL_TEMPLATE_LATEST] = "SELECT " TPL_COLS " FROM templates WHERE name = ?1 "
                            "ORDER BY version DESC LIMIT 1",
    [SQL_TEMPLATE_LIST] = "SELECT " TPL_COLS " FROM templates t WHERE version = "
                          "(SELECT max(version) FROM templates WHERE name = t.name) ORDER BY name",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

#define TEXT(i) sql_col_text(st, (i), a)
#define I64(i)  sql_col_i64(st, (i))

static void read_template(struct sql_stmt *st, struct arena *a, void *out)
{
    struct msg_template *t = out;
    *t = (struct msg_template){TEXT(0), I64(1), TEXT(2), TEXT(3), I64(4), TEXT(5)};
}

enum kt_rc sql_template_put(struct store_conn *base, const struct msg_template *t,
                            struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_TEMPLATE_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, t->name);
    sql_bind_i64(st, 2, t->version);
    sql_bind_text(st, 3, t->channel);
    sql_bind_text(st, 4, t->parts);
    sql_bind_i64(st, 5, t->created_at);
    sql_bind_text(st, 6, t->key_id);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_template_get(struct store_conn *base, const char *name, int64_t version,
                            struct arena *a, struct msg_template *out, bool *found,
                            struct kt_err *err)
{
    struct sql_stmt *st = get(base, version > 0 ? SQL_TEMPLATE_GET : SQL_TEMPLATE_LATEST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, name);
    if (version > 0) {
        sql_bind_i64(st, 2, version);
    }
    return sql_one((struct sql_conn *)base, st, read_template, a, out, found, "template_not_found",
                   "template not found", err);
}

enum kt_rc sql_template_list(struct store_conn *base, struct arena *a, struct msg_template **out,
                             size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_TEMPLATE_LIST, err);
    return st == NULL ? KT_ESTORE
                      : sql_rows((struct sql_conn *)base, st, read_template, sizeof(**out), a, out,
                                 n, "templates", err);
}
