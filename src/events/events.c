/*
 * events.c - event types and the decoding of one event (see events.h).
 *
 *   {"type": "product_view", "at": "2026-11-24T10:00:00+03:00", "message_id": "9b1d...",
 *    "channel": "web", "customer": {"cookie": "k7f3..."}, "properties": {"sku": "A-1"}}
 *
 * "customer" names one customer identifier (id, phone, email, card, ext:<system>, a social
 * network) and/or one anonymous id (cookie or device). Properties are checked against the type:
 * the declared ones with their types, required ones present, nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonx.h"
#include "events/events.h"
#include "identity/identity.h"

#define NAME_MAX_LEN 64

enum ptype { P_STRING, P_INTEGER, P_NUMBER, P_BOOLEAN, P_ANY /* a string, number or boolean */ };

struct prop_def {
    const char *name;
    enum ptype type;
    bool required;
    int64_t min, max; /* integers and numbers; both 0: no range */
};

struct event_type_def {
    const char *name;
    struct prop_def props[EVENT_PROPS_MAX];
    size_t n;
};

/* The open type: any other property too, up to EVENT_PROPS_MAX (a standard name: no custom type
 * takes it). */
#define OPEN_TYPE "track"

#define S(n)                                                                                       \
    {                                                                                              \
        n, P_STRING, false, 0, 0                                                                   \
    }
#define SR(n)                                                                                      \
    {                                                                                              \
        n, P_STRING, true, 0, 0                                                                    \
    }
#define MONEY                                                                                      \
    {                                                                                              \
        "price", P_INTEGER, false, 0, 100000000000LL                                               \
    }

/* The standard types (docs/events.md). Every type also takes "session" and "url". */
static const struct event_type_def standard[] = {
    {"page_view", {SR("url"), S("title"), S("referrer")}, 3},
    {"product_view", {SR("sku"), S("category"), S("brand"), MONEY}, 4},
    {"cart_add",
     {SR("sku"),
      {"quantity", P_NUMBER, true, 0, 1000000},
      {"price", P_INTEGER, true, 0, 100000000000LL},
      S("category"),
      S("brand"),
      S("cart")},
     6},
    {"cart_remove",
     {SR("sku"),
      {"quantity", P_NUMBER, true, 0, 1000000},
      {"price", P_INTEGER, true, 0, 100000000000LL},
      S("category"),
      S("brand"),
      S("cart")},
     6},
    {"checkout_start",
     {{"total", P_INTEGER, false, 0, 100000000000LL},
      {"items", P_INTEGER, false, 0, 100000},
      S("cart")},
     3},
    {"search", {SR("query"), {"results", P_INTEGER, false, 0, 100000000}}, 2},
    {"app_open", {S("version"), S("platform")}, 2},
    {"app_install", {S("version"), S("platform")}, 2},
    {"sign_up", {S("method")}, 1},
    {"form_submit", {SR("form")}, 1},
    {"email_open", {S("message"), S("message_id"), S("campaign")}, 3},
    {"email_click", {SR("url"), S("message"), S("message_id"), S("campaign")}, 4},
    {"message_delivered", {S("message"), S("campaign")}, 2},
    /* a message's feedback (deliver/feedback.c records them with channel "message") */
    {"email_delivered", {SR("message_id"), S("campaign")}, 2},
    {"sms_delivered", {SR("message_id"), S("campaign")}, 2},
    {"message_bounced", {SR("message_id"), SR("bounce"), S("campaign")}, 3},
    {"spam_complaint", {SR("message_id"), S("campaign")}, 2},
    {"social_share", {SR("network"), SR("url")}, 2},
    {"review", {SR("sku"), {"rating", P_INTEGER, true, 1, 5}, S("text")}, 3},
    {"screen_view", {SR("name"), S("category")}, 2},
    {"order_completed",
     {SR("order_id"),
      {"total", P_INTEGER, false, 0, 100000000000LL},
      {"revenue", P_INTEGER, false, 0, 100000000000LL},
      {"shipping", P_INTEGER, false, 0, 100000000000LL},
      {"tax", P_INTEGER, false, 0, 100000000000LL},
      {"discount", P_INTEGER, false, 0, 100000000000LL},
      {"items", P_INTEGER, false, 0, 100000},
      S("coupon"),
      S("currency")},
     9},
    /* a tracked action of no other type (the Segment API's track, docs/collect.md): its name in
     * `event`, any other property a string, number or boolean */
    {OPEN_TYPE, {SR("event")}, 1},
};
#define N_STANDARD (sizeof(standard) / sizeof(standard[0]))

static const struct prop_def common[] = {S("session"),    S("url"),          S("utm_source"),
                                         S("utm_medium"), S("utm_campaign"), S("utm_term"),
                                         S("utm_content")};
