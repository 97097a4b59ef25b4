/*
 * fuzz_customer_decode.c - arbitrary bytes into the request decoding of POST and PATCH
 * /v1/customers: JSON parsing, every cleaner and the attribute checks. No crash, no leak, and a
 * decoded request is internally consistent (every identifier has a kind and a value).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct attr_def defs[] = {
    {"pets", "list", "enum", "[\"cat\",\"dog\",\"bird\",\"fish\"]", NULL, NULL, 1, 1},
    {"car_make", "string", NULL, NULL, NULL, NULL, 1, 1},
    {"children_birth_years", "list", "number", NULL, NULL, NULL, 1, 1},
    {"wedding", "date", NULL, NULL, NULL, NULL, 1, 1},
    {"size", "enum", NULL, "[\"S\",\"M\",\"L\"]", NULL, NULL, 1, 1},
    {"vip", "boolean", NULL, NULL, NULL, NULL, 1, 1},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kt_err err;
    kt_err_reset(&err);
    json_t *body = http_json_parse((const char *)data, size, &err);
    if (body == NULL) {
        if (err.rc == KT_OK || err.code[0] == '\0') {
            abort(); /* a refusal must say why */
        }
        return 0;
    }
    static const enum key_scope scopes[] = {SCOPE_ADMIN, SCOPE_COLLECT};
    for (int mode = 0; mode < 3; mode++) {
        for (size_t s = 0; s < 2; s++) {
            struct ident_decode_opts o = {mode == 1, mode == 2, scopes[s], NULL};
            struct arena a;
            arena_init(&a, 0);
            struct upsert_req r;
            kt_err_reset(&err);
            enum kt_rc rc = ident_decode(body, &o, defs, 6, 1795000000000LL, &a, &r, &err);
            if (rc == KT_OK) {
                for (size_t i = 0; i < r.n_idents; i++) {
                    if (r.idents[i].kind == NULL || r.idents[i].value == NULL ||
                        r.idents[i].value[0] == '\0') {
                        abort();
                    }
                }
            } else if (err.code[0] == '\0') {
                abort();
            }
            arena_release(&a);
        }
    }
    json_decref(body);
    return 0;
}
