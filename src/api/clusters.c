/*
 * clusters.c - POST /v1/clusters {"k": 6, "as_trait": true}: customers clustered by behaviour
 * (docs/segments.md, "Clusters"). The features, k-means++ and the descriptions are
 * segment/clusters.c's, shared with `kartoteka cluster`.
 */
#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "segment/clusters.h"

enum kt_rc api_clusters_post(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"k", "as_trait", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK) {
        return err->rc;
    }
    int64_t k;
    bool store = true;
    if (jsonx_int(body, "", "k", 2, 20, JSONX_REQUIRED, &k, err) != KT_OK ||
        jsonx_bool(body, "", "as_trait", 0, &store, err) != KT_OK) {
        return err->rc;
    }
    http_req_reader_end(r);
    json_t *o = cluster_run(r->app->store, (int)k, clock_now_ms(), store, NULL, r->arena, err);
    if (o == NULL) {
        return err->rc;
    }
    http_reply_json(r, 200, o);
    return KT_OK;
}
