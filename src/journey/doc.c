/*
 * doc.c - a journey's document decoded into a struct journey_doc (journey.h; docs/journeys.md,
 * "The document"): pure, no store. Every member is read by the decoder rule (base/jsonx.h), so a
 * bad member has the usual code and its JSON path; what the document's own rules refuse has the
 * journey codes: an entry or a step of none or two kinds (journey_invalid), a reference to no
 * step (step_not_found), two steps of one id (duplicate_step), a step no path reaches
 * (journey_unreachable), a cycle of steps with no wait on it (journey_cycle), a journey that
 * sends and enters on the feedback of messages (journey_loop). Conditions in the segment
 * language are parsed here (syntax_error); what needs the store is doc_check.c's.
 */
#include <math.h>
#include <string.h>

#include "base/jsonx.h"
#include "events/events.h"
#include "journey/journey.h"
#include "segment/saved.h"

#define MIN_MS        (60 * 1000LL)
#define DAY_MS        (86400 * 1000LL)
#define EDGES_MAX     (JOURNEY_SPLIT_MAX + 2)
#define NAME_MAX_LEN  64   /* an event type's, a property's, a trait's, a webhook event's name */
#define TRAIT_VAL_MAX 200  /* bytes of a trait step's value */
#define REASON_MAX    200  /* bytes of a points step's reason */
#define REENTRY_DAYS  3650 /* re-entry after at most ten years */

/* A way out of a step: to step `to` (-1: the run ends), named in the document at `field` (the
 * step's own path when it is the implicit next step). */
struct edge {
    int to;
    const char *field;
};

struct dec {
    struct arena *a;
    struct kt_err *err;
    struct journey_doc *d;
    struct edge edges[JOURNEY_STEPS_MAX][EDGES_MAX];
    const char *refs[JOURNEY_STEPS_MAX][EDGES_MAX]; /* the ids named, NULL: the edge's default */
    size_t n_edges[JOURNEY_STEPS_MAX];
};

/* The event types a message's feedback records (deliver/feedback.c, docs/events.md). */
static const char *const feedback_types[] = {
    "email_open",      "email_click",    "email_delivered",   "sms_delivered",
    "message_bounced", "spam_complaint", "message_delivered", NULL};

static const char *const weekday_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

static enum kt_rc refuse(struct dec *x, const char *code, const char *field, const char *msg)
{
    return kt_err_set(x->err, KT_EINVAL, code, field, "%s", msg);
}

static const char *at(struct dec *x, const char *path, const char *name)
{
    return arena_printf(x->a, "%s.%s", path, name);
}

static bool listed(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(list[i], s) == 0) {
            return true;
        }
    }
    return false;
}

/* [a-z0-9_-], 1..max bytes (with `lead`, the first a letter and no '-': a name of the store's). */
static bool word_ok(const char *s, size_t max, bool lead)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || (lead && (s[0] < 'a' || s[0] > 'z'))) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (c == '-' && !lead);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* A required or optional word member: jsonx_str, then word_ok. */
static enum kt_rc word(struct dec *x, const json_t *o, const char *path, const char *name,
                       size_t max, bool lead, unsigned flags, const char **out)
{
    if (jsonx_str(o, path, name, max, flags, x->a, out, x->err) != KT_OK) {
        return x->err->rc;
    }
    if (*out != NULL && !word_ok(*out, max, lead)) {
        return refuse(x, "invalid_value", at(x, path, name),
                      lead ? "a name of a-z, 0-9 and _, starting with a letter"
                           : "an id of a-z, 0-9, _ and -");
    }
    return KT_OK;
}

/* How many of `kinds` the object has (null members are absent); *which the last one found. */
static size_t kinds_in(const json_t *o, const char *const *kinds, size_t *which)
{
    size_t n = 0;
    for (size_t i = 0; kinds[i] != NULL; i++) {
        const json_t *v = json_object_get(o, kinds[i]);
        if (v != NULL && !json_is_null(v)) {
            n++;
            *which = i;
        }
    }
    return n;
}

