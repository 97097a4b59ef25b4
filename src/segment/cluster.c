/*
 * cluster.c - k-means++ and the silhouette (see cluster.h).
 */
#include <float.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segment/cluster.h"

#define MAX_ITER 300

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double unit(uint64_t *s)
{
    return (double)(rnd(s) >> 11) / (double)(1ULL << 53);
}

static double dist2(const double *a, const double *b, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

void cluster_standardise(double *x, size_t n, size_t d)
{
    for (size_t j = 0; j < d; j++) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++) {
            mean += x[i * d + j];
        }
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double t = x[i * d + j] - mean;
            var += t * t;
        }
        double sd = sqrt(var / (double)n);
        for (size_t i = 0; i < n; i++) {
            x[i * d + j] = sd > 1e-12 ? (x[i * d + j] - mean) / sd : 0;
        }
    }
}

/* k-means++ seeding: each next centre drawn with probability proportional to the squared
 * distance to the nearest centre so far. */
static void seed_centres(const double *x, size_t n, size_t d, int k, uint64_t *s, double *c)
{
    double *near = malloc(n * sizeof(*near));
    size_t first = rnd(s) % n;
    memcpy(c, x + first * d, d * sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        near[i] = dist2(x + i * d, c, d);
    }
    for (int m = 1; m < k; m++) {
        double total = 0;
        for (size_t i = 0; i < n; i++) {
            total += near[i];
        }
        size_t pick = n - 1;
        double r = unit(s) * total;
        for (size_t i = 0; i < n; i++) {
            r -= near[i];
            if (r <= 0) {
                pick = i;
                break;
            }
        }
        memcpy(c + (size_t)m * d, x + pick * d, d * sizeof(*c));
        for (size_t i = 0; i < n; i++) {
            double t = dist2(x + i * d, c + (size_t)m * d, d);
            near[i] = t < near[i] ? t : near[i];
        }
    }
    free(near);
}

/* Lloyd's iterations from the centres in `c`; returns the inertia. */
static double lloyd(const double *x, size_t n, size_t d, int k, double *c, int *lab,
                    int *iterations)
{
    double *sum = malloc((size_t)k * d * sizeof(*sum));
    size_t *cnt = malloc((size_t)k * sizeof(*cnt));
    double inertia = 0;
    int it;
    for (it = 1; it <= MAX_ITER; it++) {
        bool moved = false;
        inertia = 0;
        for (size_t i = 0; i < n; i++) {
            int best = 0;
            double bd = DBL_MAX;
            for (int m = 0; m < k; m++) {
                double t = dist2(x + i * d, c + (size_t)m * d, d);
                if (t < bd) {
                    bd = t;
                    best = m;
                }
            }
            moved = moved || lab[i] != best;
            lab[i] = best;
            inertia += bd;
        }
        if (!moved && it > 1) {
            break;
        }
        memset(sum, 0, (size_t)k * d * sizeof(*sum));
        memset(cnt, 0, (size_t)k * sizeof(*cnt));
        for (size_t i = 0; i < n; i++) {
            cnt[lab[i]]++;
            for (size_t j = 0; j < d; j++) {
                sum[(size_t)lab[i] * d + j] += x[i * d + j];
            }
        }
        for (int m = 0; m < k; m++) {
            for (size_t j = 0; cnt[m] > 0 && j < d; j++) {
                c[(size_t)m * d + j] = sum[(size_t)m * d + j] / (double)cnt[m];
            }
        }
    }
    *iterations = it > MAX_ITER ? MAX_ITER : it;
    free(sum);
    free(cnt);
    return inertia;
}

void kmeans(const double *x, size_t n, size_t d, int k, int restarts, uint64_t seed,
            struct kmeans_result *out)
{
    memset(out, 0, sizeof(*out));
    out->labels = malloc(n * sizeof(int));
    out->centroids = malloc((size_t)k * d * sizeof(double));
    out->sizes = calloc((size_t)k, sizeof(size_t));
    out->inertia = DBL_MAX;
    int *lab = malloc(n * sizeof(int));
    double *c = malloc((size_t)k * d * sizeof(double));
    uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ULL;
    for (int r = 0; r < (restarts > 0 ? restarts : 1); r++) {
        seed_centres(x, n, d, k, &s, c);
        for (size_t i = 0; i < n; i++) {
            lab[i] = -1;
        }
        int iterations;
        double inertia = lloyd(x, n, d, k, c, lab, &iterations);
        if (inertia < out->inertia) {
            out->inertia = inertia;
            out->iterations = iterations;
            memcpy(out->labels, lab, n * sizeof(int));
            memcpy(out->centroids, c, (size_t)k * d * sizeof(double));
        }
    }
    for (size_t i = 0; i < n; i++) {
        out->sizes[out->labels[i]]++;
    }
    free(lab);
    free(c);
}

void kmeans_free(struct kmeans_result *r)
{
    free(r->labels);
    free(r->centroids);
    free(r->sizes);
    memset(r, 0, sizeof(*r));
}

double cluster_silhouette(const double *x, size_t n, size_t d, const int *labels, int k,
                          size_t sample, uint64_t seed)
{
    if (k < 2 || n < 2) {
        return 0;
    }
    uint64_t s = seed ? seed : 1;
    size_t m = sample < n ? sample : n;
    double *mean = malloc((size_t)k * sizeof(*mean));
    size_t *cnt = malloc((size_t)k * sizeof(*cnt));
    double total = 0;
    for (size_t t = 0; t < m; t++) {
        size_t i = m == n ? t : rnd(&s) % n;
        memset(mean, 0, (size_t)k * sizeof(*mean));
        memset(cnt, 0, (size_t)k * sizeof(*cnt));
        for (size_t j = 0; j < n; j++) {
            if (j != i) {
                mean[labels[j]] += sqrt(dist2(x + i * d, x + j * d, d));
                cnt[labels[j]]++;
            }
        }
        int own = labels[i];
        if (cnt[own] == 0) {
            continue; /* a cluster of one: silhouette 0 */
        }
        double a = mean[own] / (double)cnt[own], b = DBL_MAX;
        for (int c = 0; c < k; c++) {
            if (c != own && cnt[c] > 0 && mean[c] / (double)cnt[c] < b) {
                b = mean[c] / (double)cnt[c];
            }
        }
        double mx = a > b ? a : b;
        total += mx > 0 ? (b - a) / mx : 0;
    }
    free(mean);
    free(cnt);
    return total / (double)m;
}
