/*
 * describe.h - one value through its cleaner, described as a JSON object: the verdict, the
 * standard form, what changed and why, and what the cleaner found beside it (a phone's type and
 * country, the parts of a full name). The document of POST /v1/clean and `kartoteka clean`.
 *
 * Kept apart from clean.h, which stays free of Jansson: the cleaners are pure functions on text.
 */
#ifndef KT_CLEAN_DESCRIBE_H
#define KT_CLEAN_DESCRIBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

/* True for the kinds of value there is a cleaner for: phone, email, full_name, last_name,
 * first_name, middle_name, birth_date, gender, city, address. */
bool clean_kind_valid(const char *kind);

/* `text` of `kind` (valid by clean_kind_valid) cleaned as of `now` (ms; birth dates), described
 * as JSON (new reference); strings in `a`. */
json_t *clean_describe(const char *kind, const char *text, size_t len, int64_t now,
                       struct arena *a);

#endif
