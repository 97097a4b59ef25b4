/*
 * fuzz_clean.c - arbitrary bytes into every cleaner. No crash, no leak, and idempotence: cleaning
 * a standard form gives the same form back and says nothing was changed (a suspicious value
 * stays suspicious).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clean/clean.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The second pass over a standard form: same value, nothing corrected. */
static void stable(const struct clean_out *first, const struct clean_out *second)
{
    if (first->verdict == CLEAN_INVALID) {
        return;
    }
    if (second->verdict == CLEAN_INVALID || second->verdict == CLEAN_CORRECTED ||
        strcmp(first->value, second->value) != 0) {
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
        stable(&p.out, &p2.out);
    }
    struct clean_email e, e2;
    clean_email(in, size, &a, &e);
    if (e.out.verdict != CLEAN_INVALID) {
        clean_email(e.display, strlen(e.display), &a, &e2);
        if (e2.out.verdict == CLEAN_INVALID || strcmp(e.out.value, e2.out.value) != 0) {
            abort();
        }
    }
    struct clean_out t, t2;
    clean_text(in, size, 1000, &a, &t);
    if (t.verdict != CLEAN_INVALID) {
        clean_text(t.value, strlen(t.value), 1000, &a, &t2);
        stable(&t, &t2);
    }
    clean_birth_date(in, size, 20416, &a, &t);
    if (t.verdict != CLEAN_INVALID) {
        clean_birth_date(t.value, strlen(t.value), 20416, &a, &t2);
        stable(&t, &t2);
    }
    clean_city(in, size, &a, &t);
    if (t.verdict != CLEAN_INVALID) {
        clean_city(t.value, strlen(t.value), &a, &t2);
        stable(&t, &t2);
    }
    for (int part = NAME_LAST; part <= NAME_MIDDLE; part++) {
        clean_name_part((enum name_part)part, in, size, &a, &t);
        if (t.verdict != CLEAN_INVALID) {
            clean_name_part((enum name_part)part, t.value, strlen(t.value), &a, &t2);
            stable(&t, &t2);
        }
    }
    struct clean_name n, n2;
    clean_full_name(in, size, &a, &n);
    if (n.out.verdict != CLEAN_INVALID && n.out.value[0] != '\0') {
        /* the joined standard form splits back into the same parts, and is ok as it stands */
        clean_full_name(n.out.value, strlen(n.out.value), &a, &n2);
        stable(&n.out, &n2.out);
        if ((n.out.verdict == CLEAN_SUSPICIOUS) != (n2.out.verdict == CLEAN_SUSPICIOUS) ||
            (n.last == NULL) != (n2.last == NULL) || (n.first == NULL) != (n2.first == NULL) ||
            (n.middle == NULL) != (n2.middle == NULL)) {
            abort();
        }
    }
    clean_gender(in, size, &a, &t);
    arena_release(&a);
    return 0;
}
