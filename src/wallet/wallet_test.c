/*
 * wallet_test.c - the wallet's configuration, pass and link against the test kit's keys (kit.c:
 * a CA standing in for Apple's WWDR, a pass certificate it signs, a service account's key), the
 * checks made with GnuTLS apart from the code under test: the kit loads; a configuration refused
 * with its field named; the .pkpass's files, its manifest's SHA-1s and a
 * detached signature that verifies against the CA and not against altered content; the Google
 * JWT's RS256 signature under the account's public key; the ApplePass token.
 */
#include "helpers.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <sys/stat.h>
#include <zip.h>

#include "wallet/wallet.h"

static char dir[96];
static gnutls_x509_crt_t ca_crt;
static gnutls_pubkey_t sa_pub;

static void put(const char *name, const void *data, size_t len)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static gnutls_datum_t slurp(const char *name)
{
    char p[128];
    gnutls_datum_t d = {NULL, 0};
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    assert_int_equal(gnutls_load_file(p, &d), 0);
    return d;
}

/* The test kit (kit.c) every test loads, and other.key: the service account's key, which is
 * not the pass certificate's. The CA and the account's public key are kept for the checks. */
static int kit_setup(void **state)
{
    (void)state;
    char parent[64];
    snprintf(parent, sizeof(parent), "/tmp/kt-wallet-test-XXXXXX");
    assert_non_null(mkdtemp(parent));
    snprintf(dir, sizeof(dir), "%s/kit", parent);
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(wallet_test_kit(dir, &err), KT_OK);
    assert_int_equal(wallet_test_kit(dir, &err), KT_EINVAL); /* never over a kit */
    gnutls_datum_t d = slurp("wwdr.pem");
    assert_int_equal(gnutls_x509_crt_init(&ca_crt), 0);
    assert_int_equal(gnutls_x509_crt_import(ca_crt, &d, GNUTLS_X509_FMT_PEM), 0);
    gnutls_free(d.data);
    char p[128];
    snprintf(p, sizeof(p), "%s/google-sa.json", dir);
    json_t *sa = json_load_file(p, 0, NULL);
    const char *pem = json_string_value(json_object_get(sa, "private_key"));
    assert_non_null(pem);
    put("other.key", pem, strlen(pem));
    gnutls_privkey_t priv;
    gnutls_privkey_init(&priv);
    assert_int_equal(gnutls_privkey_import_x509_raw(
                         priv, &(gnutls_datum_t){(unsigned char *)pem, (unsigned)strlen(pem)},
                         GNUTLS_X509_FMT_PEM, NULL, 0),
                     0);
    gnutls_pubkey_init(&sa_pub);
    assert_int_equal(gnutls_pubkey_import_privkey(sa_pub, priv, 0, 0), 0);
    gnutls_privkey_deinit(priv);
    json_decref(sa);
    return 0;
}

static int kit_teardown(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %.*s", (int)(strrchr(dir, '/') - dir), dir);
    assert_int_equal(system(cmd), 0);
    gnutls_x509_crt_deinit(ca_crt);
    gnutls_pubkey_deinit(sa_pub);
    return 0;
}

/* Writes the configuration `json` and loads it. */
static enum kt_rc load(const char *json, struct wallet **w, struct kt_err *err)
{
    put("test.json", json, strlen(json));
    char p[128];
    snprintf(p, sizeof(p), "%s/test.json", dir);
    kt_err_reset(err);
    return wallet_load(p, w, err);
}

#define APPLE(key, extra)                                                                          \
    "\"apple\": {\"pass_type_id\": \"pass.example.kartoteka.test\", \"team_id\": \"TEAM1\", "      \
    "\"certificate\": "                                                                            \
    "\"pass.pem\", \"key\": \"" key "\", \"wwdr\": \"wwdr.pem\"" extra "}"
#define GOOGLE(issuer)                                                                             \
    "\"google\": {\"issuer_id\": \"" issuer "\", \"class_id\": \"loyalty\", "                      \
    "\"service_account\": \"google-sa.json\"}"
#define NAMES "\"organization\": \"Shop\", \"description\": \"The card\", "

static void a_configuration_that_cannot_be_used_names_its_field(void **state)
{
    (void)state;
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"{" NAMES APPLE("other.key", "") "}", "wallet.apple.key"}, /* not the cert's */
        {"{" NAMES APPLE("nowhere.key", "") "}", "wallet.apple.key"},
        {"{" NAMES APPLE("pass.key", ", \"images\": \".\"") "}", "wallet.apple.images"},
        {"{" NAMES GOOGLE("12ab") "}", "wallet.google.issuer_id"},
        {"{" NAMES "\"apple\": 1}", "wallet.apple"},
        {"{" NAMES "\"nothing\": {}}", "wallet"},
        {"{\"description\": \"x\", " GOOGLE("1") "}", "wallet.organization"},
        {"[]", "wallet"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wallet *w = NULL;
        struct kt_err err;
        assert_int_equal(load(cases[i].json, &w, &err), KT_EINVAL);
        assert_null(w);
        assert_string_equal(err.code, "wallet_config");
        assert_string_equal(err.field, cases[i].field);
    }
}

