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
#include <string.h>

#include "store/sql/sql_int.h"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_AUDIT_ANCHOR] = SQL_AUDIT_ANCHOR_SQL,
    [SQL_AUDIT_LAST] = SQL_AUDIT_LAST_SQL("audit"),
    [SQL_AUDIT_ADD] = SQL_AUDIT_ADD_SQL("audit"),
    [SQL_AUDIT_SEAL] = SQL_AUDIT_SEAL_SQL,
    [SQL_AUDIT_LIST] = SQL_AUDIT_LIST_SQL("audit"),
    [SQL_AUDIT_LEGACY] = SQL_AUDIT_LEGACY_SQL("audit"),
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

#define TEXT(i) sql_col_text(st, (i), a)
#define I64(i)  sql_col_i64(st, (i))

void sql_audit_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct audit_entry *e = out;
    *e = (struct audit_entry){I64(0),  I64(1),  TEXT(2), TEXT(3), TEXT(4),
                              TEXT(5), TEXT(6), TEXT(7), TEXT(8), TEXT(9)};
}

/* ---- the chain, for both logs ------------------------------------------------------------- */

static void copy_hex(char *dst, const char *src)
{
    kt_strlcpy(dst, src ? (const char *)src : "", AUDIT_HASH_HEX);
}

int sql_chain_head(const struct sql_chain_stmts *q, struct audit_chain *out)
{
    memset(out, 0, sizeof(*out));
    sql_bind_textn(q->anchor, 1, q->log, -1, SQL_STATIC);
    int rc = sql_step(q->anchor);
    if (rc == SQL_ROW) { /* a missing anchor is a chain from zero, which verify reports */
        out->anchor_seq = sql_col_i64(q->anchor, 0);
        out->anchor_rows = sql_col_i64(q->anchor, 1);
        out->anchor_at = sql_col_i64(q->anchor, 2);
        copy_hex(out->anchor_mac, sql_col_str(q->anchor, 3));
        rc = SQL_DONE;
    }
    sql_done(q->anchor);
    if (rc != SQL_DONE) {
        return rc;
    }
    out->last_seq = out->anchor_seq;
    rc = sql_step(q->last);
    if (rc == SQL_ROW && sql_col_i64(q->last, 0) > out->anchor_seq) {
        out->last_seq = sql_col_i64(q->last, 0);
        copy_hex(out->last_hash, sql_col_str(q->last, 1));
    }
    rc = rc == SQL_ROW ? SQL_DONE : rc;
    sql_done(q->last);
    return rc == SQL_DONE ? SQL_OK : rc;
}

static int add_one(struct sql_stmt *st, const struct audit_entry *e)
{
    sql_bind_i64(st, 1, e->seq);
    sql_bind_i64(st, 2, e->at);
    const char *text[] = {e->key_id, e->action,     e->customer_id, e->fields,
                          e->detail, e->request_id, e->ip,          e->hash};
    for (int i = 0; i < 8; i++) {
        sql_bind_text(st, 3 + i, text[i]);
    }
    int rc = sql_step(st);
    sql_done(st);
    return rc == SQL_DONE ? SQL_OK : rc;
}

int sql_chain_append(const struct sql_chain_stmts *q, struct audit_entry *e, size_t n,
                     store_audit_seal_fn seal, void *ctx, struct kt_err *err)
{
    struct audit_chain ch;
    int rc = sql_chain_head(q, &ch);
    if (rc != SQL_OK) {
        return rc;
    }
    bool unsealed = ch.anchor_mac[0] == '\0';
    if (seal(ctx, &ch, e, n, err) != KT_OK) {
        return SQL_ABORT;
    }
    if (unsealed && ch.anchor_mac[0] != '\0') {
        sql_bind_textn(q->seal, 1, q->log, -1, SQL_STATIC);
        sql_bind_textn(q->seal, 2, ch.anchor_mac, -1, SQL_TRANSIENT);
        rc = sql_step(q->seal);
        sql_done(q->seal);
        rc = rc == SQL_DONE ? SQL_OK : rc;
    }
    for (size_t i = 0; rc == SQL_OK && i < n; i++) {
        rc = add_one(q->add, &e[i]);
    }
    return rc;
}

/* ---- the log of changes ------------------------------------------------------------------- */

/* Its statements on connection `base`; false (err set) when one cannot be prepared. */
static bool chain_stmts(struct store_conn *base, struct sql_chain_stmts *q, struct kt_err *err)
{
    q->log = "changes";
    q->anchor = get(base, SQL_AUDIT_ANCHOR, err);
    q->last = q->anchor ? get(base, SQL_AUDIT_LAST, err) : NULL;
    q->add = q->last ? get(base, SQL_AUDIT_ADD, err) : NULL;
    q->seal = q->add ? get(base, SQL_AUDIT_SEAL, err) : NULL;
    return q->seal != NULL;
}

enum kt_rc sql_audit_add(struct store_conn *base, struct audit_entry *e, size_t n,
                         store_audit_seal_fn seal, void *ctx, struct kt_err *err)
{
    struct sql_chain_stmts q;
    if (!chain_stmts(base, &q, err)) {
        return KT_ESTORE;
    }
    int rc = sql_chain_append(&q, e, n, seal, ctx, err);
    if (rc == SQL_ABORT && err != NULL && err->rc != KT_OK) {
        return err->rc;
    }
    return rc == SQL_OK ? KT_OK : sql_fail((struct sql_conn *)base, rc, "audit add", err);
}

enum kt_rc sql_audit_chain(struct store_conn *base, struct audit_chain *out, struct kt_err *err)
{
    struct sql_chain_stmts q;
    struct sql_stmt *st;
    if (!chain_stmts(base, &q, err) || (st = get(base, SQL_AUDIT_LEGACY, err)) == NULL) {
        return KT_ESTORE;
    }
    int rc = sql_chain_head(&q, out);
    if (rc != SQL_OK) {
        return sql_fail((struct sql_conn *)base, rc, "audit chain", err);
    }
    sql_bind_i64(st, 1, out->anchor_seq);
    return sql_int_row((struct sql_conn *)base, st, &out->legacy_rows, 1, "audit legacy", err);
}

enum kt_rc sql_audit_list(struct store_conn *base, const struct audit_filter *f, struct arena *a,
                          struct audit_entry **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_AUDIT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, f->after_seq);
    sql_bind_text(st, 2, f->customer_id);
    sql_bind_text(st, 3, f->key_id);
    sql_bind_text(st, 4, f->action);
    sql_bind_i64_or_null(st, 5, f->since);
    sql_bind_i64_or_null(st, 6, f->until);
    sql_bind_i64(st, 7, f->limit);
    return sql_rows((struct sql_conn *)base, st, sql_audit_row, sizeof(**out), a, out, n, "audit",
                    err);
}