/* "HH:MM", 00:00..23:59, as minutes after midnight. */
static enum kt_rc hhmm(struct dec *x, const json_t *o, const char *path, const char *name,
                       int64_t *out)
{
    const char *s;
    if (jsonx_str(o, path, name, 5, JSONX_REQUIRED, x->a, &s, x->err) != KT_OK) {
        return x->err->rc;
    }
    bool ok = strlen(s) == 5 && s[2] == ':';
    for (int i = 0; ok && i < 5; i++) {
        ok = i == 2 || (s[i] >= '0' && s[i] <= '9');
    }
    int h = ok ? (s[0] - '0') * 10 + (s[1] - '0') : 0,
        m = ok ? (s[3] - '0') * 10 + (s[4] - '0') : 0;
    if (!ok || h > 23 || m > 59) {
        return refuse(x, "invalid_value", at(x, path, name), "a local time of day, \"HH:MM\"");
    }
    *out = h * 60 + m;
    return KT_OK;
}

/* A duration: the one of `minutes`, `hours`, `days` the object has, at most
 * JOURNEY_WAIT_MAX_DAYS. */
static enum kt_rc duration(struct dec *x, const json_t *o, const char *path, int64_t *ms)
{
    static const char *const units[] = {"minutes", "hours", "days", NULL};
    static const int64_t per_day[] = {1440, 24, 1}, unit_ms[] = {MIN_MS, 60 * MIN_MS, DAY_MS};
    size_t u = 0;
    if (kinds_in(o, units, &u) != 1) {
        return refuse(x, "journey_invalid", path, "a duration is one of minutes, hours or days");
    }
    int64_t n;
    if (jsonx_int(o, path, units[u], 1, JOURNEY_WAIT_MAX_DAYS * per_day[u], JSONX_REQUIRED, &n,
                  x->err) != KT_OK) {
        return x->err->rc;
    }
    *ms = n * unit_ms[u];
    return KT_OK;
}

/* A condition in the segment language, parsed (the store's checks are doc_check.c's). */
static enum kt_rc query(struct dec *x, const json_t *o, const char *path, const char *name,
                        unsigned flags, const char **out)
{
    struct seg_node *tree;
    struct seg_error se = {0};
    if (jsonx_str(o, path, name, SEGMENT_TEXT_MAX, flags, x->a, out, x->err) != KT_OK) {
        return x->err->rc;
    }
    if (*out != NULL && !segment_parse(*out, x->a, &tree, &se)) {
        return kt_err_set(x->err, KT_EINVAL, "syntax_error", at(x, path, name),
                          "line %d, column %d: %s", se.line, se.column, se.message);
    }
    return KT_OK;
}

/* {"type": T, "where": {P: V, ...}}: V a string, a whole number or a boolean. */
static enum kt_rc event_filter(struct dec *x, const json_t *parent, const char *ppath,
                               const char *name, struct journey_event *e)
{
    static const char *const known[] = {"type", "where", NULL};
    const json_t *o = NULL, *where = NULL;
    const char *path = at(x, ppath, name);
    if (jsonx_object(parent, ppath, name, known, JSONX_REQUIRED, x->a, &o, x->err) != KT_OK ||
        word(x, o, path, "type", NAME_MAX_LEN, true, JSONX_REQUIRED, &e->type) != KT_OK ||
        jsonx_object(o, path, "where", NULL, 0, x->a, &where, x->err) != KT_OK) {
        return x->err->rc;
    }
    if (json_object_size(where) > JOURNEY_WHERE_MAX) {
        return kt_err_set(x->err, KT_EINVAL, "too_many", at(x, path, "where"),
                          "at most %d properties", JOURNEY_WHERE_MAX);
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)where, key, v)
    {
        const char *field = arena_printf(x->a, "%s.where.%s", path, key);
        struct journey_prop *p = &e->where[e->n_where];
        *p = (struct journey_prop){.name = arena_strdup(x->a, key)};
        if (!word_ok(key, NAME_MAX_LEN, true)) {
            return refuse(x, "invalid_value", field, "a property's name");
        }
        if (json_is_boolean(v)) {
            p->is_bool = p->v.is_number = true;
            p->v.number = json_is_true(v);
        } else if (json_is_integer(v)) {
            p->v.is_number = true;
            p->v.number = json_integer_value(v);
        } else if (jsonx_str_at(v, field, EVENT_TEXT_MAX, JSONX_REQUIRED | JSONX_EMPTY_OK, x->a,
                                &p->v.text, x->err) != KT_OK) {
            return x->err->rc; /* a number with a fraction, an object, null... */
        }
        e->n_where++;
    }
    return KT_OK;
}

/* ---- the entry, re-entry and exits ----------------------------------------------------------- */

