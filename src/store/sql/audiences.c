/*
 * audiences.c - the record of audience exports (0042, docs/audiences.md): each run, and for
 * each customer it took, the audience, the fields, first and last. Keys and names only.
 */
#include <sodium.h>
#include <stdlib.h>
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

struct contact {
    int64_t ck;
    const char *phone, *email;
};

static void contacts_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct contact *r = out;
    r->ck = sql_col_i64(st, 0);
    r->phone = sql_col_text(st, 1, a);
    r->email = sql_col_text(st, 2, a);
}

/* One chunk: the live customers of the chunk's range in ck order, merged with the chunk's cks
 * and their keys, each value opened with its customer's key. */
static enum kt_rc contacts_chunk(struct sql_conn *c, const int64_t *cks, size_t n, struct arena *a,
                                 const char **phones, const char **emails,
                                 unsigned char (*dks)[CRYPT_KEY_BYTES], int *what,
                                 struct kt_err *err)
{
    bool keep;
    struct sql_stmt *st = sql_stmt_kept(c,
                                        "SELECT ck, phone, email FROM customers WHERE ck BETWEEN "
                                        "?1 AND ?2 AND merged_into IS NULL AND erased_at IS NULL "
                                        "ORDER BY ck",
                                        &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, cks[0]);
    sql_bind_i64(st, 2, cks[n - 1]);
    struct contact *rows = NULL;
    size_t nr = 0;
    enum kt_rc rc = sql_rows(c, st, contacts_row, sizeof(*rows), a, &rows, &nr, "contacts", err);
    if (!keep) {
        sql_finalize(st);
    }
    rc = rc == KT_OK ? sql_dk_many(c, cks, n, dks, what, err) : rc;
    for (size_t i = 0, r = 0; rc == KT_OK && i < n && r < nr; i++) {
        while (r < nr && rows[r].ck < cks[i]) {
            r++;
        }
        if (r == nr || rows[r].ck != cks[i] || what[i] < 0) {
            continue; /* gone, merged, erased, or its key destroyed */
        }
        struct sql_key k; /* without a key (nothing of hers sealed yet), as sql_unseal finds */
        sql_key_init(&k, c, cks[i], false);
        if (what[i] == 1) {
            memcpy(k.dk, dks[i], sizeof(k.dk));
            k.have = true;
        }
        phones[i] = rows[r].phone;
        emails[i] = rows[r].email;
        rc = sql_unseal(&k, "customers.phone", &phones[i], a, err);
        rc = rc == KT_OK ? sql_unseal(&k, "customers.email", &emails[i], a, err) : rc;
        sql_key_release(&k);
    }
    sodium_memzero(dks, n * sizeof(*dks));
    return rc;
}

enum kt_rc sql_customer_contacts(struct store_conn *base, const int64_t *cks, size_t n,
                                 struct arena *a, const char **phones, const char **emails,
                                 struct kt_err *err)
{
    enum { CHUNK = 256 };
    struct sql_conn *c = (struct sql_conn *)base;
    unsigned char(*dks)[CRYPT_KEY_BYTES] = sodium_allocarray(CHUNK, CRYPT_KEY_BYTES);
    int what[CHUNK];
    if (dks == NULL) {
        abort(); /* out of memory, as kt_malloc */
    }
    memset(phones, 0, n * sizeof(*phones));
    memset(emails, 0, n * sizeof(*emails));
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i += CHUNK) {
        size_t m = n - i < CHUNK ? n - i : CHUNK;
        rc = contacts_chunk(c, cks + i, m, a, phones + i, emails + i, dks, what, err);
    }
    sodium_free(dks); /* wiped */
    return rc;
}

static void schedule_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct audience_schedule *sc = out;
    sc->segment_id = sql_col_text(st, 0, a);
    sc->format = sql_col_text(st, 1, a);
    sc->path = sql_col_text(st, 2, a);
    sc->every_ms = sql_col_i64(st, 3);
    sc->next_at = sql_col_i64(st, 4);
    sc->created_at = sql_col_i64(st, 5);
    sc->last_at = sql_col_i64(st, 6);
    sc->last_run = sql_col_text(st, 7, a);
    sc->last_error = sql_col_text(st, 8, a);
}

enum kt_rc sql_audience_schedules_list(struct store_conn *base, struct arena *a,
                                       struct audience_schedule **out, size_t *n,
                                       struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = sql_prepare_once(
        c,
        "SELECT segment_id, format, path, every_ms, next_at, created_at, last_at, last_run, "
        "last_error FROM audience_schedules ORDER BY segment_id, format",
        "audience schedules", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    enum kt_rc rc =
        sql_rows(c, st, schedule_row, sizeof(**out), a, out, n, "audience schedules", err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_audience_schedule_put(struct store_conn *base, const struct audience_schedule *sc,
                                     struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = sql_prepare_once(
        c,
        "INSERT INTO audience_schedules (segment_id, format, path, every_ms, next_at, "
        "created_at, last_at, last_run, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (segment_id, format) DO UPDATE SET path = excluded.path, "
        "every_ms = excluded.every_ms, next_at = excluded.next_at, last_at = excluded.last_at, "
        "last_run = excluded.last_run, last_error = excluded.last_error",
        "audience schedule", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, sc->segment_id);
    sql_bind_text(st, 2, sc->format);
    sql_bind_text(st, 3, sc->path);
    sql_bind_i64(st, 4, sc->every_ms);
    sql_bind_i64(st, 5, sc->next_at);
    sql_bind_i64(st, 6, sc->created_at);
    sql_bind_i64_or_null(st, 7, sc->last_at);
    sql_bind_text(st, 8, sc->last_run);
    sql_bind_text(st, 9, sc->last_error);
    enum kt_rc rc = sql_run(c, st, NULL, err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_audience_schedule_delete(struct store_conn *base, const char *segment_id,
                                        const char *format, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        sql_prepare_once(c, "DELETE FROM audience_schedules WHERE segment_id = ?1 AND format = ?2",
                         "audience schedule", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, segment_id);
    sql_bind_text(st, 2, format);
    int changes = 0;
    enum kt_rc rc = sql_run(c, st, &changes, err);
    sql_finalize(st);
    *found = changes > 0;
    return rc;
}
