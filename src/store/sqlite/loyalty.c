/*
 * loyalty.c - the SQLite side of loyalty/: programme versions. Tables in 0004_loyalty.sql.
 * Statements are cached per connection in the slots from SQ_LOYALTY_BASE on.
 */
#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"

enum { L_PROGRAM_PUT = SQ_LOYALTY_BASE, L_PROGRAM_GET, L_END };
_Static_assert(L_END <= SQ_STATEMENTS, "raise SQ_STATEMENTS in sqlite_int.h");

static const char *const sql[L_END - SQ_LOYALTY_BASE] = {
    [L_PROGRAM_PUT - SQ_LOYALTY_BASE] =
        "INSERT INTO loyalty_programs (rules, created_at, key_id) VALUES (?1, ?2, ?3)",
    [L_PROGRAM_GET - SQ_LOYALTY_BASE] = "SELECT version, rules, created_at FROM loyalty_programs "
                                        "ORDER BY version DESC LIMIT 1",
};

static sqlite3_stmt *get(struct store_conn *base, int slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, sql[slot - SQ_LOYALTY_BASE], err);
}

enum kt_rc sq_program_put(struct store_conn *base, const char *rules, int64_t at,
                          const char *key_id, int64_t *version, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = get(base, L_PROGRAM_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, rules);
    sqlite3_bind_int64(st, 2, at);
    sq_bind_text(st, 3, key_id);
    enum kt_rc rc = sq_run(c, st, NULL, err);
    *version = rc == KT_OK ? sqlite3_last_insert_rowid(c->db) : 0;
    return rc;
}

enum kt_rc sq_program_get(struct store_conn *base, struct arena *a, const char **rules,
                          int64_t *version, int64_t *at, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, L_PROGRAM_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    int rc = sqlite3_step(st);
    enum kt_rc r = KT_OK;
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int64(st, 0);
        *rules = sq_col_text(st, 1, a);
        *at = sqlite3_column_int64(st, 2);
    } else if (rc == SQLITE_DONE) {
        r = kt_err_set(err, KT_ENOTFOUND, "no_program", NULL, "no programme published yet");
    } else {
        r = sq_fail((struct sq_conn *)base, rc, "program get", err);
    }
    sq_done(st);
    return r;
}
