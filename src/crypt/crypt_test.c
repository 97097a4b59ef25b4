/*
 * crypt_test.c - the keyring: key files, wrapped data keys, sealed values, blind indexes, the
 * cache.
 */
#include "crypt/crypt.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static const unsigned char M1[32] = {1, 2, 3}, M2[32] = {9, 9, 9}, S1[32] = {7}, S2[32] = {8};

static struct crypt *ring(const unsigned char *m, const unsigned char *s, size_t cache)
{
    struct crypt_opts o = {m, s, cache};
    return crypt_new(&o);
}

static void test_a_value_opens_only_for_its_customer_and_column(void **state)
{
    (void)state;
    unsigned char dk[32], other[32], out[128], sealed[128];
    crypt_dk_make(dk);
    crypt_dk_make(other);
    const char *v = "+79161234567";
    size_t n = strlen(v), got = 0;
    crypt_seal(dk, 42, "customers.phone", v, n, sealed);
    assert_true(crypt_open(dk, 42, "customers.phone", sealed, n + CRYPT_SEAL_OVERHEAD, out, &got));
    assert_int_equal(got, n);
    assert_memory_equal(out, v, n);
    /* the plain text is nowhere in the sealed bytes */
    assert_null(memmem(sealed, n + CRYPT_SEAL_OVERHEAD, "7916", 4));
    assert_false(crypt_open(dk, 43, "customers.phone", sealed, n + CRYPT_SEAL_OVERHEAD, out, &got));
    assert_false(crypt_open(dk, 42, "customers.email", sealed, n + CRYPT_SEAL_OVERHEAD, out, &got));
    assert_false(
        crypt_open(other, 42, "customers.phone", sealed, n + CRYPT_SEAL_OVERHEAD, out, &got));
    for (size_t i = 0; i < n + CRYPT_SEAL_OVERHEAD; i++) { /* every byte is covered */
        sealed[i] ^= 1;
        assert_false(
            crypt_open(dk, 42, "customers.phone", sealed, n + CRYPT_SEAL_OVERHEAD, out, &got));
        sealed[i] ^= 1;
    }
    assert_false(crypt_open(dk, 42, "customers.phone", sealed, 10, out, &got));
    /* the same value sealed twice differs (nonces never repeat), across many */
    unsigned char nonces[1000][12];
    for (int i = 0; i < 1000; i++) {
        crypt_seal(dk, 42, "c", "x", 1, sealed);
        memcpy(nonces[i], sealed + 1, 12);
        for (int j = 0; j < i; j++) {
            assert_memory_not_equal(nonces[i], nonces[j], 12);
        }
    }
    crypt_seal(dk, 42, "customers.phone", v, n, sealed);
    unsigned char again[128];
    crypt_seal(dk, 42, "customers.phone", v, n, again);
    assert_memory_not_equal(again, sealed, n + CRYPT_SEAL_OVERHEAD);
    /* an empty value seals and opens too */
    crypt_seal(dk, 1, "x", "", 0, sealed);
    assert_true(crypt_open(dk, 1, "x", sealed, CRYPT_SEAL_OVERHEAD, out, &got));
    assert_int_equal(got, 0);
}

static void test_a_data_key_unwraps_under_its_master_and_customer_only(void **state)
{
    (void)state;
    struct crypt *a = ring(M1, S1, 0), *b = ring(M2, S1, 0);
    unsigned char dk[32], back[32], w[CRYPT_WRAP_BYTES], id[CRYPT_ID_BYTES], ida[CRYPT_ID_BYTES];
    crypt_dk_make(dk);
    crypt_dk_wrap(a, false, 5, dk, w, id);
    crypt_master_id(a, ida);
    assert_memory_equal(id, ida, CRYPT_ID_BYTES);
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(crypt_dk_unwrap(a, 5, id, w, sizeof(w), back, &err), KT_OK);
    assert_memory_equal(back, dk, 32);
    kt_err_reset(&err);
    assert_int_equal(crypt_dk_unwrap(a, 6, id, w, sizeof(w), back, &err), KT_ESTORE);
    assert_string_equal(err.code, "data_key_corrupt");
    kt_err_reset(&err);
    assert_int_equal(crypt_dk_unwrap(b, 5, id, w, sizeof(w), back, &err), KT_ESTORE);
    assert_string_equal(err.code, "master_key_mismatch");
    /* a forged id naming b's key does not open a's wrapping either */
    unsigned char idb[CRYPT_ID_BYTES];
    crypt_master_id(b, idb);
    kt_err_reset(&err);
    assert_int_equal(crypt_dk_unwrap(b, 5, idb, w, sizeof(w), back, &err), KT_ESTORE);
    assert_string_equal(err.code, "data_key_corrupt");
    /* rotation: a with b's key as next rewraps; b alone opens the result */
    crypt_set_next(a, M2);
    unsigned char w2[CRYPT_WRAP_BYTES], id2[CRYPT_ID_BYTES];
    crypt_dk_wrap(a, true, 5, dk, w2, id2);
    assert_memory_equal(id2, idb, CRYPT_ID_BYTES);
    kt_err_reset(&err);
    assert_int_equal(crypt_dk_unwrap(b, 5, id2, w2, sizeof(w2), back, &err), KT_OK);
    assert_memory_equal(back, dk, 32);
    kt_err_reset(&err);
    assert_int_equal(crypt_dk_unwrap(a, 5, id, w, sizeof(w), back, &err), KT_OK);
    crypt_free(a);
    crypt_free(b);
}