static enum kt_rc entry_kind(struct dec *x, const json_t *o, size_t kind, struct journey_entry *e)
{
    static const char *const dates[] = {"birthday", "enrolled", "points_expiry", NULL};
    static const char *const ons[] = {"enter", "leave", NULL};
    static const char *const bys[] = {"sku", "category", NULL};
    static const char *const k_seg[] = {"segment", "on", NULL};
    static const char *const k_date[] = {"field", "days_before", "at", NULL};
    static const char *const k_daily[] = {"query", "at", NULL};
    static const char *const k_repl[] = {"by", "days_before", NULL};
    static const char *const k_lapse[] = {"factor", "query", NULL};
    static const char *const *const known[] = {NULL, k_seg, k_date, k_daily, k_repl, k_lapse};
    static const char *const names[] = {"event", "segment", "date", "daily", "replenish", "lapse"};
    const char *path = at(x, "entry", names[kind]), *w = NULL;
    const json_t *b = NULL;
    e->kind = (enum journey_entry_kind)kind;
    if (kind == JE_EVENT) {
        return event_filter(x, o, "entry", "event", &e->event);
    }
    if (jsonx_object(o, "entry", names[kind], known[kind], JSONX_REQUIRED, x->a, &b, x->err) !=
        KT_OK) {
        return x->err->rc;
    }
    switch (e->kind) {
    case JE_SEGMENT:
        if (jsonx_str(b, path, "segment", SEGMENT_NAME_MAX, JSONX_REQUIRED, x->a, &e->segment,
                      x->err) != KT_OK ||
            jsonx_enum(b, path, "on", ons, 0, &w, x->err) != KT_OK) {
            return x->err->rc;
        }
        e->on_leave = w != NULL && strcmp(w, "leave") == 0;
        return KT_OK;
    case JE_DATE:
        if (jsonx_enum(b, path, "field", dates, JSONX_REQUIRED, &w, x->err) != KT_OK ||
            jsonx_int(b, path, "days_before", 0, 366, 0, &e->days_before, x->err) != KT_OK ||
            hhmm(x, b, path, "at", &e->at_minute) != KT_OK) {
            return x->err->rc;
        }
        e->date = strcmp(w, "birthday") == 0   ? JD_BIRTHDAY
                  : strcmp(w, "enrolled") == 0 ? JD_ENROLLED
                                               : JD_POINTS_EXPIRY;
        return KT_OK;
    case JE_DAILY:
        if (query(x, b, path, "query", JSONX_REQUIRED, &e->query) != KT_OK) {
            return x->err->rc;
        }
        return hhmm(x, b, path, "at", &e->at_minute);
    case JE_REPLENISH:
        if (jsonx_enum(b, path, "by", bys, JSONX_REQUIRED, &e->key, x->err) != KT_OK) {
            return x->err->rc;
        }
        return jsonx_int(b, path, "days_before", 0, 365, 0, &e->days_before, x->err);
    case JE_LAPSE: {
        const json_t *f = json_object_get(b, "factor");
        const char *field = at(x, path, "factor");
        if (f == NULL || json_is_null(f)) {
            return refuse(x, "missing_field", field, "the factor is required");
        }
        if (!json_is_number(f)) {
            return refuse(x, "wrong_type", field, "the factor is a number");
        }
        double v = json_number_value(f);
        if (!(v >= 1.0 && v <= 10.0)) {
            return refuse(x, "invalid_value", field, "the factor is from 1 to 10");
        }
        e->factor_pct = (int64_t)llround(v * 100.0);
        return query(x, b, path, "query", 0, &e->query);
    }
    default:
        return KT_OK;
    }
}

static enum kt_rc entry(struct dec *x, const json_t *body)
{
    static const char *const kinds[] = {"event",     "segment", "date", "daily",
                                        "replenish", "lapse",   NULL};
    static const char *const known[] = {"event",     "segment", "date", "daily",
                                        "replenish", "lapse",   "key",  NULL};
    const json_t *o = NULL;
    size_t kind = 0;
    struct journey_entry *e = &x->d->entry;
    if (jsonx_object(body, "", "entry", known, JSONX_REQUIRED, x->a, &o, x->err) != KT_OK) {
        return x->err->rc;
    }
    if (kinds_in(o, kinds, &kind) != 1) {
        return refuse(x, "journey_invalid", "entry",
                      "an entry is one of event, segment, date, daily, replenish or lapse");
    }
    if (entry_kind(x, o, kind, e) != KT_OK) {
        return x->err->rc;
    }
    const char *key = NULL;
    if (word(x, o, "entry", "key", NAME_MAX_LEN, true, 0, &key) != KT_OK) {
        return x->err->rc;
    }
    if (key != NULL && e->kind != JE_EVENT) {
        return refuse(x, "journey_invalid", "entry.key", "only an event entry has a key");
    }
    if (e->kind == JE_EVENT) {
        e->key = key;
    }
    return KT_OK;
}