static const struct prop_def any_prop = {"", P_ANY, false, 0, 0};

static const char *const channels[] = {"web", "app",    "email",   "sms",
                                       "pos", "social", "message", NULL};
static const char *const type_names[] = {"string", "integer", "number", "boolean", "any", NULL};

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > NAME_MAX_LEN || s[0] < 'a' || s[0] > 'z') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
            return false;
        }
    }
    return true;
}

static const struct event_type_def *find_type(const struct event_types *custom, const char *name)
{
    for (size_t i = 0; i < N_STANDARD; i++) {
        if (strcmp(standard[i].name, name) == 0) {
            return &standard[i];
        }
    }
    for (size_t i = 0; custom != NULL && i < custom->n; i++) {
        if (strcmp(custom->defs[i].name, name) == 0) {
            return &custom->defs[i];
        }
    }
    return NULL;
}

/* ---- custom types --------------------------------------------------------------------------- */

static bool ptype_parse(const char *s, enum ptype *t)
{
    for (int i = 0; s != NULL && i < 4; i++) {
        if (strcmp(s, type_names[i]) == 0) {
            *t = (enum ptype)i;
            return true;
        }
    }
    return false;
}

static void decref(void *p)
{
    json_decref(p);
}

/* A stored declaration (checked when it was declared) back into a definition; the property
 * names point into the parsed JSON, which the arena keeps. */
static void type_from_row(const struct event_type *row, struct arena *a, struct event_type_def *d)
{
    memset(d, 0, sizeof(*d));
    d->name = row->name;
    json_t *props = json_loads(row->properties, 0, NULL);
    json_t *req = json_loads(row->required, 0, NULL);
    arena_defer(a, decref, props);
    const char *key;
    json_t *v;
    json_object_foreach(props, key, v)
    {
        if (d->n == EVENT_PROPS_MAX) {
            break;
        }
        struct prop_def *p = &d->props[d->n++];
        p->name = key;
        ptype_parse(json_string_value(v), &p->type);
        size_t i;
        json_t *r;
        json_array_foreach(req, i, r)
        {
            p->required = p->required || strcmp(json_string_value(r), key) == 0;
        }
    }
    json_decref(req);
}

enum kt_rc event_types_load(struct store_conn *c, struct arena *a, struct event_types *out,
                            struct kt_err *err)
{
    struct event_type *rows;
    size_t n;
    enum kt_rc rc = store_event_type_list(c, a, &rows, &n, err);
    out->n = rc == KT_OK ? n : 0;
    out->defs = arena_zalloc(a, (n ? n : 1) * sizeof(*out->defs));
    for (size_t i = 0; i < out->n; i++) {
        type_from_row(&rows[i], a, &out->defs[i]);
    }
    return rc;
}

enum kt_rc event_type_decode(const char *name, const json_t *body, int64_t now, struct arena *a,
                             struct event_type *out, struct kt_err *err)
{
    static const char *const known[] = {"properties", "required", NULL};
    if (!name_ok(name)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "name",
                          "a type's name is 1-64 of a-z, 0-9 and _, starting with a letter");
    }
    if (find_type(NULL, name) != NULL) {
        return kt_err_set(err, KT_ECONFLICT, "standard_type", "name",
                          "'%s' is a standard type and cannot be redeclared", name);
    }
    const json_t *props = NULL, *req = NULL;
    if (json_only_members(body, known, "", a, err) != KT_OK ||
        jsonx_object(body, "", "properties", NULL, JSONX_REQUIRED, a, &props, err) != KT_OK ||
        jsonx_array(body, "", "required", 0, EVENT_PROPS_MAX, 0, &req, err) != KT_OK) {
        return err->rc;
    }
    if (json_object_size(props) > EVENT_PROPS_MAX) {
        return kt_err_set(err, KT_EINVAL, "too_many", "properties",
                          "properties maps up to %d names to string, integer, number or boolean",
                          EVENT_PROPS_MAX);
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        enum ptype t;
        const char *field = arena_printf(a, "properties.%s", key);
        const char *word;
        if (!name_ok(key)) {
            return kt_err_set(err, KT_EINVAL, "invalid_value", field,
                              "a property's name is 1-64 of a-z, 0-9 and _");
        }
        if (jsonx_enum_at(v, field, type_names, JSONX_REQUIRED, &word, err) != KT_OK) {
            return err->rc;
        }
        ptype_parse(word, &t);
    }
    size_t i;
    json_array_foreach(req, i, v)
    {
        const char *field = arena_printf(a, "required[%zu]", i);
        if (!json_is_string(v)) {
            return kt_err_set(err, KT_EINVAL, "wrong_type", field, "'%s' must be a string", field);
        }
        if (json_object_get(props, json_string_value(v)) == NULL) {
            return kt_err_set(err, KT_EINVAL, "invalid_value", field,
                              "a required property must be one of properties");
        }
    }
    char *p = json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS);
    char *r = req ? json_dumps(req, JSON_COMPACT) : strdup("[]");
    *out = (struct event_type){arena_strdup(a, name), arena_strdup(a, p), arena_strdup(a, r), now,
                               now};
    free(p);
    free(r);
    return KT_OK;
}

