/*
 * text.c - free text: UTF-8 validity, control characters, NFC (ICU), whitespace.
 *
 * ASCII text never touches ICU: it is already NFC, so only whitespace is folded. Non-ASCII text is
 * converted to UTF-16 once, normalised, and folded on the way back.
 */
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "base/mem.h"
#include "clean/clean.h"
#include "clean/internal.h"

const char *clean_verdict_name(enum clean_verdict v)
{
    switch (v) {
    case CLEAN_OK:
        return "ok";
    case CLEAN_CORRECTED:
        return "corrected";
    case CLEAN_SUSPICIOUS:
        return "suspicious";
    case CLEAN_INVALID:
        return "invalid";
    }
    return "invalid";
}

bool clean_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n) {
            return false;
        }
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

/* Whitespace we fold into one ASCII space; `cp` is a code point. */
static bool is_fold_space(unsigned cp)
{
    return cp == ' ' || cp == '\t' || cp == 0xA0 || cp == 0x2007 || cp == 0x202F ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x3000;
}

/* Characters we refuse outright: C0/C1 controls other than tab, DEL, line and paragraph
 * separators, and the byte order mark. */
static bool is_refused(unsigned cp)
{
    return (cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0xFEFF;
}

/* NFC of valid UTF-8 `s` into the arena; NULL on an ICU failure. */
static char *nfc(const char *s, size_t len, struct arena *a, size_t *out_len)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *n2 = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st)) {
        return NULL;
    }
    int32_t ulen = 0;
    u_strFromUTF8(NULL, 0, &ulen, s, (int32_t)len, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) {
        return NULL;
    }
    st = U_ZERO_ERROR;
    UChar *u = arena_alloc(a, sizeof(UChar) * ((size_t)ulen + 1));
    u_strFromUTF8(u, ulen + 1, NULL, s, (int32_t)len, &st);
    if (U_FAILURE(st)) {
        return NULL;
    }
    if (unorm2_isNormalized(n2, u, ulen, &st) && U_SUCCESS(st)) {
        *out_len = len;
        return arena_strndup(a, s, len);
    }
    st = U_ZERO_ERROR;
    int32_t cap = ulen * 3 + 16;
    UChar *norm = arena_alloc(a, sizeof(UChar) * (size_t)cap);
    int32_t nlen = unorm2_normalize(n2, u, ulen, norm, cap, &st);
    if (U_FAILURE(st)) {
        return NULL;
    }
    int32_t blen = 0;
    u_strToUTF8(NULL, 0, &blen, norm, nlen, &st);
    st = U_ZERO_ERROR;
    char *out = arena_alloc(a, (size_t)blen + 1);
    u_strToUTF8(out, blen + 1, NULL, norm, nlen, &st);
    if (U_FAILURE(st)) {
        return NULL;
    }
    *out_len = (size_t)blen;
    return out;
}

void clean_text(const char *in, size_t len, size_t max_bytes, struct arena *a,
                struct clean_out *out)
{
    memset(out, 0, sizeof(*out));
    out->verdict = CLEAN_INVALID;
    if (!clean_utf8_valid(in, len)) {
        out->reason = "invalid_utf8";
        return;
    }
    /* Refuse what no person types, before spending work on normalisation. */
    bool ascii = true;
    for (size_t i = 0; i < len;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)in + i, &adv);
        if (is_refused(cp)) {
            out->reason = "control_character";
            return;
        }
        ascii = ascii && cp < 0x80;
        i += adv;
    }
    const char *src = in;
    size_t slen = len;
    bool changed = false;
    if (!ascii) {
        size_t nlen;
        char *n = nfc(in, len, a, &nlen);
        if (n == NULL) {
            out->reason = "invalid_utf8";
            return;
        }
        changed = nlen != len || memcmp(n, in, len) != 0;
        src = n;
        slen = nlen;
    }
    /* Fold whitespace runs into one space and trim. */
    char *dst = arena_alloc(a, slen + 1);
    size_t j = 0;
    bool pending_space = false;
    for (size_t i = 0; i < slen;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)src + i, &adv);
        if (is_fold_space(cp)) {
            pending_space = j > 0;
            i += adv;
            continue;
        }
        if (pending_space) {
            dst[j++] = ' ';
            pending_space = false;
        }
        memcpy(dst + j, src + i, adv);
        j += adv;
        i += adv;
    }
    dst[j] = '\0';
    if (j == 0) {
        out->reason = "empty";
        return;
    }
    if (j > max_bytes) {
        out->reason = "too_long";
        return;
    }
    changed = changed || j != len || memcmp(dst, in, len) != 0;
    out->value = dst;
    out->verdict = changed ? CLEAN_CORRECTED : CLEAN_OK;
    out->change = changed ? "whitespace_or_normalisation" : NULL;
}
