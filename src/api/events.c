/*
 * events.c - behaviour events through the API (docs/events.md).
 *
 *   POST /v1/events             one event          201 stored, 200 duplicate, 422 refused
 *   POST /v1/events/batch       {"events": [...]}  up to 1,000; one result per event
 *   GET/PUT /v1/event-types[/{name}]               the standard types and the retailer's own
 *   GET /v1/customers/{id}/events                  newest first
 *   GET /v1/reports/events                         how many of each type arrived
 *   GET /v1/sdk.js                                 the browser SDK
 * The two POSTs are beacon routes: a browser may send them (CORS, text/plain, ?key=).
 * A collect key is public (it sits in a web page): its answers never depend on whether the person
 * an event names is a customer (docs/events.md, "A public key learns nothing ...").
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/embed.h"
#include "base/jsonx.h"
#include "base/num.h"
#include "consent/consent.h"
#include "events/events.h"

extern const struct embedded_file events_data_files[];
extern const size_t events_data_files_count;

/* Decodes `arr[0..n)` (refusals recorded per event) on a read snapshot, so that requests decode
 * side by side; then stores the rest, in a transaction shared with the batches of other requests
 * arriving meanwhile (group commit). */
static enum kt_rc take(struct http_req *r, const json_t *const *arr, size_t n, bool batch,
                       struct event_in **in_out, struct event_result **res_out, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    struct store_conn *rd;
    struct event_types types;
    struct event_in *in = arena_zalloc(r->arena, (n ? n : 1) * sizeof(*in));
    struct event_result *res = arena_zalloc(r->arena, (n ? n : 1) * sizeof(*res));
    enum kt_rc rc = http_req_reader(r, &rd, err);
    if (rc == KT_OK) {
        rc = event_types_load(rd, r->arena, &types, err);
        http_req_reader_end(r); /* a writer must not hold a snapshot */
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        kt_err_reset(&res[i].err);
        const char *path = batch ? arena_printf(r->arena, "events[%zu]", i) : "";
        if (event_decode(arr[i], &types, now, path, r->arena, &in[i], &res[i].err) != KT_OK) {
            res[i].status = EVENT_REFUSED;
        }
    }
    /* Keys that can read customers may learn that one does not exist; a collect key may not. */
    enum event_unknown unknown = r->key->scope == SCOPE_COLLECT ? EVENT_KEEP : EVENT_REFUSE;
    if (rc == KT_OK) {
        rc = events_ingest_grouped(r->app->store, &r->app->secret, in, n, unknown, now, r->arena,
                                   res, err);
    }
    *in_out = in;
    *res_out = res;
    return rc;
}

static const char *const status_names[] = {"stored", "duplicate", "refused"};

enum kt_rc api_events_post(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct event_in *in;
    struct event_result *res;
    if (body == NULL || take(r, (const json_t *const *)&body, 1, false, &in, &res, err) != KT_OK) {
        return err->rc;
    }
    if (res[0].status == EVENT_REFUSED) {
        return kt_err_copy(err, &res[0].err);
    }
    http_reply_json(r, res[0].status == EVENT_STORED ? 201 : 200,
                    json_pack("{s:s}", "status", status_names[res[0].status]));
    return KT_OK;
}

enum kt_rc api_events_batch(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    static const char *const known[] = {"events", NULL};
    const json_t *events = NULL;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_array(body, "", "events", 1, EVENTS_BATCH_MAX, JSONX_REQUIRED, &events, err) !=
            KT_OK) {
        return err->rc;
    }
    size_t n = json_array_size(events);
    const json_t **arr = arena_alloc(r->arena, n * sizeof(*arr));
    for (size_t i = 0; i < n; i++) {
        arr[i] = json_array_get(events, i);
    }
    struct event_in *in;
    struct event_result *res;
    if (take(r, arr, n, true, &in, &res, err) != KT_OK) {
        return err->rc;
    }
    size_t counts[3] = {0, 0, 0};
    json_t *results = json_array();
    for (size_t i = 0; i < n; i++) {
        counts[res[i].status]++;
        json_t *o = json_pack("{s:s}", "status", status_names[res[i].status]);
        if (res[i].status == EVENT_REFUSED) {
            json_t *e = http_error_json(&res[i].err, NULL);
            json_object_update(o, e);
            json_decref(e);
        }
        json_array_append_new(results, o);
    }
    http_reply_json(r, 200,
                    json_pack("{s:I, s:I, s:I, s:o}", "stored", (json_int_t)counts[EVENT_STORED],
                              "duplicates", (json_int_t)counts[EVENT_DUPLICATE], "refused",
                              (json_int_t)counts[EVENT_REFUSED], "results", results));
    return KT_OK;
}

