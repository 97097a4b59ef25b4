/*
 * totp.c - RFC 6238 codes (see totp.h).
 */
#include "auth/totp.h"

#include <gnutls/crypto.h>
#include <sodium.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void b32_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = B32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) {
        out[o++] = B32[(acc << (5 - bits)) & 31];
    }
    out[o] = '\0';
}

/* Decodes base32 (either case, no padding) into `out`; the byte count, or -1 when it is not. */
static int b32_decode(const char *in, unsigned char *out, size_t size)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (const char *p = in; *p; p++) {
        char c = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        const char *at = strchr(B32, c);
        if (c == '\0' || at == NULL) {
            return -1;
        }
        acc = (acc << 5) | (uint32_t)(at - B32);
        bits += 5;
        if (bits >= 8) {
            if (o == size) {
                return -1;
            }
            out[o++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return (int)o;
}

void totp_secret_new(char out[TOTP_SECRET_CHARS + 1])
{
    unsigned char k[TOTP_SECRET_BYTES];
    randombytes_buf(k, sizeof(k));
    b32_encode(k, sizeof(k), out);
    sodium_memzero(k, sizeof(k));
}

uint32_t totp_hotp(const unsigned char *key, size_t len, uint64_t step, int digits)
{
    unsigned char msg[8], mac[20];
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(step & 0xff);
        step >>= 8;
    }
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, key, len, msg, sizeof(msg), mac) != 0) {
        return UINT32_MAX; /* never a code of `digits` digits */
    }
    int off = mac[19] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    uint32_t mod = 1;
    for (int i = 0; i < digits; i++) {
        mod *= 10;
    }
    sodium_memzero(mac, sizeof(mac));
    return bin % mod;
}

int64_t totp_step(int64_t now_ms)
{
    return now_ms / 1000 / TOTP_STEP_S;
}

bool totp_check(const char *secret, const char *code, int64_t now_ms, int64_t last_step,
                int64_t *matched)
{
    unsigned char key[64];
    int n = b32_decode(secret, key, sizeof(key));
    if (n <= 0 || strlen(code) != TOTP_DIGITS || strspn(code, "0123456789") != TOTP_DIGITS) {
        return false;
    }
    bool ok = false;
    int64_t now = totp_step(now_ms);
    for (int64_t s = now - 1; s <= now + 1; s++) {
        char want[TOTP_DIGITS + 1];
        kt_snprintf(want, sizeof(want), "%06u",
                    totp_hotp(key, (size_t)n, (uint64_t)s, TOTP_DIGITS));
        bool hit = sodium_memcmp(want, code, TOTP_DIGITS) == 0;
        if (hit && s > last_step && !ok) {
            ok = true;
            *matched = s;
        }
    }
    sodium_memzero(key, sizeof(key));
    return ok;
}

const char *totp_uri(const char *secret, const char *account, struct arena *a)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "otpauth://totp/Kartoteka:");
    for (const unsigned char *p = (const unsigned char *)account; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL) {
            buf_printf(&b, "%c", *p);
        } else {
            buf_printf(&b, "%%%02X", *p);
        }
    }
    buf_printf(&b, "?secret=%s&issuer=Kartoteka&algorithm=SHA1&digits=%d&period=%d", secret,
               TOTP_DIGITS, TOTP_STEP_S);
    const char *out = arena_strdup(a, buf_cstr(&b));
    buf_release(&b);
    return out;
}
