/*
 * jobs.c - the table of jobs: the one list of the server's background work (see sched.h). A new
 * job is a function in its own module and one row here; the runner, `kartoteka run-due` and
 * POST /v1/loyalty/run-due pick it up from the row. Each function below only adapts a module's
 * function to the table's signature - no rule lives here.
 */
#include "sched/sched.h"

#include "campaign/campaign.h"
#include "journey/journey.h"
#include "journey/run.h"
#include "consent/consent.h"
#include "deliver/outbox.h"
#include "events/events.h"
#include "export/audience.h"
#include "import/rejects.h"
#include "loyalty/bonus.h"
#include "loyalty/ledger.h"
#include "pages/limits.h"
#include "privacy/privacy.h"
#include "quality/quality.h"
#include "segment/saved.h"
#include "wallet/wallet.h"

#define SECOND_MS 1000
#define MINUTE_MS (60 * SECOND_MS)
#define HOUR_MS   (60 * MINUTE_MS)

static enum kt_rc erase_due(const struct sched_conf *c, struct store_conn *w,
                            const struct due_item *d, int64_t now, struct arena *a, int64_t n[2],
                            struct kt_err *err)
{
    bool erased = false;
    enum kt_rc rc = privacy_erase_due(c->s, w, c->secret, d, c->system, now, a, &erased, err);
    n[0] += erased;
    return rc;
}

static void erased_after(const struct sched_conf *c)
{
    privacy_wipe_wal(c->s);
}

static enum kt_rc retention(const struct sched_conf *c, int64_t now, int64_t n[2],
                            struct kt_err *err)
{
    return privacy_retention_due(c->s, c->secret, now, c->system, &n[0], err);
}

static enum kt_rc acts_expiry(const struct sched_conf *c, int64_t now, int64_t n[2],
                              struct kt_err *err)
{
    return privacy_acts_purge(c->s, now, &n[0], err);
}

static enum kt_rc points_expiry(const struct sched_conf *c, int64_t now, int64_t n[2],
                                struct kt_err *err)
{
    return loyalty_expire_due(c->s, now, &n[0], &n[1], err);
}

static enum kt_rc audience_refresh(const struct sched_conf *c, int64_t now, int64_t n[2],
                                   struct kt_err *err)
{
    return audience_schedules_run(c->s, now, n, err);
}

