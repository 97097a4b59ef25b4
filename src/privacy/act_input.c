/*
 * act_input.c - what an act of destruction takes from people: the operator's details, the
 * processor, the information system and the person responsible (in the privacy settings), and
 * the persons who destroyed (with an erasure). Decoded and cleaned here once for the API and the
 * command line.
 *
 * Every text ends up in a document someone signs, so it is cleaned as names and addresses are
 * (valid UTF-8, NFC, no control characters, runs of spaces made one): the same words always make
 * the same bytes. The INN and OGRN are checked by their check digits, so a typo is caught before
 * it is signed. The error messages never repeat the value.
 */
#include <string.h>

#include "base/jsonx.h"
#include "clean/clean.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

#define TEXT_MAX 1000

enum kt_rc privacy_text_clean(const char *in, size_t max, const char *field, struct arena *a,
                              const char **out, struct kt_err *err)
{
    struct clean_out c;
    clean_text(in, strlen(in), max, a, &c);
    if (c.verdict == CLEAN_INVALID) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", field,
                          "%s must be a text of 1 to %zu bytes without control characters", field,
                          max);
    }
    *out = c.value;
    return KT_OK;
}

static bool digits(const char *s, size_t n)
{
    if (strlen(s) != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/* The check digit of an INN over its first n digits with weights w. */
static int inn_check(const char *s, const int *w, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += (s[i] - '0') * w[i];
    }
    return sum % 11 % 10;
}

bool privacy_inn_valid(const char *s)
{
    static const int w10[] = {2, 4, 10, 3, 5, 9, 4, 6, 8};
    static const int w11[] = {7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
    static const int w12[] = {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
    if (digits(s, 10)) { /* an organisation */
        return inn_check(s, w10, 9) == s[9] - '0';
    }
    return digits(s, 12) && inn_check(s, w11, 10) == s[10] - '0' && /* an individual */
           inn_check(s, w12, 11) == s[11] - '0';
}

bool privacy_ogrn_valid(const char *s)
{
    size_t n = digits(s, 13) ? 13 : digits(s, 15) ? 15 : 0; /* OGRN, or OGRNIP */
    if (n == 0) {
        return false;
    }
    unsigned mod = n == 13 ? 11 : 13, r = 0;
    for (size_t i = 0; i + 1 < n; i++) { /* the number without its last digit, modulo */
        r = (r * 10 + (unsigned)(s[i] - '0')) % mod;
    }
    return r % 10 == (unsigned)(s[n - 1] - '0');
}

/* A text member of object `o` (at `path`), cleaned; absent leaves *out. */
static enum kt_rc text_member(const json_t *o, const char *path, const char *name, size_t max,
                              unsigned flags, struct arena *a, const char **out, struct kt_err *err)
{
    const char *raw = NULL;
    char f[64];
    if (jsonx_str(o, path, name, max, flags, a, &raw, err) != KT_OK) {
        return err->rc;
    }
    return raw ? privacy_text_clean(raw, max, jsonx_path(f, sizeof(f), path, name), a, out, err)
               : KT_OK;
}

enum kt_rc privacy_persons_decode(const json_t *body, const char *name, struct arena *a,
                                  struct act_person **out, size_t *n, struct kt_err *err)
{
    static const char *const known[] = {"name", "position", NULL};
    const json_t *arr = NULL;
    *out = NULL;
    *n = 0;
    if (jsonx_array(body, "", name, 1, ACT_PERSONS_MAX, 0, &arr, err) != KT_OK) {
        return err->rc;
    }
    if (arr == NULL) { /* absent: the settings' responsible person */
        return KT_OK;
    }
    struct act_person *p = arena_zalloc(a, sizeof(*p) * json_array_size(arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *v = json_array_get(arr, i);
        char path[48];
        kt_snprintf(path, sizeof(path), "%s[%zu]", name, i);
        if (json_only_members(v, known, path, a, err) != KT_OK ||
            text_member(v, path, "name", 200, JSONX_REQUIRED, a, &p[i].name, err) != KT_OK ||
            text_member(v, path, "position", 200, JSONX_REQUIRED, a, &p[i].position, err) !=
                KT_OK) {
            return err->rc;
        }
    }
    *out = p;
    *n = json_array_size(arr);
    return KT_OK;
}

/* data_operator: {name, address, inn?, ogrn?} replaces the operator; null removes it. */
static enum kt_rc decode_operator(const json_t *v, struct privacy_settings *s, struct arena *a,
                                  struct kt_err *err)
{
    static const char *const known[] = {"name", "address", "inn", "ogrn", NULL};
    const char *p = "data_operator";
    s->operator_name = s->operator_address = s->operator_inn = s->operator_ogrn = NULL;
    if (json_is_null(v)) {
        return KT_OK;
    }
    if (json_only_members(v, known, p, a, err) != KT_OK ||
        text_member(v, p, "name", 500, JSONX_REQUIRED, a, &s->operator_name, err) != KT_OK ||
        text_member(v, p, "address", TEXT_MAX, JSONX_REQUIRED, a, &s->operator_address, err) !=
            KT_OK ||
        jsonx_str(v, p, "inn", 12, 0, a, &s->operator_inn, err) != KT_OK ||
        jsonx_str(v, p, "ogrn", 15, 0, a, &s->operator_ogrn, err) != KT_OK) {
        return err->rc;
    }
    if (s->operator_inn && !privacy_inn_valid(s->operator_inn)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "data_operator.inn",
                          "data_operator.inn is 10 or 12 digits with valid check digits");
    }
    if (s->operator_ogrn && !privacy_ogrn_valid(s->operator_ogrn)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "data_operator.ogrn",
                          "data_operator.ogrn is 13 (OGRN) or 15 (OGRNIP) digits with a valid "
                          "check digit");
    }
    return KT_OK;
}

/* data_processor {name, address} and responsible_person {name, position}: an object replaces,
 * null removes. */
static enum kt_rc decode_pair(const json_t *v, const char *p, const char *second,
                              const char **first_out, const char **second_out, struct arena *a,
                              struct kt_err *err)
{
    const char *const known[] = {"name", second, NULL};
    *first_out = *second_out = NULL;
    if (json_is_null(v)) {
        return KT_OK;
    }
    if (json_only_members(v, known, p, a, err) != KT_OK ||
        text_member(v, p, "name", 500, JSONX_REQUIRED, a, first_out, err) != KT_OK ||
        text_member(v, p, second, TEXT_MAX, JSONX_REQUIRED, a, second_out, err) != KT_OK) {
        return err->rc;
    }
    return KT_OK;
}

enum kt_rc privacy_settings_decode_acts(const json_t *body, struct privacy_settings *s,
                                        struct arena *a, struct kt_err *err)
{
    const json_t *v;
    if ((v = json_object_get(body, "data_operator")) != NULL &&
        decode_operator(v, s, a, err) != KT_OK) {
        return err->rc;
    }
    if ((v = json_object_get(body, "data_processor")) != NULL &&
        decode_pair(v, "data_processor", "address", &s->processor_name, &s->processor_address, a,
                    err) != KT_OK) {
        return err->rc;
    }
    if ((v = json_object_get(body, "responsible_person")) != NULL &&
        decode_pair(v, "responsible_person", "position", &s->responsible_name,
                    &s->responsible_position, a, err) != KT_OK) {
        return err->rc;
    }
    if ((v = json_object_get(body, "information_system")) != NULL) {
        s->information_system = NULL;
        if (!json_is_null(v) && text_member(body, "", "information_system", 500, 0, a,
                                            &s->information_system, err) != KT_OK) {
            return err->rc;
        }
    }
    return KT_OK;
}

static json_t *pair_json(const char *first, const char *second_name, const char *second)
{
    return first && second ? json_pack("{s:s, s:s}", "name", first, second_name, second)
                           : json_null();
}

void privacy_settings_acts_json(const struct privacy_settings *s, json_t *o)
{
    json_t *op = pair_json(s->operator_name, "address", s->operator_address);
    if (json_is_object(op)) {
        json_object_set_new(op, "inn",
                            s->operator_inn ? json_string(s->operator_inn) : json_null());
        json_object_set_new(op, "ogrn",
                            s->operator_ogrn ? json_string(s->operator_ogrn) : json_null());
    }
    json_object_set_new(o, "data_operator", op);
    json_object_set_new(o, "data_processor",
                        pair_json(s->processor_name, "address", s->processor_address));
    json_object_set_new(o, "information_system",
                        s->information_system ? json_string(s->information_system) : json_null());
    json_object_set_new(o, "responsible_person",
                        pair_json(s->responsible_name, "position", s->responsible_position));
}
