/*
 * saved.h - saved segments: a name and a query, and the membership the store keeps with the time
 * each customer entered and left. Refreshed on demand and by the background worker.
 */
#ifndef KT_SEGMENT_SAVED_H
#define KT_SEGMENT_SAVED_H

#include "segment/segment.h"
#include "store/store.h"

#define SEGMENTS_REFRESH_MS (10 * 60 * 1000) /* the background refresh, every ten minutes */

/* Checks a segment's name and query: the query parses (syntax_error, with `se` set) and does
 * not name the segment itself (segment_cycle). */
enum kt_rc segment_check(const char *name, const char *query, struct arena *a,
                         struct seg_node **tree, struct seg_error *se, struct kt_err *err);

/* Refreshes one segment in the caller's write transaction. */
enum kt_rc segment_refresh_one(struct store_conn *w, const struct segment *sg, int64_t now,
                               struct arena *a, int64_t *entered, int64_t *left, int64_t *size,
                               struct kt_err *err);

/* Refreshes every trait, then every saved segment, one transaction each. */
enum kt_rc segments_refresh_all(struct store *s, int64_t now, int64_t *refreshed,
                                struct kt_err *err);

/* Computed traits (docs/segments.md): the built-in ones (favourite_category, average_receipt,
 * lifetime_value) and those defined by an expression, "true" for the customers it finds. */
extern const char *const traits_builtin[];

/* Defines (or redefines) trait `name` by `expression` and computes it, in the caller's write
 * transaction: bad_name, reserved_name, syntax_error (with `se`), trait_cycle. */
enum kt_rc trait_define(struct store_conn *w, const char *name, const char *expression, int64_t now,
                        struct arena *a, int64_t *count, struct seg_error *se, struct kt_err *err);

/* Recomputes every trait, the built-in ones first, one transaction each (before the segments,
 * which may use them). */
enum kt_rc traits_refresh_all(struct store *s, int64_t now, int64_t *refreshed, struct kt_err *err);

#endif
