/*
 * tracking.c - a Segment message mapped onto an event or a customer (tracking.h; the table is
 * docs/collect.md).
 *
 *   {"type": "track", "event": "Product Added", "userId": "u-1", "anonymousId": "a-1",
 *    "messageId": "m-1", "timestamp": "...", "sentAt": "...",
 *    "properties": {"product_id": "A-1", "price": 129.9, "quantity": 1},
 *    "context": {"page": {"url": ...}, "campaign": {"source": ...}, "library": {...}}}
 *   -> {"type": "cart_add", "at": "...", "message_id": "m-1", "channel": "web",
 *       "customer": {"ext:shop": "u-1", "cookie": "a-1"},
 *       "properties": {"sku": "A-1", "price": 12990, "quantity": 1, "url": ...}}
 *
 * An SDK sends what it likes: a property or trait with no place in the type or the profile is
 * left out and counted, never an error. What is refused is what makes no event at all.
 */
#include <math.h>
#include <string.h>

#include "base/clock.h"
#include "events/tracking.h"

static const char *const call_names[] = {"track", "identify", "page", "screen", "group", "alias"};

bool track_call_parse(const char *name, enum track_call *out)
{
    for (size_t i = 0; name != NULL && i < sizeof(call_names) / sizeof(call_names[0]); i++) {
        if (strcmp(name, call_names[i]) == 0 || (name[0] == call_names[i][0] && name[1] == '\0')) {
            *out = (enum track_call)i;
            return true;
        }
    }
    return false;
}

/* ---- the e-commerce spec's names ------------------------------------------------------------ */

enum conv {
    C_COPY,  /* as it is */
    C_MONEY, /* roubles (a number) to kopecks */
    C_COUNT, /* an array: how many items */
    C_ONE,   /* as it is; 1 when absent (a quantity) */
};

struct prop_map {
    const char *to;
    const char *from[3]; /* the first present wins */
    enum conv conv;
};

struct name_map {
    const char *name; /* Segment's event name */
    const char *type; /* Kartoteka's */
    struct prop_map props[9];
};

#define PRODUCT                                                                                    \
    {"sku", {"sku", "product_id"}, C_COPY}, {"category", {"category"}, C_COPY},                    \
        {"brand", {"brand"}, C_COPY},                                                              \
    {                                                                                              \
        "price", {"price"}, C_MONEY                                                                \
    }

static const struct name_map names[] = {
    {"Products Searched", "search", {{"query", {"query"}, C_COPY}}},
    {"Product Viewed", "product_view", {PRODUCT}},
    {"Product Added",
     "cart_add",
     {PRODUCT, {"quantity", {"quantity"}, C_ONE}, {"cart", {"cart_id"}, C_COPY}}},
    {"Product Removed",
     "cart_remove",
     {PRODUCT, {"quantity", {"quantity"}, C_ONE}, {"cart", {"cart_id"}, C_COPY}}},
    {"Checkout Started",
     "checkout_start",
     {{"total", {"value", "revenue", "total"}, C_MONEY},
      {"items", {"products"}, C_COUNT},
      {"cart", {"cart_id", "checkout_id"}, C_COPY}}},
    {"Order Completed",
     "order_completed",
     {{"order_id", {"order_id", "checkout_id"}, C_COPY},
      {"total", {"total", "value"}, C_MONEY},
      {"revenue", {"revenue"}, C_MONEY},
      {"shipping", {"shipping"}, C_MONEY},
      {"tax", {"tax"}, C_MONEY},
      {"discount", {"discount"}, C_MONEY},
      {"items", {"products"}, C_COUNT},
      {"coupon", {"coupon"}, C_COPY},
      {"currency", {"currency"}, C_COPY}}},
    {"Product Reviewed",
     "review",
     {{"sku", {"product_id", "sku"}, C_COPY},
      {"rating", {"rating"}, C_COPY},
      {"text", {"review_body"}, C_COPY}}},
    {"Product Shared",
     "social_share",
     {{"network", {"share_via"}, C_COPY}, {"url", {"url"}, C_COPY}}},
    {"Signed Up", "sign_up", {{"method", {"type", "method"}, C_COPY}}},
    {"Application Opened", "app_open", {{"version", {"version"}, C_COPY}}},
    {"Application Installed", "app_install", {{"version", {"version"}, C_COPY}}},
};

