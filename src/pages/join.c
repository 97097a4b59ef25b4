/*
 * join.c - the join form and its submission (join.h); the code page and the card are in
 * join_confirm.c.
 *
 * Every value is checked before anything is stored: the form becomes the document an API client
 * would post ({"source", "profile", "attributes"}) and goes through ident_decode in its lenient
 * mode, which names every value cleaning refuses at once, so the page can say so beside each
 * field; the held form is that document again, decoded strictly once the code is right.
 */
#include "pages/join.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pages/csrf.h"
#include "pages/docs.h"
#include "pages/fields.h"
#include "pages/join_int.h"

/* The profile's fields the form asks for, in order; the phone is required. */
static const struct pages_field *const fields = pages_fields;
#define N_FIELDS PAGES_FIELDS_N

static const char *const channel_labels[][2] = {
    {"sms", "по SMS"}, {"email", "по электронной почте"}, {"push", "в push-уведомлениях"}};

#define MSG_PHONE_MISSING "Укажите номер телефона: на него придёт код"
#define MSG_CONSENT                                                                                \
    "Без согласия на обработку персональных данных мы не можем принять анкету: отметьте его"
#define MSG_ATTR  "Проверьте это значение"
#define MSG_ROBOT "honeypot"

enum kt_rc pages_join_point(struct store_conn *c, const char *code, struct arena *a,
                            enum pages_jp_state *state, struct join_point *jp, struct kt_err *err)
{
    bool found = false;
    const struct consent_doc *doc = NULL;
    *state = PAGES_JP_NONE;
    char up[16];
    size_t n = strlen(code);
    if (n >= sizeof(up)) {
        return KT_OK;
    }
    for (size_t i = 0; i <= n; i++) {
        up[i] = code[i] >= 'a' && code[i] <= 'z' ? (char)(code[i] - 'a' + 'A') : code[i];
    }
    if (store_join_point_get(c, up, a, jp, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) {
        return KT_OK;
    }
    if (pages_doc_latest(c, "pd_processing", a, &doc, err) != KT_OK) {
        return err->rc;
    }
    *state = jp->disabled_at != 0 || doc == NULL ? PAGES_JP_CLOSED : PAGES_JP_OPEN;
    return KT_OK;
}

/* ---- the form's context ---------------------------------------------------------------------- */

static json_t *with_error(json_t *o, const json_t *errors, const char *name)
{
    const char *e = json_string_value(json_object_get(errors, name));
    if (e != NULL) {
        json_object_set_new(o, "error", json_string(e));
    }
    return o;
}

/* The gender as a choice (the profile's f and m). */
static json_t *gender_of(const struct pages_form *form, const json_t *errors)
{
    const char *v = form != NULL ? pages_form_get(form, "gender") : NULL;
    static const char *const opts[][2] = {{"", "не указан"}, {"f", "женский"}, {"m", "мужской"}};
    json_t *o = json_array();
    for (size_t i = 0; i < 3; i++) {
        json_array_append_new(o,
                              json_pack("{s:s, s:s, s:b}", "value", opts[i][0], "label", opts[i][1],
                                        "selected", v != NULL && strcmp(v, opts[i][0]) == 0));
    }
    return with_error(json_pack("{s:s, s:s, s:o}", "name", "gender", "label", "Пол", "options", o),
                      errors, "gender");
}

static bool among(const char *const *vals, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(vals[i], v) == 0) {
            return true;
        }
    }
    return false;
}

/* One declared attribute as the form shows it: a text box, a choice, a yes/no, or a box per
 * choice for a list of choices; a list of numbers, dates or words is one box, commas between. */
