/*
 * attrs.h - questionnaire attributes the retailer declares before customers may carry them
 * (`pets: list of [cat, dog, bird, fish]`, `car_make: string`, `children_birth_years: list of
 * number`). Types: string, number, boolean, date, enum (one of `values`), list (of string, number,
 * date or enum). Values are checked against the declaration on every write path.
 */
#ifndef KT_IDENTITY_ATTRS_H
#define KT_IDENTITY_ATTRS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/model.h"

#define ATTR_LIST_MAX   100  /* items in one list value */
#define ATTR_VALUES_MAX 200  /* allowed values of one enum */
#define ATTR_TEXT_MAX   1000 /* bytes of one string value */

/* [a-z][a-z0-9_]{0,39}, and not the name of a profile field. */
bool attr_name_valid(const char *name);

/* The declaration named `name` among `n` of them, or NULL. */
const struct attr_def *attr_find(const struct attr_def *defs, size_t n, const char *name);

/* Reads a declaration from a PUT body. Strings land in the arena. */
enum kt_rc attr_def_decode(const char *name, const json_t *body, struct arena *a,
                           struct attr_def *out, struct kt_err *err);

/* The declaration as the API shows it (new reference). */
json_t *attr_def_json(const struct attr_def *d);

/* True when replacing `old` by `new` could make stored values invalid (type changed, list item
 * type changed, allowed values removed). */
bool attr_def_narrows(const struct attr_def *old, const struct attr_def *nw);

/*
 * Checks one value against its declaration and returns its standard form in *out (a new
 * reference): strings cleaned, list items deduplicated. `field` names it in errors. JSON null is
 * accepted only when `allow_null` (it means "remove").
 */
enum kt_rc attr_value_check(const struct attr_def *d, const json_t *v, bool allow_null,
                            const char *field, struct arena *a, json_t **out, struct kt_err *err);

#endif
