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
    if (len == 0 || len > 100) {
        return kt_err_set(err, KT_EINVAL, "bad_value", "name", "a segment's name is 1-100 bytes");
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

enum kt_rc segment_refresh_one(struct store_conn *w, const struct segment *sg, int64_t now,
                               struct arena *a, int64_t *entered, int64_t *left, int64_t *size,
                               struct kt_err *err)
{
    struct seg_node *tree;
    struct seg_error se;
    if (!segment_parse(sg->query, a, &tree, &se)) { /* stored queries were checked */
        return kt_err_set(err, KT_EINTERNAL, "bad_stored_query", "query",
                          "the stored query no longer parses: %s", se.message);
    }
    return store_segment_refresh(w, sg->id, tree, now, a, entered, left, size, err);
}

const char *const traits_builtin[] = {"favourite_category", "average_receipt", "lifetime_value",
                                      NULL};
static const char *const traits_reserved[] = {"rfm_score", "rfm_group", "cluster", NULL};

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
                        struct arena *a, int64_t *count, struct seg_error *se, struct kt_err *err)
{
    size_t len = strlen(name);
    bool ok = len > 0 && len <= 64 && name[0] >= 'a' && name[0] <= 'z';
    for (size_t i = 0; ok && i < len; i++) {
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
             name[i] == '_';
    }
    if (!ok) {
        return kt_err_set(err, KT_EINVAL, "bad_name", "name",
                          "a trait's name is 1-64 of a-z, 0-9 and _, starting with a letter");
    }
    if (listed(traits_builtin, name) || listed(traits_reserved, name)) {
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
    enum kt_rc rc = store_trait_def_put(w, name, expression, now, err);
    return rc == KT_OK ? store_trait_compute(w, name, tree, now, a, count, err) : rc;
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
        if ((rc = store_write_begin(s, &c, err)) == KT_OK) {
            rc = store_trait_builtin(c, traits_builtin[i], now, &count, err);
            rc = store_write_end(c, rc, err);
            *refreshed += rc == KT_OK;
        }
    }
    if (rc == KT_OK && (rc = store_read_begin(s, &c, err)) == KT_OK) {
        rc = store_trait_def_list(c, &a, &names, &exprs, &n, err);
        store_read_end(c);
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct seg_node *tree;
        struct seg_error se;
        int64_t count;
        if (!segment_parse(exprs[i], &a, &tree, &se)) {
            continue; /* checked when defined */
        }
        if ((rc = store_write_begin(s, &c, err)) == KT_OK) {
            rc = store_trait_compute(c, names[i], tree, now, &a, &count, err);
            rc = store_write_end(c, rc, err);
            *refreshed += rc == KT_OK;
        }
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
    /* One write transaction per segment: the writer is not held for all of them. */
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        int64_t in, out, size;
        if ((rc = store_write_begin(s, &c, err)) != KT_OK) {
            break;
        }
        rc = segment_refresh_one(c, &sg[i], now, &a, &in, &out, &size, err);
        rc = store_write_end(c, rc, err);
        *refreshed += rc == KT_OK;
    }
    arena_release(&a);
    return rc;
}
