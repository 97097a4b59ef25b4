/*
 * fuzz_form.c - arbitrary bytes as the body a page's form posts (pages/form.c). No crash, no
 * leak; a body that decodes gives at most PAGES_FORM_FIELDS_MAX pairs of UTF-8 text without a
 * NUL, and those pairs encoded again as a browser would (every byte but [A-Za-z0-9*-._] as %XX,
 * a space as '+') decode to the same pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "clean/clean.h"
#include "pages/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void encode(struct buf *b, const char *s)
{
    static const char digits[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("*-._", *p) != NULL) {
            buf_putc(b, (char)*p);
        } else if (*p == ' ') {
            buf_putc(b, '+');
        } else {
            buf_putc(b, '%');
            buf_putc(b, digits[*p >> 4]);
            buf_putc(b, digits[*p & 15]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a, 0);
    struct pages_form f, g;
    struct kt_err err;
    kt_err_reset(&err);
    if (pages_form_parse((const char *)data, size, &a, &f, &err) == KT_OK) {
        if (f.n > PAGES_FORM_FIELDS_MAX) {
            abort();
        }
        struct buf b;
        buf_init(&b, 1024);
        for (size_t i = 0; i < f.n; i++) {
            if (!clean_utf8_valid(f.name[i], strlen(f.name[i])) ||
                !clean_utf8_valid(f.value[i], strlen(f.value[i]))) {
                abort();
            }
            if (i > 0) {
                buf_putc(&b, '&');
            }
            encode(&b, f.name[i]);
            buf_putc(&b, '=');
            encode(&b, f.value[i]);
        }
        /* An empty name and value pair ("=") encodes as "=", which decodes to one pair again. */
        if (pages_form_parse(buf_cstr(&b), b.len, &a, &g, &err) != KT_OK || g.n != f.n) {
            abort();
        }
        for (size_t i = 0; i < f.n; i++) {
            if (strcmp(f.name[i], g.name[i]) != 0 || strcmp(f.value[i], g.value[i]) != 0) {
                abort();
            }
        }
        buf_release(&b);
    } else if (strcmp(err.code, "bad_form") != 0) {
        abort();
    }
    arena_release(&a);
    return 0;
}
