/*
 * date_test.c - birth dates, one test per class of input (docs/cleaning.md, "Birth dates"). The
 * wider case set is tests/clean/dates.tsv, measured by bench/clean_accuracy.
 */
#include "helpers.h"

#include "clean/clean.h"

#define TODAY 20416 /* 2025-11-24 */

struct want {
    const char *in;
    const char *verdict; /* "ok", "corrected", "suspicious", "invalid" */
    const char *value;   /* NULL when invalid */
    const char *code;    /* change (ok/corrected) or reason, NULL: not checked */
};

static int setup(void **state)
{
    arena_init(&A, 0);
    return 0;
}

static int teardown(void **state)
{
    arena_release(&A);
    return 0;
}

static void check(const struct want *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct clean_out o;
        clean_birth_date(w[i].in, strlen(w[i].in), TODAY, &A, &o);
        const char *code = o.verdict <= CLEAN_CORRECTED ? o.change : o.reason;
        bool ok = strcmp(clean_verdict_name(o.verdict), w[i].verdict) == 0 &&
                  (w[i].value == NULL) == (o.value == NULL) &&
                  (o.value == NULL || strcmp(o.value, w[i].value) == 0) &&
                  (w[i].code == NULL || (code != NULL && strcmp(code, w[i].code) == 0));
        if (!ok) {
            fail_msg("'%s': want %s %s %s, got %s %s %s", w[i].in, w[i].verdict,
                     w[i].value ? w[i].value : "-", w[i].code ? w[i].code : "-",
                     clean_verdict_name(o.verdict), o.value ? o.value : "-", code ? code : "-");
        }
        if (o.value != NULL) { /* the standard form is stable */
            struct clean_out again;
            clean_birth_date(o.value, strlen(o.value), TODAY, &A, &again);
            assert_string_equal(again.value, o.value);
            assert_true(again.verdict == CLEAN_OK || again.verdict == CLEAN_SUSPICIOUS);
        }
    }
}

#define CHECK(cases) check(cases, sizeof(cases) / sizeof(cases[0]))

static void iso_is_ok_and_numbers_day_first(void **state)
{
    static const struct want w[] = {
        {"1985-03-24", "ok", "1985-03-24", NULL},
        {" 1985-03-24\xc2\xa0", "ok", "1985-03-24", NULL}, /* outer spaces are not a change */
        {"2011-11-24", "ok", "2011-11-24", NULL},          /* 14 today */
        {"24.03.1985", "corrected", "1985-03-24", "date_format"},
        {"4.3.85", "corrected", "1985-03-04", "date_format"},
        {"24,03,1985", "corrected", "1985-03-24", NULL},
        {"1985.03.24", "corrected", "1985-03-24", NULL},
        {"03.04.1985", "corrected", "1985-04-03", "date_format"}, /* dots: day first */
        {"24.03.1985 г.р.", "corrected", "1985-03-24", NULL},
        {"Дата рождения: 24.03.1985", "corrected", "1985-03-24", NULL},
        {"24:03:1985", "corrected", "1985-03-24", NULL},
        {"09.05.45", "corrected", "1945-05-09", NULL},
        {"24.12.25", "corrected", "1925-12-24", NULL}, /* not a date to come */
        {"85-03-24", "corrected", "1985-03-24", NULL}, /* 85 cannot be a day: year first */
        {"24.03.1985 (40 лет)", "corrected", "1985-03-24", NULL}, /* a remark in brackets */
    };
    CHECK(w);
}

