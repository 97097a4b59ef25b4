/*
 * pages.c - the SQLite side of the customer's pages (0028_form_tokens.sql; docs/pages.md): the
 * one-time tokens of their forms, and the retailer's own versions of them (0031). No personal
 * data.
 */
#include <sqlite3.h>
#include <string.h>

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

/* ---- the retailer's own pages (0031_page_versions.sql) ------------------------------------- */

#define PAGE_COLS "seq, name, version, body, type, created_at, key_id"

static const char *const page_sql[SQ_STATEMENTS] = {
    [SQ_PAGE_PUT] = "INSERT INTO page_versions (name, version, body, type, created_at, key_id) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_PAGE_GET] = "SELECT " PAGE_COLS " FROM page_versions WHERE name = ?1 AND version = ?2",
    [SQ_PAGE_LATEST] = "SELECT " PAGE_COLS " FROM page_versions WHERE name = ?1 "
                       "ORDER BY version DESC LIMIT 1",
    [SQ_PAGE_LIST] = "SELECT " PAGE_COLS " FROM page_versions p WHERE version = "
                     "(SELECT max(version) FROM page_versions WHERE name = p.name) ORDER BY name",
    [SQ_PAGE_SEQ] = "SELECT coalesce(max(seq), 0) FROM page_versions",
};

static sqlite3_stmt *page_stmt(struct store_conn *base, enum sq_slot slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, page_sql[slot], err);
}

/* A row; the body read as bytes whatever its type (a text, or a logo's image), NUL-terminated. */
static void read_page(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct page_version *v = out;
    *v = (struct page_version){.seq = sqlite3_column_int64(st, 0),
                               .name = sq_col_text(st, 1, a),
                               .version = sqlite3_column_int64(st, 2),
                               .type = sq_col_text(st, 4, a),
                               .created_at = sqlite3_column_int64(st, 5),
                               .key_id = sq_col_text(st, 6, a)};
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        const void *b = sqlite3_column_blob(st, 3);
        v->len = (size_t)sqlite3_column_bytes(st, 3);
        char *body = arena_alloc(a, v->len + 1);
        memcpy(body, b != NULL ? b : "", v->len);
        body[v->len] = '\0';
        v->body = body;
    }
}

enum kt_rc sq_page_put(struct store_conn *base, const struct page_version *v, struct kt_err *err)
{
    sqlite3_stmt *st = page_stmt(base, SQ_PAGE_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, v->name);
    sqlite3_bind_int64(st, 2, v->version);
    if (v->body == NULL) {
        sqlite3_bind_null(st, 3);
    } else if (v->type != NULL) { /* an image: bytes */
        sqlite3_bind_blob64(st, 3, v->body, v->len, SQLITE_STATIC);
    } else {
        sqlite3_bind_text64(st, 3, v->body, v->len, SQLITE_STATIC, SQLITE_UTF8);
    }
    sq_bind_text(st, 4, v->type);
    sqlite3_bind_int64(st, 5, v->created_at);
    sq_bind_text(st, 6, v->key_id);
    return sq_run((struct sq_conn *)base, st, NULL, err);
}

enum kt_rc sq_page_get(struct store_conn *base, const char *name, int64_t version, struct arena *a,
                       struct page_version *out, bool *found, struct kt_err *err)
{
    sqlite3_stmt *st = page_stmt(base, version > 0 ? SQ_PAGE_GET : SQ_PAGE_LATEST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, name);
    if (version > 0) {
        sqlite3_bind_int64(st, 2, version);
    }
    return sq_one((struct sq_conn *)base, st, read_page, a, out, found, "page_not_found",
                  "page version not found", err);
}

enum kt_rc sq_page_list(struct store_conn *base, struct arena *a, struct page_version **out,
                        size_t *n, struct kt_err *err)
{
    sqlite3_stmt *st = page_stmt(base, SQ_PAGE_LIST, err);
    return st == NULL ? KT_ESTORE
                      : sq_rows((struct sq_conn *)base, st, read_page, sizeof(**out), a, out, n,
                                "page versions", err);
}

enum kt_rc sq_page_seq(struct store_conn *base, int64_t *seq, struct kt_err *err)
{
    sqlite3_stmt *st = page_stmt(base, SQ_PAGE_SEQ, err);
    return st == NULL ? KT_ESTORE : sq_int_row((struct sq_conn *)base, st, seq, 1, "pages", err);
}
