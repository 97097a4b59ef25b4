/*
 * incidents.c - /v1/incidents: the incident register of 152-FZ art. 21 part 3.1, with the 24-
 * and 72-hour notices it computes and the subjects affected it counts from the log of reads
 * (privacy/incident.c; docs/privacy.md, "Incidents").
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "privacy/privacy.h"

enum kt_rc api_incidents_create(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct incident x;
    if (body == NULL || privacy_incident_create(r->app->store, body, r->key->id, r->rid, now,
                                                r->arena, &x, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 201, privacy_incident_json(&x, now, r->arena));
    return KT_OK;
}

enum kt_rc api_incidents_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"overdue", "limit", "cursor", NULL};
    int64_t now = clock_now_ms();
    const char *cursor, *ov = http_req_query(r, "overdue");
    struct store_conn *rd;
    struct incident *x;
    size_t n;
    int limit;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 50, 500, &limit, err) != KT_OK ||
        api_cursor(r, "incidents", "", &cursor, err) != KT_OK) {
        return err->rc;
    }
    if (ov && strcmp(ov, "true") != 0 && strcmp(ov, "false") != 0) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "overdue", "overdue is true or false");
    }
    if (cursor && !id_valid(cursor, "n_")) {
        return api_bad_cursor(err);
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_incident_list(rd, ov && strcmp(ov, "true") == 0 ? now : 0, cursor, limit, r->arena,
                            &x, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, privacy_incident_json(&x[i], now, r->arena));
    }
    http_reply_json(
        r, 200,
        json_pack("{s:o, s:o}", "items", items, "next_cursor",
                  api_next_cursor(r, "incidents", "", n == (size_t)limit ? x[n - 1].id : NULL)));
    return KT_OK;
}

enum kt_rc api_incidents_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct incident x;
    if (!id_valid(r->params[0], "n_")) {
        return kt_err_set(err, KT_ENOTFOUND, "incident_not_found", "id", "incident not found");
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_incident_get(rd, r->params[0], r->arena, &x, NULL, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, privacy_incident_json(&x, clock_now_ms(), r->arena));
    return KT_OK;
}

enum kt_rc api_incidents_update(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct incident x;
    if (body == NULL || privacy_incident_update(r->app->store, r->params[0], body, r->key->id,
                                                r->rid, now, r->arena, &x, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, privacy_incident_json(&x, now, r->arena));
    return KT_OK;
}
