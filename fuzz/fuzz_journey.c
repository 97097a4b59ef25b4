/*
 * fuzz_journey.c - arbitrary bytes as a journey's document (the body of PUT /v1/journeys/{key}):
 * no crash, no leak; a document that decodes is one the engine can walk - one to 64 steps, each
 * with an id and its path, every way out of a step (next, then, the split's ways) a step's index
 * or the end of the run, every step reached from the first, a split's shares summing to 100, and
 * no cycle of steps without a wait on it.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journey/journey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void way(const struct journey_doc *d, int to, char *reached)
{
    if (to < -1 || to >= (int)d->n_steps) {
        abort();
    }
    if (to >= 0) {
        reached[to] = 1;
    }
}

/* Walks `n_steps` moves from each step without passing a wait: a cycle without one never ends,
 * so a walk that lasts longer than there are steps would have found one. */
static void no_cycle_without_wait(const struct journey_doc *d)
{
    for (size_t i = 0; i < d->n_steps; i++) {
        int at = (int)i;
        for (size_t n = 0; at >= 0; n++) {
            const struct journey_step *s = &d->steps[at];
            if (n > d->n_steps) {
                abort();
            }
            if (s->kind == JS_WAIT || s->kind == JS_WAIT_FOR || s->kind == JS_SPLIT ||
                s->kind == JS_BRANCH) {
                break; /* a split's or a branch's other ways are walked from their own steps */
            }
            at = s->next;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        return 0;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct journey_doc d;
    if (journey_doc_decode(v, &a, &d, &err) == KT_OK) {
        char reached[JOURNEY_STEPS_MAX] = {1};
        if (d.n_steps < 1 || d.n_steps > JOURNEY_STEPS_MAX || d.name == NULL ||
            d.n_exits > JOURNEY_EXITS_MAX || d.control_pct < 0 ||
            d.control_pct > JOURNEY_CONTROL_MAX) {
            abort();
        }
        for (size_t i = 0; i < d.n_steps; i++) {
            const struct journey_step *s = &d.steps[i];
            if (s->id == NULL || s->path == NULL) {
                abort();
            }
            way(&d, s->next, reached);
            if (s->kind == JS_WAIT_FOR || s->kind == JS_BRANCH) {
                way(&d, s->then, reached);
            }
            int64_t sum = 0;
            for (size_t k = 0; k < s->n_ways; k++) {
                way(&d, s->ways[k], reached);
                sum += s->share[k];
            }
            if (s->kind == JS_SPLIT && sum != 100) {
                abort();
            }
        }
        if (memchr(reached, 0, d.n_steps) != NULL) {
            abort();
        }
        no_cycle_without_wait(&d);
    } else if (err.code[0] == '\0') {
        abort(); /* a refusal always says why */
    }
    json_decref(v);
    arena_release(&a);
    return 0;
}
