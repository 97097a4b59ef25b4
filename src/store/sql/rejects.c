/*
 * rejects.c - the SQL side of the reject files of server imports: a line per row in
 * import_rejects, the keyed hashes of the identifiers each carries in import_reject_keys
 * (0012_import_rejects.sql). Statements are cached per connection in their
 * slots of enum sql_slot (sql_int.h).
 *
 * An erasure removes the lines by the hashes it suppresses; the due work removes lines past
 * their term. Deleting a line deletes its hashes (ON DELETE CASCADE), and secure_delete (set on
 * every connection) zeroes what was deleted, so the bytes go from the file, not just the index.
 *
 * A line is sealed under the installation's key (ck 0, seal.c): it belongs to no customer (a
 * refused row may name nobody the base knows), so it cannot go with a customer's key; it goes
 * by the hashes and the term instead.
 */
#include <string.h>

#include "store/sql/sql_int.h"

static const char *const sql[SQL_STATEMENTS] = {
    /* The header comes again with each transaction that holds rejects: the first one wins. */
    [SQL_REJECT_ADD] =
        "INSERT INTO import_rejects (import_id, line, at, csv) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (import_id, line) DO NOTHING RETURNING id",
    [SQL_REJECT_KEY] = "INSERT INTO import_reject_keys (hash, reject_id) VALUES (?1, ?2) "
                       "ON CONFLICT DO NOTHING",
    [SQL_REJECT_CLEAR] = "DELETE FROM import_rejects WHERE import_id = ?1",
    [SQL_REJECT_FILE] = "SELECT line, csv FROM import_rejects WHERE import_id = ?1 ORDER BY line",
    [SQL_REJECT_FORGET] = "DELETE FROM import_rejects WHERE id IN "
                          "(SELECT reject_id FROM import_reject_keys WHERE hash = ?1)",
    [SQL_REJECT_EXPIRE] = "DELETE FROM import_rejects WHERE id IN (SELECT id FROM import_rejects "
                          "WHERE at < ?1 AND line > 1 LIMIT ?2)",
    /* A header past the term whose rows are all gone goes too; a running import's header is
     * younger than the term, so it never loses it. */
    [SQL_REJECT_ORPHANS] =
        "DELETE FROM import_rejects WHERE line = 1 AND at < ?1 AND NOT EXISTS "
        "(SELECT 1 FROM import_rejects r WHERE r.import_id = import_rejects.import_id "
        "AND r.line > 1)",
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

enum kt_rc sql_reject_add(struct store_conn *base, const struct import_reject *r,
                          struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_REJECT_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, r->import_id);
    sql_bind_i64(st, 2, r->line);
    sql_bind_i64(st, 3, r->at);
    struct sql_key k;
    sql_key_init(&k, (struct sql_conn *)base, 0, true);
    enum kt_rc rc = sql_bind_sealed(&k, st, 4, "import_rejects.csv", r->csv, err);
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
        return rc;
    }
    int64_t id = 0;
    rc = sql_insert_id((struct sql_conn *)base, st, &id, err);
    if (rc != KT_OK || id == 0 || r->n_keys == 0) {
        return rc;
    }
    st = get(base, SQL_REJECT_KEY, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    for (size_t i = 0; i < r->n_keys && rc == KT_OK; i++) {
        sql_bind_blob(st, 1, r->keys[i], 32, SQL_STATIC);
        sql_bind_i64(st, 2, id);
        rc = run(base, st, NULL, err);
    }
    return rc;
}

enum kt_rc sql_reject_clear(struct store_conn *base, const char *import_id, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_REJECT_CLEAR, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, import_id);
    return run(base, st, NULL, err);
}

/* Where the lines of a reject file go, and the count of those after the header. */
struct reject_file {
    struct sql_key *k;
    struct buf *out;
    int64_t *rows;
    enum kt_rc rc;
    struct kt_err *err;
};

static void append_line(struct sql_stmt *st, void *ctx)
{
    struct reject_file *f = ctx;
    if (f->rc != KT_OK) {
        return;
    }
    struct arena a;
    arena_init(&a, 0);
    const char *line = sql_col_text(st, 1, &a);
    f->rc = sql_unseal(f->k, "import_rejects.csv", &line, &a, f->err);
    if (f->rc == KT_OK && line != NULL) {
        *f->rows += sql_col_i64(st, 0) > IMPORT_REJECT_HEADER;
        buf_append(f->out, line, strlen(line));
    }
    arena_release(&a);
}

enum kt_rc sql_reject_file(struct store_conn *base, const char *import_id, struct buf *out,
                           int64_t *rows, struct kt_err *err)
{
    *rows = 0;
    struct sql_stmt *st = get(base, SQL_REJECT_FILE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, import_id);
    struct sql_key k;
    sql_key_init(&k, (struct sql_conn *)base, 0, false);
    struct reject_file f = {&k, out, rows, KT_OK, err};
    enum kt_rc rc = sql_each((struct sql_conn *)base, st, append_line, &f, "reject file", err);
    sql_key_release(&k);
    return rc == KT_OK ? f.rc : rc;
}

enum kt_rc sql_reject_forget(struct store_conn *base, const unsigned char (*hashes)[32], size_t n,
                             int64_t *removed, struct kt_err *err)
{
    /* One primary-key probe per hash, as the suppression list does. */
    *removed = 0;
    struct sql_stmt *st = get(base, SQL_REJECT_FORGET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; i < n && rc == KT_OK; i++) {
        sql_bind_blob(st, 1, hashes[i], 32, SQL_STATIC);
        int changes = 0;
        rc = run(base, st, &changes, err);
        *removed += changes;
    }
    return rc;
}

enum kt_rc sql_reject_expire(struct store_conn *base, int64_t before, int limit, int64_t *removed,
                             struct kt_err *err)
{
    *removed = 0;
    struct sql_stmt *st = get(base, SQL_REJECT_EXPIRE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, before);
    sql_bind_i64(st, 2, limit);
    int changes = 0;
    enum kt_rc rc = run(base, st, &changes, err);
    *removed = changes;
    if (rc == KT_OK && changes < limit) {
        st = get(base, SQL_REJECT_ORPHANS, err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, before);
        rc = run(base, st, NULL, err);
    }
    return rc;
}
