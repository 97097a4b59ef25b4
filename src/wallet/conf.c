/*
 * conf.c - the wallet's configuration file (docs/wallet.md): read once at start, every key and
 * certificate imported and checked then, so a bad file stops the server with the field named.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "wallet/wallet_int.h"

#define IMAGE_MAX (1024 * 1024) /* one image of a pass */

static enum kt_rc bad(struct kt_err *err, const char *field, const char *msg)
{
    return kt_err_set(err, KT_EINVAL, "wallet_config", field, "%s: %s", field, msg);
}

/* `name` of the file's folder `dir` ("" for the working one), or `name` when absolute. */
static char *path_in(const char *dir, const char *name)
{
    if (name[0] == '/' || dir[0] == '\0') {
        return kt_strdup(name);
    }
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = kt_malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* A string member of 1-`max` bytes into *out (a copy), required or not. */
static enum kt_rc text(const json_t *o, const char *name, const char *field, size_t max,
                       bool required, char **out, struct kt_err *err)
{
    const json_t *v = json_object_get(o, name);
    *out = NULL;
    if (v == NULL && !required) {
        return KT_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max) {
        return bad(err, field, "a string is expected here");
    }
    *out = kt_strdup(json_string_value(v));
    return KT_OK;
}

static enum kt_rc crt_load(const char *dir, const json_t *o, const char *name, const char *field,
                           gnutls_x509_crt_t *out, char **path, struct kt_err *err)
{
    char *rel = NULL;
    if (text(o, name, field, 4096, true, &rel, err) != KT_OK) {
        return err->rc;
    }
    char *p = path_in(dir, rel);
    free(rel);
    gnutls_datum_t d = {NULL, 0};
    int rc = gnutls_load_file(p, &d);
    if (rc >= 0) {
        gnutls_x509_crt_init(out);
        rc = gnutls_x509_crt_import(*out, &d, GNUTLS_X509_FMT_PEM);
        gnutls_free(d.data);
    }
    if (path != NULL && rc >= 0) {
        *path = p;
    } else {
        free(p);
    }
    return rc < 0 ? bad(err, field, "not a readable PEM certificate") : KT_OK;
}

static enum kt_rc key_import(const gnutls_datum_t *d, const char *field, gnutls_privkey_t *out,
                             struct kt_err *err)
{
    gnutls_privkey_init(out);
    if (gnutls_privkey_import_x509_raw(*out, d, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
        return bad(err, field, "not a readable unencrypted PEM private key");
    }
    if (gnutls_privkey_get_pk_algorithm(*out, NULL) != GNUTLS_PK_RSA) {
        return bad(err, field, "an RSA key is expected");
    }
    return KT_OK;
}

/* Every PNG of the images folder (icon.png required). */
static enum kt_rc images_load(struct wallet *w, const char *dir, struct kt_err *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return bad(err, "wallet.apple.images", "the images folder cannot be read");
    }
    bool icon = false;
    struct dirent *e;
    enum kt_rc rc = KT_OK;
    while (rc == KT_OK && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".png") != 0 ||
            strspn(e->d_name,
                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._-") != n) {
            continue;
        }
        if (w->n_images == WALLET_IMAGES_MAX) {
            rc = bad(err, "wallet.apple.images", "more than 16 images");
            break;
        }
        char *p = path_in(dir, e->d_name);
        gnutls_datum_t data = {NULL, 0};
        int lr = gnutls_load_file(p, &data);
        free(p);
        if (lr < 0 || data.size == 0 || data.size > IMAGE_MAX) {
            gnutls_free(data.data);
            rc = bad(err, "wallet.apple.images", "an image is unreadable, empty or over 1 MB");
            break;
        }
        struct wallet_image *im = &w->images[w->n_images++];
        im->name = kt_strdup(e->d_name);
        im->data = kt_malloc(data.size);
        memcpy(im->data, data.data, data.size);
        im->len = data.size;
        gnutls_free(data.data);
        icon = icon || strcmp(e->d_name, "icon.png") == 0;
    }
    closedir(d);
    if (rc == KT_OK && !icon) {
        rc = bad(err, "wallet.apple.images", "icon.png is missing (Wallet refuses a pass without)");
    }
    return rc;
}

