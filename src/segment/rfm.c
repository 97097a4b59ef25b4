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

/* 1-5 by the share of customers strictly on one side of a value: a tie group shares one score,
 * the score of the end of its span that `past` counts from. */
static int quintile(size_t past, size_t n)
{
    return 1 + (int)(5 * past / n);
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
        /* Recency counts from the best end: whoever bought on the most recent day (today, for a
         * live base) scores 5 however many share that day, and a lone customer too. Counting
         * the worse ones instead put a tie group at the bottom of its span, so that a base
         * whose buyers all came today, or one customer, scored 1 and was "lost". */
        out[i].r = 6 - quintile(below(d, n, out[i].days), n);
        /* Frequency and money count from the worst end, where their ties pile up: one-time
         * buyers score 1 however many they are. */
        out[i].f = quintile(below(f, n, rows[i].count), n);
        out[i].m = quintile(below(m, n, rows[i].money), n);
        out[i].group = rfm_group(out[i].r, out[i].f);
    }
    free(d);
    free(f);
    free(m);
}
