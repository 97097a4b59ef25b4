/*
 * fuzz_events.c - arbitrary bytes as one behaviour event (the body of POST /v1/events, a member
 * of a batch, or a browser's beacon) and as a custom type's declaration: no crash, no leak; a
 * decoded event has a type and a channel and properties that are a JSON object; a declaration
 * that decodes is one an event can then be checked against.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    struct event_types none = {NULL, 0};
    struct event_in in;
    if (event_decode(v, &none, 1800000000000LL, "events[0]", &a, &in, &err) == KT_OK) {
        if (in.e.type == NULL || in.e.channel == NULL ||
            (in.kind == NULL && in.anon_kind == NULL)) {
            abort();
        }
        if (in.e.props != NULL) {
            json_t *p = json_loads(in.e.props, 0, NULL);
            if (!json_is_object(p)) {
                abort(); /* what is stored reads back as an object */
            }
            json_decref(p);
        }
        if (in.e.at > 1800000000000LL + 5 * 60 * 1000) {
            abort();
        }
    }
    kt_err_reset(&err);
    struct event_type t;
    if (json_is_object(v) && event_type_decode("fuzzed", v, 1, &a, &t, &err) == KT_OK) {
        json_t *p = json_loads(t.properties, 0, NULL), *r = json_loads(t.required, 0, NULL);
        if (!json_is_object(p) || !json_is_array(r)) {
            abort();
        }
        json_decref(p);
        json_decref(r);
    }
    json_decref(v);
    arena_release(&a);
    return 0;
}
