/*
 * fuzzy.c - edit distance for typo correction (month words in dates, city names). Works on code
 * points, so a Cyrillic letter counts as one. No allocation: the rows live on the stack, which is
 * why the length is capped (FUZZY_MAX code points; longer text is never "near" anything).
 */
#include <string.h>

#include "clean/clean.h"
#include "clean/internal.h"

size_t fuzzy_cps(const char *s, unsigned *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; s[i] != '\0';) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        if (n == cap) {
            return cap + 1;
        }
        out[n++] = cp;
        i += adv;
    }
    return n;
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
    unsigned m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal string alignment (Damerau-Levenshtein where a swapped pair counts as one edit and no
 * substring is edited twice). Stops early once every path costs more than `max`. */
unsigned fuzzy_distance(const unsigned *a, size_t na, const unsigned *b, size_t nb, unsigned max)
{
    if (na > FUZZY_MAX || nb > FUZZY_MAX) {
        return max + 1;
    }
    if ((na > nb ? na - nb : nb - na) > max) {
        return max + 1;
    }
    unsigned rows[3][FUZZY_MAX + 1];
    unsigned *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= nb; j++) {
        prev[j] = (unsigned)j;
    }
    for (size_t i = 1; i <= na; i++) {
        cur[0] = (unsigned)i;
        unsigned best = cur[0];
        for (size_t j = 1; j <= nb; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < cur[j]) {
                cur[j] = pp[j - 2] + 1;
            }
            best = cur[j] < best ? cur[j] : best;
        }
        if (best > max) {
            return max + 1;
        }
        unsigned *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb] > max ? max + 1 : prev[nb];
}

unsigned clean_edit_distance(const char *a, const char *b, unsigned max)
{
    unsigned x[FUZZY_MAX], y[FUZZY_MAX];
    size_t nx = fuzzy_cps(a, x, FUZZY_MAX), ny = fuzzy_cps(b, y, FUZZY_MAX);
    if (nx > FUZZY_MAX || ny > FUZZY_MAX) {
        return strcmp(a, b) == 0 ? 0 : max + 1;
    }
    return fuzzy_distance(x, nx, y, ny, max);
}
