/*
 * report.c - what a journey did and earned (report.h).
 */
#include <string.h>

#include "base/clock.h"
#include "campaign/report.h"
#include "journey/engine.h"
#include "journey/report.h"

static json_t *runs_doc(struct store_conn *rd, const char *key, struct arena *a, struct kt_err *err)
{
    const char **states = NULL, **exits = NULL;
    int64_t *counts = NULL;
    size_t n = 0;
    if (store_journey_run_counts(rd, key, a, &states, &exits, &counts, &n, err) != KT_OK) {
        return NULL;
    }
    json_t *by_exit = json_object();
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "entered", (json_int_t)0, "control",
                          (json_int_t)0, "active", (json_int_t)0, "waiting", (json_int_t)0, "done",
                          (json_int_t)0, "exited", (json_int_t)0);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(o, states[i]);
        json_int_t was = json_integer_value(v);
        json_object_set_new(o, states[i], json_integer(was + counts[i]));
        if (strcmp(states[i], "control") != 0) {
            json_object_set_new(
                o, "entered",
                json_integer(json_integer_value(json_object_get(o, "entered")) + counts[i]));
        }
        if (strcmp(states[i], "exited") == 0) {
            json_object_set_new(by_exit, exits[i], json_integer(counts[i]));
        }
    }
    json_object_set_new(o, "by_exit", by_exit);
    return o;
}

json_t *journey_report_doc(struct store_conn *rd, const char *key, int64_t window_days,
                           struct arena *a, struct kt_err *err)
{
    struct journey_row j;
    struct journey_report_step *steps = NULL;
    struct journey_report_group *groups = NULL;
    size_t n_steps = 0, n_groups = 0;
    if (store_journey_get(rd, key, a, &j, NULL, err) != KT_OK ||
        store_journey_report(rd, key, window_days * DAY_MS, a, &steps, &n_steps, &groups, &n_groups,
                             err) != KT_OK) {
        return NULL;
    }
    json_t *runs = runs_doc(rd, key, a, err);
    if (runs == NULL) {
        return NULL;
    }
    json_t *st = json_array();
    for (size_t i = 0; i < n_steps; i++) {
        const struct journey_report_step *s = &steps[i];
        json_array_append_new(
            st, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "step", s->step,
                          "outcome", s->outcome, "count", (json_int_t)s->count, "sent",
                          (json_int_t)s->sent, "capped", (json_int_t)s->capped, "suppressed",
                          (json_int_t)s->suppressed, "pending", (json_int_t)s->pending, "converted",
                          (json_int_t)s->converted, "revenue", (json_int_t)s->revenue));
    }
    const struct journey_report_group *t = NULL, *c = NULL;
    for (size_t i = 0; i < n_groups; i++) {
        *(groups[i].control ? &c : &t) = &groups[i];
    }
    json_t *gs = json_array();
    for (size_t i = 0; i < n_groups; i++) {
        const struct journey_report_group *g = &groups[i];
        json_array_append_new(gs, json_pack("{s:s, s:I, s:I, s:I}", "group",
                                            g->control ? "control" : "journey", "runs",
                                            (json_int_t)g->runs, "buyers", (json_int_t)g->buyers,
                                            "revenue", (json_int_t)g->revenue));
    }
    json_t *uplift = t != NULL && c != NULL
                         ? campaign_uplift_json(t->runs, (double)t->revenue, t->revenue_sq, c->runs,
                                                (double)c->revenue, c->revenue_sq)
                         : json_null();
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o}", "journey", j.key, "name",
                     j.name, "state", j.state, "version", (json_int_t)j.version, "window_days",
                     (json_int_t)window_days, "runs", runs, "steps", st, "groups", gs, "uplift",
                     uplift);
}
