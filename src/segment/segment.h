/*
 * segment.h - the segment language (docs/segments.md): a query like
 *
 *     events(page_view, last 30 days) >= 2 and events(email_open) > 1 and gender = "f"
 *
 * parsed by hand into a tree of nodes. The tree holds only whitelisted names (fields, event
 * types and properties checked here) and values. segment_compile() makes of it the condition
 * the store runs (store/cond.h), deciding what each word means; the store turns that into
 * parameterised SQL of its own, so no text of a query ever reaches SQL as SQL.
 */
#ifndef KT_SEGMENT_SEGMENT_H
#define KT_SEGMENT_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "store/cond.h"

#define SEGMENT_TEXT_MAX 4096
#define SEGMENT_DEPTH    32  /* nesting of parentheses and nots */
#define SEGMENT_VALUES   100 /* values of one "in (...)" */

enum seg_kind {
    SEG_AND,
    SEG_OR,
    SEG_NOT,
    SEG_HAS,        /* has <field> */
    SEG_CMP,        /* <field> <op> <value> */
    SEG_IN,         /* <field> in (<values>) */
    SEG_AGE,        /* age <op> <number> (between becomes two) */
    SEG_EVENTS,     /* events(<type> [where <prop> = <value>] [, last N days]) <op> <number> */
    SEG_PURCHASES,  /* purchases([last N days]).count|sum|average <op> <number> */
    SEG_SINCE,      /* days since last purchase <op> <number> */
    SEG_POINTS,     /* points.balance <op> <number> */
    SEG_BOUGHT,     /* bought(category|sku <string> [, last N days]) */
    SEG_BIRTHDAY,   /* birthday within N days */
    SEG_ATTR,       /* <attribute> <op> <value>: a declared attribute */
    SEG_CONTAINS,   /* <attribute> contains <value>: a list attribute */
    SEG_SEGMENT,    /* in segment <string>: a saved segment's members at its last refresh */
    SEG_TRAIT,      /* trait <name> <op> <value> */
    SEG_CONSENT,    /* consent(<purpose> [, <channel>]): given now */
    SEG_SUBSCRIBED, /* subscribed(<topic>, <channel>): active now */
    SEG_COMPLETE,   /* profile complete: phone verified, first name, birth date, pd consent */
};

enum seg_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

enum seg_agg { AGG_COUNT, AGG_SUM, AGG_AVERAGE };

struct seg_value {
    bool is_number;
    int64_t number;   /* integers only: money in roubles, counts, days */
    const char *text; /* strings */
};

struct seg_node {
    enum seg_kind kind;
    struct seg_node *a, *b; /* AND, OR: both; NOT: a */
    const char *field;      /* a profile column, from the whitelist */
    enum seg_op op;
    struct seg_value value;   /* CMP; the number of AGE, EVENTS, PURCHASES, SINCE, POINTS */
    struct seg_value *values; /* IN */
    size_t n_values;
    const char *type; /* EVENTS: the event type; BOUGHT: "category" or "sku" */
    const char *attr; /* ATTR, CONTAINS: the attribute's name */
    const char *prop; /* EVENTS: "where" property, or NULL */
    struct seg_value prop_value;
    int64_t days;     /* EVENTS, PURCHASES: the window; 0 = all time */
    enum seg_agg agg; /* PURCHASES */
};

/* Where a query went wrong: 1-based line and column, what was expected, and the line with a
 * caret under the spot. */
struct seg_error {
    int line, column;
    char message[160];
    char caret[2 * 160];
};

/* Parses `text` (at most SEGMENT_TEXT_MAX bytes) into a tree in the arena; false with `e` set. */
bool segment_parse(const char *text, struct arena *a, struct seg_node **out, struct seg_error *e);

/* The query as a condition the store runs (store/cond.h): its words turned into primitives, its
 * ages, birthdays and windows into dates and times as of `now` (ms), roubles into kopecks. Lives
 * in the arena, as the tree does. */
const struct store_cond *segment_compile(const struct seg_node *n, int64_t now, struct arena *a);

/* The query in words (Russian, as the console speaks): what each condition means as compiled -
 * windows, roubles, consents given now (POST /v1/segments/preview's `explanation`). */
const char *segment_explain(const struct seg_node *n, struct arena *a);

/* The profile fields a query may name (NULL-terminated). */
extern const char *const segment_fields[];

#endif
