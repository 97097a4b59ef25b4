/*
 * run.c - the job `journey_advance` (run.h): the context of one run, the documents decoded once,
 * and the advance of the due runs through their steps.
 *
 * A run's state says what its due time means: `active` at step i - step i is to be taken now;
 * `waiting` at a wait or a wait-for - the wait ends (or times out) then. The due runs are
 * claimed in batches inside one write transaction; each is moved through its steps until it
 * waits or ends, every step logged once (journey_steps keyed by run and visit) and the run
 * written in the same transaction: a crash before the commit repeats the whole batch from the
 * stored state, after it repeats nothing. A send takes its message id from "journey:<run>:
 * <visit>", so even a step taken twice makes one message.
 */
#include <sodium.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/str.h"
#include "consent/consent.h"
#include "journey/admin.h"
#include "journey/engine.h"
#include "segment/segment.h"

#define STEPS_PER_RUN 64 /* steps one run takes in one claim at most (a cycle has a wait) */
#define NS_PER_MS     1000000LL

/* ---- the context ----------------------------------------------------------------------------- */

const struct journey_row *jctx_journey(const struct jctx *x, const char *key)
{
    for (size_t i = 0; i < x->n_journeys; i++) {
        if (strcmp(x->journeys[i].key, key) == 0) {
            return &x->journeys[i];
        }
    }
    return NULL;
}

static const struct store_cond *compile(struct jctx *x, const char *query)
{
    struct seg_node *tree;
    struct seg_error se;
    if (query == NULL || !segment_parse(query, &x->keep, &tree, &se)) {
        return NULL;
    }
    return segment_compile(tree, x->now, &x->keep);
}

/* Decodes a stored document and compiles its conditions and templates. */
static enum kt_rc load(struct jctx *x, struct store_conn *c, struct jdoc *j, struct kt_err *err)
{
    struct kt_err e2;
    bool found = false;
    kt_err_reset(&e2);
    enum kt_rc rc = journey_doc_load(c, j->key, j->version, &x->keep, &j->d, &e2);
    if (rc == KT_ESTORE || rc == KT_EBUSY || rc == KT_ESPACE) { /* the store, not the document */
        *err = e2;
        return rc;
    }
    j->bad = rc != KT_OK;
    for (size_t i = 0; !j->bad && i < j->d.n_steps; i++) {
        const struct journey_step *s = &j->d.steps[i];
        if (s->kind == JS_BRANCH || (s->kind == JS_WAIT_FOR && s->query != NULL)) {
            j->bad = (j->cond[i] = compile(x, s->query)) == NULL;
        } else if (s->kind == JS_SEND) {
            struct msg_template *row = arena_alloc(&x->keep, sizeof(*row));
            found = false;
            if (store_template_get(c, s->template, s->version, &x->keep, row, &found, err) !=
                KT_OK) {
                return err->rc;
            }
            j->bad = !found || msg_tpl_compile(row, &j->tpl[i], &e2) != KT_OK;
            j->has_tpl[i] = !j->bad;
        }
    }
    if (!j->bad && j->d.entry.query != NULL) {
        j->bad = (j->entry_cond = compile(x, j->d.entry.query)) == NULL;
    }
    if (j->bad) {
        log_warn("journey_unusable", "journey=%s version=%lld code=%s", j->key,
                 (long long)j->version, e2.code[0] != '\0' ? e2.code : "not_compiled");
    }
    return KT_OK;
}

const struct jdoc *jctx_doc(struct jctx *x, struct store_conn *c, const char *key, int64_t version,
                            struct kt_err *err)
{
    for (size_t i = 0; i < x->n_docs; i++) {
        if (x->docs[i].version == version && strcmp(x->docs[i].key, key) == 0) {
            return &x->docs[i];
        }
    }
    if (x->n_docs == JCTX_DOCS_MAX) {
        kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                   "more journey versions in use than one run of the job holds");
        return NULL;
    }
    struct jdoc *j = &x->docs[x->n_docs];
    *j = (struct jdoc){.key = arena_strdup(&x->keep, key), .version = version};
    if (load(x, c, j, err) != KT_OK) {
        return NULL;
    }
    x->n_docs++;
    return j;
}

int64_t jr_draw(const struct jctx *x, const char *what)
{
    (void)x;
    static const char ctx[] = "kartoteka/journey/v1:";
    unsigned char h[8];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)ctx, sizeof(ctx) - 1);
    crypto_generichash_update(&st, (const unsigned char *)what, strlen(what));
    crypto_generichash_final(&st, h, sizeof(h));
    uint32_t v = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    return (int64_t)(v % 10000) / 100;
}

