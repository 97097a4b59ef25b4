/*
 * mask_test.c - the masked forms of phones, e-mails and cards (base/mask.h), for the customer's
 * pages and for an analyst's replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "base/mask.h"

static void the_pages_show_the_last_four_digits(void **state)
{
    struct arena a;
    arena_init(&a, 0);
    (void)state;
    assert_string_equal(mask_value("phone", "+79161234567", MASK_PAGE, &a), "+7 *** ***-45-67");
    assert_string_equal(mask_value("email", "anna@example.org", MASK_PAGE, &a), "a***@example.org");
    assert_string_equal(mask_value("email", "ёлка@пример.рф", MASK_PAGE, &a), "ё***@пример.рф");
    assert_string_equal(mask_value("card", "2000000000008", MASK_PAGE, &a), "**** 0008");
    assert_string_equal(mask_value("external", "abc", MASK_PAGE, &a), "****");
    assert_string_equal(mask_value("email", "@nobody", MASK_PAGE, &a), "**** body");
    assert_string_equal(mask_value("phone", "", MASK_PAGE, &a), "");
    assert_string_equal(mask_value("phone", NULL, MASK_PAGE, &a), "");
    assert_string_equal(mask_value("phone", "+375291234567", MASK_PAGE, &a), "**** 4567");
    arena_release(&a);
}

static void an_analyst_sees_the_operator_and_two_digits(void **state)
{
    struct arena a;
    arena_init(&a, 0);
    (void)state;
    assert_string_equal(mask_value("phone", "+79161234567", MASK_ANALYST, &a), "+7 916 ***-**-67");
    assert_string_equal(mask_value("phone", "+375291234567", MASK_ANALYST, &a), "**** 67");
    assert_string_equal(mask_value("phone", "8916", MASK_ANALYST, &a), "****");
    assert_string_equal(mask_value("email", "anna@example.org", MASK_ANALYST, &a),
                        "a***@example.org");
    /* A one-letter name gives nothing more than its letter; a 4-byte character stays whole. */
    assert_string_equal(mask_value("email", "a@example.org", MASK_ANALYST, &a), "a***@example.org");
    assert_string_equal(mask_value("email", "\xF0\x9F\x98\x80x@e.ru", MASK_ANALYST, &a),
                        "\xF0\x9F\x98\x80***@e.ru");
    const char *m = mask_value("phone", "+79161234567", MASK_ANALYST, &a);
    assert_null(strstr(m, "1234"));
    arena_release(&a);
}

static void what_looks_like_a_contact(void **state)
{
    (void)state;
    const char *phones[] = {"+79161234567", "+375291234567", "+12025550100"};
    const char *not_phones[] = {"79161234567",  "+7916123", "+7 916 123-45-67",
                                "+7916123456a", "c_01HZX",  ""};
    for (size_t i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
        assert_true(mask_looks_phone(phones[i], strlen(phones[i])));
    }
    for (size_t i = 0; i < sizeof(not_phones) / sizeof(not_phones[0]); i++) {
        assert_false(mask_looks_phone(not_phones[i], strlen(not_phones[i])));
    }
    const char *mails[] = {"anna@example.org", "a.b+c@пример.рф", "x@y.z"};
    const char *not_mails[] = {
        "@example.org",    "anna@",           "anna@example",         "anna@.org", "anna@org.",
        "a b@example.org", "a@b@example.org", "Anna <a@example.org>", "{{email}}"};
    for (size_t i = 0; i < sizeof(mails) / sizeof(mails[0]); i++) {
        assert_true(mask_looks_email(mails[i], strlen(mails[i])));
    }
    for (size_t i = 0; i < sizeof(not_mails) / sizeof(not_mails[0]); i++) {
        assert_false(mask_looks_email(not_mails[i], strlen(not_mails[i])));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_pages_show_the_last_four_digits),
        cmocka_unit_test(an_analyst_sees_the_operator_and_two_digits),
        cmocka_unit_test(what_looks_like_a_contact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
