/*
 * customers.c - the SQL side of customers, their identifiers, the history of their fields and
 * declared attributes (0001_init.sql; merge candidates are in merges.c). Statements are cached
 * per connection in their slots of enum sql_slot (sql_int.h).
 *
 * Sealed at rest (0013_sealed.sql, seal.c): the names, phone, e-mail and address always, city,
 * birth date and gender as the store's policy says (sql_pf_sealed); the name key as a blind
 * index; free-text attributes in attrs_sealed; identifiers' values (found by their blind index,
 * so a lookup opens nothing); history's old and new values. All under the customer's data key:
 * a merge that moves identifiers or history to the survivor reseals them under its key.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sql_int.h"

#define CUST_COLS                                                                                  \
    "ck, id, created_at, updated_at, merged_into, last_name, last_name_at, first_name, "           \
    "first_name_at, middle_name, middle_name_at, gender, gender_at, birth_date, birth_date_at, "   \
    "email, email_at, phone, phone_at, city, city_at, address, address_at, verified, attrs, "      \
    "attrs_at, quality, gender_inferred, name_key, erased_at, attrs_sealed"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_CUST_GET] = "SELECT " CUST_COLS " FROM customers WHERE ck = ?1",
    [SQL_CUST_GET_BY_ID] = "SELECT " CUST_COLS " FROM customers WHERE id = ?1",
    [SQL_CUST_SURVIVOR] = "SELECT coalesce(merged_into, ck) FROM customers WHERE ck = ?1",
    [SQL_CUST_INSERT] =
        "INSERT INTO customers (id, created_at, updated_at, last_name, last_name_at, first_name, "
        "first_name_at, middle_name, middle_name_at, gender, gender_at, birth_date, "
        "birth_date_at, email, email_at, phone, phone_at, city, city_at, address, address_at, "
        "verified, attrs, attrs_at, quality, gender_inferred, name_key, attrs_sealed, ck) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
        "?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
    /* the key of a new customer is taken before its row is written: its data key must exist
     * first (keystore.c); one writer, so nobody takes it meanwhile */
    [SQL_CUST_NEXT_CK] = "SELECT coalesce(max(ck), 0) + 1 FROM customers",
    [SQL_CUST_UPDATE] =
        "UPDATE customers SET id = ?1, created_at = ?2, updated_at = ?3, last_name = ?4, "
        "last_name_at = ?5, first_name = ?6, first_name_at = ?7, middle_name = ?8, "
        "middle_name_at = ?9, gender = ?10, gender_at = ?11, birth_date = ?12, "
        "birth_date_at = ?13, email = ?14, email_at = ?15, phone = ?16, phone_at = ?17, "
        "city = ?18, city_at = ?19, address = ?20, address_at = ?21, verified = ?22, "
        "attrs = ?23, attrs_at = ?24, quality = ?25, gender_inferred = ?26, name_key = ?27, "
        "attrs_sealed = ?28 WHERE ck = ?29",
    [SQL_CUST_LIST_START] = "SELECT " CUST_COLS " FROM customers WHERE merged_into IS NULL "
                            "ORDER BY id LIMIT ?1",
    [SQL_CUST_LIST_AFTER] = "SELECT " CUST_COLS " FROM customers WHERE merged_into IS NULL "
                            "AND id > ?1 ORDER BY id LIMIT ?2",
    [SQL_CUST_SET_MERGED] = "UPDATE customers SET merged_into = ?2, merged_at = ?3 "
                            "WHERE ck = ?1 OR merged_into = ?1",
    [SQL_CUST_MERGED_FROM] =
        "SELECT id FROM customers WHERE merged_into = ?1 ORDER BY merged_at, id",
    [SQL_IDENT_FIND] = "SELECT ck, verified, created_at, channel FROM identifiers "
                       "WHERE kind = ?1 AND bidx = ?2",
    [SQL_IDENT_INSERT] = "INSERT INTO identifiers (kind, bidx, value, ck, verified, created_at, "
                         "channel) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQL_IDENT_VERIFY] = "UPDATE identifiers SET verified = 1 WHERE kind = ?1 AND bidx = ?2",
    /* ordered by value too once opened (ident_order) */
    [SQL_IDENT_LIST] = "SELECT kind, value, verified, created_at, channel FROM identifiers "
                       "WHERE ck = ?1",
    [SQL_IDENT_OF] = "SELECT kind, bidx, value FROM identifiers WHERE ck = ?1",
    [SQL_IDENT_OF_MERGE] = "SELECT i.kind, i.bidx, i.value FROM identifiers i JOIN merge_rows m "
                           "ON m.s = i.kind AND m.b = i.bidx WHERE i.ck = ?1 AND m.merge_id = ?2 "
                           "AND m.tbl = 'identifiers'",
    [SQL_IDENT_RESEAL] = "UPDATE identifiers SET ck = ?3, value = ?4 WHERE kind = ?1 AND bidx = ?2",
    [SQL_HIST_ADD] = "INSERT INTO history (ck, at, field, action, old_value, new_value, channel, "
                     "store_id, operator_id, request_id, reason) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [SQL_HIST_LIST] = "SELECT seq, at, field, action, old_value, new_value, channel, store_id, "
                      "operator_id, request_id, reason FROM history WHERE ck = ?1 AND seq > ?2 "
                      "ORDER BY seq LIMIT ?3",
    [SQL_HIST_OF] = "SELECT seq, old_value, new_value FROM history WHERE ck = ?1",
    [SQL_HIST_OF_MERGE] = "SELECT seq, old_value, new_value FROM history WHERE ck = ?1 AND seq IN "
                          "(SELECT n FROM merge_rows WHERE merge_id = ?2 AND tbl = 'history')",
    [SQL_HIST_RESEAL] = "UPDATE history SET ck = ?2, old_value = ?3, new_value = ?4 WHERE seq = ?1",
    [SQL_HIST_LAST_REFUSED] = "SELECT new_value FROM history WHERE ck = ?1 AND field = ?2 "
                              "AND action = 'refused' ORDER BY seq DESC LIMIT 1",
    [SQL_ATTR_PUT] =
        "INSERT INTO attributes (name, type, items, enum_values, title, description, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (name) DO UPDATE SET "
        "type = excluded.type, items = excluded.items, enum_values = excluded.enum_values, "
        "title = excluded.title, description = excluded.description, "
        "updated_at = excluded.updated_at",
    [SQL_ATTR_GET] = "SELECT name, type, items, enum_values, title, description, created_at, "
                     "updated_at FROM attributes WHERE name = ?1",
    [SQL_ATTR_LIST] = "SELECT name, type, items, enum_values, title, description, created_at, "
                      "updated_at FROM attributes ORDER BY name",
    [SQL_ATTR_IN_USE] = "SELECT 1 FROM customers WHERE merged_into IS NULL "
                        "AND json_type(attrs, ?1) IS NOT NULL LIMIT 1",
};

