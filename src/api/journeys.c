/*
 * journeys.c - the journeys' routes (docs/journeys.md), admin only but the customer's runs:
 *
 *   PUT  /v1/journeys/{key}                  a new version of the document (201 a new journey)
 *   GET  /v1/journeys                        every journey, by key
 *   GET  /v1/journeys/{key}                  one, with its latest document (?version=N: N's)
 *   POST /v1/journeys/{key}/start|pause|archive
 *   GET  /v1/customers/{id}/journeys         the customer's runs, newest first (audited)
 *   POST /v1/journeys/{key}/simulate         the timeline for one customer, nothing kept (audited)
 *   GET  /v1/reports/journeys/{key}          what it did and earned (journey/report.h)
 *
 * The rules are journey/'s (doc.c, doc_check.c, admin.c); the runs are the engine's.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/num.h"
#include "consent/consent.h"
#include "journey/admin.h"
#include "journey/journey.h"
#include "journey/report.h"
#include "journey/simulate.h"

enum kt_rc api_journeys_put(struct http_req *r, struct kt_err *err)
{
    struct journey_row j;
    const char *doc;
    bool created, added;
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL) {
        return err->rc;
    }
    struct journey_actor who = {r->key->id, r->rid};
    if (journey_save(r->app->store, r->params[0], body, &who, clock_now_ms(), r->arena, &j, &doc,
                     &created, &added, err) != KT_OK) {
        return err->rc;
    }
    struct journey_version v = {j.key, j.version, doc, j.updated_at, NULL};
    /* 201 for a new journey; 200 for its next version and for the same body again */
    http_reply_json(r, created ? 201 : 200, journey_json(r->arena, &j, &v));
    return KT_OK;
}

enum kt_rc api_journeys_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {NULL};
    struct store_conn *rd;
    struct journey_row *js;
    size_t n;
    if (http_req_query_only(r, allowed, err) != KT_OK || http_req_reader(r, &rd, err) != KT_OK ||
        store_journey_list(rd, r->arena, &js, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, journey_json(r->arena, &js[i], NULL));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}

static enum kt_rc not_found(const char *field, struct kt_err *err)
{
    return kt_err_set(err, KT_ENOTFOUND, "journey_not_found", field, "journey not found");
}

/* The journey the path names. */
static enum kt_rc find(struct http_req *r, struct store_conn *rd, struct journey_row *j,
                       struct kt_err *err)
{
    bool found = false;
    if (!journey_key_valid(r->params[0])) {
        return not_found(NULL, err);
    }
    if (store_journey_get(rd, r->params[0], r->arena, j, &found, err) != KT_OK) {
        return err->rc;
    }
    return found ? KT_OK : not_found(NULL, err);
}

enum kt_rc api_journeys_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct journey_row j;
    struct journey_version v;
    bool found = false;
    int64_t version;
    if (api_version_query(r, &version, err) != KT_OK || http_req_reader(r, &rd, err) != KT_OK ||
        find(r, rd, &j, err) != KT_OK ||
        store_journey_version_get(rd, j.key, version, r->arena, &v, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) {
        return not_found("version", err);
    }
    http_reply_json(r, 200, journey_json(r->arena, &j, &v));
    return KT_OK;
}

/* POST /v1/journeys/{key}/<action>. */
static enum kt_rc act(struct http_req *r, const char *action, struct kt_err *err)
{
    struct journey_row j;
    struct journey_actor who = {r->key->id, r->rid};
    if (journey_act(r->app->store, r->params[0], action, &who, clock_now_ms(), r->arena, &j, err) !=
        KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, journey_json(r->arena, &j, NULL));
    return KT_OK;
}

enum kt_rc api_journeys_start(struct http_req *r, struct kt_err *err)
{
    return act(r, "start", err);
}

enum kt_rc api_journeys_pause(struct http_req *r, struct kt_err *err)
{
    return act(r, "pause", err);
}

enum kt_rc api_journeys_archive(struct http_req *r, struct kt_err *err)
{
    return act(r, "archive", err);
}

/* ---- a customer's runs ----------------------------------------------------------------------- */

/* The documents of the versions the runs are in, decoded once each per request. */
struct docs {
    const char *key[16];
    int64_t version[16];
    struct journey_doc *doc[16];
    size_t n;
};

/* The id of the step run `run` is at, from the version it entered with (NULL when that version
 * is gone or no longer decodes: the run is shown without it); a store error fails. */
static enum kt_rc step_id(struct store_conn *rd, struct docs *ds, const struct journey_run *run,
                          struct arena *a, const char **id, struct kt_err *err)
{
    struct journey_doc *d = NULL;
    *id = NULL;
    for (size_t i = 0; i < ds->n && d == NULL; i++) {
        if (ds->version[i] == run->version && strcmp(ds->key[i], run->journey) == 0) {
            d = ds->doc[i];
        }
    }
    if (d == NULL) {
        struct kt_err e;
        kt_err_reset(&e);
        d = arena_zalloc(a, sizeof(*d));
        if (journey_doc_load(rd, run->journey, run->version, a, d, &e) != KT_OK) {
            bool absent = e.rc == KT_ENOTFOUND || e.rc == KT_EINVAL || e.rc == KT_EINTERNAL;
            return absent ? KT_OK : kt_err_copy(err, &e);
        }
        if (ds->n < sizeof(ds->doc) / sizeof(ds->doc[0])) {
            ds->key[ds->n] = run->journey;
            ds->version[ds->n] = run->version;
            ds->doc[ds->n++] = d;
        }
    }
    if (run->step >= 0 && (size_t)run->step < d->n_steps) {
        *id = d->steps[run->step].id;
    }
    return KT_OK;
}

