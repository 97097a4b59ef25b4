/*
 * num.c - checked decimal integer parsing.
 */
#include "base/num.h"

#include <string.h>

bool num_parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    if (s == NULL || len == 0) {
        return false;
    }
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
        if (len == 1) {
            return false;
        }
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        unsigned dgt = (unsigned)(s[i] - '0');
        if (v > (limit - dgt) / 10) {
            return false;
        }
        v = v * 10 + dgt;
    }
    int64_t r;
    if (neg) {
        r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        r = (int64_t)v;
    }
    if (r < min || r > max) {
        return false;
    }
    *out = r;
    return true;
}

bool num_parse_cstr(const char *s, int64_t min, int64_t max, int64_t *out)
{
    return s != NULL && num_parse_i64(s, strlen(s), min, max, out);
}