/* ---- small helpers -------------------------------------------------------------------------- */

static void decref(void *p)
{
    json_decref(p);
}

static json_t *own(struct arena *a, json_t *v)
{
    arena_defer(a, decref, v);
    return v;
}

static const char *field_of(struct arena *a, const char *path, const char *name)
{
    return path[0] ? arena_printf(a, "%s.%s", path, name) : name;
}

/* A string member, or a whole number given as a number (ids sent as numbers), else NULL. */
static const char *str_or_int(const json_t *o, const char *name, struct arena *a)
{
    const json_t *v = json_object_get(o, name);
    if (json_is_string(v)) {
        return json_string_length(v) > 0 ? json_string_value(v) : NULL;
    }
    return json_is_integer(v) ? arena_printf(a, "%lld", (long long)json_integer_value(v)) : NULL;
}

/* The name in snake case: "Coupon Applied" -> "coupon_applied"; NULL when it has no letter or
 * digit or is too long to be a type's name. */
static const char *snake(const char *s, struct arena *a)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) {
        return NULL;
    }
    char *out = arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch - 'A' + 'a');
        }
        bool word = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (word) {
            out[k++] = ch;
        } else if (k > 0 && out[k - 1] != '_') {
            out[k++] = '_';
        }
    }
    while (k > 0 && out[k - 1] == '_') {
        k--;
    }
    out[k] = '\0';
    return k > 0 && out[0] >= 'a' && out[0] <= 'z' ? out : NULL;
}

/* Puts `v` (a new reference) as property `name` when the type has it and the value fits (and,
 * for the open type, while it has fewer than EVENT_PROPS_MAX); counts it dropped otherwise. */
static void put_prop(const struct track_ctx *c, const char *type, json_t *props, const char *name,
                     json_t *v, struct track_out *out)
{
    struct kt_err e;
    kt_err_reset(&e);
    bool room = strcmp(type, "track") != 0 || json_object_size(props) < EVENT_PROPS_MAX;
    if (v != NULL && room && json_object_get(props, name) == NULL &&
        event_prop_check(c->types, type, name, v, name, &e) == KT_OK) {
        json_object_set_new(props, name, v);
        return;
    }
    out->dropped += v != NULL;
    json_decref(v);
}

static json_t *converted(const json_t *v, enum conv conv)
{
    if (conv == C_MONEY) {
        double d = json_number_value(v);
        return json_is_number(v) && isfinite(d) && fabs(d) < 1e12 ? json_integer(llround(d * 100))
                                                                  : NULL;
    }
    if (conv == C_COUNT) {
        return json_is_array(v) ? json_integer((json_int_t)json_array_size(v)) : NULL;
    }
    return json_deep_copy(v);
}

/* ---- time and who --------------------------------------------------------------------------- */

/* When it happened: the client's timestamp corrected for its clock, receivedAt - (sentAt -
 * timestamp), with the message's sentAt or the batch's; the timestamp alone without a sentAt;
 * the arrival without a timestamp. */
static enum kt_rc when(const json_t *msg, const struct track_ctx *c, const char *path,
                       struct arena *a, int64_t *at, struct kt_err *err)
{
    const char *names_ts[] = {"originalTimestamp", "timestamp"}; /* the client's own clock */
    const json_t *ts = NULL;
    const char *which = NULL;
    for (size_t i = 0; i < 2 && ts == NULL; i++) {
        ts = json_object_get(msg, names_ts[i]);
        which = names_ts[i];
    }
    *at = c->received_at;
    if (ts == NULL || json_is_null(ts)) {
        return KT_OK;
    }
    int64_t t, sent;
    if (!json_is_string(ts) ||
        !time_parse_rfc3339(json_string_value(ts), json_string_length(ts), &t)) {
        const char *f = field_of(a, path, which);
        return kt_err_set(err, KT_EINVAL, "invalid_time", f, "'%s' is not an ISO 8601 time", f);
    }
    const json_t *s = json_object_get(msg, "sentAt");
    const char *sfield = "sentAt";
    if (s == NULL || json_is_null(s)) {
        s = c->batch_sent_at;
        path = "";
    }
    if (s == NULL || json_is_null(s)) {
        *at = t;
        return KT_OK;
    }
    if (!json_is_string(s) ||
        !time_parse_rfc3339(json_string_value(s), json_string_length(s), &sent)) {
        const char *f = field_of(a, path, sfield);
        return kt_err_set(err, KT_EINVAL, "invalid_time", f, "'%s' is not an ISO 8601 time", f);
    }
    *at = c->received_at - (sent - t);
    return KT_OK;
}

