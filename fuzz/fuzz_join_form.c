/*
 * fuzz_join_form.c - arbitrary bytes as the body the join form posts (pages/join.c,
 * pages_join_check): decoded, turned into the customer document by the attributes'
 * declarations (a list of choices, a list of numbers with commas, a yes/no, a number, a date, a
 * word) and checked by identity's decoding. No crash, no leak; a form it passes has the phone
 * in its standard form and the consent box ticked; every refusal is named by a field of the form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pages/join_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct attr_def DEFS[] = {
    {.name = "pets", .type = "list", .items = "enum", .values = "[\"cat\",\"dog\"]"},
    {.name = "children_ages", .type = "list", .items = "number"},
    {.name = "car", .type = "boolean"},
    {.name = "kids", .type = "number"},
    {.name = "moved_in", .type = "date"},
    {.name = "car_make", .type = "string"},
};
#define N_DEFS (sizeof(DEFS) / sizeof(DEFS[0]))

static const char *const NAMES[] = {
    "phone",     "first_name",    "last_name",    "birth_date", "email",
    "gender",    "pd_consent",    "attr_pets",    "attr_car",   "attr_children_ages",
    "attr_kids", "attr_moved_in", "attr_car_make"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a, 0);
    struct pages_form f;
    struct upsert_req req;
    json_t *errors = NULL;
    struct kt_err err;
    kt_err_reset(&err);
    if (pages_form_parse((const char *)data, size, &a, &f, &err) == KT_OK &&
        pages_join_check(&f, "qr_form", "S-1", DEFS, N_DEFS, 1780000000000LL, &a, &req, &errors,
                         &err) == KT_OK) {
        if (errors == NULL) {
            if (req.val[PF_PHONE] == NULL || req.val[PF_PHONE][0] != '+' ||
                pages_form_get(&f, "pd_consent") == NULL) {
                abort();
            }
        } else {
            const char *key;
            json_t *v;
            json_object_foreach(errors, key, v)
            {
                size_t i = 0;
                while (i < sizeof(NAMES) / sizeof(NAMES[0]) && strcmp(NAMES[i], key) != 0) {
                    i++;
                }
                if (i == sizeof(NAMES) / sizeof(NAMES[0]) || !json_is_string(v)) {
                    abort();
                }
            }
            json_decref(errors);
        }
    }
    arena_release(&a);
    return 0;
}