static json_t *time_or_null(struct arena *a, int64_t ms)
{
    return ms ? json_string(time_rfc3339(a, ms)) : json_null();
}

static json_t *run_json(const struct journey_run *run, const char *step, struct arena *a)
{
    json_t *o =
        json_pack("{s:s, s:s, s:I, s:o, s:s, s:o, s:s, s:s, s:o, s:o}", "id",
                  arena_printf(a, "%lld", (long long)run->id), "journey", run->journey, "version",
                  (json_int_t)run->version, "step", step ? json_string(step) : json_null(), "state",
                  run->state, "due_at", time_or_null(a, run->due_at), "entered_at",
                  time_rfc3339(a, run->entered_at), "updated_at", time_rfc3339(a, run->updated_at),
                  "finished_at", time_or_null(a, run->finished_at), "exit",
                  run->exit ? json_string(run->exit) : json_null());
    bool keyed = run->entry_key != NULL && run->entry_key[0] != '\0';
    json_object_set_new(o, "entry_key", keyed ? json_string(run->entry_key) : json_null());
    return o;
}

enum kt_rc api_customer_journeys(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", NULL};
    int limit;
    struct store_conn *rd;
    struct customer cu;
    struct journey_run *runs;
    struct docs ds = {0};
    size_t n;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 100, 1000, &limit, err) != KT_OK || http_req_reader(r, &rd, err) != KT_OK ||
        api_path_customer(r, rd, &cu, err) != KT_OK ||
        store_journey_runs_of(rd, cu.ck, limit, r->arena, &runs, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *step;
        if (step_id(rd, &ds, &runs[i], r->arena, &step, err) != KT_OK) {
            json_decref(items);
            return err->rc;
        }
        json_array_append_new(items, run_json(&runs[i], step, r->arena));
    }
    api_audit_note(r, "read", cu.id, AUDIT_F_JOURNEYS);
    http_reply_json(r, 200, json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items));
    return KT_OK;
}

/* ---- the report ------------------------------------------------------------------------------ */

enum kt_rc api_reports_journey(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"window_days", NULL};
    const char *w = http_req_query(r, "window_days");
    int64_t days = JOURNEY_WINDOW_DAYS;
    struct store_conn *rd;
    json_t *doc;
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if (w != NULL && !num_parse_cstr(w, 1, 90, &days)) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "window_days",
                          "window_days is a number from 1 to 90");
    }
    if (!journey_key_valid(r->params[0])) {
        return not_found(NULL, err);
    }
    if (http_req_analytics(r, &rd, err) != KT_OK ||
        (doc = journey_report_doc(rd, r->params[0], days, r->arena, err)) == NULL) {
        return err->rc;
    }
    http_reply_json(r, 200, doc);
    return KT_OK;
}

/* ---- the simulation -------------------------------------------------------------------------- */

enum kt_rc api_journeys_simulate(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"customer_id", "days", "version", "key", "context", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *cid = NULL, *key = NULL;
    const json_t *context = NULL;
    int64_t days = 0, version = 0;
    struct store_conn *rd;
    struct customer cu;
    bool found = false;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "customer_id", 64, JSONX_REQUIRED, r->arena, &cid, err) != KT_OK ||
        jsonx_int(body, "", "days", 1, JOURNEY_SIMULATE_DAYS_MAX, JSONX_REQUIRED, &days, err) !=
            KT_OK ||
        jsonx_int(body, "", "version", 1, INT32_MAX, 0, &version, err) != KT_OK ||
        jsonx_str(body, "", "key", 256, 0, r->arena, &key, err) != KT_OK ||
        jsonx_object(body, "", "context", NULL, 0, r->arena, &context, err) != KT_OK) {
        return err->rc;
    }
    if (!journey_key_valid(r->params[0])) {
        return not_found(NULL, err);
    }
    if (http_req_reader(r, &rd, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_customer_get_by_id(rd, cid, r->arena, &cu, &found, err);
    http_req_reader_end(r); /* the simulation takes the writer: no read snapshot across it */
    if (rc != KT_OK) {
        return rc;
    }
    if (!found || cu.erased_at != 0) {
        return kt_err_set(err, KT_EINVAL, "customer_not_found", "customer_id",
                          "no customer has that id");
    }
    json_t *ctx = json_pack("{s:s, s:o}", "key", key != NULL ? key : "", "event",
                            context != NULL ? json_deep_copy(context) : json_object());
    struct journey_conf jc = {r->app->store, &r->app->secret, r->app->sms_sender};
    struct journey_sim sim = {r->params[0], version, cu.ck,          key != NULL ? key : "",
                              ctx,          days,    &r->app->policy};
    json_t *out = NULL;
    rc = journey_simulate(&jc, &sim, clock_now_ms(), r->arena, &out, err);
    json_decref(ctx);
    if (rc != KT_OK) {
        return rc;
    }
    json_object_set_new(out, "customer_id", json_string(cu.id));
    api_audit_note(r, "read", cu.id, AUDIT_F_JOURNEYS);
    http_reply_json(r, 200, out);
    return KT_OK;
}