static void the_test_kit_is_a_configuration_that_loads(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof(p), "%s/wallet.json", dir);
    struct wallet *w = NULL;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(wallet_load(p, &w, &err), KT_OK);
    assert_true(wallet_has_apple(w) && wallet_has_google(w));
    assert_string_equal(wallet_pass_type(w), "pass.example.kartoteka.test");
    wallet_free(w);
}

static void the_token_is_the_serials_own(void **state)
{
    (void)state;
    struct key_secret k;
    memset(k.k, 7, sizeof(k.k));
    const char *t = wallet_token(&k, "wp_one", &A);
    assert_int_equal(strlen(t), WALLET_TOKEN_HEX);
    assert_true(wallet_token_ok(&k, "wp_one", arena_printf(&A, "ApplePass %s", t)));
    assert_false(wallet_token_ok(&k, "wp_two", arena_printf(&A, "ApplePass %s", t)));
    assert_false(wallet_token_ok(&k, "wp_one", arena_printf(&A, "Bearer %s", t)));
    assert_false(wallet_token_ok(&k, "wp_one", arena_printf(&A, "ApplePass %.*s", 63, t)));
    assert_false(wallet_token_ok(&k, "wp_one", NULL));
}

static struct wallet_view view(void)
{
    struct wallet_view v;
    memset(&v, 0, sizeof(v));
    v.pass.serial = "wp_06abc";
    v.card = "2000000000015";
    v.available = 120;
    v.pending = 30;
    v.token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    return v;
}

/* A file of the zip `z`, in the arena. */
static const char *member(zip_t *z, const char *name, size_t *len)
{
    zip_stat_t st;
    assert_int_equal(zip_stat(z, name, 0, &st), 0);
    char *p = arena_alloc(&A, st.size + 1);
    zip_file_t *f = zip_fopen(z, name, 0);
    assert_non_null(f);
    assert_int_equal(zip_fread(f, p, st.size), (zip_int64_t)st.size);
    zip_fclose(f);
    p[st.size] = '\0';
    *len = st.size;
    return p;
}

