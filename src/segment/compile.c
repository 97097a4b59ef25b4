/*
 * compile.c - a parsed segment query as a condition the store runs (store/cond.h).
 *
 * What the language means is decided here, once, for every backend: an age is a range of birth
 * dates on the UTC day of `now`, "birthday within N days" the month-days of the coming N days
 * (Feb 29 counting on Feb 28 in other years), a window "last N days" a time, roubles kopecks,
 * "profile complete" and "subscribed" the conditions they are made of. The store turns only
 * primitives into SQL.
 *
 * The tree comes from segment_parse(), so its fields are from the whitelist; everything lands in
 * the arena.
 */
#include <assert.h>
#include <string.h>

#include "base/clock.h"
#include "segment/segment.h"
#include "store/model.h"

#define DAY_MS (86400LL * 1000)

/* The language's operators are the store's, in the same order. */
_Static_assert((int)OP_EQ == (int)COND_EQ && (int)OP_NE == (int)COND_NE &&
                   (int)OP_LT == (int)COND_LT && (int)OP_LE == (int)COND_LE &&
                   (int)OP_GT == (int)COND_GT && (int)OP_GE == (int)COND_GE,
               "enum seg_op and enum store_cond_cmp differ");
_Static_assert((int)AGG_COUNT == (int)COND_COUNT && (int)AGG_SUM == (int)COND_SUM &&
                   (int)AGG_AVERAGE == (int)COND_AVERAGE,
               "enum seg_agg and enum store_cond_agg differ");

static struct store_cond *cond(struct arena *a, enum store_cond_kind kind)
{
    struct store_cond *c = arena_zalloc(a, sizeof(*c));
    c->kind = kind;
    return c;
}

static struct store_cond *pair(struct arena *a, enum store_cond_kind kind,
                               const struct store_cond *x, const struct store_cond *y)
{
    struct store_cond *c = cond(a, kind);
    c->a = x;
    c->b = y;
    return c;
}

/* Profile values are text: a number is compared as its text. */
static struct store_value text_of(const struct seg_value *v, struct arena *a)
{
    const char *t = v->is_number ? arena_printf(a, "%lld", (long long)v->number) : v->text;
    return (struct store_value){false, 0, t};
}

static struct store_value value_of(const struct seg_value *v)
{
    return (struct store_value){v->is_number, v->number, v->text};
}

static int field_of(const char *name)
{
    int f = pf_lookup(name);
    assert(f >= 0); /* the parser takes fields from segment_fields, all of them profile fields */
    return f;
}

static struct store_cond *field_cmp(struct arena *a, int field, enum store_cond_cmp cmp,
                                    const char *text)
{
    struct store_cond *c = cond(a, COND_FIELD_CMP);
    c->field = field;
    c->cmp = cmp;
    c->value = (struct store_value){false, 0, text};
    return c;
}