static struct sql_stmt *stmt(struct sql_conn *c, enum sql_slot s, struct kt_err *err)
{
    return sql_stmt(c, s, sql[s], err);
}

/* ---- customers --------------------------------------------------------------------------- */

/* The column names that seal each profile field ("customers.phone"). */
static const char *const pf_cols[PF_COUNT] = {
    "customers.last_name", "customers.first_name", "customers.middle_name",
    "customers.gender",    "customers.birth_date", "customers.email",
    "customers.phone",     "customers.city",       "customers.address"};

#define ALWAYS_SEALED                                                                              \
    ((1u << PF_LAST_NAME) | (1u << PF_FIRST_NAME) | (1u << PF_MIDDLE_NAME) | (1u << PF_EMAIL) |    \
     (1u << PF_PHONE) | (1u << PF_ADDRESS))

bool sql_pf_sealed(const struct sql_store *s, int pf)
{
    return (((ALWAYS_SEALED | s->sealed) >> pf) & 1u) != 0;
}

/* A customer's row as read, before its sealed values are opened. */
struct cust_row {
    struct customer cu;
    const char *attrs_sealed; /* kept sealed by sql_col_text, or NULL */
};

static void read_customer(struct sql_stmt *st, struct arena *a, void *out)
{
    struct cust_row *row = out;
    struct customer *cu = &row->cu;
    memset(row, 0, sizeof(*row));
    cu->ck = sql_col_i64(st, 0);
    const char *id = sql_col_str(st, 1);
    kt_strlcpy(cu->id, id ? (const char *)id : "", sizeof(cu->id));
    cu->created_at = sql_col_i64(st, 2);
    cu->updated_at = sql_col_i64(st, 3);
    cu->merged_into = sql_col_i64(st, 4);
    for (int i = 0; i < PF_COUNT; i++) {
        cu->val[i] = sql_col_text(st, 5 + 2 * i, a);
        cu->at[i] = sql_col_i64(st, 6 + 2 * i);
    }
    cu->verified = (uint32_t)sql_col_i64(st, 5 + 2 * PF_COUNT);
    cu->attrs = sql_col_text(st, 6 + 2 * PF_COUNT, a);
    cu->attrs_at = sql_col_text(st, 7 + 2 * PF_COUNT, a);
    cu->quality = (uint32_t)sql_col_i64(st, 8 + 2 * PF_COUNT);
    cu->gender_inferred = (int)sql_col_i64(st, 9 + 2 * PF_COUNT) != 0;
    int nk = 10 + 2 * PF_COUNT;
    if (sql_col_type(st, nk) == SQL_BLOB) { /* a blind index: "#" and its hex */
        size_t n = (size_t)sql_col_bytes(st, nk);
        char *hex = arena_alloc(a, 2 * n + 2);
        hex[0] = '#';
        sodium_bin2hex(hex + 1, 2 * n + 1, sql_col_blob(st, nk), n);
        cu->name_key = hex;
    } else {
        cu->name_key = sql_col_text(st, nk, a);
    }
    cu->erased_at = sql_col_i64(st, 11 + 2 * PF_COUNT);
    row->attrs_sealed = sql_col_text(st, 12 + 2 * PF_COUNT, a);
}

