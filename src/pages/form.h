/*
 * form.h - the body a page's form posts (application/x-www-form-urlencoded, as browsers send it:
 * WHATWG URL standard, "application/x-www-form-urlencoded parsing"): name=value pairs joined by
 * '&', '+' for a space, %XX for any byte. Decoded here whole, once, before a page reads a value -
 * a hostile body is refused, never half-read.
 */
#ifndef KT_PAGES_FORM_H
#define KT_PAGES_FORM_H

#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"

#define PAGES_FORM_FIELDS_MAX 64   /* pairs in one body */
#define PAGES_FORM_VALUE_MAX  2048 /* bytes of one decoded name or value */

struct pages_form {
    const char *name[PAGES_FORM_FIELDS_MAX];
    const char *value[PAGES_FORM_FIELDS_MAX];
    size_t n;
};

/* Decodes `len` bytes of `body` into `out` (strings NUL-terminated, in `a`). Refused (KT_EBADREQ
 * `bad_form`, the field the pair's name when it is known): more than PAGES_FORM_FIELDS_MAX
 * pairs, a name or value longer than PAGES_FORM_VALUE_MAX, a broken %-escape, a NUL byte, text
 * that is not UTF-8. An empty pair ("a=1&&b=2") is skipped, as browsers do. */
enum kt_rc pages_form_parse(const char *body, size_t len, struct arena *a, struct pages_form *out,
                            struct kt_err *err);

/* The first value of `name`, or NULL. */
const char *pages_form_get(const struct pages_form *f, const char *name);

/* Every value of `name` in the body's order (a group of checkboxes), at most `max` into `out`;
 * how many there are. */
size_t pages_form_all(const struct pages_form *f, const char *name, const char **out, size_t max);

#endif
