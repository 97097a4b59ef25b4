/*
 * saved.h - saved segments: a name and a query, and the membership the store keeps with the time
 * each customer entered and left. Refreshed on demand and by the background worker.
 */
#ifndef KT_SEGMENT_SAVED_H
#define KT_SEGMENT_SAVED_H

#include "segment/segment.h"
#include "store/store.h"

#define SEGMENTS_REFRESH_MS (10 * 60 * 1000) /* the background refresh, every ten minutes */
#define SEGMENT_NAME_MAX    100              /* a saved segment's name, bytes */

/* Checks a segment's name and query: the query parses (syntax_error, with `se` set) and does
 * not name the segment itself (segment_cycle). */
enum kt_rc segment_check(const char *name, const char *query, struct arena *a,
                         struct seg_node **tree, struct seg_error *se, struct kt_err *err);

/* Refreshes one segment: its query runs on an analytic read, and who entered and who left is
 * written in short transactions of its own (never the query inside a write: the tills would
 * wait for it). `size` is the membership after. */
enum kt_rc segment_refresh(struct store *s, const struct segment *sg, int64_t now, struct arena *a,
                           int64_t *entered, int64_t *left, int64_t *size, struct kt_err *err);

/* Refreshes every trait, then every saved segment. */
enum kt_rc segments_refresh_all(struct store *s, int64_t now, int64_t *refreshed,
                                struct kt_err *err);

/* Computed traits (docs/segments.md): the built-in ones (favourite_category, average_receipt,
 * lifetime_value) and those defined by an expression, "true" for the customers it finds. */
extern const char *const traits_builtin[];

/* Whether `name` is a trait Kartoteka computes itself: a built-in one, or RFM's or the
 * clusters' (rfm_score, rfm_group, cluster). No one may define or set it. */
bool trait_computed_name(const char *name);

/* Defines (or redefines) trait `name` by `expression` in the caller's write transaction:
 * invalid_value, reserved_name, syntax_error (with `se`), trait_cycle. trait_compute() gives it
 * its values. */
enum kt_rc trait_define(struct store_conn *w, const char *name, const char *expression, int64_t now,
                        struct arena *a, struct seg_error *se, struct kt_err *err);

/* Computes trait `name`: defined by `expression`, or built in when it is NULL. The query runs on
 * an analytic read; what changed is written in short transactions. `count` gets how many
 * customers have it. */
enum kt_rc trait_compute(struct store *s, const char *name, const char *expression, int64_t now,
                         struct arena *a, int64_t *count, struct kt_err *err);

/* Recomputes every trait, the built-in ones first (before the segments, which may use them). */
enum kt_rc traits_refresh_all(struct store *s, int64_t now, int64_t *refreshed, struct kt_err *err);

#endif
