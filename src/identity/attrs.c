/*
 * attrs.c - declared attributes: their definitions and the check of values against them.
 */
#include "identity/attrs.h"

#include <math.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonx.h"
#include "clean/clean.h"

static const char *const types[] = {"string", "number", "boolean", "date", "enum", "list"};
static const char *const item_types[] = {"string", "number", "date", "enum"};

static bool one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, set[i]) == 0) {
            return true;
        }
    }
    return false;
}

const struct attr_def *attr_find(const struct attr_def *defs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(defs[i].name, name) == 0) {
            return &defs[i];
        }
    }
    return NULL;
}

bool attr_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 40 || name[0] < 'a' || name[0] > 'z') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return pf_lookup(name) < 0;
}

static enum kt_rc bad(struct kt_err *err, const char *code, const char *field, const char *msg)
{
    return kt_err_set(err, KT_EINVAL, code, field, "%s", msg);
}

/* Optional string member; NULL when absent. */
static enum kt_rc opt_text(const json_t *body, const char *key, size_t max, struct arena *a,
                           const char **out, struct kt_err *err)
{
    const json_t *v = json_object_get(body, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return KT_OK;
    }
    if (!json_is_string(v)) {
        return bad(err, "wrong_type", key, "must be a string");
    }
    struct clean_out t;
    clean_text(json_string_value(v), json_string_length(v), max, a, &t);
    if (t.verdict == CLEAN_INVALID) {
        return kt_err_set(err, KT_EINVAL,
                          strcmp(t.reason, "too_long") == 0 ? "too_long" : "invalid_value", key,
                          "'%s' is not acceptable text (%s)", key, t.reason);
    }
    *out = t.value;
    return KT_OK;
}

static enum kt_rc decode_values(const json_t *vals, struct arena *a, const char **out,
                                struct kt_err *err)
{
    if (!json_is_array(vals) || json_array_size(vals) == 0) {
        return bad(err, json_is_array(vals) ? "invalid_value" : "wrong_type", "values",
                   "must be a non-empty array of strings");
    }
    if (json_array_size(vals) > ATTR_VALUES_MAX) {
        return bad(err, "too_many", "values", "at most 200 allowed values");
    }
    json_t *clean = json_array();
    size_t i;
    const json_t *v;
    enum kt_rc rc = KT_OK;
    json_array_foreach(vals, i, v)
    {
        const char *field = arena_printf(a, "values[%zu]", i);
        struct clean_out t;
        if (!json_is_string(v)) {
            rc = bad(err, "wrong_type", field, "must be a string");
            break;
        }
        clean_text(json_string_value(v), json_string_length(v), 100, a, &t);
        if (t.verdict == CLEAN_INVALID) {
            rc = kt_err_set(err, KT_EINVAL, "invalid_value", field, "not an acceptable value (%s)",
                            t.reason);
            break;
        }
        for (size_t k = 0; k < json_array_size(clean); k++) {
            if (strcmp(json_string_value(json_array_get(clean, k)), t.value) == 0) {
                rc = bad(err, "duplicate_value", field, "the value is listed twice");
            }
        }
        if (rc != KT_OK) {
            break;
        }
        json_array_append_new(clean, json_string(t.value));
    }
    if (rc == KT_OK) {
        char *s = json_dumps(clean, JSON_COMPACT);
        *out = arena_strdup(a, s);
        free(s);
    }
    json_decref(clean);
    return rc;
}

enum kt_rc attr_def_decode(const char *name, const json_t *body, struct arena *a,
                           struct attr_def *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!attr_name_valid(name)) {
        return bad(err, "invalid_attribute_name", "name",
                   "an attribute name is 1-40 of a-z, 0-9 and _, starts with a letter and is not "
                   "a profile field");
    }
    out->name = arena_strdup(a, name);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        static const char *const known[] = {"type", "items", "values", "title", "description"};
        if (!one_of(key, known, 5)) {
            return kt_err_set(err, KT_EINVAL, "unknown_field", key, "unknown field '%s'", key);
        }
    }
    const json_t *type = json_object_get(body, "type");
    if (!json_is_string(type) || !one_of(json_string_value(type), types, 6)) {
        return bad(err, jsonx_code(type), "type",
                   "type must be one of string, number, boolean, date, enum, list");
    }
    out->type = arena_strdup(a, json_string_value(type));
    const json_t *items = json_object_get(body, "items");
    bool is_list = strcmp(out->type, "list") == 0;
    if (is_list) {
        if (!json_is_string(items) || !one_of(json_string_value(items), item_types, 4)) {
            return bad(err, jsonx_code(items), "items",
                       "a list needs items: one of string, number, date, enum");
        }
        out->items = arena_strdup(a, json_string_value(items));
    } else if (items != NULL) {
        return bad(err, "unexpected_field", "items", "only a list has items");
    }
    bool needs_values =
        strcmp(out->type, "enum") == 0 || (is_list && strcmp(out->items, "enum") == 0);
    const json_t *vals = json_object_get(body, "values");
    enum kt_rc rc = KT_OK;
    if (needs_values) {
        rc = vals ? decode_values(vals, a, &out->values, err)
                  : bad(err, "missing_field", "values", "an enum needs its allowed values");
    } else if (vals != NULL) {
        rc = bad(err, "unexpected_field", "values", "only an enum has allowed values");
    }
    if (rc == KT_OK) {
        rc = opt_text(body, "title", 200, a, &out->title, err);
    }
    if (rc == KT_OK) {
        rc = opt_text(body, "description", 1000, a, &out->description, err);
    }
    return rc;
}