/* Opens what the row holds sealed. */
static enum kt_rc open_customer(struct sql_conn *c, struct cust_row *row, struct arena *a,
                                struct kt_err *err)
{
    struct customer *cu = &row->cu;
    struct sql_key k;
    sql_key_init(&k, c, cu->ck, false);
    enum kt_rc rc = KT_OK;
    for (int i = 0; rc == KT_OK && i < PF_COUNT; i++) {
        rc = sql_unseal(&k, pf_cols[i], &cu->val[i], a, err);
    }
    if (rc == KT_OK && row->attrs_sealed != NULL) {
        rc = sql_unseal(&k, "customers.attrs_sealed", &row->attrs_sealed, a, err);
        cu->attrs = rc == KT_OK ? sql_attrs_join(cu->attrs, row->attrs_sealed, a) : cu->attrs;
    }
    sql_key_release(&k);
    return rc;
}

/* The name key as stored: its blind index. A key read back ("#" and the index in hex) is
 * written as it was. */
static void bind_name_key(struct sql_conn *c, struct sql_stmt *st, int i, const char *key)
{
    unsigned char h[CRYPT_BIDX_BYTES];
    size_t n = 0;
    if (key == NULL) {
        sql_bind_null(st, i);
    } else if (key[0] == '#' &&
               sodium_hex2bin(h, sizeof(h), key + 1, strlen(key + 1), NULL, &n, NULL) == 0 &&
               n == sizeof(h)) {
        sql_bind_blob(st, i, h, sizeof(h), SQL_TRANSIENT);
    } else {
        sql_bind_bidx(c, st, i, "name_key", key);
    }
}

