/*
 * ean.c - EAN-13 card numbers: the check digit (GS1: weights 1 and 3 from the left, the digit
 * that brings the sum to a multiple of ten) and numbers from a configured range.
 */
#include <string.h>

#include "loyalty/loyalty.h"

int ean13_check_digit(const char digits[12])
{
    int sum = 0;
    for (int i = 0; i < 12; i++) {
        sum += (digits[i] - '0') * (i % 2 ? 3 : 1);
    }
    return (10 - sum % 10) % 10;
}

bool ean13_valid(const char *s)
{
    if (s == NULL || strlen(s) != 13) {
        return false;
    }
    for (int i = 0; i < 13; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return ean13_check_digit(s) == s[12] - '0';
}

bool ean13_card(const char *prefix, int64_t seq, char out[14])
{
    size_t p = strlen(prefix);
    if (p < 2 || p > 7 || seq < 0) {
        return false;
    }
    int width = 12 - (int)p;
    int64_t limit = 1;
    for (int i = 0; i < width; i++) {
        limit *= 10;
    }
    if (seq >= limit) {
        return false;
    }
    memcpy(out, prefix, p);
    for (int i = 11; i >= (int)p; i--) {
        out[i] = (char)('0' + seq % 10);
        seq /= 10;
    }
    out[12] = (char)('0' + ean13_check_digit(out));
    out[13] = '\0';
    return true;
}
