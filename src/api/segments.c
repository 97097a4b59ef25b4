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
#include "base/buf.h"
#include "base/id.h"
#include "base/log.h"
#include "base/num.h"
#include "consent/consent.h"
#include "segment/saved.h"
#include "segment/segment.h"

/* The error raised; a syntax_error's reply says where and what: the line, the column, what was
 * expected there and the line with a caret under the spot. */
static enum kt_rc check_error(struct http_req *r, const struct kt_err *err,
                              const struct seg_error *se)
{
    if (strcmp(err->code, "syntax_error") == 0) {
        http_error_more(r,
                        json_pack("{s:{s:i, s:i, s:s, s:s}}", "error", "line", se->line, "column",
                                  se->column, "expected", se->message, "caret", se->caret));
    }
    return err->rc;
}

enum kt_rc api_segments_preview(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"query", "sample", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK) {
        return err->rc;
    }
    const char *q;
    int64_t sample_n = 10;
    if (jsonx_str(body, "", "query", SEGMENT_TEXT_MAX, JSONX_REQUIRED, r->arena, &q, err) !=
            KT_OK ||
        jsonx_int(body, "", "sample", 0, 100, 0, &sample_n, err) != KT_OK) {
        return err->rc;
    }
    struct seg_node *tree;
    struct seg_error se;
    if (!segment_parse(q, r->arena, &tree, &se)) {
        kt_err_set(err, KT_EINVAL, "syntax_error", "query", "line %d, column %d: %s", se.line,
                   se.column, se.message);
        return check_error(r, err, &se);
    }
    struct store_conn *rd;
    int64_t count, t0 = clock_mono_ns();
    const char **ids;
    size_t n;
    if (http_req_analytics(r, &rd, err) != KT_OK ||
        store_segment_preview(rd, segment_compile(tree, clock_now_ms(), r->arena), (int)sample_n,
                              r->arena, &count, &ids, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *sample = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(sample, json_string(ids[i]));
        api_audit_note(r, "read", ids[i], AUDIT_F_SEGMENTS);
    }
    audit_nothing_read(); /* the count is no one's */
    http_reply_json(r, 200,
                    json_pack("{s:I, s:o, s:f, s:s}", "size", (json_int_t)count, "sample", sample,
                              "took_ms", (double)(clock_mono_ns() - t0) / 1e6, "explanation",
                              segment_explain(tree, r->arena)));
    return KT_OK;
}

/* ---- saved segments ------------------------------------------------------------------------ */

static json_t *segment_json(struct arena *a, const struct segment *sg)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", sg->id, "name", sg->name, "query",
                          sg->query, "created_at", api_time(a, sg->created_at), "updated_at",
                          api_time(a, sg->updated_at), "size", (json_int_t)sg->size);
    json_object_set_new(o, "refreshed_at",
                        sg->refreshed_at ? json_string(api_time(a, sg->refreshed_at))
                                         : json_null());
    return o;
}

/* The membership of a segment just stored. The segment is saved whatever happens here: a
 * refresh that fails (the store busy) leaves it to the background refresh, and the reply says
 * so with "refreshed_at": null. */
static void refresh_after_write(struct http_req *r, struct segment *sg, int64_t now)
{
    struct kt_err err;
    kt_err_reset(&err);
    int64_t in, out;
    if (segment_refresh(r->app->store, sg, now, r->arena, &in, &out, &sg->size, &err) == KT_OK) {
        sg->refreshed_at = now;
    } else {
        sg->refreshed_at = 0;
        sg->size = 0;
        log_warn("segment_refresh_failed", "segment=%s code=%s detail=\"%s\"", sg->id, err.code,
                 err.detail);
    }
}

