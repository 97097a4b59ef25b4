/*
 * engine.h - what the parts of the journey engine share (run.h is its interface): one run of
 * the job's context, with every journey's document decoded once and its conditions and
 * templates compiled once, and the functions each part gives the others.
 */
#ifndef KT_JOURNEY_ENGINE_H
#define KT_JOURNEY_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "deliver/template_store.h"
#include "journey/journey.h"
#include "journey/run.h"

/* A journey's version as the engine runs it. */
struct jdoc {
    const char *key;
    int64_t version;
    bool bad; /* its document did not decode or a part did not compile: its runs wait */
    struct journey_doc d;
    const struct store_cond *cond[JOURNEY_STEPS_MAX]; /* a branch's or a wait-for's condition */
    struct msg_tpl tpl[JOURNEY_STEPS_MAX];            /* a send's template, compiled */
    bool has_tpl[JOURNEY_STEPS_MAX];
    const struct store_cond *entry_cond; /* a daily or lapse entry's condition */
};

#define MINUTE_MS (60 * 1000LL)
#define HOUR_MS   (60 * MINUTE_MS)
#define DAY_MS    (24 * HOUR_MS)

#define JCTX_DOCS_MAX 256 /* versions one run of the job holds */

struct jctx {
    const struct journey_conf *c;
    int64_t now;
    struct arena keep; /* the documents, the journeys, for the whole run */
    struct journey_row *journeys;
    size_t n_journeys;
    struct jdoc docs[JCTX_DOCS_MAX];
    size_t n_docs;
    const char *public_url; /* for an e-mail's unsubscribe link; NULL when unset */
    int64_t steps, entered; /* what the run did */
    json_t *trace;          /* a simulation's: every step logged, [{at, step, outcome, ...}] */
};

/* The journey `key` of this run (NULL when there is none). */
const struct journey_row *jctx_journey(const struct jctx *x, const char *key);

/* Version `version` of journey `key`, decoded and compiled on first use (on connection `c`);
 * never NULL except on a store error (then err is set). A document that does not decode is
 * `bad` and logged once. */
const struct jdoc *jctx_doc(struct jctx *x, struct store_conn *c, const char *key, int64_t version,
                            struct kt_err *err);

/* Whether an event's properties (JSON text, or NULL) hold every value of `e.where`, and the
 * value of property `name` as text (NULL when absent) - the key of a run. */
bool jr_event_matches(const struct journey_event *e, const char *type, const json_t *props);
const char *jr_prop_text(const json_t *props, const char *name, struct arena *a);

/* Takes run `r`'s steps at x->now until it waits or ends, in `w` (the caller writes the run). */
enum kt_rc jr_take(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                   struct journey_run *r, struct kt_err *err);

/* A context for one run of the engine at `now` (jctx_free releases it), and its journeys read
 * on `c`. */
struct jctx *jctx_new(const struct journey_conf *c, int64_t now);
enum kt_rc jctx_load(struct jctx *x, struct store_conn *c, struct kt_err *err);
void jctx_free(struct jctx *x);

/* ---- entry.c ----------------------------------------------------------------------------- */

/* Enters customer `ck` into journey `d` with key `key` ("" when none), in write transaction
 * `w`: the re-entry rule, then a run at step 0, due at `due_at`, entered at `at`, or set
 * aside in the control group (keyed draw); `ctx` (may be NULL) is the run's context. *entered
 * says whether a run was made (a control run counts). */
enum kt_rc jr_enter(struct jctx *x, struct store_conn *w, const struct jdoc *d, int64_t ck,
                    const char *key, int64_t at, int64_t due_at, json_t *ctx, bool *entered,
                    struct kt_err *err);

/* The date, daily, segment and interval entries of the active journeys (each at most every
 * JOURNEY_DATE_PASS_MS). */
enum kt_rc jr_date_passes(struct jctx *x, struct kt_err *err);

/* ---- exit.c ------------------------------------------------------------------------------ */

/* The events pass and the receipts pass (run.h). */
enum kt_rc jr_events_pass(struct jctx *x, int64_t deadline, struct kt_err *err);
enum kt_rc jr_receipts_pass(struct jctx *x, struct kt_err *err);

/* The exits of run `r` checked against the store (receipts and events since it entered): the
 * name of the exit that holds, or NULL. Inside the transaction that sends. */
enum kt_rc jr_exit_due(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                       const struct journey_run *r, const char **exit, struct kt_err *err);

/* Ends run `r` (in `w`) as `state` ("exited", "done") with exit `name` (or NULL): its queued
 * messages suppressed, the step logged. */
enum kt_rc jr_finish(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                     struct journey_run *r, const char *state, const char *name,
                     struct kt_err *err);

/* Logs that run `r` took step `step` (its id) with `outcome` at visit r->visit, and counts it
 * (journey_steps: once per run and visit). */
enum kt_rc jr_log(struct jctx *x, struct store_conn *w, const struct journey_run *r,
                  const char *step, const char *outcome, const char *message_id,
                  struct kt_err *err);

/* ---- steps.c ----------------------------------------------------------------------------- */

/* When a wait at step `s` that began at `since` ends for customer `ck` (local time: the
 * customer's zone); 0 when it never can (a date the profile lacks). */
enum kt_rc jr_wait_until(struct jctx *x, struct store_conn *c, const struct journey_step *s,
                         int64_t ck, int64_t since, int64_t *until, struct kt_err *err);

/* The effects of steps that act (send, points, coupon, trait, webhook) for run `r` in `w`:
 * the outcome for the log and a send's message id. */
enum kt_rc jr_act(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                  const struct journey_step *s, struct journey_run *r, const char **outcome,
                  const char **message_id, struct kt_err *err);

/* A keyed draw in [0, 100) of `what` on the installation secret: the same for the same input. */
int64_t jr_draw(const struct jctx *x, const char *what);

#endif