/* The channel: `app` for the mobile SDKs (by context.library.name), `web` for the others. */
static const char *channel_of(const json_t *msg)
{
    const char *lib = json_string_value(
        json_object_get(json_object_get(json_object_get(msg, "context"), "library"), "name"));
    static const char *const mobile[] = {"ios",     "android", "react-native", "swift", "kotlin",
                                         "flutter", "xamarin", "react_native", "unity", NULL};
    for (size_t i = 0; lib != NULL && mobile[i] != NULL; i++) {
        if (strcasestr(lib, mobile[i]) != NULL) {
            return "app";
        }
    }
    return "web";
}

struct who {
    const char *user, *anon; /* userId, anonymousId */
};

/* The anonymous id that stands for a userId not yet known: a server SDK's track may come before
 * its identify (batches are sent side by side), and an event never creates a customer. Such an
 * event is kept anonymous under it, and adopted when the identify, which links it, comes. */
static const char *user_cookie(const char *user, struct arena *a)
{
    return arena_printf(a, "user:%s", user);
}

static enum kt_rc who_of(const json_t *msg, const char *path, struct arena *a, struct who *w,
                         struct kt_err *err)
{
    w->user = str_or_int(msg, "userId", a);
    w->anon = str_or_int(msg, "anonymousId", a);
    if (w->user == NULL && w->anon == NULL) {
        const char *f = field_of(a, path, "userId");
        return kt_err_set(err, KT_EINVAL, "missing_field", f,
                          "a message needs a userId or an anonymousId");
    }
    return KT_OK;
}

/* ---- events --------------------------------------------------------------------------------- */

/* The properties every event takes: the page's url (when the type has no url of its own given)
 * and the campaign's UTM tags. */
static void common_props(const struct track_ctx *c, const json_t *msg, const char *type,
                         json_t *props, struct track_out *out)
{
    const json_t *ctx = json_object_get(msg, "context");
    const json_t *page = json_object_get(ctx, "page");
    if (json_object_get(props, "url") == NULL && json_is_string(json_object_get(page, "url"))) {
        put_prop(c, type, props, "url", json_deep_copy(json_object_get(page, "url")), out);
    }
    const json_t *camp = json_object_get(ctx, "campaign");
    static const char *const utm[][2] = {{"source", "utm_source"},
                                         {"medium", "utm_medium"},
                                         {"name", "utm_campaign"},
                                         {"term", "utm_term"},
                                         {"content", "utm_content"}};
    for (size_t i = 0; json_is_object(camp) && i < 5; i++) {
        const json_t *v = json_object_get(camp, utm[i][0]);
        if (v != NULL) {
            put_prop(c, type, props, utm[i][1], json_deep_copy(v), out);
        }
    }
}

