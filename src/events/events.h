/*
 * events.h - behaviour events: what a shop, an app or a message sends about what a customer did
 * (docs/events.md). Decoding checks an event against its type - a standard one of the list in
 * events.c or a custom one the retailer declared - and ingesting stores a batch in one write
 * transaction: each event resolved to its customer (or kept anonymous under a cookie or device
 * id), stored once per message id, linking a cookie to the customer when an event carries both.
 */
#ifndef KT_EVENTS_EVENTS_H
#define KT_EVENTS_EVENTS_H

#include <jansson.h>

#include "auth/keys.h"
#include "store/store.h"

#define EVENTS_BATCH_MAX 1000
#define EVENTS_WINDOW_MS (8LL * 86400 * 1000) /* message ids are kept this long (>= 7 days) */
#define EVENT_TEXT_MAX   2048                 /* a string property, bytes */
#define EVENT_CUSTOM_MAX 200                  /* custom types */
#define EVENT_PROPS_MAX  32                   /* properties of a custom type */

/* The custom types declared, checked (loaded once per batch). */
struct event_types {
    struct event_type_def *defs;
    size_t n;
};

enum kt_rc event_types_load(struct store_conn *c, struct arena *a, struct event_types *out,
                            struct kt_err *err);

/* Checks a custom type's declaration (PUT /v1/event-types/{name}) and gives what is stored. */
enum kt_rc event_type_decode(const char *name, const json_t *body, int64_t now, struct arena *a,
                             struct event_type *out, struct kt_err *err);

/* The standard types, as JSON for GET /v1/event-types (new reference). */
json_t *event_standard_types_json(void);

/* Whether `type` is a standard type or one of the declared `types`. */
bool event_type_known(const struct event_types *types, const char *type);
/* Whether known type `type` has property `prop` (unknown_property at `field`), and, with a
 * `value`, whether it fits the property's type as an event's would (wrong_type, too_long,
 * invalid_value). A journey's event filters are checked so. */
enum kt_rc event_prop_check(const struct event_types *types, const char *type, const char *prop,
                            const json_t *value, const char *field, struct kt_err *err);

/* One event as decoded: the row to store, and who it is about. */
struct event_in {
    struct event e;
    const char *kind, *value;           /* a customer identifier ("id", "phone", ...), or NULL */
    const char *anon_kind, *anon_value; /* a cookie or device id, or NULL */
    const char *message_id;             /* or NULL */
    const char *path;                   /* "events[3]" or "": prefixes the fields of errors */
};

/* Decodes one event object; `path` prefixes the error's field ("events[3]"). */
enum kt_rc event_decode(const json_t *o, const struct event_types *types, int64_t now,
                        const char *path, struct arena *a, struct event_in *out,
                        struct kt_err *err);

/* What became of one event of a batch. */
enum event_status { EVENT_STORED, EVENT_DUPLICATE, EVENT_REFUSED };

struct event_result {
    enum event_status status;
    bool unmatched;    /* its customer identifier named nobody and was left out (EVENT_KEEP) */
    struct kt_err err; /* EVENT_REFUSED: why */
};

/* What becomes of an event whose customer identifier names nobody (docs/events.md). A key that
 * can read customers may be told; a public (collect) key must get the answer it gets for a
 * customer, or it could test whether a phone is one. */
enum event_unknown {
    EVENT_REFUSE, /* refused `customer_not_found` */
    EVENT_KEEP,   /* stored without the identifier, which is kept in no form: anonymous under
                   * its cookie or device id, or with no subject at all */
};

/* Stores decoded events `in[i]` for which `res[i]` is not already EVENT_REFUSED, in the caller's
 * write transaction: resolves each to its customer, treats those naming a customer that does not
 * exist as `unknown` says, drops those whose message id was seen. A store error fails the whole
 * batch. */
enum kt_rc events_ingest(struct store_conn *w, const struct key_secret *k, struct event_in *in,
                         size_t n, enum event_unknown unknown, int64_t now, struct arena *a,
                         struct event_result *res, struct kt_err *err);

/* The same, in a write transaction of its own shared with the batches of other requests that
 * arrive meanwhile (group commit, group.c). A store error fails every batch of the group. Events
 * stored with an identifier left out are counted once their transaction committed. When more
 * than EVENTS_QUEUE_MAX events already wait for the writer, refused at once: KT_ELIMIT
 * `events_busy` with a retry after a second (backpressure, not a failure). */
#define EVENTS_QUEUE_MAX 200000
enum kt_rc events_ingest_grouped(struct store *s, const struct key_secret *k, struct event_in *in,
                                 size_t n, enum event_unknown unknown, int64_t now, struct arena *a,
                                 struct event_result *res, struct kt_err *err);

/* An event Kartoteka observed itself about customer `ck` - a message's feedback
 * (deliver/feedback.c): standard type `type`, properties `props` (a JSON object's text, or NULL),
 * stored in the caller's write transaction unless her data is blocked (152-FZ art. 21), which
 * `stored` says. It is not checked against the type: the caller builds it. */
enum kt_rc events_add_own(struct store_conn *w, int64_t ck, const char *type, const char *channel,
                          const char *props, int64_t at, int64_t now, bool *stored,
                          struct kt_err *err);

/* Events stored without their customer identifier because it named nobody, since the process
 * started (the metric kartoteka_events_unmatched_total). */
uint64_t events_unmatched_total(void);

/* Links a cookie or device id to customer `ck` in the caller's write transaction: the id becomes
 * the customer's identifier and its anonymous events the customer's (`adopted`). An id that
 * belongs to someone already is left as it is. `owner` (may be NULL): whom the id names after,
 * `ck` or that someone. */
enum kt_rc events_link(struct store_conn *w, const char *kind, const char *value, int64_t ck,
                       const char *channel, int64_t now, int64_t *adopted, int64_t *owner,
                       struct kt_err *err);

/* The events' two levels (docs/events.md, "Speed"): where one process writes (SQLite), the
 * message ids and cookies of the newest events are kept in the writer's memory (level 0) and
 * merged, sorted, into their tables (level 1) once there are EVENTS_MERGE_AT of them - or the
 * number in KARTOTEKA_EVENTS_MERGE_AT (events_merge_due()). events_merge() merges when level 0
 * holds `at_least` (1: whatever it holds, read in first), one slice a bulk write, for
 * `budget_ms` at most (0: to the end; a merge left unfinished goes on at the next call), and says
 * how many it `merged`; a merge under way in another thread is left to it. On PostgreSQL (one
 * level) it does nothing. */
#define EVENTS_MERGE_AT 500000
enum kt_rc events_merge(struct store *s, int64_t at_least, int64_t budget_ms, int64_t *merged,
                        struct kt_err *err);
/* events_merge() at the threshold, a second at most (the rest at the next call): the scheduler's
 * job, and the import's between batches. */
enum kt_rc events_merge_due(struct store *s, int64_t *merged, struct kt_err *err);

/* Forgets message ids older than the window (run with the due work). */
enum kt_rc events_forget_ids(struct store *s, int64_t now, int64_t *n, struct kt_err *err);

#define EVENTS_DAYS 365 /* the default term of raw events (--events-days) */

/* Due work: the events received more than `days` days before `now` are rolled up into their
 * daily counts and deleted, in short transactions, the run audited (audit_expiry_run). Every
 * count over events reads the daily counts too, so it stays as it was. `removed` counts them. */
enum kt_rc events_expire(struct store *s, int64_t now, int64_t days, int64_t *removed,
                         struct kt_err *err);

#endif
