/*
 * incident.c - the incident register (152-FZ art. 21 part 3.1; docs/privacy.md, "Incidents").
 *
 * An operator that finds an unlawful or accidental transfer of personal data (a leaked key, a
 * route that showed too much, a copy of the database gone) must notify Roskomnadzor within 24
 * hours of finding it and send the results of its internal investigation within 72 hours. The
 * register keeps what happened, when it was detected, the categories of data suspected, the
 * window and the keys, addresses and routes involved; it computes both deadlines from the
 * detection, says which notice is still owed and whether it is overdue, and counts the subjects
 * affected from the log of reads, storing the count with the way it was counted.
 *
 * Not here: sending the notices (the DPO files them through Roskomnadzor's portal and records
 * when), and the list of the subjects (GET /v1/audit with the same filter shows the entries).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/id.h"
#include "base/jsonx.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

#define HOUR_MS    (3600LL * 1000)
#define TEXT_MAX   4000 /* description, measures, findings */
#define LIST_MAX   64   /* keys, addresses, routes, categories */
#define ROUTE_MAX  200
#define KEY_ID_MAX 64

/* The categories of personal data an incident may name: the audit log's words for what a read
 * showed (audit_fields_text), so the suspected categories and the reads counted speak alike. */
static const char *const categories[] = {
    "last_name", "first_name", "middle_name", "gender",      "birth_date",    "email",
    "phone",     "city",       "address",     "identifiers", "attributes",    "consents",
    "history",   "purchases",  "points",      "cards",       "subscriptions", "events",
    "segments",  "traits",     "rejects",     "requests",    "acts",          NULL};

const char *const privacy_incident_method =
    "distinct customer ids named by the entries of the log of reads (every read, write reply, "
    "export and evidence shown to a caller) at or after since and before until, made with one of "
    "key_ids or from one of ips (by anyone when neither is given), on one of routes (on any when "
    "none is given); entries that name no customer (a read of many at once - a segment's CSV, "
    "RFM scores, a reject file - or a lookup that found nobody) are counted in bulk_reads, not "
    "in subjects; changes made by the same keys are in the log of changes, not counted here";

int64_t privacy_incident_notice_due(const struct incident *x)
{
    return x->detected_at + 24 * HOUR_MS;
}

int64_t privacy_incident_results_due(const struct incident *x)
{
    return x->detected_at + 72 * HOUR_MS;
}

/* Whether the item of a list is good: a category word, a key id, an address, a route. */
static bool item_ok(char kind, const char *v)
{
    unsigned char ip[16];
    switch (kind) {
    case 'c':
        for (size_t i = 0; categories[i] != NULL; i++) {
            if (strcmp(categories[i], v) == 0) {
                return true;
            }
        }
        return false;
    case 'k':
        return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
               strlen(v);
    case 'i':
        return inet_pton(AF_INET, v, ip) == 1 || inet_pton(AF_INET6, v, ip) == 1;
    default: /* a route's pattern, as the audit log's detail names it */
        return v[0] == '/' && strchr(v, ' ') == NULL;
    }
}

/* A list member (`name`) of strings of at most `max` bytes, each checked by item_ok(kind), as
 * compact JSON text into `out`; absent leaves `out` as it is. Categories are never empty. */
static enum kt_rc list(const json_t *body, const char *name, char kind, unsigned flags, size_t max,
                       struct arena *a, const char **out, struct kt_err *err)
{
    const json_t *arr = NULL;
    if (jsonx_array(body, "", name, kind == 'c', LIST_MAX, flags, &arr, err) != KT_OK) {
        return err->rc;
    }
    if (arr == NULL) {
        return KT_OK;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *field = arena_printf(a, "%s[%zu]", name, i), *s;
        if (jsonx_str_at(v, field, max, JSONX_REQUIRED, a, &s, err) != KT_OK) {
            return err->rc;
        }
        if (!item_ok(kind, s)) {
            return kt_err_set(err, KT_EINVAL, kind == 'i' ? "invalid_ip" : "invalid_value", field,
                              kind == 'c'   ? "%s is not a category of personal data"
                              : kind == 'k' ? "%s is not an API key's id"
                              : kind == 'i' ? "%s must be an IPv4 or IPv6 address"
                                            : "%s is not a route's path pattern",
                              field);
        }
    }
    char *text = json_dumps(arr, JSON_COMPACT);
    *out = arena_strdup(a, text);
    free(text);
    return KT_OK;
}

