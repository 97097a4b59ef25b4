/*
 * customers.c - the SQLite side of customers, their identifiers, the history of their fields,
 * merge candidates and declared attributes (0001_init.sql). Statements are cached per connection
 * in their slots of enum sq_slot (sqlite_int.h).
 */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

#define CUST_COLS                                                                                  \
    "ck, id, created_at, updated_at, merged_into, last_name, last_name_at, first_name, "           \
    "first_name_at, middle_name, middle_name_at, gender, gender_at, birth_date, birth_date_at, "   \
    "email, email_at, phone, phone_at, city, city_at, address, address_at, verified, attrs, "      \
    "attrs_at, quality, gender_inferred, name_key, erased_at"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_CUST_GET] = "SELECT " CUST_COLS " FROM customers WHERE ck = ?1",
    [SQ_CUST_GET_BY_ID] = "SELECT " CUST_COLS " FROM customers WHERE id = ?1",
    [SQ_CUST_INSERT] =
        "INSERT INTO customers (id, created_at, updated_at, last_name, last_name_at, first_name, "
        "first_name_at, middle_name, middle_name_at, gender, gender_at, birth_date, "
        "birth_date_at, email, email_at, phone, phone_at, city, city_at, address, address_at, "
        "verified, attrs, attrs_at, quality, gender_inferred, name_key) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
        "?23, ?24, ?25, ?26, ?27)",
    [SQ_CUST_UPDATE] =
        "UPDATE customers SET id = ?1, created_at = ?2, updated_at = ?3, last_name = ?4, "
        "last_name_at = ?5, first_name = ?6, first_name_at = ?7, middle_name = ?8, "
        "middle_name_at = ?9, gender = ?10, gender_at = ?11, birth_date = ?12, "
        "birth_date_at = ?13, email = ?14, email_at = ?15, phone = ?16, phone_at = ?17, "
        "city = ?18, city_at = ?19, address = ?20, address_at = ?21, verified = ?22, "
        "attrs = ?23, attrs_at = ?24, quality = ?25, gender_inferred = ?26, name_key = ?27 "
        "WHERE ck = ?28",
    [SQ_CUST_LIST_START] = "SELECT " CUST_COLS " FROM customers WHERE merged_into IS NULL "
                           "ORDER BY id LIMIT ?1",
    [SQ_CUST_LIST_AFTER] = "SELECT " CUST_COLS " FROM customers WHERE merged_into IS NULL "
                           "AND id > ?1 ORDER BY id LIMIT ?2",
    [SQ_CUST_SET_MERGED] = "UPDATE customers SET merged_into = ?2, merged_at = ?3 "
                           "WHERE ck = ?1 OR merged_into = ?1",
    [SQ_CUST_MERGED_FROM] =
        "SELECT id FROM customers WHERE merged_into = ?1 ORDER BY merged_at, id",
    [SQ_IDENT_FIND] = "SELECT ck, verified, created_at, channel FROM identifiers "
                      "WHERE kind = ?1 AND value = ?2",
    [SQ_IDENT_INSERT] = "INSERT INTO identifiers (kind, value, ck, verified, created_at, channel) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_IDENT_VERIFY] = "UPDATE identifiers SET verified = 1 WHERE kind = ?1 AND value = ?2",
    [SQ_IDENT_LIST] = "SELECT kind, value, verified, created_at, channel FROM identifiers "
                      "WHERE ck = ?1 ORDER BY created_at, kind, value",
    [SQ_IDENT_MOVE] = "UPDATE identifiers SET ck = ?2 WHERE ck = ?1",
    [SQ_HIST_ADD] = "INSERT INTO history (ck, at, field, action, old_value, new_value, channel, "
                    "store_id, operator_id, request_id, reason) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [SQ_HIST_LIST] = "SELECT seq, at, field, action, old_value, new_value, channel, store_id, "
                     "operator_id, request_id, reason FROM history WHERE ck = ?1 AND seq > ?2 "
                     "ORDER BY seq LIMIT ?3",
    [SQ_HIST_MOVE] = "UPDATE history SET ck = ?2 WHERE ck = ?1",
    [SQ_HIST_LAST_REFUSED] = "SELECT new_value FROM history WHERE ck = ?1 AND field = ?2 "
                             "AND action = 'refused' ORDER BY seq DESC LIMIT 1",
    [SQ_MC_ADD] = "INSERT INTO merge_candidates (ck_a, ck_b, reason, created_at) "
                  "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ck_a, ck_b) DO NOTHING",
    [SQ_MC_RESOLVE] = "UPDATE merge_candidates SET resolved_at = ?3 "
                      "WHERE ck_a = ?1 AND ck_b = ?2 AND resolved_at IS NULL",
    [SQ_MC_COUNT] = "SELECT count(*) FROM merge_candidates "
                    "WHERE (ck_a = ?1 OR ck_b = ?1) AND resolved_at IS NULL",
    [SQ_ATTR_PUT] =
        "INSERT INTO attributes (name, type, items, enum_values, title, description, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (name) DO UPDATE SET "
        "type = excluded.type, items = excluded.items, enum_values = excluded.enum_values, "
        "title = excluded.title, description = excluded.description, "
        "updated_at = excluded.updated_at",
    [SQ_ATTR_GET] = "SELECT name, type, items, enum_values, title, description, created_at, "
                    "updated_at FROM attributes WHERE name = ?1",
    [SQ_ATTR_LIST] = "SELECT name, type, items, enum_values, title, description, created_at, "
                     "updated_at FROM attributes ORDER BY name",
    [SQ_ATTR_IN_USE] = "SELECT 1 FROM customers WHERE merged_into IS NULL "
                       "AND json_type(attrs, ?1) IS NOT NULL LIMIT 1",
};

