/*
 * rfm.c - RFM scores and groups (see rfm.h).
 */
#include <stdlib.h>

#include "segment/rfm.h"

#define DAY_MS (86400LL * 1000)

const char *const rfm_groups[] = {"champions",
                                  "loyal",
                                  "potential loyalists",
                                  "new",
                                  "promising",
                                  "need attention",
                                  "about to sleep",
                                  "at risk",
                                  "can't lose them",
                                  "hibernating",
                                  "lost",
                                  NULL};

const char *rfm_group(int r, int f)
{
    /* First match wins; together the rules cover all 25 pairs. */
    if (r == 5 && f >= 4) {
        return "champions";
    }
    if (r >= 3 && f >= 4) {
        return "loyal";
    }
    if (r <= 2 && f == 5) {
        return "can't lose them";
    }
    if (r <= 2 && f >= 3) {
        return "at risk";
    }
    if (r == 1 && f == 1) {
        return "lost";
    }
    if (r <= 2) {
        return "hibernating";
    }
    if (r == 3 && f == 3) {
        return "need attention";
    }
    if (r == 3) {
        return "about to sleep";
    }
    if (f == 1) {
        return r == 5 ? "new" : "promising";
    }
    return "potential loyalists"; /* r 4-5, f 2-3 */
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* How many of sorted `v[0..n)` are below `x`. */
static size_t below(const int64_t *v, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* How many are above `x`. */
static size_t above(const int64_t *v, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] <= x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return n - lo;
}

static int quintile(size_t worse, size_t n)
{
    return 1 + (int)(5 * worse / n);
}

void rfm_score(const struct rfm_row *rows, size_t n, int64_t now, struct rfm_score *out)
{
    if (n == 0) {
        return;
    }
    int64_t *d = malloc(n * sizeof(*d)), *f = malloc(n * sizeof(*f)), *m = malloc(n * sizeof(*m));
    for (size_t i = 0; i < n; i++) {
        d[i] = (now - rows[i].last_at) / DAY_MS;
        f[i] = rows[i].count;
        m[i] = rows[i].money;
        out[i].days = d[i];
    }
    qsort(d, n, sizeof(*d), cmp_i64);
    qsort(f, n, sizeof(*f), cmp_i64);
    qsort(m, n, sizeof(*m), cmp_i64);
    for (size_t i = 0; i < n; i++) {
        out[i].r = quintile(above(d, n, out[i].days), n); /* more days is worse */
        out[i].f = quintile(below(f, n, rows[i].count), n);
        out[i].m = quintile(below(m, n, rows[i].money), n);
        out[i].group = rfm_group(out[i].r, out[i].f);
    }
    free(d);
    free(f);
    free(m);
}
