/*
 * report_test.c - the uplift of a campaign's report against a two-pass computation of Welch's
 * interval from the customers' amounts themselves (the report has only sums and sums of
 * squares), and the cases without an uplift.
 */
#include "helpers.h"

#include <math.h>

#include "campaign/report.h"

/* The mean and the sample variance of x[0..n), in two passes. */
static void two_pass(const double *x, int n, double *mean, double *var)
{
    double s = 0, d = 0;
    for (int i = 0; i < n; i++) {
        s += x[i];
    }
    *mean = s / n;
    for (int i = 0; i < n; i++) {
        d += (x[i] - *mean) * (x[i] - *mean);
    }
    *var = d / (n - 1);
}

static void sums(const double *x, int n, double *sum, double *sq)
{
    *sum = *sq = 0;
    for (int i = 0; i < n; i++) {
        *sum += x[i];
        *sq += x[i] * x[i];
    }
}

static void check(const double *t, int nt, const double *c, int nc)
{
    double mt, vt, mc, vc, st, qt, sc, qc;
    two_pass(t, nt, &mt, &vt);
    two_pass(c, nc, &mc, &vc);
    sums(t, nt, &st, &qt);
    sums(c, nc, &sc, &qc);
    struct campaign_uplift u = campaign_uplift_of(nt, st, qt, nc, sc, qc);
    assert_true(u.ok);
    double se = sqrt(vt / nt + vc / nc);
    assert_true(fabs(u.treated_mean - mt) < 1e-6 && fabs(u.control_mean - mc) < 1e-6);
    assert_true(fabs(u.difference - (mt - mc)) < 1e-6);
    assert_true(fabs(u.low - (mt - mc - 1.96 * se)) < 1e-3 * (1 + se));
    assert_true(fabs(u.high - (mt - mc + 1.96 * se)) < 1e-3 * (1 + se));
    assert_true(u.low <= u.difference && u.difference <= u.high);
}

static void welch_interval_matches_two_passes(void **state)
{
    (void)state;
    static const double t[] = {0, 100, 200, 300};
    static const double c[] = {0, 0, 100};
    check(t, 4, c, 3);
    /* Most customers buy nothing; a few buy a lot: the shape of a real campaign. */
    double big_t[1000], big_c[200];
    for (int i = 0; i < 1000; i++) {
        big_t[i] = i % 17 == 0 ? 250000 + 37 * i : 0;
    }
    for (int i = 0; i < 200; i++) {
        big_c[i] = i % 23 == 0 ? 240000 + 11 * i : 0;
    }
    check(big_t, 1000, big_c, 200);
}

static void no_uplift_without_two_in_each_group(void **state)
{
    (void)state;
    assert_false(campaign_uplift_of(10, 100, 1000, 1, 5, 25).ok);
    assert_false(campaign_uplift_of(1, 100, 10000, 10, 5, 25).ok);
    assert_false(campaign_uplift_of(10, 100, 1000, 0, 0, 0).ok);
    /* Everyone the same: no spread, the interval is the difference itself. */
    struct campaign_uplift u = campaign_uplift_of(3, 300, 30000, 2, 100, 5000);
    assert_true(u.ok && u.difference == 50 && u.low == 50 && u.high == 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(welch_interval_matches_two_passes),
        cmocka_unit_test(no_uplift_without_two_in_each_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