static sqlite3_stmt *stmt(struct sq_conn *c, enum sq_slot s, struct kt_err *err)
{
    return sq_stmt(c, s, sql[s], err);
}

/* ---- customers --------------------------------------------------------------------------- */

static void read_customer(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct customer *cu = out;
    memset(cu, 0, sizeof(*cu));
    cu->ck = sqlite3_column_int64(st, 0);
    const unsigned char *id = sqlite3_column_text(st, 1);
    kt_strlcpy(cu->id, id ? (const char *)id : "", sizeof(cu->id));
    cu->created_at = sqlite3_column_int64(st, 2);
    cu->updated_at = sqlite3_column_int64(st, 3);
    cu->merged_into = sqlite3_column_int64(st, 4);
    for (int i = 0; i < PF_COUNT; i++) {
        cu->val[i] = sq_col_text(st, 5 + 2 * i, a);
        cu->at[i] = sqlite3_column_int64(st, 6 + 2 * i);
    }
    cu->verified = (uint32_t)sqlite3_column_int64(st, 5 + 2 * PF_COUNT);
    cu->attrs = sq_col_text(st, 6 + 2 * PF_COUNT, a);
    cu->attrs_at = sq_col_text(st, 7 + 2 * PF_COUNT, a);
    cu->quality = (uint32_t)sqlite3_column_int64(st, 8 + 2 * PF_COUNT);
    cu->gender_inferred = sqlite3_column_int(st, 9 + 2 * PF_COUNT) != 0;
    cu->name_key = sq_col_text(st, 10 + 2 * PF_COUNT, a);
    cu->erased_at = sqlite3_column_int64(st, 11 + 2 * PF_COUNT);
}