static enum kt_rc reentry(struct dec *x, const json_t *body)
{
    static const char *const words[] = {"never", "always", NULL};
    static const char *const known[] = {"after_days", NULL};
    const json_t *v = json_object_get(body, "reentry");
    struct journey_doc *d = x->d;
    d->reentry = JR_NEVER;
    if (v == NULL || json_is_null(v)) {
        return KT_OK;
    }
    if (json_is_object(v)) {
        int64_t days;
        if (json_only_members(v, known, "reentry", x->a, x->err) != KT_OK ||
            jsonx_int(v, "reentry", "after_days", 1, REENTRY_DAYS, JSONX_REQUIRED, &days, x->err) !=
                KT_OK) {
            return x->err->rc;
        }
        d->reentry = JR_AFTER;
        d->reentry_after_ms = days * DAY_MS;
        return KT_OK;
    }
    const char *w;
    if (jsonx_enum_at(v, "reentry", words, JSONX_REQUIRED, &w, x->err) != KT_OK) {
        return x->err->rc;
    }
    d->reentry = strcmp(w, "always") == 0 ? JR_ALWAYS : JR_NEVER;
    return KT_OK;
}

static enum kt_rc exits(struct dec *x, const json_t *body)
{
    static const char *const known[] = {"name", "purchase", "event", "same_key", NULL};
    static const char *const kinds[] = {"purchase", "event", NULL};
    const json_t *list = NULL;
    if (jsonx_array(body, "", "exits", 0, JOURNEY_EXITS_MAX, 0, &list, x->err) != KT_OK) {
        return x->err->rc;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *o = json_array_get(list, i);
        const char *path = arena_printf(x->a, "exits[%zu]", i);
        struct journey_exit *e = &x->d->exits[i];
        size_t kind = 0;
        bool purchase = false;
        *e = (struct journey_exit){0};
        if (json_only_members(o, known, path, x->a, x->err) != KT_OK ||
            word(x, o, path, "name", JOURNEY_STEP_ID_MAX, false, JSONX_REQUIRED, &e->name) !=
                KT_OK ||
            jsonx_bool(o, path, "purchase", 0, &purchase, x->err) != KT_OK ||
            jsonx_bool(o, path, "same_key", 0, &e->same_key, x->err) != KT_OK) {
            return x->err->rc;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(x->d->exits[j].name, e->name) == 0) {
                return refuse(x, "duplicate_value", at(x, path, "name"), "two exits of one name");
            }
        }
        if (kinds_in(o, kinds, &kind) != 1) {
            return refuse(x, "journey_invalid", path, "an exit is a purchase or an event");
        }
        if (kind == 0 && !purchase) {
            return refuse(x, "invalid_value", at(x, path, "purchase"),
                          "a purchase exit says \"purchase\": true");
        }
        e->purchase = kind == 0;
        if (!e->purchase && event_filter(x, o, path, "event", &e->event) != KT_OK) {
            return x->err->rc;
        }
        if (e->same_key && (e->purchase || x->d->entry.kind != JE_EVENT || !x->d->entry.key)) {
            return refuse(x, "journey_invalid", at(x, path, "same_key"),
                          "same_key is an event exit's, in a journey whose entry has a key");
        }
        x->d->n_exits++;
    }
    return KT_OK;
}

/* ---- steps --------------------------------------------------------------------------------- */

/* An edge of step `i` to the step the member `name` of `o` names (at `path`), or, when absent, to
 * the step `dflt` (an index, or -1). */
static enum kt_rc edge(struct dec *x, size_t i, const json_t *o, const char *path, const char *name,
                       int dflt, bool required, int *slot)
{
    const char *id = NULL;
    if (word(x, o, path, name, JOURNEY_STEP_ID_MAX, false, required ? JSONX_REQUIRED : 0, &id) !=
        KT_OK) {
        return x->err->rc;
    }
    size_t k = x->n_edges[i]++;
    x->edges[i][k] = (struct edge){dflt, id ? at(x, path, name) : x->d->steps[i].path};
    x->refs[i][k] = id;
    *slot = dflt;
    return KT_OK;
}

