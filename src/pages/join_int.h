/*
 * join_int.h - what join.c, join_hold.c and join_confirm.c share (join.h is the module's face).
 */
#ifndef KT_PAGES_JOIN_INT_H
#define KT_PAGES_JOIN_INT_H

#include <jansson.h>

#include "identity/identity.h"
#include "pages/form.h"
#include "pages/join.h"

#define FORM_JOIN "join"      /* the form token's form: the join form */
#define FORM_CODE "join_code" /* the code page's */

/* The document an API client would post for the form: {"source": {"channel", "store"},
 * "profile": {...}, "attributes": {...}} with the values as typed (a new reference). */
json_t *pages_join_request(const struct pages_form *form, const char *channel, const char *store,
                           const struct attr_def *defs, size_t n_defs, struct arena *a);

/* Every value of the form checked (ident_decode, lenient, so each refused value is named) into
 * `req`; `*errors` gets field -> message (a new reference) or NULL when all is well, the phone
 * and the consent box required. */
enum kt_rc pages_join_check(const struct pages_form *form, const char *channel, const char *store,
                            const struct attr_def *defs, size_t n_defs, int64_t now,
                            struct arena *a, struct upsert_req *req, json_t **errors,
                            struct kt_err *err);

/* The contexts of the code page's and the card page's sealed tokens, bound to the join point. */
const char *pages_join_held_context(const char *code, struct arena *a);

#endif
