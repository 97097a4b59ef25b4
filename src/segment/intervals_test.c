/*
 * intervals_test.c - learned purchase intervals over rows in memory (segment/intervals.h): the
 * medians of odd and even counts, her own median from three purchase days, the population's
 * below, same-day receipts as one day, no interval at all, the span's bounds, the lapse's
 * "exceeds", the asks refused, and the reports' query texts parsed.
 */
#include "helpers.h"

#include "segment/intervals.h"

#define D0 20000 /* a day number: 2024-10-04 */

static struct interval_due *run(const struct interval_row *rows, size_t n, struct intervals_ask q,
                                size_t *n_out)
{
    struct interval_due *out;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(intervals_due_of_rows(rows, n, &q, &A, &out, n_out, &err), KT_OK);
    return out;
}

/* The row of customer `ck` and `key`, or NULL. */
static const struct interval_due *find(const struct interval_due *d, size_t n, int64_t ck,
                                       const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i].ck == ck && strcmp(d[i].key, key) == 0) {
            return &d[i];
        }
    }
    return NULL;
}

static void medians(void **state)
{
    (void)state;
    int64_t odd[] = {9, 1, 5}, even[] = {4, 1, 2, 9}, one[] = {7}, half[] = {3, 4};
    assert_int_equal(intervals_median(odd, 3), 5);
    assert_int_equal(intervals_median(even, 4), 3); /* (2 + 4) / 2 */
    assert_int_equal(intervals_median(one, 1), 7);
    assert_int_equal(intervals_median(half, 2), 4); /* 3.5: a half day rounds up */
}

/* Customer 1 buys milk every 7 days (4 days: her own median); customer 2 twice, 30 days apart
 * (the population's median of every gap: 7, 7, 7, 30 -> 7); customer 3 once (the population's
 * too); bread, bought once by one customer, has no interval. */
static const struct interval_row shop[] = {
    {1, "c1", "milk", D0},      {1, "c1", "milk", D0 + 7},  {1, "c1", "milk", D0 + 14},
    {1, "c1", "milk", D0 + 21}, {2, "c2", "bread", D0 + 3}, {2, "c2", "milk", D0 + 1},
    {2, "c2", "milk", D0 + 31}, {3, "c3", "milk", D0 + 20},
};

static void own_and_population(void **state)
{
    (void)state;
    arena_init(&A, 0);
    size_t n;
    struct interval_due *d =
        run(shop, 8, (struct intervals_ask){STORE_DAY_SKU, D0, D0 + 100, 0, 0}, &n);
    assert_int_equal(n, 3);
    const struct interval_due *c1 = find(d, n, 1, "milk"), *c2 = find(d, n, 2, "milk"),
                              *c3 = find(d, n, 3, "milk");
    assert_non_null(c1);
    assert_true(c1->own && c1->days == 7 && c1->last_day == D0 + 21 && c1->due_day == D0 + 28);
    assert_int_equal(c1->purchase_days, 4);
    assert_string_equal(c1->customer_id, "c1");
    assert_non_null(c2);
    assert_true(!c2->own && c2->days == 7 && c2->due_day == D0 + 38 && c2->purchase_days == 2);
    assert_non_null(c3);
    assert_true(!c3->own && c3->days == 7 && c3->due_day == D0 + 27 && c3->purchase_days == 1);
    assert_null(find(d, n, 2, "bread")); /* nobody bought bread twice */
    /* In (ck, key) order. */
    assert_true(d[0].ck == 1 && d[1].ck == 2 && d[2].ck == 3);
    arena_release(&A);
}