/* The two icons Kartoteka draws when the retailer gives none. */
static void images_default(struct wallet *w)
{
    static const struct {
        const char *name;
        unsigned side;
    } icons[] = {{"icon.png", 29}, {"icon@2x.png", 58}};
    for (size_t i = 0; i < sizeof(icons) / sizeof(icons[0]); i++) {
        struct wallet_image *im = &w->images[w->n_images];
        if (wallet_icon_png(icons[i].side, &im->data, &im->len)) {
            im->name = kt_strdup(icons[i].name);
            w->n_images++;
        }
    }
}

static enum kt_rc apple_load(struct wallet *w, const char *dir, const json_t *o, struct kt_err *err)
{
    char *rel = NULL;
    if (!json_is_object(o)) {
        return bad(err, "wallet.apple", "an object is expected here");
    }
    if (text(o, "pass_type_id", "wallet.apple.pass_type_id", 200, true, &w->pass_type, err) ||
        text(o, "team_id", "wallet.apple.team_id", 20, true, &w->team_id, err) ||
        text(o, "apns_url", "wallet.apple.apns_url", 500, false, &w->apns_url, err) ||
        crt_load(dir, o, "certificate", "wallet.apple.certificate", &w->cert, &w->cert_path, err) ||
        crt_load(dir, o, "wwdr", "wallet.apple.wwdr", &w->wwdr, NULL, err) ||
        text(o, "key", "wallet.apple.key", 4096, true, &rel, err)) {
        return err->rc;
    }
    if (w->apns_url == NULL) {
        w->apns_url = kt_strdup("https://api.push.apple.com");
    }
    w->key_path = path_in(dir, rel);
    free(rel);
    gnutls_datum_t d = {NULL, 0};
    if (gnutls_load_file(w->key_path, &d) < 0) {
        return bad(err, "wallet.apple.key", "the key file cannot be read");
    }
    enum kt_rc rc = key_import(&d, "wallet.apple.key", &w->key, err);
    gnutls_free(d.data);
    if (rc != KT_OK) {
        return rc;
    }
    /* the key must be the certificate's: a pass signed otherwise is refused by every phone */
    gnutls_pubkey_t pub;
    gnutls_pubkey_init(&pub);
    unsigned char a[64], b[64];
    size_t na = sizeof(a), nb = sizeof(b);
    bool same = gnutls_pubkey_import_privkey(pub, w->key, 0, 0) >= 0 &&
                gnutls_pubkey_get_key_id(pub, 0, a, &na) >= 0 &&
                gnutls_x509_crt_get_key_id(w->cert, 0, b, &nb) >= 0 && na == nb &&
                memcmp(a, b, na) == 0;
    gnutls_pubkey_deinit(pub);
    if (!same) {
        return bad(err, "wallet.apple.key", "the key is not the certificate's");
    }
    /* a pass signed by a certificate of another pass type, or one expired, no phone takes */
    char uid[256];
    size_t n = sizeof(uid);
    if (gnutls_x509_crt_get_dn_by_oid(w->cert, GNUTLS_OID_LDAP_UID, 0, 0, uid, &n) < 0 ||
        strcmp(uid, w->pass_type) != 0) {
        return bad(err, "wallet.apple.certificate",
                   "the certificate is not of this pass_type_id (its subject's UID)");
    }
    if (gnutls_x509_crt_get_expiration_time(w->cert) < time(NULL)) {
        return bad(err, "wallet.apple.certificate", "the certificate has expired");
    }
    const json_t *images = json_object_get(o, "images");
    if (images == NULL) {
        images_default(w);
        return KT_OK;
    }
    if (text(o, "images", "wallet.apple.images", 4096, true, &rel, err) != KT_OK) {
        return err->rc;
    }
    char *p = path_in(dir, rel);
    free(rel);
    rc = images_load(w, p, err);
    free(p);
    return rc;
}

