/*
 * decode.c - a customer document (the body of POST and PATCH /v1/customers, or an import row)
 * into a struct upsert_req: the one place where values are cleaned on their way in.
 *
 *   {"source":      {"channel": "pos", "store": "S-12", "operator": "op-7",
 *                    "at": "2026-11-24T10:00:00Z"},
 *    "profile":     {"last_name": ..., "first_name": ..., "middle_name": ..., "gender": "f",
 *                    "birth_date": "1985-03-24", "email": ..., "phone": ..., "city": ...,
 *                    "address": ...},
 *    "attributes":  {"pets": ["cat"]},
 *    "identifiers": {"phone": "...", "email": "...", "card": "...", "cookie": "...",
 *                    "device": "...", "external": {"eshop": "u-123"}, "vk": "id1", ...},
 *    "verified":    ["phone"],
 *    "consents":    [...]}   (decoded by consent/consent_decode)
 *
 * Every identifier value may also be an array of values. In POST an empty string or null means
 * "not known" and changes nothing; in PATCH null removes a value. Unknown members are refused, so
 * a typo in a field name is an error and not silently dropped data.
 */
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "clean/clean.h"
#include "identity/attrs.h"

#define MAX_IDENTS      50
#define SOURCE_TEXT_MAX 64

static void decref(void *p)
{
    json_decref(p);
}

struct dec {
    struct upsert_req *req;
    bool patch;
    bool lenient; /* invalid values become refusals instead of errors */
    enum key_scope scope;
    int64_t now;
    struct arena *a;
    struct kt_err *err;
    size_t cap_idents, cap_fields, cap_notes, cap_refused;
    const char *full_name; /* the raw full_name, when given */
    size_t full_name_len;
};

static void note(struct dec *d, const char *code, const char *field, const char *detail)
{
    struct ident_warning *w =
        arena_push(d->a, &d->req->notes, &d->req->n_notes, &d->cap_notes, sizeof(*w));
    w->code = code;
    w->field = field;
    w->detail = detail;
}

/* An invalid value: an error, or in a lenient request a refusal kept for the history. */
static enum kt_rc refuse_value(struct dec *d, const char *code, const char *field, const char *raw,
                               size_t len, const char *reason)
{
    if (!d->lenient) {
        return kt_err_set(d->err, KT_EINVAL, code, field, "'%s' is not valid (%s)", field, reason);
    }
    struct ident_refusal *r =
        arena_push(d->a, &d->req->refused, &d->req->n_refused, &d->cap_refused, sizeof(*r));
    r->field = field;
    r->raw = arena_strndup(d->a, raw, len);
    r->reason = reason;
    note(d, "refused", field, reason);
    return KT_OK;
}

/* Records what cleaning said of a kept value and returns its quality code. */
static enum quality verdict_note(struct dec *d, const char *field, const struct clean_out *t)
{
    if (t->verdict == CLEAN_SUSPICIOUS) {
        note(d, "suspicious", field, t->reason);
        return QUALITY_SUSPICIOUS;
    }
    if (t->verdict == CLEAN_CORRECTED) {
        note(d, "corrected", field, t->change);
        return QUALITY_CORRECTED;
    }
    return QUALITY_OK;
}

static enum kt_rc wrong_type(struct dec *d, const char *field, const char *what)
{
    return kt_err_set(d->err, KT_EINVAL, "wrong_type", field, "'%s' must be %s", field, what);
}

static enum kt_rc unknown(struct dec *d, const char *field)
{
    return kt_err_set(d->err, KT_EINVAL, "unknown_field", field, "unknown field '%s'", field);
}

static enum kt_rc text_value(struct dec *d, const json_t *v, const char *field, size_t max,
                             const char **out)
{
    if (!json_is_string(v)) {
        return wrong_type(d, field, "a string");
    }
    struct clean_out t;
    clean_text(json_string_value(v), json_string_length(v), max, d->a, &t);
    if (t.verdict == CLEAN_INVALID) {
        if (strcmp(t.reason, "too_long") == 0) {
            return kt_err_set(d->err, KT_EINVAL, "too_long", field, "'%s' is longer than %zu bytes",
                              field, max);
        }
        return kt_err_set(d->err, KT_EINVAL, "invalid_value", field,
                          "'%s' is not acceptable text (%s)", field, t.reason);
    }
    *out = t.value;
    return KT_OK;
}

