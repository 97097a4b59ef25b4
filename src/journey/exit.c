/*
 * exit.c - what the journeys hear of ingest (run.h, passes 1 and 2), and the end of a run.
 *
 * The events pass reads the customers' events after its cursor (events.seq) in batches, each
 * batch one write transaction with the cursor's move: an event ends the live runs whose exit
 * names it, wakes the runs waiting for it, and enters its customer into the journeys whose
 * entry it is. The receipts pass reads the receipts rung up since its cursor (a little before:
 * a till that posts late) of the customers with a live run and ends those runs with a purchase
 * exit that entered before the receipt. Both are for promptness and the report; the guarantee is
 * jr_exit_due, asked inside the transaction that sends.
 */
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "journey/engine.h"

#define EVENTS_BATCH 2000
#define RECEIPT_LOOKBACK                                                                           \
    (10 * MINUTE_MS) /* a receipt posted this late still ends a run at once                        \
                      */

enum kt_rc jr_log(struct jctx *x, struct store_conn *w, const struct journey_run *r,
                  const char *step, const char *outcome, const char *message_id, struct kt_err *err)
{
    struct journey_step_row row = {r->id, r->visit, r->journey, step, outcome, message_id, x->now};
    bool created = false;
    if (x->trace != NULL) {
        json_t *e = json_pack("{s:s, s:s, s:s}", "at", time_rfc3339(&x->keep, x->now), "step", step,
                              "outcome", outcome);
        if (message_id != NULL) {
            json_object_set_new(e, "message_id", json_string(message_id));
        }
        json_array_append_new(x->trace, e);
    }
    return store_journey_step_add(w, &row, &created, err);
}

enum kt_rc jr_finish(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                     struct journey_run *r, const char *state, const char *name, struct kt_err *err)
{
    (void)d;
    int64_t n = 0;
    bool exited = strcmp(state, "exited") == 0;
    if (exited && store_journey_outbox_cancel(w, r->id, "journey_exit", x->now, &n, err) != KT_OK) {
        return err->rc;
    }
    if (jr_log(x, w, r, name != NULL ? name : "end", state, NULL, err) != KT_OK) {
        return err->rc;
    }
    r->visit++;
    r->state = state;
    r->exit = name;
    r->due_at = 0;
    r->finished_at = r->updated_at = x->now;
    return KT_OK;
}

/* Whether an event with `props` is the one exit `ex` of run `r` names. */
static bool exit_hit(const struct jdoc *d, const struct journey_exit *ex,
                     const struct journey_run *r, const char *type, const json_t *props,
                     struct arena *a)
{
    if (ex->purchase || !jr_event_matches(&ex->event, type, props)) {
        return false;
    }
    if (!ex->same_key) {
        return true;
    }
    const char *k = jr_prop_text(props, d->d.entry.key, a);
    return k != NULL && strcmp(k, r->entry_key) == 0;
}

enum kt_rc jr_exit_due(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                       const struct journey_run *r, const char **exit, struct kt_err *err)
{
    *exit = NULL;
    for (size_t i = 0; i < d->d.n_exits && *exit == NULL; i++) {
        const struct journey_exit *ex = &d->d.exits[i];
        bool yes = false;
        if (ex->purchase) {
            if (store_journey_bought_since(w, r->ck, r->entered_at, &yes, err) != KT_OK) {
                return err->rc;
            }
        } else {
            const char **props = NULL;
            size_t n = 0;
            if (store_journey_event_props(w, r->ck, ex->event.type, r->entered_at, 1000, &x->keep,
                                          &props, &n, err) != KT_OK) {
                return err->rc;
            }
            for (size_t k = 0; k < n && !yes; k++) {
                json_t *p = props[k] != NULL ? json_loads(props[k], 0, NULL) : json_object();
                yes = exit_hit(d, ex, r, ex->event.type, p, &x->keep);
                json_decref(p);
            }
        }
        *exit = yes ? ex->name : NULL;
    }
    return KT_OK;
}

/* ---- the events pass ------------------------------------------------------------------------ */

/* Whether any journey that may have live runs listens for events of `type` (an exit, a
 * wait-for): only then are the customer's runs read. */
