/*
 * rfm.c - RFM through the API and the CLI (docs/segments.md, "RFM").
 *
 *   GET  /v1/reports/rfm[?customers=true&now=TIME]  the groups, the scores' spread, per customer
 *   POST /v1/traits/rfm                             stores rfm_score and rfm_group as traits
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "segment/rfm.h"

json_t *api_rfm_doc(struct store_conn *rd, int64_t now, bool customers, struct arena *a,
                    struct kt_err *err)
{
    struct rfm_row *rows;
    size_t n;
    if (store_rfm_rows(rd, now, a, &rows, &n, err) != KT_OK) {
        return NULL;
    }
    struct rfm_score *sc = arena_zalloc(a, (n ? n : 1) * sizeof(*sc));
    rfm_score(rows, n, now, sc);
    json_t *groups = json_object(), *items = json_array();
    for (size_t g = 0; rfm_groups[g] != NULL; g++) {
        json_object_set_new(groups, rfm_groups[g], json_integer(0));
    }
    int64_t spread[3][5] = {{0}};
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_object_get(groups, sc[i].group);
        json_integer_set(c, json_integer_value(c) + 1);
        spread[0][sc[i].r - 1]++;
        spread[1][sc[i].f - 1]++;
        spread[2][sc[i].m - 1]++;
        if (customers) {
            json_array_append_new(
                items, json_pack("{s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:s}", "customer_id",
                                 rows[i].id, "r", sc[i].r, "f", sc[i].f, "m", sc[i].m, "days",
                                 (json_int_t)sc[i].days, "receipts", (json_int_t)rows[i].count,
                                 "money", (json_int_t)rows[i].money, "group", sc[i].group));
        }
    }
    json_t *scores = json_object();
    const char *names[] = {"r", "f", "m"};
    for (int k = 0; k < 3; k++) {
        json_t *arr = json_array();
        for (int s = 0; s < 5; s++) {
            json_array_append_new(arr, json_integer(spread[k][s]));
        }
        json_object_set_new(scores, names[k], arr);
    }
    json_t *o = json_pack("{s:s, s:I, s:o, s:o}", "as_of", api_time(a, now), "customers",
                          (json_int_t)n, "groups", groups, "scores_1_to_5", scores);
    if (customers) {
        json_object_set_new(o, "items", items);
    } else {
        json_decref(items);
    }
    return o;
}

enum kt_rc api_rfm_store(struct store *s, int64_t now, struct arena *a, int64_t *stored,
                         struct kt_err *err)
{
    struct store_conn *c;
    struct rfm_row *rows;
    size_t n = 0;
    *stored = 0;
    enum kt_rc rc = store_read_begin_analytics(s, &c, err);
    if (rc == KT_OK) {
        rc = store_rfm_rows(c, now, a, &rows, &n, err);
        store_read_end(c);
    }
    if (rc != KT_OK || n == 0) {
        return rc;
    }
    struct rfm_score *sc = arena_zalloc(a, n * sizeof(*sc));
    rfm_score(rows, n, now, sc);
    /* In transactions of a thousand customers: the writer is not held for the whole base. */
    for (size_t i = 0; rc == KT_OK && i < n; i += 1000) {
        if ((rc = store_write_begin(s, &c, err)) != KT_OK) {
            break;
        }
        for (size_t k = i; rc == KT_OK && k < n && k < i + 1000; k++) {
            struct trait score = {"rfm_score", arena_printf(a, "%d%d%d", sc[k].r, sc[k].f, sc[k].m),
                                  now};
            struct trait group = {"rfm_group", sc[k].group, now};
            rc = store_trait_put(c, rows[k].ck, &score, err);
            if (rc == KT_OK) {
                rc = store_trait_put(c, rows[k].ck, &group, err);
            }
        }
        rc = store_write_end(c, rc, err);
        *stored += rc == KT_OK ? (int64_t)((n - i) < 1000 ? n - i : 1000) : 0;
    }
    return rc;
}

void api_reports_rfm(struct http_req *r)
{
    static const char *const allowed[] = {"customers", "now", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms();
    const char *t = http_req_query(r, "now"), *c = http_req_query(r, "customers");
    struct store_conn *rd;
    json_t *o;
    if (http_req_query_only(r, allowed, &err) != KT_OK) {
        goto fail;
    }
    if ((t != NULL && !time_parse_rfc3339(t, strlen(t), &now)) ||
        (c != NULL && strcmp(c, "true") != 0 && strcmp(c, "false") != 0)) {
        kt_err_set(&err, KT_EINVAL, "bad_parameter",
                   t && c ? "customers"
                   : t    ? "now"
                          : "customers",
                   "now is an RFC 3339 time; customers is true or false");
        err.status = 400;
        goto fail;
    }
    if (http_req_analytics(r, &rd, &err) != KT_OK ||
        (o = api_rfm_doc(rd, now, c != NULL && strcmp(c, "true") == 0, r->arena, &err)) == NULL) {
        goto fail;
    }
    http_reply_json(r, 200, o);
    return;
fail:
    http_reply_error(r, &err);
}

void api_traits_rfm(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms(), stored;
    http_req_reader_end(r);
    if (api_rfm_store(r->app->store, now, r->arena, &stored, &err) != KT_OK) {
        http_reply_error(r, &err);
        return;
    }
    http_reply_json(
        r, 200,
        json_pack("{s:I, s:s}", "customers", (json_int_t)stored, "as_of", api_time(r->arena, now)));
}
