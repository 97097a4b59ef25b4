/*
 * seal_migrate.c - the C half of migration 0013 (0013_sealed.sql): what a database made before
 * it holds in clear is sealed, in batches of BATCH rows, each batch its own transaction, with its
 * progress in the log (stderr) for big bases. And the same pass again when the retailer changes
 * which optional fields are sealed (--sealed-fields): every customer is written again under the
 * new policy.
 *
 * Resumable by construction: each phase selects what is still clear (TEXT, where a sealed value
 * is a BLOB) or, for customers, goes on from a cursor kept in meta; a migration interrupted half
 * way picks up where it stopped at the next open that migrates. meta 'sealed_done' records the
 * policy the data was last sealed under; until it matches the store's, a server does not start
 * on the database (schema_behind) and `kartoteka migrate` finishes the pass.
 *
 * Not here: the columns themselves (each file seals its own table as it writes; this pass reads
 * rows through those same functions and writes them back, so the two cannot disagree).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/sqlite/sqlite_int.h"

#define BATCH 1000

/* ---- the schema half, in the migration's transaction ----------------------------------------- */

enum kt_rc sq_seal_schema(struct sq_conn *c, struct kt_err *err)
{
    /* The gender's CHECK (0001) named the clear values only; a sealed gender is a BLOB. SQLite
     * cannot alter a CHECK, and rebuilding the customers table would rewrite every table that
     * references it: this is the schema edit SQLite documents for dropping a constraint
     * ("ALTER TABLE", section 7): the text changed in sqlite_schema, the schema version bumped
     * so every connection reads it again. */
    struct sql_stmt *st = NULL;
    int64_t version = 0;
    enum kt_rc rc = KT_OK;
    if (sql_prepare(&c->base, "PRAGMA schema_version", &st) == SQL_OK && sql_step(st) == SQL_ROW) {
        version = sql_col_i64(st, 0);
    }
    sql_finalize(st);
    rc = sq_exec(c,
                 "PRAGMA writable_schema = ON; "
                 "UPDATE sqlite_schema SET sql = replace(sql, 'gender IN (''m'', ''f''))', "
                 "'gender IN (''m'', ''f'') OR typeof(gender) = ''blob'')') "
                 "WHERE type = 'table' AND name = 'customers'; "
                 "PRAGMA writable_schema = OFF;",
                 err);
    if (rc == KT_OK) {
        char bump[64];
        kt_snprintf(bump, sizeof(bump), "PRAGMA schema_version = %lld", (long long)version + 1);
        rc = sq_exec(c, bump, err);
    }
    return rc;
}

/* ---- the data half ------------------------------------------------------------------------------
 */

static enum kt_rc meta_get(struct sq_conn *w, const char *key, char *val, size_t cap, bool *found,
                           struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 256);
    const char *v = NULL;
    enum kt_rc rc = sql_meta_get(&w->base.base, key, &a, &v, found, err);
    if (rc == KT_OK && *found) {
        kt_strlcpy(val, v, cap);
    }
    arena_release(&a);
    return rc;
}

static enum kt_rc meta_put_i64(struct sq_conn *w, const char *key, int64_t v, struct kt_err *err)
{
    char t[32];
    kt_snprintf(t, sizeof(t), "%lld", (long long)v);
    return sql_meta_put(&w->base.base, key, t, err);
}

static int64_t count_of(struct sq_conn *w, const char *sql)
{
    struct sql_stmt *st = NULL;
    int64_t n = 0;
    if (sql_prepare(&w->base, sql, &st) == SQL_OK && sql_step(st) == SQL_ROW) {
        n = sql_col_i64(st, 0);
    }
    sql_finalize(st);
    return n;
}

/* Progress of a phase, in the log every few seconds and at its end, for bases worth waiting on. */
struct progress {
    const char *what;
    int64_t done, total, last_ns;
};

