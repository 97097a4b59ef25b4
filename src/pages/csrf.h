/*
 * csrf.h - the one-time tokens of the customer's pages' forms (docs/pages.md, "Security"): every
 * form the server renders carries a token in a hidden field; a submission without the token of
 * its own form, with one altered, expired or already spent, is refused and changes nothing.
 *
 * A token is sealed (auth/seal.h) under the installation secret with its form's name as the
 * context, so a token of one form is refused by another; inside are its expiry and a random
 * nonce, which a submission spends in the store (form_tokens) in the write transaction that does
 * the form's work: a replay finds it spent.
 */
#ifndef KT_PAGES_CSRF_H
#define KT_PAGES_CSRF_H

#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#define PAGES_FORM_TTL_MS   (2 * 60 * 60 * 1000LL) /* a form may be filled in two hours */
#define PAGES_FORM_NAME_MAX 32                     /* bytes of a form's name */

/* A new token for form `form` (a short name: "join", "code", "prefs") at `now`, in `a`. */
const char *pages_csrf_token(const struct key_secret *k, const char *form, int64_t now,
                             struct arena *a);

/* Spends `token` for form `form` at `now` in write transaction `w`. Refused (KT_EFORBIDDEN, field
 * `csrf`): `csrf_invalid` (missing, altered, another form's or another installation's),
 * `csrf_expired`, `csrf_replayed` (spent before). */
enum kt_rc pages_csrf_spend(struct store_conn *w, const struct key_secret *k, const char *form,
                            const char *token, int64_t now, struct kt_err *err);

#endif
