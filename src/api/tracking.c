/*
 * tracking.c - the Segment tracking API (docs/collect.md): a shop points the Segment SDKs it has
 * (analytics.js, analytics-node, the mobile ones, RudderStack, Jitsu) at Kartoteka by changing
 * the host name.
 *
 *   POST /v1/batch, /v1/b                 {"batch": [message, ...], "sentAt": ...}
 *   POST /v1/track|identify|page|screen|group|alias, /v1/t|i|p|s|g|a    one message
 *
 * http/ has already read the key (Basic-auth user name, Bearer, or the body's writeKey), gunzipped
 * the body and held it to 500 KB (ROUTE_TRACK). Each message is mapped (events/tracking.c):
 * identify and alias go through the upsert of POST /v1/customers, one write each, before the
 * batch's events, so that a track naming a userId identified in the same batch finds it; the
 * events are decoded and stored as POST /v1/events/batch stores them (message ids once, group
 * commit). An event naming nobody is kept without the identifier whatever the key, as a collect
 * key's is: the answer is the same for everyone. Success is exactly 200 (an SDK counts 201 as a
 * failure); every refusal of the request is a 400, which the SDKs drop instead of retrying; a
 * writer that is behind answers 429 with Retry-After, which they retry.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/log.h"
#include "events/tracking.h"

/* The message's size as sent: its compact JSON. */
static size_t msg_size(const json_t *m)
{
    return json_dumpb(m, NULL, 0, JSON_COMPACT);
}

/* An error of the request as the SDKs understand it: 400 for what a retry cannot mend, 429 with
 * Retry-After for what it can (a busy store or writer), the rest as it is (401, 403, 5xx). */
static enum kt_rc as_sdk_error(struct kt_err *err)
{
    if (err->rc == KT_EINVAL || err->rc == KT_ETOOBIG || err->rc == KT_ECONFLICT ||
        err->rc == KT_ENOTFOUND || err->rc == KT_EGONE || err->rc == KT_ELOCKED) {
        err->rc = KT_EBADREQ;
    } else if (err->rc == KT_EBUSY) {
        err->rc = KT_ELIMIT;
        err->retry_after = err->retry_after > 0 ? err->retry_after : 1;
    }
    return err->rc;
}

/* What the messages are checked and mapped against: the custom event types and, when a message
 * is an identify with traits, the declared attributes' names. */
static enum kt_rc load_ctx(struct http_req *r, bool attrs, struct event_types *types,
                           struct track_ctx *c, struct kt_err *err)
{
    struct store_conn *rd;
    enum kt_rc rc = http_req_reader(r, &rd, err);
    if (rc == KT_OK) {
        rc = event_types_load(rd, r->arena, types, err);
    }
    struct attr_def *defs = NULL;
    size_t n = 0;
    if (rc == KT_OK && attrs) {
        rc = store_attr_list(rd, r->arena, &defs, &n, err);
    }
    http_req_reader_end(r); /* the writes that follow must not hold a snapshot */
    const char **names = arena_alloc(r->arena, (n ? n : 1) * sizeof(*names));
    for (size_t i = 0; i < n; i++) {
        names[i] = defs[i].name;
    }
    c->types = types;
    c->attrs = names;
    c->n_attrs = n;
    c->user_system = r->app->track_user_system ? r->app->track_user_system : "shop";
    return rc;
}

/* A field of the document a message was mapped to, named as the message names it: the
 * profile's and attributes' fields are traits, the external id userId, the cookie or device
 * anonymousId, the time timestamp. */
static void sdk_field(struct kt_err *e, const char *path, struct arena *a)
{
    static const char *const map[][2] = {
        {"profile", "traits"},
        {"attributes", "traits"},
        {"consents", "traits.consents"},
        {"identifiers.external", "userId"},
        {"customer.ext:", "userId"},
        {"identifiers.cookie", "anonymousId"},
        {"identifiers.device", "anonymousId"},
        {"customer.cookie", "anonymousId"},
        {"customer.device", "anonymousId"},
        {"source", "timestamp"},
        {"at", "timestamp"},
        {"message_id", "messageId"},
    };
    size_t skip = path[0] && strncmp(e->field, path, strlen(path)) == 0 ? strlen(path) + 1 : 0;
    const char *f = strlen(e->field) >= skip ? e->field + skip : "";
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        size_t n = strlen(map[i][0]);
        if (strncmp(f, map[i][0], n) == 0) {
            const char *to = strcmp(map[i][1], "traits") == 0 && f[n] == '.'
                                 ? arena_printf(a, "traits%s", f + n)
                                 : map[i][1];
            const char *full = path[0] ? arena_printf(a, "%s.%s", path, to) : to;
            kt_strlcpy(e->field, full, sizeof(e->field));
            return;
        }
    }
}