static void progress(struct progress *p, int64_t more, bool end)
{
    p->done += more;
    int64_t now = clock_mono_ns();
    if (p->total >= 10 * BATCH && (end || now - p->last_ns > 2000000000LL)) {
        log_info("seal_progress", "table=%s done=%lld of=%lld", p->what, (long long)p->done,
                 (long long)p->total);
        p->last_ns = now;
    }
}

/* One batch: a transaction on the writer around `fn`, which says how many rows it did. */
typedef enum kt_rc (*batch_fn)(struct sq_store *s, struct sq_conn *w, void *ctx, int64_t *did,
                               struct kt_err *err);

static enum kt_rc in_batches(struct sq_store *s, batch_fn fn, void *ctx, struct progress *p,
                             struct kt_err *err)
{
    struct sq_conn *w = s->writer;
    enum kt_rc rc = KT_OK;
    for (int64_t did = BATCH; rc == KT_OK && did > 0;) {
        did = 0;
        pthread_mutex_lock(&s->write_mu);
        rc = sq_exec(w, "BEGIN IMMEDIATE", err);
        if (rc == KT_OK) {
            rc = fn(s, w, ctx, &did, err);
            rc = rc == KT_OK ? sq_exec(w, "COMMIT", err) : rc;
            if (rc != KT_OK) {
                sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
            }
        }
        pthread_mutex_unlock(&s->write_mu);
        progress(p, did, did == 0);
    }
    return rc;
}

/* Customers: each read and written again under the policy, from the cursor in meta. */
static enum kt_rc customers_batch(struct sq_store *s, struct sq_conn *w, void *ctx, int64_t *did,
                                  struct kt_err *err)
{
    char cur[32] = "0";
    bool found = false;
    enum kt_rc rc = meta_get(w, "seal_cursor", cur, sizeof(cur), &found, err);
    int64_t after = strtoll(cur, NULL, 10), last = after;
    struct sql_stmt *st = NULL;
    int64_t *cks = NULL;
    size_t n = 0;
    struct arena a;
    arena_init(&a, 0);
    if (rc == KT_OK &&
        sql_prepare(&w->base, "SELECT ck FROM customers WHERE ck > ?1 ORDER BY ck LIMIT ?2", &st) !=
            SQL_OK) {
        rc = sq_fail_raw(w, SQLITE_ERROR, "seal customers", err);
    }
    if (rc == KT_OK) {
        sql_bind_i64(st, 1, after);
        sql_bind_i64(st, 2, BATCH);
        rc = sql_rows(&w->base, st, sql_row_i64, sizeof(*cks), &a, &cks, &n, "seal customers", err);
    }
    sql_finalize(st);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct customer cu;
        rc = sql_customer_get(&w->base.base, cks[i], &a, &cu, NULL, err);
        rc = rc == KT_OK ? sql_customer_update(&w->base.base, &cu, err) : rc;
        last = cks[i];
    }
    if (rc == KT_OK && n > 0) {
        rc = meta_put_i64(w, "seal_cursor", last, err);
    }
    arena_release(&a);
    *did = (int64_t)n;
    return rc;
}

/* Identifiers: each row of identifiers_clear inserted sealed and deleted, in one transaction. */
static void read_clear_ident(struct sql_stmt *st, struct arena *a, void *out)
{
    struct ident *x = out;
    x->kind = sql_col_text(st, 0, a);
    x->value = sql_col_text(st, 1, a);
    x->ck = sql_col_i64(st, 2);
    x->verified = (int)sql_col_i64(st, 3) != 0;
    x->created_at = sql_col_i64(st, 4);
    x->channel = sql_col_text(st, 5, a);
}

