/*
 * fuzz_tracking.c - arbitrary bytes as one message of the Segment tracking API (docs/collect.md):
 * the first byte picks the call, the rest is the message. No crash, no leak; a message that maps
 * becomes an event whose document event_decode reads without a crash (and, when it decodes, has
 * a type, a channel and someone or a cookie to be about), or a customer document with a source
 * and identifiers; the generic mapping of a track, page or screen call always names `track`.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events/tracking.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_event(const struct track_out *o, struct arena *a)
{
    struct event_types none = {NULL, 0};
    struct event_in in;
    struct kt_err err;
    kt_err_reset(&err);
    if (event_decode(o->doc, &none, 1800000000000LL, "", a, &in, &err) == KT_OK &&
        (in.e.type == NULL || in.e.channel == NULL || (in.kind == NULL && in.anon_kind == NULL))) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    enum track_call call = (enum track_call)(data[0] % 6);
    json_t *v = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        return 0;
    }
    struct arena a;
    arena_init(&a, 0);
    struct event_types none = {NULL, 0};
    static const char *const attrs[] = {"pets"};
    json_t *sent = json_string("2027-01-15T08:00:00Z");
    struct track_ctx c = {&none, attrs, 1, "shop", 1800000000000LL, data[0] & 0x80 ? sent : NULL};
    struct kt_err err;
    for (int generic = 0; generic < 2; generic++) {
        struct track_out o;
        kt_err_reset(&err);
        if (track_map(v, call, generic, &c, "batch[0]", &a, &o, &err) != KT_OK) {
            if (err.code[0] == '\0') {
                abort(); /* a refusal names its reason */
            }
            continue;
        }
        if (o.kind == TRACK_AS_EVENT) {
            const char *type = json_string_value(json_object_get(o.doc, "type"));
            if (type == NULL || (generic && strcmp(type, "track") != 0)) {
                abort();
            }
            check_event(&o, &a);
        } else if (o.kind == TRACK_AS_CUSTOMER &&
                   (!json_is_object(json_object_get(o.doc, "source")) ||
                    json_object_size(json_object_get(o.doc, "identifiers")) == 0)) {
            abort();
        }
    }
    json_decref(sent);
    arena_release(&a);
    json_decref(v);
    return 0;
}
