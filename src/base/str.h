/*
 * str.h - non-owning string slices for parsing. A slice never owns its bytes and is not
 * NUL-terminated; its lifetime is that of the text it points into.
 */
#ifndef KT_BASE_STR_H
#define KT_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct str {
    const char *p; /* borrowed */
    size_t len;
};

static inline struct str str_from(const char *s)
{
    struct str r = {s, s ? strlen(s) : 0};
    return r;
}

static inline struct str str_make(const char *p, size_t len)
{
    struct str r = {p, len};
    return r;
}

static inline bool str_eq(struct str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && memcmp(a.p, b, n) == 0;
}

/* Drops ASCII whitespace from both ends. */
struct str str_trim(struct str s);

/* Splits at the first `c`: `head` gets what is before, the return value what is after (empty and
 * p == NULL when `c` does not occur, in which case head is the whole of s). */
struct str str_cut(struct str s, char c, struct str *head);

bool str_has_prefix(struct str s, const char *prefix);

#endif