static enum kt_rc idents_batch(struct sq_store *s, struct sq_conn *w, void *ctx, int64_t *did,
                               struct kt_err *err)
{
    struct sql_stmt *st = NULL, *del = NULL;
    struct ident *x = NULL;
    size_t n = 0;
    struct arena a;
    arena_init(&a, 0);
    enum kt_rc rc = KT_OK;
    if (sql_prepare(&w->base,
                    "SELECT kind, value, ck, verified, created_at, channel FROM "
                    "identifiers_clear LIMIT ?1",
                    &st) != SQL_OK ||
        sql_prepare(&w->base, "DELETE FROM identifiers_clear WHERE kind = ?1 AND value = ?2",
                    &del) != SQL_OK) {
        rc = sq_fail_raw(w, SQLITE_ERROR, "seal identifiers", err);
    }
    if (rc == KT_OK) {
        sql_bind_i64(st, 1, BATCH);
        rc = sql_rows(&w->base, st, read_clear_ident, sizeof(*x), &a, &x, &n, "seal identifiers",
                      err);
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        rc = sql_ident_insert(&w->base.base, &x[i], err);
        sql_bind_text(del, 1, x[i].kind);
        sql_bind_text(del, 2, x[i].value);
        rc = rc == KT_OK ? sql_run(&w->base, del, NULL, err) : rc;
    }
    if (rc == KT_OK && n == 0) {
        rc = sq_exec(w, "DROP TABLE identifiers_clear", err);
    }
    sql_finalize(st);
    sql_finalize(del);
    arena_release(&a);
    *did = (int64_t)n;
    return rc;
}

/* A table whose clear columns are sealed in place: the rows still clear, by their key (`pk`, one
 * or two columns). `ck_sql` is the expression of the row's customer (0: the installation's key). */
struct in_place {
    const char *table, *ck_sql;
    const char *cols[2]; /* second NULL when one */
    const char *pk[2];   /* second NULL when one */
};

/* Binds column j of `from`'s row to parameter i of `to`, whatever its type. */
static void copy_value(struct sql_stmt *to, int i, struct sql_stmt *from, int j)
{
    switch (sql_col_type(from, j)) {
    case SQL_INTEGER:
        sql_bind_i64(to, i, sql_col_i64(from, j));
        break;
    case SQL_FLOAT:
        sql_bind_double(to, i, sql_col_double(from, j));
        break;
    case SQL_TEXT:
        sql_bind_textn(to, i, sql_col_str(from, j), sql_col_bytes(from, j), SQL_TRANSIENT);
        break;
    case SQL_BLOB:
        sql_bind_blob(to, i, sql_col_blob(from, j), sql_col_bytes(from, j), SQL_TRANSIENT);
        break;
    default:
        sql_bind_null(to, i);
    }
}

static enum kt_rc in_place_batch(struct sq_store *s, struct sq_conn *w, void *ctx, int64_t *did,
                                 struct kt_err *err)
{
    const struct in_place *t = ctx;
    bool two = t->cols[1] != NULL, pk2 = t->pk[1] != NULL;
    char sel[512], upd[320];
    kt_snprintf(sel, sizeof(sel),
                "SELECT %s, %s, %s, %s, %s FROM %s WHERE typeof(%s) = 'text' OR "
                "typeof(%s) = 'text' LIMIT %d",
                t->pk[0], pk2 ? t->pk[1] : "NULL", t->ck_sql, t->cols[0], two ? t->cols[1] : "NULL",
                t->table, t->cols[0], two ? t->cols[1] : t->cols[0], BATCH);
    kt_snprintf(upd, sizeof(upd), "UPDATE %s SET %s = ?3%s%s%s WHERE %s = ?1%s%s%s", t->table,
                t->cols[0], two ? ", " : "", two ? t->cols[1] : "", two ? " = ?4" : "", t->pk[0],
                pk2 ? " AND " : "", pk2 ? t->pk[1] : "", pk2 ? " = ?2" : "");
    struct sql_stmt *st = NULL, *up = NULL;
    enum kt_rc rc = KT_OK;
    if (sql_prepare(&w->base, sel, &st) != SQL_OK || sql_prepare(&w->base, upd, &up) != SQL_OK) {
        rc = sq_fail_raw(w, SQLITE_ERROR, t->table, err);
    }
    int64_t n = 0;
    while (rc == KT_OK && sql_step(st) == SQL_ROW) {
        struct sql_key k;
        sql_key_init(&k, &w->base, sql_col_i64(st, 2), true);
        copy_value(up, 1, st, 0);
        if (pk2) {
            copy_value(up, 2, st, 1);
        }
        for (int i = 0; rc == KT_OK && i < (two ? 2 : 1); i++) {
            char col[96];
            kt_snprintf(col, sizeof(col), "%s.%s", t->table, t->cols[i]);
            if (sql_col_type(st, 3 + i) == SQLITE_TEXT) {
                rc = sql_bind_sealed(&k, up, 3 + i, col, (const char *)sql_col_str(st, 3 + i), err);
            } else {
                copy_value(up, 3 + i, st, 3 + i);
            }
        }
        sql_key_release(&k);
        rc = rc == KT_OK ? sql_run(&w->base, up, NULL, err) : rc;
        n++;
    }
    sql_finalize(st);
    sql_finalize(up);
    *did = n;
    return rc;
}