/* POST /v1/segments and PUT /v1/segments/{id}: stored, then refreshed. */
static enum kt_rc segment_write(struct http_req *r, bool create, struct kt_err *err)
{
    static const char *const known[] = {"name", "query", NULL};
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct seg_node *tree;
    struct seg_error se;
    memset(&se, 0, sizeof(se));
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK) {
        return err->rc;
    }
    const char *name, *query;
    if (jsonx_str(body, "", "name", SEGMENT_NAME_MAX, JSONX_REQUIRED, r->arena, &name, err) !=
            KT_OK ||
        jsonx_str(body, "", "query", SEGMENT_TEXT_MAX, JSONX_REQUIRED, r->arena, &query, err) !=
            KT_OK) {
        return err->rc;
    }
    if (segment_check(name, query, r->arena, &tree, &se, err) != KT_OK) {
        return check_error(r, err, &se);
    }
    struct store_conn *w;
    struct segment sg;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = KT_OK;
    if (create) {
        memset(&sg, 0, sizeof(sg));
        id_new(sg.id, sizeof(sg.id), "s_");
        sg.created_at = now;
        sg.key_id = r->key->id;
    } else {
        rc = store_segment_get(w, r->params[0], r->arena, &sg, err);
    }
    if (rc == KT_OK) {
        sg.name = name;
        sg.query = query;
        sg.updated_at = now;
        rc = store_segment_put(w, &sg, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "segment", NULL, NULL,
                         arena_printf(r->arena, "%s %s", create ? "create" : "update", sg.id),
                         r->rid, now, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    refresh_after_write(r, &sg, now);
    http_reply_json(r, create ? 201 : 200, segment_json(r->arena, &sg));
    return KT_OK;
}

enum kt_rc api_segments_create(struct http_req *r, struct kt_err *err)
{
    return segment_write(r, true, err);
}

enum kt_rc api_segments_put(struct http_req *r, struct kt_err *err)
{
    return segment_write(r, false, err);
}

enum kt_rc api_segments_list(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct segment *sg;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_segment_list(rd, r->arena, &sg, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, segment_json(r->arena, &sg[i]));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}

enum kt_rc api_segments_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct segment sg;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_segment_get(rd, r->params[0], r->arena, &sg, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, segment_json(r->arena, &sg));
    return KT_OK;
}

enum kt_rc api_segments_delete(struct http_req *r, struct kt_err *err)
{
    struct store_conn *w;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_segment_delete(w, r->params[0], err);
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "segment", NULL, NULL,
                         arena_printf(r->arena, "delete %s", r->params[0]), r->rid, clock_now_ms(),
                         err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_text(r, 204, "text/plain", "", 0);
    return KT_OK;
}

enum kt_rc api_segments_refresh(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms(), in = 0, out = 0, size = 0;
    struct store_conn *rd;
    struct segment sg;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_segment_get(rd, r->params[0], r->arena, &sg, err) != KT_OK) {
        return err->rc;
    }
    http_req_reader_end(r);
    if (segment_refresh(r->app->store, &sg, now, r->arena, &in, &out, &size, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200,
                    json_pack("{s:s, s:I, s:I, s:I, s:s}", "id", sg.id, "entered", (json_int_t)in,
                              "left", (json_int_t)out, "size", (json_int_t)size, "refreshed_at",
                              api_time(r->arena, now)));
    return KT_OK;
}

