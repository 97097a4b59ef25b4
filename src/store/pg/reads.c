/*
 * reads.c - the PostgreSQL backend's log of reads (store_reads_add, _chain, _list, _subjects): a
 * table of the main database, append-only by its triggers and chained like the log of changes
 * (sql/audit.c) under its own anchor ('reads'). A flush appends in a transaction of its own,
 * under a lock of the chain's head held for that transaction, so servers flushing at once chain
 * their entries one after the other.
 */
#include "store/pg/pg_int.h"

#define READS_LOCK "SELECT pg_advisory_xact_lock(7201603)"

static const char subjects_sql[] =
    "SELECT count(DISTINCT customer_id), coalesce(sum(CASE WHEN customer_id IS NULL THEN 1 "
    "ELSE 0 END), 0) FROM reads WHERE at >= ?1 AND at < ?2 AND "
    "((jsonb_array_length(?3::jsonb) = 0 AND jsonb_array_length(?4::jsonb) = 0) "
    "OR key_id IN (SELECT jsonb_array_elements_text(?3::jsonb)) "
    "OR ip IN (SELECT jsonb_array_elements_text(?4::jsonb))) "
    "AND (jsonb_array_length(?5::jsonb) = 0 OR EXISTS (SELECT 1 FROM "
    "jsonb_array_elements_text(?5::jsonb) r(v) WHERE reads.detail = r.v OR "
    "substr(reads.detail, 1, length(r.v) + 1) = r.v || ' '))";

/* The chain's statements, kept on the connection. */
static bool chain_stmts(struct pg_conn *c, struct sql_chain_stmts *q, bool legacy,
                        struct sql_stmt **count, struct kt_err *err)
{
    const char *text[] = {SQL_AUDIT_ANCHOR_SQL, SQL_AUDIT_LAST_SQL("reads"),
                          SQL_AUDIT_ADD_SQL("reads"), SQL_AUDIT_SEAL_SQL,
                          SQL_AUDIT_LEGACY_SQL("reads")};
    struct sql_stmt **st[] = {&q->anchor, &q->last, &q->add, &q->seal, count};
    q->log = "reads";
    for (size_t i = 0; i < (legacy ? 5u : 4u); i++) {
        bool keep = false;
        *st[i] = sql_stmt_kept(&c->base, text[i], &keep, err);
        if (*st[i] == NULL || !keep) {
            sql_finalize(keep ? NULL : *st[i]);
            return false;
        }
    }
    return true;
}

enum kt_rc pg_reads_add(struct store *base, struct audit_entry *e, size_t n,
                        store_audit_seal_fn seal, void *ctx, struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c = NULL;
    enum kt_rc rc = pg_pool_get(s, &s->rw, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct sql_chain_stmts q = {0};
    int src = pg_exec(c, "BEGIN");
    src = src == SQL_OK ? pg_exec(c, READS_LOCK) : src;
    if (src == SQL_OK && !chain_stmts(c, &q, false, NULL, err)) {
        rc = err ? err->rc : KT_ESTORE;
    }
    if (rc == KT_OK && src == SQL_OK) {
        src = sql_chain_append(&q, e, n, seal, ctx, err);
        src = src == SQL_OK ? pg_exec(c, "COMMIT") : src;
    }
    if (rc == KT_OK && src != SQL_OK) {
        rc = src == SQL_ABORT && err != NULL && err->rc != KT_OK
                 ? err->rc
                 : pg_fail(c, src, "reads add", err);
    }
    if (rc != KT_OK) {
        pg_exec(c, "ROLLBACK");
    }
    pg_pool_put(&s->rw, c);
    return rc;
}

enum kt_rc pg_reads_chain(struct store *base, struct audit_chain *out, struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c = NULL;
    enum kt_rc rc = pg_pool_get(s, &s->rw, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct sql_chain_stmts q = {0};
    struct sql_stmt *count = NULL;
    if (!chain_stmts(c, &q, true, &count, err)) {
        pg_pool_put(&s->rw, c);
        return err ? err->rc : KT_ESTORE;
    }
    int src = sql_chain_head(&q, out);
    if (src != SQL_OK) {
        rc = pg_fail(c, src, "reads chain", err);
    } else {
        sql_bind_i64(count, 1, out->anchor_seq);
        rc = sql_int_row(&c->base, count, &out->legacy_rows, 1, "reads chain", err);
    }
    pg_pool_put(&s->rw, c);
    return rc;
}

enum kt_rc pg_reads_list(struct store *base, const struct audit_filter *f, struct arena *a,
                         struct audit_entry **out, size_t *n, struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c = NULL;
    *out = NULL;
    *n = 0;
    enum kt_rc rc = pg_pool_get(s, &s->rw, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    bool keep = false;
    struct sql_stmt *st = sql_stmt_kept(&c->base, SQL_AUDIT_LIST_SQL("reads"), &keep, err);
    if (st != NULL) {
        sql_bind_i64(st, 1, f->after_seq);
        sql_bind_text(st, 2, f->customer_id);
        sql_bind_text(st, 3, f->key_id);
        sql_bind_text(st, 4, f->action);
        sql_bind_i64_or_null(st, 5, f->since);
        sql_bind_i64_or_null(st, 6, f->until);
        sql_bind_i64(st, 7, f->limit);
        rc = sql_rows(&c->base, st, sql_audit_row, sizeof(**out), a, out, n, "reads list", err);
        if (!keep) {
            sql_finalize(st);
        }
    } else {
        rc = err ? err->rc : KT_ESTORE;
    }
    pg_pool_put(&s->rw, c);
    return rc;
}

enum kt_rc pg_reads_subjects(struct store *base, const struct reads_filter *f, int64_t *subjects,
                             int64_t *bulk, struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c = NULL;
    *subjects = *bulk = 0;
    enum kt_rc rc = pg_pool_get(s, &s->ro, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    c->base.analytics = true; /* back to its pool */
    struct sql_stmt *st = NULL;
    int src = sql_prepare(&c->base, subjects_sql, &st);
    if (src != SQL_OK) {
        rc = pg_fail(c, src, "reads subjects", err);
    } else {
        sql_bind_i64(st, 1, f->since);
        sql_bind_i64(st, 2, f->until);
        sql_bind_text(st, 3, f->key_ids);
        sql_bind_text(st, 4, f->ips);
        sql_bind_text(st, 5, f->routes);
        int64_t v[2] = {0, 0};
        rc = sql_int_row(&c->base, st, v, 2, "reads subjects", err);
        *subjects = v[0];
        *bulk = v[1];
    }
    sql_finalize(st);
    c->base.analytics = false;
    pg_pool_put(&s->ro, c);
    return rc;
}

enum kt_rc pg_reads_conn(struct store *base, struct sql_conn **out, struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c = NULL;
    enum kt_rc rc = pg_pool_get(s, &s->rw, &c, err);
    *out = rc == KT_OK ? &c->base : NULL;
    return rc;
}

void pg_reads_conn_put(struct store *base, struct sql_conn *c)
{
    pg_pool_put(&((struct pg_store *)base)->rw, (struct pg_conn *)c);
}