static json_t *attr_view(const struct attr_def *d, const struct pages_form *form,
                         const json_t *errors, struct arena *a)
{
    const char *name = arena_printf(a, "attr_%s", d->name);
    const char *vals[PAGES_FORM_FIELDS_MAX];
    size_t nv = form != NULL ? pages_form_all(form, name, vals, PAGES_FORM_FIELDS_MAX) : 0;
    nv = nv > PAGES_FORM_FIELDS_MAX ? PAGES_FORM_FIELDS_MAX : nv;
    bool is_list = strcmp(d->type, "list") == 0;
    const char *kind = is_list ? d->items : d->type;
    json_t *o = json_pack("{s:s, s:s, s:s}", "name", name, "label",
                          d->title != NULL ? d->title : d->name, "value", nv > 0 ? vals[0] : "");
    if (d->description != NULL) {
        json_object_set_new(o, "hint", json_string(d->description));
    }
    json_t *choices = d->values != NULL ? json_loads(d->values, 0, NULL) : NULL;
    if (strcmp(kind, "enum") == 0 && json_is_array(choices)) {
        json_t *opts = json_array();
        size_t i;
        json_t *c;
        if (!is_list) {
            json_array_append_new(opts, json_pack("{s:s, s:s, s:b}", "value", "", "label",
                                                  "не указано", "selected", nv == 0));
        }
        json_array_foreach(choices, i, c)
        {
            const char *v = json_string_value(c);
            if (v != NULL) {
                json_array_append_new(opts, json_pack("{s:s, s:s, s:b, s:s}", "value", v, "label",
                                                      v, "selected", among(vals, nv, v), "id",
                                                      arena_printf(a, "%s_%zu", name, i)));
            }
        }
        json_object_set_new(o, is_list ? "checks" : "options", opts);
        json_object_set_new(o, is_list ? "group" : "select", json_true());
    } else if (strcmp(kind, "boolean") == 0) {
        const char *v = nv > 0 ? vals[0] : "";
        json_object_set_new(o, "options",
                            json_pack("[{s:s, s:s, s:b}, {s:s, s:s, s:b}, {s:s, s:s, s:b}]",
                                      "value", "", "label", "не указано", "selected", v[0] == '\0',
                                      "value", "true", "label", "да", "selected",
                                      strcmp(v, "true") == 0, "value", "false", "label", "нет",
                                      "selected", strcmp(v, "false") == 0));
        json_object_set_new(o, "select", json_true());
    } else {
        json_object_set_new(o, "text", json_true());
        json_object_set_new(o, "type",
                            json_string(!is_list && strcmp(kind, "date") == 0 ? "date" : "text"));
        if (strcmp(kind, "number") == 0) {
            json_object_set_new(o, "inputmode", json_string(is_list ? "text" : "decimal"));
        }
        if (is_list) {
            json_object_set_new(o, "list_hint", json_string("несколько значений через запятую"));
        }
    }
    json_decref(choices);
    return with_error(o, errors, name);
}

/* The topics to subscribe to, and the ads channels the topics use (SMS and e-mail always). */
static enum kt_rc topics_view(struct store_conn *c, const struct pages_form *form, struct arena *a,
                              json_t *ctx, struct kt_err *err)
{
    struct topic *t = NULL;
    size_t n = 0;
    if (store_topic_list(c, a, &t, &n, err) != KT_OK) {
        return err->rc;
    }
    const char *picked[PAGES_FORM_FIELDS_MAX];
    size_t np = form != NULL ? pages_form_all(form, "topic", picked, PAGES_FORM_FIELDS_MAX) : 0;
    np = np > PAGES_FORM_FIELDS_MAX ? PAGES_FORM_FIELDS_MAX : np;
    bool push = false;
    json_t *ts = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:b}", "key", t[i].key, "title", t[i].title, "id",
                      arena_printf(a, "topic_%zu", i), "checked", among(picked, np, t[i].key));
        if (t[i].description != NULL) {
            json_object_set_new(o, "description", json_string(t[i].description));
        }
        json_array_append_new(ts, o);
        push = push || strstr(t[i].channels, "\"push\"") != NULL;
    }
    json_object_set_new(ctx, "topics", ts);
    json_object_set_new(ctx, "has_topics", json_boolean(n > 0));
    json_t *ads = json_array();
    for (size_t i = 0; i < sizeof(channel_labels) / sizeof(channel_labels[0]); i++) {
        const char *ch = channel_labels[i][0];
        if (strcmp(ch, "push") == 0 && !push) {
            continue;
        }
        const char *name = arena_printf(a, "ads_%s", ch);
        json_array_append_new(ads, json_pack("{s:s, s:s, s:b}", "name", name, "label",
                                             channel_labels[i][1], "checked",
                                             form != NULL && pages_form_get(form, name) != NULL));
    }
    json_object_set_new(ctx, "ads", ads);
    return KT_OK;
}