/* A type's properties from a table entry. */
static void mapped_props(const struct track_ctx *c, const struct name_map *m, const json_t *in,
                         json_t *props, struct track_out *out)
{
    for (size_t i = 0; i < sizeof(m->props) / sizeof(m->props[0]) && m->props[i].to; i++) {
        const struct prop_map *p = &m->props[i];
        const json_t *v = NULL;
        for (size_t k = 0; k < 3 && p->from[k] != NULL && v == NULL; k++) {
            v = json_object_get(in, p->from[k]);
        }
        if (v == NULL && p->conv == C_ONE) {
            json_object_set_new(props, p->to, json_integer(1));
            continue;
        }
        if (v != NULL && !json_is_null(v)) {
            put_prop(c, m->type, props, p->to, converted(v, p->conv), out);
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v)
    {
        bool read = false;
        for (size_t i = 0; i < sizeof(m->props) / sizeof(m->props[0]) && m->props[i].to; i++) {
            for (size_t k = 0; k < 3 && m->props[i].from[k] != NULL; k++) {
                read = read || strcmp(m->props[i].from[k], key) == 0;
            }
        }
        out->dropped += !read;
    }
}

/* A page's or a screen's properties: the url, title and referrer of a page (its properties, else
 * context.page), the name and category of a screen (the call's, else its properties). */
static void page_props(const struct track_ctx *c, const json_t *msg, enum track_call call,
                       const char *type, const json_t *in, json_t *props, struct track_out *out)
{
    const json_t *page = json_object_get(json_object_get(msg, "context"), "page");
    static const char *const page_keys[] = {"url", "title", "referrer", NULL};
    static const char *const screen_keys[] = {"name", "category", NULL};
    const char *const *keys = call == TRACK_PAGE ? page_keys : screen_keys;
    for (size_t i = 0; keys[i] != NULL; i++) {
        const json_t *v =
            call == TRACK_PAGE ? json_object_get(in, keys[i]) : json_object_get(msg, keys[i]);
        v = v != NULL            ? v
            : call == TRACK_PAGE ? json_object_get(page, keys[i])
                                 : json_object_get(in, keys[i]);
        if (v != NULL && !json_is_null(v)) {
            put_prop(c, type, props, keys[i], json_deep_copy(v), out);
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v)
    {
        bool read = false;
        for (size_t i = 0; keys[i] != NULL; i++) {
            read = read || strcmp(keys[i], key) == 0;
        }
        if (!read && strcmp(type, "track") == 0) { /* the fallback keeps them all */
            put_prop(c, type, props, key, json_deep_copy(v), out);
        } else {
            out->dropped += !read;
        }
    }
}

/* Properties of a type of the same name (declared, or standard and named so): those the type has.
 */
static void same_props(const struct track_ctx *c, const char *type, const json_t *in, json_t *props,
                       struct track_out *out)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v)
    {
        if (!json_is_null(v)) {
            put_prop(c, type, props, key, json_deep_copy(v), out);
        }
    }
}

static json_t *event_doc(const json_t *msg, const struct track_ctx *c, const char *type, int64_t at,
                         const struct who *w, const char *channel, struct arena *a)
{
    json_t *who = json_object();
    if (w->user != NULL) { /* and its own anonymous id: kept under it until the identify comes */
        json_object_set_new(who, arena_printf(a, "ext:%s", c->user_system), json_string(w->user));
        json_object_set_new(who, "cookie", json_string(user_cookie(w->user, a)));
    } else {
        json_object_set_new(who, strcmp(channel, "app") == 0 ? "device" : "cookie",
                            json_string(w->anon));
    }
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:o}", "type", type, "at", time_rfc3339(a, at),
                            "channel", channel, "customer", who, "properties", json_object());
    const json_t *mid = json_object_get(msg, "messageId");
    if (mid != NULL && !json_is_null(mid)) {
        json_object_set(doc, "message_id", (json_t *)mid); /* checked by event_decode */
    }
    return own(a, doc);
}

static enum kt_rc track_event(const json_t *msg, enum track_call call, bool generic,
                              const struct track_ctx *c, const char *path, int64_t at,
                              const struct who *w, struct arena *a, struct track_out *out,
                              struct kt_err *err)
{
    const char *channel = channel_of(msg);
    const json_t *in = json_object_get(msg, "properties");
    if (in != NULL && !json_is_object(in) && !json_is_null(in)) {
        const char *f = field_of(a, path, "properties");
        return kt_err_set(err, KT_EINVAL, "wrong_type", f, "'%s' must be an object", f);
    }
    if (!json_is_object(in)) {
        in = own(a, json_object());
    }
    const char *name = NULL;
    if (call == TRACK_TRACK) {
        const json_t *ev = json_object_get(msg, "event");
        if (!json_is_string(ev) || json_string_length(ev) == 0 ||
            json_string_length(ev) > EVENT_TEXT_MAX) {
            const char *f = field_of(a, path, "event");
            return kt_err_set(err, KT_EINVAL, ev == NULL ? "missing_field" : "invalid_value", f,
                              "a track call needs its event's name: a string of 1-%d bytes",
                              EVENT_TEXT_MAX);
        }
        name = json_string_value(ev);
    }
    const struct name_map *m = NULL;
    const char *type = NULL;
    if (call == TRACK_PAGE) {
        type = "page_view";
    } else if (call == TRACK_SCREEN) {
        type = "screen_view";
    } else if (!generic) {
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && m == NULL; i++) {
            m = strcmp(names[i].name, name) == 0 ? &names[i] : NULL;
        }
        const char *sn = m == NULL ? snake(name, a) : NULL;
        type = m != NULL ? m->type : sn != NULL && event_type_known(c->types, sn) ? sn : NULL;
    }
    if (generic && call != TRACK_TRACK) {
        type = "track";
        name = call == TRACK_PAGE ? "Page Viewed" : "Screen Viewed";
    }
    if (type == NULL) {
        type = "track";
    }
    json_t *doc = event_doc(msg, c, type, at, w, channel, a);
    json_t *props = json_object_get(doc, "properties");
    if (strcmp(type, "track") == 0) {
        json_object_set_new(props, "event", json_string(name));
    }
    if (m != NULL) {
        mapped_props(c, m, in, props, out);
    } else if (call == TRACK_PAGE || call == TRACK_SCREEN) {
        page_props(c, msg, call, type, in, props, out);
    } else {
        same_props(c, type, in, props, out);
    }
    common_props(c, msg, type, props, out);
    out->kind = TRACK_AS_EVENT;
    out->doc = doc;
    out->name = name;
    return KT_OK;
}

