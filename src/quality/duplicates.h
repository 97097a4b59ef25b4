/*
 * duplicates.h - the base's fuzzy duplicates (docs/dedup.md): the matcher run over the live
 * customers into the review queue, and a new customer's check at upsert.
 */
#ifndef KT_QUALITY_DUPLICATES_H
#define KT_QUALITY_DUPLICATES_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "dedup/dedup.h"
#include "store/store.h"

struct dup_run_stats {
    size_t customers;  /* live customers compared */
    size_t candidates; /* pairs the blocking made */
    size_t pairs;      /* judged one person */
    size_t added;      /* of those, new to the queue (a pair there already keeps its state) */
    size_t vetoed;     /* of the new ones, stopped by a verified phone, e-mail or birth date */
};

/* `kartoteka dedup run`: reads every live customer (one analytic read, values opened under each
 * customer's key), runs the matcher with the default comparisons, adds the pairs to the queue
 * (writes of a few thousand pairs each), rebuilds the blocking keys and keeps the model for the
 * check at upsert. `progress` (may be NULL) gets the share done. */
enum kt_rc dup_run(struct store *s, int64_t now, void (*progress)(double done, void *arg),
                   void *arg, struct dup_run_stats *out, struct kt_err *err);

/* A new customer `cu` (stored in this write) against the live customers who share a blocking key
 * with her, scored with the last run's model: *hit with the strongest pair at or above the
 * threshold that no rule stops, added to the queue as "open" (unless that pair was decided
 * before: then no hit). Her keys are added. Nothing to check against before the first run. */
enum kt_rc dup_check(struct store_conn *w, const struct customer *cu, int64_t now, struct arena *a,
                     struct dup_pair *found, bool *hit, struct kt_err *err);

/* Who decides a pair: the key (or the CLI's "cli") and the request, for the audit. */
struct dup_actor {
    const char *key_id;
    const char *request_id;
};

/* Merges the open pair `id`: `into` (one of its two customer ids; NULL: the older one) survives,
 * the other is merged into it (ident_merge, journalled, so unmerge takes it back); the pair is
 * "merged"; the audit has it. `out` is the survivor. KT_ENOTFOUND duplicate_not_found,
 * KT_ECONFLICT duplicate_decided, KT_EINVAL not_in_pair. */
enum kt_rc dup_merge(struct store_conn *w, const char *id, const char *into,
                     const struct dup_actor *by, int64_t now, struct arena *a, struct customer *out,
                     struct kt_err *err);
/* Rejects the open pair `id`: two people, never proposed again; `note` (or the key) kept as
 * its reason; the audit has it. `out` is the pair as decided. */
enum kt_rc dup_reject(struct store_conn *w, const char *id, const char *note,
                      const struct dup_actor *by, int64_t now, struct arena *a,
                      struct dup_pair *out, struct kt_err *err);

/* The automatic merge (`dedup run --auto-merge P`; off unless asked): every open pair with a
 * probability of at least `min_prob`, strongest first, merged as dup_merge() does (journalled,
 * so unmerge takes it back) and audited as "auto_merge" with the pair and its probability. A
 * pair two rules stopped is not open, so never merged. A pair that cannot be merged now (one of
 * its customers merged with another already, blocked, erased) is left open and counted in
 * *skipped. */
enum kt_rc dup_auto_merge(struct store *s, double min_prob, int64_t now, size_t *merged,
                          size_t *skipped, struct kt_err *err);

/* A pair's explanation: each compared field's level and weight, as JSON text (in the arena). */
const char *dup_explain(const struct dedup_conf *c, const struct dedup_model *m,
                        const int8_t *level, struct arena *a);

#endif
