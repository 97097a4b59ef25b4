/*
 * sched.h - the one scheduler: every background job of the server is a row of one table
 * (sched_jobs, jobs.c), and the three ways work runs all read it - the runner thread of
 * `kartoteka serve`, `kartoteka run-due` and POST /v1/loyalty/run-due. Design: README.md.
 *
 * A row names its job, says how often the server runs it, whether it is run on demand (run-due
 * and the API run every such job, in the table's order), whether it needs the installation
 * secret and whether it runs once more when the server stops. The work itself is a function of
 * the job's own module (loyalty_expire_due, events_forget_ids ...); the row calls it. sched/ sits
 * above every domain module and no domain module includes it (docs/house.md).
 */
#ifndef KT_SCHED_SCHED_H
#define KT_SCHED_SCHED_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "store/store.h"

/* What every job may need; set once, read by the jobs. */
struct outbox_sender;
struct wallet;

struct sched_conf {
    struct store *s;
    const struct key_secret *secret; /* the installation secret; outlives the runner */
    const char *system;              /* "Kartoteka 0.1.0", written into acts of destruction */
    int64_t rejects_days;            /* the term of import reject lines (--import-rejects-days) */
    int64_t events_days;             /* the term of raw behaviour events (--events-days) */
    int64_t messages_days;           /* the term of sent and dead messages (--messages-days) */
    struct outbox_sender *outbox;    /* the outbox's channels (deliver/outbox.h), or NULL */
    const char *sms_sender;          /* the name a marketing SMS is signed with, or NULL */
    const struct wallet *wallet;     /* the wallet cards (wallet/wallet.h), or NULL: off */
};

/* A job's run at `now` (UTC ms): `n` gets what it did, as the row's `counts` name them. */
typedef enum kt_rc (*sched_fn)(const struct sched_conf *c, int64_t now, int64_t n[2],
                               struct kt_err *err);

/* One item of due work (a row of the due_work table) of a row's kind, inside the write transaction
 * that claimed it; `a` lives as long as that transaction. */
typedef enum kt_rc (*sched_due_fn)(const struct sched_conf *c, struct store_conn *w,
                                   const struct due_item *d, int64_t now, struct arena *a,
                                   int64_t n[2], struct kt_err *err);
/* After a run that handled items, outside any transaction. */
typedef void (*sched_after_fn)(const struct sched_conf *c);

#define SCHED_ON_DEMAND 1u /* run by `kartoteka run-due` and POST /v1/loyalty/run-due */
#define SCHED_SECRET    2u /* needs the installation secret (keyed hashes of erased people) */
#define SCHED_AT_STOP   4u /* runs once more after the runner stopped (what is queued in memory) */
#define SCHED_SETTLE    8u /* the first run comes one period after the start, not at once */
#define SCHED_OWN                                                                                  \
    16u /* runs on a thread of its own at every tick and sched_wake(): the                         \
           outbox, so a one-time code never waits behind a long job */

struct sched_job {
    const char *name;      /* the log line's event when it fails: "points_expiry" */
    int64_t period_ms;     /* the server runs it this often; 0: never on a clock */
    unsigned flags;        /* SCHED_* */
    sched_fn run;          /* the work, or NULL for a kind of due work: */
    const char *due_kind;  /* the due_work items it handles ("erase"), each claimed by the
                              runner with store_due_next() and done in the claim's transaction */
    sched_due_fn due;      /* one item */
    sched_after_fn after;  /* after a run that handled any, or NULL */
    const char *key;       /* its member in the on-demand reply; NULL: not reported */
    const char *counts[2]; /* the names of n[0] and n[1] in the reply; NULL: unused */
    const char *says;      /* run-due's words: {0} and {1} the counts, {0s} an "s" unless n[0]
                              is 1; NULL: says nothing */
};

#define SCHED_JOBS_MAX 32

extern const struct sched_job sched_jobs[];
extern const size_t sched_jobs_count;

/* What an on-demand run did, by row of the table. */
struct sched_report {
    bool ran[SCHED_JOBS_MAX];
    int64_t n[SCHED_JOBS_MAX][2];
};

/* Runs every on-demand job once at `now`, in the table's order, in the caller's thread (run-due).
 * A failing job is logged and the next runs all the same; the first failure is returned. */
enum kt_rc sched_run_due(const struct sched_conf *c, int64_t now, struct sched_report *out,
                         struct kt_err *err);

/* The report as the API's reply: {"<key>": {"<count>": n, ...}, ...} (new reference). */
json_t *sched_report_json(const struct sched_report *r);
/* The report as run-due's line: the jobs' words joined by "; ". */
void sched_report_text(const struct sched_report *r, struct buf *out);

/* ---- the runner of `kartoteka serve` (a base/ticker thread) ---------------------------------- */

struct sched;

/* Starts the runner: it looks every second which jobs' periods have passed and runs them, at a
 * lower priority than the request workers. `c` is copied. */
enum kt_rc sched_start(const struct sched_conf *c, struct sched **out, struct kt_err *err);

/* Has the runner run every on-demand job at `now` as soon as its current job ends, and waits for
 * it (POST /v1/loyalty/run-due): one runner, so a job never runs twice at once in the process. */
enum kt_rc sched_run_now(struct sched *x, int64_t now, struct sched_report *out,
                         struct kt_err *err);

/* Has the SCHED_OWN jobs run now (a message was queued) instead of at the next tick; with
 * `wait_ms` > 0, waits that long at most for the run to end (the SMS sink: a script reads the
 * code right after the reply). NULL is a no-op. */
void sched_wake(struct sched *x, int64_t wait_ms);

/* Stops the runner after its current job, then runs the SCHED_AT_STOP jobs. NULL is a no-op. */
void sched_stop(struct sched *x);

#endif
