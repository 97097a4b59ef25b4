/*
 * jaro.c - Jaro-Winkler similarity by code points. Jaro counts the letters of each string found
 * in the other within a window of half the longer length, and the transpositions among them;
 * Winkler adds weight to a common prefix, where names rarely have typos. No allocation: the
 * strings are decoded onto the stack, which is why their length is capped.
 */
#include <stdbool.h>
#include <string.h>

#include "clean/clean.h"
#include "dedup/dedup.h"

double dedup_jaro_winkler(const char *a, const char *b)
{
    unsigned x[DEDUP_CPS_MAX], y[DEDUP_CPS_MAX];
    size_t nx = clean_code_points(a, x, DEDUP_CPS_MAX), ny = clean_code_points(b, y, DEDUP_CPS_MAX);
    if (nx > DEDUP_CPS_MAX || ny > DEDUP_CPS_MAX) {
        return strcmp(a, b) == 0 ? 1.0 : 0.0;
    }
    if (nx == 0 || ny == 0) {
        return nx == ny ? 1.0 : 0.0;
    }
    size_t longer = nx > ny ? nx : ny;
    size_t window = longer / 2 > 0 ? longer / 2 - 1 : 0;
    bool mx[DEDUP_CPS_MAX] = {false}, my[DEDUP_CPS_MAX] = {false};
    size_t m = 0;
    for (size_t i = 0; i < nx; i++) {
        size_t lo = i > window ? i - window : 0, hi = i + window + 1 < ny ? i + window + 1 : ny;
        for (size_t j = lo; j < hi; j++) {
            if (!my[j] && x[i] == y[j]) {
                mx[i] = my[j] = true;
                m++;
                break;
            }
        }
    }
    if (m == 0) {
        return 0.0;
    }
    size_t t = 0, j = 0;
    for (size_t i = 0; i < nx; i++) {
        if (!mx[i]) {
            continue;
        }
        while (!my[j]) {
            j++;
        }
        t += x[i] != y[j];
        j++;
    }
    double md = (double)m;
    double jaro = (md / (double)nx + md / (double)ny + (md - (double)t / 2.0) / md) / 3.0;
    size_t prefix = 0;
    while (prefix < 4 && prefix < nx && prefix < ny && x[prefix] == y[prefix]) {
        prefix++;
    }
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}