/* The members both a create and an update take; `creating` makes the required ones so. */
static enum kt_rc decode(const json_t *body, bool creating, int64_t now, struct arena *a,
                         struct incident *x, bool *recount, struct kt_err *err)
{
    unsigned req = creating ? JSONX_REQUIRED : 0;
    const char *window[] = {x->key_ids, x->ips, x->routes};
    int64_t since = x->since, until = x->until;
    if (jsonx_str(body, "", "description", TEXT_MAX, req, a, &x->description, err) != KT_OK ||
        jsonx_time(body, "", "since", now, req, &x->since, err) != KT_OK ||
        jsonx_time(body, "", "until", now, req, &x->until, err) != KT_OK ||
        list(body, "categories", 'c', req, 32, a, &x->categories, err) != KT_OK ||
        list(body, "key_ids", 'k', 0, KEY_ID_MAX, a, &x->key_ids, err) != KT_OK ||
        list(body, "ips", 'i', 0, 64, a, &x->ips, err) != KT_OK ||
        list(body, "routes", 'r', 0, ROUTE_MAX, a, &x->routes, err) != KT_OK ||
        jsonx_str(body, "", "measures", TEXT_MAX, 0, a, &x->measures, err) != KT_OK ||
        jsonx_str(body, "", "findings", TEXT_MAX, 0, a, &x->findings, err) != KT_OK) {
        return err->rc;
    }
    if (x->since >= x->until) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "until", "until must come after since");
    }
    *recount = creating || since != x->since || until != x->until || window[0] != x->key_ids ||
               window[1] != x->ips || window[2] != x->routes;
    return KT_OK;
}

/* Counts the subjects of x's window from the log of reads (queued reads written first). */
static enum kt_rc count(struct store *s, struct incident *x, int64_t now, struct kt_err *err)
{
    struct reads_filter f = {x->since, x->until, x->key_ids, x->ips, x->routes};
    enum kt_rc rc = audit_subjects(s, &f, &x->subjects, &x->bulk_reads, err);
    x->method = privacy_incident_method;
    x->counted_at = now;
    return rc;
}

/* Writes x and its audit entry ("incident", the verb and the id) in one transaction. */
static enum kt_rc save(struct store *s, const struct incident *x, const char *verb,
                       const char *key_id, const char *rid, int64_t now, struct arena *a,
                       struct kt_err *err)
{
    struct store_conn *w;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_incident_put(w, x, err);
    if (rc == KT_OK) {
        rc = audit_write(w, key_id, "incident", NULL, NULL, arena_printf(a, "%s %s", verb, x->id),
                         rid, now, err);
    }
    return store_write_end(w, rc, err);
}

enum kt_rc privacy_incident_create(struct store *s, const json_t *body, const char *key_id,
                                   const char *rid, int64_t now, struct arena *a,
                                   struct incident *x, struct kt_err *err)
{
    static const char *const known[] = {"description", "detected_at", "categories", "since",
                                        "until",       "key_ids",     "ips",        "routes",
                                        "measures",    "findings",    NULL};
    bool recount;
    memset(x, 0, sizeof(*x));
    x->key_ids = x->ips = x->routes = "[]";
    if (json_only_members(body, known, "", a, err) != KT_OK ||
        jsonx_time(body, "", "detected_at", now, JSONX_REQUIRED, &x->detected_at, err) != KT_OK ||
        decode(body, true, now, a, x, &recount, err) != KT_OK) {
        return err->rc;
    }
    id_new(x->id, sizeof(x->id), "n_");
    x->state = "open";
    x->key_id = key_id;
    x->created_at = x->updated_at = now;
    if (count(s, x, now, err) != KT_OK) {
        return err->rc;
    }
    return save(s, x, "create", key_id, rid, now, a, err);
}

/* What a PATCH may set beyond decode(): the notices sent, the state. */
static enum kt_rc follow_up(const json_t *body, int64_t now, struct incident *x, struct kt_err *err)
{
    static const char *const states[] = {"open", "closed", NULL};
    const char *names[] = {"notified_at", "reported_at"};
    int64_t *slots[] = {&x->notified_at, &x->reported_at};
    for (size_t i = 0; i < 2; i++) {
        if (jsonx_time(body, "", names[i], now, 0, slots[i], err) != KT_OK) {
            return err->rc;
        }
        if (*slots[i] != 0 && *slots[i] < x->detected_at) {
            return kt_err_set(err, KT_EINVAL, "invalid_value", names[i],
                              "%s must not come before detected_at", names[i]);
        }
    }
    if (jsonx_enum(body, "", "state", states, 0, &x->state, err) != KT_OK) {
        return err->rc;
    }
    /* Closing says why nothing more is owed: the investigation's findings. */
    if (strcmp(x->state, "closed") == 0 && x->findings == NULL) {
        return kt_err_set(err, KT_EINVAL, "missing_field", "findings",
                          "an incident is closed with the findings of its investigation");
    }
    return KT_OK;
}