static enum kt_rc step_wait(struct dec *x, const json_t *o, const char *path,
                            struct journey_step *s)
{
    static const char *const known[] = {"minutes",  "hours",      "days", "until",
                                        "weekdays", "until_date", "at",   NULL};
    static const char *const durs[] = {"minutes", "hours", "days", NULL};
    static const char *const dates[] = {"birthday", "enrolled", NULL};
    size_t w = 0;
    size_t n = kinds_in(o, durs, &w) > 0;
    bool until = json_object_get(o, "until") != NULL;
    bool until_date = json_object_get(o, "until_date") != NULL;
    if (json_only_members(o, known, path, x->a, x->err) != KT_OK) {
        return x->err->rc;
    }
    if (n + until + until_date != 1 || (json_object_get(o, "weekdays") && !until) ||
        (json_object_get(o, "at") && !until_date)) {
        return refuse(x, "journey_invalid", path,
                      "a wait is a duration, {until, weekdays} or {until_date, at}");
    }
    if (n) {
        s->wait = JW_DURATION;
        return duration(x, o, path, &s->duration_ms);
    }
    if (until_date) {
        const char *f;
        s->wait = JW_DATE;
        if (jsonx_enum(o, path, "until_date", dates, JSONX_REQUIRED, &f, x->err) != KT_OK) {
            return x->err->rc;
        }
        s->date = strcmp(f, "birthday") == 0 ? JD_BIRTHDAY : JD_ENROLLED;
        return hhmm(x, o, path, "at", &s->at_minute);
    }
    s->wait = JW_TIME_OF_DAY;
    const json_t *days = NULL;
    if (hhmm(x, o, path, "until", &s->at_minute) != KT_OK ||
        jsonx_array(o, path, "weekdays", 1, 7, 0, &days, x->err) != KT_OK) {
        return x->err->rc;
    }
    s->weekdays = days ? 0 : 0x7f;
    for (size_t i = 0; i < json_array_size(days); i++) {
        const char *field = arena_printf(x->a, "%s.weekdays[%zu]", path, i), *d;
        if (jsonx_enum_at(json_array_get(days, i), field, weekday_names, JSONX_REQUIRED, &d,
                          x->err) != KT_OK) {
            return x->err->rc;
        }
        unsigned bit = 0;
        while (strcmp(weekday_names[bit], d) != 0) {
            bit++;
        }
        if (s->weekdays & (1u << bit)) {
            return refuse(x, "duplicate_value", field, "a weekday named twice");
        }
        s->weekdays |= 1u << bit;
    }
    return KT_OK;
}

/* wait_for and branch: their condition, `then` and `otherwise` (each the following step when
 * absent); `otherwise` is the step's `next`. */
static enum kt_rc step_cond(struct dec *x, size_t i, const json_t *o, const char *path,
                            struct journey_step *s, int after)
{
    static const char *const k_wait[] = {"event", "query", "timeout", "then", "otherwise", NULL};
    static const char *const k_branch[] = {"if", "then", "otherwise", NULL};
    static const char *const kinds[] = {"event", "query", NULL};
    size_t kind = 0;
    if (json_only_members(o, s->kind == JS_BRANCH ? k_branch : k_wait, path, x->a, x->err) !=
        KT_OK) {
        return x->err->rc;
    }
    if (s->kind == JS_BRANCH) {
        if (query(x, o, path, "if", JSONX_REQUIRED, &s->query) != KT_OK) {
            return x->err->rc;
        }
    } else {
        static const char *const units[] = {"minutes", "hours", "days", NULL};
        const json_t *t = NULL;
        if (kinds_in(o, kinds, &kind) != 1) {
            return refuse(x, "journey_invalid", path, "a wait_for waits for an event or a query");
        }
        if ((kind == 0 ? event_filter(x, o, path, "event", &s->event)
                       : query(x, o, path, "query", JSONX_REQUIRED, &s->query)) != KT_OK ||
            jsonx_object(o, path, "timeout", units, JSONX_REQUIRED, x->a, &t, x->err) != KT_OK ||
            duration(x, t, at(x, path, "timeout"), &s->duration_ms) != KT_OK) {
            return x->err->rc;
        }
    }
    if (edge(x, i, o, path, "then", after, false, &s->then) != KT_OK) {
        return x->err->rc;
    }
    return edge(x, i, o, path, "otherwise", after, false, &s->next);
}

