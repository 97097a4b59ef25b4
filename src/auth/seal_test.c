/*
 * seal_test.c - sealed tokens: the text comes back only under the same secret and context, and
 * no token that was altered, cut, lengthened or made up opens.
 */
#include "helpers.h"

#include <sodium.h>

#include "auth/seal.h"

static void sealed_text_opens_under_its_context_only(void **state)
{
    (void)state;
    struct key_secret k, other;
    memset(k.k, 7, sizeof(k.k));
    memset(other.k, 8, sizeof(other.k));
    struct arena a;
    arena_init(&a, 0);
    const char *t = seal_make(&k, "events c_x", "12345", &a), *got = NULL;
    assert_true(seal_open(&k, "events c_x", t, &a, &got));
    assert_string_equal(got, "12345");
    /* opaque: the text is not in the token, and a second seal differs */
    assert_null(strstr(t, "12345"));
    assert_string_not_equal(seal_make(&k, "events c_x", "12345", &a), t);
    /* another list, another customer's list, another installation */
    assert_false(seal_open(&k, "purchases c_x", t, &a, &got));
    assert_false(seal_open(&k, "events c_y", t, &a, &got));
    assert_false(seal_open(&other, "events c_x", t, &a, &got));
    /* the empty text and the longest both round-trip */
    char longest[SEAL_TEXT_MAX + 1];
    memset(longest, 'x', SEAL_TEXT_MAX);
    longest[SEAL_TEXT_MAX] = '\0';
    assert_true(seal_open(&k, "", seal_make(&k, "", "", &a), &a, &got));
    assert_string_equal(got, "");
    assert_true(seal_open(&k, "", seal_make(&k, "", longest, &a), &a, &got));
    assert_string_equal(got, longest);
    arena_release(&a);
}

static void altered_or_made_up_tokens_do_not_open(void **state)
{
    (void)state;
    struct key_secret k;
    memset(k.k, 7, sizeof(k.k));
    struct arena a;
    arena_init(&a, 0);
    const char *t = seal_make(&k, "audit", "10.20", &a), *got = NULL;
    size_t n = strlen(t);
    for (size_t i = 0; i < n; i++) { /* every character changed, one at a time */
        char *x = arena_strdup(&a, t);
        x[i] = x[i] == 'A' ? 'B' : 'A';
        assert_false(seal_open(&k, "audit", x, &a, &got));
    }
    assert_false(seal_open(&k, "audit", arena_strndup(&a, t, n - 1), &a, &got));
    assert_false(seal_open(&k, "audit", arena_printf(&a, "%sA", t), &a, &got));
    const char *made_up[] = {
        "", "10.20", "c_0000000000000000000", "!!!!", "AAAA", "not base64 at all", NULL};
    for (size_t i = 0; made_up[i] != NULL; i++) {
        assert_false(seal_open(&k, "audit", made_up[i], &a, &got));
    }
    char huge[4096];
    memset(huge, 'A', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    assert_false(seal_open(&k, "audit", huge, &a, &got));
    arena_release(&a);
}

int main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sealed_text_opens_under_its_context_only),
        cmocka_unit_test(altered_or_made_up_tokens_do_not_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
