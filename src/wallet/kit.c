/*
 * kit.c - a wallet configuration for trying Kartoteka out (`kartoteka wallet test-kit DIR`,
 * docs/wallet.md): a CA standing in for Apple's WWDR, a pass certificate it signs, a Google
 * service account's key, and the wallet.json naming them. Phones refuse passes signed so, and
 * Google refuses the links: it lets a developer see every part work before Apple's certificate
 * and Google's account arrive. The keys are RSA 2048, made by GnuTLS, files 0600.
 */
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wallet/wallet_int.h"

#define KIT_DAYS 365

static enum kt_rc failed(struct kt_err *err, const char *what)
{
    return kt_err_set(err, KT_EINTERNAL, "wallet_failed", NULL, "the test kit: %s", what);
}

/* Writes `len` bytes as `dir`/`name`, mode 0600, refusing to replace a file. */
static bool put(const char *dir, const char *name, const void *data, size_t len)
{
    char p[4200];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return false;
    }
    bool ok = write(fd, data, len) == (ssize_t)len;
    return close(fd) == 0 && ok;
}

static bool key_new(gnutls_x509_privkey_t *k)
{
    return gnutls_x509_privkey_init(k) >= 0 &&
           gnutls_x509_privkey_generate(*k, GNUTLS_PK_RSA, 2048, 0) >= 0;
}

/* A certificate of `key` named `dn`, a CA signing itself when `issuer` is NULL. */
static bool crt_new(gnutls_x509_crt_t *c, gnutls_x509_privkey_t key, const char *dn,
                    gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key)
{
    unsigned char serial[12];
    randombytes_buf(serial, sizeof(serial));
    serial[0] &= 0x7f; /* a positive serial */
    time_t now = time(NULL);
    bool ca = issuer == NULL;
    return gnutls_x509_crt_init(c) >= 0 && gnutls_x509_crt_set_version(*c, 3) >= 0 &&
           gnutls_x509_crt_set_serial(*c, serial, sizeof(serial)) >= 0 &&
           gnutls_x509_crt_set_activation_time(*c, now - 3600) >= 0 &&
           gnutls_x509_crt_set_expiration_time(*c, now + KIT_DAYS * 86400L) >= 0 &&
           gnutls_x509_crt_set_dn(*c, dn, NULL) >= 0 && gnutls_x509_crt_set_key(*c, key) >= 0 &&
           gnutls_x509_crt_set_basic_constraints(*c, ca, -1) >= 0 &&
           gnutls_x509_crt_set_key_usage(*c, ca ? GNUTLS_KEY_KEY_CERT_SIGN
                                                : GNUTLS_KEY_DIGITAL_SIGNATURE) >= 0 &&
           gnutls_x509_crt_sign2(*c, ca ? *c : issuer, ca ? key : issuer_key, GNUTLS_DIG_SHA256,
                                 0) >= 0;
}

static bool crt_put(const char *dir, const char *name, gnutls_x509_crt_t c)
{
    gnutls_datum_t d = {NULL, 0};
    bool ok =
        gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &d) >= 0 && put(dir, name, d.data, d.size);
    gnutls_free(d.data);
    return ok;
}

static bool key_pem(gnutls_x509_privkey_t k, gnutls_datum_t *d)
{
    return gnutls_x509_privkey_export2_pkcs8(k, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, d) >=
           0;
}

static bool json_put(const char *dir, const char *name, json_t *o)
{
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    json_decref(o);
    bool ok = text != NULL && put(dir, name, text, strlen(text));
    free(text);
    return ok;
}

/* The Google service account's key file, as the Cloud console gives it (the fields read). */
static bool service_account(const char *dir, gnutls_x509_privkey_t k)
{
    gnutls_datum_t pem = {NULL, 0};
    bool ok = key_pem(k, &pem) &&
              json_put(dir, "google-sa.json",
                       json_pack("{s:s, s:s, s:s#}", "type", "service_account", "client_email",
                                 "kartoteka-test-kit@example.iam.gserviceaccount.com",
                                 "private_key", (const char *)pem.data, (int)pem.size));
    gnutls_free(pem.data);
    return ok;
}

static bool config(const char *dir)
{
    return json_put(dir, "wallet.json",
                    json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}}",
                              "organization", "Kartoteka test kit", "description",
                              "A loyalty card for trying Kartoteka out", "apple", "pass_type_id",
                              "pass.example.kartoteka.test", "team_id", "TESTKIT000", "certificate",
                              "pass.pem", "key", "pass.key", "wwdr", "wwdr.pem", "apns_url",
                              "http://127.0.0.1:9", "google", "issuer_id", "3388000000000000000",
                              "class_id", "test_kit", "service_account", "google-sa.json"));
}

enum kt_rc wallet_test_kit(const char *dir, struct kt_err *err)
{
    if (mkdir(dir, 0700) != 0) {
        return kt_err_set(err, KT_EINVAL, "wallet_config", "dir",
                          "the kit's folder must not exist yet: it is made with its files");
    }
    gnutls_x509_privkey_t ca_key = NULL, pass_key = NULL, sa_key = NULL;
    gnutls_x509_crt_t ca = NULL, pass = NULL;
    gnutls_datum_t pem = {NULL, 0};
    const char *what = "the keys could not be made";
    bool ok = key_new(&ca_key) && key_new(&pass_key) && key_new(&sa_key);
    if (ok) {
        what = "the certificates could not be made";
        ok = crt_new(&ca, ca_key, "CN=Kartoteka test kit WWDR stand-in,O=Kartoteka test kit", NULL,
                     NULL) &&
             crt_new(&pass, pass_key,
                     "UID=pass.example.kartoteka.test,CN=Pass Type ID: "
                     "pass.example.kartoteka.test,OU=TESTKIT000,O=Kartoteka test kit",
                     ca, ca_key);
    }
    if (ok) {
        what = "the files could not be written";
        ok = crt_put(dir, "wwdr.pem", ca) && crt_put(dir, "pass.pem", pass) &&
             key_pem(pass_key, &pem) && put(dir, "pass.key", pem.data, pem.size) &&
             service_account(dir, sa_key) && config(dir);
    }
    gnutls_free(pem.data);
    gnutls_x509_crt_deinit(ca);
    gnutls_x509_crt_deinit(pass);
    gnutls_x509_privkey_deinit(ca_key);
    gnutls_x509_privkey_deinit(pass_key);
    gnutls_x509_privkey_deinit(sa_key);
    return ok ? KT_OK : failed(err, what);
}
