/*
 * links.h - the signed links Kartoteka hands a customer for a page of her own (docs/pages.md):
 * the questionnaire's `/q/{token}`, which the enrolment SMS carries (`--sms-text` with {{link}})
 * and the API gives (GET /v1/customers/{id}/questionnaire-link). A token is sealed (seal.h) with
 * the page's own context, so it names the customer without showing her id, and it expires.
 */
#ifndef KT_AUTH_LINKS_H
#define KT_AUTH_LINKS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"

#define LINKS_Q_TTL_MS (30 * 24 * 60 * 60 * 1000LL) /* a questionnaire link lives 30 days */

/* The questionnaire's token for customer `customer_id` at `now` (in `a`). */
const char *links_q_token(const struct key_secret *k, const char *customer_id, int64_t now,
                          struct arena *a);

/* The customer a questionnaire token names; false for one altered, another installation's or
 * expired. */
bool links_q_open(const struct key_secret *k, const char *token, int64_t now, struct arena *a,
                  const char **customer_id);

#define LINKS_W_TTL_MS (90 * 24 * 60 * 60 * 1000LL) /* a wallet link lives 90 days */

/* The wallet links' token (/w/{token}/apple and /google, docs/wallet.md): customer `customer_id`
 * at `now`; opened like the questionnaire's, under a context of its own. */
const char *links_w_token(const struct key_secret *k, const char *customer_id, int64_t now,
                          struct arena *a);
bool links_w_open(const struct key_secret *k, const char *token, int64_t now, struct arena *a,
                  const char **customer_id);

#endif