static bool heard(struct jctx *x, struct store_conn *w, const char *type, struct kt_err *err,
                  bool *failed)
{
    for (size_t i = 0; i < x->n_journeys; i++) {
        const struct journey_row *j = &x->journeys[i];
        if (j->live_version == 0 || strcmp(j->state, "archived") == 0) {
            continue;
        }
        const struct jdoc *d = jctx_doc(x, w, j->key, j->live_version, err);
        if (d == NULL) {
            *failed = true;
            return false;
        }
        for (size_t k = 0; !d->bad && k < d->d.n_exits; k++) {
            if (!d->d.exits[k].purchase && strcmp(d->d.exits[k].event.type, type) == 0) {
                return true;
            }
        }
        for (size_t k = 0; !d->bad && k < d->d.n_steps; k++) {
            const struct journey_step *s = &d->d.steps[k];
            if (s->kind == JS_WAIT_FOR && s->event.type != NULL &&
                strcmp(s->event.type, type) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* An event's effect on customer `e->ck`'s live runs: exits, then awaited events. */
static enum kt_rc runs_hear(struct jctx *x, struct store_conn *w, const struct event *e,
                            const json_t *props, struct kt_err *err)
{
    struct journey_run *runs = NULL;
    size_t n = 0;
    if (store_journey_runs_live(w, e->ck, NULL, &x->keep, &runs, &n, err) != KT_OK) {
        return err->rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct journey_run *r = &runs[i];
        const struct jdoc *d = jctx_doc(x, w, r->journey, r->version, err);
        if (d == NULL) {
            return err->rc;
        }
        if (d->bad || e->received_at < r->entered_at) {
            continue;
        }
        const char *exit = NULL;
        for (size_t k = 0; k < d->d.n_exits && exit == NULL; k++) {
            exit = exit_hit(d, &d->d.exits[k], r, e->type, props, &x->keep) ? d->d.exits[k].name
                                                                            : NULL;
        }
        enum kt_rc rc = KT_OK;
        const struct journey_step *s = &d->d.steps[r->step];
        if (exit != NULL) {
            rc = jr_finish(x, w, d, r, "exited", exit, err);
        } else if (strcmp(r->state, "waiting") == 0 && s->kind == JS_WAIT_FOR &&
                   s->event.type != NULL && e->received_at >= r->since_at &&
                   jr_event_matches(&s->event, e->type, props)) {
            rc = jr_log(x, w, r, s->id, "matched", NULL, err);
            r->visit++;
            r->step = s->then;
            r->state = "active";
            r->due_at = r->since_at = x->now;
        } else {
            continue;
        }
        r->updated_at = x->now;
        if (rc != KT_OK || store_journey_run_update(w, r, err) != KT_OK) {
            return err->rc;
        }
    }
    return KT_OK;
}

/* An event's entries: the active journeys whose entry it is. */
static enum kt_rc enter_on(struct jctx *x, struct store_conn *w, const struct event *e,
                           json_t *props, struct kt_err *err)
{
    for (size_t i = 0; i < x->n_journeys; i++) {
        const struct journey_row *j = &x->journeys[i];
        if (strcmp(j->state, "active") != 0) {
            continue;
        }
        const struct jdoc *d = jctx_doc(x, w, j->key, j->live_version, err);
        if (d == NULL) {
            return err->rc;
        }
        if (d->bad || d->d.entry.kind != JE_EVENT ||
            !jr_event_matches(&d->d.entry.event, e->type, props)) {
            continue;
        }
        const char *key = jr_prop_text(props, d->d.entry.key, &x->keep);
        json_t *ctx = json_pack("{s:s, s:O}", "key", key != NULL ? key : "", "event", props);
        bool entered = false;
        enum kt_rc rc = jr_enter(x, w, d, e->ck, key != NULL ? key : "", e->received_at, x->now,
                                 ctx, &entered, err);
        json_decref(ctx);
        if (rc != KT_OK) {
            return rc;
        }
    }
    return KT_OK;
}

/* The first start of any journey, or now when none was ever started. */
static int64_t first_start(const struct jctx *x)
{
    int64_t t = x->now;
    for (size_t i = 0; i < x->n_journeys; i++) {
        if (x->journeys[i].started_at > 0 && x->journeys[i].started_at < t) {
            t = x->journeys[i].started_at;
        }
    }
    return t;
}

static enum kt_rc events_batch(struct jctx *x, bool *more, struct kt_err *err)
{
    struct store_conn *w;
    struct event *ev = NULL;
    size_t n = 0;
    int64_t pos = 0;
    bool failed = false;
    *more = false;
    if (store_write_begin(x->c->s, &w, err) != KT_OK) {
        return err->rc;
    }
    struct arena a;
    arena_init(&a, 0);
    enum kt_rc rc = store_journey_cursor_get(w, "events", &pos, err);
    if (rc == KT_OK && pos == 0) { /* the first run: what came before any journey is none's */
        rc = store_events_last_seq(w, first_start(x), &pos, err);
        rc = rc == KT_OK ? store_journey_cursor_put(w, "events", pos > 0 ? pos : -1, err) : rc;
    }
    rc = rc == KT_OK ? store_journey_events_after(w, pos, EVENTS_BATCH, &a, &ev, &n, err) : rc;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        json_t *props = ev[i].props != NULL ? json_loads(ev[i].props, 0, NULL) : NULL;
        props = props != NULL ? props : json_object();
        if (heard(x, w, ev[i].type, err, &failed)) {
            rc = runs_hear(x, w, &ev[i], props, err);
        }
        rc = failed ? err->rc : rc;
        rc = rc == KT_OK ? enter_on(x, w, &ev[i], props, err) : rc;
        json_decref(props);
        pos = ev[i].seq;
    }
    rc = rc == KT_OK && n > 0 ? store_journey_cursor_put(w, "events", pos, err) : rc;
    rc = store_write_end(w, rc, err);
    *more = rc == KT_OK && n == EVENTS_BATCH;
    arena_release(&a);
    return rc;
}

enum kt_rc jr_events_pass(struct jctx *x, int64_t deadline, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    for (bool more = true; rc == KT_OK && more && clock_mono_ns() < deadline;) {
        rc = events_batch(x, &more, err);
    }
    return rc;
}

/* ---- the receipts pass ---------------------------------------------------------------------- */

enum kt_rc jr_receipts_pass(struct jctx *x, struct kt_err *err)
{
    struct store_conn *w;
    int64_t pos = 0, *cks = NULL, *ats = NULL;
    size_t n = 0;
    if (store_write_begin(x->c->s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_journey_cursor_get(w, "receipts", &pos, err);
    /* None yet, or a cursor ahead of the clock (a clock set back: the runs' times are the
     * clock's): from now. */
    int64_t since = (pos > 0 && pos <= x->now ? pos : x->now) - RECEIPT_LOOKBACK;
    rc = rc == KT_OK
             ? store_journey_purchases_between(w, since, x->now + 1, &x->keep, &cks, &ats, &n, err)
             : rc;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct journey_run *runs = NULL;
        size_t nr = 0;
        rc = store_journey_runs_live(w, cks[i], NULL, &x->keep, &runs, &nr, err);
        for (size_t k = 0; rc == KT_OK && k < nr; k++) {
            const struct jdoc *d = jctx_doc(x, w, runs[k].journey, runs[k].version, err);
            if (d == NULL) {
                rc = err->rc;
                break;
            }
            const char *exit = NULL;
            for (size_t e = 0; !d->bad && e < d->d.n_exits && exit == NULL; e++) {
                exit = d->d.exits[e].purchase && ats[i] >= runs[k].entered_at ? d->d.exits[e].name
                                                                              : NULL;
            }
            if (exit != NULL) {
                rc = jr_finish(x, w, d, &runs[k], "exited", exit, err);
                rc = rc == KT_OK ? store_journey_run_update(w, &runs[k], err) : rc;
            }
        }
    }
    rc = rc == KT_OK && pos != x->now ? store_journey_cursor_put(w, "receipts", x->now, err) : rc;
    return store_write_end(w, rc, err);
}