enum kt_rc pages_join_view(struct store_conn *c, const struct key_secret *k, const char *code,
                           bool tablet, const struct pages_form *form, const json_t *errors,
                           int64_t now, struct arena *a, json_t **ctx, struct kt_err *err)
{
    struct attr_def *defs = NULL;
    size_t n_defs = 0;
    const struct consent_doc *pd = NULL, *ads = NULL;
    *ctx = NULL;
    if (store_attr_list(c, a, &defs, &n_defs, err) != KT_OK ||
        pages_doc_latest(c, "pd_processing", a, &pd, err) != KT_OK ||
        pages_doc_latest(c, "ads", a, &ads, err) != KT_OK) {
        return err->rc;
    }
    const char *base = arena_printf(a, "/%c/%s", tablet ? 't' : 'j', code);
    json_t *fs = json_array(), *as = json_array();
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct pages_field *f = &fields[i];
        const char *v = form != NULL ? pages_form_get(form, f->name) : NULL;
        json_array_append_new(
            fs, with_error(json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "name", f->name, "label",
                                     f->label, "type", f->type, "autocomplete",
                                     tablet ? "off" : f->autocomplete, "value", v ? v : "",
                                     "required", f->pf == PF_PHONE),
                           errors, f->name));
    }
    for (size_t i = 0; i < n_defs; i++) {
        json_array_append_new(as, attr_view(&defs[i], form, errors, a));
    }
    *ctx = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o}", "csrf",
                     pages_csrf_token(k, FORM_JOIN, now, a), "action", base, "tablet", tablet,
                     "fields", fs, "gender", gender_of(form, errors), "attributes", as);
    json_object_set_new(*ctx, "has_attributes", json_boolean(n_defs > 0));
    if (tablet) {
        json_object_set_new(*ctx, "refresh",
                            json_string(arena_printf(a, "%d;url=%s", PAGES_TABLET_IDLE, base)));
    }
    if (pd != NULL) {
        json_object_set_new(
            *ctx, "consent",
            with_error(json_pack("{s:s, s:s, s:s}", "title", pd->title, "href",
                                 arena_printf(a, "/j/%s/doc?purpose=pd_processing", code), "sha256",
                                 pd->sha256),
                       errors, "pd_consent"));
    }
    if (ads != NULL) {
        json_object_set_new(*ctx, "ads_doc",
                            json_pack("{s:s, s:s}", "title", ads->title, "href",
                                      arena_printf(a, "/j/%s/doc?purpose=ads", code)));
    }
    if (topics_view(c, form, a, *ctx, err) != KT_OK) {
        json_decref(*ctx);
        *ctx = NULL;
        return err->rc;
    }
    if (ads == NULL) { /* no ads document: no ads consent to give, so no topic to take */
        json_object_set_new(*ctx, "ads", json_array());
        json_object_set_new(*ctx, "has_topics", json_false());
    }
    return KT_OK;
}

/* ---- the submission -------------------------------------------------------------------------- */

/* An attribute's value from the form as JSON, by its declaration (NULL when left empty). A
 * number that does not read as one stays text, so the declaration's check refuses it. */
static json_t *number_or_text(const char *s)
{
    char *end = NULL;
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(d) || strpbrk(s, "xX") != NULL) {
        return json_string(s); /* not a number ("inf", "0x10" are none either) */
    }
    return fabs(d) < 9e15 && d == trunc(d) ? json_integer((json_int_t)d) : json_real(d);
}

static json_t *attr_value(const struct attr_def *d, const struct pages_form *form, struct arena *a)
{
    const char *name = arena_printf(a, "attr_%s", d->name);
    const char *vals[PAGES_FORM_FIELDS_MAX];
    size_t nv = pages_form_all(form, name, vals, PAGES_FORM_FIELDS_MAX);
    nv = nv > PAGES_FORM_FIELDS_MAX ? PAGES_FORM_FIELDS_MAX : nv;
    if (nv == 0 || (nv == 1 && vals[0][0] == '\0')) {
        return NULL;
    }
    if (strcmp(d->type, "list") != 0) {
        return strcmp(d->type, "number") == 0    ? number_or_text(vals[0])
               : strcmp(d->type, "boolean") == 0 ? strcmp(vals[0], "true") == 0 ? json_true()
                                                   : strcmp(vals[0], "false") == 0
                                                       ? json_false()
                                                       : json_string(vals[0])
                                                 : json_string(vals[0]);
    }
    json_t *arr = json_array();
    if (strcmp(d->items, "enum") == 0) {
        for (size_t i = 0; i < nv; i++) {
            json_array_append_new(arr, json_string(vals[i]));
        }
        return arr;
    }
    char *copy = arena_strdup(a, vals[0]);
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p != NULL;
         p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ') {
            p++;
        }
        size_t len = strlen(p);
        while (len > 0 && p[len - 1] == ' ') {
            p[--len] = '\0';
        }
        if (len > 0) {
            json_array_append_new(arr, strcmp(d->items, "number") == 0 ? number_or_text(p)
                                                                       : json_string(p));
        }
    }
    return arr;
}

