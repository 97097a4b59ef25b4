/*
 * privacy_requests.c - /v1/privacy-requests: the register of the customers' requests (access,
 * rectification, stop, erasure, unlawful processing) with the legal deadline of each on the
 * production calendar, and the extension of a deadline with its reasoned notice
 * (docs/privacy.md, "Requests register"; the rules of an extension: consent/requests.c).
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/jsonx.h"
#include "consent/consent.h"

#define NOTE_MAX PRIVACY_NOTE_MAX

static json_t *preq_json(struct arena *a, const struct privacy_request *p, int64_t today)
{
    int64_t dl = 0;
    cal_parse(p->deadline, &dl);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s, s:s}", "id", p->id, "kind",
                          p->kind, "received_on", p->received_on, "due_on", p->deadline,
                          "due_on_provisional", p->provisional, "extended", p->extended, "channel",
                          p->channel, "state", p->state, "created_at", api_time(a, p->created_at));
    json_object_set_new(o, "overdue", json_boolean(strcmp(p->state, "open") == 0 && dl < today));
    const char *names[] = {"customer_id", "note", "outcome", "destruction_due_on",
                           "extension_reason"};
    const char *vals[] = {p->customer_id, p->note, p->outcome, p->destroy_deadline,
                          p->extension_reason};
    for (size_t i = 0; i < 5; i++) {
        json_object_set_new(o, names[i], vals[i] ? json_string(vals[i]) : json_null());
    }
    json_object_set_new(o, "extended_at",
                        p->extended_at ? json_string(api_time(a, p->extended_at)) : json_null());
    json_object_set_new(o, "closed_at",
                        p->closed_at ? json_string(api_time(a, p->closed_at)) : json_null());
    return o;
}

enum kt_rc api_preq_create(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"kind",    "customer_id", "received_on",      "extended",
                                        "channel", "note",        "extension_reason", NULL};
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct privacy_request p;
    memset(&p, 0, sizeof(p));
    struct store_conn *w;
    const char *received = NULL;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "kind", 20, JSONX_REQUIRED, r->arena, &p.kind, err) != KT_OK ||
        jsonx_str(body, "", "customer_id", 40, 0, r->arena, &p.customer_id, err) != KT_OK ||
        jsonx_str(body, "", "received_on", 10, 0, r->arena, &received, err) != KT_OK ||
        jsonx_str(body, "", "channel", 32, 0, r->arena, &p.channel, err) != KT_OK ||
        jsonx_str(body, "", "note", NOTE_MAX, 0, r->arena, &p.note, err) != KT_OK ||
        jsonx_str(body, "", "extension_reason", NOTE_MAX, 0, r->arena, &p.extension_reason, err) !=
            KT_OK ||
        jsonx_bool(body, "", "extended", 0, &p.extended, err) != KT_OK) {
        return err->rc;
    }
    int64_t day = cal_day_of(now);
    if (received != NULL && !cal_parse(received, &day)) {
        return kt_err_set(err, KT_EINVAL, "invalid_date", "received_on",
                          "received_on is a date YYYY-MM-DD");
    }
    /* The window of every client time (clock.h), by days: from 2000-01-01 to today. */
    if (day < TIME_CLIENT_MIN_MS / 86400000 || day > cal_day_of(now)) {
        return kt_err_set(err, KT_EINVAL, "invalid_time", "received_on",
                          "received_on must lie between 2000-01-01 and today");
    }
    p.key_id = r->key->id;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = privacy_request_open(w, &p, day, r->rid, now, r->arena, err);
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 201, preq_json(r->arena, &p, cal_day_of(now)));
    return KT_OK;
}

enum kt_rc api_preq_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"overdue", "limit", "cursor", NULL};
    struct store_conn *rd;
    struct privacy_request *p;
    size_t n;
    int limit;
    const char *cursor, *ov = http_req_query(r, "overdue");
    int64_t today = cal_day_of(clock_now_ms());
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 50, 500, &limit, err) != KT_OK ||
        api_cursor(r, "privacy-requests", "", &cursor, err) != KT_OK) {
        return err->rc;
    }
    if (ov && strcmp(ov, "true") != 0 && strcmp(ov, "false") != 0) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "overdue", "overdue is true or false");
    }
    if (cursor && !id_valid(cursor, "r_")) {
        return api_bad_cursor(err);
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_preq_list(rd, ov && strcmp(ov, "true") == 0, cal_format(today, r->arena), cursor,
                        limit, r->arena, &p, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, preq_json(r->arena, &p[i], today));
        api_audit_note(r, "read", p[i].customer_id, AUDIT_F_REQUESTS); /* its note is free text */
    }
    audit_nothing_read(); /* an empty page names no one */
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o}", "items", items, "next_cursor",
                              api_next_cursor(r, "privacy-requests", "",
                                              n == (size_t)limit ? p[n - 1].id : NULL)));
    return KT_OK;
}

enum kt_rc api_preq_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct privacy_request p;
    if (!id_valid(r->params[0], "r_")) {
        return kt_err_set(err, KT_ENOTFOUND, "request_not_found", "id", "request not found");
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_preq_get(rd, r->params[0], r->arena, &p, NULL, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", p.customer_id, AUDIT_F_REQUESTS);
    http_reply_json(r, 200, preq_json(r->arena, &p, cal_day_of(clock_now_ms())));
    return KT_OK;
}

enum kt_rc api_preq_close(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"state", "outcome", NULL};
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *state = NULL, *outcome = NULL;
    struct store_conn *w;
    struct privacy_request p;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "outcome", NOTE_MAX, 0, r->arena, &outcome, err) != KT_OK) {
        return err->rc;
    }
    static const char *const states[] = {"done", "refused", NULL};
    if (jsonx_enum(body, "", "state", states, 0, &state, err) != KT_OK) {
        return err->rc;
    }
    state = state ? state : "done";
    if (strcmp(state, "refused") == 0 && outcome == NULL) {
        return kt_err_set(err, KT_EINVAL, "missing_field", "outcome",
                          "a refusal states its reasons in outcome");
    }
    if (!id_valid(r->params[0], "r_")) {
        return kt_err_set(err, KT_ENOTFOUND, "request_not_found", "id", "request not found");
    }
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_preq_close(w, r->params[0], state, outcome, now, NULL, err);
    if (rc == KT_OK) {
        rc = store_preq_get(w, r->params[0], r->arena, &p, NULL, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "request", p.customer_id, NULL,
                         arena_printf(r->arena, "close %s %s", p.id, state), r->rid, now, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, preq_json(r->arena, &p, cal_day_of(now)));
    return KT_OK;
}

enum kt_rc api_preq_extend(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"reason", NULL};
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *reason = NULL;
    struct store_conn *w;
    struct privacy_request p;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "reason", NOTE_MAX, 0, r->arena, &reason, err) != KT_OK) {
        return err->rc;
    }
    if (!id_valid(r->params[0], "r_")) {
        return kt_err_set(err, KT_ENOTFOUND, "request_not_found", "id", "request not found");
    }
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc =
        privacy_request_extend(w, r->params[0], reason, r->key->id, r->rid, now, r->arena, &p, err);
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", p.customer_id, AUDIT_F_REQUESTS);
    http_reply_json(r, 200, preq_json(r->arena, &p, cal_day_of(now)));
    return KT_OK;
}
