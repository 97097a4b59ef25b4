/*
 * policy_test.c - the sending policy's pure parts with fixed clocks and zones: the quiet-hours
 * window's syntax, and a moment inside or outside it on the customer's local clock (Moscow and
 * Vladivostok at one UTC instant answer differently). The decision against a store is tested
 * end to end (tests/e2e/test_policy.py).
 */
#include "helpers.h"

#include "base/clock.h"
#include "deliver/policy.h"

static int64_t utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
    return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

static const struct tz *zone(const char *name)
{
    const struct tz *z;
    assert_int_equal(tz_find(name, NULL, &z, NULL), KT_OK);
    return z;
}

static void window_syntax(void **state)
{
    (void)state;
    struct policy_window w;
    assert_true(policy_window_parse("21:00-09:00", &w));
    assert_int_equal(w.from, 21 * 60);
    assert_int_equal(w.to, 9 * 60);
    assert_true(policy_window_parse("13:30-14:05", &w));
    assert_int_equal(w.from, 13 * 60 + 30);
    assert_int_equal(w.to, 14 * 60 + 5);
    assert_true(policy_window_parse("none", &w));
    assert_int_equal(w.from, POLICY_NO_WINDOW);
    const char *bad[] = {"",           "21:00",       "24:00-09:00", "21:60-09:00",  "9:00-21:00",
                         "21:00-9:00", "21:00-21:00", "21:00 09:00", "21:00-09:00x", "None"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(policy_window_parse(bad[i], &w));
    }
    assert_false(policy_window_parse(NULL, &w));
}

static void quiet_on_the_local_clock(void **state)
{
    (void)state;
    struct policy_conf pc;
    policy_conf_default(&pc);
    const struct tz *msk = zone("Europe/Moscow"), *vvo = zone("Asia/Vladivostok");
    /* 12:00 UTC: 15:00 in Moscow (UTC+3), 22:00 in Vladivostok (UTC+10) */
    int64_t at = utc(2026, 12, 3, 12, 0);
    assert_int_equal(policy_quiet_end(&pc.push, msk, at), 0);
    assert_int_equal(policy_quiet_end(&pc.push, vvo, at), utc(2026, 12, 3, 23, 0)); /* 09:00 */
    assert_int_equal(policy_quiet_end(&pc.push, vvo, utc(2026, 12, 3, 22, 59) + 59999),
                     utc(2026, 12, 3, 23, 0));
    assert_int_equal(policy_quiet_end(&pc.push, vvo, utc(2026, 12, 3, 23, 0) + 1500), 0);
    /* 20:59 and 21:00 Moscow: the window starts on the minute; 08:59 inside, 09:00 outside */
    assert_int_equal(policy_quiet_end(&pc.sms, msk, utc(2026, 12, 3, 17, 59)), 0);
    assert_int_equal(policy_quiet_end(&pc.sms, msk, utc(2026, 12, 3, 18, 0)),
                     utc(2026, 12, 4, 6, 0));
    assert_int_equal(policy_quiet_end(&pc.sms, msk, utc(2026, 12, 4, 5, 59)),
                     utc(2026, 12, 4, 6, 0));
    assert_int_equal(policy_quiet_end(&pc.sms, msk, utc(2026, 12, 4, 6, 0)), 0);
    assert_int_equal(policy_quiet_end(&pc.email, msk, utc(2026, 12, 3, 18, 0)), 0); /* none */
    /* a window inside one day */
    struct policy_window lunch;
    assert_true(policy_window_parse("13:00-14:00", &lunch));
    assert_int_equal(policy_quiet_end(&lunch, msk, utc(2026, 12, 3, 10, 30)),
                     utc(2026, 12, 3, 11, 0));
    assert_int_equal(policy_quiet_end(&lunch, msk, utc(2026, 12, 3, 11, 0)), 0);
    /* a zeroed conf has no quiet hours */
    struct policy_window zero = {0, 0};
    assert_int_equal(policy_quiet_end(&zero, msk, at), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_syntax),
        cmocka_unit_test(quiet_on_the_local_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
