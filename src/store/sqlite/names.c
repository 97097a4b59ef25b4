/*
 * names.c - customers found by their name key (the console's search by name, issue 15): the
 * key's blind index compared whole, through customers_name (0039), or with a birth date through
 * customers_dup (0002). A birth date the store's policy seals cannot be compared in SQL: then
 * the namesakes' dates are opened one by one and compared here.
 */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_CUST_BY_NAME] = "SELECT ck FROM customers WHERE name_key = ?1 AND merged_into IS NULL "
                        "AND ck > ?2 ORDER BY ck LIMIT ?3",
    [SQ_CUST_BY_NAME_BIRTH] = "SELECT ck FROM customers WHERE name_key = ?1 AND birth_date = ?4 "
                              "AND merged_into IS NULL AND ck > ?2 ORDER BY ck LIMIT ?3",
    [SQ_CUST_BY_NAME_SEALED] = "SELECT ck, birth_date FROM customers WHERE name_key = ?1 "
                               "AND merged_into IS NULL AND ck > ?2 ORDER BY ck",
};

struct dated {
    int64_t ck;
    const char *birth; /* kept sealed by sq_col_text */
};

static void read_dated(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct dated *d = out;
    d->ck = sqlite3_column_int64(st, 0);
    d->birth = sq_col_text(st, 1, a);
}

/* The namesakes born on `birth`, their dates sealed: every namesake after `after_ck` is read,
 * each date opened under its customer's key. */
static enum kt_rc by_sealed_birth(struct sq_conn *c, sqlite3_stmt *st, const char *birth, int limit,
                                  struct arena *a, int64_t **cks, size_t *n, struct kt_err *err)
{
    struct dated *rows = NULL;
    size_t n_rows = 0;
    enum kt_rc rc =
        sq_rows(c, st, read_dated, sizeof(*rows), a, &rows, &n_rows, "customers by name", err);
    *cks = n_rows > 0 ? arena_alloc(a, sizeof(**cks) * n_rows) : NULL;
    for (size_t i = 0; rc == KT_OK && i < n_rows && *n < (size_t)limit; i++) {
        struct sq_key k;
        sq_key_init(&k, c, rows[i].ck, false);
        rc = sq_unseal(&k, "customers.birth_date", &rows[i].birth, a, err);
        sq_key_release(&k);
        if (rc == KT_OK && rows[i].birth != NULL && strcmp(rows[i].birth, birth) == 0) {
            (*cks)[(*n)++] = rows[i].ck;
        }
    }
    return rc;
}

enum kt_rc sq_customer_by_name(struct store_conn *base, const char *name_key,
                               const char *birth_date, int64_t after_ck, int limit, struct arena *a,
                               int64_t **cks, size_t *n, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    const struct sq_store *s = (const struct sq_store *)base->store;
    bool sealed = birth_date != NULL && sq_pf_sealed(s, PF_BIRTH_DATE);
    enum sq_slot slot = birth_date == NULL ? SQ_CUST_BY_NAME
                        : sealed           ? SQ_CUST_BY_NAME_SEALED
                                           : SQ_CUST_BY_NAME_BIRTH;
    sqlite3_stmt *st = sq_stmt(c, slot, sql[slot], err);
    *cks = NULL;
    *n = 0;
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_bidx(c, st, 1, "name_key", name_key);
    sqlite3_bind_int64(st, 2, after_ck);
    if (sealed) {
        return by_sealed_birth(c, st, birth_date, limit, a, cks, n, err);
    }
    sqlite3_bind_int(st, 3, limit);
    if (birth_date != NULL) {
        sq_bind_text(st, 4, birth_date);
    }
    return sq_rows(c, st, sq_row_i64, sizeof(**cks), a, cks, n, "customers by name", err);
}
