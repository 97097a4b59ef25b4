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

enum kt_rc segments_refresh_all(struct store *s, int64_t now, int64_t *refreshed,
                                struct kt_err *err)
{
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
