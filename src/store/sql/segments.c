/*
 * segments.c - the SQL side of segment/: a condition's size and members (its SQL is made by
 * cond.c), RFM rows, traits and their definitions, saved segments and their membership, and the
 * features of clustering (0008_traits.sql, 0009_segments.sql, 0010_trait_defs.sql). The
 * requests' statements are cached per connection in their slots of enum sql_slot (sql_int.h);
 * the analytic and admin ones are prepared for the call.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store/sql/sql_int.h"

/* The statement "<head> <condition> <tail>" with the condition's values bound. */
static struct sql_stmt *prepare(struct sql_conn *c, struct sql_cond_sql *q, const char *head,
                                const char *tail, struct kt_err *err)
{
    char *sql = sql_printf("%s %s %s", head, buf_cstr(&q->sql), tail);
    struct sql_stmt *st = NULL;
    int rc = sql_prepare(c, sql, &st);
    free(sql);
    if (rc != SQL_OK) {
        sql_fail(c, rc, "segment", err);
        return NULL;
    }
    for (size_t i = 0; i < q->n; i++) {
        if (q->p[i].is_int) {
            sql_bind_i64(st, (int)i + 1, q->p[i].i);
        } else {
            sql_bind_textn(st, (int)i + 1, q->p[i].s, -1, SQL_STATIC);
        }
    }
    return st;
}

static enum kt_rc sealed(const char *what, struct kt_err *err)
{
    return kt_err_set(err, KT_EINVAL, "field_sealed", "query",
                      "'%s' is sealed at rest: a segment can ask whether it is set, not what it "
                      "holds",
                      what);
}

/* A comparison the store cannot make: with a sealed field's value (the retailer's policy,
 * --sealed-fields) or a free-text attribute's (`free`, sealed always). Whether a field is set,
 * or verified, can still be asked. */
static enum kt_rc refuse_sealed(struct sql_conn *c, const struct store_cond *n,
                                const char *const *free, size_t n_free, struct kt_err *err)
{
    struct sql_store *s = (struct sql_store *)c->base.store;
    if (n == NULL) {
        return KT_OK;
    }
    switch (n->kind) {
    case COND_AND:
    case COND_OR:
    case COND_NOT: {
        enum kt_rc rc = refuse_sealed(c, n->a, free, n_free, err);
        return rc == KT_OK ? refuse_sealed(c, n->b, free, n_free, err) : rc;
    }
    case COND_FIELD_CMP:
    case COND_FIELD_IN:
        return sql_pf_sealed(s, n->field) ? sealed(pf_names[n->field], err) : KT_OK;
    case COND_BIRTHDAY_IN:
        return sql_pf_sealed(s, PF_BIRTH_DATE) ? sealed("birth_date", err) : KT_OK;
    case COND_ATTR:
    case COND_ATTR_CONTAINS:
        for (size_t i = 0; i < n_free; i++) {
            if (strcmp(free[i], n->name) == 0) {
                return sealed(n->name, err);
            }
        }
        return KT_OK;
    default:
        return KT_OK;
    }
}

/* The condition's SQL, or KT_ETOOBIG when it is more than one statement may bind; KT_EINVAL
 * "field_sealed" for a comparison with a value sealed at rest. */
static enum kt_rc cond_sql(struct sql_conn *c, const struct store_cond *n, struct arena *a,
                           struct sql_cond_sql *q, struct kt_err *err)
{
    const char **free = NULL;
    size_t n_free = 0;
    enum kt_rc rc = sql_attrs_free_text(c, a, &free, &n_free, err);
    rc = rc == KT_OK ? refuse_sealed(c, n, free, n_free, err) : rc;
    if (rc != KT_OK) {
        return rc;
    }
    q->pg = sql_dialect(c) == SQL_PG;
    sql_cond_sql(n, a, q);
    if (q->sql.failed || q->n >= SQL_COND_PARAMS) {
        buf_release(&q->sql);
        return kt_err_set(err, KT_ETOOBIG, "query_too_big", "query",
                          "the query has too many conditions");
    }
    return KT_OK;
}

