/*
 * segment_language.c - GET /v1/segments/language: the words a segment query may use in this
 * base, for the console's completion as one types (docs/segments.md, "Grammar"): the profile
 * fields, the keywords and operators, the event types with their properties (standard and
 * declared), the declared attributes with their types, the traits, the saved segments' names,
 * the consent purposes and channels and the aggregates of purchases.
 */
#include <string.h>

#include "api/api.h"
#include "consent/consent.h"
#include "events/events.h"
#include "segment/rfm.h"
#include "segment/saved.h"
#include "segment/segment.h"

static json_t *strings(const char *const *list)
{
    json_t *a = json_array();
    for (size_t i = 0; list[i] != NULL; i++) {
        json_array_append_new(a, json_string(list[i]));
    }
    return a;
}

/* The keys of a JSON object's text (a declared event type's properties) as an array. */
static json_t *keys_of(json_t *o)
{
    json_t *a = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        json_array_append_new(a, json_string(k));
    }
    return a;
}

static json_t *event_types(const struct event_type *t, size_t n)
{
    json_t *out = json_array(), *std = event_standard_types_json(), *e;
    size_t i;
    json_array_foreach(std, i, e)
    {
        json_array_append_new(out,
                              json_pack("{s:O, s:o}", "name", json_object_get(e, "name"),
                                        "properties", keys_of(json_object_get(e, "properties"))));
    }
    json_decref(std);
    for (i = 0; i < n; i++) {
        json_t *props = t[i].properties ? json_loads(t[i].properties, 0, NULL) : NULL;
        json_array_append_new(
            out, json_pack("{s:s, s:o}", "name", t[i].name, "properties", keys_of(props)));
        json_decref(props);
    }
    return out;
}

enum kt_rc api_segments_language(struct http_req *r, struct kt_err *err)
{
    static const char *const keywords[] = {
        "and",      "or",       "not",      "has",      "between",  "in",        "age",
        "events",   "where",    "last",     "days",     "day",      "purchases", "count",
        "sum",      "average",  "since",    "purchase", "points",   "balance",   "bought",
        "category", "sku",      "birthday", "within",   "contains", "consent",   "subscribed",
        "profile",  "complete", "segment",  "trait",    "true",     "false",     NULL};
    static const char *const operators[] = {"=", "!=", "<", "<=", ">", ">=", NULL};
    static const char *const allowed[] = {NULL};
    struct store_conn *rd;
    struct event_type *et;
    struct attr_def *ad;
    struct segment *sg;
    const char **traits;
    size_t n_et, n_ad, n_sg, n_tr;
    if (http_req_query_only(r, allowed, err) != KT_OK || http_req_reader(r, &rd, err) != KT_OK ||
        store_event_type_list(rd, r->arena, &et, &n_et, err) != KT_OK ||
        store_attr_list(rd, r->arena, &ad, &n_ad, err) != KT_OK ||
        store_segment_list(rd, r->arena, &sg, &n_sg, err) != KT_OK ||
        store_trait_names(rd, r->arena, &traits, &n_tr, err) != KT_OK) {
        return err->rc;
    }
    json_t *attrs = json_array(), *segs = json_array(), *tr = strings(traits_builtin);
    for (size_t i = 0; i < n_ad; i++) {
        json_array_append_new(attrs,
                              json_pack("{s:s, s:s}", "name", ad[i].name, "type", ad[i].type));
    }
    for (size_t i = 0; i < n_sg; i++) {
        json_array_append_new(segs, json_string(sg[i].name));
    }
    for (size_t i = 0; i < n_tr; i++) {
        bool seen = false;
        for (size_t k = 0; traits_builtin[k] != NULL && !seen; k++) {
            seen = strcmp(traits_builtin[k], traits[i]) == 0;
        }
        if (!seen) {
            json_array_append_new(tr, json_string(traits[i]));
        }
    }
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "fields",
                              strings(segment_fields), "keywords", strings(keywords), "operators",
                              strings(operators), "event_types", event_types(et, n_et),
                              "attributes", attrs, "traits", tr, "segments", segs, "purposes",
                              strings(consent_purposes), "channels", strings(ads_channels),
                              "rfm_groups", strings(rfm_groups)));
    return KT_OK;
}
