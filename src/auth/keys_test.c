/*
 * keys_test.c - API keys: created once, stored hashed, verified in constant time, revoked, and
 * useless with another installation's secret.
 */
#include "helpers.h"

#include <sys/stat.h>

#include "auth/keys.h"

static void created_key_verifies_and_revoked_does_not(void **state)
{
    char path[160];
    kt_snprintf(path, sizeof(path), "%s/secret", T.dir);
    struct key_secret s;
    bool created = false;
    assert_int_equal(keys_secret_load(path, NULL, &s, &created, NULL), KT_OK);
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    struct key_secret again;
    assert_int_equal(keys_secret_load(path, NULL, &again, &created, NULL), KT_OK);
    assert_false(created);
    assert_memory_equal(s.k, again.k, sizeof(s.k));

    struct store_conn *w;
    struct api_key k;
    char token[KEY_TOKEN_MAX];
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(keys_secret_check(w, &s, NULL), KT_OK);
    assert_int_equal(keys_create(w, &s, "till", SCOPE_POS, 1, token, &k, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    assert_int_equal(strlen(token), 3 + 12 + 1 + 32);

    struct arena a;
    arena_init(&a, 0);
    struct store_conn *r;
    struct api_key got;
    struct kt_err err;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(keys_verify(r, &s, token, strlen(token), &a, &got, NULL), KT_OK);
    assert_int_equal(got.scope, SCOPE_POS);
    char wrong[KEY_TOKEN_MAX];
    kt_strlcpy(wrong, token, sizeof(wrong));
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == 'a' ? 'b' : 'a';
    kt_err_reset(&err);
    assert_int_equal(keys_verify(r, &s, wrong, strlen(wrong), &a, &got, &err), KT_EAUTH);
    assert_string_equal(err.code, "invalid_key");
    assert_int_equal(keys_verify(r, &s, "kt_short", 8, &a, &got, NULL), KT_EAUTH);
    struct key_secret other = s;
    other.k[0] ^= 1;
    assert_int_equal(keys_verify(r, &other, token, strlen(token), &a, &got, NULL), KT_EAUTH);
    store_read_end(r);

    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    kt_err_reset(&err);
    assert_int_equal(keys_secret_check(w, &other, &err), KT_EINVAL);
    assert_string_equal(err.code, "secret_mismatch");
    assert_int_equal(store_key_revoke(w, k.id, 2, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(keys_verify(r, &s, token, strlen(token), &a, &got, NULL), KT_EAUTH);
    store_read_end(r);
    arena_release(&a);
}

static void secret_from_environment(void **state)
{
    struct key_secret s;
    bool created;
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    assert_int_equal(keys_secret_load("/nonexistent/x", hex, &s, &created, NULL), KT_OK);
    assert_int_equal(s.k[31], 0x1f);
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(keys_secret_load("/nonexistent/x", "abc", &s, &created, &err), KT_EINVAL);
    assert_string_equal(err.code, "bad_secret");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(created_key_verifies_and_revoked_does_not, store_setup,
                                        store_teardown),
        cmocka_unit_test(secret_from_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