enum kt_rc sql_segment_check(struct store_conn *base, const struct store_cond *n,
                             struct kt_err *err)
{
    struct arena a;
    struct sql_cond_sql q;
    arena_init(&a, 0);
    enum kt_rc rc = cond_sql((struct sql_conn *)base, n, &a, &q, err);
    if (rc == KT_OK) {
        buf_release(&q.sql);
    }
    arena_release(&a);
    return rc;
}

enum kt_rc sql_segment_preview(struct store_conn *base, const struct store_cond *n, int sample,
                               struct arena *a, int64_t *count, const char ***ids, size_t *n_ids,
                               struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_cond_sql q;
    enum kt_rc r = cond_sql(c, n, a, &q, err);
    if (r != KT_OK) {
        return r;
    }
    *count = 0;
    *ids = NULL;
    *n_ids = 0;
    struct sql_stmt *st = prepare(c, &q, "SELECT count(*)", "", err);
    r = st == NULL ? KT_ESTORE : sql_int_row(c, st, count, 1, "segment count", err);
    sql_finalize(st);
    if (r == KT_OK && sample > 0) {
        st = prepare(c, &q, "SELECT c.id", "ORDER BY c.ck LIMIT ?", err);
        if (st == NULL) {
            r = KT_ESTORE;
        } else {
            sql_bind_i64(st, (int)q.n + 1, sample);
            r = sql_rows(c, st, sql_row_text, sizeof(**ids), a, ids, n_ids, "segment sample", err);
            sql_finalize(st);
        }
    }
    buf_release(&q.sql);
    return r;
}

/* ---- RFM and traits (not cached: a report and a job, not a request path) ------------------- */

static void rfm_row(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct rfm_row *)out =
        (struct rfm_row){sql_col_i64(st, 0), sql_col_text(st, 1, a), sql_col_i64(st, 2),
                         sql_col_i64(st, 3), sql_col_i64(st, 4)};
}

enum kt_rc sql_rfm_rows(struct store_conn *base, int64_t now, struct arena *a, struct rfm_row **out,
                        size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    static const char sql[] =
        "SELECT c.ck, c.id, max(p.at), count(*), sum(p.total) - coalesce(sum((SELECT "
        "sum(r.amount) FROM refunds r WHERE r.purchase_id = p.id AND r.at <= ?1)), 0) "
        "FROM purchases p JOIN customers c ON c.ck = p.ck "
        "WHERE p.at <= ?1 AND c.merged_into IS NULL AND c.erased_at IS NULL AND" SQL_NOT_BLOCKED(
            "c.ck") "GROUP BY c.ck ORDER BY c.ck";
    struct sql_stmt *st = NULL;
    int rc = sql_prepare(c, sql, &st);
    if (rc != SQL_OK) {
        return sql_fail(c, rc, "rfm", err);
    }
    sql_bind_i64(st, 1, now);
    enum kt_rc r = sql_rows(c, st, rfm_row, sizeof(**out), a, out, n, "rfm", err);
    sql_finalize(st);
    return r;
}

enum kt_rc sql_trait_put(struct store_conn *base, int64_t ck, const struct trait *t,
                         struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        sql_stmt(c, SQL_TRAIT_PUT,
                 "INSERT INTO traits (ck, name, value, computed_at) SELECT ?1, "
                 "?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM customers WHERE ck = ?1 "
                 "AND merged_into IS NULL AND erased_at IS NULL) AND" SQL_NOT_BLOCKED(
                     "?1") "ON CONFLICT (ck, "
                           "name) DO UPDATE SET value = excluded.value, computed_at = "
                           "excluded.computed_at",
                 err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_text(st, 2, t->name);
    sql_bind_text(st, 3, t->value);
    sql_bind_i64(st, 4, t->computed_at);
    return sql_run(c, st, NULL, err);
}

static void trait_row(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct trait *)out =
        (struct trait){sql_col_text(st, 0, a), sql_col_text(st, 1, a), sql_col_i64(st, 2)};
}

