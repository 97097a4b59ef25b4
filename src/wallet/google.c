/*
 * google.c - the Google Wallet save link (docs/wallet.md, "The Google JWT"): a JWT of type
 * savetowallet carrying the customer's loyalty object, signed RS256 with the retailer's
 * service-account key (GnuTLS: PKCS#1 v1.5 over SHA-256).
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/wallet_int.h"

#define SAVE_URL "https://pay.google.com/gp/v/save/"

static char *b64url(const void *p, size_t n, struct arena *a)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = arena_alloc(a, cap);
    sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

static const char *b64url_json(json_t *o, struct arena *a)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    const char *e = b64url(s, strlen(s), a);
    free(s);
    return e;
}

/* The loyalty object of her pass: its id is the pass's serial under the issuer. */
static json_t *loyalty_object(const struct wallet *w, const struct wallet_view *v, struct arena *a)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:{s:I}}, s:{s:s, s:s, s:s}}", "id",
                     arena_printf(a, "%s.%s", w->issuer, v->pass.serial), "classId",
                     arena_printf(a, "%s.%s", w->issuer, w->class_id), "state", "ACTIVE",
                     "accountId", v->card, "accountName", v->card, "loyaltyPoints", "label",
                     "Баллы", "balance", "int", (json_int_t)v->available, "barcode", "type",
                     "EAN_13", "value", v->card, "alternateText", v->card);
}

enum kt_rc wallet_google_link(const struct wallet *w, const struct wallet_view *v,
                              const char *origin, int64_t now, struct arena *a, const char **out,
                              struct kt_err *err)
{
    if (!wallet_has_google(w)) {
        return kt_err_set(err, KT_ENOTFOUND, "wallet_off", NULL,
                          "Google Wallet is not configured (serve --wallet)");
    }
    json_t *origins = json_array();
    if (origin != NULL && origin[0] != '\0') {
        json_array_append_new(origins, json_string(origin));
    }
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:I, s:o, s:{s:[o]}}", "iss", w->client_email, "aud", "google",
                  "typ", "savetowallet", "iat", (json_int_t)(now / 1000), "origins", origins,
                  "payload", "loyaltyObjects", loyalty_object(w, v, a));
    const char *head = b64url_json(json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT"), a);
    const char *body = b64url_json(claims, a);
    const char *input = arena_printf(a, "%s.%s", head, body);
    gnutls_datum_t data = {(unsigned char *)input, (unsigned)strlen(input)}, sig = {NULL, 0};
    if (gnutls_privkey_sign_data(w->google_key, GNUTLS_DIG_SHA256, 0, &data, &sig) < 0) {
        return kt_err_set(err, KT_EINTERNAL, "wallet_failed", NULL,
                          "the Google Wallet link could not be signed");
    }
    *out = arena_printf(a, SAVE_URL "%s.%s", input, b64url(sig.data, sig.size, a));
    gnutls_free(sig.data);
    return KT_OK;
}
