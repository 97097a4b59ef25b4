/*
 * pages.c - the SQL side of the customer's pages (docs/pages.md): the one-time tokens of their
 * forms (0028_form_tokens.sql, no personal data); the uses counted against their limits
 * (0029_page_limits.sql: a phone's or an address's keyed tag, never the value); and the join
 * forms waiting for their code (0030_join_pending.sql, their values sealed under the customer's
 * key); the retailer's own versions of the pages (0031_page_versions.sql, no personal data).
 */
#include <stdio.h>
#include <string.h>

#include "store/sql/sql_int.h"

#define PURGE_ROWS 100 /* expired nonces deleted per spend: the table stays the live ones */

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_FORM_TOKEN_USE] = "INSERT INTO form_tokens (nonce, expires_at) VALUES (?1, ?2) ON "
                           "CONFLICT DO NOTHING",
    [SQL_FORM_TOKENS_PURGE] = "DELETE FROM form_tokens WHERE nonce IN (SELECT nonce FROM "
                              "form_tokens WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
    [SQL_JOIN_PENDING_ADD] = "INSERT INTO join_pending (id, ck, join_point, channel, data, otp_id, "
                             "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQL_JOIN_PENDING_PURGE] = "DELETE FROM join_pending WHERE id IN (SELECT id FROM join_pending "
                               "WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
    [SQL_JOIN_PENDING_GET] = "SELECT id, ck, join_point, channel, data, otp_id, created_at, "
                             "expires_at FROM join_pending WHERE id = ?1",
    [SQL_JOIN_PENDING_DELETE] = "DELETE FROM join_pending WHERE id = ?1",
    [SQL_PAGE_LIMIT_NTH] =
        "SELECT coalesce((SELECT at FROM page_limits WHERE tag = ?1 AND at >= ?2 "
        "ORDER BY at DESC LIMIT 1 OFFSET ?3), 0)",
    [SQL_PAGE_LIMIT_ADD] = "INSERT INTO page_limits (kind, tag, at, until) VALUES (?1, ?2, ?3, ?4)",
    [SQL_PAGE_LIMIT_EXPIRE] = "DELETE FROM page_limits WHERE id IN (SELECT id FROM page_limits "
                              "WHERE until <= ?1 LIMIT ?2)",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

/* Deletes up to PURGE_ROWS rows of `slot`'s table past their expiry at `now`. */
static enum kt_rc purge(struct store_conn *base, enum sql_slot slot, int64_t now,
                        struct kt_err *err)
{
    struct sql_stmt *st = get(base, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, now);
    sql_bind_i64(st, 2, PURGE_ROWS);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_form_token_use(struct store_conn *base, const char *nonce, int64_t expires_at,
                              int64_t now, bool *fresh, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = NULL;
    enum kt_rc rc = purge(base, SQL_FORM_TOKENS_PURGE, now, err);
    if (rc != KT_OK || (st = get(base, SQL_FORM_TOKEN_USE, err)) == NULL) {
        return rc != KT_OK ? rc : KT_ESTORE;
    }
    sql_bind_text(st, 1, nonce);
    sql_bind_i64(st, 2, expires_at);
    int changes = 0;
    rc = sql_run(c, st, &changes, err);
    *fresh = rc == KT_OK && changes == 1;
    return rc;
}

/* ---- join forms waiting for their code ------------------------------------------------------ */

enum kt_rc sql_join_pending_add(struct store_conn *base, const struct join_pending *p, int64_t now,
                                struct kt_err *err)
{
    enum kt_rc rc = purge(base, SQL_JOIN_PENDING_PURGE, now, err);
    struct sql_stmt *st = rc == KT_OK ? get(base, SQL_JOIN_PENDING_ADD, err) : NULL;
    if (st == NULL) {
        return rc != KT_OK ? rc : KT_ESTORE;
    }
    struct sql_key k;
    sql_key_init(&k, (struct sql_conn *)base, p->ck, true);
    rc = sql_bind_sealed(&k, st, 5, "join_pending.data", p->data, err);
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
        return rc;
    }
    sql_bind_text(st, 1, p->id);
    sql_bind_i64(st, 2, p->ck);
    sql_bind_text(st, 3, p->join_point);
    sql_bind_text(st, 4, p->channel);
    sql_bind_text(st, 6, p->otp_id);
    sql_bind_i64(st, 7, p->created_at);
    sql_bind_i64(st, 8, p->expires_at);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

static void pending_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct join_pending *p = out;
    const char *id = (const char *)sql_col_str(st, 0);
    snprintf(p->id, sizeof(p->id), "%s", id != NULL ? id : "");
    p->ck = sql_col_i64(st, 1);
    p->join_point = sql_col_text(st, 2, a);
    p->channel = sql_col_text(st, 3, a);
    p->data = sql_col_text(st, 4, a);
    p->otp_id = sql_col_text(st, 5, a);
    p->created_at = sql_col_i64(st, 6);
    p->expires_at = sql_col_i64(st, 7);
}

enum kt_rc sql_join_pending_get(struct store_conn *base, const char *id, struct arena *a,
                                struct join_pending *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOIN_PENDING_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    memset(out, 0, sizeof(*out));
    sql_bind_text(st, 1, id);
    enum kt_rc rc = sql_one((struct sql_conn *)base, st, pending_row, a, out, found,
                            "join_form_not_found", "join form not found", err);
    if (rc != KT_OK || !sql_found(found)) {
        return rc;
    }
    struct sql_key k;
    sql_key_init(&k, (struct sql_conn *)base, out->ck, false);
    rc = sql_unseal(&k, "join_pending.data", &out->data, a, err);
    sql_key_release(&k);
    return rc;
}

enum kt_rc sql_join_pending_delete(struct store_conn *base, const char *id, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_JOIN_PENDING_DELETE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}
enum kt_rc sql_page_limit_nth(struct store_conn *base, const unsigned char tag[32], int64_t since,
                              int64_t nth, int64_t *at, struct kt_err *err)
{
    *at = 0;
    struct sql_stmt *st = get(base, SQL_PAGE_LIMIT_NTH, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_blob(st, 1, tag, 32, SQL_STATIC);
    sql_bind_i64(st, 2, since);
    sql_bind_i64(st, 3, nth > 0 ? nth - 1 : 0);
    return sql_int_row((struct sql_conn *)base, st, at, 1, "page limit", err);
}

enum kt_rc sql_page_limit_add(struct store_conn *base, const char *kind,
                              const unsigned char tag[32], int64_t at, int64_t until,
                              struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_PAGE_LIMIT_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, kind);
    sql_bind_blob(st, 2, tag, 32, SQL_STATIC);
    sql_bind_i64(st, 3, at);
    sql_bind_i64(st, 4, until);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_page_limit_expire(struct store_conn *base, int64_t before, int limit,
                                 int64_t *removed, struct kt_err *err)
{
    *removed = 0;
    struct sql_stmt *st = get(base, SQL_PAGE_LIMIT_EXPIRE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, before);
    sql_bind_i64(st, 2, limit);
    int changes = 0;
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, &changes, err);
    *removed = changes;
    return rc;
}

/* ---- the retailer's own pages (0031_page_versions.sql) ------------------------------------- */

#define PAGE_COLS "seq, name, version, body, type, created_at, key_id"

static const char *const page_sql[SQL_STATEMENTS] = {
    [SQL_PAGE_PUT] = "INSERT INTO page_versions (name, version, body, type, created_at, key_id) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_PAGE_GET] = "SELECT " PAGE_COLS " FROM page_versions WHERE name = ?1 AND version = ?2",
    [SQL_PAGE_LATEST] = "SELECT " PAGE_COLS " FROM page_versions WHERE name = ?1 "
                        "ORDER BY version DESC LIMIT 1",
    [SQL_PAGE_LIST] = "SELECT " PAGE_COLS " FROM page_versions p WHERE version = "
                      "(SELECT max(version) FROM page_versions WHERE name = p.name) ORDER BY name",
    [SQL_PAGE_SEQ] = "SELECT coalesce(max(seq), 0) FROM page_versions",
};

static struct sql_stmt *page_stmt(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, page_sql[slot], err);
}