enum kt_rc sql_traits_list(struct store_conn *base, int64_t ck, struct arena *a, struct trait **out,
                           size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        sql_stmt(c, SQL_TRAIT_LIST,
                 "SELECT name, value, computed_at FROM traits WHERE ck = ?1 ORDER BY name", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    return sql_rows(c, st, trait_row, sizeof(**out), a, out, n, "traits", err);
}

/* ---- saved segments (admin operations: statements prepared per call) ----------------------- */

static struct sql_stmt *once(struct sql_conn *c, const char *text, struct kt_err *err)
{
    return sql_prepare_once(c, text, "segments", err);
}

static enum kt_rc run_once(struct sql_conn *c, struct sql_stmt *st, int *changes,
                           struct kt_err *err)
{
    int rc = sql_step(st);
    if (changes) {
        *changes = sql_changes(c);
    }
    sql_finalize(st);
    return rc == SQL_DONE ? KT_OK : sql_fail(c, rc, "segments", err);
}

#define SEGMENT_COLS "id, name, query, created_at, updated_at, refreshed_at, size, key_id"

static void segment_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct segment *s = out;
    memset(s, 0, sizeof(*s));
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(s->id, id ? (const char *)id : "", sizeof(s->id));
    s->name = sql_col_text(st, 1, a);
    s->query = sql_col_text(st, 2, a);
    s->created_at = sql_col_i64(st, 3);
    s->updated_at = sql_col_i64(st, 4);
    s->refreshed_at = sql_col_i64(st, 5);
    s->size = sql_col_i64(st, 6);
    s->key_id = sql_col_text(st, 7, a);
}

enum kt_rc sql_segment_put(struct store_conn *base, const struct segment *sg, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c,
             "INSERT INTO segments (" SEGMENT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
             "?6, ?7, ?8) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
             "query = excluded.query, updated_at = excluded.updated_at",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, sg->id);
    sql_bind_text(st, 2, sg->name);
    sql_bind_text(st, 3, sg->query);
    sql_bind_i64(st, 4, sg->created_at);
    sql_bind_i64(st, 5, sg->updated_at);
    sql_bind_i64_or_null(st, 6, sg->refreshed_at);
    sql_bind_i64(st, 7, sg->size);
    sql_bind_text(st, 8, sg->key_id);
    int rc = sql_step(st);
    sql_finalize(st);
    if (rc == SQL_CONSTRAINT) {
        return kt_err_set(err, KT_ECONFLICT, "name_taken", "name", "another segment has that name");
    }
    return rc == SQL_DONE ? KT_OK : sql_fail(c, rc, "segment put", err);
}

enum kt_rc sql_segment_get(struct store_conn *base, const char *id_or_name, struct arena *a,
                           struct segment *out, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c, "SELECT " SEGMENT_COLS " FROM segments WHERE id = ?1 OR name = ?1", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id_or_name);
    bool found;
    enum kt_rc r =
        sql_one(c, st, segment_row, a, out, &found, "segment_not_found", "no such segment", err);
    sql_finalize(st);
    if (r == KT_OK && !found) { /* the path's {id} names it */
        r = kt_err_set(err, KT_ENOTFOUND, "segment_not_found", "id", "no such segment");
    }
    return r;
}

enum kt_rc sql_segment_list(struct store_conn *base, struct arena *a, struct segment **out,
                            size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c, "SELECT " SEGMENT_COLS " FROM segments ORDER BY name", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    enum kt_rc r = sql_rows(c, st, segment_row, sizeof(**out), a, out, n, "segment list", err);
    sql_finalize(st);
    return r;
}

enum kt_rc sql_segment_delete(struct store_conn *base, const char *id, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c, "DELETE FROM segment_members WHERE segment_id = ?1", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    enum kt_rc rc = run_once(c, st, NULL, err);
    int changes = 0;
    if (rc == KT_OK && (st = once(c, "DELETE FROM segments WHERE id = ?1", err)) != NULL) {
        sql_bind_text(st, 1, id);
        rc = run_once(c, st, &changes, err);
    }
    if (rc == KT_OK && changes == 0) {
        return kt_err_set(err, KT_ENOTFOUND, "segment_not_found", "id", "no such segment");
    }
    return rc;
}

