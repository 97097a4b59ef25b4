/*
 * mask.c - the masked forms of phones, e-mails and card numbers (mask.h).
 */
#include "base/mask.h"

#include <stdbool.h>
#include <string.h>

/* The bytes of the UTF-8 character that starts with `c`. */
static size_t utf8_len(unsigned char c)
{
    return (c & 0x80) == 0 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
}

const char *mask_value(const char *kind, const char *value, enum mask_style style, struct arena *a)
{
    size_t n = value != NULL ? strlen(value) : 0;
    if (n == 0) {
        return "";
    }
    bool phone = strcmp(kind, "phone") == 0;
    if (phone && n == 12 && value[0] == '+' && value[1] == '7') {
        return style == MASK_ANALYST
                   ? arena_printf(a, "+7 %.3s ***-**-%.2s", value + 2, value + 10)
                   : arena_printf(a, "+7 *** ***-%.2s-%.2s", value + 8, value + 10);
    }
    const char *at = strcmp(kind, "email") == 0 ? strrchr(value, '@') : NULL;
    if (at != NULL && at != value) { /* the first character of the name, the whole domain */
        size_t first = utf8_len((unsigned char)value[0]);
        first = first < (size_t)(at - value) ? first : (size_t)(at - value);
        return arena_printf(a, "%.*s***%s", (int)first, value, at);
    }
    if (phone && style == MASK_ANALYST) {
        return n > 4 ? arena_printf(a, "**** %s", value + n - 2) : "****";
    }
    return n > 4 ? arena_printf(a, "**** %s", value + n - 4) : "****";
}

bool mask_looks_phone(const char *s, size_t n)
{
    if (n < 11 || n > 16 || s[0] != '+') {
        return false;
    }
    for (size_t i = 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

bool mask_looks_email(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (at == NULL || at == s || memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == ',' || c == ';') {
            return false;
        }
    }
    const char *dot = memchr(at + 1, '.', n - (size_t)(at - s) - 1);
    return dot != NULL && dot > at + 1 && dot < s + n - 1;
}
