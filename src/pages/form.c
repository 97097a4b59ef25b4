/*
 * form.c - the body of a page's form, decoded (form.h).
 */
#include "pages/form.h"

#include <string.h>

#include "clean/clean.h"

static int hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes `len` bytes of one name or value into `a`; NULL when it is refused (*why set). */
static const char *decode(const char *s, size_t len, struct arena *a, const char **why)
{
    char *out = arena_alloc(a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[n++] = ' ';
        } else if (s[i] == '%') {
            int hi = i + 1 < len ? hex(s[i + 1]) : -1;
            int lo = i + 2 < len ? hex(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *why = "a broken %-escape";
                return NULL;
            }
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = s[i];
        }
        if (out[n - 1] == '\0') {
            *why = "a NUL byte";
            return NULL;
        }
    }
    out[n] = '\0';
    if (n > PAGES_FORM_VALUE_MAX) {
        *why = "a value too long";
        return NULL;
    }
    if (!clean_utf8_valid(out, n)) {
        *why = "text that is not UTF-8";
        return NULL;
    }
    return out;
}

enum kt_rc pages_form_parse(const char *body, size_t len, struct arena *a, struct pages_form *out,
                            struct kt_err *err)
{
    const char *why = NULL, *name = NULL;
    out->n = 0;
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(body + i, '&', len - i);
        size_t end = amp != NULL ? (size_t)(amp - body) : len;
        if (end > i) { /* an empty pair is skipped */
            const char *eq = memchr(body + i, '=', end - i);
            size_t nend = eq != NULL ? (size_t)(eq - body) : end;
            if (out->n == PAGES_FORM_FIELDS_MAX) {
                why = "too many fields";
                break;
            }
            if ((name = decode(body + i, nend - i, a, &why)) == NULL) {
                break;
            }
            const char *value = eq != NULL ? decode(eq + 1, end - nend - 1, a, &why) : "";
            if (value == NULL) {
                break;
            }
            out->name[out->n] = name;
            out->value[out->n++] = value;
            name = NULL;
        }
        i = end + 1;
    }
    if (why != NULL) {
        return kt_err_set(err, KT_EBADREQ, "bad_form", name, "the form's body holds %s", why);
    }
    return KT_OK;
}

const char *pages_form_get(const struct pages_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->name[i], name) == 0) {
            return f->value[i];
        }
    }
    return NULL;
}

size_t pages_form_all(const struct pages_form *f, const char *name, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->name[i], name) == 0) {
            if (n < max) {
                out[n] = f->value[i];
            }
            n++;
        }
    }
    return n;
}
