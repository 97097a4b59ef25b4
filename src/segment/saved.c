/*
 * saved.c - saved segments: checked, stored and refreshed (docs/segments.md).
 */
#include <string.h>

#include "base/id.h"
#include "segment/saved.h"

static bool names_itself(const struct seg_node *n, const char *name)
{
    if (n == NULL) {
        return false;
    }
    if (n->kind == SEG_SEGMENT && strcmp(n->value.text, name) == 0) {
        return true;
    }
    return names_itself(n->a, name) || names_itself(n->b, name);
}

enum kt_rc segment_check(const char *name, const char *query, struct arena *a,
                         struct seg_node **tree, struct seg_error *se, struct kt_err *err)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > SEGMENT_NAME_MAX) {
        return kt_err_set(err, KT_EINVAL, len ? "too_long" : "invalid_value", "name",
                          "a segment's name is 1-%d bytes", SEGMENT_NAME_MAX);
    }
    if (!segment_parse(query, a, tree, se)) {
        return kt_err_set(err, KT_EINVAL, "syntax_error", "query", "line %d, column %d: %s",
                          se->line, se->column, se->message);
    }
    if (names_itself(*tree, name)) {
        return kt_err_set(err, KT_EINVAL, "segment_cycle", "query",
                          "a segment cannot be defined by its own members");
    }
    return KT_OK;
}

/* Writes go in transactions of this many rows, so the tills wait at most one of them. */
#define WRITE_CHUNK 1000

/* The keys of `x` not in `y` (both ascending) into `out`, which has room for nx; their count. */
static size_t minus(const int64_t *x, size_t nx, const int64_t *y, size_t ny, int64_t *out)
{
    size_t n = 0, j = 0;
    for (size_t i = 0; i < nx; i++) {
        while (j < ny && y[j] < x[i]) {
            j++;
        }
        if (j == ny || y[j] != x[i]) {
            out[n++] = x[i];
        }
    }
    return n;
}

typedef enum kt_rc (*member_write_fn)(struct store_conn *c, const char *id, const int64_t *cks,
                                      size_t n, int64_t at, int64_t *changed, struct kt_err *err);

/* Applies `fn` to cks[0..n) in transactions of WRITE_CHUNK; `changed` sums the rows written. */
static enum kt_rc members_write(struct store *s, member_write_fn fn, const char *id,
                                const int64_t *cks, size_t n, int64_t at, int64_t *changed,
                                struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    *changed = 0;
    for (size_t i = 0; rc == KT_OK && i < n; i += WRITE_CHUNK) {
        struct store_conn *w;
        int64_t k = 0;
        if ((rc = store_write_begin(s, &w, err)) != KT_OK) {
            break;
        }
        rc = fn(w, id, cks + i, n - i < WRITE_CHUNK ? n - i : WRITE_CHUNK, at, &k, err);
        rc = store_write_end(w, rc, err);
        *changed += rc == KT_OK ? k : 0;
    }
    return rc;
}

enum kt_rc segment_refresh(struct store *s, const struct segment *sg, int64_t now, struct arena *a,
                           int64_t *entered, int64_t *left, int64_t *size, struct kt_err *err)
{
    struct seg_node *tree;
    struct seg_error se;
    *entered = *left = *size = 0;
    if (!segment_parse(sg->query, a, &tree, &se)) { /* stored queries were checked */
        return kt_err_set(err, KT_EINTERNAL, "bad_stored_query", "query",
                          "the stored query no longer parses: %s", se.message);
    }
    struct store_conn *rd = NULL;
    int64_t *found = NULL, *was = NULL;
    size_t n_found = 0, n_was = 0;
    enum kt_rc rc = store_read_begin_analytics(s, &rd, err);
    if (rc == KT_OK) {
        rc = store_segment_eval(rd, segment_compile(tree, now, a), a, &found, &n_found, err);
    }
    if (rc == KT_OK) {
        rc = store_segment_member_cks(rd, sg->id, a, &was, &n_was, err);
    }
    store_read_end(rd);
    if (rc != KT_OK) {
        return rc;
    }
    int64_t *in = arena_alloc(a, (n_found + 1) * sizeof(*in));
    int64_t *out = arena_alloc(a, (n_was + 1) * sizeof(*out));
    size_t n_in = minus(found, n_found, was, n_was, in);
    size_t n_out = minus(was, n_was, found, n_found, out);
    rc = members_write(s, store_segment_enter, sg->id, in, n_in, now, entered, err);
    if (rc == KT_OK) {
        rc = members_write(s, store_segment_leave, sg->id, out, n_out, now, left, err);
    }
    struct store_conn *w;
    if (rc == KT_OK && (rc = store_write_begin(s, &w, err)) == KT_OK) {
        rc = store_segment_refreshed(w, sg->id, now, size, err);
        rc = store_write_end(w, rc, err);
    }
    return rc;
}

const char *const traits_builtin[] = {"favourite_category", "average_receipt", "lifetime_value",
                                      NULL};
static const char *const traits_reserved[] = {"rfm_score", "rfm_group", "cluster", NULL};

static bool listed(const char *const *list, const char *name);

bool trait_computed_name(const char *name)
{
    return listed(traits_builtin, name) || listed(traits_reserved, name);
}

