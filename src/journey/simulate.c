/*
 * simulate.c - a journey tried on one customer, nothing kept (simulate.h).
 *
 * The run is made and moved by the engine itself (jr_take), so the simulation and the real thing
 * cannot drift apart; the write transaction it runs in is rolled back at the end, so the
 * messages it queued never reach the sender (SQLite has one writer: nothing else sees them),
 * the points, coupons and traits are undone and the run is gone. It holds the writer for the
 * few milliseconds a timeline takes; the clock jumps from one due time to the next.
 */
#include <string.h>

#include "base/clock.h"
#include "deliver/caps.h"
#include "journey/engine.h"
#include "journey/simulate.h"

static const char *verdict_name(enum policy_verdict v)
{
    static const char *const names[] = {"send", "hold", "refuse", "cap"};
    return names[v];
}

/* What the policy says of each message the trace entries from `from` on queued. */
static enum kt_rc decide(struct jctx *x, struct store_conn *w, const struct journey_sim *sim,
                         const struct policy_caps *caps, size_t from, struct kt_err *err)
{
    for (size_t i = from; i < json_array_size(x->trace); i++) {
        json_t *e = json_array_get(x->trace, i);
        const char *mid = json_string_value(json_object_get(e, "message_id"));
        struct outbox_msg m;
        struct policy_decision d;
        bool found = false;
        if (mid == NULL) {
            continue;
        }
        if (store_outbox_get(w, mid, &x->keep, &m, &found, err) != KT_OK) {
            return err->rc;
        }
        if (!found) {
            continue;
        }
        json_object_set_new(e, "channel", json_string(m.channel));
        if (strcmp(m.state, "queued") != 0) { /* suppressed when queued: no address */
            json_object_set_new(e, "decision", json_string("refuse"));
            json_object_set_new(e, "reason", json_string(m.reason != NULL ? m.reason : m.state));
            continue;
        }
        if (policy_decide(w, sim->policy, caps, &m, x->now, &x->keep, &d, err) != KT_OK) {
            return err->rc;
        }
        json_object_set_new(e, "decision", json_string(verdict_name(d.verdict)));
        if (d.reason != NULL) {
            json_object_set_new(e, "reason", json_string(d.reason));
        }
        if (d.verdict == POLICY_HOLD) {
            json_object_set_new(e, "hold_until", json_string(time_rfc3339(&x->keep, d.until)));
        }
        if (d.verdict == POLICY_SEND) { /* counted by the caps of the next ones, as if sent */
            m.state = "sent";
            m.sent_at = m.updated_at = x->now;
            if (store_outbox_update(w, &m, err) != KT_OK) {
                return err->rc;
            }
        }
    }
    return KT_OK;
}

static bool live(const struct journey_run *r)
{
    return strcmp(r->state, "active") == 0 || strcmp(r->state, "waiting") == 0;
}

/* The timeline, in `w` (rolled back by the caller). */
static enum kt_rc play(struct jctx *x, struct store_conn *w, const struct journey_sim *sim,
                       int64_t now, struct journey_run *r, struct kt_err *err)
{
    const struct journey_row *j = jctx_journey(x, sim->key);
    struct policy_caps caps;
    bool created = false;
    if (j == NULL || sim->version > j->version) {
        return kt_err_set(err, KT_ENOTFOUND, "journey_not_found", sim->version ? "version" : NULL,
                          "journey not found");
    }
    const struct jdoc *d =
        jctx_doc(x, w, sim->key, sim->version > 0 ? sim->version : j->version, err);
    if (d == NULL) {
        return err->rc;
    }
    if (d->bad) {
        return kt_err_set(err, KT_ECONFLICT, "journey_unusable", "version",
                          "the journey's document no longer compiles (a template or segment "
                          "it names is gone)");
    }
    char *ctx = sim->context != NULL ? json_dumps(sim->context, JSON_COMPACT) : NULL;
    *r = (struct journey_run){.journey = d->key,
                              .version = d->version,
                              .ck = sim->ck,
                              .entry_key = "\x01simulation", /* beside any live run of hers */
                              .visit = 1,
                              .state = "active",
                              .due_at = now,
                              .since_at = now,
                              .entered_at = now,
                              .updated_at = now,
                              .ctx = ctx != NULL ? arena_strdup(&x->keep, ctx) : NULL};
    free(ctx);
    if (store_journey_run_add(w, r, &created, err) != KT_OK) {
        return err->rc;
    }
    policy_caps_init(&caps);
    enum kt_rc rc = policy_caps_load(w, &caps, err);
    int64_t until = now + sim->days * DAY_MS;
    for (int k = 0; rc == KT_OK && live(r) && k < JOURNEY_SIMULATE_STEPS; k++) {
        if (r->due_at > until) {
            break;
        }
        x->now = r->due_at > x->now ? r->due_at : x->now;
        size_t from = json_array_size(x->trace);
        rc = jr_take(x, w, d, r, err);
        rc = rc == KT_OK ? store_journey_run_update(w, r, err) : rc;
        rc = rc == KT_OK ? decide(x, w, sim, &caps, from, err) : rc;
    }
    policy_caps_free(&caps);
    return rc;
}

enum kt_rc journey_simulate(const struct journey_conf *c, const struct journey_sim *sim,
                            int64_t now, struct arena *a, json_t **out, struct kt_err *err)
{
    struct jctx *x = jctx_new(c, now);
    struct store_conn *w;
    struct journey_run r = {.state = "active"};
    *out = NULL;
    if (x == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "out of memory");
    }
    x->trace = json_array();
    enum kt_rc rc = store_write_begin(c->s, &w, err);
    if (rc == KT_OK) {
        rc = jctx_load(x, w, err);
        rc = rc == KT_OK ? play(x, w, sim, now, &r, err) : rc;
        store_write_rollback(w); /* nothing sent, nothing stored */
    }
    if (rc == KT_OK) {
        *out = json_pack("{s:s, s:I, s:s, s:s, s:O, s:s}", "journey", sim->key, "version",
                         (json_int_t)r.version, "from", time_rfc3339(a, now), "until",
                         time_rfc3339(a, now + sim->days * DAY_MS), "steps", x->trace, "state",
                         r.state);
        if (r.exit != NULL) {
            json_object_set_new(*out, "exit", json_string(r.exit));
        }
    }
    json_decref(x->trace);
    jctx_free(x);
    return rc;
}
