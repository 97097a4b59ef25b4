/*
 * audit.c - the audit log of changes (table `audit`, 0003_privacy.sql and 0014_audit_chain.sql)
 * and what it shares with the log of reads (reads.c): appending entries to a chain of hashes,
 * reading where a chain stands, listing entries.
 *
 * The store makes no hash: consent/audit.c does, through the seal callback, called here inside
 * the transaction that appends, so the head it chains from is the one the entries follow. For
 * the log of changes that transaction is the caller's write transaction and the single writer
 * orders every append; the log of reads appends in a transaction of its own under its mutex.
 * Entries carry their seq explicitly (the head's plus one): a seq is part of what is hashed.
 */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_AUDIT_ANCHOR] = SQ_AUDIT_ANCHOR_SQL,      [SQ_AUDIT_LAST] = SQ_AUDIT_LAST_SQL("audit"),
    [SQ_AUDIT_ADD] = SQ_AUDIT_ADD_SQL("audit"),   [SQ_AUDIT_SEAL] = SQ_AUDIT_SEAL_SQL,
    [SQ_AUDIT_LIST] = SQ_AUDIT_LIST_SQL("audit"), [SQ_AUDIT_LEGACY] = SQ_AUDIT_LEGACY_SQL("audit"),
};

static sqlite3_stmt *get(struct store_conn *base, enum sq_slot slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, sql[slot], err);
}

#define TEXT(i) sq_col_text(st, (i), a)
#define I64(i)  sqlite3_column_int64(st, (i))

void sq_audit_row(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct audit_entry *e = out;
    *e = (struct audit_entry){I64(0),  I64(1),  TEXT(2), TEXT(3), TEXT(4),
                              TEXT(5), TEXT(6), TEXT(7), TEXT(8), TEXT(9)};
}

/* ---- the chain, for both logs ------------------------------------------------------------- */

static void copy_hex(char *dst, const unsigned char *src)
{
    kt_strlcpy(dst, src ? (const char *)src : "", AUDIT_HASH_HEX);
}

int sq_chain_head(const struct sq_chain_stmts *q, struct audit_chain *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_bind_text(q->anchor, 1, q->log, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q->anchor);
    if (rc == SQLITE_ROW) { /* a missing anchor is a chain from zero, which verify reports */
        out->anchor_seq = sqlite3_column_int64(q->anchor, 0);
        out->anchor_rows = sqlite3_column_int64(q->anchor, 1);
        out->anchor_at = sqlite3_column_int64(q->anchor, 2);
        copy_hex(out->anchor_mac, sqlite3_column_text(q->anchor, 3));
        rc = SQLITE_DONE;
    }
    sq_done(q->anchor);
    if (rc != SQLITE_DONE) {
        return rc;
    }
    out->last_seq = out->anchor_seq;
    rc = sqlite3_step(q->last);
    if (rc == SQLITE_ROW && sqlite3_column_int64(q->last, 0) > out->anchor_seq) {
        out->last_seq = sqlite3_column_int64(q->last, 0);
        copy_hex(out->last_hash, sqlite3_column_text(q->last, 1));
    }
    rc = rc == SQLITE_ROW ? SQLITE_DONE : rc;
    sq_done(q->last);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int add_one(sqlite3_stmt *st, const struct audit_entry *e)
{
    sqlite3_bind_int64(st, 1, e->seq);
    sqlite3_bind_int64(st, 2, e->at);
    const char *text[] = {e->key_id, e->action,     e->customer_id, e->fields,
                          e->detail, e->request_id, e->ip,          e->hash};
    for (int i = 0; i < 8; i++) {
        sq_bind_text(st, 3 + i, text[i]);
    }
    int rc = sqlite3_step(st);
    sq_done(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int sq_chain_append(const struct sq_chain_stmts *q, struct audit_entry *e, size_t n,
                    store_audit_seal_fn seal, void *ctx, struct kt_err *err)
{
    struct audit_chain ch;
    int rc = sq_chain_head(q, &ch);
    if (rc != SQLITE_OK) {
        return rc;
    }
    bool unsealed = ch.anchor_mac[0] == '\0';
    if (seal(ctx, &ch, e, n, err) != KT_OK) {
        return SQLITE_ABORT;
    }
    if (unsealed && ch.anchor_mac[0] != '\0') {
        sqlite3_bind_text(q->seal, 1, q->log, -1, SQLITE_STATIC);
        sqlite3_bind_text(q->seal, 2, ch.anchor_mac, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(q->seal);
        sq_done(q->seal);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        rc = add_one(q->add, &e[i]);
    }
    return rc;
}

/* ---- the log of changes ------------------------------------------------------------------- */

/* Its statements on connection `base`; false (err set) when one cannot be prepared. */
static bool chain_stmts(struct store_conn *base, struct sq_chain_stmts *q, struct kt_err *err)
{
    q->log = "changes";
    q->anchor = get(base, SQ_AUDIT_ANCHOR, err);
    q->last = q->anchor ? get(base, SQ_AUDIT_LAST, err) : NULL;
    q->add = q->last ? get(base, SQ_AUDIT_ADD, err) : NULL;
    q->seal = q->add ? get(base, SQ_AUDIT_SEAL, err) : NULL;
    return q->seal != NULL;
}

enum kt_rc sq_audit_add(struct store_conn *base, struct audit_entry *e, size_t n,
                        store_audit_seal_fn seal, void *ctx, struct kt_err *err)
{
    struct sq_chain_stmts q;
    if (!chain_stmts(base, &q, err)) {
        return KT_ESTORE;
    }
    int rc = sq_chain_append(&q, e, n, seal, ctx, err);
    if (rc == SQLITE_ABORT && err != NULL && err->rc != KT_OK) {
        return err->rc;
    }
    return rc == SQLITE_OK ? KT_OK : sq_fail((struct sq_conn *)base, rc, "audit add", err);
}

enum kt_rc sq_audit_chain(struct store_conn *base, struct audit_chain *out, struct kt_err *err)
{
    struct sq_chain_stmts q;
    sqlite3_stmt *st;
    if (!chain_stmts(base, &q, err) || (st = get(base, SQ_AUDIT_LEGACY, err)) == NULL) {
        return KT_ESTORE;
    }
    int rc = sq_chain_head(&q, out);
    if (rc != SQLITE_OK) {
        return sq_fail((struct sq_conn *)base, rc, "audit chain", err);
    }
    sqlite3_bind_int64(st, 1, out->anchor_seq);
    return sq_int_row((struct sq_conn *)base, st, &out->legacy_rows, 1, "audit legacy", err);
}

enum kt_rc sq_audit_list(struct store_conn *base, const struct audit_filter *f, struct arena *a,
                         struct audit_entry **out, size_t *n, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_AUDIT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, f->after_seq);
    sq_bind_text(st, 2, f->customer_id);
    sq_bind_text(st, 3, f->key_id);
    sq_bind_text(st, 4, f->action);
    sq_bind_i64_or_null(st, 5, f->since);
    sq_bind_i64_or_null(st, 6, f->until);
    sqlite3_bind_int(st, 7, f->limit);
    return sq_rows((struct sq_conn *)base, st, sq_audit_row, sizeof(**out), a, out, n, "audit",
                   err);
}
