/*
 * run.h - the journey engine (docs/journeys.md, "Runs"): the scheduler's job `journey_advance`.
 *
 * One run of the job, at `now`, for at most `budget_ms`:
 *   1. the events pass (exit.c): the customers' events stored since the cursor enter customers
 *      into event-entry journeys, end the runs an exit names and wake the runs waiting for them;
 *   2. the receipts pass (exit.c): the receipts rung up since the cursor end the runs with a
 *      purchase exit that entered before them;
 *   3. the date passes (entry.c): profile and ledger dates, daily conditions, segment moves -
 *      at most every JOURNEY_DATE_PASS_MS per journey -, learned intervals every
 *      JOURNEY_INTERVAL_PASS_MS;
 *   4. the advance (run.c): the due runs, in batches of JOURNEY_BATCH, each batch one write
 *      transaction, each run moved through its steps until it waits or ends.
 * Every pass writes its cursor in the transaction of what it did: a crash repeats nothing done
 * and loses nothing read.
 */
#ifndef KT_JOURNEY_RUN_H
#define KT_JOURNEY_RUN_H

#include <stdint.h>

#include "auth/keys.h"
#include "base/err.h"
#include "store/store.h"

#define JOURNEY_DATE_PASS_MS (10 * 60 * 1000LL) /* a date entry looks at most this often */
/* A learned interval's entry reads every receipt twice (segment/intervals.h): every 3 hours, and
 * once just after the installation's midnight; a customer enters on her own local day all the
 * same, at most 3 hours after it begins. */
#define JOURNEY_INTERVAL_PASS_MS (3 * 60 * 60 * 1000LL)

/* What the engine needs besides the store: the installation secret (a message's id is keyed by
 * it; its webhook and unsubscribe links are signed with it) and the name a marketing SMS is
 * signed with (or NULL). */
struct journey_conf {
    struct store *s;
    const struct key_secret *secret;
    const char *sms_sender;
};

/* The job: n[0] counts the steps taken, n[1] the customers who entered. */
enum kt_rc journey_run_due(const struct journey_conf *c, int64_t now, int64_t budget_ms,
                           int64_t n[2], struct kt_err *err);

#endif
