/*
 * caps.c - the frequency caps' rules (see caps.h): their decoding, their windows on the
 * customer's calendar, their reasons, and the sender's copy of them.
 */
#include <string.h>

#include "base/jsonx.h"
#include "deliver/caps.h"

static const char *const units[] = {"hours", "days", "weeks", NULL};
static const char *const channels[] = {"email", "sms", "push", "webhook", NULL};
/* the longest window of each unit: a year */
static const int64_t unit_max[] = {366 * 24, 366, 53};

static int unit_of(const char *per)
{
    int i = 0;
    while (units[i] != NULL && strcmp(units[i], per) != 0) {
        i++;
    }
    return i;
}

void policy_caps_init(struct policy_caps *k)
{
    *k = (struct policy_caps){.version = -1};
    arena_init(&k->arena, 0);
}

void policy_caps_free(struct policy_caps *k)
{
    arena_release(&k->arena);
    k->rules = NULL;
    k->reasons = NULL;
    k->n = 0;
    k->version = -1;
}

enum kt_rc policy_caps_load(struct store_conn *c, struct policy_caps *k, struct kt_err *err)
{
    int64_t v = 0;
    if (store_caps_version(c, &v, err) != KT_OK) {
        return err->rc;
    }
    if (v == k->version) {
        return KT_OK;
    }
    policy_caps_free(k);
    if (store_caps_get(c, &k->arena, &k->rules, &k->n, &v, err) != KT_OK) {
        return err->rc;
    }
    k->reasons = arena_zalloc(&k->arena, (k->n ? k->n : 1) * sizeof(*k->reasons));
    for (size_t i = 0; i < k->n; i++) {
        k->reasons[i] = policy_cap_reason(&k->rules[i], &k->arena);
    }
    k->version = v;
    return KT_OK;
}

const char *policy_cap_reason(const struct cap_rule *r, struct arena *a)
{
    return arena_printf(a, "cap:%lld/%lld%c/%s/%s", (long long)r->count, (long long)r->n, r->per[0],
                        r->channel ? r->channel : "*", r->topic ? r->topic : "*");
}

int64_t policy_cap_since(const struct cap_rule *r, const struct tz *z, int64_t now)
{
    int unit = unit_of(r->per);
    if (unit == 0) {
        return now - r->n * 3600000;
    }
    struct tz_local l;
    tz_local(z, now, &l);
    int64_t first = unit == 1 ? l.days - (r->n - 1) : l.days - (l.weekday - 1) - 7 * (r->n - 1);
    return tz_day_start(z, first);
}

bool policy_cap_applies(const struct cap_rule *r, const char *channel, const char *topic)
{
    return (r->channel == NULL || strcmp(r->channel, channel) == 0) &&
           (r->topic == NULL || (topic != NULL && strcmp(r->topic, topic) == 0));
}

static enum kt_rc rule_decode(const json_t *v, const char *path, struct arena *a,
                              struct cap_rule *r, struct kt_err *err)
{
    static const char *const known[] = {"count", "per", "n", "channel", "topic", "reason", NULL};
    *r = (struct cap_rule){.n = 1};
    if (json_only_members(v, known, path, a, err) != KT_OK ||
        jsonx_int(v, path, "count", 1, CAPS_MAX_COUNT, JSONX_REQUIRED, &r->count, err) != KT_OK ||
        jsonx_enum(v, path, "per", units, JSONX_REQUIRED, &r->per, err) != KT_OK ||
        jsonx_int(v, path, "n", 1, unit_max[unit_of(r->per)], 0, &r->n, err) != KT_OK ||
        jsonx_enum(v, path, "channel", channels, 0, &r->channel, err) != KT_OK ||
        jsonx_str(v, path, "topic", 64, 0, a, &r->topic, err) != KT_OK) {
        return err->rc;
    }
    return KT_OK;
}

enum kt_rc policy_caps_decode(const json_t *body, struct arena *a, struct cap_rule **out, size_t *n,
                              struct kt_err *err)
{
    static const char *const known[] = {"rules", "version", NULL};
    const json_t *list = NULL;
    if (json_only_members(body, known, "", a, err) != KT_OK ||
        jsonx_array(body, "", "rules", 0, CAPS_MAX_RULES, JSONX_REQUIRED, &list, err) != KT_OK) {
        return err->rc;
    }
    size_t len = json_array_size(list);
    struct cap_rule *rules = arena_zalloc(a, (len ? len : 1) * sizeof(*rules));
    for (size_t i = 0; i < len; i++) {
        const char *path = arena_printf(a, "rules[%zu]", i);
        if (rule_decode(json_array_get(list, i), path, a, &rules[i], err) != KT_OK) {
            return err->rc;
        }
    }
    *out = rules;
    *n = len;
    return KT_OK;
}

json_t *policy_caps_json(const struct cap_rule *rules, size_t n, int64_t version, struct arena *a)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct cap_rule *r = &rules[i];
        json_t *o = json_pack("{s:I, s:s, s:I, s:s}", "count", (json_int_t)r->count, "per", r->per,
                              "n", (json_int_t)r->n, "reason", policy_cap_reason(r, a));
        if (r->channel != NULL) {
            json_object_set_new(o, "channel", json_string(r->channel));
        }
        if (r->topic != NULL) {
            json_object_set_new(o, "topic", json_string(r->topic));
        }
        json_array_append_new(list, o);
    }
    return json_pack("{s:o, s:I}", "rules", list, "version", (json_int_t)version);
}