static void test_blind_indexes_are_keyed_by_the_secret_and_the_domain(void **state)
{
    (void)state;
    struct crypt *a = ring(M1, S1, 0), *a2 = ring(M2, S1, 0), *b = ring(M1, S2, 0);
    unsigned char x[CRYPT_BIDX_BYTES], y[CRYPT_BIDX_BYTES];
    crypt_bidx(a, "phone", "+79161234567", 12, x);
    crypt_bidx(a2, "phone", "+79161234567", 12, y);
    assert_memory_equal(x, y,
                        sizeof(x)); /* the master key does not matter: rotation keeps indexes */
    crypt_bidx(b, "phone", "+79161234567", 12, y);
    assert_memory_not_equal(x, y, sizeof(x));
    crypt_bidx(a, "card", "+79161234567", 12, y);
    assert_memory_not_equal(x, y, sizeof(x));
    crypt_bidx(a, "phon", "e+79161234567", 13, y); /* the domain is delimited */
    assert_memory_not_equal(x, y, sizeof(x));
    char h1[65], h2[65];
    crypt_bidx_check(a, h1);
    crypt_bidx_check(b, h2);
    assert_string_not_equal(h1, h2);
    crypt_free(a);
    crypt_free(a2);
    crypt_free(b);
}

static void test_the_cache_is_bounded_and_forgets_on_drop(void **state)
{
    (void)state;
    struct crypt *c = ring(M1, S1, 64);
    unsigned char k[32], got[32];
    for (int64_t ck = 0; ck < 1000; ck++) {
        memset(k, (int)(ck & 0xff), sizeof(k));
        crypt_cache_put(c, ck, k);
    }
    int hits = 0;
    for (int64_t ck = 0; ck < 1000; ck++) {
        if (crypt_cache_get(c, ck, got)) {
            hits++;
            assert_int_equal(got[0], (int)(ck & 0xff));
        }
    }
    assert_true(hits > 0 && hits <= 64);
    memset(k, 0xab, sizeof(k));
    crypt_cache_put(c, 5000, k);
    assert_true(crypt_cache_get(c, 5000, got));
    assert_int_equal(got[31], 0xab);
    crypt_cache_drop(c, 5000);
    assert_false(crypt_cache_get(c, 5000, got));
    crypt_cache_put(c, 0, k); /* the installation's key, ck 0, is a key like any */
    assert_true(crypt_cache_get(c, 0, got));
    crypt_free(c);
}

static void test_key_files_are_made_private_and_read_back(void **state)
{
    (void)state;
    char dir[] = "/tmp/kt-crypt-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/k.db.master", dir);
    struct crypt_key_src src = {NULL,         "KARTOTEKA_MASTER_KEY", path, "master key file",
                                "master_key", "master_key",           false};
    unsigned char k1[32], k2[32];
    bool created = true;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(crypt_key_load(&src, k1, &created, &err), KT_EINTERNAL);
    assert_non_null(strstr(err.msg, "is missing"));
    src.create = true;
    kt_err_reset(&err);
    assert_int_equal(crypt_key_load(&src, k1, &created, &err), KT_OK);
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(crypt_key_load(&src, k2, &created, &err), KT_OK);
    assert_false(created);
    assert_memory_equal(k1, k2, 32);
    chmod(path, 0644);
    kt_err_reset(&err);
    assert_int_equal(crypt_key_load(&src, k2, &created, &err), KT_EINVAL);
    assert_non_null(strstr(err.msg, "readable by others"));
    src.env_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    assert_int_equal(crypt_key_load(&src, k2, &created, &err), KT_OK);
    assert_int_equal(k2[1], 0x11);
    src.env_hex = "0011";
    kt_err_reset(&err);
    assert_int_equal(crypt_key_load(&src, k2, &created, &err), KT_EINVAL);
    assert_string_equal(err.msg, "KARTOTEKA_MASTER_KEY must be 64 hexadecimal digits");
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_value_opens_only_for_its_customer_and_column),
        cmocka_unit_test(test_a_data_key_unwraps_under_its_master_and_customer_only),
        cmocka_unit_test(test_blind_indexes_are_keyed_by_the_secret_and_the_domain),
        cmocka_unit_test(test_the_cache_is_bounded_and_forgets_on_drop),
        cmocka_unit_test(test_key_files_are_made_private_and_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