static enum kt_rc wallet_refresh(const struct sched_conf *c, int64_t now, int64_t n[2],
                                 struct kt_err *err)
{
    return wallet_refresh_due(c->s, c->wallet, c->secret, now, n, err);
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

static enum kt_rc events_merge_job(const struct sched_conf *c, int64_t now, int64_t n[2],
                                   struct kt_err *err)
{
    (void)now;
    return events_merge_due(c->s, &n[0], err);
}

static enum kt_rc import_rejects(const struct sched_conf *c, int64_t now, int64_t n[2],
                                 struct kt_err *err)
{
    return import_rejects_expire(c->s, now, c->rejects_days, &n[0], err);
}

static enum kt_rc page_limits(const struct sched_conf *c, int64_t now, int64_t n[2],
                              struct kt_err *err)
{
    return pages_limits_expire(c->s, now, &n[0], err);
}

static enum kt_rc events_expiry(const struct sched_conf *c, int64_t now, int64_t n[2],
                                struct kt_err *err)
{
    return events_expire(c->s, now, c->events_days, &n[0], err);
}

static enum kt_rc messages_expiry(const struct sched_conf *c, int64_t now, int64_t n[2],
                                  struct kt_err *err)
{
    return outbox_expire(c->s, now, c->messages_days, &n[0], err);
}

static enum kt_rc outbox(const struct sched_conf *c, int64_t now, int64_t n[2], struct kt_err *err)
{
    return outbox_send_due(c->s, c->outbox, now, n, err);
}

static enum kt_rc campaigns(const struct sched_conf *c, int64_t now, int64_t n[2],
                            struct kt_err *err)
{
    return campaign_run_due(c->s, c->secret, now, CAMPAIGN_RUN_MS, n, err);
}

static enum kt_rc journeys(const struct sched_conf *c, int64_t now, int64_t n[2],
                           struct kt_err *err)
{
    struct journey_conf jc = {c->s, c->secret, c->sms_sender};
    return journey_run_due(&jc, now, JOURNEY_RUN_MS, n, err);
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

static enum kt_rc keys_expiry(const struct sched_conf *c, int64_t now, int64_t n[2],
                              struct kt_err *err)
{
    return audit_keys_expired(c->s, now, &n[0], err);
}

static enum kt_rc intake(const struct sched_conf *c, int64_t now, int64_t n[2], struct kt_err *err)
{
    (void)n;
    return intake_flush_store(c->s, now, err);
}

/* In the order they run. Segments are refreshed first ten minutes after a start, so that a server
 * that restarts again and again does not run the longest job each time. The reads log and the
 * intake tally only write what requests queued in memory, and once more at shutdown. */
const struct sched_job sched_jobs[] = {
    {.name = "erasures_due", /* scheduled after a withdrawal of pd_processing */
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND | SCHED_SECRET,
     .due_kind = "erase",
     .due = erase_due,
     .after = erased_after,
     .key = "erased",
     .counts = {"customers", NULL},
     .says = "erased {0} customer{0s}"},
    {.name = "retention",
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND | SCHED_SECRET,
     .run = retention,
     .key = "retention",
     .counts = {"customers", NULL},
     .says = "retention erased {0} customer{0s}"},
    {.name = "acts_expiry", /* acts of destruction 3 years after it (Order 179) */
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND,
     .run = acts_expiry,
     .key = "acts_expired",
     .counts = {"acts", NULL},
     .says = "{0} act{0s} of destruction purged after 3 years"},
    {.name = "points_expiry",
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND,
     .run = points_expiry,
     .key = "expired",
     .counts = {"customers", "points"},
     .says = "{1} points expired for {0} customers"},
    {.name = "birthday_bonus",
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND,
     .run = birthday_bonus,
     .key = "birthday",
     .counts = {"customers", "points"},
     .says = "{1} birthday points for {0} customers"},
    {.name = "event_ids",
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND,
     .run = event_ids,
     .key = "event_ids",
     .counts = {"forgotten", NULL},
     .says = "{0} event message id{0s} forgotten"},
    {.name = "events_merge",
     .period_ms = SECOND_MS,
     .flags = SCHED_ON_DEMAND,
     .run = events_merge_job}, /* the store's housekeeping: not reported */
    {.name = "import_rejects_expiry",
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND,
     .run = import_rejects,
     .key = "import_rejects",
     .counts = {"rows", NULL},
     .says = "{0} import reject row{0s} expired"},
    /* Not on demand: the channels' connections are its thread's alone (smtp.h). On a thread of
     * its own, woken when a message is queued (a cashier waits for the code). */
    {.name = "outbox_send",
     .period_ms = SECOND_MS,
     .flags = SCHED_OWN,
     .run = outbox,
     .counts = {"sent", "not_sent"}},
    /* A run works CAMPAIGN_RUN_MS at most, then the sender and the other jobs have their turn;
     * on demand so that a scheduled campaign due at a moment starts with the rest of the due
     * work (the secret: a message's id is keyed by it). */
    {.name = "campaign_enqueue",
     .period_ms = SECOND_MS,
     .flags = SCHED_ON_DEMAND | SCHED_SECRET,
     .run = campaigns,
     .key = "campaigns",
     .counts = {"enqueued", "control"},
     .says = "{0} campaign message{0s} enqueued, {1} set aside in control groups"},
    /* Journeys (docs/journeys.md): what ingest stored since the last run enters, ends and
     * wakes runs, then the due runs take their steps; JOURNEY_RUN_MS at most, like campaigns. */
    {.name = "journey_advance",
     .period_ms = SECOND_MS,
     .flags = SCHED_ON_DEMAND | SCHED_SECRET,
     .run = journeys,
     .key = "journeys",
     .counts = {"steps", "entered"},
     .says = "{0} journey step{0s} taken, {1} customers entered"},
    /* Audience files refreshed on their schedules (docs/audiences.md): inside the server, its
     * reads are analytic reads the WAL's checkpointer sees. */
    {.name = "audience_refresh",
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND,
     .run = audience_refresh,
     .key = "audiences",
     .counts = {"written", "failed"},
     .says = "{0} audience file{0s} written, {1} failed"},
    /* Wallet passes follow the points (docs/wallet.md): after the jobs that move them, so an
     * on-demand run pushes what its own expiry or bonus changed. */
    {.name = "wallet_refresh",
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND | SCHED_SECRET,
     .run = wallet_refresh,
     .key = "wallet",
     .counts = {"passes", "pushes"},
     .says = "{0} wallet card{0s} changed, {1} device{1s} pushed"},
    /* Hourly: each run that removes something writes an audit entry, and a term counted in
     * days needs no finer clock. */
    {.name = "events_expiry",
     .period_ms = HOUR_MS,
     .flags = SCHED_ON_DEMAND,
     .run = events_expiry,
     .key = "events_expired",
     .counts = {"rows", NULL},
     .says = "{0} event{0s} past their term rolled up into daily counts"},
    {.name = "messages_expiry",
     .period_ms = HOUR_MS,
     .flags = SCHED_ON_DEMAND,
     .run = messages_expiry,
     .key = "messages_expired",
     .counts = {"rows", NULL},
     .says = "{0} sent message{0s} past their term deleted"},
    /* The pages' limits (docs/pages.md, "Limits"): uses no window reaches any more; a use
     * counts a day at most by default, so ten minutes keep the table near its live rows. */
    {.name = "page_limits_expiry",
     .period_ms = 10 * MINUTE_MS,
     .flags = SCHED_ON_DEMAND,
     .run = page_limits,
     .key = "page_limits",
     .counts = {"rows", NULL},
     .says = "{0} page limit use{0s} past every window deleted"},
    /* Not on demand: an analytic refresh, not work that falls due at a moment; it has verbs of
     * its own (kartoteka segment refresh, POST /v1/segments/{id}/refresh, /v1/traits/refresh). */
    {.name = "segments_refresh",
     .period_ms = SEGMENTS_REFRESH_MS,
     .flags = SCHED_SETTLE,
     .run = segments,
     .counts = {"refreshed", NULL}},
    {.name = "keys_expiry", /* the audit entry of a key's expiry (the key is refused anyway) */
     .period_ms = MINUTE_MS,
     .flags = SCHED_ON_DEMAND | SCHED_SECRET,
     .run = keys_expiry},
    {.name = "audit_flush", /* the log of reads */
     .period_ms = AUDIT_FLUSH_MS,
     .flags = SCHED_ON_DEMAND | SCHED_AT_STOP,
     .run = reads_log},
    {.name = "intake_flush", .flags = SCHED_AT_STOP, .run = intake},
};
const size_t sched_jobs_count = sizeof(sched_jobs) / sizeof(sched_jobs[0]);
_Static_assert(sizeof(sched_jobs) / sizeof(sched_jobs[0]) <= SCHED_JOBS_MAX,
               "raise SCHED_JOBS_MAX with the table");