json_t *pages_join_request(const struct pages_form *form, const char *channel, const char *store,
                           const struct attr_def *defs, size_t n_defs, struct arena *a)
{
    json_t *profile = json_object(), *attrs = json_object();
    for (size_t i = 0; i < N_FIELDS; i++) {
        const char *v = pages_form_get(form, fields[i].name);
        if (v != NULL && v[0] != '\0') {
            json_object_set_new(profile, fields[i].name, json_string(v));
        }
    }
    const char *g = pages_form_get(form, "gender");
    if (g != NULL && g[0] != '\0') {
        json_object_set_new(profile, "gender", json_string(g));
    }
    for (size_t i = 0; i < n_defs; i++) {
        json_t *v = attr_value(&defs[i], form, a);
        if (v != NULL) {
            json_object_set_new(attrs, defs[i].name, v);
        }
    }
    return json_pack("{s:{s:s, s:s}, s:o, s:o}", "source", "channel", channel, "store", store,
                     "profile", profile, "attributes", attrs);
}

/* The form's name of a refused value ("profile.email" -> "email", "attributes.pets" ->
 * "attr_pets"), with its message. */
static void refusal(json_t *errors, const char *path, struct arena *a)
{
    if (path == NULL) {
        return;
    }
    if (strncmp(path, "attributes.", 11) == 0) {
        json_object_set_new(errors, arena_printf(a, "attr_%s", path + 11), json_string(MSG_ATTR));
        return;
    }
    const char *name = strncmp(path, "profile.", 8) == 0 ? path + 8 : path;
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (strcmp(fields[i].name, name) == 0) {
            json_object_set_new(errors, name, json_string(fields[i].refused));
            return;
        }
    }
    if (strcmp(name, "gender") == 0) {
        json_object_set_new(errors, "gender", json_string("Выберите пол из списка"));
    }
}

enum kt_rc pages_join_check(const struct pages_form *form, const char *channel, const char *store,
                            const struct attr_def *defs, size_t n_defs, int64_t now,
                            struct arena *a, struct upsert_req *req, json_t **errors,
                            struct kt_err *err)
{
    json_t *body = pages_join_request(form, channel, store, defs, n_defs, a);
    struct kt_err e2;
    kt_err_reset(&e2);
    *errors = json_object();
    enum kt_rc rc =
        ident_decode(body, &(struct ident_decode_opts){false, true, SCOPE_COLLECT, NULL}, defs,
                     n_defs, now, a, req, &e2);
    json_decref(body);
    if (rc == KT_EINVAL) { /* a value never taken leniently (too long): that field */
        refusal(*errors, e2.field, a);
        rc = json_object_size(*errors) > 0 ? KT_OK : kt_err_copy(err, &e2);
    } else if (rc != KT_OK) {
        kt_err_copy(err, &e2);
    }
    for (size_t i = 0; rc == KT_OK && i < req->n_refused; i++) {
        refusal(*errors, req->refused[i].field, a);
    }
    if (rc == KT_OK && req->val[PF_PHONE] == NULL && json_object_get(*errors, "phone") == NULL) {
        json_object_set_new(*errors, "phone", json_string(MSG_PHONE_MISSING));
    }
    if (rc == KT_OK && pages_form_get(form, "pd_consent") == NULL) {
        json_object_set_new(*errors, "pd_consent", json_string(MSG_CONSENT));
    }
    if (rc != KT_OK || json_object_size(*errors) == 0) {
        json_decref(*errors);
        *errors = NULL;
    }
    return rc;
}
