/*
 * simulate.h - a journey tried on one customer (POST /v1/journeys/{key}/simulate;
 * docs/journeys.md, "Simulation"): the engine run on a copy of the clock inside a write
 * transaction that is rolled back - nothing sent, nothing stored - from now for `days` days,
 * each wait jumped to its end. The answer is the timeline: every step with its time and outcome,
 * and for every message what the sending policy would decide at that moment (send, hold until,
 * refuse or cap, with the reason). No event arrives in a simulation: a wait-for times out.
 */
#ifndef KT_JOURNEY_SIMULATE_H
#define KT_JOURNEY_SIMULATE_H

#include <jansson.h>
#include <stdint.h>

#include "deliver/policy.h"
#include "journey/run.h"

#define JOURNEY_SIMULATE_DAYS_MAX 400
#define JOURNEY_SIMULATE_STEPS    500 /* moves of the clock at most */

struct journey_sim {
    const char *key;   /* the journey */
    int64_t version;   /* 0: the latest */
    int64_t ck;        /* the customer */
    const char *entry; /* the entry key the run would have ("" for none) */
    json_t *context;   /* the run's context (e.g. {"event": {...}}), or NULL */
    int64_t days;      /* 1..JOURNEY_SIMULATE_DAYS_MAX */
    const struct policy_conf *policy;
};

/* The timeline (a new reference in *out): {"journey", "version", "from", "until", "steps":
 * [{"at", "step", "outcome", "message_id"?, "channel"?, "decision"?, "reason"?, "hold_until"?}],
 * "state", "exit"}. A journey whose document cannot run is 409 journey_unusable. */
enum kt_rc journey_simulate(const struct journey_conf *c, const struct journey_sim *sim,
                            int64_t now, struct arena *a, json_t **out, struct kt_err *err);

#endif
