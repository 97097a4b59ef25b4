/*
 * fuzz_clean.c - arbitrary bytes into every cleaner. No crash, no leak, and idempotence: cleaning
 * a standard form gives the same form back, verdict ok.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clean/clean.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_die(const char *a, const char *b)
{
    if (strcmp(a, b) != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct arena a;
    arena_init(&a, 0);
    struct clean_phone p, p2;
    clean_phone(in, size, &a, &p);
    if (p.out.verdict != CLEAN_INVALID) {
        clean_phone(p.out.value, strlen(p.out.value), &a, &p2);
        if (p2.out.verdict != CLEAN_OK) {
            abort();
        }
        same_or_die(p.out.value, p2.out.value);
    }
    struct clean_email e, e2;
    clean_email(in, size, &a, &e);
    if (e.out.verdict != CLEAN_INVALID) {
        clean_email(e.display, strlen(e.display), &a, &e2);
        if (e2.out.verdict != CLEAN_OK) {
            abort();
        }
        same_or_die(e.out.value, e2.out.value);
    }
    struct clean_out t, t2;
    clean_text(in, size, 1000, &a, &t);
    if (t.verdict != CLEAN_INVALID) {
        clean_text(t.value, strlen(t.value), 1000, &a, &t2);
        if (t2.verdict != CLEAN_OK) {
            abort();
        }
        same_or_die(t.value, t2.value);
    }
    clean_birth_date(in, size, 20000, &a, &t);
    clean_gender(in, size, &a, &t);
    arena_release(&a);
    return 0;
}
