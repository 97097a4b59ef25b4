/*
 * audience_test.c - what an ad platform hashes: a phone's digits with the country code, an
 * e-mail in lower case; the formats by name.
 */
#include "helpers.h"

#include "export/audience.h"

static void values_are_normalised_as_the_platforms_ask(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    assert_string_equal(audience_normal(true, "+79161234567", &a), "79161234567");
    assert_string_equal(audience_normal(true, "+7 (916) 123-45-67", &a), "79161234567");
    assert_string_equal(audience_normal(false, "Anna.B@Example.ORG", &a), "anna.b@example.org");
    assert_string_equal(audience_normal(false, "почта@пример.рф", &a), "почта@пример.рф");
    assert_null(audience_normal(true, NULL, &a));
    assert_null(audience_normal(true, "", &a));
    assert_null(audience_normal(true, "+-", &a));
    arena_release(&a);
}

static void formats_are_named(void **state)
{
    (void)state;
    enum audience_format f;
    assert_true(audience_format_parse("yandex", &f) && f == AUDIENCE_YANDEX);
    assert_true(audience_format_parse("vk-phone", &f) && f == AUDIENCE_VK_PHONE);
    assert_true(audience_format_parse("vk-email", &f) && f == AUDIENCE_VK_EMAIL);
    assert_false(audience_format_parse("vk", &f));
    assert_false(audience_format_parse(NULL, &f));
    assert_string_equal(audience_format_name(AUDIENCE_VK_EMAIL), "vk-email");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_are_normalised_as_the_platforms_ask),
        cmocka_unit_test(formats_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