/* The date `years` before the UTC day of `now`, as stored ("YYYY-MM-DD"); Feb 29 -> Feb 28. */
static const char *years_before(int64_t now, int64_t years, struct arena *a)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(now / DAY_MS, &y, &m, &d);
    y -= years;
    while (d > 28 && !date_valid(y, m, d)) {
        d--;
    }
    return arena_printf(a, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* age <op> n: age >= n <=> born on or before the day n years ago. */
static const struct store_cond *age(enum seg_op op, int64_t n, int64_t now, struct arena *a)
{
    switch (op) {
    case OP_GE:
    case OP_GT:
        return field_cmp(a, PF_BIRTH_DATE, COND_LE, years_before(now, op == OP_GE ? n : n + 1, a));
    case OP_LE:
    case OP_LT:
        return field_cmp(a, PF_BIRTH_DATE, COND_GT, years_before(now, op == OP_LE ? n + 1 : n, a));
    case OP_EQ:
        return pair(a, COND_AND, field_cmp(a, PF_BIRTH_DATE, COND_LE, years_before(now, n, a)),
                    field_cmp(a, PF_BIRTH_DATE, COND_GT, years_before(now, n + 1, a)));
    default: /* OP_NE */
        return pair(a, COND_OR, field_cmp(a, PF_BIRTH_DATE, COND_GT, years_before(now, n, a)),
                    field_cmp(a, PF_BIRTH_DATE, COND_LE, years_before(now, n + 1, a)));
    }
}

/* birthday within N days: the month and day of the birth date is one of today's .. today+N's
 * (UTC); a Feb 29 birthday counts on Feb 28 in other years. */
static const struct store_cond *birthday(int64_t days, int64_t now, struct arena *a)
{
    struct store_cond *c = cond(a, COND_BIRTHDAY_IN);
    const char **texts = NULL;
    size_t cap = 0;
    int64_t today = now / DAY_MS;
    for (int64_t d = 0; d <= days; d++) {
        int64_t y;
        unsigned m, dd;
        civil_from_days(today + d, &y, &m, &dd);
        *(const char **)arena_push(a, &texts, &c->n_texts, &cap, sizeof(*texts)) =
            arena_printf(a, "%02u-%02u", m, dd);
        if (m == 2 && dd == 28 && !date_valid(y, 2, 29)) {
            *(const char **)arena_push(a, &texts, &c->n_texts, &cap, sizeof(*texts)) = "02-29";
        }
    }
    c->texts = texts;
    return c;
}

static const struct store_cond *consent(const char *purpose, const char *channel, int64_t now,
                                        struct arena *a)
{
    struct store_cond *c = cond(a, COND_CONSENT);
    c->name = purpose;
    c->channel = channel;
    c->now = now;
    return c;
}

/* subscribed(topic, channel): the topic goes by the channel, the customer chose it last, and
 * both consents hold - to the processing of personal data, and to advertising on the channel. */
static const struct store_cond *subscribed(const char *topic, const char *channel, int64_t now,
                                           struct arena *a)
{
    struct store_cond *by = cond(a, COND_TOPIC_CHANNEL), *chose = cond(a, COND_SUBSCRIBED);
    by->name = chose->name = topic;
    by->channel = chose->channel = channel;
    return pair(
        a, COND_AND,
        pair(a, COND_AND, pair(a, COND_AND, by, chose), consent("pd_processing", "", now, a)),
        consent("ads", channel, now, a));
}

/* profile complete: a first name, a birth date, a verified phone and consent to processing. */
static const struct store_cond *complete(int64_t now, struct arena *a)
{
    static const int needed[] = {PF_FIRST_NAME, PF_BIRTH_DATE, PF_PHONE};
    const struct store_cond *all = NULL;
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        struct store_cond *set = cond(a, COND_FIELD_SET);
        set->field = needed[i];
        all = all ? pair(a, COND_AND, all, set) : set;
    }
    struct store_cond *verified = cond(a, COND_FIELD_VERIFIED);
    verified->field = PF_PHONE;
    return pair(a, COND_AND, pair(a, COND_AND, all, verified),
                consent("pd_processing", "", now, a));
}

/* The start of a window of `days` before now; 0 (all time) for none. */
static int64_t window(int64_t days, int64_t now)
{
    return days ? now - days * DAY_MS : 0;
}

/* The conditions on the profile's own columns. */
static const struct store_cond *profile(const struct seg_node *n, struct arena *a)
{
    struct store_cond *c = cond(a, n->kind == SEG_HAS   ? COND_FIELD_SET
                                   : n->kind == SEG_CMP ? COND_FIELD_CMP
                                                        : COND_FIELD_IN);
    c->field = field_of(n->field);
    c->cmp = (enum store_cond_cmp)n->op;
    if (n->kind == SEG_CMP) {
        c->value = text_of(&n->value, a);
    } else if (n->kind == SEG_IN) {
        const char **texts = arena_alloc(a, sizeof(*texts) * (n->n_values ? n->n_values : 1));
        for (size_t i = 0; i < n->n_values; i++) {
            texts[i] = text_of(&n->values[i], a).text;
        }
        c->texts = texts;
        c->n_texts = n->n_values;
    }
    return c;
}

