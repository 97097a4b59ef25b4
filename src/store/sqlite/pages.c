/*
 * pages.c - the SQLite side of the customer's pages (0028_form_tokens.sql; docs/pages.md): the
 * one-time tokens of their forms (no personal data), and the uses counted against their limits
 * (0029_page_limits.sql: a phone's or an address's keyed tag, never the value).
 */
#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"

#define PURGE_ROWS 100 /* expired nonces deleted per spend: the table stays the live ones */

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_FORM_TOKEN_USE] = "INSERT INTO form_tokens (nonce, expires_at) VALUES (?1, ?2) ON "
                          "CONFLICT DO NOTHING",
    [SQ_FORM_TOKENS_PURGE] = "DELETE FROM form_tokens WHERE nonce IN (SELECT nonce FROM "
                             "form_tokens WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
    [SQ_PAGE_LIMIT_NTH] = "SELECT coalesce((SELECT at FROM page_limits WHERE tag = ?1 AND at >= ?2 "
                          "ORDER BY at DESC LIMIT 1 OFFSET ?3), 0)",
    [SQ_PAGE_LIMIT_ADD] = "INSERT INTO page_limits (kind, tag, at, until) VALUES (?1, ?2, ?3, ?4)",
    [SQ_PAGE_LIMIT_EXPIRE] = "DELETE FROM page_limits WHERE id IN (SELECT id FROM page_limits "
                             "WHERE until <= ?1 LIMIT ?2)",
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

enum kt_rc sq_page_limit_nth(struct store_conn *base, const unsigned char tag[32], int64_t since,
                             int64_t nth, int64_t *at, struct kt_err *err)
{
    *at = 0;
    sqlite3_stmt *st = get(base, SQ_PAGE_LIMIT_NTH, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_blob(st, 1, tag, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, nth > 0 ? nth - 1 : 0);
    return sq_int_row((struct sq_conn *)base, st, at, 1, "page limit", err);
}

enum kt_rc sq_page_limit_add(struct store_conn *base, const char *kind, const unsigned char tag[32],
                             int64_t at, int64_t until, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_PAGE_LIMIT_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, kind);
    sqlite3_bind_blob(st, 2, tag, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_int64(st, 4, until);
    return sq_run((struct sq_conn *)base, st, NULL, err);
}

enum kt_rc sq_page_limit_expire(struct store_conn *base, int64_t before, int limit,
                                int64_t *removed, struct kt_err *err)
{
    *removed = 0;
    sqlite3_stmt *st = get(base, SQ_PAGE_LIMIT_EXPIRE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, limit);
    int changes = 0;
    enum kt_rc rc = sq_run((struct sq_conn *)base, st, &changes, err);
    *removed = changes;
    return rc;
}
