/*
 * acts.c - the SQL side of the acts of destruction (privacy/act.c): written by an erasure,
 * completed once when they were drafts, signed once, and purged after their term. Tables in
 * 0003_privacy.sql and 0016_acts.sql, whose triggers keep an act append-only: the purge's delete
 * passes only with its record in destruction_act_purges, written first in the same transaction.
 *
 * Statements are cached per connection in their slots of enum sql_slot (sql_int.h). Every value
 * is bound; no SQL text is ever built from input.
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define ACT_COLS                                                                                   \
    "id, customer_id, at, reason, categories, system, key_id, operator_id, request_id, "           \
    "log_extract, expires_at, method, information_system, data_operator, data_processor, "         \
    "destroyed_by, completed_at, document, document_sha256, signed_at"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_ACT_INSERT] = "INSERT INTO destruction_acts (" ACT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
                       "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    [SQL_ACT_GET] = "SELECT " ACT_COLS " FROM destruction_acts WHERE id = ?1",
    [SQL_ACT_LIST] = "SELECT " ACT_COLS " FROM destruction_acts WHERE id > ?1 ORDER BY id LIMIT ?2",
    [SQL_ACT_DRAFTS] = "SELECT " ACT_COLS " FROM destruction_acts WHERE document IS NULL "
                       "AND id > ?1 ORDER BY id LIMIT ?2",
    [SQL_ACT_COMPLETE] = "UPDATE destruction_acts SET information_system = ?2, data_operator = ?3, "
                         "data_processor = ?4, destroyed_by = ?5, completed_at = ?6, "
                         "document = ?7, document_sha256 = ?8 WHERE id = ?1 AND document IS NULL",
    [SQL_ACT_EXPIRED] = "SELECT " ACT_COLS " FROM destruction_acts WHERE expires_at <= ?1 "
                        "ORDER BY expires_at, id LIMIT ?2",
    [SQL_ACT_PURGE_RECORD] =
        "INSERT INTO destruction_act_purges (act_id, customer_id, at, expires_at, purged_at, "
        "document_sha256) SELECT id, customer_id, at, expires_at, ?2, document_sha256 "
        "FROM destruction_acts WHERE id = ?1",
    [SQL_ACT_DELETE] = "DELETE FROM destruction_acts WHERE id = ?1",
    [SQL_ACT_SIGN] = "UPDATE destruction_acts SET signature = ?2, signed_at = ?3 "
                     "WHERE id = ?1 AND document IS NOT NULL AND signature IS NULL",
    [SQL_ACT_SIGNATURE] = "SELECT signature FROM destruction_acts WHERE id = ?1 "
                          "AND signature IS NOT NULL",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

static enum kt_rc run(struct store_conn *base, struct sql_stmt *st, int *changes,
                      struct kt_err *err)
{
    return sql_run((struct sql_conn *)base, st, changes, err);
}

#define TEXT(i) sql_col_text(st, (i), a)
#define I64(i)  sql_col_i64(st, (i))

static void read_act(struct sql_stmt *st, struct arena *a, void *out)
{
    struct destruction_act *x = out;
    memset(x, 0, sizeof(*x));
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(x->id, id ? (const char *)id : "", sizeof(x->id));
    x->customer_id = TEXT(1);
    x->at = I64(2);
    x->reason = TEXT(3);
    x->categories = TEXT(4);
    x->system = TEXT(5);
    x->key_id = TEXT(6);
    x->operator_id = TEXT(7);
    x->request_id = TEXT(8);
    x->log_extract = TEXT(9);
    x->expires_at = I64(10);
    x->method = TEXT(11);
    x->information_system = TEXT(12);
    x->data_operator = TEXT(13);
    x->data_processor = TEXT(14);
    x->destroyed_by = TEXT(15);
    x->completed_at = I64(16);
    x->document = TEXT(17);
    x->document_sha256 = TEXT(18);
    x->signed_at = I64(19);
}

/* The members an erasure writes and a completion fills, from ?`from` on: information_system,
 * data_operator, data_processor, destroyed_by, completed_at, document, document_sha256. */
static void bind_completion(struct sql_stmt *st, int from, const struct destruction_act *x)
{
    sql_bind_text(st, from, x->information_system);
    sql_bind_text(st, from + 1, x->data_operator);
    sql_bind_text(st, from + 2, x->data_processor);
    sql_bind_text(st, from + 3, x->destroyed_by);
    sql_bind_i64_or_null(st, from + 4, x->completed_at);
    sql_bind_text(st, from + 5, x->document);
    sql_bind_text(st, from + 6, x->document_sha256);
}

