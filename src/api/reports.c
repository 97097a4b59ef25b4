/*
 * reports.c - GET /v1/reports/quality: the state of the whole base (see quality/report.c);
 * GET /v1/reports/campaigns/{id}: what a campaign earned (campaign/report.c).
 */
#include "api/api.h"
#include "base/clock.h"
#include "campaign/report.h"
#include "consent/consent.h"
#include "quality/quality.h"

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