static void bind_customer(sqlite3_stmt *st, const struct customer *cu)
{
    sq_bind_text(st, 1, cu->id);
    sqlite3_bind_int64(st, 2, cu->created_at);
    sqlite3_bind_int64(st, 3, cu->updated_at);
    for (int i = 0; i < PF_COUNT; i++) {
        sq_bind_text(st, 4 + 2 * i, cu->val[i]);
        sq_bind_i64_or_null(st, 5 + 2 * i, cu->val[i] ? cu->at[i] : 0);
    }
    sqlite3_bind_int64(st, 4 + 2 * PF_COUNT, cu->verified);
    sq_bind_text(st, 5 + 2 * PF_COUNT, cu->attrs ? cu->attrs : "{}");
    sq_bind_text(st, 6 + 2 * PF_COUNT, cu->attrs_at ? cu->attrs_at : "{}");
    sqlite3_bind_int64(st, 7 + 2 * PF_COUNT, cu->quality);
    sqlite3_bind_int(st, 8 + 2 * PF_COUNT, cu->gender_inferred ? 1 : 0);
    sq_bind_text(st, 9 + 2 * PF_COUNT, cu->name_key);
}

static enum kt_rc get_one_customer(struct sq_conn *c, sqlite3_stmt *st, struct arena *a,
                                   struct customer *out, bool *found, struct kt_err *err)
{
    return sq_one(c, st, read_customer, a, out, found, "customer_not_found", "customer not found",
                  err);
}

enum kt_rc sq_customer_get(struct store_conn *base, int64_t ck, struct arena *a,
                           struct customer *out, bool *found, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    return get_one_customer(c, st, a, out, found, err);
}

enum kt_rc sq_customer_get_by_id(struct store_conn *base, const char *id, struct arena *a,
                                 struct customer *out, bool *found, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_GET_BY_ID, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, id);
    enum kt_rc rc = get_one_customer(c, st, a, out, found, err);
    /* Merges keep the chain one hop long, but follow a few in case an old chain survives. */
    for (int hops = 0; rc == KT_OK && sq_found(found) && out->merged_into != 0 && hops < 8;
         hops++) {
        rc = sq_customer_get(base, out->merged_into, a, out, found, err);
    }
    return rc;
}

enum kt_rc sq_customer_insert(struct store_conn *base, struct customer *cu, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_customer(st, cu);
    enum kt_rc rc = sq_run(c, st, NULL, err);
    if (rc == KT_OK) {
        cu->ck = sqlite3_last_insert_rowid(c->db);
    }
    return rc;
}

enum kt_rc sq_customer_update(struct store_conn *base, const struct customer *cu,
                              struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_customer(st, cu);
    sqlite3_bind_int64(st, 10 + 2 * PF_COUNT, cu->ck);
    int changes = 0;
    enum kt_rc rc = sq_run(c, st, &changes, err);
    if (rc == KT_OK && changes == 0) {
        rc = sq_not_found(NULL, err, "customer_not_found", "customer");
    }
    return rc;
}

enum kt_rc sq_customer_list(struct store_conn *base, const char *after_id, int limit,
                            struct arena *a, struct customer **out, size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, after_id ? SQ_CUST_LIST_AFTER : SQ_CUST_LIST_START, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    if (after_id != NULL) {
        sq_bind_text(st, 1, after_id);
        sqlite3_bind_int(st, 2, limit);
    } else {
        sqlite3_bind_int(st, 1, limit);
    }
    return sq_rows(c, st, read_customer, sizeof(**out), a, out, n, "customer list", err);
}

enum kt_rc sq_customer_set_merged(struct store_conn *base, int64_t from, int64_t into, int64_t at,
                                  struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_SET_MERGED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, into);
    sqlite3_bind_int64(st, 3, at);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_customer_merged_from(struct store_conn *base, int64_t ck, struct arena *a,
                                   const char ***ids, size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_CUST_MERGED_FROM, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    return sq_rows(c, st, sq_row_text, sizeof(**ids), a, ids, n, "merged from", err);
}

/* ---- identifiers ------------------------------------------------------------------------- */