static enum kt_rc bind_customer(struct sql_conn *c, struct sql_stmt *st, const struct customer *cu,
                                struct arena *a, struct kt_err *err)
{
    struct sql_store *s = (struct sql_store *)c->base.store;
    const char *clear = NULL, *text = NULL;
    enum kt_rc rc = sql_attrs_split(c, cu->attrs, a, &clear, &text, err);
    struct sql_key k;
    sql_key_init(&k, c, cu->ck, true);
    sql_bind_text(st, 1, cu->id);
    sql_bind_i64(st, 2, cu->created_at);
    sql_bind_i64(st, 3, cu->updated_at);
    for (int i = 0; rc == KT_OK && i < PF_COUNT; i++) {
        rc = sql_bind_policy(&k, sql_pf_sealed(s, i), st, 4 + 2 * i, pf_cols[i], cu->val[i], err);
        sql_bind_i64_or_null(st, 5 + 2 * i, cu->val[i] ? cu->at[i] : 0);
    }
    sql_bind_i64(st, 4 + 2 * PF_COUNT, cu->verified);
    sql_bind_textn(st, 5 + 2 * PF_COUNT, clear, -1, SQL_TRANSIENT);
    sql_bind_text(st, 6 + 2 * PF_COUNT, cu->attrs_at ? cu->attrs_at : "{}");
    sql_bind_i64(st, 7 + 2 * PF_COUNT, cu->quality);
    sql_bind_i64(st, 8 + 2 * PF_COUNT, cu->gender_inferred ? 1 : 0);
    bind_name_key(c, st, 9 + 2 * PF_COUNT, cu->name_key);
    if (rc == KT_OK) {
        rc = sql_bind_sealed(&k, st, 10 + 2 * PF_COUNT, "customers.attrs_sealed", text, err);
    }
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
    }
    return rc;
}

static enum kt_rc get_one_customer(struct sql_conn *c, struct sql_stmt *st, struct arena *a,
                                   struct customer *out, bool *found, struct kt_err *err)
{
    struct cust_row row;
    enum kt_rc rc = sql_one(c, st, read_customer, a, &row, found, "customer_not_found",
                            "customer not found", err);
    if (rc == KT_OK && sql_found(found)) {
        rc = open_customer(c, &row, a, err);
        *out = row.cu;
    }
    return rc;
}

enum kt_rc sql_customer_get(struct store_conn *base, int64_t ck, struct arena *a,
                            struct customer *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_CUST_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    return get_one_customer(c, st, a, out, found, err);
}

enum kt_rc sql_customer_survivor(struct store_conn *base, int64_t ck, int64_t *out,
                                 struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_CUST_SURVIVOR, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    bool found = false; /* a merge keeps the chain one hop long (SQL_CUST_SET_MERGED) */
    enum kt_rc rc = sql_one(c, st, sql_row_i64, NULL, out, &found, "customer_not_found",
                            "customer not found", err);
    *out = rc == KT_OK && found ? *out : 0;
    return rc;
}

enum kt_rc sql_customer_get_by_id(struct store_conn *base, const char *id, struct arena *a,
                                  struct customer *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_CUST_GET_BY_ID, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    enum kt_rc rc = get_one_customer(c, st, a, out, found, err);
    /* Merges keep the chain one hop long, but follow a few in case an old chain survives. */
    for (int hops = 0; rc == KT_OK && sql_found(found) && out->merged_into != 0 && hops < 8;
         hops++) {
        rc = sql_customer_get(base, out->merged_into, a, out, found, err);
    }
    return rc;
}