json_t *attr_def_json(const struct attr_def *d)
{
    char ca[40], ua[40];
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", d->name, "type", d->type, "created_at",
                          time_format_rfc3339(d->created_at, ca, sizeof(ca)), "updated_at",
                          time_format_rfc3339(d->updated_at, ua, sizeof(ua)));
    if (d->items) {
        json_object_set_new(o, "items", json_string(d->items));
    }
    if (d->values) {
        json_object_set_new(o, "values", json_loads(d->values, 0, NULL));
    }
    if (d->title) {
        json_object_set_new(o, "title", json_string(d->title));
    }
    if (d->description) {
        json_object_set_new(o, "description", json_string(d->description));
    }
    return o;
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool attr_def_narrows(const struct attr_def *old, const struct attr_def *nw)
{
    if (!same(old->type, nw->type) || !same(old->items, nw->items)) {
        return true;
    }
    if (old->values == NULL) {
        return false;
    }
    json_t *ov = json_loads(old->values, 0, NULL), *nv = json_loads(nw->values, 0, NULL);
    bool narrows = false;
    size_t i;
    json_t *v;
    json_array_foreach(ov, i, v)
    {
        bool kept = false;
        for (size_t k = 0; k < json_array_size(nv); k++) {
            kept = kept || json_equal(v, json_array_get(nv, k));
        }
        narrows = narrows || !kept;
    }
    json_decref(ov);
    json_decref(nv);
    return narrows;
}

static bool enum_has(const char *values, const char *s)
{
    json_t *vals = json_loads(values, 0, NULL);
    bool found = false;
    for (size_t i = 0; i < json_array_size(vals) && !found; i++) {
        found = strcmp(json_string_value(json_array_get(vals, i)), s) == 0;
    }
    json_decref(vals);
    return found;
}

/* One scalar of type `type` (string, number, boolean, date, enum). */
static enum kt_rc check_scalar(const char *type, const char *values, const json_t *v,
                               const char *field, struct arena *a, json_t **out, struct kt_err *err)
{
    if (strcmp(type, "number") == 0) {
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            return bad(err, "wrong_type", field, "must be a number");
        }
        *out = json_deep_copy(v);
        return KT_OK;
    }
    if (strcmp(type, "boolean") == 0) {
        if (!json_is_boolean(v)) {
            return bad(err, "wrong_type", field, "must be true or false");
        }
        *out = json_deep_copy(v);
        return KT_OK;
    }
    if (!json_is_string(v)) {
        return bad(err, "wrong_type", field, "must be a string");
    }
    struct clean_out t;
    clean_text(json_string_value(v), json_string_length(v), ATTR_TEXT_MAX, a, &t);
    if (t.verdict == CLEAN_INVALID) {
        return kt_err_set(err, KT_EINVAL,
                          strcmp(t.reason, "too_long") == 0 ? "too_long" : "invalid_value", field,
                          "not an acceptable value (%s)", t.reason);
    }
    if (strcmp(type, "date") == 0) {
        /* Any date, past or future, in the forms people type; stored in ISO form. */
        struct clean_out d;
        clean_date(t.value, strlen(t.value), clock_now_ms() / 86400000, a, &d);
        if (d.verdict == CLEAN_INVALID) {
            return bad(err, "invalid_date", field, "must be a date such as 2026-03-24");
        }
        *out = json_string(d.value);
        return KT_OK;
    }
    if (strcmp(type, "enum") == 0 && !enum_has(values, t.value)) {
        return bad(err, "invalid_value", field, "not one of the declared values");
    }
    *out = json_string(t.value);
    return KT_OK;
}

enum kt_rc attr_value_check(const struct attr_def *d, const json_t *v, bool allow_null,
                            const char *field, struct arena *a, json_t **out, struct kt_err *err)
{
    *out = NULL;
    if (json_is_null(v)) {
        if (!allow_null) {
            return bad(err, "wrong_type", field, "null removes a value only in PATCH");
        }
        *out = json_null();
        return KT_OK;
    }
    if (strcmp(d->type, "list") != 0) {
        return check_scalar(d->type, d->values, v, field, a, out, err);
    }
    if (!json_is_array(v)) {
        return bad(err, "wrong_type", field, "must be a list");
    }
    if (json_array_size(v) > ATTR_LIST_MAX) {
        return bad(err, "too_many", field, "at most 100 items in a list");
    }
    json_t *list = json_array();
    size_t i;
    const json_t *item;
    json_array_foreach((json_t *)v, i, item)
    {
        json_t *one = NULL;
        enum kt_rc rc = check_scalar(d->items, d->values, item,
                                     arena_printf(a, "%s[%zu]", field, i), a, &one, err);
        if (rc != KT_OK) {
            json_decref(list);
            return rc;
        }
        bool dup = false;
        for (size_t k = 0; k < json_array_size(list) && !dup; k++) {
            dup = json_equal(json_array_get(list, k), one);
        }
        if (dup) {
            json_decref(one);
        } else {
            json_array_append_new(list, one);
        }
    }
    *out = list;
    return KT_OK;
}
