/*
 * tz_test.c - local time in IANA zones: fixed instants, summer time in Moscow before 2011, the
 * rule after a file's last transition, refused names and files, the C library's answers for a
 * century of instants, and threads computing different zones at once.
 */
#include "helpers.h"

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "base/clock.h"
#include "base/tz.h"

/* UTC ms of a UTC wall time. */
static int64_t utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
    return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

static const struct tz *zone(const char *name)
{
    const struct tz *z;
    struct kt_err err = {0};
    assert_int_equal(tz_find(name, "time_zone", &z, &err), KT_OK);
    assert_string_equal(tz_name(z), name);
    return z;
}

static void one_instant_two_days(void **state)
{
    (void)state;
    int64_t at = utc(2024, 3, 15, 15, 30); /* a Friday */
    struct tz_local m, v;
    tz_local(zone("Europe/Moscow"), at, &m);
    tz_local(zone("Asia/Vladivostok"), at, &v);
    assert_true(m.year == 2024 && m.month == 3 && m.day == 15 && m.hour == 18 && m.minute == 30);
    assert_int_equal(m.weekday, 5);
    assert_int_equal(m.utc_offset, 3 * 3600);
    assert_true(v.year == 2024 && v.month == 3 && v.day == 16 && v.hour == 1 && v.minute == 30);
    assert_int_equal(v.weekday, 6);
    assert_int_equal(v.days, m.days + 1);

    int64_t s, e;
    tz_day_bounds(zone("Asia/Vladivostok"), at, &s, &e);
    assert_true(s == utc(2024, 3, 15, 14, 0) && e == utc(2024, 3, 16, 14, 0));
    tz_day_bounds(zone("Europe/Moscow"), at, &s, &e);
    assert_true(s == utc(2024, 3, 14, 21, 0) && e == utc(2024, 3, 15, 21, 0));
    tz_week_bounds(zone("Europe/Moscow"), at, &s, &e); /* Monday 11 March to Monday 18 */
    assert_true(s == utc(2024, 3, 10, 21, 0) && e == utc(2024, 3, 17, 21, 0));

    /* "held until 09:00": at 23:00 local the next morning, at 08:00 the same one */
    const struct tz *mow = zone("Europe/Moscow");
    assert_true(tz_next_at(mow, utc(2024, 3, 15, 20, 0), 9, 0) == utc(2024, 3, 16, 6, 0));
    assert_true(tz_next_at(mow, utc(2024, 3, 15, 5, 0), 9, 0) == utc(2024, 3, 15, 6, 0));
    assert_true(tz_next_at(mow, utc(2024, 3, 15, 6, 0), 9, 0) == utc(2024, 3, 15, 6, 0));
}

static void moscow_summer_time_2010(void **state)
{
    (void)state;
    const struct tz *z = zone("Europe/Moscow");
    struct tz_local l;
    tz_local(z, utc(2010, 7, 1, 12, 0), &l);
    assert_true(l.hour == 16 && l.dst && l.utc_offset == 4 * 3600);
    tz_local(z, utc(2010, 1, 15, 12, 0), &l);
    assert_true(l.hour == 15 && !l.dst && l.utc_offset == 3 * 3600);
    tz_local(z, utc(2012, 1, 15, 12, 0), &l); /* 2011-2014: UTC+4 all year */
    assert_int_equal(l.utc_offset, 4 * 3600);

    /* 28 March 2010: 02:00 became 03:00, a day of 23 hours; 02:30 is the jump itself */
    int64_t s, e;
    tz_day_bounds(z, utc(2010, 3, 28, 12, 0), &s, &e);
    assert_true(s == utc(2010, 3, 27, 21, 0) && e == utc(2010, 3, 28, 20, 0));
    assert_true(tz_next_at(z, utc(2010, 3, 27, 20, 0), 2, 30) == utc(2010, 3, 27, 23, 0));
    /* 31 October 2010: 03:00 became 02:00, 25 hours; 02:30 twice, the first is taken */
    tz_day_bounds(z, utc(2010, 10, 31, 12, 0), &s, &e);
    assert_true(s == utc(2010, 10, 30, 20, 0) && e == utc(2010, 10, 31, 21, 0));
    assert_true(tz_next_at(z, utc(2010, 10, 30, 20, 0), 2, 30) == utc(2010, 10, 30, 22, 30));
}

static void kaliningrad_and_the_rule_after_the_file(void **state)
{
    (void)state;
    struct tz_local l;
    tz_local(zone("Europe/Kaliningrad"), utc(2024, 6, 1, 0, 0), &l);
    assert_true(l.hour == 2 && l.utc_offset == 2 * 3600 && !l.dst);
    /* past 2037 the footer's rule says it: Berlin's summer, Sydney's summer in January */
    tz_local(zone("Europe/Berlin"), utc(2100, 7, 1, 12, 0), &l);
    assert_true(l.hour == 14 && l.dst);
    tz_local(zone("Europe/Berlin"), utc(2100, 1, 1, 12, 0), &l);
    assert_true(l.hour == 13 && !l.dst);
    tz_local(zone("Australia/Sydney"), utc(2100, 1, 15, 0, 0), &l);
    assert_true(l.hour == 11 && l.dst);
    tz_local(zone("Australia/Sydney"), utc(2100, 7, 15, 0, 0), &l);
    assert_true(l.hour == 10 && !l.dst);
    /* Kazakhstan moved to UTC+5 on 1 March 2024 (ICU 72 of Debian 12 still says +6) */
    tz_local(zone("Asia/Almaty"), utc(2025, 1, 1, 0, 0), &l);
    assert_int_equal(l.utc_offset, 5 * 3600);
}