/* ---- events' properties ---------------------------------------------------------------------- */

static bool prop_equals(const json_t *v, const struct journey_prop *p)
{
    if (p->is_bool) {
        return json_is_boolean(v) && (json_is_true(v) ? 1 : 0) == p->v.number;
    }
    if (p->v.is_number) {
        return (json_is_integer(v) && json_integer_value(v) == p->v.number) ||
               (json_is_real(v) && json_real_value(v) == (double)p->v.number);
    }
    return json_is_string(v) && strcmp(json_string_value(v), p->v.text) == 0;
}

bool jr_event_matches(const struct journey_event *e, const char *type, const json_t *props)
{
    if (e->type == NULL || strcmp(e->type, type) != 0) {
        return false;
    }
    for (size_t i = 0; i < e->n_where; i++) {
        if (!prop_equals(json_object_get(props, e->where[i].name), &e->where[i])) {
            return false;
        }
    }
    return true;
}

const char *jr_prop_text(const json_t *props, const char *name, struct arena *a)
{
    const json_t *v = name != NULL ? json_object_get(props, name) : NULL;
    if (json_is_string(v)) {
        return arena_strdup(a, json_string_value(v));
    }
    if (json_is_integer(v)) {
        return arena_printf(a, "%lld", (long long)json_integer_value(v));
    }
    return NULL;
}

/* ---- the advance ----------------------------------------------------------------------------- */

/* Moves run `r` to step `to` (-1: the end), to be taken now. */
static void go(struct journey_run *r, int to, int64_t now)
{
    r->step = to;
    r->state = "active";
    r->due_at = now;
    r->since_at = now;
}

enum kt_rc jr_take(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                   struct journey_run *r, struct kt_err *err)
{
    for (int k = 0; k < STEPS_PER_RUN; k++) {
        if (r->step < 0 || r->step >= (int64_t)d->d.n_steps) {
            return jr_finish(x, w, d, r, "done", NULL, err);
        }
        const struct journey_step *s = &d->d.steps[r->step];
        bool waiting = strcmp(r->state, "waiting") == 0;
        const char *outcome = NULL, *mid = NULL;
        bool yes = false;
        int64_t until = 0;
        switch (s->kind) {
        case JS_WAIT:
            if (waiting) { /* the wait is over */
                outcome = "waited";
                break;
            }
            if (jr_wait_until(x, w, s, r->ck, x->now, &until, err) != KT_OK) {
                return err->rc;
            }
            if (until == 0) { /* a date the profile lacks: the run cannot go on */
                return jr_finish(x, w, d, r, "exited", "no_date", err);
            }
            r->state = "waiting";
            r->due_at = until;
            r->since_at = x->now;
            return KT_OK;
        case JS_WAIT_FOR:
            if (s->query != NULL &&
                store_segment_match(w, d->cond[r->step], r->ck, &yes, err) != KT_OK) {
                return err->rc;
            }
            if (yes) {
                outcome = "matched";
                break;
            }
            if (!waiting || r->since_at + s->duration_ms > x->now) {
                if (!waiting) {
                    r->since_at = x->now;
                }
                r->state = "waiting";
                r->due_at = r->since_at + s->duration_ms;
                if (s->query != NULL && x->now + HOUR_MS < r->due_at) { /* looked at hourly */
                    r->due_at = x->now + HOUR_MS;
                }
                return KT_OK;
            }
            outcome = "timed_out";
            break;
        case JS_BRANCH:
            if (store_segment_match(w, d->cond[r->step], r->ck, &yes, err) != KT_OK) {
                return err->rc;
            }
            outcome = yes ? "then" : "otherwise";
            break;
        case JS_SPLIT:
            outcome = "split";
            break;
        case JS_EXIT:
            return jr_finish(x, w, d, r, "exited", s->name, err);
        default: {
            const char *exit = NULL;
            if (jr_exit_due(x, w, d, r, &exit, err) != KT_OK) {
                return err->rc;
            }
            if (exit != NULL) { /* bought (or the like) since the last pass: nothing more */
                return jr_finish(x, w, d, r, "exited", exit, err);
            }
            if (jr_act(x, w, d, s, r, &outcome, &mid, err) != KT_OK) {
                return err->rc;
            }
        }
        }
        if (jr_log(x, w, r, s->id, outcome, mid, err) != KT_OK) {
            return err->rc;
        }
        int to = s->next;
        if ((s->kind == JS_BRANCH && yes) || (s->kind == JS_WAIT_FOR && yes)) {
            to = s->then;
        } else if (s->kind == JS_SPLIT) {
            int64_t draw = jr_draw(
                x, arena_printf(&x->keep, "%lld:%lld", (long long)r->id, (long long)r->visit));
            int64_t sum = 0;
            to = s->ways[s->n_ways - 1];
            for (size_t i = 0; i < s->n_ways; i++) {
                if (draw < (sum += s->share[i])) {
                    to = s->ways[i];
                    break;
                }
            }
        }
        r->visit++;
        if (to < 0) { /* the last step taken: the run ends on it (its step stays the last) */
            return jr_finish(x, w, d, r, "done", NULL, err);
        }
        go(r, to, x->now);
    }
    /* A document's checks forbid a cycle without a wait; this bounds one anyway. */
    r->due_at = x->now + MINUTE_MS;
    return KT_OK;
}

