/*
 * journey.h - trigger journeys of issue 13 (docs/journeys.md): a versioned document of an entry,
 * steps and exits, and one run per customer (and entry key) that says where she is and why.
 *
 * The document (doc.c) is decoded and checked once, at PUT, into a `struct journey_doc`: the
 * steps are an array, each naming the steps it may go to by index; the checks that need the
 * store (a template, a segment, a topic, a trait) are journey_doc_check's.
 *
 * The engine (run.c, entry.c, exit.c, steps.c) is the scheduler's job `journey_advance`: it
 * reads what ingest stored (events by seq, purchases by time) from cursors, so ingest does no
 * work for journeys; it enters customers, moves runs that an exit or an awaited event concerns,
 * and advances the due runs through their steps until each waits, in batches, each batch one
 * write transaction in which a step's effect and the run's move commit together. A send is an
 * outbox row with the origin "journey:<run>:<visit>": a step replayed after a crash finds the
 * row it made.
 */
#ifndef KT_JOURNEY_JOURNEY_H
#define KT_JOURNEY_JOURNEY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#define JOURNEY_KEY_MAX       64  /* bytes of a journey's key: [a-z0-9_-] */
#define JOURNEY_NAME_MAX      200 /* bytes of its name */
#define JOURNEY_STEPS_MAX     64  /* steps of one document */
#define JOURNEY_EXITS_MAX     8   /* exits of one document */
#define JOURNEY_WHERE_MAX     8   /* properties of one event filter */
#define JOURNEY_SPLIT_MAX     10  /* ways of one random split */
#define JOURNEY_STEP_ID_MAX   64  /* bytes of a step's id: [a-z0-9_-] */
#define JOURNEY_CONTROL_MAX   90  /* percent held out at entry */
#define JOURNEY_WAIT_MAX_DAYS 400
#define JOURNEY_BATCH         2000 /* runs advanced per write transaction */
#define JOURNEY_RUN_MS        5000 /* one run of the job works this long at most, then yields */

/* An event that an entry, an exit or a wait-for listens for: its type and properties that must
 * equal given values (a string, a whole number or a boolean). */
struct journey_prop {
    const char *name;
    struct store_value v; /* is_number: a whole number (or a boolean as 0/1 with is_bool) */
    bool is_bool;
};
struct journey_event {
    const char *type;
    struct journey_prop where[JOURNEY_WHERE_MAX];
    size_t n_where;
};

enum journey_entry_kind {
    JE_EVENT,     /* an event with a property filter, keyed by a property */
    JE_SEGMENT,   /* entering or leaving a saved segment */
    JE_DATE,      /* a profile or ledger date N days ahead, at a local time of day */
    JE_DAILY,     /* a daily condition in the segment language, at a local time of day */
    JE_REPLENISH, /* a customer's own repurchase interval of a SKU or category about to run out */
    JE_LAPSE,     /* the expected gap between a customer's purchases exceeded by a factor */
};

enum journey_date_field { JD_BIRTHDAY, JD_ENROLLED, JD_POINTS_EXPIRY };

struct journey_entry {
    enum journey_entry_kind kind;
    struct journey_event event;   /* JE_EVENT */
    const char *key;              /* JE_EVENT: the property whose value keys the run (NULL: one
                                     run per customer); JE_REPLENISH: "sku" or "category" */
    const char *segment;          /* JE_SEGMENT: a saved segment's id or name */
    bool on_leave;                /* JE_SEGMENT: on leaving instead of entering */
    enum journey_date_field date; /* JE_DATE */
    int64_t days_before;          /* JE_DATE, JE_REPLENISH */
    const char *query;            /* JE_DAILY; JE_LAPSE's optional narrowing */
    int64_t at_minute;            /* JE_DATE, JE_DAILY: minutes after local midnight */
    int64_t factor_pct;           /* JE_LAPSE: the gap exceeded by this percent (150 = 1.5x) */
};

enum journey_reentry { JR_NEVER, JR_AFTER, JR_ALWAYS };

/* An exit: a purchase (any receipt of the customer after the run entered), or an event. With
 * `same_key`, only an event whose entry-key property equals the run's key (the cart bought). */
struct journey_exit {
    const char *name;
    bool purchase;
    struct journey_event event; /* when !purchase */
    bool same_key;
};

