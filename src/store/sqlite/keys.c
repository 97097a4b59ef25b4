/*
 * keys.c - the SQLite side of the database's own settings (meta), API keys and the stored replies
 * of requests that carried an Idempotency-Key (0001_init.sql). Statements are cached per
 * connection in their slots of enum sq_slot (sqlite_int.h).
 */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

#define KEY_COLS "id, name, scope, hash, created_at, revoked_at, expires_at, stores"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [SQ_META_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [SQ_KEY_INSERT] =
        "INSERT INTO api_keys (id, name, scope, hash, created_at, expires_at, stores) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQ_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE id = ?1",
    [SQ_KEY_LIST] = "SELECT " KEY_COLS " FROM api_keys ORDER BY created_at, id",
    [SQ_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    [SQ_KEY_COUNT] = "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL",
    [SQ_KEY_EXPIRED] = "SELECT " KEY_COLS " FROM api_keys WHERE expires_at IS NOT NULL "
                       "AND expiry_audited_at IS NULL AND expires_at <= ?1 "
                       "ORDER BY expires_at, id LIMIT ?2",
    [SQ_KEY_EXPIRY_AUDITED] = "UPDATE api_keys SET expiry_audited_at = ?2 WHERE id = ?1",
    /* The history's rows of one customer by store use history_store (0017_key_roles.sql,
       0022_feedback.sql, 0034_key_roles_console.sql). */
    [SQ_CUSTOMER_IN_STORES] = "SELECT EXISTS (SELECT 1 FROM purchases WHERE ck = ?1 "
                              "               AND store_id IN (SELECT value FROM json_each(?2))) "
                              "    OR EXISTS (SELECT 1 FROM history WHERE ck = ?1 "
                              "               AND store_id IN (SELECT value FROM json_each(?2)) "
                              "               AND request_id IS NOT ?3)",
    [SQ_IDEM_GET] =
        "SELECT request_hash, status, body, created_at, coalesce(ck, 0) FROM idempotency "
        "WHERE key_id = ?1 AND idem_key = ?2",
    [SQ_IDEM_PUT] = "INSERT INTO idempotency (key_id, idem_key, request_hash, status, body, "
                    "created_at, ck) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQ_IDEM_EXPIRE] = "DELETE FROM idempotency WHERE created_at < ?1",
};

static sqlite3_stmt *stmt(struct sq_conn *c, enum sq_slot s, struct kt_err *err)
{
    return sq_stmt(c, s, sql[s], err);
}

/* ---- meta -------------------------------------------------------------------------------- */

enum kt_rc sq_meta_get(struct store_conn *base, const char *key, struct arena *a, const char **val,
                       bool *found, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_META_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, key);
    return sq_one(c, st, sq_row_text, a, val, found, "not_found", "setting not found", err);
}

enum kt_rc sq_meta_put(struct store_conn *base, const char *key, const char *val,
                       struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_META_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, key);
    sq_bind_text(st, 2, val);
    return sq_run(c, st, NULL, err);
}

/* ---- API keys ---------------------------------------------------------------------------- */

/* The scopes as the table's CHECK names them (0017_key_roles.sql, 0022_feedback.sql,
 * 0034_key_roles_console.sql). */
static const struct {
    enum key_scope scope;
    const char *text;
} scopes[] = {
    {SCOPE_ADMIN, "admin"},       {SCOPE_POS, "pos"},         {SCOPE_COLLECT, "collect"},
    {SCOPE_DPO, "dpo"},           {SCOPE_AUDITOR, "auditor"}, {SCOPE_DELIVERIES, "deliveries"},
    {SCOPE_MARKETER, "marketer"}, {SCOPE_ANALYST, "analyst"}, {SCOPE_MANAGER, "store_manager"}};

static const char *scope_text(enum key_scope s)
{
    for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
        if (scopes[i].scope == s) {
            return scopes[i].text;
        }
    }
    return "collect";
}

/* An unknown text reads as the scope that may read nothing. */
static enum key_scope scope_parse(const char *s)
{
    for (size_t i = 0; s != NULL && i < sizeof(scopes) / sizeof(scopes[0]); i++) {
        if (strcmp(scopes[i].text, s) == 0) {
            return scopes[i].scope;
        }
    }
    return SCOPE_COLLECT;
}

static void read_key(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct api_key *k = out;
    memset(k, 0, sizeof(*k));
    const unsigned char *id = sqlite3_column_text(st, 0);
    kt_strlcpy(k->id, id ? (const char *)id : "", sizeof(k->id));
    k->name = sq_col_text(st, 1, a);
    k->scope = scope_parse((const char *)sqlite3_column_text(st, 2));
    if (sqlite3_column_bytes(st, 3) == (int)sizeof(k->hash)) {
        memcpy(k->hash, sqlite3_column_blob(st, 3), sizeof(k->hash));
    }
    k->created_at = sqlite3_column_int64(st, 4);
    k->revoked_at = sqlite3_column_int64(st, 5);
    k->expires_at = sqlite3_column_int64(st, 6);
    k->stores = sq_col_text(st, 7, a);
}

