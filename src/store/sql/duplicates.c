/*
 * duplicates.c - the review queue of fuzzy duplicates (0041, docs/dedup.md): the pairs the
 * matcher judged one person, their weight and explanation, and what was decided. A pair is keyed
 * by its two customers (the smaller first), so a pair found again - by the next run, at an
 * upsert - is the same row, and a rejected one stays rejected.
 */
#include <stdio.h>
#include <string.h>

#include "store/sql/sql_int.h"

#define PAIR_COLS                                                                                  \
    "d.id, d.ck_a, d.ck_b, ca.id, cb.id, d.weight, d.prob, d.explanation, d.source, d.state, "     \
    "d.reason, d.found_at, coalesce(d.decided_at, 0)"
#define PAIR_FROM                                                                                  \
    " FROM duplicate_pairs d JOIN customers ca ON ca.ck = d.ck_a JOIN customers cb ON cb.ck = "    \
    "d.ck_b "

static struct sql_stmt *once(struct sql_conn *c, const char *text, struct kt_err *err)
{
    return sql_prepare_once(c, text, "duplicates", err);
}

static void read_pair(struct sql_stmt *st, struct arena *a, void *out)
{
    struct dup_pair *p = out;
    memset(p, 0, sizeof(*p));
    const char *id = sql_col_str(st, 0);
    snprintf(p->id, sizeof(p->id), "%s", id ? id : "");
    p->ck_a = sql_col_i64(st, 1);
    p->ck_b = sql_col_i64(st, 2);
    p->id_a = sql_col_text(st, 3, a);
    p->id_b = sql_col_text(st, 4, a);
    p->weight = sql_col_double(st, 5);
    p->prob = sql_col_double(st, 6);
    p->explanation = sql_col_text(st, 7, a);
    p->source = sql_col_text(st, 8, a);
    p->state = sql_col_text(st, 9, a);
    p->reason = sql_col_text(st, 10, a);
    p->found_at = sql_col_i64(st, 11);
    p->decided_at = sql_col_i64(st, 12);
}

enum kt_rc sql_dup_pair_add(struct store_conn *base, const struct dup_pair *p, bool *added,
                            struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c,
             "INSERT INTO duplicate_pairs (id, ck_a, ck_b, weight, prob, explanation, source, "
             "state, reason, found_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
             "ON CONFLICT (ck_a, ck_b) DO NOTHING",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, p->id);
    sql_bind_i64(st, 2, p->ck_a < p->ck_b ? p->ck_a : p->ck_b);
    sql_bind_i64(st, 3, p->ck_a < p->ck_b ? p->ck_b : p->ck_a);
    sql_bind_double(st, 4, p->weight);
    sql_bind_double(st, 5, p->prob);
    sql_bind_text(st, 6, p->explanation);
    sql_bind_text(st, 7, p->source);
    sql_bind_text(st, 8, p->state);
    sql_bind_text(st, 9, p->reason);
    sql_bind_i64(st, 10, p->found_at);
    int changes = 0;
    enum kt_rc rc = sql_run(c, st, &changes, err);
    sql_finalize(st);
    *added = rc == KT_OK && changes > 0;
    return rc;
}

