/*
 * segments.c - POST /v1/segments/preview: how many customers a query finds, and a few of them,
 * on a read snapshot; nothing is saved (docs/segments.md).
 *
 *   {"query": "events(page_view, last 30 days) >= 2 and has email", "sample": 10}
 *
 * A query that does not parse is a 422 `syntax_error` saying the line, the column, what was
 * expected there, and the line with a caret under the spot.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "segment/segment.h"

void api_segments_preview(struct http_req *r)
{
    static const char *const known[] = {"query", "sample", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    if (body == NULL || json_only_members(body, known, "", r->arena, &err) != KT_OK) {
        goto fail;
    }
    const json_t *q = json_object_get(body, "query");
    if (!json_is_string(q)) {
        kt_err_set(&err, KT_EINVAL, q ? "wrong_type" : "missing_field", "query",
                   "query is the segment's text (docs/segments.md)");
        goto fail;
    }
    const json_t *s = json_object_get(body, "sample");
    if (s != NULL &&
        (!json_is_integer(s) || json_integer_value(s) < 0 || json_integer_value(s) > 100)) {
        kt_err_set(&err, KT_EINVAL, "bad_value", "sample", "sample is 0-100 customers");
        goto fail;
    }
    struct seg_node *tree;
    struct seg_error se;
    if (!segment_parse(json_string_value(q), r->arena, &tree, &se)) {
        kt_err_set(&err, KT_EINVAL, "syntax_error", "query", "line %d, column %d: %s", se.line,
                   se.column, se.message);
        json_t *o = http_error_json(&err, r->rid);
        json_t *e = json_object_get(o, "error");
        json_object_set_new(e, "line", json_integer(se.line));
        json_object_set_new(e, "column", json_integer(se.column));
        json_object_set_new(e, "expected", json_string(se.message));
        json_object_set_new(e, "caret", json_string(se.caret));
        r->err = err;
        http_reply_json(r, 422, o);
        return;
    }
    struct store_conn *rd;
    int64_t count, t0 = clock_mono_ns();
    const char **ids;
    size_t n;
    if (http_req_reader(r, &rd, &err) != KT_OK ||
        store_segment_preview(rd, tree, clock_now_ms(), s ? (int)json_integer_value(s) : 10,
                              r->arena, &count, &ids, &n, &err) != KT_OK) {
        goto fail;
    }
    json_t *sample = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(sample, json_string(ids[i]));
    }
    http_reply_json(r, 200,
                    json_pack("{s:I, s:o, s:f}", "count", (json_int_t)count, "sample", sample,
                              "took_ms", (double)(clock_mono_ns() - t0) / 1e6));
    return;
fail:
    http_reply_error(r, &err);
}
