/*
 * questionnaire.c - the questionnaire of the enrolment SMS (questionnaire.h).
 *
 * The form's values go through ident_decode and ident_patch as a PATCH of the API does (a collect
 * key's rights: no verification claimed, channel web), so cleaning, survivorship, history and the
 * spend gate are the API's own; the consent is recorded with consent_record, its evidence the
 * form's name, the document's version (whose hash is kept with it) and the caller's address.
 */
#include "pages/questionnaire.h"

#include <string.h>

#include "consent/consent.h"
#include "identity/identity.h"
#include "loyalty/bonus.h"
#include "loyalty/program.h"
#include "loyalty/purchase.h"
#include "pages/csrf.h"
#include "pages/docs.h"
#include "pages/fields.h"
#include "pages/limits.h"

#define FORM "questionnaire"

/* The profile's fields the page asks for, in order: the pages' own, but the phone (the till's
 * code proves it). */
static const struct pages_field *const fields = pages_fields + 1;
#define N_FIELDS (PAGES_FIELDS_N - 1)

/* The gate's items as the page names them. */
static const struct {
    unsigned bit;
    const char *label;
} gate_labels[] = {
    {GATE_PHONE_VERIFIED, "подтверждённый телефон"},
    {GATE_FIRST_NAME, "имя"},
    {GATE_LAST_NAME, "фамилия"},
    {GATE_BIRTH_DATE, "дата рождения"},
    {GATE_EMAIL, "электронная почта"},
    {GATE_PD_CONSENT, "согласие на обработку персональных данных"},
};

/* The customer's gate now: what it misses and whether her pd_processing consent is given. */
static enum kt_rc gate_of(struct store_conn *c, const struct customer *cu, int64_t now,
                          struct arena *a, unsigned *missing, bool *pd_given, struct kt_err *err)
{
    struct loyalty_rules r;
    struct consent_state *st = NULL;
    size_t n = 0;
    int64_t at = 0;
    if (loyalty_program_get(c, a, &r, &at, err) != KT_OK ||
        consent_states(c, cu->ck, now, a, &st, &n, err) != KT_OK) {
        return err->rc;
    }
    const struct consent_state *pd = consent_find(st, n, "pd_processing", NULL);
    *pd_given = pd != NULL && strcmp(pd->state, "given") == 0;
    *missing = loyalty_gate_missing(&r, cu, *pd_given);
    return KT_OK;
}

static enum kt_rc customer_of(struct store_conn *c, const char *id, struct arena *a,
                              struct customer *cu, bool *gone, struct kt_err *err)
{
    bool found = false;
    if (store_customer_get_by_id(c, id, a, cu, &found, err) != KT_OK) {
        return err->rc;
    }
    *gone = !found || cu->erased_at != 0 || strcmp(cu->id, id) != 0; /* merged away: not hers */
    return KT_OK;
}

enum kt_rc pages_q_view(struct store_conn *c, const struct key_secret *k, const char *customer_id,
                        const struct pages_form *form, const json_t *errors, bool done, int64_t now,
                        struct arena *a, json_t **ctx, bool *gone, struct kt_err *err)
{
    struct customer cu;
    unsigned missing = 0;
    bool pd_given = false;
    const struct consent_doc *doc = NULL;
    *ctx = NULL;
    if (customer_of(c, customer_id, a, &cu, gone, err) != KT_OK || *gone ||
        gate_of(c, &cu, now, a, &missing, &pd_given, err) != KT_OK ||
        pages_doc_latest(c, "pd_processing", a, &doc, err) != KT_OK) {
        return err->rc;
    }
    json_t *fs = json_array(), *miss = json_array();
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct pages_field *f = &fields[i];
        const char *v = form != NULL ? pages_form_get(form, f->name) : cu.val[f->pf];
        const char *e = json_string_value(json_object_get(errors, f->name));
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", f->name, "label", f->label, "type",
                      f->type, "autocomplete", f->autocomplete, "value", v != NULL ? v : "");
        if (e != NULL) {
            json_object_set_new(o, "error", json_string(e));
        }
        json_array_append_new(fs, o);
    }
    for (size_t i = 0; i < sizeof(gate_labels) / sizeof(gate_labels[0]); i++) {
        if (missing & gate_labels[i].bit) {
            json_array_append_new(miss, json_pack("{s:s}", "label", gate_labels[i].label));
        }
    }
    *ctx = json_pack("{s:s, s:o, s:o, s:b, s:b, s:b}", "csrf", pages_csrf_token(k, FORM, now, a),
                     "fields", fs, "missing", miss, "complete", missing == 0, "done", done,
                     "phone_unverified", (missing & GATE_PHONE_VERIFIED) != 0);
    if (!pd_given && doc != NULL) {
        json_t *box = json_pack("{s:s, s:s, s:s}", "title", doc->title, "text", doc->body, "sha256",
                                doc->sha256);
        const char *e = json_string_value(json_object_get(errors, "pd_consent"));
        if (e != NULL) {
            json_object_set_new(box, "error", json_string(e));
        }
        json_object_set_new(*ctx, "consent", box);
    }
    return KT_OK;
}