enum journey_step_kind {
    JS_WAIT,     /* a duration; until a local time of day on chosen weekdays; until a date */
    JS_WAIT_FOR, /* an event or a segment condition, with a timeout: `then` or `otherwise` */
    JS_BRANCH,   /* a condition in the segment language: `then` or `otherwise` */
    JS_SPLIT,    /* a keyed random draw among ways */
    JS_SEND,     /* a message through the outbox and its policy */
    JS_POINTS,   /* points granted to the ledger, with an expiry */
    JS_COUPON,   /* a personal coupon with an expiry, in the run's context for later sends */
    JS_TRAIT,    /* a trait set on the customer */
    JS_WEBHOOK,  /* a signed webhook through the outbox's webhook channel */
    JS_EXIT,     /* the run ends here, with a name */
};

enum journey_wait_kind { JW_DURATION, JW_TIME_OF_DAY, JW_DATE };

struct journey_step {
    const char *id;   /* the document's id, or "step-<n>" when it gave none */
    const char *path; /* "steps[3]": where it is in the document, for errors and reports */
    enum journey_step_kind kind;
    int next; /* the step after this one: an index, or -1 for the end of the run */

    /* JS_WAIT */
    enum journey_wait_kind wait;
    int64_t duration_ms;          /* JW_DURATION; also JS_WAIT_FOR's timeout */
    int64_t at_minute;            /* JW_TIME_OF_DAY, JW_DATE: minutes after local midnight */
    unsigned weekdays;            /* JW_TIME_OF_DAY: bit 0 Monday .. bit 6 Sunday; 0x7f every day */
    enum journey_date_field date; /* JW_DATE: the customer's next such date */

    /* JS_WAIT_FOR: an event (type set) or a condition (query set); `next` is the timeout's */
    struct journey_event event;
    const char *query; /* JS_WAIT_FOR, JS_BRANCH: in the segment language */
    int then;          /* JS_WAIT_FOR: the event came; JS_BRANCH: the condition holds */

    /* JS_SPLIT: ways[i] taken by share[i] percent (they sum to 100) */
    int ways[JOURNEY_SPLIT_MAX];
    int64_t share[JOURNEY_SPLIT_MAX];
    size_t n_ways;

    /* JS_SEND */
    const char *template; /* a stored template's name; its channel is the message's */
    int64_t version;      /* the version at save: 0 for the latest when sent */
    const char *topic;    /* required for a marketing message */
    bool transactional;

    /* JS_POINTS: points valid for `days` (0: the programme's expiry) */
    int64_t points, days;
    const char *reason;

    /* JS_COUPON: percent off or kopecks off, valid for `days` */
    int64_t percent, kopecks;

    /* JS_TRAIT: name = value; JS_WEBHOOK: `name` is the event name the receiver gets;
       JS_EXIT: `name` is the exit's name */
    const char *name, *value;
};

/* A journey's document, decoded and checked (in an arena). */
struct journey_doc {
    const char *name;
    struct journey_entry entry;
    enum journey_reentry reentry;
    int64_t reentry_after_ms; /* JR_AFTER */
    int64_t control_pct;      /* 0..JOURNEY_CONTROL_MAX */
    struct journey_exit exits[JOURNEY_EXITS_MAX];
    size_t n_exits;
    struct journey_step steps[JOURNEY_STEPS_MAX];
    size_t n_steps; /* at least one; the run starts at steps[0] */
};

/* Decodes and checks a journey document (pure: no store). A bad node is KT_EINVAL with the code
 * (journey_invalid, journey_unreachable, journey_cycle, journey_loop, unknown_field, ...) and
 * `field` the JSON path of the node (`steps[3].then`). Strings in `a`. */
enum kt_rc journey_doc_decode(const json_t *body, struct arena *a, struct journey_doc *out,
                              struct kt_err *err);

/* The checks against the store, on connection `c`: every template (and its version), segment,
 * topic and trait the document names exists; the conditions compile (segment_check). Refused:
 * KT_EINVAL template_not_found, segment_not_found, topic_not_found, ... with the node's path. */
enum kt_rc journey_doc_check(struct store_conn *c, const struct journey_doc *d, struct arena *a,
                             struct kt_err *err);

#endif
