/*
 * seal.c - sealed tokens (see seal.h). The key is derived once per call from the installation
 * secret with its own label, so a sealed token and an API key hash never share a key; the context
 * is the AEAD's associated data, so it is checked without being carried in the token.
 */
#include "auth/seal.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SEALED_MAX  (NONCE_BYTES + SEAL_TEXT_MAX + TAG_BYTES)
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

static void seal_key(const struct key_secret *k, unsigned char out[32])
{
    static const char label[] = "kartoteka/seal/v1";
    crypto_generichash(out, 32, (const unsigned char *)label, sizeof(label) - 1, k->k,
                       sizeof(k->k));
}

const char *seal_make(const struct key_secret *k, const char *context, const char *text,
                      struct arena *a)
{
    unsigned char buf[SEALED_MAX], key[32];
    size_t n = strlen(text);
    assert(n <= SEAL_TEXT_MAX); /* callers seal positions of their own making */
    unsigned long long clen = 0;
    randombytes_buf(buf, NONCE_BYTES);
    seal_key(k, key);
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        buf + NONCE_BYTES, &clen, (const unsigned char *)text, n, (const unsigned char *)context,
        strlen(context), NULL, buf, key);
    sodium_memzero(key, sizeof(key));
    size_t total = NONCE_BYTES + (size_t)clen;
    size_t out_len = sodium_base64_ENCODED_LEN(total, B64_VARIANT);
    char *out = arena_alloc(a, out_len);
    sodium_bin2base64(out, out_len, buf, total, B64_VARIANT);
    return out;
}

bool seal_open(const struct key_secret *k, const char *context, const char *token, struct arena *a,
               const char **text)
{
    unsigned char buf[SEALED_MAX], key[32];
    size_t n = 0, tl = strlen(token);
    if (tl > sodium_base64_ENCODED_LEN(sizeof(buf), B64_VARIANT) ||
        sodium_base642bin(buf, sizeof(buf), token, tl, NULL, &n, NULL, B64_VARIANT) != 0 ||
        n < NONCE_BYTES + TAG_BYTES) {
        return false;
    }
    unsigned char *plain = arena_alloc(a, n - NONCE_BYTES - TAG_BYTES + 1);
    unsigned long long plen = 0;
    seal_key(k, key);
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
        plain, &plen, NULL, buf + NONCE_BYTES, n - NONCE_BYTES, (const unsigned char *)context,
        strlen(context), buf, key);
    sodium_memzero(key, sizeof(key));
    if (rc != 0 || memchr(plain, '\0', (size_t)plen) != NULL) {
        return false;
    }
    plain[plen] = '\0';
    *text = (const char *)plain;
    return true;
}