static enum kt_rc step_split(struct dec *x, size_t i, const json_t *step, const char *spath,
                             struct journey_step *s)
{
    static const char *const known[] = {"percent", "next", NULL};
    const json_t *ways = NULL;
    const char *path = at(x, spath, "split");
    int64_t sum = 0;
    if (jsonx_array(step, spath, "split", 2, JOURNEY_SPLIT_MAX, JSONX_REQUIRED, &ways, x->err) !=
        KT_OK) {
        return x->err->rc;
    }
    for (size_t k = 0; k < json_array_size(ways); k++) {
        const json_t *w = json_array_get(ways, k);
        const char *wpath = arena_printf(x->a, "%s[%zu]", path, k);
        if (json_only_members(w, known, wpath, x->a, x->err) != KT_OK ||
            jsonx_int(w, wpath, "percent", 1, 100, JSONX_REQUIRED, &s->share[k], x->err) != KT_OK ||
            edge(x, i, w, wpath, "next", -1, true, &s->ways[k]) != KT_OK) {
            return x->err->rc;
        }
        sum += s->share[k];
        s->n_ways++;
    }
    if (sum != 100) {
        return refuse(x, "journey_invalid", path, "the ways' percents sum to 100");
    }
    s->next = -1;
    return KT_OK;
}

/* send, points, coupon, trait, webhook and exit: a body of members. */
static enum kt_rc step_act(struct dec *x, const json_t *o, const char *path, struct journey_step *s)
{
    static const char *const k_send[] = {"template", "version", "topic", "transactional", NULL};
    static const char *const k_points[] = {"points", "days", "reason", NULL};
    static const char *const k_coupon[] = {"percent", "kopecks", "days", NULL};
    static const char *const k_trait[] = {"name", "value", NULL};
    static const char *const k_name[] = {"name", NULL};
    static const char *const k_hook[] = {"event", NULL};
    static const char *const coupon_kinds[] = {"percent", "kopecks", NULL};
    const char *const *known = s->kind == JS_SEND     ? k_send
                               : s->kind == JS_POINTS ? k_points
                               : s->kind == JS_COUPON ? k_coupon
                               : s->kind == JS_TRAIT  ? k_trait
                               : s->kind == JS_EXIT   ? k_name
                                                      : k_hook;
    size_t kind = 0;
    if (json_only_members(o, known, path, x->a, x->err) != KT_OK) {
        return x->err->rc;
    }
    switch (s->kind) {
    case JS_SEND:
        if (word(x, o, path, "template", 64, false, JSONX_REQUIRED, &s->template) != KT_OK ||
            jsonx_int(o, path, "version", 1, INT32_MAX, 0, &s->version, x->err) != KT_OK ||
            jsonx_bool(o, path, "transactional", 0, &s->transactional, x->err) != KT_OK ||
            word(x, o, path, "topic", 40, false, s->transactional ? 0 : JSONX_REQUIRED,
                 &s->topic) != KT_OK) {
            return x->err->rc;
        }
        return KT_OK;
    case JS_POINTS:
        if (jsonx_int(o, path, "points", 1, 1000000, JSONX_REQUIRED, &s->points, x->err) != KT_OK ||
            jsonx_int(o, path, "days", 1, REENTRY_DAYS, 0, &s->days, x->err) != KT_OK) {
            return x->err->rc;
        }
        return jsonx_str(o, path, "reason", REASON_MAX, 0, x->a, &s->reason, x->err);
    case JS_COUPON:
        if (kinds_in(o, coupon_kinds, &kind) != 1) {
            return refuse(x, "journey_invalid", path, "a coupon is percent or kopecks off");
        }
        if (jsonx_int(o, path, "percent", 1, 99, 0, &s->percent, x->err) != KT_OK ||
            jsonx_int(o, path, "kopecks", 1, 100000000, 0, &s->kopecks, x->err) != KT_OK) {
            return x->err->rc;
        }
        return jsonx_int(o, path, "days", 1, 365, JSONX_REQUIRED, &s->days, x->err);
    case JS_TRAIT:
        if (word(x, o, path, "name", NAME_MAX_LEN, true, JSONX_REQUIRED, &s->name) != KT_OK) {
            return x->err->rc;
        }
        return jsonx_str(o, path, "value", TRAIT_VAL_MAX, JSONX_REQUIRED, x->a, &s->value, x->err);
    case JS_WEBHOOK:
        return word(x, o, path, "event", NAME_MAX_LEN, true, JSONX_REQUIRED, &s->name);
    default: /* JS_EXIT */
        return word(x, o, path, "name", JOURNEY_STEP_ID_MAX, false, JSONX_REQUIRED, &s->name);
    }
}

