/*
 * blocks.c - the SQL side of blocking (152-FZ art. 21): a customer's blocks, the one in force
 * and the history, in table customer_blocks (0015_blocking.sql). What a block stops is decided
 * above the store (identity/block.c, privacy/block.c); the analytic queries leave blocked
 * customers out with SQL_NOT_BLOCKED (sql_int.h).
 *
 * The DPO's notes (`note`, `outcome_note`) are free text that may name the person: sealed under
 * the installation's key (ck 0), as a privacy request's note is (privacy.c) - the history of
 * blocks is kept after an erasure, with the register it answers.
 *
 * Statements are cached per connection in their slots of enum sql_slot; every value is bound.
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define BLOCK_COLS                                                                                 \
    "id, ck, customer_id, reason, privacy_request_id, note, blocked_at, key_id, unblocked_at, "    \
    "outcome, outcome_note, unblock_key_id"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_BLOCK_INSERT] = "INSERT INTO customer_blocks (" BLOCK_COLS ") "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, NULL, NULL)",
    /* A blocked customer is in no segment from the moment of the block (a refresh would take
     * them out too, but only at its next run). */
    [SQL_BLOCK_LEAVE_SEGMENTS] = "UPDATE segment_members SET left_at = ?2 "
                                 "WHERE ck = ?1 AND left_at IS NULL",
    /* Nor does a message still queued for them go out: a one-time code queued before the block
     * would otherwise reach the phone after it (the rows of those merged into them too). The
     * row stays, suppressed "blocked", its content (the code) gone; the sender's policy refuses
     * what is queued later while the block holds. */
    [SQL_BLOCK_RECALL] = "UPDATE outbox SET state = 'suppressed', reason = 'blocked', "
                         "content = NULL, updated_at = ?2 WHERE state = 'queued' AND (ck = ?1 "
                         "OR ck IN (SELECT ck FROM customers WHERE merged_into = ?1))",
    [SQL_BLOCK_IN_FORCE] = "SELECT count(*) FROM customer_blocks "
                           "WHERE ck = ?1 AND unblocked_at IS NULL",
    [SQL_BLOCK_GET] = "SELECT " BLOCK_COLS " FROM customer_blocks "
                      "WHERE ck = ?1 AND unblocked_at IS NULL",
    [SQL_BLOCK_END] =
        "UPDATE customer_blocks SET unblocked_at = ?2, outcome = ?3, "
        "outcome_note = ?4, unblock_key_id = ?5 WHERE ck = ?1 AND unblocked_at IS NULL",
    [SQL_BLOCK_LIST] = "SELECT " BLOCK_COLS " FROM customer_blocks WHERE ck = ?1 "
                       "ORDER BY blocked_at, id",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

#define TEXT(i) sql_col_text(st, (i), a)
#define I64(i)  sql_col_i64(st, (i))

static void read_block(struct sql_stmt *st, struct arena *a, void *out)
{
    struct customer_block *b = out;
    memset(b, 0, sizeof(*b));
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(b->id, id ? (const char *)id : "", sizeof(b->id));
    b->ck = I64(1);
    b->customer_id = TEXT(2);
    b->reason = TEXT(3);
    b->privacy_request_id = TEXT(4);
    b->note = TEXT(5);
    b->blocked_at = I64(6);
    b->key_id = TEXT(7);
    b->unblocked_at = I64(8);
    b->outcome = TEXT(9);
    b->outcome_note = TEXT(10);
    b->unblock_key_id = TEXT(11);
}

/* Binds a note sealed under the installation's key; on failure the statement is reset. */
static enum kt_rc seal_note(struct sql_conn *c, struct sql_stmt *st, int i, const char *column,
                            const char *note, struct kt_err *err)
{
    struct sql_key k;
    sql_key_init(&k, c, 0, true);
    enum kt_rc rc = sql_bind_sealed(&k, st, i, column, note, err);
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
    }
    return rc;
}

