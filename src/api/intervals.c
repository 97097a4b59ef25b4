/*
 * intervals.c - the learned purchase intervals as reports (docs/journeys.md, "Learned
 * intervals"; segment/intervals.h):
 *
 *   GET /v1/reports/replenishment[?by=sku|category&starting_on=&days=&days_before=]
 *       who runs out of what: the customers and SKUs (categories) due in the span
 *   GET /v1/reports/lapsed[?factor=&starting_on=&days=]
 *       who stays away longer than factor x her usual gap, first lapsed in the span
 *
 * Both name customers with their purchase behaviour: one bulk read of purchases in the log of
 * reads, as GET /v1/reports/rfm?items=true is.
 */
#include "api/api.h"
#include "base/clock.h"
#include "consent/consent.h"
#include "segment/intervals.h"

static enum kt_rc report(struct http_req *r, bool lapse, struct kt_err *err)
{
    static const char *const replenish[] = {"by", "starting_on", "days", "days_before", NULL};
    static const char *const lapsed[] = {"factor", "starting_on", "days", NULL};
    int64_t now = clock_now_ms();
    struct intervals_ask q;
    struct store_conn *rd;
    json_t *doc;
    if (http_req_query_only(r, lapse ? lapsed : replenish, err) != KT_OK ||
        intervals_ask_parse(lapse, http_req_query(r, "by"), http_req_query(r, "starting_on"),
                            http_req_query(r, "days"), http_req_query(r, "days_before"),
                            http_req_query(r, "factor"), intervals_today(now), &q, err) != KT_OK ||
        http_req_analytics(r, &rd, err) != KT_OK ||
        (doc = intervals_report_doc(rd, &q, now, r->arena, err)) == NULL) {
        return err->rc;
    }
    api_audit_bulk(r, AUDIT_F_PURCHASES, NULL); /* customers by what they bought: one entry */
    http_reply_json(r, 200, doc);
    return KT_OK;
}

enum kt_rc api_reports_replenishment(struct http_req *r, struct kt_err *err)
{
    return report(r, false, err);
}

enum kt_rc api_reports_lapsed(struct http_req *r, struct kt_err *err)
{
    return report(r, true, err);
}