static void customer_segment_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct customer_segment *s = out;
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(s->id, id ? (const char *)id : "", sizeof(s->id));
    s->name = sql_col_text(st, 1, a);
    s->entered_at = sql_col_i64(st, 2);
}

enum kt_rc sql_customer_segments(struct store_conn *base, int64_t ck, struct arena *a,
                                 struct customer_segment **out, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c,
                               "SELECT s.id, s.name, m.entered_at FROM segment_members m JOIN "
                               "segments s ON s.id = m.segment_id WHERE m.ck = ?1 AND m.left_at IS "
                               "NULL ORDER BY s.name",
                               err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    enum kt_rc r =
        sql_rows(c, st, customer_segment_row, sizeof(**out), a, out, n, "customer segments", err);
    sql_finalize(st);
    return r;
}

/* Collects the first column of `st`'s rows (customer keys) and finalizes it. */
static enum kt_rc collect_cks(struct sql_conn *c, struct sql_stmt *st, struct arena *a,
                              int64_t **cks, size_t *n, struct kt_err *err)
{
    enum kt_rc r = sql_rows(c, st, sql_row_i64, sizeof(**cks), a, cks, n, "segment keys", err);
    sql_finalize(st);
    return r;
}

enum kt_rc sql_segment_eval(struct store_conn *base, const struct store_cond *n, struct arena *a,
                            int64_t **cks, size_t *count, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_cond_sql q;
    *cks = NULL;
    *count = 0;
    enum kt_rc r = cond_sql(c, n, a, &q, err);
    if (r != KT_OK) {
        return r;
    }
    struct sql_stmt *st = prepare(c, &q, "SELECT c.ck", "ORDER BY c.ck", err);
    buf_release(&q.sql);
    return st == NULL ? KT_ESTORE : collect_cks(c, st, a, cks, count, err);
}

/* sql_segment_match's statements stay prepared on the connection, found again by their text
 * (sql_stmt_kept): a journey asks its branch's condition of every run it advances, and preparing
 * it was most of a step's cost. */

static struct sql_stmt *match_stmt(struct sql_conn *c, const struct sql_cond_sql *q, bool *keep,
                                   struct kt_err *err)
{
    char *sql =
        sql_printf("SELECT count(*) FROM (SELECT 1 %s AND c.ck = ?) AS m", buf_cstr(&q->sql));
    if (sql == NULL) {
        kt_err_set(err, KT_ESTORE, "store_error", NULL, "the database failed: out of memory");
        return NULL;
    }
    struct sql_stmt *st = sql_stmt_kept(c, sql, keep, err);
    free(sql);
    for (size_t i = 0; st != NULL && i < q->n; i++) {
        if (q->p[i].is_int) {
            sql_bind_i64(st, (int)i + 1, q->p[i].i);
        } else {
            sql_bind_textn(st, (int)i + 1, q->p[i].s, -1, SQL_STATIC);
        }
    }
    return st;
}

enum kt_rc sql_segment_match(struct store_conn *base, const struct store_cond *n, int64_t ck,
                             bool *yes, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_cond_sql q;
    struct arena a;
    arena_init(&a, 0);
    *yes = false;
    enum kt_rc r = cond_sql(c, n, &a, &q, err);
    if (r == KT_OK) {
        bool keep = false;
        struct sql_stmt *st = match_stmt(c, &q, &keep, err);
        int64_t v = 0;
        if (st != NULL) {
            sql_bind_i64(st, (int)q.n + 1, ck);
        }
        r = st == NULL ? KT_ESTORE : sql_int_row(c, st, &v, 1, "segment match", err);
        if (st != NULL && keep) {
            sql_done(st);
        } else {
            sql_finalize(st);
        }
        buf_release(&q.sql);
        *yes = v > 0;
    }
    arena_release(&a);
    return r;
}