static const char *const step_kinds[] = {"wait",   "split", "branch",  "wait_for", "send", "points",
                                         "coupon", "trait", "webhook", "exit",     NULL};
static const enum journey_step_kind step_kind_of[] = {JS_WAIT,    JS_SPLIT,  JS_BRANCH, JS_WAIT_FOR,
                                                      JS_SEND,    JS_POINTS, JS_COUPON, JS_TRAIT,
                                                      JS_WEBHOOK, JS_EXIT};

static enum kt_rc step(struct dec *x, size_t i, size_t n, const json_t *o)
{
    static const char *const known[] = {"id",       "next", "wait",   "split",  "branch",
                                        "wait_for", "send", "points", "coupon", "trait",
                                        "webhook",  "exit", NULL};
    struct journey_step *s = &x->d->steps[i];
    const char *path = arena_printf(x->a, "steps[%zu]", i);
    const json_t *body = NULL;
    int after = i + 1 < n ? (int)i + 1 : -1;
    size_t kind = 0;
    *s = (struct journey_step){.path = path, .next = -1, .then = -1, .weekdays = 0x7f};
    if (json_only_members(o, known, path, x->a, x->err) != KT_OK ||
        word(x, o, path, "id", JOURNEY_STEP_ID_MAX, false, 0, &s->id) != KT_OK) {
        return x->err->rc;
    }
    if (kinds_in(o, step_kinds, &kind) != 1) {
        return refuse(x, "journey_invalid", path,
                      "a step is one of wait, wait_for, branch, split, send, points, coupon, "
                      "trait, webhook or exit");
    }
    s->kind = step_kind_of[kind];
    if (s->id == NULL) {
        s->id = arena_printf(x->a, "step-%zu", i + 1);
    }
    bool linear =
        s->kind != JS_SPLIT && s->kind != JS_BRANCH && s->kind != JS_WAIT_FOR && s->kind != JS_EXIT;
    if (!linear && json_object_get(o, "next") != NULL) {
        return refuse(x, "journey_invalid", at(x, path, "next"),
                      "a branch, wait_for, split or exit step has no next: it says where it goes");
    }
    if (linear && edge(x, i, o, path, "next", after, false, &s->next) != KT_OK) {
        return x->err->rc;
    }
    const char *kpath = at(x, path, step_kinds[kind]);
    if (s->kind == JS_SPLIT) {
        return step_split(x, i, o, path, s);
    }
    if (jsonx_object(o, path, step_kinds[kind], NULL, JSONX_REQUIRED, x->a, &body, x->err) !=
        KT_OK) {
        return x->err->rc;
    }
    if (s->kind == JS_WAIT) {
        return step_wait(x, body, kpath, s);
    }
    if (s->kind == JS_WAIT_FOR || s->kind == JS_BRANCH) {
        return step_cond(x, i, body, kpath, s, after);
    }
    return step_act(x, body, kpath, s);
}

/* ---- the graph ----------------------------------------------------------------------------- */

/* The ids the edges name, as indexes; the steps' own ids unique. */
static enum kt_rc resolve(struct dec *x)
{
    struct journey_doc *d = x->d;
    for (size_t i = 0; i < d->n_steps; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(d->steps[i].id, d->steps[j].id) == 0) {
                return refuse(x, "duplicate_step", at(x, d->steps[i].path, "id"),
                              "two steps of one id");
            }
        }
    }
    for (size_t i = 0; i < d->n_steps; i++) {
        struct journey_step *s = &d->steps[i];
        for (size_t k = 0; k < x->n_edges[i]; k++) {
            const char *id = x->refs[i][k];
            int to = -1;
            for (size_t j = 0; id != NULL && j < d->n_steps && to < 0; j++) {
                to = strcmp(d->steps[j].id, id) == 0 ? (int)j : -1;
            }
            if (id != NULL && to < 0) {
                return refuse(x, "step_not_found", x->edges[i][k].field, "no step has that id");
            }
            if (id != NULL) {
                x->edges[i][k].to = to;
            }
        }
        /* the slots, in the order edge() met them: next first for the linear kinds; then and
           otherwise; the ways */
        size_t k = 0;
        if (s->kind == JS_SPLIT) {
            for (; k < s->n_ways; k++) {
                s->ways[k] = x->edges[i][k].to;
            }
        } else if (s->kind == JS_WAIT_FOR || s->kind == JS_BRANCH) {
            s->then = x->edges[i][0].to;
            s->next = x->edges[i][1].to;
        } else if (x->n_edges[i] > 0) {
            s->next = x->edges[i][0].to;
        }
    }
    return KT_OK;
}