/* GET /v1/segments/{id}/members?limit=&cursor= (JSON pages) or ?format=csv (every member). */
enum kt_rc api_segments_members(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", "format", NULL};
    const char *fmt = http_req_query(r, "format");
    bool csv = fmt != NULL && strcmp(fmt, "csv") == 0;
    int limit = 0;
    int64_t after = 0;
    struct store_conn *rd;
    struct segment sg;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 1000, 10000, &limit, err) != KT_OK) {
        return err->rc;
    }
    if (fmt != NULL && !csv && strcmp(fmt, "json") != 0) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "format", "format is json or csv");
    }
    if (http_req_analytics(r, &rd, err) != KT_OK ||
        store_segment_get(rd, r->params[0], r->arena, &sg, err) != KT_OK ||
        api_cursor_num(r, "members", sg.id, &after, err) != KT_OK) {
        return err->rc;
    }
    struct segment_member *m;
    size_t n;
    if (csv) { /* the whole segment, page by page into one text */
        struct buf b;
        buf_init(&b, (size_t)1 << 30);
        buf_puts(&b, "customer_id,entered_at\r\n");
        enum kt_rc rc;
        do {
            rc = store_segment_members(rd, sg.id, after, 10000, r->arena, &m, &n, err);
            for (size_t i = 0; rc == KT_OK && i < n; i++) {
                buf_printf(&b, "%s,%s\r\n", m[i].customer_id, api_time(r->arena, m[i].entered_at));
                after = m[i].ck;
            }
        } while (rc == KT_OK && n == 10000);
        if (rc != KT_OK) {
            buf_release(&b);
            return err->rc;
        }
        api_audit_bulk(r, AUDIT_F_SEGMENTS, sg.id); /* the whole segment: one entry */
        http_reply_text(r, 200, "text/csv; charset=utf-8", buf_cstr(&b), b.len);
        buf_release(&b);
        return KT_OK;
    }
    if (store_segment_members(rd, sg.id, after, limit, r->arena, &m, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, json_pack("{s:s, s:s}", "customer_id", m[i].customer_id,
                                               "entered_at", api_time(r->arena, m[i].entered_at)));
        api_audit_note(r, "read", m[i].customer_id, AUDIT_F_SEGMENTS);
    }
    audit_nothing_read(); /* an empty page names no one */
    json_t *o = json_pack("{s:s, s:I, s:o}", "segment_id", sg.id, "size", (json_int_t)sg.size,
                          "items", items);
    /* The members are paged by the customer key, which never leaves the server unsealed. */
    json_object_set_new(o, "next_cursor",
                        api_next_cursor(r, "members", sg.id,
                                        n == (size_t)limit
                                            ? arena_printf(r->arena, "%lld", (long long)m[n - 1].ck)
                                            : NULL));
    http_reply_json(r, 200, o);
    return KT_OK;
}

/* ---- computed traits ---------------------------------------------------------------------- */

/* PUT /v1/traits/{name} {"expression": "bought(category \"Подгузники\", last 90 days)"} */
enum kt_rc api_traits_put(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"expression", NULL};
    int64_t now = clock_now_ms(), count = 0;
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct seg_error se;
    memset(&se, 0, sizeof(se));
    struct store_conn *w;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK) {
        return err->rc;
    }
    const char *expr;
    if (jsonx_str(body, "", "expression", SEGMENT_TEXT_MAX, JSONX_REQUIRED, r->arena, &expr, err) !=
        KT_OK) {
        return err->rc;
    }
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    const char **names, **exprs;
    size_t n = 0;
    bool existed = false; /* 201 when the trait is new, 200 when it is redefined */
    enum kt_rc rc = store_trait_def_list(w, r->arena, &names, &exprs, &n, err);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        existed = existed || strcmp(names[i], r->params[0]) == 0;
    }
    if (rc == KT_OK) {
        rc = trait_define(w, r->params[0], expr, now, r->arena, &se, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "trait", NULL, NULL,
                         arena_printf(r->arena, "define %s", r->params[0]), r->rid, now, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return check_error(r, err, &se);
    }
    if (trait_compute(r->app->store, r->params[0], expr, now, r->arena, &count, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, existed ? 200 : 201,
                    json_pack("{s:s, s:s, s:I, s:s}", "name", r->params[0], "expression", expr,
                              "customers", (json_int_t)count, "computed_at",
                              api_time(r->arena, now)));
    return KT_OK;
}

enum kt_rc api_traits_list(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    const char **names, **exprs;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_trait_def_list(rd, r->arena, &names, &exprs, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; traits_builtin[i] != NULL; i++) {
        json_array_append_new(items,
                              json_pack("{s:s, s:b}", "name", traits_builtin[i], "builtin", 1));
    }
    static const char *const stored[] = {"rfm_score", "rfm_group", "cluster"};
    for (size_t i = 0; i < 3; i++) {
        json_array_append_new(
            items, json_pack("{s:s, s:b, s:s}", "name", stored[i], "builtin", 1, "computed_by",
                             i < 2 ? "POST /v1/traits/rfm" : "POST /v1/clusters"));
    }
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "name", names[i], "expression",
                                               exprs[i], "builtin", 0));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}

enum kt_rc api_traits_refresh(struct http_req *r, struct kt_err *err)
{
    int64_t n = 0;
    http_req_reader_end(r);
    if (traits_refresh_all(r->app->store, clock_now_ms(), &n, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, json_pack("{s:I}", "refreshed", (json_int_t)n));
    return KT_OK;
}