static bool listed(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(list[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static bool uses_trait(const struct seg_node *n, const char *name)
{
    return n != NULL && ((n->kind == SEG_TRAIT && strcmp(n->attr, name) == 0) ||
                         uses_trait(n->a, name) || uses_trait(n->b, name));
}

enum kt_rc trait_define(struct store_conn *w, const char *name, const char *expression, int64_t now,
                        struct arena *a, struct seg_error *se, struct kt_err *err)
{
    size_t len = strlen(name);
    bool ok = len > 0 && len <= 64 && name[0] >= 'a' && name[0] <= 'z';
    for (size_t i = 0; ok && i < len; i++) {
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
             name[i] == '_';
    }
    if (!ok) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "name",
                          "a trait's name is 1-64 of a-z, 0-9 and _, starting with a letter");
    }
    if (trait_computed_name(name)) {
        return kt_err_set(err, KT_ECONFLICT, "reserved_name", "name",
                          "'%s' is computed by Kartoteka itself", name);
    }
    struct seg_node *tree;
    if (!segment_parse(expression, a, &tree, se)) {
        return kt_err_set(err, KT_EINVAL, "syntax_error", "expression", "line %d, column %d: %s",
                          se->line, se->column, se->message);
    }
    if (uses_trait(tree, name)) {
        return kt_err_set(err, KT_EINVAL, "trait_cycle", "expression",
                          "a trait cannot be defined by itself");
    }
    return store_trait_def_put(w, name, expression, now, err);
}

/* Makes trait `name` hold `want` instead of `have` (both ascending by ck): values that changed
 * or are new are put, those gone are deleted, in transactions of WRITE_CHUNK. */
static enum kt_rc trait_apply(struct store *s, const char *name, const struct trait_row *want,
                              size_t nw, const struct trait_row *have, size_t nh, int64_t now,
                              struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    size_t i = 0, j = 0;
    while (rc == KT_OK && (i < nw || j < nh)) {
        struct store_conn *w;
        if ((rc = store_write_begin(s, &w, err)) != KT_OK) {
            break;
        }
        for (int k = 0; rc == KT_OK && k < WRITE_CHUNK && (i < nw || j < nh); k++) {
            if (j == nh || (i < nw && want[i].ck < have[j].ck)) {
                struct trait t = {name, want[i].value, now};
                rc = store_trait_put(w, want[i++].ck, &t, err);
            } else if (i == nw || have[j].ck < want[i].ck) {
                rc = store_trait_delete(w, have[j++].ck, name, err);
            } else if (strcmp(want[i].value, have[j].value) != 0) {
                struct trait t = {name, want[i].value, now};
                rc = store_trait_put(w, want[i++].ck, &t, err);
                j++;
            } else {
                i++, j++, k--; /* unchanged: nothing written */
            }
        }
        rc = store_write_end(w, rc, err);
    }
    return rc;
}

enum kt_rc trait_compute(struct store *s, const char *name, const char *expression, int64_t now,
                         struct arena *a, int64_t *count, struct kt_err *err)
{
    struct seg_node *tree = NULL;
    struct seg_error se;
    if (expression != NULL && !segment_parse(expression, a, &tree, &se)) {
        return kt_err_set(err, KT_EINTERNAL, "bad_stored_query", "expression",
                          "the stored expression no longer parses: %s", se.message);
    }
    struct store_conn *rd = NULL;
    struct trait_row *want = NULL, *have = NULL;
    size_t nw = 0, nh = 0;
    enum kt_rc rc = store_read_begin_analytics(s, &rd, err);
    if (rc == KT_OK && tree != NULL) {
        int64_t *cks;
        rc = store_segment_eval(rd, segment_compile(tree, now, a), a, &cks, &nw, err);
        want = arena_alloc(a, (nw + 1) * sizeof(*want));
        for (size_t i = 0; rc == KT_OK && i < nw; i++) {
            want[i] = (struct trait_row){cks[i], "true"};
        }
    } else if (rc == KT_OK) {
        rc = store_trait_builtin_eval(rd, name, a, &want, &nw, err);
    }
    if (rc == KT_OK) {
        rc = store_trait_rows(rd, name, a, &have, &nh, err);
    }
    store_read_end(rd);
    if (rc == KT_OK) {
        rc = trait_apply(s, name, want, nw, have, nh, now, err);
    }
    *count = rc == KT_OK ? (int64_t)nw : 0;
    return rc;
}

enum kt_rc traits_refresh_all(struct store *s, int64_t now, int64_t *refreshed, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *c;
    const char **names = NULL, **exprs = NULL;
    size_t n = 0;
    *refreshed = 0;
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && traits_builtin[i] != NULL; i++) {
        int64_t count;
        rc = trait_compute(s, traits_builtin[i], NULL, now, &a, &count, err);
        *refreshed += rc == KT_OK;
    }
    if (rc == KT_OK && (rc = store_read_begin(s, &c, err)) == KT_OK) {
        rc = store_trait_def_list(c, &a, &names, &exprs, &n, err);
        store_read_end(c);
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        int64_t count;
        rc = trait_compute(s, names[i], exprs[i], now, &a, &count, err);
        *refreshed += rc == KT_OK;
    }
    arena_release(&a);
    return rc;
}

enum kt_rc segments_refresh_all(struct store *s, int64_t now, int64_t *refreshed,
                                struct kt_err *err)
{
    int64_t traits;
    if (traits_refresh_all(s, now, &traits, err) != KT_OK) {
        return err->rc;
    }
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *c;
    struct segment *sg;
    size_t n = 0;
    *refreshed = 0;
    enum kt_rc rc = store_read_begin(s, &c, err);
    if (rc == KT_OK) {
        rc = store_segment_list(c, &a, &sg, &n, err);
        store_read_end(c);
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        int64_t in, out, size;
        rc = segment_refresh(s, &sg[i], now, &a, &in, &out, &size, err);
        *refreshed += rc == KT_OK;
    }
    arena_release(&a);
    return rc;
}