static bool waits(const struct journey_step *s)
{
    return s->kind == JS_WAIT || s->kind == JS_WAIT_FOR;
}

/* Depth first from `u` over the steps that do not wait: a grey step met again closes a cycle. */
static bool cycle_from(struct dec *x, int u, char *colour, const char **where)
{
    colour[u] = 1;
    for (size_t k = 0; k < x->n_edges[u]; k++) {
        int v = x->edges[u][k].to;
        if (v < 0 || waits(&x->d->steps[v])) {
            continue;
        }
        if (colour[v] == 1) {
            *where = x->edges[u][k].field;
            return true;
        }
        if (colour[v] == 0 && cycle_from(x, v, colour, where)) {
            return true;
        }
    }
    colour[u] = 2;
    return false;
}

static enum kt_rc graph(struct dec *x)
{
    struct journey_doc *d = x->d;
    char seen[JOURNEY_STEPS_MAX] = {0}, colour[JOURNEY_STEPS_MAX] = {0};
    int queue[JOURNEY_STEPS_MAX], head = 0, tail = 0;
    seen[0] = 1;
    queue[tail++] = 0;
    while (head < tail) {
        int u = queue[head++];
        for (size_t k = 0; k < x->n_edges[u]; k++) {
            int v = x->edges[u][k].to;
            if (v >= 0 && !seen[v]) {
                seen[v] = 1;
                queue[tail++] = v;
            }
        }
    }
    for (size_t i = 0; i < d->n_steps; i++) {
        if (!seen[i]) {
            return refuse(x, "journey_unreachable", d->steps[i].path,
                          "no way from the first step reaches this step");
        }
    }
    const char *where = NULL;
    for (size_t i = 0; i < d->n_steps; i++) {
        if (!waits(&d->steps[i]) && colour[i] == 0 && cycle_from(x, (int)i, colour, &where)) {
            return refuse(x, "journey_cycle", where,
                          "a cycle of steps with no wait or wait_for on it");
        }
    }
    bool sends = false;
    for (size_t i = 0; i < d->n_steps; i++) {
        sends = sends || d->steps[i].kind == JS_SEND;
    }
    if (sends && d->entry.kind == JE_EVENT && listed(feedback_types, d->entry.event.type)) {
        return refuse(x, "journey_loop", "entry.event.type",
                      "a journey that sends cannot enter on the feedback of messages: it would "
                      "feed itself");
    }
    return KT_OK;
}

enum kt_rc journey_doc_decode(const json_t *body, struct arena *a, struct journey_doc *out,
                              struct kt_err *err)
{
    static const char *const known[] = {"name",  "entry", "reentry", "control_percent",
                                        "exits", "steps", NULL};
    struct kt_err own; /* a caller may pass none */
    if (err == NULL) {
        kt_err_reset(&own);
        err = &own;
    }
    struct dec *x = arena_zalloc(a, sizeof(*x));
    struct journey_doc *d = arena_zalloc(a, sizeof(*d));
    const json_t *steps = NULL;
    *x = (struct dec){.a = a, .err = err, .d = d};
    if (json_only_members(body, known, "", a, err) != KT_OK ||
        jsonx_str(body, "", "name", JOURNEY_NAME_MAX, JSONX_REQUIRED, a, &d->name, err) != KT_OK ||
        entry(x, body) != KT_OK || reentry(x, body) != KT_OK ||
        jsonx_int(body, "", "control_percent", 0, JOURNEY_CONTROL_MAX, 0, &d->control_pct, err) !=
            KT_OK ||
        exits(x, body) != KT_OK ||
        jsonx_array(body, "", "steps", 1, JOURNEY_STEPS_MAX, JSONX_REQUIRED, &steps, err) !=
            KT_OK) {
        return err->rc;
    }
    d->n_steps = json_array_size(steps);
    for (size_t i = 0; i < d->n_steps; i++) {
        if (step(x, i, d->n_steps, json_array_get(steps, i)) != KT_OK) {
            return err->rc;
        }
    }
    if (resolve(x) != KT_OK || graph(x) != KT_OK) {
        return err->rc;
    }
    *out = *d;
    return KT_OK;
}
