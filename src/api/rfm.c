/*
 * rfm.c - RFM through the API and the CLI (docs/segments.md, "RFM").
 *
 *   GET  /v1/reports/rfm[?items=true&as_of=TIME]  the groups, the scores' spread, per customer
 *   POST /v1/traits/rfm                             stores rfm_score and rfm_group as traits
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "consent/consent.h"
#include "segment/rfm.h"

enum kt_rc api_reports_rfm(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"items", "as_of", NULL};
    int64_t now = clock_now_ms();
    const char *t = http_req_query(r, "as_of"), *c = http_req_query(r, "items");
    struct store_conn *rd;
    json_t *o;
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if ((t != NULL && !time_parse_rfc3339(t, strlen(t), &now)) ||
        (c != NULL && strcmp(c, "true") != 0 && strcmp(c, "false") != 0)) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter",
                          t && c ? "items"
                          : t    ? "as_of"
                                 : "items",
                          "as_of is an RFC 3339 time; items is true or false");
    }
    if (http_req_analytics(r, &rd, err) != KT_OK ||
        (o = rfm_report_doc(rd, now, c != NULL && strcmp(c, "true") == 0, r->arena, err)) == NULL) {
        return err->rc;
    }
    if (c != NULL && strcmp(c, "true") == 0) { /* every customer's scores: one entry */
        api_audit_bulk(r, AUDIT_F_TRAITS | AUDIT_F_PURCHASES, NULL);
    } else {
        audit_nothing_read(); /* the groups' counts */
    }
    http_reply_json(r, 200, o);
    return KT_OK;
}

enum kt_rc api_traits_rfm(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms(), stored;
    http_req_reader_end(r);
    if (rfm_traits_store(r->app->store, now, r->arena, &stored, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(
        r, 200,
        json_pack("{s:I, s:s}", "customers", (json_int_t)stored, "as_of", api_time(r->arena, now)));
    return KT_OK;
}