json_t *event_standard_types_json(void)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < N_STANDARD; i++) {
        json_t *props = json_object(), *req = json_array();
        for (size_t k = 0; k < standard[i].n; k++) {
            const struct prop_def *p = &standard[i].props[k];
            json_object_set_new(props, p->name, json_string(type_names[p->type]));
            if (p->required) {
                json_array_append_new(req, json_string(p->name));
            }
        }
        json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:b}", "name", standard[i].name,
                                             "properties", props, "required", req, "standard", 1));
    }
    return arr;
}

/* ---- one event ------------------------------------------------------------------------------ */

static enum kt_rc bad(struct kt_err *err, struct arena *a, const char *path, const char *field,
                      const char *code, const char *msg)
{
    return kt_err_set(err, KT_EINVAL, code,
                      arena_printf(a, "%s%s%s", path, path[0] && field[0] ? "." : "", field), "%s",
                      msg);
}

static const struct prop_def *find_prop(const struct event_type_def *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->props[i].name, name) == 0) {
            return &t->props[i];
        }
    }
    for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
        if (strcmp(common[i].name, name) == 0) {
            return &common[i];
        }
    }
    bool open = strcmp(t->name, OPEN_TYPE) == 0;
    return open && name[0] != '\0' && strlen(name) <= NAME_MAX_LEN ? &any_prop : NULL;
}

/* A property's value: wrong_type for the wrong JSON type, too_long, or invalid_value out of its
 * type's range. */
static enum kt_rc value_check(const struct prop_def *p, const json_t *v, const char *field,
                              struct kt_err *err)
{
    bool type_ok = p->type == P_STRING    ? json_is_string(v)
                   : p->type == P_BOOLEAN ? json_is_boolean(v)
                   : p->type == P_INTEGER ? json_is_integer(v)
                   : p->type == P_ANY ? json_is_string(v) || json_is_number(v) || json_is_boolean(v)
                                      : json_is_number(v);
    if (!type_ok && p->type == P_ANY) {
        return kt_err_set(err, KT_EINVAL, "wrong_type", field,
                          "'%s' must be a string, a number or a boolean", field);
    }
    if (!type_ok) {
        return kt_err_set(err, KT_EINVAL, "wrong_type", field, "'%s' must be a%s %s", field,
                          p->type == P_INTEGER ? "n" : "", type_names[p->type]);
    }
    if (json_is_string(v) && json_string_length(v) > EVENT_TEXT_MAX) {
        return kt_err_set(err, KT_EINVAL, "too_long", field, "'%s' is longer than %d bytes", field,
                          EVENT_TEXT_MAX);
    }
    bool ranged = p->min != 0 || p->max != 0;
    bool in_range = true;
    if (ranged && p->type == P_INTEGER) {
        in_range = json_integer_value(v) >= p->min && json_integer_value(v) <= p->max;
    } else if (ranged && p->type == P_NUMBER) {
        double d = json_number_value(v);
        in_range = d > (double)p->min && d <= (double)p->max;
    }
    if (!in_range) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", field, "'%s' is outside %lld..%lld",
                          field, (long long)p->min, (long long)p->max);
    }
    return KT_OK;
}

bool event_type_known(const struct event_types *types, const char *type)
{
    return find_type(types, type) != NULL;
}

enum kt_rc event_prop_check(const struct event_types *types, const char *type, const char *prop,
                            const json_t *value, const char *field, struct kt_err *err)
{
    const struct event_type_def *t = find_type(types, type);
    const struct prop_def *p = t ? find_prop(t, prop) : NULL;
    if (p == NULL) {
        return kt_err_set(err, KT_EINVAL, "unknown_property", field,
                          "the event type has no such property");
    }
    return value ? value_check(p, value, field, err) : KT_OK;
}

