/*
 * str.c - slice helpers.
 */
#include "base/str.h"

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

struct str str_trim(struct str s)
{
    while (s.len > 0 && is_space((unsigned char)s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && is_space((unsigned char)s.p[s.len - 1])) {
        s.len--;
    }
    return s;
}

struct str str_cut(struct str s, char c, struct str *head)
{
    const char *hit = s.len ? memchr(s.p, c, s.len) : NULL;
    if (hit == NULL) {
        *head = s;
        return str_make(NULL, 0);
    }
    *head = str_make(s.p, (size_t)(hit - s.p));
    return str_make(hit + 1, s.len - (size_t)(hit - s.p) - 1);
}

bool str_has_prefix(struct str s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.p, prefix, n) == 0;
}