enum kt_rc sql_customer_insert(struct store_conn *base, struct customer *cu, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *next = stmt(c, SQL_CUST_NEXT_CK, err);
    struct sql_stmt *st = next ? stmt(c, SQL_CUST_INSERT, err) : NULL;
    int64_t ck = 0;
    enum kt_rc rc = st == NULL ? KT_ESTORE : sql_int_row(c, next, &ck, 1, "next customer", err);
    if (rc != KT_OK) {
        return rc;
    }
    struct arena a;
    arena_init(&a, 0);
    struct customer with = *cu;
    with.ck = ck;
    rc = bind_customer(c, st, &with, &a, err);
    if (rc == KT_OK) {
        sql_bind_i64(st, 11 + 2 * PF_COUNT, ck);
        rc = sql_run(c, st, NULL, err);
    }
    arena_release(&a);
    if (rc == KT_OK) {
        cu->ck = ck;
    }
    return rc;
}

enum kt_rc sql_customer_update(struct store_conn *base, const struct customer *cu,
                               struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_CUST_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct arena a;
    arena_init(&a, 0);
    enum kt_rc rc = bind_customer(c, st, cu, &a, err);
    int changes = 0;
    if (rc == KT_OK) {
        sql_bind_i64(st, 11 + 2 * PF_COUNT, cu->ck);
        rc = sql_run(c, st, &changes, err);
    }
    arena_release(&a);
    if (rc == KT_OK && changes == 0) {
        rc = sql_not_found(NULL, err, "customer_not_found", "customer");
    }
    return rc;
}

enum kt_rc sql_customer_list(struct store_conn *base, const char *after_id, int limit,
                             struct arena *a, struct customer **out, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, after_id ? SQL_CUST_LIST_AFTER : SQL_CUST_LIST_START, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    if (after_id != NULL) {
        sql_bind_text(st, 1, after_id);
        sql_bind_i64(st, 2, limit);
    } else {
        sql_bind_i64(st, 1, limit);
    }
    struct cust_row *rows = NULL;
    enum kt_rc rc =
        sql_rows(c, st, read_customer, sizeof(*rows), a, &rows, n, "customer list", err);
    *out = rc == KT_OK && *n > 0 ? arena_alloc(a, sizeof(**out) * *n) : NULL;
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        rc = open_customer(c, &rows[i], a, err);
        (*out)[i] = rows[i].cu;
    }
    return rc;
}

enum kt_rc sql_customer_set_merged(struct store_conn *base, int64_t from, int64_t into, int64_t at,
                                   struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_CUST_SET_MERGED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, from);
    sql_bind_i64(st, 2, into);
    sql_bind_i64(st, 3, at);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_customer_merged_from(struct store_conn *base, int64_t ck, struct arena *a,
                                    const char ***ids, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_CUST_MERGED_FROM, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    return sql_rows(c, st, sql_row_text, sizeof(**ids), a, ids, n, "merged from", err);
}

/* ---- identifiers ------------------------------------------------------------------------- */

/* An identifier's row as ident_find reads it: its owner and how it came. */
static void read_owner(struct sql_stmt *st, struct arena *a, void *out)
{
    struct ident *x = out;
    x->ck = sql_col_i64(st, 0);
    x->verified = (int)sql_col_i64(st, 1) != 0;
    x->created_at = sql_col_i64(st, 2);
    x->channel = sql_col_text(st, 3, a);
}

/* An identifier's row as ident_list reads it (the owner is the one asked for). */
static void read_ident(struct sql_stmt *st, struct arena *a, void *out)
{
    struct ident *x = out;
    x->kind = sql_col_text(st, 0, a);
    x->value = sql_col_text(st, 1, a);
    x->verified = (int)sql_col_i64(st, 2) != 0;
    x->created_at = sql_col_i64(st, 3);
    x->channel = sql_col_text(st, 4, a);
}

enum kt_rc sql_ident_find(struct store_conn *base, const char *kind, const char *value,
                          struct arena *a, struct ident *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IDENT_FIND, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, kind);
    sql_bind_bidx(c, st, 2, kind, value);
    enum kt_rc rc = sql_one(c, st, read_owner, a, out, found, "identifier_not_found",
                            "identifier not found", err);
    if (rc == KT_OK && sql_found(found)) {
        out->kind = kind;
        out->value = value;
    }
    return rc;
}

