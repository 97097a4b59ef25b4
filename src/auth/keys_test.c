/*
 * keys_test.c - API keys: created once, stored hashed, verified in constant time, revoked, and
 * useless with another installation's secret; the scopes kept as they were given; an expiry
 * refused with its own code; store lists parsed, kept and matched (issue 19, part F).
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

static void scopes_expiry_and_stores_are_kept(void **state)
{
    struct key_secret s;
    memset(&s, 7, sizeof(s));
    struct arena a;
    arena_init(&a, 0);
    const char *stores = NULL;
    assert_int_equal(keys_stores_parse("S-1,Магазин 2", &a, &stores, NULL), KT_OK);
    assert_string_equal(stores, "[\"S-1\",\"Магазин 2\"]");

    struct store_conn *w;
    struct api_key dpo, aud, till;
    char t_dpo[KEY_TOKEN_MAX], t_aud[KEY_TOKEN_MAX], t_till[KEY_TOKEN_MAX];
    struct key_limits lim = {1000, stores};
    struct kt_err err;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(keys_create(w, &s, "dpo", SCOPE_DPO, 1, t_dpo, &dpo, NULL), KT_OK);
    assert_int_equal(keys_create(w, &s, "aud", SCOPE_AUDITOR, 1, t_aud, &aud, NULL), KT_OK);
    assert_int_equal(keys_create_limited(w, &s, "till", SCOPE_POS, &lim, 1, t_till, &till, NULL),
                     KT_OK);
    struct key_limits past = {1, NULL}, admin_stores = {0, stores};
    kt_err_reset(&err);
    assert_int_equal(keys_create_limited(w, &s, "x", SCOPE_POS, &past, 1, t_till, &till, &err),
                     KT_EINVAL);
    assert_string_equal(err.code, "bad_expiry");
    kt_err_reset(&err);
    assert_int_equal(
        keys_create_limited(w, &s, "x", SCOPE_ADMIN, &admin_stores, 1, t_till, &till, &err),
        KT_EINVAL);
    assert_string_equal(err.code, "bad_stores");
    /* The console's roles (issue 15, part 3): a store manager's key must name its stores. */
    struct api_key mgr, mkt, ana;
    char t_mgr[KEY_TOKEN_MAX], t_mkt[KEY_TOKEN_MAX], t_ana[KEY_TOKEN_MAX];
    kt_err_reset(&err);
    assert_int_equal(keys_create(w, &s, "x", SCOPE_MANAGER, 1, t_mgr, &mgr, &err), KT_EINVAL);
    assert_string_equal(err.code, "bad_stores");
    struct key_limits mgr_stores = {0, stores};
    assert_int_equal(
        keys_create_limited(w, &s, "mgr", SCOPE_MANAGER, &mgr_stores, 1, t_mgr, &mgr, NULL), KT_OK);
    kt_err_reset(&err);
    assert_int_equal(
        keys_create_limited(w, &s, "x", SCOPE_ANALYST, &mgr_stores, 1, t_ana, &ana, &err),
        KT_EINVAL);
    assert_string_equal(err.code, "bad_stores");
    assert_int_equal(keys_create(w, &s, "mkt", SCOPE_MARKETER, 1, t_mkt, &mkt, NULL), KT_OK);
    assert_int_equal(keys_create(w, &s, "ana", SCOPE_ANALYST, 1, t_ana, &ana, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);

    struct store_conn *r;
    struct api_key got;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(keys_verify_at(r, &s, t_dpo, strlen(t_dpo), 5000, &a, &got, NULL), KT_OK);
    assert_int_equal(got.scope, SCOPE_DPO);
    assert_null(got.stores);
    assert_int_equal(got.expires_at, 0);
    assert_int_equal(keys_verify_at(r, &s, t_aud, strlen(t_aud), 5000, &a, &got, NULL), KT_OK);
    assert_int_equal(got.scope, SCOPE_AUDITOR);
    assert_int_equal(keys_verify_at(r, &s, t_mgr, strlen(t_mgr), 5000, &a, &got, NULL), KT_OK);
    assert_int_equal(got.scope, SCOPE_MANAGER);
    assert_string_equal(got.stores, stores);
    assert_int_equal(keys_verify_at(r, &s, t_mkt, strlen(t_mkt), 5000, &a, &got, NULL), KT_OK);
    assert_int_equal(got.scope, SCOPE_MARKETER);
    assert_int_equal(keys_verify_at(r, &s, t_ana, strlen(t_ana), 5000, &a, &got, NULL), KT_OK);
    assert_int_equal(got.scope, SCOPE_ANALYST);
    assert_string_equal(keys_scope_name(SCOPE_MANAGER), "store_manager");
    enum key_scope parsed;
    assert_true(keys_scope_parse("store_manager", &parsed) && parsed == SCOPE_MANAGER);
    assert_int_equal(keys_verify_at(r, &s, t_till, strlen(t_till), 999, &a, &got, NULL), KT_OK);
    assert_string_equal(got.stores, stores);
    assert_int_equal(got.expires_at, 1000);
    assert_true(keys_store_allowed(&got, "S-1"));
    assert_true(keys_store_allowed(&got, "Магазин 2"));
    assert_false(keys_store_allowed(&got, "S-10"));
    assert_false(keys_store_allowed(&got, NULL));
    assert_true(keys_store_allowed(&dpo, NULL)); /* not limited: any store, or none */
    kt_err_reset(&err);
    assert_int_equal(keys_verify_at(r, &s, t_till, strlen(t_till), 1000, &a, &got, &err), KT_EAUTH);
    assert_string_equal(err.code, "key_expired");
    /* Without the secret nobody learns that the key expired. */
    char wrong[KEY_TOKEN_MAX];
    kt_strlcpy(wrong, t_till, sizeof(wrong));
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == 'a' ? 'b' : 'a';
    kt_err_reset(&err);
    assert_int_equal(keys_verify_at(r, &s, wrong, strlen(wrong), 5000, &a, &got, &err), KT_EAUTH);
    assert_string_equal(err.code, "invalid_key");
    store_read_end(r);

    /* The expiry job's search finds the key once its time has come, and not after it is marked. */
    struct api_key *due;
    size_t n = 9;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_key_expired_unaudited(w, 999, 10, &a, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_key_expired_unaudited(w, 1000, 10, &a, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(due[0].id, till.id);
    assert_int_equal(store_key_expiry_audited(w, till.id, 1000, NULL), KT_OK);
    assert_int_equal(store_key_expired_unaudited(w, 5000, 10, &a, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    arena_release(&a);
}

static void store_lists_are_checked(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    const char *json;
    char long_code[80];
    memset(long_code, 'x', 65);
    long_code[65] = '\0';
    const char *bad[] = {"", ",", "S-1,", ",S-1", "S-1,,S-2", "S-1,S-1", "S\t1", long_code, "\xff"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kt_err err;
        kt_err_reset(&err);
        assert_int_equal(keys_stores_parse(bad[i], &a, &json, &err), KT_EINVAL);
        assert_string_equal(err.code, "bad_stores");
    }
    long_code[64] = '\0';
    assert_int_equal(keys_stores_parse(long_code, &a, &json, NULL), KT_OK);
    struct buf many;
    buf_init(&many, 1024);
    for (int i = 0; i < 101; i++) {
        buf_printf(&many, "%sS-%d", i ? "," : "", i);
    }
    assert_int_equal(keys_stores_parse(buf_cstr(&many), &a, &json, NULL), KT_EINVAL);
    buf_release(&many);
    arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(created_key_verifies_and_revoked_does_not, store_setup,
                                        store_teardown),
        cmocka_unit_test(secret_from_environment),
        cmocka_unit_test_setup_teardown(scopes_expiry_and_stores_are_kept, store_setup,
                                        store_teardown),
        cmocka_unit_test(store_lists_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