/* What the customer did: events, purchases, points. */
static const struct store_cond *behaviour(const struct seg_node *n, int64_t now, struct arena *a)
{
    struct store_cond *c = cond(a, n->kind == SEG_EVENTS      ? COND_EVENTS
                                   : n->kind == SEG_PURCHASES ? COND_PURCHASES
                                   : n->kind == SEG_SINCE     ? COND_DAYS_SINCE_PURCHASE
                                   : n->kind == SEG_BOUGHT    ? COND_BOUGHT
                                                              : COND_POINTS);
    c->cmp = (enum store_cond_cmp)n->op;
    c->value = (struct store_value){true, n->value.number, NULL};
    switch (n->kind) {
    case SEG_EVENTS:
        c->name = n->type;
        c->since = window(n->days, now);
        c->prop = n->prop;
        c->prop_value = value_of(&n->prop_value);
        break;
    case SEG_PURCHASES:
        c->agg = (enum store_cond_agg)n->agg;
        c->since = window(n->days, now);
        if (n->agg != AGG_COUNT) {
            c->value.number = n->value.number * 100; /* the language speaks roubles */
        }
        break;
    case SEG_SINCE:
        c->now = now;
        break;
    case SEG_BOUGHT:
        c->by_sku = strcmp(n->type, "sku") == 0; /* else "category" */
        c->value = (struct store_value){false, 0, n->value.text};
        c->since = window(n->days, now);
        break;
    default: /* SEG_POINTS: the comparison alone */
        break;
    }
    return c;
}

/* Declared attributes, traits and saved segments. */
static const struct store_cond *computed(const struct seg_node *n, struct arena *a)
{
    struct store_cond *c = cond(a, n->kind == SEG_ATTR       ? COND_ATTR
                                   : n->kind == SEG_CONTAINS ? COND_ATTR_CONTAINS
                                   : n->kind == SEG_TRAIT    ? COND_TRAIT
                                                             : COND_IN_SEGMENT);
    c->cmp = (enum store_cond_cmp)n->op;
    c->name = n->kind == SEG_SEGMENT ? n->value.text : n->attr;
    c->value = n->kind == SEG_TRAIT ? text_of(&n->value, a) : value_of(&n->value);
    return c;
}

static const struct store_cond *lower(const struct seg_node *n, int64_t now, struct arena *a)
{
    switch (n->kind) {
    case SEG_AND:
    case SEG_OR:
        return pair(a, n->kind == SEG_AND ? COND_AND : COND_OR, lower(n->a, now, a),
                    lower(n->b, now, a));
    case SEG_NOT:
        return pair(a, COND_NOT, lower(n->a, now, a), NULL);
    case SEG_HAS:
    case SEG_CMP:
    case SEG_IN:
        return profile(n, a);
    case SEG_AGE:
        return age(n->op, n->value.number, now, a);
    case SEG_BIRTHDAY:
        return birthday(n->days, now, a);
    case SEG_EVENTS:
    case SEG_PURCHASES:
    case SEG_SINCE:
    case SEG_BOUGHT:
    case SEG_POINTS:
        return behaviour(n, now, a);
    case SEG_ATTR:
    case SEG_CONTAINS:
    case SEG_SEGMENT:
    case SEG_TRAIT:
        return computed(n, a);
    case SEG_CONSENT:
        return consent(n->type, n->attr, now, a);
    case SEG_SUBSCRIBED:
        return subscribed(n->type, n->attr, now, a);
    case SEG_COMPLETE:
        return complete(now, a);
    }
    return NULL;
}

const struct store_cond *segment_compile(const struct seg_node *n, int64_t now, struct arena *a)
{
    return lower(n, now, a);
}