/* The tables sealed in place, and whose key seals each row. An SMS of an older database named no
 * customer: the owner of its phone, or the installation. A stored reply shows the customer. */
static const struct in_place tables[] = {
    {"history", "ck", {"old_value", "new_value"}, {"seq", NULL}},
    {"consent_events", "ck", {"ip", "user_agent"}, {"seq", NULL}},
    {"sms_outbox", "coalesce(ck, 0)", {"phone", "text"}, {"id", NULL}},
    {"idempotency", "coalesce(ck, 0)", {"body", NULL}, {"key_id", "idem_key"}},
    {"import_rejects", "0", {"csv", NULL}, {"id", NULL}},
    {"privacy_requests", "0", {"note", NULL}, {"id", NULL}},
};

/* What an older database could not say: the customer of an SMS (by its phone's identifier) and of
 * a stored reply (by the id it shows). Run once the identifiers are sealed. */
static enum kt_rc owners(struct sq_store *s, struct sq_conn *w, struct kt_err *err)
{
    enum kt_rc rc = sq_exec(w,
                            "UPDATE idempotency SET ck = (SELECT ck FROM customers WHERE id = "
                            "json_extract(body, '$.customer.id')) WHERE ck IS NULL AND "
                            "typeof(body) = 'text' AND json_valid(body)",
                            err);
    struct sql_stmt *st = NULL, *up = NULL;
    if (rc != KT_OK || !sq_table_exists(w, "sms_outbox")) { /* folded by 0025 (sms_fold.c) */
        return rc;
    }
    if (rc == KT_OK &&
        (sql_prepare(&w->base,
                     "SELECT rowid, phone FROM sms_outbox WHERE ck IS NULL AND "
                     "typeof(phone) = 'text'",
                     &st) != SQL_OK ||
         sql_prepare(&w->base, "UPDATE sms_outbox SET ck = ?2 WHERE rowid = ?1", &up) != SQL_OK)) {
        rc = sq_fail_raw(w, SQLITE_ERROR, "sms owners", err);
    }
    while (rc == KT_OK && sql_step(st) == SQL_ROW) {
        struct ident who;
        bool found = false;
        struct arena a;
        arena_init(&a, 256);
        rc = sql_ident_find(&w->base.base, "phone", (const char *)sql_col_str(st, 1), &a, &who,
                            &found, err);
        arena_release(&a);
        if (rc == KT_OK && found) {
            sql_bind_i64(up, 1, sql_col_i64(st, 0));
            sql_bind_i64(up, 2, who.ck);
            rc = sql_run(&w->base, up, NULL, err);
        }
    }
    sql_finalize(st);
    sql_finalize(up);
    return rc;
}

static enum kt_rc owners_batch(struct sq_store *s, struct sq_conn *w, void *ctx, int64_t *did,
                               struct kt_err *err)
{
    *did = 0; /* one pass */
    return owners(s, w, err);
}