/* A row; the body read as bytes whatever its type (a text, or a logo's image), NUL-terminated. */
static void read_page(struct sql_stmt *st, struct arena *a, void *out)
{
    struct page_version *v = out;
    *v = (struct page_version){.seq = sql_col_i64(st, 0),
                               .name = sql_col_text(st, 1, a),
                               .version = sql_col_i64(st, 2),
                               .type = sql_col_text(st, 4, a),
                               .created_at = sql_col_i64(st, 5),
                               .key_id = sql_col_text(st, 6, a)};
    if (sql_col_type(st, 3) != SQL_NULL) {
        const void *b = sql_col_blob(st, 3);
        v->len = (size_t)sql_col_bytes(st, 3);
        char *body = arena_alloc(a, v->len + 1);
        memcpy(body, b != NULL ? b : "", v->len);
        body[v->len] = '\0';
        v->body = body;
    }
}

enum kt_rc sql_page_put(struct store_conn *base, const struct page_version *v, struct kt_err *err)
{
    struct sql_stmt *st = page_stmt(base, SQL_PAGE_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, v->name);
    sql_bind_i64(st, 2, v->version);
    if (v->body == NULL) {
        sql_bind_null(st, 3);
    } else if (v->type != NULL) { /* an image: bytes */
        sql_bind_blob(st, 3, v->body, v->len, SQL_STATIC);
    } else {
        sql_bind_textn(st, 3, v->body, (int)v->len, SQL_STATIC);
    }
    sql_bind_text(st, 4, v->type);
    sql_bind_i64(st, 5, v->created_at);
    sql_bind_text(st, 6, v->key_id);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_page_get(struct store_conn *base, const char *name, int64_t version, struct arena *a,
                        struct page_version *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = page_stmt(base, version > 0 ? SQL_PAGE_GET : SQL_PAGE_LATEST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, name);
    if (version > 0) {
        sql_bind_i64(st, 2, version);
    }
    return sql_one((struct sql_conn *)base, st, read_page, a, out, found, "page_not_found",
                   "page version not found", err);
}

enum kt_rc sql_page_list(struct store_conn *base, struct arena *a, struct page_version **out,
                         size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = page_stmt(base, SQL_PAGE_LIST, err);
    return st == NULL ? KT_ESTORE
                      : sql_rows((struct sql_conn *)base, st, read_page, sizeof(**out), a, out, n,
                                 "page versions", err);
}

enum kt_rc sql_page_seq(struct store_conn *base, int64_t *seq, struct kt_err *err)
{
    struct sql_stmt *st = page_stmt(base, SQL_PAGE_SEQ, err);
    return st == NULL ? KT_ESTORE : sql_int_row((struct sql_conn *)base, st, seq, 1, "pages", err);
}