static void month_words_any_form(void **state)
{
    static const struct want w[] = {
        {"24 марта 1985 года", "corrected", "1985-03-24", "date_format"},
        {"24 мар. 1985 г.", "corrected", "1985-03-24", NULL},
        {"24 МАР 1985", "corrected", "1985-03-24", NULL},
        {"8 сент 1972", "corrected", "1972-09-08", NULL},
        {"8 сентябрь 1972", "corrected", "1972-09-08", NULL},
        {"3 мая 1995", "corrected", "1995-05-03", NULL},
        {"24-го марта 1985 года", "corrected", "1985-03-24", NULL},
        {"воскресенье, 24 марта 1985 г.", "corrected", "1985-03-24", NULL},
        {"24марта1985", "corrected", "1985-03-24", NULL},
        {"24 сентебря 1985", "corrected", "1985-09-24", NULL}, /* one letter off */
        {"March 24, 1985", "corrected", "1985-03-24", NULL},
        {"24-Mar-1985", "corrected", "1985-03-24", NULL},
        {"Sunday, March 24th, 1985", "corrected", "1985-03-24", NULL},
        {"1985, 24 марта", "corrected", "1985-03-24", NULL},
        {"24 ма 1985", "invalid", NULL, "not_a_date"}, /* март or май */
        {"24 марта", "invalid", NULL, "incomplete_date"},
    };
    CHECK(w);
}

static void roman_months(void **state)
{
    static const struct want w[] = {
        {"24.III.1985", "corrected", "1985-03-24", "date_format"},
        {"24 III 1985", "corrected", "1985-03-24", NULL},
        {"8.ix.1972", "corrected", "1972-09-08", NULL},
        {"25.\xd0\xa5II.1959", "corrected", "1959-12-25", NULL},   /* Cyrillic Х */
        {"24.\xe2\x85\xa2.1985", "corrected", "1985-03-24", NULL}, /* U+2162 */
        {"24.XIII.1985", "invalid", NULL, "not_a_date"},
    };
    CHECK(w);
}

static void digits_without_separators(void **state)
{
    static const struct want w[] = {
        {"240385", "corrected", "1985-03-24", "date_format"},
        {"850324", "corrected", "1985-03-24", NULL},
        {"24031985", "corrected", "1985-03-24", NULL},
        {"19850324", "corrected", "1985-03-24", NULL},
        {"31130", "corrected", "1985-03-24", "excel_serial"},
        {"31130,0", "corrected", "1985-03-24", "excel_serial"},
        {"1985", "invalid", NULL, "incomplete_date"},
        {"2403851", "invalid", NULL, "not_a_date"},
    };
    CHECK(w);
}

static void exports_with_a_time(void **state)
{
    static const struct want w[] = {
        {"24.03.1985 0:00:00", "corrected", "1985-03-24", "time_dropped"},
        {"24.03.1985 00:00", "corrected", "1985-03-24", "time_dropped"},
        {"1985-03-24T00:00:00", "corrected", "1985-03-24", "time_dropped"},
        {"1985-03-24T00:00:00.000Z", "corrected", "1985-03-24", NULL},
        {"1985-03-24 00:00:00.000", "corrected", "1985-03-24", NULL},
        {"1985-03-24T00:00:00+03:00", "corrected", "1985-03-24", NULL},
        {"1985-03-24T15:45:10", "corrected", "1985-03-24", NULL},
        {"Sun Mar 24 1985 00:00:00 GMT+0300 (Moscow Standard Time)", "corrected", "1985-03-24",
         NULL},
        {"3/24/1985 12:00:00 AM", "corrected", "1985-03-24", "month_day_swapped"},
        {"3/4/1985 12:00:00 AM", "corrected", "1985-03-04", "month_day_swapped"},
        {"24.03.1985 25:00", "invalid", NULL, "not_a_date"},
        {"01.01.0001 0:00:00", "invalid", NULL, "placeholder_date"}, /* 1C's empty date */
    };
    CHECK(w);
}

static void unicode_and_stray_spaces(void **state)
{
    static const struct want w[] = {
        {"\xef\xbc\x92\xef\xbc\x94.\xef\xbc\x90\xef\xbc\x93.\xef\xbc\x91\xef\xbc\x99\xef\xbc\x98"
         "\xef\xbc\x95",
         "corrected", "1985-03-24", NULL}, /* full-width digits */
        {"24\xe2\x80\x93"
         "03\xe2\x80\x93"
         "1985",
         "corrected", "1985-03-24", NULL}, /* en dash */
        {"1985\xe2\x88\x92"
         "03\xe2\x88\x92"
         "24",
         "corrected", "1985-03-24", NULL}, /* minus */
        {"24 . 03 . 1985", "corrected", "1985-03-24", NULL},
        {"'24.03.1985", "corrected", "1985-03-24", NULL}, /* Excel's text mark */
        {"\xc2\xab"
         "24.03.1985\xc2\xbb",
         "corrected", "1985-03-24", NULL},
    };
    CHECK(w);
}

