/*
 * fuzz_journey.c - arbitrary bytes as a journey's document (the body of PUT /v1/journeys/{key}):
 * no crash, no leak; a document that decodes is one the engine can walk - one to 64 steps, each
 * with an id and its path, every way out of a step (next, then, the split's ways) a step's index
 * or the end of the run, every step reached from the first, a split's shares summing to 100, and
 * no cycle of steps without a wait on it.
 */
#include <jansson.h>
#include <stdbool.h>
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

static bool waits(const struct journey_step *s)
{
    return s->kind == JS_WAIT || s->kind == JS_WAIT_FOR;
}

/* The steps a step may go to: next, then (a branch's), the split's ways. */
static size_t ways_out(const struct journey_step *s, int *out)
{
    size_t n = 0;
    out[n++] = s->next;
    if (s->kind == JS_BRANCH) {
        out[n++] = s->then;
    }
    for (size_t k = 0; k < s->n_ways; k++) {
        out[n++] = s->ways[k];
    }
    return n;
}

/* From each step that does not wait, the steps reached without passing a wait: never itself
 * (a cycle without a wait would run forever at once). */
static void no_cycle_without_wait(const struct journey_doc *d)
{
    for (size_t i = 0; i < d->n_steps; i++) {
        char seen[JOURNEY_STEPS_MAX] = {0};
        int stack[JOURNEY_STEPS_MAX * (JOURNEY_SPLIT_MAX + 2)], top = 0, out[JOURNEY_SPLIT_MAX + 2];
        if (waits(&d->steps[i])) {
            continue;
        }
        stack[top++] = (int)i;
        while (top > 0) {
            int u = stack[--top];
            size_t n = ways_out(&d->steps[u], out);
            for (size_t k = 0; k < n; k++) {
                int v = out[k];
                if (v < 0 || waits(&d->steps[v])) {
                    continue;
                }
                if (v == (int)i) {
                    abort();
                }
                if (!seen[v]) {
                    seen[v] = 1;
                    stack[top++] = v;
                }
            }
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
