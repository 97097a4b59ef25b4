/*
 * base_test.c - buf, arena, num, clock and id.
 */
#include "helpers.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/num.h"

static void buf_cap_is_sticky(void **state)
{
    struct buf b;
    buf_init(&b, 8);
    assert_true(buf_puts(&b, "abcd"));
    assert_true(buf_printf(&b, "%d", 123));
    assert_false(buf_puts(&b, "xyz")); /* 7 + 3 > 8 */
    assert_true(b.failed);
    assert_string_equal(buf_cstr(&b), "abcd123"); /* untouched by the failing append */
    assert_false(buf_putc(&b, 'q'));              /* sticky */
    buf_reset(&b);
    assert_false(b.failed);
    assert_true(buf_puts(&b, "ok"));
    char *s = buf_take(&b);
    assert_string_equal(s, "ok");
    free(s);
    assert_string_equal(buf_cstr(&b), "");
    buf_release(&b);
}

static void buf_grows_for_long_printf(void **state)
{
    struct buf b;
    buf_init(&b, 0);
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_true(buf_printf(&b, "<%s>", big));
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.p[0], '<');
    assert_int_equal(b.p[1000], '>');
    buf_release(&b);
}

static int cleanups;
static void count_cleanup(void *p)
{
    cleanups += *(int *)p;
}

static void arena_allocates_aligned_and_cleans_up(void **state)
{
    struct arena a;
    arena_init(&a, 256);
    for (int i = 0; i < 100; i++) {
        void *p = arena_alloc(&a, (size_t)i + 1);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xAB, (size_t)i + 1);
    }
    char *big = arena_alloc(&a, 10000); /* its own block */
    memset(big, 1, 10000);
    assert_string_equal(arena_printf(&a, "%s-%d", "x", 7), "x-7");
    int *v = arena_alloc(&a, sizeof(int));
    *v = 5;
    cleanups = 0;
    arena_defer(&a, count_cleanup, v);
    int *arr = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 1000; i++) {
        *(int *)arena_push(&a, &arr, &n, &cap, sizeof(int)) = i;
    }
    assert_int_equal(n, 1000);
    assert_int_equal(arr[999], 999);
    assert_int_equal(arr[0], 0);
    arena_release(&a);
    assert_int_equal(cleanups, 5);
}

static void num_parse_checks_everything(void **state)
{
    int64_t v;
    assert_true(num_parse_cstr("42", 0, 100, &v));
    assert_int_equal(v, 42);
    assert_true(num_parse_cstr("-9223372036854775808", INT64_MIN, INT64_MAX, &v));
    assert_true(v == INT64_MIN);
    assert_false(num_parse_cstr("9223372036854775808", INT64_MIN, INT64_MAX, &v));
    assert_false(num_parse_cstr("101", 0, 100, &v));
    assert_false(num_parse_cstr("12a", 0, 100, &v));
    assert_false(num_parse_cstr("", 0, 100, &v));
    assert_false(num_parse_cstr("-", 0, 100, &v));
    assert_false(num_parse_cstr(" 1", 0, 100, &v));
}

static void time_round_trips(void **state)
{
    char out[40];
    assert_string_equal(time_format_rfc3339(0, out, sizeof(out)), "1970-01-01T00:00:00.000Z");
    assert_string_equal(time_format_rfc3339(1795000000123LL, out, sizeof(out)),
                        "2026-11-18T11:06:40.123Z");
    struct arena a;
    arena_init(&a, 0);
    assert_string_equal(time_rfc3339(&a, 1795000000123LL), "2026-11-18T11:06:40.123Z");
    arena_release(&a);
    int64_t ms;
    assert_true(time_parse_rfc3339("2026-11-18T11:06:40.123Z", 24, &ms));
    assert_true(ms == 1795000000123LL);
    assert_true(time_parse_rfc3339("2026-11-18T14:06:40+03:00", 25, &ms));
    assert_true(ms == 1795000000000LL);
    assert_false(time_parse_rfc3339("2026-02-30T00:00:00Z", 20, &ms));
    assert_false(time_parse_rfc3339("2026-11-18 09:46", 16, &ms));
    assert_false(time_parse_rfc3339("2026-11-18T09:46:40", 19, &ms));
    assert_false(time_parse_rfc3339("2026-11-18T09:46:40Zjunk", 24, &ms));
    for (int64_t d = -719162; d < 2932896; d += 997) { /* 0001-01-01 .. 9999-12-31 */
        int64_t y;
        unsigned m, dd;
        civil_from_days(d, &y, &m, &dd);
        assert_true(date_valid(y, m, dd));
        assert_true(days_from_civil(y, m, dd) == d);
    }
    assert_true(date_valid(2024, 2, 29));
    assert_false(date_valid(2023, 2, 29));
    assert_false(date_valid(1900, 2, 29));
    assert_true(date_valid(2000, 2, 29));
}

