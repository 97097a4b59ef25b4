/*
 * audit.c - GET /v1/audit: the log of changes and of reads of personal data, one list over both
 * (docs/privacy.md); GET /v1/audit/verify: its chains of hashes checked; and the notes every read
 * of customers' data leaves in it.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/num.h"
#include "consent/consent.h"

/* The fields a view of the customer shows. */
uint32_t api_audit_fields(const struct customer *cu)
{
    uint32_t m = AUDIT_F_IDENTIFIERS | AUDIT_F_ATTRIBUTES;
    for (int f = 0; f < PF_COUNT; f++) {
        m |= cu->val[f] != NULL ? 1u << f : 0;
    }
    return m;
}

void api_audit_note(struct http_req *r, const char *action, const char *customer_id,
                    uint32_t fields)
{
    audit_note(r->key ? r->key->id : NULL, action, customer_id, fields, r->route->pattern, NULL,
               r->rid, clock_now_ms());
}

void api_audit_read(struct http_req *r, const struct customer *cu, const char *action)
{
    api_audit_note(r, action, cu->id, api_audit_fields(cu));
}

void api_audit_bulk(struct http_req *r, uint32_t fields, const char *object)
{
    audit_note(r->key ? r->key->id : NULL, "read", NULL, fields, r->route->pattern, object, r->rid,
               clock_now_ms());
}

/* The cursor of the audit log: "<changes seq>.<reads seq>". */
static bool audit_cursor(const char *c, int64_t *changes, int64_t *reads)
{
    const char *dot = strchr(c, '.');
    return dot != NULL && num_parse_i64(c, (size_t)(dot - c), 0, INT64_MAX, changes) &&
           num_parse_cstr(dot + 1, 0, INT64_MAX, reads);
}

enum kt_rc api_audit_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"customer_id", "key_id", "action", "since",
                                          "until",       "limit",  "cursor", NULL};
    struct audit_filter f;
    memset(&f, 0, sizeof(f));
    struct store_conn *rd;
    struct audit_page page;
    int limit;
    int64_t after_c = 0, after_r = 0;
    const char *cursor;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 100, 1000, &limit, err) != KT_OK ||
        api_cursor(r, "audit", "", &cursor, err) != KT_OK) {
        return err->rc;
    }
    f.limit = limit;
    f.customer_id = http_req_query(r, "customer_id");
    f.key_id = http_req_query(r, "key_id");
    f.action = http_req_query(r, "action");
    if (api_since_until(r, &f.since, &f.until, err) != KT_OK) {
        return err->rc;
    }
    if (cursor && !audit_cursor(cursor, &after_c, &after_r)) {
        return api_bad_cursor(err);
    }
    /* What is queued in memory is written first, so the answer is complete. */
    http_req_reader_end(r);
    if (audit_flush(r->app->store, err) != KT_OK || http_req_reader(r, &rd, err) != KT_OK ||
        audit_list(r->app->store, rd, &f, after_c, after_r, r->arena, &page, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < page.n; i++) {
        const struct audit_entry *e = &page.items[i];
        json_t *o =
            json_pack("{s:s, s:I, s:s, s:s}", "log", page.is_read[i] ? "reads" : "changes", "seq",
                      (json_int_t)e->seq, "at", api_time(r->arena, e->at), "action", e->action);
        const char *names[] = {"key_id",     "customer_id", "fields", "detail",
                               "request_id", "ip",          "hash"};
        const char *vals[] = {e->key_id,     e->customer_id, e->fields, e->detail,
                              e->request_id, e->ip,          e->hash};
        for (size_t k = 0; k < 7; k++) {
            json_object_set_new(o, names[k], vals[k] ? json_string(vals[k]) : json_null());
        }
        json_array_append_new(items, o);
    }
    json_t *next = api_next_cursor(r, "audit", "",
                                   page.more ? arena_printf(r->arena, "%lld.%lld",
                                                            (long long)page.next_changes,
                                                            (long long)page.next_reads)
                                             : NULL);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
    return KT_OK;
}

/* GET /v1/audit/verify: both chains walked (a long read: ROUTE_LONG). 200 either way; "intact"
 * says, and each log's first bad entry is named. */
enum kt_rc api_audit_verify(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {NULL};
    struct store_conn *rd;
    struct audit_verified v[2];
    if (http_req_query_only(r, allowed, err) != KT_OK || http_req_analytics(r, &rd, err) != KT_OK ||
        audit_verify(r->app->store, rd, true, v, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, audit_verified_json(v));
    return KT_OK;
}
