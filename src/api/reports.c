/*
 * reports.c - GET /v1/reports/quality: the state of the whole base (see quality/report.c);
 * GET /v1/reports/quality/daily: who brings bad data, day by day (quality/report.c);
 * GET /v1/reports/campaigns/{id}: what a campaign earned (campaign/report.c).
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "campaign/report.h"
#include "consent/consent.h"
#include "quality/quality.h"

/* Items of `arr` whose "store" the caller's key may act for (a new array). */
static json_t *own_stores(const struct http_req *r, const json_t *arr)
{
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        if (keys_store_allowed(r->key, json_string_value(json_object_get(item, "store")))) {
            json_array_append(out, item);
        }
    }
    return out;
}

/* What a key limited to stores (a store manager's) sees of the report: the quality of what its
 * stores' tills took in, store by store and operator by operator, over the same days - nothing of
 * the chain's (the base's counts, the channels', the duplicates). docs/privacy.md, "Roles and
 * scopes". */
static json_t *stores_part(const struct http_req *r, const json_t *report)
{
    const json_t *src = json_object_get(report, "sources");
    return json_pack("{s:{s:O?, s:o, s:o}}", "sources", "days", json_object_get(src, "days"),
                     "by_store", own_stores(r, json_object_get(src, "by_store")), "by_operator",
                     own_stores(r, json_object_get(src, "by_operator")));
}

enum kt_rc api_reports_quality(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    struct store_conn *rd;
    json_t *report = NULL;
    static const char *const allowed[] = {NULL};
    http_req_reader_end(r); /* the snapshot of the key check: a write comes first */
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        intake_flush_store(r->app->store, now, err) != KT_OK ||
        http_req_analytics(r, &rd, err) != KT_OK ||
        quality_report(rd, now, r->arena, &report, err) != KT_OK) {
        return err->rc;
    }
    if (r->key->stores != NULL) {
        json_t *part = stores_part(r, report);
        json_decref(report);
        audit_nothing_read(); /* counts only */
        http_reply_json(r, 200, part);
        return KT_OK;
    }
    /* The largest groups of likely duplicates name their customers: a read of each. */
    json_t *groups = json_object_get(
        json_object_get(json_object_get(report, "duplicates"), "same_name_and_birth_date"),
        "largest");
    size_t g, i;
    json_t *group, *id;
    json_array_foreach(groups, g, group)
    {
        json_array_foreach(json_object_get(group, "customer_ids"), i, id)
        {
            api_audit_note(r, "read", json_string_value(id), 0);
        }
    }
    audit_nothing_read(); /* the rest is counts */
    http_reply_json(r, 200, report);
    return KT_OK;
}

/* ?by=channel|store|operator (store), since/until (RFC 3339; the last 30 days), limit (1-50, 10):
 * the worst sources of the period, each with its days. At most 366 days. */
enum kt_rc api_reports_quality_daily(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"by", "since", "until", "limit", NULL};
    static const char *const bys[] = {"channel", "store", "operator"};
    int64_t now = clock_now_ms(), since = INT64_MIN, until = INT64_MIN;
    int limit, by = -1;
    const char *b = http_req_query(r, "by");
    for (int i = 0; i < 3; i++) {
        by = b == NULL ? 1 : strcmp(b, bys[i]) == 0 ? i : by;
    }
    http_req_reader_end(r); /* the snapshot of the key check: a write comes first */
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_since_until(r, &since, &until, err) != KT_OK ||
        api_limit(r, 10, 50, &limit, err) != KT_OK) {
        return err->rc;
    }
    if (by < 0) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "by",
                          "by is channel, store or operator");
    }
    until = until == INT64_MIN ? now : until;
    int64_t until_day = (until + 86399999) / 86400000;
    int64_t since_day = since == INT64_MIN ? until_day - 30 : since / 86400000;
    if (since_day >= until_day || until_day - since_day > 366) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "since", "the period is 1 to 366 days");
    }
    struct store_conn *rd;
    json_t *doc;
    if (intake_flush_store(r->app->store, now, err) != KT_OK ||
        http_req_analytics(r, &rd, err) != KT_OK ||
        quality_daily(rd, since_day, until_day, by, limit, r->arena, &doc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, doc);
    return KT_OK;
}

enum kt_rc api_reports_campaign(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {NULL};
    struct store_conn *rd;
    json_t *doc;
    if (http_req_query_only(r, allowed, err) != KT_OK || http_req_analytics(r, &rd, err) != KT_OK ||
        (doc = campaign_report_doc(rd, r->params[0], clock_now_ms(), r->arena, err)) == NULL) {
        return err->rc;
    }
    http_reply_json(r, 200, doc);
    return KT_OK;
}