static enum kt_rc decode_source(struct dec *d, const json_t *src)
{
    if (src == NULL) {
        return kt_err_set(d->err, KT_EINVAL, "missing_field", "source",
                          "'source' is required: say which channel the data comes from");
    }
    if (!json_is_object(src)) {
        return wrong_type(d, "source", "an object");
    }
    struct ident_source *s = &d->req->src;
    const char *key;
    const json_t *v;
    enum kt_rc rc = KT_OK;
    json_object_foreach((json_t *)src, key, v)
    {
        const char *field = arena_printf(d->a, "source.%s", key);
        if (strcmp(key, "channel") == 0) {
            rc = text_value(d, v, field, SOURCE_TEXT_MAX, &s->channel);
            if (rc == KT_OK && !ident_channel_valid(s->channel)) {
                rc = kt_err_set(d->err, KT_EINVAL, "invalid_value", field,
                                "channel must be one of pos, web, app, qr_form, tablet, import, "
                                "call_center, paper");
            }
        } else if (strcmp(key, "store") == 0) {
            rc = text_value(d, v, field, SOURCE_TEXT_MAX, &s->store_id);
        } else if (strcmp(key, "operator") == 0) {
            rc = text_value(d, v, field, SOURCE_TEXT_MAX, &s->operator_id);
        } else if (strcmp(key, "at") == 0) {
            rc = jsonx_time_at(v, field, d->now, 0, &s->observed_at, d->err);
        } else {
            rc = unknown(d, field);
        }
        if (rc != KT_OK) {
            return rc;
        }
    }
    if (s->channel == NULL) {
        return kt_err_set(d->err, KT_EINVAL, "missing_field", "source.channel",
                          "'source.channel' is required");
    }
    if (d->scope == SCOPE_COLLECT && strcmp(s->channel, "web") != 0 &&
        strcmp(s->channel, "app") != 0 && strcmp(s->channel, "qr_form") != 0 &&
        strcmp(s->channel, "tablet") != 0) {
        return kt_err_set(d->err, KT_EINVAL, "channel_not_allowed", "source.channel",
                          "a collect key may send only web, app, qr_form or tablet data");
    }
    return KT_OK;
}

/* One profile value, cleaned by its field's rules. */
static enum kt_rc profile_value(struct dec *d, int f, const char *raw, size_t len,
                                const char *field)
{
    struct clean_out t;
    const char *code = "invalid_value";
    switch (f) {
    case PF_PHONE: {
        struct clean_phone p;
        clean_phone(raw, len, d->a, &p);
        t = p.out;
        code = "invalid_phone";
        break;
    }
    case PF_EMAIL: {
        struct clean_email e;
        clean_email(raw, len, d->a, &e);
        t = e.out;
        t.value = e.display;
        d->req->email_key = e.out.value;
        code = "invalid_email";
        break;
    }
    case PF_GENDER:
        clean_gender(raw, len, d->a, &t);
        code = "invalid_gender";
        break;
    case PF_BIRTH_DATE:
        clean_birth_date(raw, len, d->now / 86400000, d->a, &t);
        code = "invalid_date";
        break;
    case PF_LAST_NAME:
    case PF_FIRST_NAME:
    case PF_MIDDLE_NAME:
        clean_name_part(f == PF_LAST_NAME    ? NAME_LAST
                        : f == PF_FIRST_NAME ? NAME_FIRST
                                             : NAME_MIDDLE,
                        raw, len, d->a, &t);
        code = "invalid_name";
        break;
    case PF_CITY:
        clean_city(raw, len, d->a, &t);
        break;
    default:
        clean_text(raw, len, 1000, d->a, &t);
        break;
    }
    if (t.verdict == CLEAN_INVALID) {
        if (strcmp(t.reason, "too_long") == 0) {
            code = "too_long"; /* never lenient: a 100 KB field is an error of the sender */
            return kt_err_set(d->err, KT_EINVAL, code, field, "'%s' is too long", field);
        }
        return refuse_value(d, code, field, raw, len, t.reason);
    }
    d->req->val[f] = t.value;
    d->req->quality = quality_set(d->req->quality, f, verdict_note(d, field, &t));
    return KT_OK;
}

