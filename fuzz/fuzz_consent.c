/*
 * fuzz_consent.c - arbitrary bytes where the outside world reaches consent/: as the "consents"
 * array of a request (JSON) from each kind of source, and as an unsubscribe token in the public
 * page's URL. No crash, no leak; a token never checks out unless it was made with the key.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consent/consent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a, 0);
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (v != NULL) {
        static const char *const sources[] = {"web", "pos", "import", "admin"};
        for (size_t i = 0; i < 4; i++) {
            struct consent_input *in;
            size_t n;
            struct kt_err err;
            kt_err_reset(&err);
            if (consent_decode(v, sources[i], 1800000000000LL, &a, &in, &n, &err) == KT_OK) {
                for (size_t k = 0; k < n; k++) {
                    if (!consent_purpose_valid(in[k].purpose)) {
                        abort(); /* decoded consents name a real purpose */
                    }
                }
            } else if (err.code[0] == '\0') {
                abort(); /* every refusal says why */
            }
        }
        json_decref(v);
    }
    char *tok = arena_strndup(&a, (const char *)data, size);
    struct key_secret k = {{7}};
    const char *id, *topic, *channel;
    if (subs_token_check(&k, tok, &a, &id, &topic, &channel)) {
        /* Only a token this key made can pass; the fuzzer cannot forge the tag. */
        const char *again = subs_token(&k, id, topic, channel, &a);
        if (strcmp(again, tok) != 0) {
            abort();
        }
    }
    arena_release(&a);
    return 0;
}
