/*
 * jobs.c - the table of jobs: the one list of the server's background work (see sched.h). A new
 * job is a function in its own module and one row here; the runner, `kartoteka run-due` and
 * POST /v1/loyalty/run-due pick it up from the row. Each function below only adapts a module's
 * function to the table's signature - no rule lives here.
 */
#include "sched/sched.h"

#include "consent/consent.h"
#include "events/events.h"
#include "import/rejects.h"
#include "loyalty/bonus.h"
#include "loyalty/ledger.h"
#include "privacy/privacy.h"
#include "quality/quality.h"
#include "segment/saved.h"

#define SECOND_MS 1000
#define MINUTE_MS (60 * SECOND_MS)

static enum kt_rc privacy_due(const struct sched_conf *c, int64_t now, int64_t n[2],
                              struct kt_err *err)
{
    int erased = 0;
    enum kt_rc rc = privacy_run_due(c->s, c->secret, now, c->system, &erased, err);
    n[0] = erased;
    return rc;
}

static enum kt_rc points_expiry(const struct sched_conf *c, int64_t now, int64_t n[2],
                                struct kt_err *err)
{
    return loyalty_expire_due(c->s, now, &n[0], &n[1], err);
}

static enum kt_rc birthday_bonus(const struct sched_conf *c, int64_t now, int64_t n[2],
                                 struct kt_err *err)
{
    return loyalty_birthdays_due(c->s, now, &n[0], &n[1], err);
}

static enum kt_rc event_ids(const struct sched_conf *c, int64_t now, int64_t n[2],
                            struct kt_err *err)
{
    return events_forget_ids(c->s, now, &n[0], err);
}

static enum kt_rc import_rejects(const struct sched_conf *c, int64_t now, int64_t n[2],
                                 struct kt_err *err)
{
    return import_rejects_expire(c->s, now, c->rejects_days, &n[0], err);
}

static enum kt_rc segments(const struct sched_conf *c, int64_t now, int64_t n[2],
                           struct kt_err *err)
{
    return segments_refresh_all(c->s, now, &n[0], err);
}

static enum kt_rc reads_log(const struct sched_conf *c, int64_t now, int64_t n[2],
                            struct kt_err *err)
{
    (void)now;
    (void)n;
    return audit_flush(c->s, err);
}

static enum kt_rc intake(const struct sched_conf *c, int64_t now, int64_t n[2], struct kt_err *err)
{
    (void)n;
    return intake_save(c->s, now, err);
}

/* In the order they run. Segments are refreshed first ten minutes after a start, so that a server
 * that restarts again and again does not run the longest job each time. The reads log and the
 * intake tally only write what requests queued in memory, and once more at shutdown. */
const struct sched_job sched_jobs[] = {
    {"privacy_due",
     MINUTE_MS,
     SCHED_ON_DEMAND | SCHED_SECRET,
     privacy_due,
     "erased",
     {"customers", NULL},
     "erased {0} customer{0s}"},
    {"points_expiry",
     MINUTE_MS,
     SCHED_ON_DEMAND,
     points_expiry,
     "expired",
     {"customers", "points"},
     "{1} points expired for {0} customers"},
    {"birthday_bonus",
     MINUTE_MS,
     SCHED_ON_DEMAND,
     birthday_bonus,
     "birthday",
     {"customers", "points"},
     "{1} birthday points for {0} customers"},
    {"event_ids",
     MINUTE_MS,
     SCHED_ON_DEMAND,
     event_ids,
     "event_ids",
     {"forgotten", NULL},
     "{0} event message id{0s} forgotten"},
    {"import_rejects_expiry",
     MINUTE_MS,
     SCHED_ON_DEMAND,
     import_rejects,
     "import_rejects",
     {"rows", NULL},
     "{0} import reject row{0s} expired"},
    /* Not on demand: an analytic refresh, not work that falls due at a moment; it has verbs of
     * its own (kartoteka segment refresh, POST /v1/segments/{id}/refresh, /v1/traits/refresh). */
    {"segments_refresh",
     SEGMENTS_REFRESH_MS,
     SCHED_SETTLE,
     segments,
     NULL,
     {"refreshed", NULL},
     NULL},
    {"audit_flush",
     AUDIT_FLUSH_MS,
     SCHED_ON_DEMAND | SCHED_AT_STOP,
     reads_log,
     NULL,
     {NULL, NULL},
     NULL},
    {"intake_flush", 0, SCHED_AT_STOP, intake, NULL, {NULL, NULL}, NULL},
};
const size_t sched_jobs_count = sizeof(sched_jobs) / sizeof(sched_jobs[0]);
_Static_assert(sizeof(sched_jobs) / sizeof(sched_jobs[0]) <= SCHED_JOBS_MAX,
               "raise SCHED_JOBS_MAX with the table");