enum kt_rc sql_ident_insert(struct store_conn *base, const struct ident *id, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IDENT_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct sql_key k;
    sql_key_init(&k, c, id->ck, true);
    sql_bind_text(st, 1, id->kind);
    sql_bind_bidx(c, st, 2, id->kind, id->value);
    enum kt_rc rc = sql_bind_sealed(&k, st, 3, "identifiers.value", id->value, err);
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
        return rc;
    }
    sql_bind_i64(st, 4, id->ck);
    sql_bind_i64(st, 5, id->verified ? 1 : 0);
    sql_bind_i64(st, 6, id->created_at);
    sql_bind_text(st, 7, id->channel);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_ident_set_verified(struct store_conn *base, const char *kind, const char *value,
                                  struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IDENT_VERIFY, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, kind);
    sql_bind_bidx(c, st, 2, kind, value);
    return sql_run(c, st, NULL, err);
}

/* The order identifiers were listed in before their values were sealed: by time, kind, value. */
static int ident_order(const void *pa, const void *pb)
{
    const struct ident *a = pa, *b = pb;
    if (a->created_at != b->created_at) {
        return a->created_at < b->created_at ? -1 : 1;
    }
    int k = strcmp(a->kind, b->kind);
    return k != 0 ? k : strcmp(a->value, b->value);
}

enum kt_rc sql_ident_list(struct store_conn *base, int64_t ck, struct arena *a, struct ident **out,
                          size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_IDENT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    enum kt_rc rc = sql_rows(c, st, read_ident, sizeof(**out), a, out, n, "identifier list", err);
    struct sql_key k;
    sql_key_init(&k, c, ck, false);
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        (*out)[i].ck = ck;
        rc = sql_unseal(&k, "identifiers.value", &(*out)[i].value, a, err);
    }
    sql_key_release(&k);
    if (rc == KT_OK && *n > 1) {
        qsort(*out, *n, sizeof(**out), ident_order);
    }
    return rc;
}

/* One row to move to another customer: its key columns, and the values sealed under `from`. */
struct moved {
    int64_t seq;
    const char *kind, *bidx; /* identifiers */
    size_t bidx_n;
    const char *v1, *v2; /* kept sealed by sql_col_text */
};

static void read_ident_of(struct sql_stmt *st, struct arena *a, void *out)
{
    struct moved *m = out;
    m->kind = sql_col_text(st, 0, a);
    m->bidx_n = (size_t)sql_col_bytes(st, 1);
    char *b = arena_alloc(a, m->bidx_n + 1);
    memcpy(b, sql_col_blob(st, 1), m->bidx_n);
    m->bidx = b;
    m->v1 = sql_col_text(st, 2, a);
}

static void read_hist_of(struct sql_stmt *st, struct arena *a, void *out)
{
    struct moved *m = out;
    m->seq = sql_col_i64(st, 0);
    m->v1 = sql_col_text(st, 1, a);
    m->v2 = sql_col_text(st, 2, a);
}

/* Reads the rows of `from` with `of`, opens their values with its key and writes each again
 * sealed under the key of `into` with `reseal`: identifiers (kind, bidx, ck, value) or history
 * (seq, ck, old, new). With `merge` (a journal's id) only the rows that merge moved. */