enum kt_rc privacy_incident_update(struct store *s, const char *id, const json_t *body,
                                   const char *key_id, const char *rid, int64_t now,
                                   struct arena *a, struct incident *x, struct kt_err *err)
{
    static const char *const known[] = {
        "description", "categories", "since",       "until",       "key_ids", "ips", "routes",
        "measures",    "findings",   "notified_at", "reported_at", "state",   NULL};
    struct store_conn *rd;
    bool recount;
    if (json_only_members(body, known, "", a, err) != KT_OK) {
        return err->rc;
    }
    if (!id_valid(id, "n_")) {
        return kt_err_set(err, KT_ENOTFOUND, "incident_not_found", "id", "incident not found");
    }
    if (store_read_begin(s, &rd, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_incident_get(rd, id, a, x, NULL, err);
    store_read_end(rd);
    if (rc != KT_OK || decode(body, false, now, a, x, &recount, err) != KT_OK ||
        follow_up(body, now, x, err) != KT_OK) {
        return err->rc;
    }
    x->updated_at = now;
    if (recount && count(s, x, now, err) != KT_OK) {
        return err->rc;
    }
    return save(s, x, "update", key_id, rid, now, a, err);
}

/* The notices still owed: none once closed, else each not yet recorded as sent. */
static json_t *owed(const struct incident *x, int64_t now, bool *overdue)
{
    json_t *due = json_array();
    *overdue = false;
    if (strcmp(x->state, "closed") == 0) {
        return due;
    }
    if (x->notified_at == 0) {
        json_array_append_new(due, json_string("notice"));
        *overdue = *overdue || now > privacy_incident_notice_due(x);
    }
    if (x->reported_at == 0) {
        json_array_append_new(due, json_string("results"));
        *overdue = *overdue || now > privacy_incident_results_due(x);
    }
    return due;
}

static json_t *time_or_null(struct arena *a, int64_t ms)
{
    return ms ? json_string(time_rfc3339(a, ms)) : json_null();
}

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *privacy_incident_json(const struct incident *x, int64_t now, struct arena *a)
{
    bool overdue;
    json_t *due = owed(x, now, &overdue);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o}", "id", x->id, "description",
                  x->description, "detected_at", time_rfc3339(a, x->detected_at), "categories",
                  json_loads(x->categories, 0, NULL), "since", time_rfc3339(a, x->since), "until",
                  time_rfc3339(a, x->until), "key_ids", json_loads(x->key_ids, 0, NULL), "ips",
                  json_loads(x->ips, 0, NULL), "routes", json_loads(x->routes, 0, NULL));
    json_object_set_new(o, "subjects",
                        json_pack("{s:I, s:I, s:s, s:s}", "count", (json_int_t)x->subjects,
                                  "bulk_reads", (json_int_t)x->bulk_reads, "method", x->method,
                                  "counted_at", time_rfc3339(a, x->counted_at)));
    json_object_set_new(o, "notice_due_at",
                        json_string(time_rfc3339(a, privacy_incident_notice_due(x))));
    json_object_set_new(o, "notified_at", time_or_null(a, x->notified_at));
    json_object_set_new(o, "results_due_at",
                        json_string(time_rfc3339(a, privacy_incident_results_due(x))));
    json_object_set_new(o, "reported_at", time_or_null(a, x->reported_at));
    json_object_set_new(o, "due", due);
    json_object_set_new(o, "overdue", json_boolean(overdue));
    json_object_set_new(o, "measures", text_or_null(x->measures));
    json_object_set_new(o, "findings", text_or_null(x->findings));
    json_object_set_new(o, "state", json_string(x->state));
    json_object_set_new(o, "key_id", text_or_null(x->key_id));
    json_object_set_new(o, "created_at", json_string(time_rfc3339(a, x->created_at)));
    json_object_set_new(o, "updated_at", json_string(time_rfc3339(a, x->updated_at)));
    return o;
}