/* One message's outcome. */
struct item {
    const json_t *msg;
    enum track_call call;
    const char *path;
    struct track_out out;
    bool rejected;
    struct kt_err err;
};

/* Maps every message; a refusal is the message's own. */
static void map_all(struct track_ctx *c, struct item *it, size_t n, struct arena *a)
{
    for (size_t i = 0; i < n; i++) {
        if (it[i].rejected) {
            continue;
        }
        it[i].rejected = track_map(it[i].msg, it[i].call, false, c, it[i].path, a, &it[i].out,
                                   &it[i].err) != KT_OK;
    }
}

/* The identify and alias calls, in order, each through the upsert of POST /v1/customers. A
 * refusal is the message's; a store that cannot write fails the request. */
static enum kt_rc customers(struct http_req *r, struct item *it, size_t n, struct kt_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (it[i].rejected || it[i].out.kind != TRACK_AS_CUSTOMER) {
            continue;
        }
        int status;
        json_t *reply = NULL;
        struct kt_err e;
        kt_err_reset(&e);
        enum kt_rc rc = api_customers_take(r, it[i].out.doc, NULL, &status, &reply, &e);
        json_decref(reply);
        if (rc == KT_EBUSY || rc == KT_ESTORE || rc == KT_ESPACE || rc == KT_EINTERNAL) {
            return kt_err_copy(err, &e);
        }
        if (rc != KT_OK) {
            it[i].rejected = true;
            kt_err_copy(&it[i].err, &e);
            sdk_field(&it[i].err, it[i].path, r->arena);
        }
    }
    return KT_OK;
}

/* Whether a decoding error is about the event's properties - the mapped type wants what the
 * message did not bring - so that the message is stored as the open type `track` instead. */
static bool props_refused(const struct kt_err *e)
{
    return strstr(e->field, "properties") != NULL;
}

/* The events: decoded (a message whose properties do not make its type falls back to `track`),
 * then stored in one group commit. */
static enum kt_rc events(struct http_req *r, struct track_ctx *c, struct item *it, size_t n,
                         size_t *stored, size_t *dups, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    struct event_in *in = arena_zalloc(r->arena, (n ? n : 1) * sizeof(*in));
    struct event_result *res = arena_zalloc(r->arena, (n ? n : 1) * sizeof(*res));
    size_t *idx = arena_alloc(r->arena, (n ? n : 1) * sizeof(*idx));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (it[i].rejected || it[i].out.kind != TRACK_AS_EVENT) {
            continue;
        }
        kt_err_reset(&res[m].err);
        enum kt_rc rc =
            event_decode(it[i].out.doc, c->types, now, it[i].path, r->arena, &in[m], &res[m].err);
        if (rc != KT_OK && props_refused(&res[m].err)) {
            struct track_out g;
            kt_err_reset(&res[m].err);
            rc = track_map(it[i].msg, it[i].call, true, c, it[i].path, r->arena, &g, &res[m].err);
            if (rc == KT_OK) {
                it[i].out = g;
                rc = event_decode(g.doc, c->types, now, it[i].path, r->arena, &in[m], &res[m].err);
            }
        }
        if (rc != KT_OK) {
            it[i].rejected = true;
            kt_err_copy(&it[i].err, &res[m].err);
            sdk_field(&it[i].err, it[i].path, r->arena);
            continue;
        }
        idx[m++] = i;
    }
    if (m > 0 && events_ingest_grouped(r->app->store, &r->app->secret, in, m, EVENT_KEEP, now,
                                       r->arena, res, err) != KT_OK) {
        return err->rc;
    }
    for (size_t k = 0; k < m; k++) {
        *stored += res[k].status == EVENT_STORED;
        *dups += res[k].status == EVENT_DUPLICATE;
        if (res[k].status == EVENT_REFUSED) {
            it[idx[k]].rejected = true;
            kt_err_copy(&it[idx[k]].err, &res[k].err);
        }
    }
    return KT_OK;
}

/* The call a route serves, from its path's last segment ("/v1/track", "/v1/t"). */
static enum track_call route_call(const struct http_req *r)
{
    enum track_call call = TRACK_TRACK;
    const char *last = strrchr(r->route->pattern, '/');
    track_call_parse(last ? last + 1 : "", &call);
    return call;
}

/* Takes messages `it[0..n)`: maps, writes; the counts for the reply (`dropped`: the calls
 * ignored, the properties and traits left out). */