enum kt_rc sql_segment_moves(struct store_conn *base, const char *id, int64_t since, int64_t until,
                             bool leaving, struct arena *a, int64_t **cks, int64_t **ats, size_t *n,
                             struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c,
             leaving ? "SELECT ck, left_at FROM segment_members WHERE segment_id = ?1 AND left_at "
                       "> ?2 AND left_at <= ?3 ORDER BY left_at, ck"
                     : "SELECT ck, entered_at FROM segment_members WHERE segment_id = ?1 AND "
                       "entered_at > ?2 AND entered_at <= ?3 ORDER BY entered_at, ck",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, since);
    sql_bind_i64(st, 3, until);
    enum kt_rc rc = sql_pairs(c, st, a, cks, ats, n, "segment moves", err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_segment_member_cks(struct store_conn *base, const char *id, struct arena *a,
                                  int64_t **cks, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c,
                               "SELECT ck FROM segment_members WHERE segment_id = ?1 AND "
                               "left_at IS NULL ORDER BY ck",
                               err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return collect_cks(c, st, a, cks, n, err);
}

/* Runs `sql` (?1 the segment, ?2 a customer key, ?3 the time) once per key; `changed` gets the
 * rows it touched. */
static enum kt_rc each_ck(struct sql_conn *c, const char *sql, const char *id, const int64_t *cks,
                          size_t n, int64_t at, int64_t *changed, struct kt_err *err)
{
    struct sql_stmt *st = once(c, sql, err);
    *changed = 0;
    if (st == NULL) {
        return KT_ESTORE;
    }
    int rc = SQL_DONE;
    for (size_t i = 0; i < n && rc == SQL_DONE; i++) {
        sql_bind_text(st, 1, id);
        sql_bind_i64(st, 2, cks[i]);
        sql_bind_i64(st, 3, at);
        rc = sql_step(st);
        *changed += sql_changes(c);
        sql_reset(st);
    }
    sql_finalize(st);
    return rc == SQL_DONE ? KT_OK : sql_fail(c, rc, "segment membership", err);
}

/* Membership is written from what an analytic read found, in transactions of its own: so each
 * statement checks the row is still as the read saw it (not a member yet; still a member) and
 * the customer still live, and a refresh that raced another does no harm. */
enum kt_rc sql_segment_enter(struct store_conn *base, const char *id, const int64_t *cks, size_t n,
                             int64_t at, int64_t *changed, struct kt_err *err)
{
    return each_ck(
        (struct sql_conn *)base,
        "INSERT INTO segment_members (segment_id, ck, entered_at) SELECT ?1, ?2, ?3 "
        "WHERE NOT EXISTS (SELECT 1 FROM segment_members WHERE segment_id = ?1 AND "
        "ck = ?2 AND left_at IS NULL) AND EXISTS (SELECT 1 FROM customers WHERE "
        "ck = ?2 AND merged_into IS NULL AND erased_at IS NULL) AND" SQL_NOT_BLOCKED("?2"),
        id, cks, n, at, changed, err);
}

enum kt_rc sql_segment_leave(struct store_conn *base, const char *id, const int64_t *cks, size_t n,
                             int64_t at, int64_t *changed, struct kt_err *err)
{
    return each_ck((struct sql_conn *)base,
                   "UPDATE segment_members SET left_at = ?3 WHERE segment_id = ?1 AND ck = ?2 "
                   "AND left_at IS NULL",
                   id, cks, n, at, changed, err);
}

static void read_size(struct sql_stmt *st, void *size)
{
    *(int64_t *)size = sql_col_i64(st, 0);
}

enum kt_rc sql_segment_refreshed(struct store_conn *base, const char *id, int64_t at, int64_t *size,
                                 struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c,
                               "UPDATE segments SET refreshed_at = ?2, size = (SELECT count(*) "
                               "FROM segment_members WHERE segment_id = ?1 AND left_at IS "
                               "NULL) WHERE id = ?1 RETURNING size",
                               err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, at);
    *size = 0;
    enum kt_rc r = sql_each(c, st, read_size, size, "segment size", err);
    sql_finalize(st);
    return r;
}

static void member_row(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct segment_member *)out =
        (struct segment_member){sql_col_i64(st, 0), sql_col_text(st, 1, a), sql_col_i64(st, 2)};
}

