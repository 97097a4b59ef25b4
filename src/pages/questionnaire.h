/*
 * questionnaire.h - the questionnaire a customer opens from the enrolment SMS (docs/pages.md,
 * "The questionnaire"): `/q/{token}`, a link for one customer, signed and expiring. It shows what
 * her profile holds and what the spend gate (docs/loyalty.md) still needs, by name; she fills in
 * what is missing, ticks the consent to the processing of her data when it is not given yet, and
 * the form goes through the same cleaning, identity and consent path as the API's (PATCH
 * /v1/customers/{id}, POST .../consents; channel web, form `questionnaire`). When the gate is
 * met the welcome bonus is credited and the page says the points can now be spent. The link's
 * token is auth/links.h's (the enrolment SMS below this module makes it too).
 */
#ifndef KT_PAGES_QUESTIONNAIRE_H
#define KT_PAGES_QUESTIONNAIRE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "pages/form.h"
#include "store/store.h"

/* The page's context for customer `customer_id` on `c`: the fields with their values (`form`'s
 * when the page comes back with errors, else the profile's), `errors` (an object: field ->
 * message, or NULL), what the gate misses, the consent box, a fresh form token. *gone when the
 * customer is no more (erased, merged away): the caller shows the invalid-link page. */
enum kt_rc pages_q_view(struct store_conn *c, const struct key_secret *k, const char *customer_id,
                        const struct pages_form *form, const json_t *errors, bool done, int64_t now,
                        struct arena *a, json_t **ctx, bool *gone, struct kt_err *err);

/* What a submission did. */
struct pages_q_result {
    json_t *errors; /* field -> message in Russian (a new reference), or NULL when stored */
    bool complete;  /* the spend gate is met now */
    int64_t bonus;  /* welcome points credited by this submission */
};

/* The form `form` of customer `customer_id`, in one write transaction: one use of the address
 * `ip` counted (pages/limits.h; over the limit page_rate_limited, 429), its token spent
 * (csrf_*: 403), the honeypot empty, the values through ident_decode and ident_patch, the consent
 * recorded with the document's hash as evidence, the welcome bonus checked. A value refused by
 * cleaning is no error of the call: `out->errors` says which field and why, nothing stored. */
enum kt_rc pages_q_submit(struct store *s, const struct key_secret *k, const char *customer_id,
                          const struct pages_form *form, const char *ip, const char *request_id,
                          int64_t now, struct arena *a, struct pages_q_result *out,
                          struct kt_err *err);

#endif