/* ---- types ---------------------------------------------------------------------------------- */

static json_t *type_json(const struct event_type *t, struct arena *a)
{
    return json_pack("{s:s, s:o, s:o, s:b, s:s}", "name", t->name, "properties",
                     json_loads(t->properties, 0, NULL), "required",
                     json_loads(t->required, 0, NULL), "standard", 0, "updated_at",
                     api_time(a, t->updated_at));
}

enum kt_rc api_event_types_list(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct event_type *t;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_event_type_list(rd, r->arena, &t, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = event_standard_types_json();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, type_json(&t[i], r->arena));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}

enum kt_rc api_event_types_put(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct event_type t;
    struct store_conn *w;
    if (body == NULL || event_type_decode(r->params[0], body, now, r->arena, &t, err) != KT_OK ||
        store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    struct event_type *rows;
    size_t n;
    enum kt_rc rc = store_event_type_list(w, r->arena, &rows, &n, err);
    bool known = false;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        known = known || strcmp(rows[i].name, t.name) == 0;
    }
    if (rc == KT_OK && !known && n >= EVENT_CUSTOM_MAX) {
        rc = kt_err_set(err, KT_ECONFLICT, "too_many_types", "name",
                        "at most %d custom event types", EVENT_CUSTOM_MAX);
    }
    if (rc == KT_OK) {
        rc = store_event_type_put(w, &t, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "event_type", NULL, NULL,
                         arena_printf(r->arena, "declare %s", t.name), r->rid, now, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, known ? 200 : 201, type_json(&t, r->arena)); /* 201: declared anew */
    return KT_OK;
}

/* ---- reading -------------------------------------------------------------------------------- */

enum kt_rc api_customer_events(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    struct store_conn *rd;
    struct customer cu;
    struct event *e;
    size_t n;
    int limit;
    int64_t before = 0;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 100, 1000, &limit, err) != KT_OK) {
        return err->rc;
    }
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        api_cursor_num(r, "events", cu.id, &before, err) != KT_OK ||
        store_events_list(rd, cu.ck, before, limit, r->arena, &e, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s}", "type", e[i].type, "at", api_time(r->arena, e[i].at),
                      "received_at", api_time(r->arena, e[i].received_at), "channel", e[i].channel);
        json_object_set_new(o, "properties",
                            e[i].props ? json_loads(e[i].props, 0, NULL) : json_object());
        json_array_append_new(items, o);
    }
    json_t *o = json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items);
    json_object_set_new(
        o, "next_cursor",
        api_next_cursor(r, "events", cu.id,
                        n == (size_t)limit ? arena_printf(r->arena, "%lld", (long long)e[n - 1].seq)
                                           : NULL));
    api_audit_note(r, "read", cu.id, AUDIT_F_EVENTS);
    http_reply_json(r, 200, o);
    return KT_OK;
}

enum kt_rc api_reports_events(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"since", "until", NULL};
    int64_t since = INT64_MIN, until = INT64_MAX;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_since_until(r, &since, &until, err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *rd;
    const char **types;
    int64_t *counts, total = 0;
    size_t n;
    if (http_req_analytics(r, &rd, err) != KT_OK ||
        store_event_counts(rd, since, until, r->arena, &types, &counts, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *by = json_object();
    for (size_t i = 0; i < n; i++) {
        json_object_set_new(by, types[i], json_integer(counts[i]));
        total += counts[i];
    }
    http_reply_json(r, 200, json_pack("{s:I, s:o}", "count", (json_int_t)total, "by_type", by));
    return KT_OK;
}

enum kt_rc api_sdk_js(struct http_req *r, struct kt_err *err)
{
    for (size_t i = 0; i < events_data_files_count; i++) {
        if (strcmp(events_data_files[i].name, "sdk.js") == 0) {
            http_reply_text(r, 200, "application/javascript; charset=utf-8",
                            events_data_files[i].data, events_data_files[i].len);
            return KT_OK;
        }
    }
    return kt_err_set(err, KT_ENOTFOUND, "not_found", NULL, "the SDK is not built in");
}
