/*
 * doc_check.c - a decoded journey document checked against the store (journey.h,
 * journey_doc_check; docs/journeys.md, "What is refused"): the event types its entry, exits and
 * wait-fors listen to (standard or declared) and the properties they filter on; the saved
 * segment of a segment entry; every condition compiled and runnable (segment_check); each send
 * step's template (and version) and its topic, which must carry the template's channel; no
 * trait step on a trait Kartoteka computes. Each refusal is 422 with the node's JSON path.
 */
#include <string.h>

#include "base/clock.h"
#include "events/events.h"
#include "journey/admin.h"
#include "journey/journey.h"
#include "segment/saved.h"

struct chk {
    struct store_conn *c;
    struct arena *a;
    struct kt_err *err;
    struct event_types types;
    struct topic *topics;
    size_t n_topics;
    const char **traits; /* the traits defined by an expression */
    size_t n_traits;
    const struct journey_doc *d;
    const char **known; /* the traits a condition may name (known_traits), loaded once */
    size_t n_known, cap_known;
    bool loaded;
};

static const char *at(struct chk *k, const char *path, const char *name)
{
    return arena_printf(k->a, "%s.%s", path, name);
}

/* A property's filter value as JSON, for the event type's own check. */
static json_t *prop_json(const struct journey_prop *p)
{
    return p->is_bool       ? json_boolean(p->v.number)
           : p->v.is_number ? json_integer(p->v.number)
                            : json_string(p->v.text);
}

/* The event `e` at `path` (its `type`, `where.<prop>`): a type known, properties it has, values
 * that fit them; `key` (or NULL) a property it has too, at `key_field`. */
static enum kt_rc event(struct chk *k, const struct journey_event *e, const char *path,
                        const char *key, const char *key_field)
{
    if (!event_type_known(&k->types, e->type)) {
        return kt_err_set(k->err, KT_EINVAL, "unknown_type", at(k, path, "type"),
                          "a standard type (GET /v1/event-types) or a declared one");
    }
    for (size_t i = 0; i < e->n_where; i++) {
        json_t *v = prop_json(&e->where[i]);
        enum kt_rc rc =
            event_prop_check(&k->types, e->type, e->where[i].name, v,
                             arena_printf(k->a, "%s.where.%s", path, e->where[i].name), k->err);
        json_decref(v);
        if (rc != KT_OK) {
            return rc;
        }
    }
    return key ? event_prop_check(&k->types, e->type, key, NULL, key_field, k->err) : KT_OK;
}

static void know(struct chk *k, const char *name)
{
    *(const char **)arena_push(k->a, &k->known, &k->n_known, &k->cap_known, sizeof(*k->known)) =
        name;
}

static void know_steps(struct chk *k, const struct journey_doc *d)
{
    for (size_t i = 0; i < d->n_steps; i++) {
        if (d->steps[i].kind == JS_TRAIT) {
            know(k, d->steps[i].name);
        }
    }
}

/* The traits that exist besides the computed ones: defined by an expression, held by some
 * customer, or set by a trait step of this document or of another journey's latest version. */
static enum kt_rc known_traits(struct chk *k)
{
    const char **stored;
    size_t n_stored;
    struct journey_row *js;
    size_t n_js;
    k->loaded = true;
    if (store_trait_names(k->c, k->a, &stored, &n_stored, k->err) != KT_OK ||
        store_journey_list(k->c, k->a, &js, &n_js, k->err) != KT_OK) {
        return k->err->rc;
    }
    for (size_t i = 0; i < k->n_traits; i++) {
        know(k, k->traits[i]);
    }
    for (size_t i = 0; i < n_stored; i++) {
        know(k, stored[i]);
    }
    know_steps(k, k->d);
    for (size_t i = 0; i < n_js; i++) {
        struct journey_doc other;
        struct kt_err e; /* a version that no longer decodes sets nothing */
        kt_err_reset(&e);
        if (journey_doc_load(k->c, js[i].key, 0, k->a, &other, &e) == KT_OK) {
            know_steps(k, &other);
        } else if (e.rc != KT_EINVAL && e.rc != KT_ENOTFOUND && e.rc != KT_EINTERNAL) {
            return kt_err_copy(k->err, &e);
        }
    }
    return KT_OK;
}

/* Every `trait <name>` of a condition names a trait that exists (trait_not_found at `field`). */
static enum kt_rc traits_named(struct chk *k, const struct seg_node *n, const char *field)
{
    if (n == NULL) {
        return KT_OK;
    }
    if (n->kind == SEG_TRAIT && !trait_computed_name(n->attr)) {
        if (!k->loaded && known_traits(k) != KT_OK) {
            return k->err->rc;
        }
        bool found = false;
        for (size_t i = 0; i < k->n_known && !found; i++) {
            found = strcmp(k->known[i], n->attr) == 0;
        }
        if (!found) {
            return kt_err_set(k->err, KT_EINVAL, "trait_not_found", field,
                              "the condition names a trait nothing defines, holds or sets");
        }
    }
    if (traits_named(k, n->a, field) != KT_OK) {
        return k->err->rc;
    }
    return traits_named(k, n->b, field);
}

/* A condition: compiled as of now and runnable by the store (field_sealed, query_too_big...). */
static enum kt_rc cond(struct chk *k, const char *q, const char *field)
{
    struct seg_node *tree;
    struct seg_error se = {0};
    if (q == NULL) {
        return KT_OK;
    }
    if (!segment_parse(q, k->a, &tree, &se)) {
        return kt_err_set(k->err, KT_EINVAL, "syntax_error", field, "line %d, column %d: %s",
                          se.line, se.column, se.message);
    }
    if (traits_named(k, tree, field) != KT_OK) {
        return k->err->rc;
    }
    if (store_segment_check(k->c, segment_compile(tree, clock_now_ms(), k->a), k->err) != KT_OK) {
        kt_strlcpy(k->err->field, field, sizeof(k->err->field));
        return k->err->rc;
    }
    return KT_OK;
}