static void the_pass_holds_a_signed_manifest_of_its_files(void **state)
{
    (void)state;
    struct wallet *w = NULL;
    struct kt_err err;
    assert_int_equal(load("{" NAMES APPLE("pass.key", "") "}", &w, &err), KT_OK);
    assert_true(wallet_has_apple(w));
    assert_false(wallet_has_google(w));
    struct wallet_view v = view();
    const void *data;
    size_t len;
    assert_int_equal(wallet_pkpass(w, &v, "https://shop.example/wallet", &A, &data, &len, &err),
                     KT_OK);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    zip_t *z = zip_open_from_source(src, ZIP_RDONLY, &ze);
    assert_non_null(z);
    assert_int_equal(zip_get_num_entries(z, 0), 5); /* pass, the two drawn icons, manifest, sig */
    size_t n_pass, n_manifest, n_sig, n_icon;
    const char *pass = member(z, "pass.json", &n_pass);
    const char *manifest = member(z, "manifest.json", &n_manifest);
    const char *sig = member(z, "signature", &n_sig);
    const char *icon = member(z, "icon.png", &n_icon);
    assert_memory_equal(icon, "\x89PNG", 4);
    json_t *m = json_loads(manifest, 0, NULL), *pj = json_loads(pass, 0, NULL);
    unsigned char d[20];
    char hex[41];
    gnutls_hash_fast(GNUTLS_DIG_SHA1, pass, n_pass, d);
    sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
    assert_string_equal(json_string_value(json_object_get(m, "pass.json")), hex);
    gnutls_hash_fast(GNUTLS_DIG_SHA1, icon, n_icon, d);
    sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
    assert_string_equal(json_string_value(json_object_get(m, "icon.png")), hex);
    assert_int_equal(json_object_size(m), 3);
    assert_string_equal(json_string_value(json_object_get(pj, "serialNumber")), "wp_06abc");
    assert_string_equal(json_string_value(json_object_get(pj, "webServiceURL")),
                        "https://shop.example/wallet");
    json_t *primary =
        json_array_get(json_object_get(json_object_get(pj, "storeCard"), "primaryFields"), 0);
    assert_int_equal(json_integer_value(json_object_get(primary, "value")), 120);
    json_decref(m);
    json_decref(pj);
    /* the signature: the manifest's, by the pass certificate, chained to the CA */
    gnutls_pkcs7_t p7;
    gnutls_x509_trust_list_t tl;
    gnutls_pkcs7_init(&p7);
    assert_int_equal(gnutls_pkcs7_import(p7, &(gnutls_datum_t){(unsigned char *)sig, n_sig},
                                         GNUTLS_X509_FMT_DER),
                     0);
    assert_int_equal(gnutls_pkcs7_get_crt_count(p7), 2); /* the pass certificate and WWDR */
    gnutls_x509_trust_list_init(&tl, 0);
    gnutls_x509_crt_t ca;
    gnutls_x509_crt_init(&ca);
    gnutls_datum_t der;
    gnutls_x509_crt_export2(ca_crt, GNUTLS_X509_FMT_DER, &der);
    gnutls_x509_crt_import(ca, &der, GNUTLS_X509_FMT_DER);
    gnutls_free(der.data);
    gnutls_x509_trust_list_add_cas(tl, &ca, 1, 0); /* the list owns `ca` now */
    gnutls_datum_t content = {(unsigned char *)manifest, (unsigned)n_manifest};
    assert_int_equal(gnutls_pkcs7_verify(p7, tl, NULL, 0, 0, &content, 0), 0);
    char *altered = arena_strdup(&A, manifest);
    altered[n_manifest / 2] ^= 1;
    gnutls_datum_t bad = {(unsigned char *)altered, (unsigned)n_manifest};
    assert_true(gnutls_pkcs7_verify(p7, tl, NULL, 0, 0, &bad, 0) < 0);
    gnutls_x509_trust_list_deinit(tl, 1);
    gnutls_pkcs7_deinit(p7);
    zip_close(z);
    zip_error_fini(&ze);
    /* without the Google part, its link is off */
    const char *url;
    kt_err_reset(&err);
    assert_int_equal(wallet_google_link(w, &v, NULL, 0, &A, &url, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "wallet_off");
    wallet_free(w);
}

static void the_google_link_is_a_jwt_signed_by_the_service_account(void **state)
{
    (void)state;
    struct wallet *w = NULL;
    struct kt_err err;
    assert_int_equal(load("{" NAMES GOOGLE("3388000000012345678") "}", &w, &err), KT_OK);
    struct wallet_view v = view();
    const char *url;
    assert_int_equal(
        wallet_google_link(w, &v, "https://shop.example", 1764842400000LL, &A, &url, &err), KT_OK);
    const char *prefix = "https://pay.google.com/gp/v/save/";
    assert_int_equal(strncmp(url, prefix, strlen(prefix)), 0);
    const char *jwt = url + strlen(prefix), *dot2 = strrchr(jwt, '.');
    const char *dot1 = strchr(jwt, '.');
    assert_true(dot1 != NULL && dot2 > dot1);
    unsigned char body[4096], sig[512];
    size_t n_body, n_sig;
    assert_int_equal(sodium_base642bin(body, sizeof(body), dot1 + 1, (size_t)(dot2 - dot1 - 1),
                                       NULL, &n_body, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_int_equal(sodium_base642bin(sig, sizeof(sig), dot2 + 1, strlen(dot2 + 1), NULL, &n_sig,
                                       NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    json_t *claims = json_loadb((const char *)body, n_body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(claims, "typ")), "savetowallet");
    assert_int_equal(json_integer_value(json_object_get(claims, "iat")), 1764842400);
    json_t *obj =
        json_array_get(json_object_get(json_object_get(claims, "payload"), "loyaltyObjects"), 0);
    assert_string_equal(json_string_value(json_object_get(obj, "id")),
                        "3388000000012345678.wp_06abc");
    json_decref(claims);
    gnutls_datum_t signed_part = {(unsigned char *)jwt, (unsigned)(dot2 - jwt)};
    gnutls_datum_t s = {sig, (unsigned)n_sig};
    assert_int_equal(
        gnutls_pubkey_verify_data2(sa_pub, GNUTLS_SIGN_RSA_SHA256, 0, &signed_part, &s), 0);
    signed_part.size--; /* one byte less: no longer what was signed */
    assert_true(gnutls_pubkey_verify_data2(sa_pub, GNUTLS_SIGN_RSA_SHA256, 0, &signed_part, &s) <
                0);
    /* without the Apple part, the pass is off */
    const void *data;
    size_t len;
    kt_err_reset(&err);
    assert_int_equal(wallet_pkpass(w, &v, NULL, &A, &data, &len, &err), KT_ENOTFOUND);
    wallet_free(w);
}

static int arena_up(void **state)
{
    (void)state;
    arena_init(&A, 0);
    return 0;
}

static int arena_down(void **state)
{
    (void)state;
    arena_release(&A);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_configuration_that_cannot_be_used_names_its_field,
                                        arena_up, arena_down),
        cmocka_unit_test_setup_teardown(the_test_kit_is_a_configuration_that_loads, arena_up,
                                        arena_down),
        cmocka_unit_test_setup_teardown(the_token_is_the_serials_own, arena_up, arena_down),
        cmocka_unit_test_setup_teardown(the_pass_holds_a_signed_manifest_of_its_files, arena_up,
                                        arena_down),
        cmocka_unit_test_setup_teardown(the_google_link_is_a_jwt_signed_by_the_service_account,
                                        arena_up, arena_down),
    };
    return cmocka_run_group_tests(tests, kit_setup, kit_teardown);
}
