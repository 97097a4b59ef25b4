/*
 * tracking.h - the Segment tracking spec (docs/collect.md): one message of analytics.js, the
 * server SDKs or the mobile ones, mapped onto what Kartoteka takes - an event (the document
 * event_decode reads) or a customer (the document of POST /v1/customers, which goes through
 * the same decoding, cleaning, identity and consent rules as the API's). Pure: it reads no store;
 * what the retailer declared (custom event types, attributes) comes in the context.
 */
#ifndef KT_EVENTS_TRACKING_H
#define KT_EVENTS_TRACKING_H

#include <jansson.h>

#include "base/arena.h"
#include "base/err.h"
#include "events/events.h"

#define TRACK_EVENT_MAX       (32 * 1024) /* one message, as sent (Segment's limit) */
#define TRACK_BATCH_MAX       5000        /* messages in one batch */
#define TRACK_BATCH_CUSTOMERS 100 /* identify and alias calls in one batch: each is a write */

/* The calls of the spec, and what a batch's message says it is ("type"). */
enum track_call { TRACK_TRACK, TRACK_IDENTIFY, TRACK_PAGE, TRACK_SCREEN, TRACK_GROUP, TRACK_ALIAS };

/* A call's name ("track") or its one-letter form ("t"). */
bool track_call_parse(const char *name, enum track_call *out);

/* What a message becomes. */
enum track_kind {
    TRACK_AS_EVENT,    /* `doc` is an event for event_decode */
    TRACK_AS_CUSTOMER, /* `doc` is a customer document for the upsert */
    TRACK_AS_NOTHING,  /* accepted and dropped: a group call (Kartoteka keeps no accounts) */
};

struct track_ctx {
    const struct event_types *types; /* the retailer's custom event types */
    const char *const *attrs;        /* the declared attribute names (traits of these names go to
                                        the customer's attributes) */
    size_t n_attrs;
    const char *user_system;     /* userId is the identifier ext:<user_system> */
    int64_t received_at;         /* when the request arrived, ms */
    const json_t *batch_sent_at; /* the batch's sentAt, or NULL */
};

struct track_out {
    enum track_kind kind;
    json_t *doc;      /* lives as long as the arena */
    const char *name; /* a track call's event name, or NULL */
    int dropped;      /* properties or traits left out: no place for them in the type or profile */
};

/*
 * Maps message `msg` of call `call` (a batch's message: its own "type") onto `out`; `path`
 * ("batch[3]", or "") prefixes the fields of errors. A track call goes to the type its name maps
 * to (the e-commerce spec's names, a type of that name in snake case, else the open type
 * `track`); with `generic` it goes to `track` whatever its name - the fallback for a message whose
 * properties do not make its mapped type (a cart add without a price). Refuses a message without
 * userId and anonymousId, a time that cannot be read, a messageId longer than 128 bytes.
 */
enum kt_rc track_map(const json_t *msg, enum track_call call, bool generic,
                     const struct track_ctx *c, const char *path, struct arena *a,
                     struct track_out *out, struct kt_err *err);

#endif