static enum kt_rc entry(struct chk *k, const struct journey_doc *d)
{
    const struct journey_entry *e = &d->entry;
    struct segment sg;
    switch (e->kind) {
    case JE_EVENT:
        return event(k, &e->event, "entry.event", e->key, "entry.key");
    case JE_SEGMENT:
        if (store_segment_get(k->c, e->segment, k->a, &sg, k->err) == KT_OK) {
            return KT_OK;
        }
        if (k->err->rc != KT_ENOTFOUND) {
            return k->err->rc;
        }
        kt_err_reset(k->err);
        return kt_err_set(k->err, KT_EINVAL, "segment_not_found", "entry.segment.segment",
                          "no saved segment has that id or name");
    case JE_DAILY:
        return cond(k, e->query, "entry.daily.query");
    case JE_LAPSE:
        return cond(k, e->query, "entry.lapse.query");
    default:
        return KT_OK;
    }
}

static enum kt_rc exits(struct chk *k, const struct journey_doc *d)
{
    for (size_t i = 0; i < d->n_exits; i++) {
        const struct journey_exit *x = &d->exits[i];
        const char *path = arena_printf(k->a, "exits[%zu]", i);
        if (!x->purchase &&
            event(k, &x->event, at(k, path, "event"), x->same_key ? d->entry.key : NULL,
                  at(k, path, "same_key")) != KT_OK) {
            return k->err->rc;
        }
    }
    return KT_OK;
}

/* Does the topic's channels (a JSON array's text) hold `channel`? */
static bool carries(const char *channels, const char *channel)
{
    json_t *arr = json_loads(channels ? channels : "[]", 0, NULL);
    bool yes = false;
    for (size_t i = 0; i < json_array_size(arr) && !yes; i++) {
        const char *c = json_string_value(json_array_get(arr, i));
        yes = c != NULL && strcmp(c, channel) == 0;
    }
    json_decref(arr);
    return yes;
}

static enum kt_rc send(struct chk *k, const struct journey_step *s)
{
    struct msg_template t;
    bool found = false;
    const char *path = at(k, s->path, "send");
    if (store_template_get(k->c, s->template, s->version, k->a, &t, &found, k->err) != KT_OK) {
        return k->err->rc;
    }
    if (!found) {
        return kt_err_set(k->err, KT_EINVAL, "template_not_found",
                          at(k, path, s->version ? "version" : "template"),
                          s->version ? "the template has no such version"
                                     : "no template has that name");
    }
    if (s->topic == NULL) {
        return KT_OK;
    }
    if (k->topics == NULL &&
        store_topic_list(k->c, k->a, &k->topics, &k->n_topics, k->err) != KT_OK) {
        return k->err->rc;
    }
    for (size_t i = 0; i < k->n_topics; i++) {
        if (strcmp(k->topics[i].key, s->topic) != 0) {
            continue;
        }
        if (!carries(k->topics[i].channels, t.channel)) {
            return kt_err_set(k->err, KT_EINVAL, "channel_not_in_topic", at(k, path, "topic"),
                              "the topic is not sent by the template's channel");
        }
        return KT_OK;
    }
    return kt_err_set(k->err, KT_EINVAL, "topic_not_found", at(k, path, "topic"),
                      "no topic has that name (PUT /v1/topics/{name})");
}

static enum kt_rc trait(struct chk *k, const struct journey_step *s)
{
    bool computed = trait_computed_name(s->name);
    for (size_t i = 0; i < k->n_traits && !computed; i++) {
        computed = strcmp(k->traits[i], s->name) == 0;
    }
    if (computed) {
        return kt_err_set(k->err, KT_EINVAL, "trait_reserved",
                          at(k, at(k, s->path, "trait"), "name"),
                          "the trait is computed by Kartoteka: a journey cannot set it");
    }
    return KT_OK;
}

static enum kt_rc step(struct chk *k, const struct journey_step *s)
{
    const char *path;
    switch (s->kind) {
    case JS_WAIT_FOR:
        path = at(k, s->path, "wait_for");
        return s->event.type ? event(k, &s->event, at(k, path, "event"), NULL, NULL)
                             : cond(k, s->query, at(k, path, "query"));
    case JS_BRANCH:
        return cond(k, s->query, at(k, at(k, s->path, "branch"), "if"));
    case JS_SEND:
        return send(k, s);
    case JS_TRAIT:
        return trait(k, s);
    default:
        return KT_OK;
    }
}

enum kt_rc journey_doc_check(struct store_conn *c, const struct journey_doc *d, struct arena *a,
                             struct kt_err *err)
{
    struct kt_err own; /* a caller may pass none */
    if (err == NULL) {
        kt_err_reset(&own);
        err = &own;
    }
    struct chk k = {.c = c, .a = a, .err = err, .d = d};
    const char **exprs;
    if (event_types_load(c, a, &k.types, err) != KT_OK ||
        store_trait_def_list(c, a, &k.traits, &exprs, &k.n_traits, err) != KT_OK ||
        entry(&k, d) != KT_OK || exits(&k, d) != KT_OK) {
        return err->rc;
    }
    for (size_t i = 0; i < d->n_steps; i++) {
        if (step(&k, &d->steps[i]) != KT_OK) {
            return err->rc;
        }
    }
    return KT_OK;
}