static enum kt_rc decode_who(const json_t *c, const char *path, struct arena *a,
                             struct event_in *out, struct kt_err *err)
{
    const char *where = arena_printf(a, "%s%scustomer", path, path[0] ? "." : "");
    if (c == NULL || json_is_null(c)) {
        return kt_err_set(err, KT_EINVAL, "missing_field", where, "'%s' is required", where);
    }
    if (!json_is_object(c)) {
        return kt_err_set(err, KT_EINVAL, "wrong_type", where, "'%s' must be an object", where);
    }
    if (json_object_size(c) == 0 || json_object_size(c) > 2) {
        return bad(err, a, path, "customer", "invalid_value",
                   "customer names one identifier, and perhaps a cookie or device id besides");
    }
    const char *kind;
    json_t *v;
    json_object_foreach((json_t *)c, kind, v)
    {
        const char *field = arena_printf(a, "customer.%s", kind);
        const char *raw;
        if (jsonx_str_at(v, arena_printf(a, "%s.%s", where, kind), 256, JSONX_REQUIRED, a, &raw,
                         err) != KT_OK) {
            return err->rc;
        }
        bool anon = strcmp(kind, "cookie") == 0 || strcmp(kind, "device") == 0;
        if ((anon && out->anon_kind) || (!anon && out->kind)) {
            return bad(err, a, path, "customer", "invalid_value",
                       "customer names one identifier, and perhaps a cookie or device id besides");
        }
        const char *value;
        bool known = anon || strcmp(kind, "id") == 0 || strcmp(kind, "phone") == 0 ||
                     strcmp(kind, "email") == 0 || strcmp(kind, "card") == 0 ||
                     (strncmp(kind, "ext:", 4) == 0 && ident_system_valid(kind + 4)) ||
                     ident_social_valid(kind);
        if (!known) {
            return bad(err, a, path, field, "unknown_identifier",
                       "not an identifier kind: id, phone, email, card, cookie, device, "
                       "ext:<system> or a social network");
        }
        const char *full = arena_printf(a, "%s%s%s", path, path[0] ? "." : "", field);
        if (strcmp(kind, "id") == 0) {
            value = arena_strdup(a, raw);
        } else if (ident_value_clean(kind, raw, strlen(raw), a, full, &value, err) != KT_OK) {
            return err->rc;
        }
        if (anon) {
            out->anon_kind = arena_strdup(a, kind);
            out->anon_value = value;
        } else {
            out->kind = arena_strdup(a, kind);
            out->value = value;
        }
    }
    return KT_OK;
}

enum kt_rc event_decode(const json_t *o, const struct event_types *types, int64_t now,
                        const char *path, struct arena *a, struct event_in *out, struct kt_err *err)
{
    static const char *const known[] = {"type",     "at",         "message_id", "channel",
                                        "customer", "properties", NULL};
    memset(out, 0, sizeof(*out));
    out->path = path;
    if (!json_is_object(o)) {
        return bad(err, a, path, "", "wrong_type", "an event is an object");
    }
    if (json_only_members(o, known, path, a, err) != KT_OK) {
        return err->rc;
    }
    const char *type;
    if (jsonx_str(o, path, "type", NAME_MAX_LEN, JSONX_REQUIRED, a, &type, err) != KT_OK) {
        return err->rc;
    }
    const struct event_type_def *t = find_type(types, type);
    if (t == NULL) {
        return bad(err, a, path, "type", "unknown_type",
                   "a standard type (GET /v1/event-types) or one declared with PUT "
                   "/v1/event-types/{name}");
    }
    out->e.type = t->name;
    out->e.received_at = now;
    out->e.at = now;
    const json_t *props = NULL;
    if (jsonx_enum(o, path, "channel", channels, JSONX_REQUIRED, &out->e.channel, err) != KT_OK ||
        jsonx_time(o, path, "at", now, 0, &out->e.at, err) != KT_OK ||
        jsonx_str(o, path, "message_id", 128, 0, a, &out->message_id, err) != KT_OK ||
        decode_who(json_object_get(o, "customer"), path, a, out, err) != KT_OK ||
        jsonx_object(o, path, "properties", NULL, 0, a, &props, err) != KT_OK) {
        return err->rc;
    }
    if (strcmp(t->name, OPEN_TYPE) == 0 && json_object_size(props) > EVENT_PROPS_MAX) {
        return bad(err, a, path, "properties", "too_many",
                   arena_printf(a, "at most %d properties", EVENT_PROPS_MAX));
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        const struct prop_def *p = find_prop(t, key);
        const char *field = arena_printf(a, "properties.%s", key);
        if (p == NULL) {
            return bad(err, a, path, field, "unknown_property",
                       "not a property of this type (GET /v1/event-types)");
        }
        if (value_check(p, v, arena_printf(a, "%s%s%s", path, path[0] ? "." : "", field), err) !=
            KT_OK) {
            return err->rc;
        }
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->props[i].required && json_object_get(props, t->props[i].name) == NULL) {
            return bad(err, a, path, arena_printf(a, "properties.%s", t->props[i].name),
                       "missing_field", "required by this type");
        }
    }
    if (props != NULL && json_object_size(props) > 0) {
        char *text = json_dumps(props, JSON_COMPACT);
        out->e.props = arena_strdup(a, text);
        free(text);
    }
    return KT_OK;
}
