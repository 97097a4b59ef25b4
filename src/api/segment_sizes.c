/*
 * segment_sizes.c - GET /v1/segments/{id}/sizes: a saved segment's size at each refresh
 * (0036_segment_sizes.sql), oldest first, for the console's chart of a segment over time.
 *
 *   ?since=&until= (RFC 3339) limit the period; limit (1-10000, 1000) keeps the newest points.
 */
#include "api/api.h"
#include "base/clock.h"

enum kt_rc api_segments_sizes(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"since", "until", "limit", NULL};
    int64_t since = INT64_MIN, until = clock_now_ms() + 1;
    int limit;
    struct store_conn *rd;
    struct segment sg;
    struct size_point *p;
    size_t n;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_since_until(r, &since, &until, err) != KT_OK ||
        api_limit(r, 1000, 10000, &limit, err) != KT_OK || http_req_reader(r, &rd, err) != KT_OK ||
        store_segment_get(rd, r->params[0], r->arena, &sg, err) != KT_OK ||
        store_segment_sizes(rd, sg.id, since, until, limit, r->arena, &p, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, json_pack("{s:s, s:I}", "at", api_time(r->arena, p[i].at),
                                               "size", (json_int_t)p[i].size));
    }
    http_reply_json(r, 200, json_pack("{s:s, s:o}", "segment_id", sg.id, "items", items));
    return KT_OK;
}
