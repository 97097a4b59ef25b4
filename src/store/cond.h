/*
 * cond.h - a condition on customers, the form in which the store takes a selection of them: a
 * segment's query compiled (segment/compile.c) into a small tree of primitive conditions with
 * every value resolved - times in ms, money in kopecks, dates as stored, profile fields by number.
 *
 * Each backend turns a condition into its own SQL (store/sqlite/cond.c), every value a bound
 * parameter; nothing of the segment language - its words, its defaults, what "age" or "profile
 * complete" means - is known below segment/, so a backend has only these primitives to write.
 *
 * A condition lives in the arena it was compiled into; the store only reads it.
 */
#ifndef KT_STORE_COND_H
#define KT_STORE_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum store_cond_kind {
    COND_AND,            /* a and b */
    COND_OR,             /* a or b */
    COND_NOT,            /* not a; a condition that is unknown (SQL NULL) counts as false */
    COND_FIELD_SET,      /* the profile field has a value */
    COND_FIELD_CMP,      /* field <cmp> value.text: profile values are text, compared as text */
    COND_FIELD_IN,       /* the field is one of texts */
    COND_FIELD_VERIFIED, /* the field was verified (a code, a link) */
    COND_BIRTHDAY_IN,    /* the month and day of the birth date ("MM-DD") is one of texts */
    COND_EVENTS,         /* the number of events `name` since `since` [whose property `prop`
                            equals prop_value] <cmp> value.number */
    COND_PURCHASES,      /* agg over the purchases since `since` <cmp> value.number (kopecks
                            for a sum or an average) */
    COND_DAYS_SINCE_PURCHASE, /* whole days from the last purchase to `now` <cmp> value.number */
    COND_POINTS,              /* the balance of the points ledger <cmp> value.number */
    COND_BOUGHT,              /* a purchase line since `since` whose sku (by_sku) or category is
                                 value.text */
    COND_ATTR,                /* the declared attribute `name` <cmp> value */
    COND_ATTR_CONTAINS,       /* the list attribute `name` holds value */
    COND_IN_SEGMENT,          /* a member of the saved segment `name` (as of its last refresh) */
    COND_TRAIT,               /* the trait `name` <cmp> value.text */
    COND_CONSENT,             /* the consent to purpose `name` on `channel` ("" = not by channel)
                                 is given at `now`: the latest event a grant, not expired, and
                                 no later version of its document asking for it again */
    COND_TOPIC_CHANNEL,       /* topic `name` goes by `channel` */
    COND_SUBSCRIBED,          /* the customer's latest choice of topic `name` on `channel` is on */
};

enum store_cond_cmp { COND_EQ, COND_NE, COND_LT, COND_LE, COND_GT, COND_GE };

enum store_cond_agg { COND_COUNT, COND_SUM, COND_AVERAGE };

struct store_value {
    bool is_number;
    int64_t number;
    const char *text; /* when !is_number */
};

struct store_cond {
    enum store_cond_kind kind;
    const struct store_cond *a, *b; /* AND, OR: both; NOT: a */
    int field;                      /* FIELD_*: an enum profile_field (store/model.h) */
    enum store_cond_cmp cmp;
    struct store_value value; /* the right-hand side */
    const char *const *texts; /* FIELD_IN, BIRTHDAY_IN */
    size_t n_texts;
    const char *name;    /* the event type, attribute, segment, trait, purpose or topic */
    const char *channel; /* CONSENT, TOPIC_CHANNEL, SUBSCRIBED */
    const char *prop;    /* EVENTS: a property of the event's, or NULL */
    struct store_value prop_value;
    int64_t since;           /* EVENTS, PURCHASES, BOUGHT: ms; 0 = all of them */
    int64_t now;             /* DAYS_SINCE_PURCHASE, CONSENT: ms */
    enum store_cond_agg agg; /* PURCHASES */
    bool by_sku;             /* BOUGHT: the sku, else the category */
};

#endif