/* An identifier's row as ident_find reads it: its owner and how it came. */
static void read_owner(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct ident *x = out;
    x->ck = sqlite3_column_int64(st, 0);
    x->verified = sqlite3_column_int(st, 1) != 0;
    x->created_at = sqlite3_column_int64(st, 2);
    x->channel = sq_col_text(st, 3, a);
}

/* An identifier's row as ident_list reads it (the owner is the one asked for). */
static void read_ident(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct ident *x = out;
    x->kind = sq_col_text(st, 0, a);
    x->value = sq_col_text(st, 1, a);
    x->verified = sqlite3_column_int(st, 2) != 0;
    x->created_at = sqlite3_column_int64(st, 3);
    x->channel = sq_col_text(st, 4, a);
}

enum kt_rc sq_ident_find(struct store_conn *base, const char *kind, const char *value,
                         struct arena *a, struct ident *out, bool *found, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDENT_FIND, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, kind);
    sq_bind_text(st, 2, value);
    enum kt_rc rc = sq_one(c, st, read_owner, a, out, found, "identifier_not_found",
                           "identifier not found", err);
    if (rc == KT_OK && sq_found(found)) {
        out->kind = kind;
        out->value = value;
    }
    return rc;
}

enum kt_rc sq_ident_insert(struct store_conn *base, const struct ident *id, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDENT_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, id->kind);
    sq_bind_text(st, 2, id->value);
    sqlite3_bind_int64(st, 3, id->ck);
    sqlite3_bind_int(st, 4, id->verified ? 1 : 0);
    sqlite3_bind_int64(st, 5, id->created_at);
    sq_bind_text(st, 6, id->channel);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_ident_set_verified(struct store_conn *base, const char *kind, const char *value,
                                 struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDENT_VERIFY, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, kind);
    sq_bind_text(st, 2, value);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_ident_list(struct store_conn *base, int64_t ck, struct arena *a, struct ident **out,
                         size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_IDENT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    enum kt_rc rc = sq_rows(c, st, read_ident, sizeof(**out), a, out, n, "identifier list", err);
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        (*out)[i].ck = ck;
    }
    return rc;
}

static enum kt_rc move(struct store_conn *base, enum sq_slot which, int64_t from, int64_t into,
                       struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, which, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, into);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_ident_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err)
{
    return move(base, SQ_IDENT_MOVE, from, into, err);
}

/* ---- history ----------------------------------------------------------------------------- */

enum kt_rc sq_history_add(struct store_conn *base, const struct history_entry *h,
                          struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_HIST_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, h->ck);
    sqlite3_bind_int64(st, 2, h->at);
    sq_bind_text(st, 3, h->field);
    sq_bind_text(st, 4, h->action);
    sq_bind_text(st, 5, h->old_value);
    sq_bind_text(st, 6, h->new_value);
    sq_bind_text(st, 7, h->channel);
    sq_bind_text(st, 8, h->store_id);
    sq_bind_text(st, 9, h->operator_id);
    sq_bind_text(st, 10, h->request_id);
    sq_bind_text(st, 11, h->reason);
    return sq_run(c, st, NULL, err);
}

/* A history row (the customer is the one asked for). */
static void read_history(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct history_entry *h = out;
    h->seq = sqlite3_column_int64(st, 0);
    h->at = sqlite3_column_int64(st, 1);
    h->field = sq_col_text(st, 2, a);
    h->action = sq_col_text(st, 3, a);
    h->old_value = sq_col_text(st, 4, a);
    h->new_value = sq_col_text(st, 5, a);
    h->channel = sq_col_text(st, 6, a);
    h->store_id = sq_col_text(st, 7, a);
    h->operator_id = sq_col_text(st, 8, a);
    h->request_id = sq_col_text(st, 9, a);
    h->reason = sq_col_text(st, 10, a);
}