static void names_that_are_not_zones(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "Mars/Olympus",
                         "../../etc/passwd",
                         "Europe/../etc",
                         "right/UTC",
                         "posix/Europe/Moscow",
                         "posixrules",
                         "/etc/localtime",
                         "Europe/Moscow/",
                         "Europe//Moscow",
                         "Europe/Moscow ",
                         "Europe",
                         "Москва"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        const struct tz *z = (const struct tz *)1;
        struct kt_err err = {0};
        assert_int_equal(tz_find(bad[i], "stores.time_zone", &z, &err), KT_EINVAL);
        assert_null(z);
        assert_string_equal(err.code, "invalid_time_zone");
        assert_string_equal(err.field, "stores.time_zone");
    }
}

/* A damaged file under TZDIR is refused, not read as garbage. */
static void damaged_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/kt_tz_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    FILE *in = fopen("/usr/share/zoneinfo/Europe/Samara", "rb");
    assert_non_null(in);
    unsigned char data[8192];
    size_t n = fread(data, 1, sizeof(data), in);
    fclose(in);
    assert_true(n > 100);
    const char *names[] = {"Cut", "Magic", "Whole"};
    size_t lens[] = {n / 2, n, n};
    for (int i = 0; i < 3; i++) {
        kt_snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        if (i == 1) {
            data[0] = 'X';
        }
        fwrite(data, 1, lens[i], f);
        fclose(f);
        data[0] = 'T';
    }
    setenv("TZDIR", dir, 1);
    const struct tz *z;
    assert_int_equal(tz_find("Cut", NULL, &z, NULL), KT_EINVAL);
    assert_int_equal(tz_find("Magic", NULL, &z, NULL), KT_EINVAL);
    assert_int_equal(tz_find("Whole", NULL, &z, NULL), KT_OK);
    unsetenv("TZDIR");
    for (int i = 0; i < 3; i++) {
        kt_snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* The C library reads the same files: for a century of instants in zones with and without
 * summer time, both say the same wall clock. (One thread: TZ is the process's.) */
static void the_c_library_agrees(void **state)
{
    (void)state;
    const char *zones[] = {"Europe/Moscow",      "Europe/Kaliningrad", "Asia/Vladivostok",
                           "Europe/Berlin",      "America/New_York",   "Australia/Sydney",
                           "Asia/Srednekolymsk", "Asia/Kolkata",       "America/Sao_Paulo"};
    for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
        const struct tz *z = zone(zones[i]);
        setenv("TZ", zones[i], 1);
        tzset();
        for (int64_t t = -2208988800LL; t < 2145916800LL; t += 86400 * 7 + 3607) {
            time_t tt = (time_t)t;
            struct tm tm;
            localtime_r(&tt, &tm);
            struct tz_local l;
            tz_local(z, t * 1000, &l);
            if (l.year != tm.tm_year + 1900 || l.month != (unsigned)tm.tm_mon + 1 ||
                l.day != (unsigned)tm.tm_mday || l.hour != (unsigned)tm.tm_hour ||
                l.minute != (unsigned)tm.tm_min ||
                l.weekday != (unsigned)(tm.tm_wday ? tm.tm_wday : 7) ||
                l.utc_offset != tm.tm_gmtoff) {
                fail_msg("%s at %lld: %lld-%u-%u %u:%u vs libc %d-%d-%d %d:%d", zones[i],
                         (long long)t, (long long)l.year, l.month, l.day, l.hour, l.minute,
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
            }
            /* and local midnight maps back into the same day */
            int64_t s = tz_day_start(z, l.days);
            struct tz_local b;
            tz_local(z, s, &b);
            assert_true(b.days == l.days && s <= t * 1000);
        }
    }
    unsetenv("TZ");
    tzset();
}

struct worker {
    const char *zone;
    unsigned want_day; /* 16 in Vladivostok, 15 in Moscow, for the fixed instant */
    int wrong;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 20000; i++) {
        const struct tz *z;
        if (tz_find(w->zone, NULL, &z, NULL) != KT_OK) {
            w->wrong++;
            continue;
        }
        struct tz_local l;
        tz_local(z, utc(2024, 3, 15, 15, 30) + i, &l);
        w->wrong += l.day != w->want_day;
    }
    return NULL;
}

static void threads_each_their_zone(void **state)
{
    (void)state;
    struct worker w[4] = {{"Asia/Vladivostok", 16, 0},
                          {"Europe/Moscow", 15, 0},
                          {"Asia/Kamchatka", 16, 0},
                          {"Europe/Samara", 15, 0}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].wrong, 0);
    }
}

static void the_installation_zone(void **state)
{
    (void)state;
    assert_string_equal(tz_name(tz_default()), "Europe/Moscow");
    struct kt_err err = {0};
    assert_int_equal(tz_set_default("Asia/Omsk", &err), KT_OK);
    assert_string_equal(tz_name(tz_default()), "Asia/Omsk");
    assert_int_equal(tz_set_default("Omsk", &err), KT_EINVAL);
    assert_string_equal(tz_name(tz_default()), "Asia/Omsk"); /* a bad name changes nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_installation_zone),
        cmocka_unit_test(one_instant_two_days),
        cmocka_unit_test(moscow_summer_time_2010),
        cmocka_unit_test(kaliningrad_and_the_rule_after_the_file),
        cmocka_unit_test(names_that_are_not_zones),
        cmocka_unit_test(damaged_files),
        cmocka_unit_test(the_c_library_agrees),
        cmocka_unit_test(threads_each_their_zone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