static enum kt_rc google_load(struct wallet *w, const char *dir, const json_t *o,
                              struct kt_err *err)
{
    char *rel = NULL;
    if (!json_is_object(o)) {
        return bad(err, "wallet.google", "an object is expected here");
    }
    if (text(o, "issuer_id", "wallet.google.issuer_id", 40, true, &w->issuer, err) ||
        text(o, "class_id", "wallet.google.class_id", 200, true, &w->class_id, err) ||
        text(o, "service_account", "wallet.google.service_account", 4096, true, &rel, err)) {
        return err->rc;
    }
    if (strspn(w->issuer, "0123456789") != strlen(w->issuer)) {
        free(rel);
        return bad(err, "wallet.google.issuer_id", "the issuer id is digits");
    }
    char *p = path_in(dir, rel);
    free(rel);
    json_t *sa = json_load_file(p, 0, NULL);
    free(p);
    if (!json_is_object(sa)) {
        json_decref(sa);
        return bad(err, "wallet.google.service_account", "not a readable JSON key file");
    }
    const char *pem = json_string_value(json_object_get(sa, "private_key"));
    enum kt_rc rc = text(sa, "client_email", "wallet.google.service_account.client_email", 320,
                         true, &w->client_email, err);
    if (rc == KT_OK && pem == NULL) {
        rc = bad(err, "wallet.google.service_account.private_key", "the key is missing");
    }
    if (rc == KT_OK) {
        gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
        rc = key_import(&d, "wallet.google.service_account.private_key", &w->google_key, err);
    }
    json_decref(sa);
    return rc;
}

enum kt_rc wallet_load(const char *path, struct wallet **out, struct kt_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return bad(err, "wallet", "the file is not a readable JSON object");
    }
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? kt_strdup("") : kt_strndup(path, (size_t)(slash - path));
    struct wallet *w = kt_calloc(1, sizeof(*w));
    const json_t *apple = json_object_get(doc, "apple"), *google = json_object_get(doc, "google");
    enum kt_rc rc = KT_OK;
    if (text(doc, "organization", "wallet.organization", 200, true, &w->organization, err) ||
        text(doc, "description", "wallet.description", 200, true, &w->description, err)) {
        rc = err->rc;
    } else if (apple == NULL && google == NULL) {
        rc = bad(err, "wallet", "neither apple nor google is configured");
    } else if (apple != NULL && apple_load(w, dir, apple, err) != KT_OK) {
        rc = err->rc;
    } else if (google != NULL && google_load(w, dir, google, err) != KT_OK) {
        rc = err->rc;
    }
    free(dir);
    json_decref(doc);
    if (rc != KT_OK) {
        wallet_free(w);
        return rc;
    }
    *out = w;
    return KT_OK;
}

void wallet_free(struct wallet *w)
{
    if (w == NULL) {
        return;
    }
    char *strs[] = {w->organization, w->description, w->pass_type, w->team_id,  w->apns_url,
                    w->cert_path,    w->key_path,    w->issuer,    w->class_id, w->client_email};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        free(strs[i]);
    }
    for (size_t i = 0; i < w->n_images; i++) {
        free(w->images[i].name);
        free(w->images[i].data);
    }
    if (w->cert != NULL) {
        gnutls_x509_crt_deinit(w->cert);
    }
    if (w->wwdr != NULL) {
        gnutls_x509_crt_deinit(w->wwdr);
    }
    if (w->key != NULL) {
        gnutls_privkey_deinit(w->key);
    }
    if (w->google_key != NULL) {
        gnutls_privkey_deinit(w->google_key);
    }
    free(w);
}

bool wallet_has_apple(const struct wallet *w)
{
    return w != NULL && w->pass_type != NULL && w->key != NULL;
}

bool wallet_has_google(const struct wallet *w)
{
    return w != NULL && w->issuer != NULL && w->google_key != NULL;
}

const char *wallet_pass_type(const struct wallet *w)
{
    return wallet_has_apple(w) ? w->pass_type : NULL;
}