/* ---- customers ------------------------------------------------------------------------------ */

/* The profile's fields from Segment's reserved traits (camelCase or snake_case). */
static const char *const trait_map[][3] = {
    {"email", "email", NULL},
    {"phone", "phone", NULL},
    {"first_name", "firstName", "first_name"},
    {"last_name", "lastName", "last_name"},
    {"middle_name", "middleName", "middle_name"},
    {"gender", "gender", NULL},
    {"birth_date", "birthday", "birth_date"},
    {"city", "city", NULL},
};

static bool attr_declared(const struct track_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->n_attrs; i++) {
        if (strcmp(c->attrs[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static void traits_to(const struct track_ctx *c, const json_t *traits, json_t *profile,
                      json_t *attrs, struct arena *a, struct track_out *out)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)traits, key, v)
    {
        bool used = json_is_null(v) || strcmp(key, "consents") == 0;
        for (size_t i = 0; !used && i < sizeof(trait_map) / sizeof(trait_map[0]); i++) {
            if (strcmp(key, trait_map[i][1]) != 0 &&
                !(trait_map[i][2] && strcmp(key, trait_map[i][2]) == 0)) {
                continue;
            }
            const char *s = str_or_int(traits, key, a);
            if (s != NULL && strcmp(trait_map[i][0], "birth_date") == 0) {
                s = arena_strndup(a, s, strcspn(s, "T")); /* an ISO time: its date */
            }
            if (s != NULL) {
                json_object_set_new(profile, trait_map[i][0], json_string(s));
            }
            used = s != NULL;
        }
        if (!used && strcmp(key, "name") == 0 && json_is_string(v)) {
            used = true; /* the full name, unless its parts came */
        } else if (!used && strcmp(key, "address") == 0 && json_is_object(v)) {
            const char *city = json_string_value(json_object_get(v, "city"));
            const char *street = json_string_value(json_object_get(v, "street"));
            if (city != NULL && json_object_get(profile, "city") == NULL) {
                json_object_set_new(profile, "city", json_string(city));
            }
            if (street != NULL) {
                json_object_set_new(profile, "address", json_string(street));
            }
            used = city != NULL || street != NULL;
        } else if (!used && attr_declared(c, key)) {
            json_object_set(attrs, key, v);
            used = true;
        }
        out->dropped += !used;
    }
    const char *full = json_string_value(json_object_get(traits, "name"));
    if (full != NULL && json_object_get(profile, "first_name") == NULL &&
        json_object_get(profile, "last_name") == NULL) {
        json_object_set_new(profile, "full_name", json_string(full));
    }
}

/* The consents of an identify's traits (a new reference), their evidence completed from the
 * message's context: the browser's user agent and address, when the grant does not give them. */
static json_t *with_evidence(const json_t *consents, const json_t *msg)
{
    json_t *out = json_deep_copy(consents);
    const json_t *ctx = json_object_get(msg, "context");
    const json_t *from[] = {json_object_get(ctx, "userAgent"), json_object_get(ctx, "ip")};
    static const char *const members[] = {"user_agent", "ip"};
    size_t i;
    json_t *grant;
    json_array_foreach(out, i, grant)
    {
        json_t *ev = json_object_get(grant, "evidence");
        for (size_t k = 0; json_is_object(ev) && k < 2; k++) {
            if (json_is_string(from[k]) && json_object_get(ev, members[k]) == NULL) {
                json_object_set(ev, members[k], (json_t *)from[k]);
            }
        }
    }
    return out;
}

static enum kt_rc customer(const json_t *msg, enum track_call call, const struct track_ctx *c,
                           const char *path, int64_t at, const struct who *w, struct arena *a,
                           struct track_out *out, struct kt_err *err)
{
    const char *channel = channel_of(msg);
    const char *anon = w->anon;
    if (call == TRACK_ALIAS) { /* previousId: the id the visitor had before userId */
        anon = str_or_int(msg, "previousId", a);
        if (w->user == NULL || anon == NULL) {
            const char *f = field_of(a, path, w->user == NULL ? "userId" : "previousId");
            return kt_err_set(err, KT_EINVAL, "missing_field", f,
                              "an alias call needs both userId and previousId");
        }
    }
    json_t *ids = json_object(), *cookies = json_array();
    if (w->user != NULL) {
        json_object_set_new(ids, "external", json_pack("{s:s}", c->user_system, w->user));
        json_array_append_new(cookies, json_string(user_cookie(w->user, a)));
    }
    bool app = strcmp(channel, "app") == 0;
    if (anon != NULL && app) {
        json_object_set_new(ids, "device", json_string(anon));
    } else if (anon != NULL) {
        json_array_append_new(cookies, json_string(anon));
    }
    json_object_set_new(ids, "cookie", cookies);
    json_t *doc = own(a, json_pack("{s:{s:s, s:s}, s:o}", "source", "channel", channel, "at",
                                   time_rfc3339(a, at < c->received_at ? at : c->received_at),
                                   "identifiers", ids));
    const json_t *traits = json_object_get(msg, "traits");
    if (call == TRACK_IDENTIFY && traits != NULL && !json_is_null(traits)) {
        if (!json_is_object(traits)) {
            const char *f = field_of(a, path, "traits");
            return kt_err_set(err, KT_EINVAL, "wrong_type", f, "'%s' must be an object", f);
        }
        json_t *profile = json_object(), *attrs = json_object();
        traits_to(c, traits, profile, attrs, a, out);
        json_object_set_new(doc, "profile", profile);
        if (json_object_size(attrs) > 0) {
            json_object_set_new(doc, "attributes", attrs);
        } else {
            json_decref(attrs);
        }
        const json_t *consents = json_object_get(traits, "consents"); /* ours, as in the API */
        if (consents != NULL && !json_is_null(consents)) {
            json_object_set_new(doc, "consents", with_evidence(consents, msg));
        }
    }
    out->kind = TRACK_AS_CUSTOMER;
    out->doc = doc;
    return KT_OK;
}

enum kt_rc track_map(const json_t *msg, enum track_call call, bool generic,
                     const struct track_ctx *c, const char *path, struct arena *a,
                     struct track_out *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(msg)) {
        return kt_err_set(err, KT_EINVAL, "wrong_type", path[0] ? path : "message",
                          "a message is an object");
    }
    struct who w;
    int64_t at;
    if (call == TRACK_GROUP) {
        out->kind = TRACK_AS_NOTHING;
        return who_of(msg, path, a, &w, err);
    }
    if (who_of(msg, path, a, &w, err) != KT_OK || when(msg, c, path, a, &at, err) != KT_OK) {
        return err->rc;
    }
    const json_t *mid = json_object_get(msg, "messageId");
    if (mid != NULL && !json_is_null(mid) &&
        (!json_is_string(mid) || json_string_length(mid) == 0 || json_string_length(mid) > 128)) {
        const char *f = field_of(a, path, "messageId");
        return kt_err_set(err, KT_EINVAL, "invalid_value", f, "'%s' is a string of 1-128 bytes", f);
    }
    if (call == TRACK_IDENTIFY || call == TRACK_ALIAS) {
        return customer(msg, call, c, path, at, &w, a, out, err);
    }
    return track_event(msg, call, generic, c, path, at, &w, a, out, err);
}