static int64_t fixed_clock(void)
{
    return 1234;
}

static void clock_is_injectable(void **state)
{
    clock_set(fixed_clock);
    assert_true(clock_now_ms() == 1234);
    clock_set(NULL);
    assert_true(clock_now_ms() > 1700000000000LL);
}

static void ids_are_random_and_checked(void **state)
{
    assert_true(sodium_init() >= 0);
    char a[ID_MAX], b[ID_MAX];
    id_new(a, sizeof(a), "c_");
    id_new(b, sizeof(b), "c_");
    assert_int_equal(strlen(a), 22);
    assert_string_not_equal(a, b);
    assert_true(id_valid(a, "c_"));
    assert_false(id_valid(a, "k_"));
    assert_false(id_valid("c_short", "c_"));
    assert_false(id_valid("c_ABCDEFGHJKMNPQRSTVWX", "c_")); /* upper case is not ours */
    assert_false(id_valid("c_0000000000000000000i", "c_")); /* i is not in the alphabet */
    /* the creation second comes first: ids made later sort after, the random rest differs */
    assert_true(strncmp(a, "c_0", 3) == 0); /* 2020 + 2^30 s is far away */
    assert_true(memcmp(a, b, 2 + ID_TIME_CHARS) <= 0);
    assert_memory_not_equal(a + 2 + ID_TIME_CHARS, b + 2 + ID_TIME_CHARS,
                            ID_RANDOM_CHARS - ID_TIME_CHARS);
}

static void err_first_wins(void **state)
{
    struct kt_err e;
    kt_err_reset(&e);
    assert_int_equal(kt_err_set(&e, KT_EINVAL, "first", "f", "one %d", 1), KT_EINVAL);
    kt_err_set(&e, KT_ESTORE, "second", NULL, "two");
    assert_int_equal(e.rc, KT_EINVAL);
    assert_string_equal(e.code, "first");
    assert_string_equal(e.msg, "one 1");
    assert_int_equal(kt_err_set(NULL, KT_ENOTFOUND, "x", NULL, "y"), KT_ENOTFOUND);
    /* A limit carries its wait; a limit raised after another error changes nothing. */
    struct kt_err l;
    kt_err_reset(&l);
    assert_int_equal(kt_err_limit(&l, 42, "slow_down", NULL, "at most %d", 3), KT_ELIMIT);
    assert_int_equal(l.retry_after, 42);
    assert_string_equal(l.msg, "at most 3");
    assert_int_equal(kt_err_limit(&e, 42, "slow_down", NULL, "x"), KT_ELIMIT);
    assert_int_equal(e.rc, KT_EINVAL);
    assert_int_equal(e.retry_after, 0);
    kt_err_reset(&l);
    kt_err_limit(&l, 0, "slow_down", NULL, "no wait known"); /* still at least a second */
    assert_int_equal(l.retry_after, 1);
    char small[6];
    kt_strlcpy(small, "абв", sizeof(small)); /* 6 bytes do not fit in 5: cut at a boundary */
    assert_string_equal(small, "аб");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_cap_is_sticky),
        cmocka_unit_test(buf_grows_for_long_printf),
        cmocka_unit_test(arena_allocates_aligned_and_cleans_up),
        cmocka_unit_test(num_parse_checks_everything),
        cmocka_unit_test(time_round_trips),
        cmocka_unit_test(clock_is_injectable),
        cmocka_unit_test(ids_are_random_and_checked),
        cmocka_unit_test(err_first_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
