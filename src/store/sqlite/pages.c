/*
 * pages.c - the SQLite side of the customer's pages (0028_form_tokens.sql; docs/pages.md): the
 * one-time tokens of their forms. No personal data.
 */
#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"

#define PURGE_ROWS 100 /* expired nonces deleted per spend: the table stays the live ones */

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_FORM_TOKEN_USE] = "INSERT INTO form_tokens (nonce, expires_at) VALUES (?1, ?2) ON "
                          "CONFLICT DO NOTHING",
    [SQ_FORM_TOKENS_PURGE] = "DELETE FROM form_tokens WHERE nonce IN (SELECT nonce FROM "
                             "form_tokens WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
};

static sqlite3_stmt *get(struct store_conn *base, enum sq_slot slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, sql[slot], err);
}

enum kt_rc sq_form_token_use(struct store_conn *base, const char *nonce, int64_t expires_at,
                             int64_t now, bool *fresh, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = get(base, SQ_FORM_TOKENS_PURGE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, PURGE_ROWS);
    enum kt_rc rc = sq_run(c, st, NULL, err);
    if (rc != KT_OK || (st = get(base, SQ_FORM_TOKEN_USE, err)) == NULL) {
        return rc != KT_OK ? rc : KT_ESTORE;
    }
    sq_bind_text(st, 1, nonce);
    sqlite3_bind_int64(st, 2, expires_at);
    int changes = 0;
    rc = sq_run(c, st, &changes, err);
    *fresh = rc == KT_OK && changes == 1;
    return rc;
}