static enum kt_rc reseal_rows(struct sql_conn *c, bool idents, int64_t from, int64_t into,
                              int64_t merge, struct kt_err *err)
{
    enum sql_slot slot = idents ? (merge ? SQL_IDENT_OF_MERGE : SQL_IDENT_OF)
                                : (merge ? SQL_HIST_OF_MERGE : SQL_HIST_OF);
    struct sql_stmt *of = stmt(c, slot, err);
    struct sql_stmt *up = of ? stmt(c, idents ? SQL_IDENT_RESEAL : SQL_HIST_RESEAL, err) : NULL;
    if (up == NULL) {
        return KT_ESTORE;
    }
    struct arena a;
    arena_init(&a, 0);
    struct moved *rows = NULL;
    size_t n = 0;
    sql_bind_i64(of, 1, from);
    if (merge != 0) {
        sql_bind_i64(of, 2, merge);
    }
    enum kt_rc rc = sql_rows(c, of, idents ? read_ident_of : read_hist_of, sizeof(*rows), &a, &rows,
                             &n, "rows to move", err);
    struct sql_key kf, ki;
    sql_key_init(&kf, c, from, false);
    sql_key_init(&ki, c, into, true);
    const char *c1 = idents ? "identifiers.value" : "history.old_value", *c2 = "history.new_value";
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct moved *m = &rows[i];
        rc = sql_unseal(&kf, c1, &m->v1, &a, err);
        if (rc == KT_OK && !idents) {
            rc = sql_unseal(&kf, c2, &m->v2, &a, err);
        }
        if (rc == KT_OK && idents) {
            sql_bind_text(up, 1, m->kind);
            sql_bind_blob(up, 2, m->bidx, (int)m->bidx_n, SQL_STATIC);
            sql_bind_i64(up, 3, into);
            rc = sql_bind_sealed(&ki, up, 4, c1, m->v1, err);
        } else if (rc == KT_OK) {
            sql_bind_i64(up, 1, m->seq);
            sql_bind_i64(up, 2, into);
            rc = sql_bind_sealed(&ki, up, 3, c1, m->v1, err);
            rc = rc == KT_OK ? sql_bind_sealed(&ki, up, 4, c2, m->v2, err) : rc;
        }
        rc = rc == KT_OK ? sql_run(c, up, NULL, err) : (sql_done(up), rc);
    }
    sql_key_release(&kf);
    sql_key_release(&ki);
    arena_release(&a);
    return rc;
}

enum kt_rc sql_ident_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err)
{
    return reseal_rows((struct sql_conn *)base, true, from, into, 0, err);
}

enum kt_rc sql_merge_reseal_back(struct sql_conn *c, int64_t merge, int64_t into, int64_t from,
                                 struct kt_err *err)
{
    enum kt_rc rc = reseal_rows(c, true, into, from, merge, err);
    rc = rc == KT_OK ? reseal_rows(c, false, into, from, merge, err) : rc;
    return rc == KT_OK ? sql_evidence_reseal_back(c, merge, into, from, err) : rc;
}

/* ---- history ----------------------------------------------------------------------------- */

enum kt_rc sql_history_add(struct store_conn *base, const struct history_entry *h,
                           struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_HIST_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct sql_key k;
    sql_key_init(&k, c, h->ck, true);
    sql_bind_i64(st, 1, h->ck);
    sql_bind_i64(st, 2, h->at);
    sql_bind_text(st, 3, h->field);
    sql_bind_text(st, 4, h->action);
    enum kt_rc rc = sql_bind_sealed(&k, st, 5, "history.old_value", h->old_value, err);
    rc = rc == KT_OK ? sql_bind_sealed(&k, st, 6, "history.new_value", h->new_value, err) : rc;
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
        return rc;
    }
    sql_bind_text(st, 7, h->channel);
    sql_bind_text(st, 8, h->store_id);
    sql_bind_text(st, 9, h->operator_id);
    sql_bind_text(st, 10, h->request_id);
    sql_bind_text(st, 11, h->reason);
    return sql_run(c, st, NULL, err);
}

/* A history row (the customer is the one asked for). */
static void read_history(struct sql_stmt *st, struct arena *a, void *out)
{
    struct history_entry *h = out;
    h->seq = sql_col_i64(st, 0);
    h->at = sql_col_i64(st, 1);
    h->field = sql_col_text(st, 2, a);
    h->action = sql_col_text(st, 3, a);
    h->old_value = sql_col_text(st, 4, a);
    h->new_value = sql_col_text(st, 5, a);
    h->channel = sql_col_text(st, 6, a);
    h->store_id = sql_col_text(st, 7, a);
    h->operator_id = sql_col_text(st, 8, a);
    h->request_id = sql_col_text(st, 9, a);
    h->reason = sql_col_text(st, 10, a);
}

