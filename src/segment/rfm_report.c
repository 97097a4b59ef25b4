/*
 * rfm_report.c - RFM over the store: the report of groups and the scores' spread, per customer on
 * request (GET /v1/reports/rfm, `kartoteka report rfm`), and the scores stored as the traits
 * rfm_score and rfm_group (POST /v1/traits/rfm, `report rfm --store`). The scoring is rfm.c's.
 */
#include "base/clock.h"
#include "segment/rfm.h"

json_t *rfm_report_doc(struct store_conn *rd, int64_t now, bool customers, struct arena *a,
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
    int64_t spread[3][5] = {{0}}, grid[5][5] = {{0}}; /* grid: customers by r, then f */
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_object_get(groups, sc[i].group);
        json_integer_set(c, json_integer_value(c) + 1);
        spread[0][sc[i].r - 1]++;
        spread[1][sc[i].f - 1]++;
        spread[2][sc[i].m - 1]++;
        grid[sc[i].r - 1][sc[i].f - 1]++;
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
    json_t *r_by_f = json_array();
    for (int r = 0; r < 5; r++) {
        json_t *row = json_array();
        for (int f = 0; f < 5; f++) {
            json_array_append_new(row, json_integer(grid[r][f]));
        }
        json_array_append_new(r_by_f, row);
    }
    json_t *o =
        json_pack("{s:s, s:I, s:o, s:o, s:o}", "as_of", time_rfc3339(a, now), "customers",
                  (json_int_t)n, "groups", groups, "scores_1_to_5", scores, "r_by_f", r_by_f);
    if (customers) {
        json_object_set_new(o, "items", items);
    } else {
        json_decref(items);
    }
    return o;
}

enum kt_rc rfm_traits_store(struct store *s, int64_t now, struct arena *a, int64_t *stored,
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
