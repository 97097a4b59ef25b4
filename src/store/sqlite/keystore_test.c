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
    struct store_opts o = {T.path, 200, 8, STORE_MIGRATE, 0, crypt_new(&co), -1, false, NULL};
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
    assert_int_equal(sq_dk((struct sql_conn *)w, 7, false, k1, &err), KT_ESTORE);
    assert_string_equal(err.code, "data_key_missing");
    assert_int_equal(sq_dk((struct sql_conn *)w, 7, true, k1, NULL), KT_OK);
    assert_int_equal(sq_dk((struct sql_conn *)w, 8, false, k2, NULL), KT_OK); /* made ahead */
    assert_memory_not_equal(k1, k2, 32);
    store_write_end(w, KT_OK, NULL);
    /* another process (no cache) unwraps the same key */
    assert_int_equal(reopen(NULL, NULL, &err), KT_OK);
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(sq_dk((struct sql_conn *)r, 7, false, k3, NULL), KT_OK);
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
    assert_int_equal(sqlite3_column_int(st, 0), 4096); /* KEYS_AHEAD */
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

/* A rotation in batches: interrupted, the key store refuses the old key alone; resumed, every key
 * is under the new one and unwraps to the same data key. */
static void a_rotation_goes_in_batches_and_resumes(void **state)
{
    struct store_conn *w;
    unsigned char before[32], after[32];
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(sq_dk((struct sql_conn *)w, 1, true, before, NULL), KT_OK); /* 4096 keys */
    store_write_end(w, KT_OK, NULL);
    static const unsigned char dm[32] = {'t', 'e', 's', 't', 'm'},
                               ds[32] = {'t', 'e', 's', 't', 's'};
    static const unsigned char next[32] = {42};
    struct crypt_opts co = {dm, ds, 0};
    struct crypt *c = crypt_new(&co);
    crypt_set_next(c, next);
    store_close(T.s);
    struct store_opts o = {T.path, 200, 8, STORE_MIGRATE, 0, c, -1, false, NULL};
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_open(&o, &T.s, &err), KT_OK);
    int64_t did = 0, left = 0;
    assert_int_equal(store_keys_rotate(T.s, 1000, &did, &left, NULL), KT_OK);
    assert_int_equal(did, 1000);
    assert_int_equal(left, 3096);
    assert_int_equal(reopen(NULL, NULL, &err), KT_ESTORE); /* the old key alone, half way */
    assert_string_equal(err.code, "rotation_unfinished");
    c = crypt_new(&co);
    crypt_set_next(c, next);
    o.crypt = c;
    assert_int_equal(store_open(&o, &T.s, &err), KT_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(store_keys_rotate(T.s, 1000, &did, &left, NULL), KT_OK);
    }
    assert_int_equal(left, 0);
    assert_int_equal(reopen(next, NULL, &err), KT_OK); /* the new key is the master now */
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(sq_dk((struct sql_conn *)r, 1, false, after, NULL), KT_OK);
    assert_memory_equal(before, after, 32);
    store_read_end(r);
    assert_int_equal(reopen(NULL, NULL, &err), KT_ESTORE);
    assert_string_equal(err.code, "master_key_mismatch");
}

/* A shred leaves a tombstone: the key reads as destroyed, and its wrapped bytes are in neither
 * file of the key store. */
static void a_destroyed_key_reads_as_destroyed_and_its_bytes_are_gone(void **state)
{
    struct store_conn *w;
    unsigned char dk[32];
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(sq_dk((struct sql_conn *)w, 3, true, dk, NULL), KT_OK);
    store_write_end(w, KT_OK, NULL);
    char path[160];
    kt_snprintf(path, sizeof(path), "%s.keys", T.path);
    sqlite3 *db;
    sqlite3_stmt *st;
    unsigned char wrapped[CRYPT_WRAP_BYTES];
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT wrapped FROM data_keys WHERE ck = 3", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    memcpy(wrapped, sqlite3_column_blob(st, 0), sizeof(wrapped));
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(sqlite3_exec(((struct sq_conn *)w)->db,
                                  "INSERT INTO key_shreds (ck, at) VALUES (3, 1)", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    store_write_end(w, KT_OK, NULL);
    int64_t n = 0;
    assert_int_equal(store_keys_shred(T.s, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    struct store_conn *r;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(sq_dk((struct sql_conn *)r, 3, false, dk, &err), KT_EGONE);
    assert_string_equal(err.code, "customer_key_destroyed");
    store_read_end(r);
    store_close(T.s); /* every file as it is on disk */
    T.s = NULL;
    for (int i = 0; i < 2; i++) {
        char f[170];
        kt_snprintf(f, sizeof(f), "%s%s", path, i ? "-wal" : "");
        FILE *fp = fopen(f, "rb");
        if (fp == NULL) {
            continue;
        }
        static unsigned char buf[1 << 20];
        size_t got = fread(buf, 1, sizeof(buf), fp);
        fclose(fp);
        assert_null(memmem(buf, got, wrapped, sizeof(wrapped)));
    }
    assert_int_equal(reopen(NULL, NULL, &err), KT_OK);
}

int main(void)
{
    if (test_pg() != NULL) { /* SQLite's own files; docs/scale.md lists the twins owed */
        printf("SQLite's own test: skipped on PostgreSQL\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(keys_are_made_ahead_and_found_again, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_wrong_master_key_or_secret_is_refused_at_open,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(a_missing_key_store_is_refused_never_remade, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_rotation_goes_in_batches_and_resumes, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_destroyed_key_reads_as_destroyed_and_its_bytes_are_gone,
                                        store_setup, store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
