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
#include "store/store.h"

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
