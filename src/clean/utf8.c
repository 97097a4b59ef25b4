/*
 * utf8.c - code points, case and matching keys for the name and city cleaners. Input is valid
 * UTF-8 (clean_text checked it). Case mapping goes through ICU so every script is right.
 */
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include "clean/clean.h"

#include "clean/internal.h"

unsigned utf8_get(const unsigned char *p, size_t *adv)
{
    if (p[0] < 0x80) {
        *adv = 1;
        return p[0];
    }
    if (p[0] < 0xE0) {
        *adv = 2;
        return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    }
    if (p[0] < 0xF0) {
        *adv = 3;
        return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    }
    *adv = 4;
    return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

size_t utf8_put(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t clean_code_points(const char *s, unsigned *out, size_t cap)
{
    return fuzzy_cps(s, out, cap);
}

char *clean_from_code_points(const unsigned *cps, size_t n, struct arena *a)
{
    char *out = arena_alloc(a, n * 4 + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        o += utf8_put(cps[i], o);
    }
    *o = '\0';
    return out;
}

/* Letters by their Unicode script (ICU), so that a letter and its other case - which may live
 * in another block, as ȿ and Ȿ do - are always classed alike. */
static bool letter_of(unsigned cp, UScriptCode script)
{
    UErrorCode st = U_ZERO_ERROR;
    return u_isalpha((UChar32)cp) && uscript_getScript((UChar32)cp, &st) == script && U_SUCCESS(st);
}

bool cp_is_cyrillic(unsigned cp)
{
    if (cp >= 0x0400 && cp <= 0x045F) {
        return true; /* Ѐ-Я, а-я, ѐ-џ: every one a letter, no need to ask ICU */
    }
    return cp >= 0x0400 && cp <= 0x04FF ? u_isalpha((UChar32)cp) : letter_of(cp, USCRIPT_CYRILLIC);
}

bool cp_is_latin(unsigned cp)
{
    if (cp < 0x80) {
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    }
    return letter_of(cp, USCRIPT_LATIN);
}

/* ASCII and the basic Cyrillic block are mapped here (the cleaners see little else), the rest
 * by ICU; the mappings are Unicode's own. */
unsigned cp_lower(unsigned cp)
{
    if (cp < 0x80) {
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    }
    if (cp >= 0x0400 && cp <= 0x045F) {
        return cp <= 0x040F ? cp + 80 : cp <= 0x042F ? cp + 32 : cp; /* Ё -> ё, А -> а */
    }
    return (unsigned)u_tolower((UChar32)cp);
}

unsigned cp_upper(unsigned cp)
{
    if (cp < 0x80) {
        return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    }
    if (cp >= 0x0400 && cp <= 0x045F) {
        return cp >= 0x0450 ? cp - 80 : cp >= 0x0430 ? cp - 32 : cp; /* ё -> Ё, а -> А */
    }
    return (unsigned)u_toupper((UChar32)cp);
}

char *fold_key(const char *s, size_t len, struct arena *a)
{
    char *out = arena_alloc(a, len * 2 + 1); /* a lower-case letter may take one byte more */
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        unsigned cp = cp_lower(utf8_get((const unsigned char *)s + i, &adv));
        if (cp == 0x0451) {
            cp = 0x0435; /* ё -> е */
        }
        j += utf8_put(cp, out + j);
        i += adv;
    }
    out[j] = '\0';
    return out;
}

char *clean_fold(const char *s, struct arena *a)
{
    return fold_key(s, strlen(s), a);
}
