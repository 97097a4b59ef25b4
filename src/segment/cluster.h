/*
 * cluster.h - k-means++ over customers' behaviour (docs/segments.md, "Clusters"): the features
 * are standardised (z-scores), the centres seeded by k-means++ from a fixed seed (the same data
 * gives the same clusters), Lloyd's iterations until nothing moves, the best of `restarts` runs
 * kept (the least inertia), and the silhouette score over a sample to help pick k.
 */
#ifndef KT_SEGMENT_CLUSTER_H
#define KT_SEGMENT_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct kmeans_result {
    int *labels;       /* n, 0..k-1 */
    double *centroids; /* k x d, in the standardised space */
    size_t *sizes;     /* k */
    double inertia;    /* sum of squared distances to the centres */
    int iterations;    /* of the kept run */
};

/* Standardises the n x d matrix in place (each column to mean 0, deviation 1; a constant
 * column to 0). */
void cluster_standardise(double *x, size_t n, size_t d);

/* Clusters the n x d rows into k (1 <= k <= n); the result's arrays are malloc'd (free with
 * kmeans_free). */
void kmeans(const double *x, size_t n, size_t d, int k, int restarts, uint64_t seed,
            struct kmeans_result *out);
void kmeans_free(struct kmeans_result *r);

/* The mean silhouette of up to `sample` rows (all when n is smaller), -1..1. */
double cluster_silhouette(const double *x, size_t n, size_t d, const int *labels, int k,
                          size_t sample, uint64_t seed);

#endif
