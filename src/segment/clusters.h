/*
 * clusters.h - customers clustered by behaviour over the store (docs/segments.md, "Clusters"),
 * for POST /v1/clusters and `kartoteka cluster`. The arithmetic is cluster.h's.
 */
#ifndef KT_SEGMENT_CLUSTERS_H
#define KT_SEGMENT_CLUSTERS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/model.h"
#include "store/store.h"

/* The behaviour features of n customers, as cluster_run() computes them before standardising. */
struct cluster_features {
    double *x;               /* n x d, row-major, malloc'd (cluster_features_release) */
    size_t n, d;             /* d = 8 + the categories */
    const char **names;      /* d column names: "recency", ..., "category <name>" (in the arena) */
    const char **categories; /* the biggest purchase categories of the base by money, at most 5 */
    size_t n_categories;
};

/*
 * The features of `rows` (in ck order, as store_rfm_rows gives them) as of `now`: log(1 + days
 * since the latest receipt), log(1 + receipts), log(1 + roubles less refunds), log(1 + events of
 * `ch`), the shares of those events by channel (web, app, email, social), and the shares of each
 * customer's money by the biggest categories of `cat`. Rows of `ch` and `cat` naming a customer
 * not in `rows` are left out. Names and categories live in `a`.
 */
void cluster_features(const struct rfm_row *rows, size_t n, const struct feature_row *ch,
                      size_t n_ch, const struct feature_row *cat, size_t n_cat, int64_t now,
                      struct arena *a, struct cluster_features *f);
void cluster_features_release(struct cluster_features *f);

/* A centre (d standardised values) in a marketer's words: the up to three features it stands out
 * on most by half a deviation at least ("buy often, spend much"), or "close to the average". */
const char *cluster_describe(const struct cluster_features *f, const double *centre,
                             struct arena *a);

/*
 * Clusters every live customer with receipts into `k` (1 <= k <= their number, else KT_EINVAL
 * "invalid_value" on "k") as of `now`: the features read on an analytic snapshot, k-means++,
 * each cluster described, and with `store_traits` each customer's cluster stored as the trait
 * "cluster" in transactions of a thousand. With `features_out` the standardised matrix is written
 * there as CSV too (KT_EINVAL "cannot_write" when it cannot be). The document: {"k",
 * "customers", "features", "inertia", "iterations", "silhouette", "took_ms", "stored",
 * "clusters"} (new reference; NULL with err set).
 */
json_t *cluster_run(struct store *s, int k, int64_t now, bool store_traits,
                    const char *features_out, struct arena *a, struct kt_err *err);

#endif
