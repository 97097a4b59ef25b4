/*
 * keys.c - the SQL side of the database's own settings (meta), API keys and the stored replies
 * of requests that carried an Idempotency-Key (0001_init.sql). Statements are cached per
 * connection in their slots of enum sql_slot (sql_int.h).
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define KEY_COLS "id, name, scope, hash, created_at, revoked_at, expires_at, stores"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [SQL_META_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [SQL_KEY_INSERT] =
        "INSERT INTO api_keys (id, name, scope, hash, created_at, expires_at, stores) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQL_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE id = ?1",
    [SQL_KEY_LIST] = "SELECT " KEY_COLS " FROM api_keys ORDER BY created_at, id",
    [SQL_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    [SQL_KEY_COUNT] = "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL",
    [SQL_KEY_EXPIRED] = "SELECT " KEY_COLS " FROM api_keys WHERE expires_at IS NOT NULL "
                        "AND expiry_audited_at IS NULL AND expires_at <= ?1 "
                        "ORDER BY expires_at, id LIMIT ?2",
    [SQL_KEY_EXPIRY_AUDITED] = "UPDATE api_keys SET expiry_audited_at = ?2 WHERE id = ?1",
    /* The history's rows of one customer by store use history_store (0017_key_roles.sql,
       0022_feedback.sql, 0034_key_roles_console.sql). */
    [SQL_CUSTOMER_IN_STORES] = "SELECT EXISTS (SELECT 1 FROM purchases WHERE ck = ?1 "
                               "               AND store_id IN (SELECT value FROM json_each(?2))) "
                               "    OR EXISTS (SELECT 1 FROM history WHERE ck = ?1 "
                               "               AND store_id IN (SELECT value FROM json_each(?2)) "
                               "               AND request_id IS NOT ?3)",
    [SQL_IDEM_GET] =
        "SELECT request_hash, status, body, created_at, coalesce(ck, 0) FROM idempotency "
        "WHERE key_id = ?1 AND idem_key = ?2",
    [SQL_IDEM_PUT] = "INSERT INTO idempotency (key_id, idem_key, request_hash, status, body, "
                     "created_at, ck) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQL_IDEM_EXPIRE] = "DELETE FROM idempotency WHERE created_at < ?1",
};

/* PostgreSQL's twins of the statements whose SQL differs (sql_text). */
static const char *const pg[SQL_STATEMENTS] = {
    [SQL_CUSTOMER_IN_STORES] =
        "SELECT EXISTS (SELECT 1 FROM purchases WHERE ck = ?1 "
        "               AND store_id IN (SELECT jsonb_array_elements_text(?2::jsonb))) "
        "    OR EXISTS (SELECT 1 FROM history WHERE ck = ?1 "
        "               AND store_id IN (SELECT jsonb_array_elements_text(?2::jsonb)) "
        "               AND request_id IS DISTINCT FROM ?3)",
};

static struct sql_stmt *stmt(struct sql_conn *c, enum sql_slot s, struct kt_err *err)
{
    return sql_stmt(c, s, sql_text(c, sql[s], pg[s]), err);
}

/* ---- meta -------------------------------------------------------------------------------- */

enum kt_rc sql_meta_get(struct store_conn *base, const char *key, struct arena *a, const char **val,
                        bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_META_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, key);
    return sql_one(c, st, sql_row_text, a, val, found, "not_found", "setting not found", err);
}

enum kt_rc sql_meta_put(struct store_conn *base, const char *key, const char *val,
                        struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_META_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, key);
    sql_bind_text(st, 2, val);
    return sql_run(c, st, NULL, err);
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

static void read_key(struct sql_stmt *st, struct arena *a, void *out)
{
    struct api_key *k = out;
    memset(k, 0, sizeof(*k));
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(k->id, id ? (const char *)id : "", sizeof(k->id));
    k->name = sql_col_text(st, 1, a);
    k->scope = scope_parse((const char *)sql_col_str(st, 2));
    if (sql_col_bytes(st, 3) == (int)sizeof(k->hash)) {
        memcpy(k->hash, sql_col_blob(st, 3), sizeof(k->hash));
    }
    k->created_at = sql_col_i64(st, 4);
    k->revoked_at = sql_col_i64(st, 5);
    k->expires_at = sql_col_i64(st, 6);
    k->stores = sql_col_text(st, 7, a);
}