/* Whether identifiers_clear is still there (a pass interrupted before it was emptied). */
static bool clear_idents_left(struct sq_conn *w)
{
    return count_of(w, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                       "name = 'identifiers_clear'") > 0;
}

static enum kt_rc seal_all(struct sq_store *s, unsigned policy, struct kt_err *err)
{
    struct sq_conn *w = s->writer;
    char pass[32] = "", want[32];
    bool found = false;
    kt_snprintf(want, sizeof(want), "%u", policy);
    enum kt_rc rc = meta_get(w, "seal_pass", pass, sizeof(pass), &found, err);
    if (rc == KT_OK && (!found || strcmp(pass, want) != 0)) { /* a new pass starts over */
        rc = sql_meta_put(&w->base.base, "seal_pass", want, err);
        rc = rc == KT_OK ? sql_meta_put(&w->base.base, "seal_cursor", "0", err) : rc;
    }
    log_info("seal_start", "policy=%u", policy);
    if (rc == KT_OK && clear_idents_left(w)) {
        struct progress p = {"identifiers", 0,
                             count_of(w, "SELECT count(*) FROM identifiers_clear"), 0};
        rc = in_batches(s, idents_batch, NULL, &p, err);
    }
    if (rc == KT_OK) {
        struct progress p = {"customers", 0, count_of(w, "SELECT count(*) FROM customers"), 0};
        rc = in_batches(s, customers_batch, NULL, &p, err);
    }
    if (rc == KT_OK) {
        struct progress p = {"owners", 0, 0, 0};
        rc = in_batches(s, owners_batch, NULL, &p, err);
    }
    for (size_t i = 0; rc == KT_OK && i < sizeof(tables) / sizeof(tables[0]); i++) {
        if (!sq_table_exists(w, tables[i].table)) {
            continue; /* sms_outbox, folded into the outbox by 0025 (sms_fold.c) */
        }
        char q[160];
        kt_snprintf(q, sizeof(q), "SELECT count(*) FROM %s", tables[i].table);
        struct progress p = {tables[i].table, 0, count_of(w, q), 0};
        rc = in_batches(s, in_place_batch, (void *)&tables[i], &p, err);
    }
    if (rc == KT_OK) {
        rc = sql_meta_put(&w->base.base, "sealed_done", want, err);
    }
    if (rc == KT_OK) {
        /* a page a batch wrote may hold rows a later batch sealed: its image in the WAL would
         * keep them in clear */
        rc = sq_exec(w, "PRAGMA wal_checkpoint(TRUNCATE)", err);
        log_info("seal_done", "policy=%u", policy);
    }
    return rc;
}

enum kt_rc sq_seal_step(struct sq_store *s, int requested, bool run, struct kt_err *err)
{
    struct sq_conn *w = s->writer;
    char have[32] = "", done[32] = "";
    bool has = false, has_done = false;
    enum kt_rc rc = meta_get(w, "sealed_fields", have, sizeof(have), &has, err);
    rc = rc == KT_OK ? meta_get(w, "sealed_done", done, sizeof(done), &has_done, err) : rc;
    if (rc != KT_OK) {
        return rc;
    }
    unsigned policy = requested >= 0 ? (unsigned)requested
                      : has          ? (unsigned)strtoul(have, NULL, 10)
                                     : 0;
    char want[32];
    kt_snprintf(want, sizeof(want), "%u", policy);
    s->base.sealed = policy;
    bool pending = !has_done || strcmp(done, want) != 0 || clear_idents_left(w);
    if (!pending) {
        return has && strcmp(have, want) == 0
                   ? KT_OK
                   : sql_meta_put(&w->base.base, "sealed_fields", want, err);
    }
    if (!run) {
        return kt_err_set(err, KT_ESTORE, "schema_behind", NULL,
                          "the database holds data to seal (a migration, or a change of "
                          "--sealed-fields); run 'kartoteka migrate'");
    }
    rc = sql_meta_put(&w->base.base, "sealed_fields", want, err);
    return rc == KT_OK ? seal_all(s, policy, err) : rc;
}
