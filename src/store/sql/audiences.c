/*
 * audiences.c - the record of audience exports (0042, docs/audiences.md): each run, and for
 * each customer it took, the audience, the fields, first and last. Keys and names only.
 */
#include <string.h>

#include "store/sql/sql_int.h"

enum kt_rc sql_audience_transfers_put(struct store_conn *base, const struct audience_run *run,
                                      const int64_t *cks, size_t n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    bool keep;
    struct sql_stmt *st = sql_stmt_kept(
        c,
        "INSERT INTO audience_transfers (ck, segment, format, recipient, fields, first_at, "
        "last_at, runs) VALUES (?1, ?2, ?6, ?3, ?4, ?5, ?5, 1) ON CONFLICT (ck, segment, format) "
        "DO UPDATE SET "
        "last_at = excluded.last_at, runs = audience_transfers.runs + 1, "
        "recipient = excluded.recipient, fields = excluded.fields",
        &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        sql_bind_i64(st, 1, cks[i]);
        sql_bind_text(st, 2, run->segment);
        sql_bind_text(st, 3, run->recipient);
        sql_bind_text(st, 4, run->fields);
        sql_bind_i64(st, 5, run->at);
        sql_bind_text(st, 6, run->format);
        rc = sql_run(c, st, NULL, err);
    }
    if (!keep) {
        sql_finalize(st);
    }
    return rc;
}

enum kt_rc sql_audience_run_add(struct store_conn *base, const struct audience_run *run,
                                struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = sql_prepare_once(
        c,
        "INSERT INTO audience_runs (id, segment, segment_id, format, recipient, fields, at, "
        "count, sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        "audience run", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, run->id);
    sql_bind_text(st, 2, run->segment);
    sql_bind_text(st, 3, run->segment_id);
    sql_bind_text(st, 4, run->format);
    sql_bind_text(st, 5, run->recipient);
    sql_bind_text(st, 6, run->fields);
    sql_bind_i64(st, 7, run->at);
    sql_bind_i64(st, 8, run->count);
    sql_bind_text(st, 9, run->sha256);
    enum kt_rc rc = sql_run(c, st, NULL, err);
    sql_finalize(st);
    return rc;
}

static void transfer_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct audience_transfer *t = out;
    t->segment = sql_col_text(st, 0, a);
    t->format = sql_col_text(st, 1, a);
    t->recipient = sql_col_text(st, 2, a);
    t->fields = sql_col_text(st, 3, a);
    t->first_at = sql_col_i64(st, 4);
    t->last_at = sql_col_i64(st, 5);
    t->runs = sql_col_i64(st, 6);
}

static void contact_row(struct sql_stmt *st, struct arena *a, void *out)
{
    const char **v = out;
    v[0] = sql_col_text(st, 0, a);
    v[1] = sql_col_text(st, 1, a);
}

enum kt_rc sql_customer_transfers(struct store_conn *base, int64_t ck, struct arena *a,
                                  struct audience_transfer **out, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        sql_prepare_once(c,
                         "SELECT segment, format, recipient, fields, first_at, last_at, runs FROM "
                         "audience_transfers WHERE ck = ?1 ORDER BY segment, format",
                         "customer transfers", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    enum kt_rc rc =
        sql_rows(c, st, transfer_row, sizeof(**out), a, out, n, "customer transfers", err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_customer_contact(struct store_conn *base, int64_t ck, struct arena *a,
                                const char **phone, const char **email, bool *found,
                                struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    *phone = *email = NULL;
    *found = false;
    bool keep;
    struct sql_stmt *st = sql_stmt_kept(c,
                                        "SELECT phone, email FROM customers WHERE ck = ?1 AND "
                                        "merged_into IS NULL AND erased_at IS NULL",
                                        &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    const char *v[2] = {NULL, NULL};
    enum kt_rc rc = sql_one(c, st, contact_row, a, v, found, NULL, NULL, err);
    if (!keep) {
        sql_finalize(st);
    }
    if (rc != KT_OK || !*found) {
        return rc;
    }
    struct sql_key k;
    sql_key_init(&k, c, ck, false);
    rc = sql_unseal(&k, "customers.phone", &v[0], a, err);
    if (rc == KT_OK) {
        rc = sql_unseal(&k, "customers.email", &v[1], a, err);
    }
    sql_key_release(&k);
    *phone = v[0];
    *email = v[1];
    return rc;
}
