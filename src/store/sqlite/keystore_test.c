/*
 * keystore_test.c - the key store beside the database: keys made ahead and found again, and the
 * refusals at open when the key store, the master key or the secret do not belong.
 */
#include "helpers.h"

#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"

static enum kt_rc reopen(const unsigned char *master, const unsigned char *secret,
                         struct kt_err *err)
{
    store_close(T.s);
    T.s = NULL;
    static const unsigned char dm[32] = {'t', 'e', 's', 't', 'm'},
                               ds[32] = {'t', 'e', 's', 't', 's'};
    struct crypt_opts co = {master ? master : dm, secret ? secret : ds, 0};
    struct store_opts o = {T.path, 200, 8, STORE_MIGRATE, 0, crypt_new(&co), -1};
    kt_err_reset(err);
    return store_open(&o, &T.s, err);
}

static void keys_are_made_ahead_and_found_again(void **state)
{
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    unsigned char k1[32], k2[32], k3[32];
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(sq_dk((struct sq_conn *)w, 7, false, k1, &err), KT_ESTORE);
    assert_string_equal(err.code, "data_key_missing");
    assert_int_equal(sq_dk((struct sq_conn *)w, 7, true, k1, NULL), KT_OK);
    assert_int_equal(sq_dk((struct sq_conn *)w, 8, false, k2, NULL), KT_OK); /* made ahead */
    assert_memory_not_equal(k1, k2, 32);
    store_write_end(w, KT_OK, NULL);
    /* another process (no cache) unwraps the same key */
    assert_int_equal(reopen(NULL, NULL, &err), KT_OK);
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(sq_dk((struct sq_conn *)r, 7, false, k3, NULL), KT_OK);
    assert_memory_equal(k1, k3, 32);
    store_read_end(r);
    /* the keys are in their own file, none in the database */
    sqlite3 *db;
    char path[160];
    kt_snprintf(path, sizeof(path), "%s.keys", T.path);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM data_keys", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 256);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void a_wrong_master_key_or_secret_is_refused_at_open(void **state)
{
    struct kt_err err;
    static const unsigned char other[32] = {1};
    assert_int_equal(reopen(other, NULL, &err), KT_ESTORE);
    assert_string_equal(err.code, "master_key_mismatch");
    assert_int_equal(reopen(NULL, other, &err), KT_EINVAL);
    assert_string_equal(err.code, "secret_mismatch");
    assert_int_equal(reopen(NULL, NULL, &err), KT_OK);
}

static void a_missing_key_store_is_refused_never_remade(void **state)
{
    struct kt_err err;
    store_close(T.s);
    T.s = NULL;
    char path[160], moved[170];
    kt_snprintf(path, sizeof(path), "%s.keys", T.path);
    kt_snprintf(moved, sizeof(moved), "%s.keys.away", T.path);
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(reopen(NULL, NULL, &err), KT_ESTORE);
    assert_string_equal(err.code, "key_store_mismatch");
    assert_int_not_equal(access(path, F_OK), 0); /* and made no new one */
    assert_int_equal(rename(moved, path), 0);
    assert_int_equal(reopen(NULL, NULL, &err), KT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(keys_are_made_ahead_and_found_again, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_wrong_master_key_or_secret_is_refused_at_open,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(a_missing_key_store_is_refused_never_remade, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
