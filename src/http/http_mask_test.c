/*
 * http_mask_test.c - an analyst's reply masked wherever a phone or an e-mail stands (http/mask.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "http/mask.h"

static char *masked(const char *text)
{
    struct arena a;
    arena_init(&a, 0);
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    http_mask_json(v, &a);
    char *out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(v);
    arena_release(&a);
    return out;
}

static void every_shape_of_a_contact_is_masked(void **state)
{
    (void)state;
    char *s =
        masked("{\"profile\":{\"phone\":\"+79161234567\",\"email\":\"anna@example.org\",\"city\":"
               "\"Тверь\"},"
               "\"identifiers\":[{\"kind\":\"phone\",\"value\":\"+79161234567\"},"
               "{\"kind\":\"card\",\"value\":\"2000000000008\"}],"
               "\"ids\":{\"email\":[\"anna@example.org\",\"b@example.org\"]},"
               "\"history\":[{\"field\":\"identifiers.email\",\"old_value\":null,"
               "\"new_value\":\"anna@example.org\"},{\"field\":\"city\",\"new_value\":\"Тверь\"}],"
               "\"reply\":\"550 5.1.1 <anna@example.org>: no such user\",\"note\":\"+79161234567\","
               "\"receipt\":\"R-+79161234567/2\","
               "\"verification\":{\"phone\":{\"filled\":3}}}");
    assert_null(strstr(s, "1234567"));
    assert_null(strstr(s, "anna@"));
    assert_non_null(strstr(s, "+7 916 ***-**-67"));
    assert_non_null(strstr(s, "\"a***@example.org\""));
    assert_non_null(strstr(s, "\"b***@example.org\""));
    assert_non_null(strstr(s, "550 5.1.1 <a***@example.org>: no such user"));
    assert_non_null(strstr(s, "\"R-+7 916 ***-**-67/2\""));
    assert_non_null(strstr(s, "\"2000000000008\""));        /* a card is no contact */
    assert_non_null(strstr(s, "\"city\":\"Тверь\""));       /* nor a city */
    assert_non_null(strstr(s, "\"phone\":{\"filled\":3}")); /* counts stay counts */
    free(s);
}

static void a_string_without_contacts_is_untouched(void **state)
{
    (void)state;
    char *s = masked("[\"c_01HZX\",\"{{email}}\",\"S-12\",\"a @ b\",79161234567,\"+7916\"]");
    assert_string_equal(s, "[\"c_01HZX\",\"{{email}}\",\"S-12\",\"a @ b\",79161234567,"
                           "\"+7916\"]");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_shape_of_a_contact_is_masked),
        cmocka_unit_test(a_string_without_contacts_is_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
