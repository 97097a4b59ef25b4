/*
 * lockout_test.c - the table of wrong keys by address: a lock after `max` within the window, for
 * its period and not a moment more; a window that passes forgets; other addresses untouched; a
 * flood of addresses bounded by the table (issue 19, part F).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "base/err.h"
#include "http/lockout.c"

static void locks_after_max_for_the_period(void **state)
{
    (void)state;
    struct lockout_conf c = {3, 60000, 2000};
    struct lockout *l = lockout_new(&c);
    int64_t t = 1000000;
    assert_int_equal(lockout_wait(l, "10.0.0.1", t), 0);
    assert_false(lockout_fail(l, "10.0.0.1", t));
    assert_false(lockout_fail(l, "10.0.0.1", t + 10));
    assert_int_equal(lockout_wait(l, "10.0.0.1", t + 20), 0);
    assert_true(lockout_fail(l, "10.0.0.1", t + 100)); /* the third locks, once */
    assert_int_equal(lockout_wait(l, "10.0.0.1", t + 100), 2);
    assert_int_equal(lockout_wait(l, "10.0.0.1", t + 1200), 1); /* rounded up */
    assert_int_equal(lockout_wait(l, "10.0.0.2", t + 100), 0);  /* another address */
    assert_int_equal(lockout_wait(l, "10.0.0.1", t + 2100), 0); /* the period is over */
    assert_int_equal(lockout_seconds(l), 2);
    assert_string_equal(lockout_detail(l), "3 wrong keys within 60 s: refused for 2 s");
    lockout_free(l);
}

static void a_window_that_passes_is_forgotten(void **state)
{
    (void)state;
    struct lockout_conf c = {3, 1000, 5000};
    struct lockout *l = lockout_new(&c);
    int64_t t = 50000;
    lockout_fail(l, "::1", t);
    lockout_fail(l, "::1", t + 500);
    assert_false(lockout_fail(l, "::1", t + 1000)); /* a new window: one so far */
    assert_false(lockout_fail(l, "::1", t + 1100));
    assert_true(lockout_fail(l, "::1", t + 1200));
    assert_int_equal(lockout_wait(l, "::1", t + 1200), 5);
    lockout_free(l);
}

static void off_and_null_do_nothing(void **state)
{
    (void)state;
    struct lockout_conf c = {0, 1000, 1000};
    assert_null(lockout_new(&c));
    assert_false(lockout_fail(NULL, "10.0.0.1", 1));
    assert_int_equal(lockout_wait(NULL, "10.0.0.1", 1), 0);
}

static void a_flood_of_addresses_is_bounded_and_keeps_working(void **state)
{
    (void)state;
    struct lockout_conf c = {2, 60000, 60000};
    struct lockout *l = lockout_new(&c);
    int64_t t = 1000;
    char ip[48];
    for (int i = 0; i < 3 * LOCKOUT_SLOTS; i++) {
        kt_snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        lockout_fail(l, ip, t);
    }
    /* The table replaced old entries rather than grow; a new guesser is still caught. */
    assert_false(lockout_fail(l, "192.0.2.7", t + 1));
    assert_true(lockout_fail(l, "192.0.2.7", t + 2));
    assert_int_equal(lockout_wait(l, "192.0.2.7", t + 3), 60);
    lockout_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(locks_after_max_for_the_period),
        cmocka_unit_test(a_window_that_passes_is_forgotten),
        cmocka_unit_test(off_and_null_do_nothing),
        cmocka_unit_test(a_flood_of_addresses_is_bounded_and_keeps_working),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