/* The field of a refusal ("profile.email" -> "email"), or NULL when no field of the page. */
static const struct pages_field *field_of(const char *path)
{
    const char *name = strncmp(path, "profile.", 8) == 0 ? path + 8 : path;
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (strcmp(fields[i].name, name) == 0) {
            return &fields[i];
        }
    }
    return NULL;
}

/* The request the form makes: the values it gives (an empty box leaves the profile as it is). */
static json_t *request_of(const struct pages_form *form)
{
    json_t *profile = json_object();
    for (size_t i = 0; i < N_FIELDS; i++) {
        const char *v = pages_form_get(form, fields[i].name);
        if (v != NULL && v[0] != '\0') {
            json_object_set_new(profile, fields[i].name, json_string(v));
        }
    }
    return json_pack("{s:{s:s}, s:o}", "source", "channel", "web", "profile", profile);
}

/* Decodes, cleans and applies the values; a value refused by cleaning goes to `out->errors`. */
static enum kt_rc apply(struct store_conn *w, const struct customer *cu,
                        const struct pages_form *form, const char *request_id, int64_t now,
                        struct arena *a, struct pages_q_result *out, struct kt_err *err)
{
    json_t *body = request_of(form);
    struct upsert_req req;
    struct upsert_result res;
    struct kt_err e2;
    kt_err_reset(&e2);
    enum kt_rc rc =
        ident_decode(body, &(struct ident_decode_opts){true, false, SCOPE_COLLECT, NULL}, NULL, 0,
                     now, a, &req, &e2);
    if (rc == KT_OK) {
        req.src.request_id = request_id;
        rc = ident_patch(w, cu->id, &req, now, a, &res, &e2);
    }
    json_decref(body);
    const struct pages_field *f = rc == KT_EINVAL ? field_of(e2.field) : NULL;
    if (f != NULL) {
        out->errors = json_pack("{s:s}", f->name, f->refused);
        return KT_OK;
    }
    *err = e2;
    return rc;
}

enum kt_rc pages_q_submit(struct store *s, const struct key_secret *k, const char *customer_id,
                          const struct pages_form *form, const char *ip, const char *request_id,
                          int64_t now, struct arena *a, struct pages_q_result *out,
                          struct kt_err *err)
{
    struct store_conn *w;
    struct customer cu;
    bool gone = false, pd_given = false;
    unsigned missing = 0;
    const struct consent_doc *doc = NULL;
    *out = (struct pages_q_result){0};
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = customer_of(w, customer_id, a, &cu, &gone, err);
    if (rc == KT_OK && gone) {
        rc = kt_err_set(err, KT_ENOTFOUND, "customer_not_found", NULL, "customer not found");
    }
    rc = rc == KT_OK ? pages_limit_take(w, k, "addr", ip, now, err) : rc; /* counted if kept */
    rc = rc == KT_OK ? pages_csrf_spend(w, k, FORM, pages_form_get(form, "csrf"), now, err) : rc;
    const char *honey = pages_form_get(form, "website");
    if (rc == KT_OK && honey != NULL && honey[0] != '\0') { /* a robot: thanked, nothing kept */
        return store_write_end(w, KT_OK, err);
    }
    rc = rc == KT_OK ? gate_of(w, &cu, now, a, &missing, &pd_given, err) : rc;
    rc = rc == KT_OK ? pages_doc_latest(w, "pd_processing", a, &doc, err) : rc;
    bool ticked = pages_form_get(form, "pd_consent") != NULL;
    if (rc == KT_OK && !pd_given && !ticked) { /* no form is sent without the consent tick */
        out->errors = json_pack("{s:s}", "pd_consent",
                                "Без согласия на обработку персональных данных мы не можем "
                                "сохранить анкету");
        store_write_rollback(w);
        return KT_OK;
    }
    rc = rc == KT_OK ? apply(w, &cu, form, request_id, now, a, out, err) : rc;
    if (rc == KT_OK && out->errors != NULL) {
        store_write_rollback(w);
        return KT_OK;
    }
    if (rc == KT_OK && !pd_given && doc != NULL) {
        struct consent_input in = {.purpose = "pd_processing",
                                   .channel = "",
                                   .granted = true,
                                   .at = now,
                                   .doc_key = doc->key,
                                   .doc_version = doc->version,
                                   .form_id = FORM,
                                   .ip = ip};
        struct consent_actor who = {"web", NULL, NULL, NULL, request_id, cu.id, false};
        rc = consent_record(w, cu.ck, &in, 1, &who, now, NULL, err);
    }
    rc = rc == KT_OK ? loyalty_welcome_check(w, cu.ck, now, a, &out->bonus, err) : rc;
    if (rc == KT_OK && store_customer_get(w, cu.ck, a, &cu, NULL, err) == KT_OK) {
        rc = gate_of(w, &cu, now, a, &missing, &pd_given, err);
        out->complete = rc == KT_OK && missing == 0;
    }
    return store_write_end(w, rc, err);
}
