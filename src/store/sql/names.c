/*
 * names.c - customers found by their name key (the console's search by name, issue 15): the
 * key's blind index compared whole, through customers_name (0039), or with a birth date through
 * customers_dup (0002). A birth date the store's policy seals cannot be compared in SQL: then
 * the namesakes' dates are opened one by one and compared here.
 */
#include <string.h>

#include "store/sql/sql_int.h"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_CUST_BY_NAME] = "SELECT ck FROM customers WHERE name_key = ?1 AND merged_into IS NULL "
                         "AND ck > ?2 ORDER BY ck LIMIT ?3",
    [SQL_CUST_BY_NAME_BIRTH] = "SELECT ck FROM customers WHERE name_key = ?1 AND birth_date = ?4 "
                               "AND merged_into IS NULL AND ck > ?2 ORDER BY ck LIMIT ?3",
    [SQL_CUST_BY_NAME_SEALED] = "SELECT ck, birth_date FROM customers WHERE name_key = ?1 "
                                "AND merged_into IS NULL AND ck > ?2 ORDER BY ck",
};

struct dated {
    int64_t ck;
    const char *birth; /* kept sealed by sql_col_text */
};

static void read_dated(struct sql_stmt *st, struct arena *a, void *out)
{
    struct dated *d = out;
    d->ck = sql_col_i64(st, 0);
    d->birth = sql_col_text(st, 1, a);
}

/* The namesakes born on `birth`, their dates sealed: every namesake after `after_ck` is read,
 * each date opened under its customer's key. */
static enum kt_rc by_sealed_birth(struct sql_conn *c, struct sql_stmt *st, const char *birth,
                                  int limit, struct arena *a, int64_t **cks, size_t *n,
                                  struct kt_err *err)
{
    struct dated *rows = NULL;
    size_t n_rows = 0;
    enum kt_rc rc =
        sql_rows(c, st, read_dated, sizeof(*rows), a, &rows, &n_rows, "customers by name", err);
    *cks = n_rows > 0 ? arena_alloc(a, sizeof(**cks) * n_rows) : NULL;
    for (size_t i = 0; rc == KT_OK && i < n_rows && *n < (size_t)limit; i++) {
        struct sql_key k;
        sql_key_init(&k, c, rows[i].ck, false);
        rc = sql_unseal(&k, "customers.birth_date", &rows[i].birth, a, err);
        sql_key_release(&k);
        if (rc == KT_OK && rows[i].birth != NULL && strcmp(rows[i].birth, birth) == 0) {
            (*cks)[(*n)++] = rows[i].ck;
        }
    }
    return rc;
}

enum kt_rc sql_customer_by_name(struct store_conn *base, const char *name_key,
                                const char *birth_date, int64_t after_ck, int limit,
                                struct arena *a, int64_t **cks, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    const struct sql_store *s = (const struct sql_store *)base->store;
    bool sealed = birth_date != NULL && sql_pf_sealed(s, PF_BIRTH_DATE);
    enum sql_slot slot = birth_date == NULL ? SQL_CUST_BY_NAME
                         : sealed           ? SQL_CUST_BY_NAME_SEALED
                                            : SQL_CUST_BY_NAME_BIRTH;
    struct sql_stmt *st = sql_stmt(c, slot, sql[slot], err);
    *cks = NULL;
    *n = 0;
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_bidx(c, st, 1, "name_key", name_key);
    sql_bind_i64(st, 2, after_ck);
    if (sealed) {
        return by_sealed_birth(c, st, birth_date, limit, a, cks, n, err);
    }
    sql_bind_i64(st, 3, limit);
    if (birth_date != NULL) {
        sql_bind_text(st, 4, birth_date);
    }
    return sql_rows(c, st, sql_row_i64, sizeof(**cks), a, cks, n, "customers by name", err);
}