/* Opens the notes of `n` blocks read back. */
static enum kt_rc open_notes(struct sql_conn *c, struct customer_block *b, size_t n,
                             struct arena *a, struct kt_err *err)
{
    struct sql_key k;
    sql_key_init(&k, c, 0, false);
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        rc = sql_unseal(&k, "customer_blocks.note", &b[i].note, a, err);
        if (rc == KT_OK) {
            rc = sql_unseal(&k, "customer_blocks.outcome_note", &b[i].outcome_note, a, err);
        }
    }
    sql_key_release(&k);
    return rc;
}

enum kt_rc sql_block_insert(struct store_conn *base, const struct customer_block *b,
                            struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = get(base, SQL_BLOCK_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, b->id);
    sql_bind_i64(st, 2, b->ck);
    sql_bind_text(st, 3, b->customer_id);
    sql_bind_text(st, 4, b->reason);
    sql_bind_text(st, 5, b->privacy_request_id);
    if (seal_note(c, st, 6, "customer_blocks.note", b->note, err) != KT_OK) {
        return err->rc;
    }
    sql_bind_i64(st, 7, b->blocked_at);
    sql_bind_text(st, 8, b->key_id);
    int rc = sql_step(st);
    sql_done(st);
    if (rc == SQL_CONSTRAINT) { /* the partial unique index: one block in force */
        return kt_err_set(err, KT_ECONFLICT, "already_blocked", "id",
                          "the customer is blocked already; unblock first");
    }
    if (rc != SQL_DONE) {
        return sql_fail(c, rc, "block insert", err);
    }
    st = get(base, SQL_BLOCK_LEAVE_SEGMENTS, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, b->ck);
    sql_bind_i64(st, 2, b->blocked_at);
    if (sql_run(c, st, NULL, err) != KT_OK) {
        return err->rc;
    }
    st = get(base, SQL_BLOCK_RECALL, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, b->ck);
    sql_bind_i64(st, 2, b->blocked_at);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_block_in_force(struct store_conn *base, int64_t ck, bool *blocked,
                              struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_BLOCK_IN_FORCE, err);
    int64_t n = 0;
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    enum kt_rc rc = sql_int_row((struct sql_conn *)base, st, &n, 1, "block in force", err);
    *blocked = n > 0;
    return rc;
}

enum kt_rc sql_block_get(struct store_conn *base, int64_t ck, struct arena *a,
                         struct customer_block *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_BLOCK_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    enum kt_rc rc = sql_one((struct sql_conn *)base, st, read_block, a, out, found, "not_blocked",
                            "the customer is not blocked", err);
    return rc == KT_OK && (found == NULL || *found)
               ? open_notes((struct sql_conn *)base, out, 1, a, err)
               : rc;
}

enum kt_rc sql_block_end(struct store_conn *base, int64_t ck, int64_t at, const char *outcome,
                         const char *note, const char *key_id, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_BLOCK_END, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_i64(st, 2, at);
    sql_bind_text(st, 3, outcome);
    if (seal_note((struct sql_conn *)base, st, 4, "customer_blocks.outcome_note", note, err) !=
        KT_OK) {
        return err->rc;
    }
    sql_bind_text(st, 5, key_id);
    int changes = 0;
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, &changes, err);
    if (rc == KT_OK && found != NULL) {
        *found = changes > 0;
    }
    return rc == KT_OK && changes == 0 ? sql_not_found(found, err, "not_blocked", "block") : rc;
}

enum kt_rc sql_block_list(struct store_conn *base, int64_t ck, struct arena *a,
                          struct customer_block **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_BLOCK_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    enum kt_rc rc =
        sql_rows((struct sql_conn *)base, st, read_block, sizeof(**out), a, out, n, "blocks", err);
    return rc == KT_OK ? open_notes((struct sql_conn *)base, *out, *n, a, err) : rc;
}