/* Two receipts on one day are one purchase day: 1, 1, 5, 5, 12 is three days, gaps 4 and 7. */
static void same_day_receipts(void **state)
{
    (void)state;
    arena_init(&A, 0);
    const struct interval_row rows[] = {
        {1, "c1", "tea", D0},     {1, "c1", "tea", D0},      {1, "c1", "tea", D0 + 4},
        {1, "c1", "tea", D0 + 4}, {1, "c1", "tea", D0 + 11},
    };
    size_t n;
    struct interval_due *d =
        run(rows, 5, (struct intervals_ask){STORE_DAY_SKU, D0, D0 + 100, 0, 0}, &n);
    assert_int_equal(n, 1);
    assert_true(d[0].own && d[0].purchase_days == 3);
    assert_int_equal(d[0].days, 6); /* (4 + 7) / 2 = 5.5, rounded up */
    assert_int_equal(d[0].due_day, D0 + 17);
    /* Two receipts on one day only: one purchase day, no gap anywhere, no interval. */
    const struct interval_row twice[] = {{1, "c1", "tea", D0}, {1, "c1", "tea", D0}};
    run(twice, 2, (struct intervals_ask){STORE_DAY_SKU, D0 - 1000, D0 + 1000, 0, 0}, &n);
    assert_int_equal(n, 0);
    run(NULL, 0, (struct intervals_ask){STORE_DAY_SKU, D0, D0 + 1, 0, 0}, &n);
    assert_int_equal(n, 0);
    arena_release(&A);
}

/* The span is [from, until) on the day the entry fires: due - days_before. */
static void span_bounds(void **state)
{
    (void)state;
    arena_init(&A, 0);
    size_t n;
    /* c1 is due D0 + 28; 3 days before is D0 + 25. */
    struct intervals_ask q = {STORE_DAY_SKU, D0 + 25, D0 + 26, 3, 0};
    struct interval_due *d = run(shop, 8, q, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].ck, 1);
    q.from = D0 + 26, q.until = D0 + 40; /* from after c1's day: only c2, firing on D0 + 35 */
    d = run(shop, 8, q, &n);
    assert_int_equal(n, 1);
    assert_true(d[0].ck == 2 && d[0].due_day == D0 + 38);
    q.from = D0 + 20, q.until = D0 + 25; /* until is the day itself: excluded; c3 fires 24 */
    d = run(shop, 8, q, &n);
    assert_int_equal(n, 1);
    assert_true(d[0].ck == 3 && d[0].due_day == D0 + 27);
    arena_release(&A);
}

/* Lapse: the receipt is the key. c1 buys every 10 days (own gap 10), c2 has two days 40 apart
 * and c3 one: the population's gaps are 10, 10, 40 -> 10. Factor 1.5: lapsed when the days
 * since exceed 15, first on last + 16. */
static void lapse(void **state)
{
    (void)state;
    arena_init(&A, 0);
    const struct interval_row rows[] = {
        {1, "c1", "", D0},      {1, "c1", "", D0 + 10}, {1, "c1", "", D0 + 20},
        {2, "c2", "", D0 + 5},  {2, "c2", "", D0 + 45}, {3, "c3", "", D0 + 30},
        {3, "c3", "", D0 + 30}, /* two receipts, one day */
    };
    size_t n;
    struct interval_due *d =
        run(rows, 7, (struct intervals_ask){STORE_DAY_RECEIPT, D0, D0 + 100, 0, 150}, &n);
    assert_int_equal(n, 3);
    assert_true(d[0].own && d[0].days == 10 && d[0].due_day == D0 + 36);
    assert_true(!d[1].own && d[1].days == 10 && d[1].due_day == D0 + 61);
    assert_true(!d[2].own && d[2].purchase_days == 1 && d[2].due_day == D0 + 46);
    /* The day itself: 15 days since is not more than 15; the next day is. */
    d = run(rows, 7, (struct intervals_ask){STORE_DAY_RECEIPT, D0 + 35, D0 + 36, 0, 150}, &n);
    assert_int_equal(n, 0);
    d = run(rows, 7, (struct intervals_ask){STORE_DAY_RECEIPT, D0 + 36, D0 + 37, 0, 150}, &n);
    assert_true(n == 1 && d[0].ck == 1);
    /* A factor of 2.33 x 10 = 23.3: lapsed from last + 24; hundredths, no binary fractions. */
    d = run(rows, 7, (struct intervals_ask){STORE_DAY_RECEIPT, D0 + 44, D0 + 45, 0, 233}, &n);
    assert_true(n == 1 && d[0].ck == 1 && d[0].due_day == D0 + 44);
    arena_release(&A);
}