/* "full_name": one string split into the three parts. */
static enum kt_rc full_name(struct dec *d)
{
    for (int f = PF_LAST_NAME; f <= PF_MIDDLE_NAME; f++) {
        if (d->req->val[f] != NULL || d->req->clear[f]) {
            return kt_err_set(d->err, KT_EINVAL, "ambiguous_name", "profile.full_name",
                              "give either 'full_name' or its parts, not both");
        }
    }
    struct clean_name n;
    clean_full_name(d->full_name, d->full_name_len, d->a, &n);
    if (n.out.verdict == CLEAN_INVALID) {
        return refuse_value(d, "invalid_name", "profile.full_name", d->full_name, d->full_name_len,
                            n.out.reason);
    }
    enum quality q = verdict_note(d, "profile.full_name", &n.out); /* ok when only split */
    const char *parts[3] = {n.last, n.first, n.middle};
    for (int f = PF_LAST_NAME; f <= PF_MIDDLE_NAME; f++) {
        if (parts[f - PF_LAST_NAME] != NULL) {
            d->req->val[f] = parts[f - PF_LAST_NAME];
            d->req->quality = quality_set(d->req->quality, f, q);
        }
    }
    return KT_OK;
}

/* No gender given: infer it from the name, and say so. */
static void infer_gender(struct dec *d)
{
    struct upsert_req *r = d->req;
    if (r->val[PF_GENDER] != NULL || r->clear[PF_GENDER]) {
        return;
    }
    const char *g, *from;
    clean_infer_gender(r->val[PF_LAST_NAME], r->val[PF_FIRST_NAME], r->val[PF_MIDDLE_NAME], d->a,
                       &g, &from);
    if (g != NULL) {
        r->val[PF_GENDER] = g;
        r->gender_inferred = true;
        note(d, "inferred", "profile.gender", from);
    }
}

static enum kt_rc decode_profile(struct dec *d, const json_t *prof)
{
    if (!json_is_object(prof)) {
        return wrong_type(d, "profile", "an object");
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)prof, key, v)
    {
        const char *field = arena_printf(d->a, "profile.%s", key);
        if (strcmp(key, "full_name") == 0) {
            if (!json_is_string(v) && !json_is_null(v)) {
                return wrong_type(d, field, "a string");
            }
            d->full_name = json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
            d->full_name_len = json_is_string(v) ? json_string_length(v) : 0;
            continue;
        }
        int f = pf_lookup(key);
        if (f < 0) {
            return unknown(d, field);
        }
        if (json_is_null(v)) {
            d->req->clear[f] = d->patch;
            continue;
        }
        if (!json_is_string(v)) {
            return wrong_type(d, field, "a string");
        }
        if (json_string_length(v) == 0) {
            continue; /* "not known" */
        }
        enum kt_rc rc = profile_value(d, f, json_string_value(v), json_string_length(v), field);
        if (rc != KT_OK) {
            return rc;
        }
    }
    enum kt_rc rc = d->full_name ? full_name(d) : KT_OK;
    if (rc == KT_OK) {
        infer_gender(d);
    }
    return rc;
}