static enum kt_rc take(struct http_req *r, const json_t *sent_at, struct item *it, size_t n,
                       size_t *stored, size_t *dups, size_t dropped[2], struct kt_err *err)
{
    bool attrs = false;
    for (size_t i = 0; i < n; i++) {
        attrs = attrs || (it[i].call == TRACK_IDENTIFY && !it[i].rejected &&
                          json_object_get(it[i].msg, "traits") != NULL);
    }
    struct event_types types;
    struct track_ctx c;
    memset(&c, 0, sizeof(c));
    c.received_at = clock_now_ms();
    c.batch_sent_at = sent_at;
    if (load_ctx(r, attrs, &types, &c, err) != KT_OK) {
        return err->rc;
    }
    map_all(&c, it, n, r->arena);
    if (customers(r, it, n, err) != KT_OK || events(r, &c, it, n, stored, dups, err) != KT_OK) {
        return err->rc;
    }
    for (size_t i = 0; i < n; i++) {
        dropped[0] += !it[i].rejected && it[i].out.kind == TRACK_AS_NOTHING;
        dropped[1] += it[i].rejected ? 0 : (size_t)it[i].out.dropped;
    }
    return KT_OK;
}

enum kt_rc api_track_call(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL) {
        return as_sdk_error(err);
    }
    if (msg_size(body) > TRACK_EVENT_MAX) {
        return kt_err_set(err, KT_EBADREQ, "event_too_large", NULL,
                          "a message may be at most %d bytes", TRACK_EVENT_MAX);
    }
    struct item it;
    memset(&it, 0, sizeof(it));
    it.msg = body;
    it.call = route_call(r);
    it.path = "";
    kt_err_reset(&it.err);
    size_t stored = 0, dups = 0, dropped[2] = {0, 0};
    if (take(r, NULL, &it, 1, &stored, &dups, dropped, err) != KT_OK) {
        return as_sdk_error(err);
    }
    if (it.rejected) {
        kt_err_copy(err, &it.err);
        return as_sdk_error(err);
    }
    http_reply_json(r, 200, json_pack("{s:b}", "success", 1));
    return KT_OK;
}

enum kt_rc api_track_batch(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const json_t *batch = NULL;
    if (body == NULL ||
        jsonx_array(body, "", "batch", 1, TRACK_BATCH_MAX, JSONX_REQUIRED, &batch, err) != KT_OK) {
        return as_sdk_error(err);
    }
    size_t n = json_array_size(batch), writes = 0;
    struct item *it = arena_zalloc(r->arena, n * sizeof(*it));
    for (size_t i = 0; i < n; i++) {
        it[i].msg = json_array_get(batch, i);
        it[i].path = arena_printf(r->arena, "batch[%zu]", i);
        kt_err_reset(&it[i].err);
        if (msg_size(it[i].msg) > TRACK_EVENT_MAX) { /* the whole batch, as Segment answers */
            return kt_err_set(err, KT_EBADREQ, "event_too_large", it[i].path,
                              "a message may be at most %d bytes", TRACK_EVENT_MAX);
        }
        const char *type = json_string_value(json_object_get(it[i].msg, "type"));
        if (!track_call_parse(type, &it[i].call)) {
            it[i].rejected = true;
            kt_err_set(&it[i].err, KT_EINVAL, "unknown_type",
                       arena_printf(r->arena, "%s.type", it[i].path),
                       "type is one of track, identify, page, screen, group, alias");
        } else if ((it[i].call == TRACK_IDENTIFY || it[i].call == TRACK_ALIAS) &&
                   ++writes > TRACK_BATCH_CUSTOMERS) { /* each is a write of its own */
            it[i].rejected = true;
            kt_err_set(&it[i].err, KT_EINVAL, "too_many",
                       arena_printf(r->arena, "%s.type", it[i].path),
                       "at most %d identify and alias calls a batch; load customers in bulk "
                       "with POST /v1/customers or kartoteka import",
                       TRACK_BATCH_CUSTOMERS);
        }
    }
    size_t stored = 0, dups = 0, dropped[2] = {0, 0};
    if (take(r, json_object_get(body, "sentAt"), it, n, &stored, &dups, dropped, err) != KT_OK) {
        return as_sdk_error(err);
    }
    json_t *refused = json_array();
    size_t customers_n = 0;
    for (size_t i = 0; i < n; i++) {
        if (it[i].rejected) {
            json_t *o = json_pack("{s:I}", "index", (json_int_t)i);
            json_t *e = http_error_json(&it[i].err, NULL);
            json_object_update(o, json_object_get(e, "error"));
            json_decref(e);
            json_array_append_new(refused, o);
        } else {
            customers_n += it[i].out.kind == TRACK_AS_CUSTOMER;
        }
    }
    if (json_array_size(refused) > 0) { /* no personal data: codes and fields only */
        log_info("tracking", "rid=%s refused=%zu of=%zu", r->rid, json_array_size(refused), n);
    }
    http_reply_json(r, 200,
                    json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:o}", "success", 1, "stored",
                              (json_int_t)stored, "duplicates", (json_int_t)dups, "customers",
                              (json_int_t)customers_n, "ignored", (json_int_t)dropped[0],
                              "left_out", (json_int_t)dropped[1], "refused", refused));
    return KT_OK;
}