static void asks_refused(void **state)
{
    (void)state;
    arena_init(&A, 0);
    struct {
        struct intervals_ask q;
        const char *field;
    } bad[] = {
        {{STORE_DAY_SKU, D0, D0, 0, 0}, "until"},
        {{STORE_DAY_SKU, D0 + 1, D0, 0, 0}, "until"},
        {{STORE_DAY_CATEGORY, D0, D0 + 1, -1, 0}, "days_before"},
        {{STORE_DAY_SKU, D0, D0 + 1, 366, 0}, "days_before"},
        {{STORE_DAY_RECEIPT, D0, D0 + 1, 0, 99}, "factor"},
        {{STORE_DAY_RECEIPT, D0, D0 + 1, 0, 10001}, "factor"},
        {{(enum store_day_key)7, D0, D0 + 1, 0, 0}, "by"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct interval_due *out;
        size_t n;
        struct kt_err err;
        kt_err_reset(&err);
        assert_int_equal(intervals_due_of_rows(shop, 8, &bad[i].q, &A, &out, &n, &err), KT_EBADREQ);
        assert_string_equal(err.code, "bad_parameter");
        assert_string_equal(err.field, bad[i].field);
    }
    arena_release(&A);
}

/* The reports' query texts: defaults, bounds, and the parameter named when one is wrong. */
static void asks_parsed(void **state)
{
    (void)state;
    struct intervals_ask q;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(intervals_ask_parse(false, NULL, NULL, NULL, NULL, NULL, D0, &q, &err), KT_OK);
    assert_true(q.by == STORE_DAY_SKU && q.from == D0 && q.until == D0 + 7 && q.days_before == 0);
    assert_int_equal(
        intervals_ask_parse(false, "category", "2024-10-04", "1", "365", NULL, 0, &q, &err), KT_OK);
    assert_true(q.by == STORE_DAY_CATEGORY && q.from == D0 && q.until == D0 + 1);
    assert_int_equal(q.days_before, 365);
    assert_int_equal(intervals_ask_parse(true, NULL, NULL, "366", NULL, NULL, D0, &q, &err), KT_OK);
    assert_true(q.by == STORE_DAY_RECEIPT && q.factor_x100 == 200 && q.until == D0 + 366);
    static const struct {
        const char *factor;
        int x100;
    } good[] = {{"1", 100}, {"1.5", 150}, {"2.25", 225}, {"100", 10000}, {"07.10", 710}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(
            intervals_ask_parse(true, NULL, NULL, NULL, NULL, good[i].factor, D0, &q, &err), KT_OK);
        assert_int_equal(q.factor_x100, good[i].x100);
    }
    static const struct {
        bool lapse;
        const char *by, *on, *days, *before, *factor, *field;
    } bad[] = {
        {false, "brand", NULL, NULL, NULL, NULL, "by"},
        {false, "", NULL, NULL, NULL, NULL, "by"},
        {false, NULL, "2024-02-30", NULL, NULL, NULL, "starting_on"},
        {false, NULL, "yesterday", NULL, NULL, NULL, "starting_on"},
        {false, NULL, NULL, "0", NULL, NULL, "days"},
        {false, NULL, NULL, "367", NULL, NULL, "days"},
        {false, NULL, NULL, "-1", NULL, NULL, "days"},
        {false, NULL, NULL, NULL, "366", NULL, "days_before"},
        {false, NULL, NULL, NULL, "3.5", NULL, "days_before"},
        {true, NULL, NULL, NULL, NULL, "0.99", "factor"},
        {true, NULL, NULL, NULL, NULL, "100.01", "factor"},
        {true, NULL, NULL, NULL, NULL, "1.234", "factor"},
        {true, NULL, NULL, NULL, NULL, "2.", "factor"},
        {true, NULL, NULL, NULL, NULL, ".5", "factor"},
        {true, NULL, NULL, NULL, NULL, "1e2", "factor"},
        {true, NULL, NULL, NULL, NULL, "", "factor"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kt_err_reset(&err);
        assert_int_equal(intervals_ask_parse(bad[i].lapse, bad[i].by, bad[i].on, bad[i].days,
                                             bad[i].before, bad[i].factor, D0, &q, &err),
                         KT_EBADREQ);
        assert_string_equal(err.code, "bad_parameter");
        assert_string_equal(err.field, bad[i].field);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(medians),
        cmocka_unit_test(own_and_population),
        cmocka_unit_test(same_day_receipts),
        cmocka_unit_test(span_bounds),
        cmocka_unit_test(lapse),
        cmocka_unit_test(asks_refused),
        cmocka_unit_test(asks_parsed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