static enum kt_rc add_ident(struct dec *d, const char *kind, const json_t *v, const char *field)
{
    if (!json_is_string(v)) {
        return wrong_type(d, field, "a string");
    }
    if (json_string_length(v) == 0) {
        return KT_OK;
    }
    if (d->req->n_idents == MAX_IDENTS) {
        return kt_err_set(d->err, KT_EINVAL, "too_many", "identifiers",
                          "at most %d identifiers in one request", MAX_IDENTS);
    }
    const char *value;
    struct kt_err e2;
    kt_err_reset(&e2);
    enum kt_rc rc = ident_value_clean(kind, json_string_value(v), json_string_length(v), d->a,
                                      field, &value, &e2);
    if (rc != KT_OK) {
        if (!d->lenient) {
            return kt_err_copy(d->err, &e2);
        }
        const char *why = strchr(e2.msg, '(');
        return refuse_value(d, e2.code, field, json_string_value(v), json_string_length(v),
                            why ? arena_strndup(d->a, why + 1, strcspn(why + 1, ")")) : e2.code);
    }
    struct ident *id =
        arena_push(d->a, &d->req->idents, &d->req->n_idents, &d->cap_idents, sizeof(*id));
    id->kind = kind;
    id->value = value;
    size_t n_fields = d->req->n_idents - 1;
    *(const char **)arena_push(d->a, &d->req->ident_fields, &n_fields, &d->cap_fields,
                               sizeof(*d->req->ident_fields)) = field;
    return KT_OK;
}

/* A value or an array of values of one kind. */
static enum kt_rc add_idents(struct dec *d, const char *kind, const json_t *v, const char *field)
{
    if (!json_is_array(v)) {
        return add_ident(d, kind, v, field);
    }
    size_t i;
    const json_t *item;
    json_array_foreach((json_t *)v, i, item)
    {
        enum kt_rc rc = add_ident(d, kind, item, arena_printf(d->a, "%s[%zu]", field, i));
        if (rc != KT_OK) {
            return rc;
        }
    }
    return KT_OK;
}

static enum kt_rc decode_external(struct dec *d, const json_t *ext)
{
    if (!json_is_object(ext)) {
        return wrong_type(d, "identifiers.external", "an object of system -> id");
    }
    const char *sys;
    const json_t *v;
    json_object_foreach((json_t *)ext, sys, v)
    {
        const char *field = arena_printf(d->a, "identifiers.external.%s", sys);
        if (!ident_system_valid(sys)) {
            return kt_err_set(d->err, KT_EINVAL, "invalid_value", field,
                              "a system name is 1-32 of a-z, 0-9, _ and -");
        }
        enum kt_rc rc = add_idents(d, arena_printf(d->a, "ext:%s", sys), v, field);
        if (rc != KT_OK) {
            return rc;
        }
    }
    return KT_OK;
}

static enum kt_rc decode_identifiers(struct dec *d, const json_t *ids)
{
    if (!json_is_object(ids)) {
        return wrong_type(d, "identifiers", "an object");
    }
    static const char *const plain[] = {"phone", "email", "card", "cookie", "device"};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)ids, key, v)
    {
        const char *field = arena_printf(d->a, "identifiers.%s", key);
        enum kt_rc rc;
        if (strcmp(key, "external") == 0) {
            rc = decode_external(d, v);
        } else {
            const char *kind = NULL;
            for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
                kind = strcmp(key, plain[i]) == 0 ? plain[i] : kind;
            }
            if (kind == NULL && ident_social_valid(key)) {
                kind = arena_strdup(d->a, key);
            }
            rc = kind ? add_idents(d, kind, v, field) : unknown(d, field);
        }
        if (rc != KT_OK) {
            return rc;
        }
    }
    return KT_OK;
}

static enum kt_rc decode_verified(struct dec *d, const json_t *ver)
{
    if (!json_is_array(ver)) {
        return wrong_type(d, "verified", "an array of profile field names");
    }
    if (d->scope == SCOPE_COLLECT && json_array_size(ver) > 0) {
        return kt_err_set(d->err, KT_EINVAL, "verification_not_allowed", "verified",
                          "a collect key cannot assert that a value was verified");
    }
    size_t i;
    const json_t *v;
    json_array_foreach((json_t *)ver, i, v)
    {
        const char *field = arena_printf(d->a, "verified[%zu]", i);
        int f = json_is_string(v) ? pf_lookup(json_string_value(v)) : -1;
        if (f < 0) {
            return kt_err_set(d->err, KT_EINVAL, "invalid_value", field,
                              "'%s' must name a profile field", field);
        }
        if (d->req->val[f] == NULL && !d->req->clear[f]) {
            return kt_err_set(d->err, KT_EINVAL, "verified_without_value", field,
                              "a verified field must carry its value in the same request");
        }
        d->req->verify |= 1u << f;
    }
    return KT_OK;
}