/* One batch of due runs in one write transaction; *more when the batch was full. */
static enum kt_rc advance_batch(struct jctx *x, bool *more, struct kt_err *err)
{
    struct store_conn *w;
    struct journey_run *runs = NULL;
    size_t n = 0;
    struct arena a;
    arena_init(&a, 0);
    *more = false;
    if (store_write_begin(x->c->s, &w, err) != KT_OK) {
        arena_release(&a);
        return err->rc;
    }
    enum kt_rc rc = store_journey_runs_due(w, x->now, JOURNEY_BATCH, &a, &runs, &n, err);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct journey_run *r = &runs[i];
        const struct jdoc *d = jctx_doc(x, w, r->journey, r->version, err);
        if (d == NULL) {
            rc = err->rc;
            break;
        }
        if (d->bad) { /* held: looked at again in an hour, after a fix of its template */
            r->due_at = x->now + HOUR_MS;
        } else {
            int64_t before = r->visit;
            rc = jr_take(x, w, d, r, err);
            x->steps += r->visit - before;
        }
        r->updated_at = x->now;
        rc = rc == KT_OK ? store_journey_run_update(w, r, err) : rc;
    }
    rc = store_write_end(w, rc, err);
    *more = rc == KT_OK && n == JOURNEY_BATCH;
    arena_release(&a);
    return rc;
}

struct jctx *jctx_new(const struct journey_conf *c, int64_t now)
{
    struct jctx *x = calloc(1, sizeof(*x));
    if (x != NULL) {
        x->c = c;
        x->now = now;
        arena_init(&x->keep, 0);
    }
    return x;
}

enum kt_rc jctx_load(struct jctx *x, struct store_conn *c, struct kt_err *err)
{
    struct privacy_settings ps;
    enum kt_rc rc = store_journey_list(c, &x->keep, &x->journeys, &x->n_journeys, err);
    rc = rc == KT_OK ? privacy_settings_get(c, &x->keep, &ps, err) : rc;
    if (rc == KT_OK && ps.public_url != NULL && ps.public_url[0] != '\0') {
        x->public_url = ps.public_url;
    }
    return rc;
}

void jctx_free(struct jctx *x)
{
    if (x == NULL) {
        return;
    }
    for (size_t i = 0; i < x->n_docs; i++) {
        for (size_t k = 0; k < JOURNEY_STEPS_MAX; k++) {
            if (x->docs[i].has_tpl[k]) {
                msg_tpl_release(&x->docs[i].tpl[k]);
            }
        }
    }
    arena_release(&x->keep);
    free(x);
}

enum kt_rc journey_run_due(const struct journey_conf *c, int64_t now, int64_t budget_ms,
                           int64_t n[2], struct kt_err *err)
{
    struct jctx *x = jctx_new(c, now);
    struct store_conn *rd;
    if (x == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "out of memory");
    }
    int64_t deadline = clock_mono_ns() + budget_ms * NS_PER_MS;
    enum kt_rc rc = store_read_begin(c->s, &rd, err);
    if (rc == KT_OK) {
        rc = jctx_load(x, rd, err);
        store_read_end(rd);
    }
    bool any = false;
    for (size_t i = 0; i < x->n_journeys; i++) {
        any = any || strcmp(x->journeys[i].state, "active") == 0;
    }
    /* The passes read what came since their cursors even with no journey active, so that a
     * journey started later does not enter on old events. */
    rc = rc == KT_OK ? jr_events_pass(x, deadline, err) : rc;
    rc = rc == KT_OK ? jr_receipts_pass(x, err) : rc;
    rc = rc == KT_OK && any ? jr_date_passes(x, err) : rc;
    for (bool more = any; rc == KT_OK && more && clock_mono_ns() < deadline;) {
        rc = advance_batch(x, &more, err);
    }
    n[0] = x->steps;
    n[1] = x->entered;
    jctx_free(x);
    return rc;
}