enum kt_rc sql_dup_pair_list(struct store_conn *base, const char *state, double after_weight,
                             const char *after_id, int limit, struct arena *a,
                             struct dup_pair **out, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c,
             "SELECT " PAIR_COLS PAIR_FROM "WHERE d.state = ?1 AND (CAST(?3 AS TEXT) IS NULL OR "
             "d.weight < ?2 "
             "OR (d.weight = ?2 AND d.id > ?3)) ORDER BY d.weight DESC, d.id LIMIT ?4",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, state);
    sql_bind_double(st, 2, after_weight);
    sql_bind_text(st, 3, after_id);
    sql_bind_i64(st, 4, limit);
    enum kt_rc rc = sql_rows(c, st, read_pair, sizeof(**out), a, out, n, "duplicates", err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_dup_pair_get(struct store_conn *base, const char *id, struct arena *a,
                            struct dup_pair *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c, "SELECT " PAIR_COLS PAIR_FROM "WHERE d.id = ?1", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    enum kt_rc rc = sql_one(c, st, read_pair, a, out, found, "duplicate_not_found",
                            "no such pair of duplicates", err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_dup_pair_decide(struct store_conn *base, int64_t ck_a, int64_t ck_b,
                               const char *state, const char *reason, int64_t at, bool force,
                               bool *changed, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c,
                               "UPDATE duplicate_pairs SET state = ?3, reason = ?4, "
                               "decided_at = ?5 WHERE ck_a = ?1 AND ck_b = ?2 AND "
                               "(state = 'open' OR ?6 = 1)",
                               err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck_a < ck_b ? ck_a : ck_b);
    sql_bind_i64(st, 2, ck_a < ck_b ? ck_b : ck_a);
    sql_bind_text(st, 3, state);
    sql_bind_text(st, 4, reason);
    sql_bind_i64(st, 5, at);
    sql_bind_i64(st, 6, force ? 1 : 0);
    int changes = 0;
    enum kt_rc rc = sql_run(c, st, &changes, err);
    sql_finalize(st);
    if (changed != NULL) {
        *changed = rc == KT_OK && changes > 0;
    }
    return rc;
}

static void read_count(struct sql_stmt *st, struct arena *a, void *out)
{
    struct quality_count *q = out;
    q->key = sql_col_text(st, 0, a);
    q->n = sql_col_i64(st, 1);
}

enum kt_rc sql_dup_pair_sources(struct store_conn *base, int by, int limit, struct arena *a,
                                struct quality_count **out, size_t *n, struct kt_err *err)
{
    static const char *const texts[3] = {
#define SOURCES(col)                                                                               \
    "SELECT coalesce(h." col ", ''), count(*) FROM duplicate_pairs d JOIN history h ON h.ck = "    \
    "d.ck_b AND h.field = 'customer' AND h.action = 'create' WHERE d.state = 'open' GROUP BY "     \
    "coalesce(h." col ", '') ORDER BY 2 DESC, 1 LIMIT ?1"
        SOURCES("channel"), SOURCES("store_id"), SOURCES("operator_id")
#undef SOURCES
    };
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c, texts[by < 0 || by > 2 ? 0 : by], err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, limit);
    enum kt_rc rc = sql_rows(c, st, read_count, sizeof(**out), a, out, n, "duplicates", err);
    sql_finalize(st);
    return rc;
}

/* ---- blocking keys ------------------------------------------------------------------------- */

enum kt_rc sql_dedup_keys_put(struct store_conn *base, int64_t ck, const char *const *keys,
                              size_t n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = sql_stmt(c, SQL_DEDUP_KEY_PUT,
                                   "INSERT INTO dedup_keys (bidx, ck) VALUES (?1, ?2) "
                                   "ON CONFLICT (bidx, ck) DO NOTHING",
                                   err);
    enum kt_rc rc = st ? KT_OK : KT_ESTORE;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        sql_bind_bidx(c, st, 1, "dedup_key", keys[i]);
        sql_bind_i64(st, 2, ck);
        rc = sql_run(c, st, NULL, err);
    }
    return rc;
}

enum kt_rc sql_dedup_keys_clear(struct store_conn *base, struct kt_err *err)
{
    return sql_exec((struct sql_conn *)base, "DELETE FROM dedup_keys", err);
}

enum kt_rc sql_dedup_keys_find(struct store_conn *base, int64_t ck, const char *const *keys,
                               size_t n, int limit, struct arena *a, int64_t **cks, size_t *n_cks,
                               struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        sql_stmt(c, SQL_DEDUP_KEY_FIND,
                 "SELECT k.ck FROM dedup_keys k JOIN customers c ON c.ck = k.ck WHERE k.bidx = ?1 "
                 "AND k.ck <> ?2 AND c.merged_into IS NULL AND c.erased_at IS NULL LIMIT ?3",
                 err);
    *cks = NULL;
    *n_cks = 0;
    if (st == NULL) {
        return KT_ESTORE;
    }
    size_t cap = (size_t)(limit > 0 ? limit : 1) * (n ? n : 1);
    int64_t *all = arena_alloc(a, sizeof(*all) * cap);
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        int64_t *got = NULL;
        size_t m = 0;
        sql_bind_bidx(c, st, 1, "dedup_key", keys[i]);
        sql_bind_i64(st, 2, ck);
        sql_bind_i64(st, 3, limit);
        rc = sql_rows(c, st, sql_row_i64, sizeof(*got), a, &got, &m, "dedup keys", err);
        for (size_t j = 0; rc == KT_OK && j < m; j++) {
            bool seen = false;
            for (size_t k = 0; k < *n_cks && !seen; k++) {
                seen = all[k] == got[j];
            }
            if (!seen) {
                all[(*n_cks)++] = got[j];
            }
        }
    }
    *cks = all;
    return rc;
}