static void month_first_when_only_that_reads(void **state)
{
    static const struct want w[] = {
        {"03/24/1985", "corrected", "1985-03-24", "month_day_swapped"},
        {"12.25.1959", "corrected", "1959-12-25", "month_day_swapped"},
        {"1985-24-03", "corrected", "1985-03-24", "month_day_swapped"},
        {"032485", "corrected", "1985-03-24", "month_day_swapped"},
        {"03/04/1985", "suspicious", "1985-04-03", "ambiguous_order"},
        {"05/05/1985", "corrected", "1985-05-05", "date_format"},
        {"24/03/1985", "corrected", "1985-03-24", "date_format"},
    };
    CHECK(w);
}

static void refused_and_flagged(void **state)
{
    static const struct want w[] = {
        {"31.02.1985", "invalid", NULL, "no_such_date"},
        {"15.13.1990", "invalid", NULL, "no_such_date"},
        {"24.03.2030", "invalid", NULL, "in_future"},
        {"25.11.2011", "invalid", NULL, "under_14"}, /* 14 tomorrow */
        {"1910-01-01", "invalid", NULL, "over_110"},
        {"не помню", "invalid", NULL, "not_a_date"},
        {"03.1985", "invalid", NULL, "incomplete_date"},
        {"24.03.1985 24.03.1986", "invalid", NULL, "not_a_date"},
        {"0000-00-00", "invalid", NULL, "placeholder_date"},
        {"01.01.1900", "invalid", NULL, "placeholder_date"},
        {"30.12.1899", "invalid", NULL, "placeholder_date"},
        {"01.01.1970", "suspicious", "1970-01-01", "placeholder_date"},
        {"15.06.1920", "suspicious", "1920-06-15", "over_100"},
        {"", "invalid", NULL, "empty"},
    };
    CHECK(w);
}

/* Any calendar date (an attribute's): the future and great ages are fine, not-dates are not. */
static void any_date_without_the_rules_of_age(void **state)
{
    (void)state;
    static const struct {
        const char *in, *value, *reason;
    } w[] = {
        {"2031-12-31", "2031-12-31", NULL},
        {"31.12.2031", "2031-12-31", NULL},
        {"1 июня 1850 г.", "1850-06-01", NULL},
        {"2025-11-24T00:00:00", "2025-11-24", NULL},
        {"24.03.85", "1985-03-24", NULL},
        {"31.02.2024", NULL, "no_such_date"},
        {"01.01.0001", NULL, "placeholder_date"},
        {"не помню", NULL, "not_a_date"},
        {"", NULL, "empty"},
    };
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        struct clean_out o;
        clean_date(w[i].in, strlen(w[i].in), TODAY, &A, &o);
        if (w[i].value != NULL) {
            assert_true(o.verdict != CLEAN_INVALID);
            assert_string_equal(o.value, w[i].value);
            struct clean_out again;
            clean_date(o.value, strlen(o.value), TODAY, &A, &again);
            assert_int_equal(again.verdict, CLEAN_OK);
        } else {
            assert_int_equal(o.verdict, CLEAN_INVALID);
            assert_string_equal(o.reason, w[i].reason);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iso_is_ok_and_numbers_day_first),
        cmocka_unit_test(month_words_any_form),
        cmocka_unit_test(roman_months),
        cmocka_unit_test(digits_without_separators),
        cmocka_unit_test(exports_with_a_time),
        cmocka_unit_test(unicode_and_stray_spaces),
        cmocka_unit_test(month_first_when_only_that_reads),
        cmocka_unit_test(refused_and_flagged),
        cmocka_unit_test(any_date_without_the_rules_of_age),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
