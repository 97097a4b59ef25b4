/*
 * pkpass.c - the Apple Wallet pass (docs/wallet.md, "The .pkpass"): pass.json, the images,
 * manifest.json with each file's SHA-1, and `signature`, a detached PKCS#7 of the manifest with
 * the pass certificate, the WWDR intermediate and the signing time; zipped with libzip.
 */
#include <gnutls/crypto.h>
#include <gnutls/pkcs7.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "wallet/wallet_int.h"

#define PKPASS_FILES (WALLET_IMAGES_MAX + 3)

struct file {
    const char *name;
    const void *data;
    size_t len;
};

static json_t *field(const char *key, const char *label, json_t *value)
{
    return json_pack("{s:s, s:s, s:o}", "key", key, "label", label, "value", value);
}

static char *pass_json(const struct wallet *w, const struct wallet_view *v, const char *web_service)
{
    json_t *points = field("points", "Баллы", json_integer(v->available));
    json_object_set_new(points, "changeMessage", json_string("Баллов теперь: %@"));
    json_t *card = json_pack("{s:[o], s:[o], s:[o]}", "primaryFields", points, "secondaryFields",
                             field("pending", "Ожидают начисления", json_integer(v->pending)),
                             "auxiliaryFields", field("card", "Карта", json_string(v->card)));
    json_t *barcode =
        json_pack("{s:s, s:s, s:s, s:s}", "format", "PKBarcodeFormatCode128", "message", v->card,
                  "messageEncoding", "iso-8859-1", "altText", v->card);
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:[o], s:o}", "formatVersion", 1,
                          "passTypeIdentifier", w->pass_type, "teamIdentifier", w->team_id,
                          "serialNumber", v->pass.serial, "organizationName", w->organization,
                          "description", w->description, "logoText", w->organization, "barcodes",
                          barcode, "storeCard", card);
    if (web_service != NULL) {
        json_object_set_new(o, "webServiceURL", json_string(web_service));
        json_object_set_new(o, "authenticationToken", json_string(v->token));
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    return s;
}

/* manifest.json: {"name": "<sha-1 hex>"} of every file but itself and the signature. */
static char *manifest_json(const struct file *f, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        unsigned char d[20];
        char h[41];
        gnutls_hash_fast(GNUTLS_DIG_SHA1, f[i].data, f[i].len, d);
        for (size_t j = 0; j < sizeof(d); j++) {
            snprintf(h + 2 * j, 3, "%02x", d[j]);
        }
        json_object_set_new(o, f[i].name, json_string(h));
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* The detached signature of the manifest, DER (gnutls_free it). */
static bool sign(const struct wallet *w, const char *manifest, gnutls_datum_t *out)
{
    gnutls_pkcs7_t p7;
    if (gnutls_pkcs7_init(&p7) < 0) {
        return false;
    }
    gnutls_datum_t data = {(unsigned char *)manifest, (unsigned)strlen(manifest)};
    bool ok = gnutls_pkcs7_sign(p7, w->cert, w->key, &data, NULL, NULL, GNUTLS_DIG_SHA256,
                                GNUTLS_PKCS7_INCLUDE_TIME | GNUTLS_PKCS7_INCLUDE_CERT) >= 0 &&
              gnutls_pkcs7_set_crt(p7, w->wwdr) >= 0 &&
              gnutls_pkcs7_export2(p7, GNUTLS_X509_FMT_DER, out) >= 0;
    gnutls_pkcs7_deinit(p7);
    return ok;
}

/* The zip of the files, in memory (copied into `a`). */
static bool zip_files(const struct file *f, size_t n, struct arena *a, const void **out,
                      size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
    bool ok = z != NULL;
    if (ok) {
        zip_source_keep(src);
    } else if (src != NULL) {
        zip_source_free(src);
    }
    for (size_t i = 0; ok && i < n; i++) {
        zip_source_t *fs = zip_source_buffer(z, f[i].data, f[i].len, 0);
        ok = fs != NULL && zip_file_add(z, f[i].name, fs, ZIP_FL_ENC_UTF_8) >= 0;
        if (!ok && fs != NULL) {
            zip_source_free(fs);
        }
    }
    if (z != NULL && (!ok || zip_close(z) < 0)) {
        ok = false;
        zip_discard(z);
    }
    zip_error_fini(&ze);
    if (!ok) {
        if (z != NULL) {
            zip_source_free(src);
        }
        return false;
    }
    zip_stat_t st;
    ok = zip_source_stat(src, &st) == 0 && (st.valid & ZIP_STAT_SIZE) && zip_source_open(src) == 0;
    if (ok) {
        unsigned char *p = arena_alloc(a, st.size > 0 ? st.size : 1);
        ok = zip_source_read(src, p, st.size) == (zip_int64_t)st.size;
        zip_source_close(src);
        *out = p;
        *len = st.size;
    }
    zip_source_free(src);
    return ok;
}

enum kt_rc wallet_pkpass(const struct wallet *w, const struct wallet_view *v,
                         const char *web_service, struct arena *a, const void **out, size_t *len,
                         struct kt_err *err)
{
    if (!wallet_has_apple(w)) {
        return kt_err_set(err, KT_ENOTFOUND, "wallet_off", NULL,
                          "Apple Wallet passes are not configured (serve --wallet)");
    }
    struct file f[PKPASS_FILES];
    size_t n = 0;
    char *pass = pass_json(w, v, web_service);
    f[n++] = (struct file){"pass.json", pass, strlen(pass)};
    for (size_t i = 0; i < w->n_images; i++) {
        f[n++] = (struct file){w->images[i].name, w->images[i].data, w->images[i].len};
    }
    char *manifest = manifest_json(f, n);
    gnutls_datum_t sig = {NULL, 0};
    bool ok = manifest != NULL && sign(w, manifest, &sig);
    if (ok) {
        f[n++] = (struct file){"manifest.json", manifest, strlen(manifest)};
        f[n++] = (struct file){"signature", sig.data, sig.size};
        ok = zip_files(f, n, a, out, len);
    }
    gnutls_free(sig.data);
    free(manifest);
    free(pass);
    return ok ? KT_OK
              : kt_err_set(err, KT_EINTERNAL, "wallet_failed", NULL,
                           "the pass could not be signed or packed");
}
