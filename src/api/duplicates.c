/*
 * duplicates.c - the review queue of fuzzy duplicates (docs/dedup.md): GET /v1/duplicates (the
 * pairs by weight, strongest first, each with its explanation), POST /v1/duplicates/{id}/merge
 * (one merged into the other, journalled as any merge) and POST /v1/duplicates/{id}/reject (two
 * people: the pair is never proposed again). The pairs come from `kartoteka dedup run` and from
 * the check at upsert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "identity/identity.h"
#include "base/jsonx.h"
#include "quality/duplicates.h"

static const char *const states[] = {"open", "merged", "rejected", "vetoed", NULL};

static json_t *pair_json(struct http_req *r, const struct dup_pair *p)
{
    json_t *why = json_loads(p->explanation, 0, NULL);
    json_t *o = json_pack("{s:s, s:[s, s], s:f, s:f, s:o, s:s, s:s, s:s}", "id", p->id, "customers",
                          p->id_a, p->id_b, "weight", p->weight, "probability", p->prob,
                          "explanation", why ? why : json_array(), "source", p->source, "state",
                          p->state, "found_at", api_time(r->arena, p->found_at));
    if (p->reason != NULL) {
        json_object_set_new(o, "reason", json_string(p->reason));
    }
    if (p->decided_at != 0) {
        json_object_set_new(o, "decided_at", json_string(api_time(r->arena, p->decided_at)));
    }
    return o;
}

/* ---- GET /v1/duplicates -------------------------------------------------------------------- */

enum kt_rc api_duplicates_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", "state", NULL};
    int limit;
    const char *cursor, *state = http_req_query(r, "state");
    if (http_req_query_only(r, allowed, err) != KT_OK || api_limit(r, 50, 200, &limit, err) ||
        api_cursor(r, "duplicates", state ? state : "open", &cursor, err) != KT_OK) {
        return err->rc;
    }
    state = state ? state : "open";
    bool known = false;
    for (size_t i = 0; states[i] && !known; i++) {
        known = strcmp(states[i], state) == 0;
    }
    if (!known) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "state",
                          "state is one of open, merged, rejected, vetoed");
    }
    /* the position: the last pair's weight and id, "W id" */
    double after_w = 0;
    const char *after_id = NULL;
    if (cursor != NULL) {
        const char *sp = strchr(cursor, ' ');
        char *end = NULL;
        after_w = strtod(cursor, &end);
        if (sp == NULL || end != sp || !id_valid(sp + 1, "dp_")) {
            return api_bad_cursor(err);
        }
        after_id = sp + 1;
    }
    struct store_conn *rd;
    struct dup_pair *ps = NULL;
    size_t n = 0;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_dup_pair_list(rd, state, after_w, after_id, limit, r->arena, &ps, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, pair_json(r, &ps[i]));
        /* as the quality report's groups: each customer named is a read (ids and levels only) */
        api_audit_note(r, "read", ps[i].id_a, 0);
        api_audit_note(r, "read", ps[i].id_b, 0);
    }
    const char *pos = n == (size_t)limit
                          ? arena_printf(r->arena, "%.17g %s", ps[n - 1].weight, ps[n - 1].id)
                          : NULL;
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o}", "items", items, "next_cursor",
                              api_next_cursor(r, "duplicates", state, pos)));
    return KT_OK;
}

/* ---- POST /v1/duplicates/{id}/merge and /reject -------------------------------------------- */

/* The body (or none), with no member but `allowed`. */
static json_t *body_of(struct http_req *r, const char *allowed, struct kt_err *err)
{
    json_t *body = api_own(r->arena, r->body_len > 0 ? http_req_json(r, err) : json_object());
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, allowed) != 0) {
            kt_err_set(err, KT_EINVAL, "unknown_field", arena_strdup(r->arena, key),
                       "unknown field '%s'", key);
            return NULL;
        }
    }
    return body;
}

enum kt_rc api_duplicates_merge(struct http_req *r, struct kt_err *err)
{
    json_t *body = body_of(r, "into", err);
    const char *into = NULL;
    if (body == NULL || jsonx_str(body, "", "into", 64, 0, r->arena, &into, err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *w;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    struct dup_actor by = {r->key->id, r->rid};
    struct customer cu;
    json_t *view = NULL;
    enum kt_rc rc = dup_merge(w, r->params[0], into, &by, clock_now_ms(), r->arena, &cu, err);
    if (rc == KT_OK) {
        view = ident_customer_json(w, &cu, r->arena, err);
        rc = view ? KT_OK : err->rc;
    }
    if ((rc = store_write_end(w, rc, err)) != KT_OK) {
        json_decref(view);
        return err->rc;
    }
    http_reply_json(r, 200, json_pack("{s:o}", "customer", view));
    return KT_OK;
}

enum kt_rc api_duplicates_reject(struct http_req *r, struct kt_err *err)
{
    json_t *body = body_of(r, "note", err);
    const char *note = NULL;
    if (body == NULL || jsonx_str(body, "", "note", 500, 0, r->arena, &note, err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *w;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    struct dup_actor by = {r->key->id, r->rid};
    struct dup_pair p;
    enum kt_rc rc = dup_reject(w, r->params[0], note, &by, clock_now_ms(), r->arena, &p, err);
    if ((rc = store_write_end(w, rc, err)) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, pair_json(r, &p));
    return KT_OK;
}
