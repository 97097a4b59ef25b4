/*
 * caps.c - the SQL side of the frequency caps (deliver/policy.c), in tables message_caps and
 * message_caps_version (0021_caps.sql). No personal data. A put replaces every rule and bumps
 * the version in the caller's transaction.
 */

#include "store/sql/sql_int.h"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_CAPS_VERSION] = "SELECT version FROM message_caps_version WHERE one = 1",
    [SQL_CAPS_GET] = "SELECT count, per, n, channel, topic FROM message_caps ORDER BY pos",
    [SQL_CAPS_CLEAR] = "DELETE FROM message_caps",
    [SQL_CAPS_ADD] = "INSERT INTO message_caps (pos, count, per, n, channel, topic) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_CAPS_BUMP] = "UPDATE message_caps_version SET version = version + 1, updated_at = ?1 "
                      "WHERE one = 1",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

static void rule_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct cap_rule *r = out;
    *r = (struct cap_rule){.count = sql_col_i64(st, 0),
                           .per = sql_col_text(st, 1, a),
                           .n = sql_col_i64(st, 2),
                           .channel = sql_col_text(st, 3, a),
                           .topic = sql_col_text(st, 4, a)};
}

enum kt_rc sql_caps_version(struct store_conn *base, int64_t *version, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CAPS_VERSION, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sql_int_row((struct sql_conn *)base, st, version, 1, "caps version", err);
}

enum kt_rc sql_caps_get(struct store_conn *base, struct arena *a, struct cap_rule **out, size_t *n,
                        int64_t *version, struct kt_err *err)
{
    enum kt_rc rc = sql_caps_version(base, version, err);
    struct sql_stmt *st = rc == KT_OK ? get(base, SQL_CAPS_GET, err) : NULL;
    if (st == NULL) {
        return rc == KT_OK ? KT_ESTORE : rc;
    }
    return sql_rows((struct sql_conn *)base, st, rule_row, sizeof(**out), a, out, n, "caps", err);
}

enum kt_rc sql_caps_put(struct store_conn *base, const struct cap_rule *rules, size_t n,
                        int64_t now, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = get(base, SQL_CAPS_CLEAR, err);
    enum kt_rc rc = st != NULL ? sql_run(c, st, NULL, err) : KT_ESTORE;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        if ((st = get(base, SQL_CAPS_ADD, err)) == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, (int64_t)i);
        sql_bind_i64(st, 2, rules[i].count);
        sql_bind_text(st, 3, rules[i].per);
        sql_bind_i64(st, 4, rules[i].n);
        sql_bind_text(st, 5, rules[i].channel);
        sql_bind_text(st, 6, rules[i].topic);
        rc = sql_run(c, st, NULL, err);
    }
    if (rc != KT_OK || (st = get(base, SQL_CAPS_BUMP, err)) == NULL) {
        return rc != KT_OK ? rc : KT_ESTORE;
    }
    sql_bind_i64(st, 1, now);
    return sql_run(c, st, NULL, err);
}