enum kt_rc sql_segment_members(struct store_conn *base, const char *id, int64_t after_ck, int limit,
                               struct arena *a, struct segment_member **out, size_t *n,
                               struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c,
             "SELECT m.ck, c.id, m.entered_at FROM segment_members m JOIN "
             "customers c ON c.ck = m.ck WHERE m.segment_id = ?1 AND m.left_at IS "
             "NULL AND m.ck > ?2 AND" SQL_NOT_BLOCKED("m.ck") "ORDER BY m.ck LIMIT ?3",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_i64(st, 2, after_ck);
    sql_bind_i64(st, 3, limit);
    enum kt_rc r = sql_rows(c, st, member_row, sizeof(**out), a, out, n, "segment members", err);
    sql_finalize(st);
    return r;
}

/* ---- cluster features ------------------------------------------------------------------------ */

static void feature_row(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct feature_row *)out =
        (struct feature_row){sql_col_i64(st, 0), sql_col_text(st, 1, a), sql_col_i64(st, 2)};
}

static enum kt_rc feature_rows(struct sql_conn *c, struct sql_stmt *st, struct arena *a,
                               struct feature_row **out, size_t *n, struct kt_err *err)
{
    enum kt_rc r = sql_rows(c, st, feature_row, sizeof(**out), a, out, n, "cluster features", err);
    sql_finalize(st);
    return r;
}

enum kt_rc sql_cluster_channels(struct store_conn *base, int64_t since, struct arena *a,
                                struct feature_row **out, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c,
             "SELECT ck, channel, sum(n) FROM (SELECT ck, channel, 1 AS n FROM "
             "events WHERE ck IS NOT NULL AND at >= ?1 UNION ALL SELECT ck, "
             "channel, count FROM event_days WHERE ck <> 0 AND day >= ?1 - ?1 % "
             "86400000) AS x WHERE" SQL_NOT_BLOCKED("ck") "GROUP BY ck, channel ORDER BY ck",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, since);
    return feature_rows(c, st, a, out, n, err);
}

enum kt_rc sql_cluster_categories(struct store_conn *base, struct arena *a,
                                  struct feature_row **out, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c,
                               "SELECT p.ck, l.category, sum(l.amount) FROM purchase_lines l JOIN "
                               "purchases p ON p.id = l.purchase_id WHERE p.ck IS NOT NULL AND "
                               "l.category IS NOT NULL AND" SQL_NOT_BLOCKED(
                                   "p.ck") "GROUP BY p.ck, l.category ORDER BY p.ck",
                               err);
    return st == NULL ? KT_ESTORE : feature_rows(c, st, a, out, n, err);
}

/* ---- computed traits ------------------------------------------------------------------------- */

enum kt_rc sql_trait_def_put(struct store_conn *base, const char *name, const char *expression,
                             int64_t now, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c,
                               "INSERT INTO trait_defs (name, expression, created_at, updated_at) "
                               "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (name) DO UPDATE SET "
                               "expression = excluded.expression, updated_at = excluded.updated_at",
                               err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, name);
    sql_bind_text(st, 2, expression);
    sql_bind_i64(st, 3, now);
    return run_once(c, st, NULL, err);
}

/* Two arrays of one length, filled a row at a time. */
struct trait_defs {
    struct arena *a;
    const char ***names, ***expressions;
    size_t *n;
    size_t cap, cap2;
};

static void trait_def_row(struct sql_stmt *st, void *ctx)
{
    struct trait_defs *d = ctx;
    size_t n2 = *d->n;
    *(const char **)arena_push(d->a, d->names, d->n, &d->cap, sizeof(**d->names)) =
        sql_col_text(st, 0, d->a);
    *(const char **)arena_push(d->a, d->expressions, &n2, &d->cap2, sizeof(**d->expressions)) =
        sql_col_text(st, 1, d->a);
}

enum kt_rc sql_trait_def_list(struct store_conn *base, struct arena *a, const char ***names,
                              const char ***expressions, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c, "SELECT name, expression FROM trait_defs ORDER BY name", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct trait_defs d = {a, names, expressions, n, 0, 0};
    *names = NULL;
    *expressions = NULL;
    *n = 0;
    enum kt_rc r = sql_each(c, st, trait_def_row, &d, "trait defs", err);
    sql_finalize(st);
    return r;
}

