/*
 * quality.h - how good the base is, and who brings bad data.
 *
 * Intake statistics: every write path (API, import) reports each request or row - where it came
 * from (channel, store, operator) and what cleaning made of its values - to an in-memory tally,
 * which is added to the `intake` table from inside the next write transaction (at most every two
 * seconds), before a report, and at shutdown. A crash loses at most those two seconds of
 * statistics and never data.
 *
 * The quality report (report.c) reads the whole base in a few queries.
 */
#ifndef KT_QUALITY_QUALITY_H
#define KT_QUALITY_QUALITY_H

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"
#include "identity/identity.h"
#include "store/store.h"

/* One request or import row. `req` is the decoded request (NULL when decoding failed); `refused`
 * says it was refused as a whole. A NULL `src` counts under channel "unknown". */
void intake_record(const struct ident_source *src, const struct upsert_req *req, bool refused,
                   int64_t now);

/* Adds the tally to the store inside the caller's write transaction, when at least two seconds
 * passed since the last time, or always with `force`. */
enum kt_rc intake_flush(struct store_conn *w, bool force, int64_t now, struct kt_err *err);

/* The same at once in a write transaction of its own: before a report, so it includes the last
 * seconds, and at shutdown (the scheduler). */
enum kt_rc intake_flush_store(struct store *s, int64_t now, struct kt_err *err);

/* Forgets the tally (tests). */
void intake_reset(void);

/* The quality report of the whole base as JSON (new reference). `today` in days since the epoch.
 * Needs a read connection; `complete` lists the profile fields the loyalty programme needs. */
enum kt_rc quality_report(struct store_conn *r, int64_t now, struct arena *a, json_t **out,
                          struct kt_err *err);

/* The intake day by day over [since_day, until_day): the sources grouped by channel (by 0), store
 * (1) or operator (2), worst junk rate first, the first `limit` of them each with its days. */
enum kt_rc quality_daily(struct store_conn *r, int64_t since_day, int64_t until_day, int by,
                         int limit, struct arena *a, json_t **out, struct kt_err *err);

#endif