enum kt_rc sql_key_insert(struct store_conn *base, const struct api_key *k, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_KEY_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, k->id);
    sql_bind_text(st, 2, k->name);
    sql_bind_text(st, 3, scope_text(k->scope));
    sql_bind_blob(st, 4, k->hash, sizeof(k->hash), SQL_STATIC);
    sql_bind_i64(st, 5, k->created_at);
    if (k->expires_at != 0) {
        sql_bind_i64(st, 6, k->expires_at);
    }
    sql_bind_text(st, 7, k->stores);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_key_get(struct store_conn *base, const char *id, struct arena *a,
                       struct api_key *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_KEY_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return sql_one(c, st, read_key, a, out, found, "key_not_found", "key not found", err);
}

enum kt_rc sql_key_list(struct store_conn *base, struct arena *a, struct api_key **out, size_t *n,
                        struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_KEY_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sql_rows(c, st, read_key, sizeof(**out), a, out, n, "key list", err);
}

enum kt_rc sql_key_revoke(struct store_conn *base, const char *id, int64_t at, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_KEY_REVOKE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, at);
    int changes = 0;
    enum kt_rc rc = sql_run(c, st, &changes, err);
    if (rc == KT_OK && changes == 0) {
        rc = sql_not_found(NULL, err, "key_not_found", "active key");
    }
    return rc;
}

enum kt_rc sql_key_count_active(struct store_conn *base, int64_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_KEY_COUNT, err);
    return st == NULL ? KT_ESTORE : sql_int_row(c, st, n, 1, "key count", err);
}

enum kt_rc sql_key_expired_unaudited(struct store_conn *base, int64_t now, int limit,
                                     struct arena *a, struct api_key **out, size_t *n,
                                     struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_KEY_EXPIRED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, now);
    sql_bind_i64(st, 2, limit);
    return sql_rows(c, st, read_key, sizeof(**out), a, out, n, "expired keys", err);
}

enum kt_rc sql_key_expiry_audited(struct store_conn *base, const char *id, int64_t at,
                                  struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_KEY_EXPIRY_AUDITED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, at);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_customer_in_stores(struct store_conn *base, int64_t ck, const char *stores,
                                  const char *except_request, bool *in, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_CUSTOMER_IN_STORES, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_text(st, 2, stores);
    sql_bind_text(st, 3, except_request);
    int64_t v = 0;
    enum kt_rc rc = sql_int_row(c, st, &v, 1, "customer in stores", err);
    *in = rc == KT_OK && v != 0;
    return rc;
}

/* ---- idempotency ------------------------------------------------------------------------- */

static void read_idem(struct sql_stmt *st, struct arena *a, void *rec)
{
    struct idem_record *out = rec;
    memset(out, 0, sizeof(*out));
    if (sql_col_bytes(st, 0) == (int)sizeof(out->req_hash)) {
        memcpy(out->req_hash, sql_col_blob(st, 0), sizeof(out->req_hash));
    }
    out->status = (int)sql_col_i64(st, 1);
    out->body = sql_col_text(st, 2, a);
    out->created_at = sql_col_i64(st, 3);
    out->ck = sql_col_i64(st, 4);
}

enum kt_rc sql_idem_get(struct store_conn *base, const char *key_id, const char *idem_key,
                        struct arena *a, struct idem_record *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IDEM_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, key_id);
    sql_bind_text(st, 2, idem_key);
    enum kt_rc rc =
        sql_one(c, st, read_idem, a, out, found, "not_found", "idempotency record not found", err);
    if (rc == KT_OK && sql_found(found)) {
        out->key_id = key_id;
        out->idem_key = idem_key;
        struct sql_key k; /* the reply shows the customer's profile: sealed under its key */
        sql_key_init(&k, c, out->ck, false);
        rc = sql_unseal(&k, "idempotency.body", &out->body, a, err);
        sql_key_release(&k);
    }
    return rc;
}

enum kt_rc sql_idem_put(struct store_conn *base, const struct idem_record *r, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IDEM_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, r->key_id);
    sql_bind_text(st, 2, r->idem_key);
    sql_bind_blob(st, 3, r->req_hash, sizeof(r->req_hash), SQL_STATIC);
    sql_bind_i64(st, 4, r->status);
    struct sql_key k;
    sql_key_init(&k, c, r->ck, true);
    enum kt_rc rc = sql_bind_sealed(&k, st, 5, "idempotency.body", r->body, err);
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
        return rc;
    }
    sql_bind_i64(st, 6, r->created_at);
    sql_bind_i64_or_null(st, 7, r->ck);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_idem_expire(struct store_conn *base, int64_t before, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IDEM_EXPIRE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, before);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_ping(struct store_conn *base, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = sql_stmt(c, SQL_PING, "SELECT 1", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    int64_t one = 0;
    return sql_int_row(c, st, &one, 1, "ping", err);
}
