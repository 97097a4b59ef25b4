/*
 * rejects.c - the SQLite side of the reject files of server imports: a line per row in
 * import_rejects, the keyed hashes of the identifiers each carries in import_reject_keys
 * (0012_import_rejects.sql). Statements are cached per connection in their
 * slots of enum sq_slot (sqlite_int.h).
 *
 * An erasure removes the lines by the hashes it suppresses; the due work removes lines past
 * their term. Deleting a line deletes its hashes (ON DELETE CASCADE), and secure_delete (set on
 * every connection) zeroes what was deleted, so the bytes go from the file, not just the index.
 *
 * A line is sealed under the installation's key (ck 0, seal.c): it belongs to no customer (a
 * refused row may name nobody the base knows), so it cannot go with a customer's key; it goes
 * by the hashes and the term instead.
 */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

static const char *const sql[SQ_STATEMENTS] = {
    /* The header comes again with each transaction that holds rejects: the first one wins. */
    [SQ_REJECT_ADD] =
        "INSERT INTO import_rejects (import_id, line, at, csv) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (import_id, line) DO NOTHING",
    [SQ_REJECT_KEY] = "INSERT OR IGNORE INTO import_reject_keys (hash, reject_id) VALUES (?1, ?2)",
    [SQ_REJECT_CLEAR] = "DELETE FROM import_rejects WHERE import_id = ?1",
    [SQ_REJECT_FILE] = "SELECT line, csv FROM import_rejects WHERE import_id = ?1 ORDER BY line",
    [SQ_REJECT_FORGET] = "DELETE FROM import_rejects WHERE id IN "
                         "(SELECT reject_id FROM import_reject_keys WHERE hash = ?1)",
    [SQ_REJECT_EXPIRE] = "DELETE FROM import_rejects WHERE id IN (SELECT id FROM import_rejects "
                         "WHERE at < ?1 AND line > 1 LIMIT ?2)",
    /* A header past the term whose rows are all gone goes too; a running import's header is
     * younger than the term, so it never loses it. */
    [SQ_REJECT_ORPHANS] =
        "DELETE FROM import_rejects WHERE line = 1 AND at < ?1 AND NOT EXISTS "
        "(SELECT 1 FROM import_rejects r WHERE r.import_id = import_rejects.import_id "
        "AND r.line > 1)",
};

static sqlite3_stmt *get(struct store_conn *base, enum sq_slot slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, sql[slot], err);
}

static enum kt_rc run(struct store_conn *base, sqlite3_stmt *st, int *changes, struct kt_err *err)
{
    return sq_run((struct sq_conn *)base, st, changes, err);
}

enum kt_rc sq_reject_add(struct store_conn *base, const struct import_reject *r, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_REJECT_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, r->import_id);
    sqlite3_bind_int64(st, 2, r->line);
    sqlite3_bind_int64(st, 3, r->at);
    struct sq_key k;
    sq_key_init(&k, (struct sq_conn *)base, 0, true);
    enum kt_rc rc = sq_bind_sealed(&k, st, 4, "import_rejects.csv", r->csv, err);
    sq_key_release(&k);
    if (rc != KT_OK) {
        sq_done(st);
        return rc;
    }
    int changes = 0;
    rc = run(base, st, &changes, err);
    if (rc != KT_OK || changes == 0 || r->n_keys == 0) {
        return rc;
    }
    int64_t id = sqlite3_last_insert_rowid(((struct sq_conn *)base)->db);
    st = get(base, SQ_REJECT_KEY, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    for (size_t i = 0; i < r->n_keys && rc == KT_OK; i++) {
        sqlite3_bind_blob(st, 1, r->keys[i], 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        rc = run(base, st, NULL, err);
    }
    return rc;
}

enum kt_rc sq_reject_clear(struct store_conn *base, const char *import_id, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_REJECT_CLEAR, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, import_id);
    return run(base, st, NULL, err);
}

/* Where the lines of a reject file go, and the count of those after the header. */
struct reject_file {
    struct sq_key *k;
    struct buf *out;
    int64_t *rows;
    enum kt_rc rc;
    struct kt_err *err;
};

static void append_line(sqlite3_stmt *st, void *ctx)
{
    struct reject_file *f = ctx;
    if (f->rc != KT_OK) {
        return;
    }
    struct arena a;
    arena_init(&a, 0);
    const char *line = sq_col_text(st, 1, &a);
    f->rc = sq_unseal(f->k, "import_rejects.csv", &line, &a, f->err);
    if (f->rc == KT_OK && line != NULL) {
        *f->rows += sqlite3_column_int64(st, 0) > IMPORT_REJECT_HEADER;
        buf_append(f->out, line, strlen(line));
    }
    arena_release(&a);
}

enum kt_rc sq_reject_file(struct store_conn *base, const char *import_id, struct buf *out,
                          int64_t *rows, struct kt_err *err)
{
    *rows = 0;
    sqlite3_stmt *st = get(base, SQ_REJECT_FILE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, import_id);
    struct sq_key k;
    sq_key_init(&k, (struct sq_conn *)base, 0, false);
    struct reject_file f = {&k, out, rows, KT_OK, err};
    enum kt_rc rc = sq_each((struct sq_conn *)base, st, append_line, &f, "reject file", err);
    sq_key_release(&k);
    return rc == KT_OK ? f.rc : rc;
}

enum kt_rc sq_reject_forget(struct store_conn *base, const unsigned char (*hashes)[32], size_t n,
                            int64_t *removed, struct kt_err *err)
{
    /* One primary-key probe per hash, as the suppression list does. */
    *removed = 0;
    sqlite3_stmt *st = get(base, SQ_REJECT_FORGET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; i < n && rc == KT_OK; i++) {
        sqlite3_bind_blob(st, 1, hashes[i], 32, SQLITE_STATIC);
        int changes = 0;
        rc = run(base, st, &changes, err);
        *removed += changes;
    }
    return rc;
}

enum kt_rc sq_reject_expire(struct store_conn *base, int64_t before, int limit, int64_t *removed,
                            struct kt_err *err)
{
    *removed = 0;
    sqlite3_stmt *st = get(base, SQ_REJECT_EXPIRE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, limit);
    int changes = 0;
    enum kt_rc rc = run(base, st, &changes, err);
    *removed = changes;
    if (rc == KT_OK && changes < limit) {
        st = get(base, SQ_REJECT_ORPHANS, err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sqlite3_bind_int64(st, 1, before);
        rc = run(base, st, NULL, err);
    }
    return rc;
}
