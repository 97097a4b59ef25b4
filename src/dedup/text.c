/*
 * text.c - code points in and out of UTF-8 for the comparisons and keys (the text is valid
 * UTF-8: the cleaner checked it).
 */
#include "dedup/dedup_int.h"

size_t dedup_cps(const char *s, unsigned *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        size_t adv = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
        for (size_t k = 1; k < adv; k++) {
            if (p[k] == '\0') { /* cut short: stop rather than read past the end */
                return n;
            }
        }
        unsigned cp = adv == 1   ? *p
                      : adv == 2 ? ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu)
                      : adv == 3 ? ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu)
                                 : ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) |
                                       ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
        if (n == cap) {
            return cap + 1;
        }
        out[n++] = cp;
        p += adv;
    }
    return n;
}

char *dedup_utf8(const unsigned *cps, size_t n, struct arena *a)
{
    char *out = arena_alloc(a, n * 4 + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned c = cps[i];
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (char)(0xE0 | (c >> 12));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xF0 | (c >> 18));
            *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = '\0';
    return out;
}