enum kt_rc sql_act_insert(struct store_conn *base, const struct destruction_act *x,
                          struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_ACT_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, x->id);
    sql_bind_text(st, 2, x->customer_id);
    sql_bind_i64(st, 3, x->at);
    sql_bind_text(st, 4, x->reason);
    sql_bind_text(st, 5, x->categories);
    sql_bind_text(st, 6, x->system);
    sql_bind_text(st, 7, x->key_id);
    sql_bind_text(st, 8, x->operator_id);
    sql_bind_text(st, 9, x->request_id);
    sql_bind_text(st, 10, x->log_extract);
    sql_bind_i64(st, 11, x->expires_at);
    sql_bind_text(st, 12, x->method);
    /* 13-19 as a completion binds them from 2; the order of ACT_COLS is the same */
    bind_completion(st, 13, x);
    sql_bind_i64_or_null(st, 20, x->signed_at);
    return run(base, st, NULL, err);
}

enum kt_rc sql_act_get(struct store_conn *base, const char *id, struct arena *a,
                       struct destruction_act *out, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_ACT_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return sql_one((struct sql_conn *)base, st, read_act, a, out, NULL, "act_not_found",
                   "act not found", err);
}

static enum kt_rc list(struct store_conn *base, enum sql_slot slot, const char *after_id,
                       int64_t now, int limit, struct arena *a, struct destruction_act **out,
                       size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    if (slot == SQL_ACT_EXPIRED) {
        sql_bind_i64(st, 1, now);
    } else {
        sql_bind_text(st, 1, after_id ? after_id : "");
    }
    sql_bind_i64(st, 2, limit);
    return sql_rows((struct sql_conn *)base, st, read_act, sizeof(**out), a, out, n, "acts", err);
}

enum kt_rc sql_act_list(struct store_conn *base, const char *after_id, int limit, struct arena *a,
                        struct destruction_act **out, size_t *n, struct kt_err *err)
{
    return list(base, SQL_ACT_LIST, after_id, 0, limit, a, out, n, err);
}

enum kt_rc sql_act_drafts(struct store_conn *base, const char *after_id, int limit, struct arena *a,
                          struct destruction_act **out, size_t *n, struct kt_err *err)
{
    return list(base, SQL_ACT_DRAFTS, after_id, 0, limit, a, out, n, err);
}

enum kt_rc sql_act_expired(struct store_conn *base, int64_t now, int limit, struct arena *a,
                           struct destruction_act **out, size_t *n, struct kt_err *err)
{
    return list(base, SQL_ACT_EXPIRED, NULL, now, limit, a, out, n, err);
}

enum kt_rc sql_act_complete(struct store_conn *base, const struct destruction_act *x,
                            struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_ACT_COMPLETE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, x->id);
    bind_completion(st, 2, x);
    int changes = 0;
    enum kt_rc rc = run(base, st, &changes, err);
    return rc == KT_OK && changes == 0 ? sql_not_found(NULL, err, "act_not_found", "draft act")
                                       : rc;
}

enum kt_rc sql_act_purge(struct store_conn *base, const char *id, int64_t at, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_ACT_PURGE_RECORD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, at);
    int changes = 0;
    enum kt_rc rc = run(base, st, &changes, err);
    if (rc == KT_OK && changes == 0) {
        return sql_not_found(NULL, err, "act_not_found", "act");
    }
    st = rc == KT_OK ? get(base, SQL_ACT_DELETE, err) : NULL;
    if (st == NULL) {
        return rc == KT_OK ? KT_ESTORE : rc;
    }
    sql_bind_text(st, 1, id);
    return run(base, st, NULL, err);
}

enum kt_rc sql_act_sign(struct store_conn *base, const char *id, const void *sig, size_t len,
                        int64_t at, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_ACT_SIGN, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_blob(st, 2, sig, len, SQL_TRANSIENT);
    sql_bind_i64(st, 3, at);
    int changes = 0;
    enum kt_rc rc = run(base, st, &changes, err);
    if (rc == KT_OK && changes == 0) {
        return sql_not_found(found, err, "act_not_found", "unsigned complete act");
    }
    if (found) {
        *found = rc == KT_OK;
    }
    return rc;
}

struct blob {
    const void *p;
    size_t len;
};

static void read_blob(struct sql_stmt *st, struct arena *a, void *out)
{
    struct blob *b = out;
    b->len = (size_t)sql_col_bytes(st, 0);
    void *p = arena_alloc(a, b->len + 1);
    if (b->len > 0) {
        memcpy(p, sql_col_blob(st, 0), b->len);
    }
    b->p = p;
}

enum kt_rc sql_act_signature(struct store_conn *base, const char *id, struct arena *a,
                             const void **sig, size_t *len, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_ACT_SIGNATURE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    struct blob b = {NULL, 0};
    enum kt_rc rc = sql_one((struct sql_conn *)base, st, read_blob, a, &b, found,
                            "signature_not_found", "the act has no signature", err);
    *sig = b.p;
    *len = b.len;
    return rc;
}