enum kt_rc sq_history_list(struct store_conn *base, int64_t ck, int64_t after_seq, int limit,
                           struct arena *a, struct history_entry **out, size_t *n,
                           struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_HIST_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    sqlite3_bind_int64(st, 2, after_seq);
    sqlite3_bind_int(st, 3, limit);
    enum kt_rc rc = sq_rows(c, st, read_history, sizeof(**out), a, out, n, "history list", err);
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        (*out)[i].ck = ck;
    }
    return rc;
}

enum kt_rc sq_history_last_refused(struct store_conn *base, int64_t ck, const char *field,
                                   struct arena *a, const char **raw, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_HIST_LAST_REFUSED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    sq_bind_text(st, 2, field);
    return sq_one(c, st, sq_row_text, a, raw, NULL, "not_found", "refusal not found", err);
}

enum kt_rc sq_history_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err)
{
    enum kt_rc rc = move(base, SQ_HIST_MOVE, from, into, err);
    return rc == KT_OK ? sq_privacy_move(base, from, into, err) : rc;
}

/* ---- merge candidates -------------------------------------------------------------------- */

enum kt_rc sq_merge_candidate_add(struct store_conn *base, int64_t a, int64_t b, const char *reason,
                                  int64_t at, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_MC_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, a < b ? a : b);
    sqlite3_bind_int64(st, 2, a < b ? b : a);
    sq_bind_text(st, 3, reason);
    sqlite3_bind_int64(st, 4, at);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_merge_candidate_resolve(struct store_conn *base, int64_t a, int64_t b, int64_t at,
                                      struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_MC_RESOLVE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, a < b ? a : b);
    sqlite3_bind_int64(st, 2, a < b ? b : a);
    sqlite3_bind_int64(st, 3, at);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_merge_candidate_count(struct store_conn *base, int64_t ck, int64_t *n,
                                    struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_MC_COUNT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, ck);
    return sq_int_row(c, st, n, 1, "count", err);
}

/* ---- attributes -------------------------------------------------------------------------- */

static void read_attr(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct attr_def *d = out;
    d->name = sq_col_text(st, 0, a);
    d->type = sq_col_text(st, 1, a);
    d->items = sq_col_text(st, 2, a);
    d->values = sq_col_text(st, 3, a);
    d->title = sq_col_text(st, 4, a);
    d->description = sq_col_text(st, 5, a);
    d->created_at = sqlite3_column_int64(st, 6);
    d->updated_at = sqlite3_column_int64(st, 7);
}

enum kt_rc sq_attr_put(struct store_conn *base, const struct attr_def *d, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_ATTR_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, d->name);
    sq_bind_text(st, 2, d->type);
    sq_bind_text(st, 3, d->items);
    sq_bind_text(st, 4, d->values);
    sq_bind_text(st, 5, d->title);
    sq_bind_text(st, 6, d->description);
    sqlite3_bind_int64(st, 7, d->created_at);
    sqlite3_bind_int64(st, 8, d->updated_at);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_attr_get(struct store_conn *base, const char *name, struct arena *a,
                       struct attr_def *out, bool *found, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_ATTR_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, name);
    return sq_one(c, st, read_attr, a, out, found, "attribute_not_found", "attribute not found",
                  err);
}

enum kt_rc sq_attr_list(struct store_conn *base, struct arena *a, struct attr_def **out, size_t *n,
                        struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_ATTR_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sq_rows(c, st, read_attr, sizeof(**out), a, out, n, "attribute list", err);
}

static void found(sqlite3_stmt *st, void *used)
{
    *(bool *)used = true;
}

enum kt_rc sq_attr_in_use(struct store_conn *base, const char *name, bool *used, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    sqlite3_stmt *st = stmt(c, SQ_ATTR_IN_USE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    /* The JSON path is a bound parameter too; names are [a-z0-9_] so quoting is exact. */
    char path[96];
    kt_snprintf(path, sizeof(path), "$.\"%s\"", name);
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    *used = false;
    return sq_each(c, st, found, used, "attribute in use", err);
}