enum kt_rc sql_trait_names(struct store_conn *base, struct arena *a, const char ***names, size_t *n,
                           struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    /* one step of the index (name, value) per name, not a scan of every customer's values */
    struct sql_stmt *st =
        once(c,
             "WITH RECURSIVE n (name) AS (SELECT min(name) FROM traits UNION ALL "
             "SELECT (SELECT min(name) FROM traits WHERE name > n.name) FROM n "
             "WHERE n.name IS NOT NULL) SELECT name FROM n WHERE name IS NOT NULL",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    enum kt_rc r = sql_rows(c, st, sql_row_text, sizeof(**names), a, names, n, "trait names", err);
    sql_finalize(st);
    return r;
}

static void value_row(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct trait_row *)out = (struct trait_row){sql_col_i64(st, 0), sql_col_text(st, 1, a)};
}

/* Collects (ck, value) rows of `st` and finalizes it. */
static enum kt_rc collect_rows(struct sql_conn *c, struct sql_stmt *st, struct arena *a,
                               struct trait_row **out, size_t *n, struct kt_err *err)
{
    enum kt_rc r = sql_rows(c, st, value_row, sizeof(**out), a, out, n, "trait rows", err);
    sql_finalize(st);
    return r;
}

enum kt_rc sql_trait_rows(struct store_conn *base, const char *name, struct arena *a,
                          struct trait_row **out, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c, "SELECT ck, value FROM traits WHERE name = ?1 ORDER BY ck", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, name);
    return collect_rows(c, st, a, out, n, err);
}

enum kt_rc sql_trait_builtin_eval(struct store_conn *base, const char *name, struct arena *a,
                                  struct trait_row **out, size_t *n, struct kt_err *err)
{
#define FAVOURITE(collate)                                                                         \
    "SELECT ck, category FROM (SELECT p.ck, l.category, row_number() OVER (PARTITION BY "          \
    "p.ck ORDER BY sum(l.amount) DESC, l.category" collate ") AS rank FROM purchase_lines l JOIN " \
    "purchases p ON p.id = l.purchase_id WHERE p.ck IS NOT NULL AND l.category IS NOT NULL "       \
    "GROUP BY p.ck, l.category) AS x WHERE rank = 1 ORDER BY ck"
    /* `pg`: PostgreSQL's twin, or NULL. A tie of two categories goes to the first by their
     * bytes, as SQLite's BINARY orders them, whatever the database's collation. */
    static const struct {
        const char *name, *sql, *pg;
    } builtins[] = {
        {"favourite_category", FAVOURITE(""), FAVOURITE(" COLLATE \"C\"")},
        {"average_receipt",
         "SELECT ck, CAST(round(avg(total) / 100.0) AS INTEGER) FROM purchases "
         "WHERE ck IS NOT NULL GROUP BY ck ORDER BY ck",
         NULL},
        {"lifetime_value",
         "SELECT p.ck, CAST(round((sum(p.total) - coalesce(sum((SELECT sum(r.amount) FROM "
         "refunds r WHERE r.purchase_id = p.id)), 0)) / 100.0) AS INTEGER) FROM purchases p "
         "WHERE p.ck IS NOT NULL GROUP BY p.ck ORDER BY p.ck",
         NULL},
    };
#undef FAVOURITE
    struct sql_conn *c = (struct sql_conn *)base;
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        if (strcmp(builtins[i].name, name) == 0) {
            struct sql_stmt *st = once(c, sql_text(c, builtins[i].sql, builtins[i].pg), err);
            return st == NULL ? KT_ESTORE : collect_rows(c, st, a, out, n, err);
        }
    }
    return kt_err_set(err, KT_ENOTFOUND, "trait_not_found", "name", "no such built-in trait");
}

enum kt_rc sql_trait_delete(struct store_conn *base, int64_t ck, const char *name,
                            struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        sql_stmt(c, SQL_TRAIT_DELETE,
                 "DELETE FROM traits WHERE ck = ?1 AND name = ?2 AND" SQL_NOT_BLOCKED("?1"), err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_text(st, 2, name);
    return sql_run(c, st, NULL, err);
}