static enum kt_rc decode_attributes(struct dec *d, const json_t *attrs, const struct attr_def *defs,
                                    size_t n_defs)
{
    if (!json_is_object(attrs)) {
        return wrong_type(d, "attributes", "an object");
    }
    json_t *out = json_object();
    arena_defer(d->a, decref, out);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)attrs, key, v)
    {
        const char *field = arena_printf(d->a, "attributes.%s", key);
        const struct attr_def *def = attr_find(defs, n_defs, key);
        if (def == NULL) {
            return kt_err_set(d->err, KT_EINVAL, "undeclared_attribute", field,
                              "attribute '%s' is not declared; declare it with PUT "
                              "/v1/attributes/{name} first",
                              key);
        }
        if (json_is_null(v) && !d->patch) {
            continue;
        }
        json_t *std = NULL;
        struct kt_err e2;
        kt_err_reset(&e2);
        enum kt_rc rc = attr_value_check(def, v, d->patch, field, d->a, &std, &e2);
        if (rc != KT_OK && d->lenient) {
            char *raw = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            const char *text = json_is_string(v) ? json_string_value(v) : raw ? raw : "";
            rc = refuse_value(d, e2.code, field, text, strlen(text), e2.code);
            free(raw);
            continue;
        }
        if (rc != KT_OK) {
            return kt_err_copy(d->err, &e2);
        }
        json_object_set_new(out, key, std);
    }
    d->req->attrs = out;
    return KT_OK;
}

enum kt_rc ident_decode(const json_t *body, const struct ident_decode_opts *o,
                        const struct attr_def *defs, size_t n_defs, int64_t now, struct arena *a,
                        struct upsert_req *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct dec d;
    memset(&d, 0, sizeof(d));
    d.req = out;
    d.patch = o->patch;
    d.lenient = o->lenient;
    d.scope = o->scope;
    d.now = now;
    d.a = a;
    d.err = err;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        /* "consents" is decoded by consent/ (consent_decode), not here. */
        static const char *const known[] = {"source",      "profile",  "attributes",
                                            "identifiers", "verified", "consents"};
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            ok = ok || strcmp(key, known[i]) == 0;
        }
        if (!ok) {
            return unknown(&d, arena_strdup(a, key));
        }
    }
    const json_t *source = json_object_get(body, "source");
    enum kt_rc rc = KT_OK;
    if (source == NULL && o->source != NULL) {
        out->src = *o->source;
    } else {
        rc = decode_source(&d, source);
    }
    const json_t *prof = json_object_get(body, "profile");
    if (rc == KT_OK && prof != NULL) {
        rc = decode_profile(&d, prof);
    }
    const json_t *ids = json_object_get(body, "identifiers");
    if (rc == KT_OK && ids != NULL) {
        rc = decode_identifiers(&d, ids);
    }
    const json_t *attrs = json_object_get(body, "attributes");
    if (rc == KT_OK && attrs != NULL) {
        rc = decode_attributes(&d, attrs, defs, n_defs);
    }
    const json_t *ver = json_object_get(body, "verified");
    if (rc == KT_OK && ver != NULL) {
        rc = decode_verified(&d, ver);
    }
    if (rc == KT_OK && out->src.observed_at == 0) {
        out->src.observed_at = now;
    }
    if (rc == KT_OK) {
        out->name_key = clean_name_key(out->val[PF_LAST_NAME], out->val[PF_FIRST_NAME],
                                       out->val[PF_MIDDLE_NAME], a);
    }
    return rc;
}
