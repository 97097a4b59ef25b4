/*
 * caps.c - the SQLite side of the frequency caps (deliver/policy.c), in tables message_caps and
 * message_caps_version (0021_caps.sql). No personal data. A put replaces every rule and bumps
 * the version in the caller's transaction.
 */
#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_CAPS_VERSION] = "SELECT version FROM message_caps_version WHERE one = 1",
    [SQ_CAPS_GET] = "SELECT count, per, n, channel, topic FROM message_caps ORDER BY pos",
    [SQ_CAPS_CLEAR] = "DELETE FROM message_caps",
    [SQ_CAPS_ADD] = "INSERT INTO message_caps (pos, count, per, n, channel, topic) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_CAPS_BUMP] = "UPDATE message_caps_version SET version = version + 1, updated_at = ?1 "
                     "WHERE one = 1",
};

static sqlite3_stmt *get(struct store_conn *base, enum sq_slot slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, sql[slot], err);
}

static void rule_row(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct cap_rule *r = out;
    *r = (struct cap_rule){.count = sqlite3_column_int64(st, 0),
                           .per = sq_col_text(st, 1, a),
                           .n = sqlite3_column_int64(st, 2),
                           .channel = sq_col_text(st, 3, a),
                           .topic = sq_col_text(st, 4, a)};
}

enum kt_rc sq_caps_version(struct store_conn *base, int64_t *version, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_CAPS_VERSION, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sq_int_row((struct sq_conn *)base, st, version, 1, "caps version", err);
}

enum kt_rc sq_caps_get(struct store_conn *base, struct arena *a, struct cap_rule **out, size_t *n,
                       int64_t *version, struct kt_err *err)
{
    enum kt_rc rc = sq_caps_version(base, version, err);
    sqlite3_stmt *st = rc == KT_OK ? get(base, SQ_CAPS_GET, err) : NULL;
    if (st == NULL) {
        return rc == KT_OK ? KT_ESTORE : rc;
    }
    return sq_rows((struct sq_conn *)base, st, rule_row, sizeof(**out), a, out, n, "caps", err);
}

enum kt_rc sq_caps_put(struct store_conn *base, const struct cap_rule *rules, size_t n, int64_t now,
                       struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = get(base, SQ_CAPS_CLEAR, err);
    enum kt_rc rc = st != NULL ? sq_run(c, st, NULL, err) : KT_ESTORE;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        if ((st = get(base, SQ_CAPS_ADD, err)) == NULL) {
            return KT_ESTORE;
        }
        sqlite3_bind_int64(st, 1, (int64_t)i);
        sqlite3_bind_int64(st, 2, rules[i].count);
        sq_bind_text(st, 3, rules[i].per);
        sqlite3_bind_int64(st, 4, rules[i].n);
        sq_bind_text(st, 5, rules[i].channel);
        sq_bind_text(st, 6, rules[i].topic);
        rc = sq_run(c, st, NULL, err);
    }
    if (rc != KT_OK || (st = get(base, SQ_CAPS_BUMP, err)) == NULL) {
        return rc != KT_OK ? rc : KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, now);
    return sq_run(c, st, NULL, err);
}