enum kt_rc sq_key_insert(struct store_conn *base, const struct api_key *k, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, k->id);
    sq_bind_text(st, 2, k->name);
    sq_bind_text(st, 3, scope_text(k->scope));
    sqlite3_bind_blob(st, 4, k->hash, sizeof(k->hash), SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, k->created_at);
    if (k->expires_at != 0) {
        sqlite3_bind_int64(st, 6, k->expires_at);
    }
    sq_bind_text(st, 7, k->stores);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_key_get(struct store_conn *base, const char *id, struct arena *a, struct api_key *out,
                      bool *found, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, id);
    return sq_one(c, st, read_key, a, out, found, "key_not_found", "key not found", err);
}

enum kt_rc sq_key_list(struct store_conn *base, struct arena *a, struct api_key **out, size_t *n,
                       struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sq_rows(c, st, read_key, sizeof(**out), a, out, n, "key list", err);
}

enum kt_rc sq_key_revoke(struct store_conn *base, const char *id, int64_t at, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_REVOKE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    int changes = 0;
    enum kt_rc rc = sq_run(c, st, &changes, err);
    if (rc == KT_OK && changes == 0) {
        rc = sq_not_found(NULL, err, "key_not_found", "active key");
    }
    return rc;
}

enum kt_rc sq_key_count_active(struct store_conn *base, int64_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_COUNT, err);
    return st == NULL ? KT_ESTORE : sq_int_row(c, st, n, 1, "key count", err);
}

enum kt_rc sq_key_expired_unaudited(struct store_conn *base, int64_t now, int limit,
                                    struct arena *a, struct api_key **out, size_t *n,
                                    struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_EXPIRED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    return sq_rows(c, st, read_key, sizeof(**out), a, out, n, "expired keys", err);
}

enum kt_rc sq_key_expiry_audited(struct store_conn *base, const char *id, int64_t at,
                                 struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_KEY_EXPIRY_AUDITED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_customer_in_stores(struct store_conn *base, int64_t ck, const char *stores,
                                 const char *except_request, bool *in, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUSTOMER_IN_STORES, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    sq_bind_text(st, 2, stores);
    sq_bind_text(st, 3, except_request);
    int64_t v = 0;
    enum kt_rc rc = sq_int_row(c, st, &v, 1, "customer in stores", err);
    *in = rc == KT_OK && v != 0;
    return rc;
}

/* ---- idempotency ------------------------------------------------------------------------- */

static void read_idem(sqlite3_stmt *st, struct arena *a, void *rec)
{
    struct idem_record *out = rec;
    memset(out, 0, sizeof(*out));
    if (sqlite3_column_bytes(st, 0) == (int)sizeof(out->req_hash)) {
        memcpy(out->req_hash, sqlite3_column_blob(st, 0), sizeof(out->req_hash));
    }
    out->status = sqlite3_column_int(st, 1);
    out->body = sq_col_text(st, 2, a);
    out->created_at = sqlite3_column_int64(st, 3);
    out->ck = sqlite3_column_int64(st, 4);
}

enum kt_rc sq_idem_get(struct store_conn *base, const char *key_id, const char *idem_key,
                       struct arena *a, struct idem_record *out, bool *found, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDEM_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, key_id);
    sq_bind_text(st, 2, idem_key);
    enum kt_rc rc =
        sq_one(c, st, read_idem, a, out, found, "not_found", "idempotency record not found", err);
    if (rc == KT_OK && sq_found(found)) {
        out->key_id = key_id;
        out->idem_key = idem_key;
        struct sq_key k; /* the reply shows the customer's profile: sealed under its key */
        sq_key_init(&k, c, out->ck, false);
        rc = sq_unseal(&k, "idempotency.body", &out->body, a, err);
        sq_key_release(&k);
    }
    return rc;
}

enum kt_rc sq_idem_put(struct store_conn *base, const struct idem_record *r, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDEM_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, r->key_id);
    sq_bind_text(st, 2, r->idem_key);
    sqlite3_bind_blob(st, 3, r->req_hash, sizeof(r->req_hash), SQLITE_STATIC);
    sqlite3_bind_int(st, 4, r->status);
    struct sq_key k;
    sq_key_init(&k, c, r->ck, true);
    enum kt_rc rc = sq_bind_sealed(&k, st, 5, "idempotency.body", r->body, err);
    sq_key_release(&k);
    if (rc != KT_OK) {
        sq_done(st);
        return rc;
    }
    sqlite3_bind_int64(st, 6, r->created_at);
    sq_bind_i64_or_null(st, 7, r->ck);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_idem_expire(struct store_conn *base, int64_t before, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDEM_EXPIRE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, before);
    return sq_run(c, st, NULL, err);
}