enum kt_rc sql_history_list(struct store_conn *base, int64_t ck, int64_t after_seq, int limit,
                            struct arena *a, struct history_entry **out, size_t *n,
                            struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_HIST_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_i64(st, 2, after_seq);
    sql_bind_i64(st, 3, limit);
    enum kt_rc rc = sql_rows(c, st, read_history, sizeof(**out), a, out, n, "history list", err);
    struct sql_key k;
    sql_key_init(&k, c, ck, false);
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        (*out)[i].ck = ck;
        rc = sql_unseal(&k, "history.old_value", &(*out)[i].old_value, a, err);
        rc = rc == KT_OK ? sql_unseal(&k, "history.new_value", &(*out)[i].new_value, a, err) : rc;
    }
    sql_key_release(&k);
    return rc;
}

enum kt_rc sql_history_last_refused(struct store_conn *base, int64_t ck, const char *field,
                                    struct arena *a, const char **raw, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_HIST_LAST_REFUSED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_text(st, 2, field);
    enum kt_rc rc =
        sql_one(c, st, sql_row_text, a, raw, NULL, "not_found", "refusal not found", err);
    if (rc == KT_OK) {
        struct sql_key k;
        sql_key_init(&k, c, ck, false);
        rc = sql_unseal(&k, "history.new_value", raw, a, err);
        sql_key_release(&k);
    }
    return rc;
}

enum kt_rc sql_history_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err)
{
    enum kt_rc rc = reseal_rows((struct sql_conn *)base, false, from, into, 0, err);
    return rc == KT_OK ? sql_privacy_move(base, from, into, err) : rc;
}

/* ---- attributes -------------------------------------------------------------------------- */

static void read_attr(struct sql_stmt *st, struct arena *a, void *out)
{
    struct attr_def *d = out;
    d->name = sql_col_text(st, 0, a);
    d->type = sql_col_text(st, 1, a);
    d->items = sql_col_text(st, 2, a);
    d->values = sql_col_text(st, 3, a);
    d->title = sql_col_text(st, 4, a);
    d->description = sql_col_text(st, 5, a);
    d->created_at = sql_col_i64(st, 6);
    d->updated_at = sql_col_i64(st, 7);
}

enum kt_rc sql_attr_put(struct store_conn *base, const struct attr_def *d, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_ATTR_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, d->name);
    sql_bind_text(st, 2, d->type);
    sql_bind_text(st, 3, d->items);
    sql_bind_text(st, 4, d->values);
    sql_bind_text(st, 5, d->title);
    sql_bind_text(st, 6, d->description);
    sql_bind_i64(st, 7, d->created_at);
    sql_bind_i64(st, 8, d->updated_at);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_attr_get(struct store_conn *base, const char *name, struct arena *a,
                        struct attr_def *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_ATTR_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, name);
    return sql_one(c, st, read_attr, a, out, found, "attribute_not_found", "attribute not found",
                   err);
}

enum kt_rc sql_attr_list(struct store_conn *base, struct arena *a, struct attr_def **out, size_t *n,
                         struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_ATTR_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sql_rows(c, st, read_attr, sizeof(**out), a, out, n, "attribute list", err);
}

static void found(struct sql_stmt *st, void *used)
{
    *(bool *)used = true;
}

enum kt_rc sql_attr_in_use(struct store_conn *base, const char *name, bool *used,
                           struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_ATTR_IN_USE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    /* The JSON path is a bound parameter too; names are [a-z0-9_] so quoting is exact. */
    char path[96];
    kt_snprintf(path, sizeof(path), "$.\"%s\"", name);
    sql_bind_textn(st, 1, path, -1, SQL_TRANSIENT);
    *used = false;
    return sql_each(c, st, found, used, "attribute in use", err);
}
