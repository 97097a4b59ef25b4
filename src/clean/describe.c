/*
 * describe.c - "what would Kartoteka make of this value": one value through its cleaner,
 * described as JSON (see describe.h). POST /v1/clean answers it for forms (a QR form can check a
 * phone before the customer presses send), `kartoteka clean` prints it for operators and the
 * accuracy tests. Nothing is stored.
 */
#include "clean/describe.h"

#include <string.h>

#include "clean/clean.h"

static const char *const kinds[] = {"phone",      "email",       "full_name",  "last_name",
                                    "first_name", "middle_name", "birth_date", "gender",
                                    "city",       "address",     NULL};

bool clean_kind_valid(const char *kind)
{
    for (const char *const *k = kinds; *k != NULL; k++) {
        if (strcmp(*k, kind) == 0) {
            return true;
        }
    }
    return false;
}

static void put(json_t *o, const char *key, const char *value)
{
    if (value != NULL) {
        json_object_set_new(o, key, json_string(value));
    }
}

static void put_out(json_t *o, const struct clean_out *c)
{
    json_object_set_new(o, "verdict", json_string(clean_verdict_name(c->verdict)));
    put(o, "value", c->value);
    put(o, "change", c->change);
    put(o, "reason", c->reason);
}

json_t *clean_describe(const char *kind, const char *text, size_t len, int64_t now, struct arena *a)
{
    json_t *o = json_object();
    struct clean_out c;
    if (strcmp(kind, "phone") == 0) {
        struct clean_phone p;
        clean_phone(text, len, a, &p);
        put_out(o, &p.out);
        if (p.out.verdict != CLEAN_INVALID) {
            put(o, "type", phone_type_name(p.type));
            put(o, "country", p.country);
            put(o, "extension", p.extension);
        }
    } else if (strcmp(kind, "email") == 0) {
        struct clean_email e;
        clean_email(text, len, a, &e);
        put_out(o, &e.out);
        put(o, "display", e.display);
    } else if (strcmp(kind, "full_name") == 0) {
        struct clean_name n;
        clean_full_name(text, len, a, &n);
        put_out(o, &n.out);
        put(o, "last_name", n.last);
        put(o, "first_name", n.first);
        put(o, "middle_name", n.middle);
        put(o, "gender", n.gender);
        put(o, "gender_from", n.gender_from);
        if (n.latin) {
            json_object_set_new(o, "latin", json_true());
        }
    } else if (strncmp(kind, "last_name", 9) == 0 || strcmp(kind, "first_name") == 0 ||
               strcmp(kind, "middle_name") == 0) {
        enum name_part part = kind[0] == 'l'   ? NAME_LAST
                              : kind[0] == 'f' ? NAME_FIRST
                                               : NAME_MIDDLE;
        clean_name_part(part, text, len, a, &c);
        put_out(o, &c);
    } else if (strcmp(kind, "birth_date") == 0) {
        clean_birth_date(text, len, now / 86400000, a, &c);
        put_out(o, &c);
    } else if (strcmp(kind, "gender") == 0) {
        clean_gender(text, len, a, &c);
        put_out(o, &c);
    } else if (strcmp(kind, "city") == 0) {
        clean_city(text, len, a, &c);
        put_out(o, &c);
    } else {
        clean_text(text, len, 1000, a, &c);
        put_out(o, &c);
    }
    return o;
}
