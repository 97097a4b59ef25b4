/*
 * mask.h - what may be shown of a phone, an e-mail or a card number to someone who must not see
 * the whole of it: the customer's own pages (pages/prefs_rights.c) and an analyst's API replies
 * (http/mask.c) use this one function.
 */
#ifndef KT_BASE_MASK_H
#define KT_BASE_MASK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"

enum mask_style {
    /* The customer's pages: the customer recognises their own number by its last four digits. */
    MASK_PAGE,
    /* An analyst (issue 15, part 3): the operator's code and the last two digits - enough to see
     * how the base is spread, not enough to call anyone. */
    MASK_ANALYST,
};

/*
 * The masked form of `value` of identifier kind `kind` ("phone", "email", "card", ...), in `a`:
 *   phone +79161234567   MASK_PAGE "+7 *** ***-45-67"    MASK_ANALYST "+7 916 ***-**-67"
 *   other phones         MASK_PAGE "**** 4567"           MASK_ANALYST "**** 67"
 *   email anna@ex.org    both "a***@ex.org" (the first character of the name, the whole domain)
 *   anything else        "**** " and its last four bytes, "****" when shorter than five
 * "" for NULL or "". Never the value itself unless it is empty.
 */
const char *mask_value(const char *kind, const char *value, enum mask_style style, struct arena *a);

/* Whether `s` (`n` bytes) is, as a whole, an e-mail address (name@domain.tld, no space) or a
 * phone in E.164 (+ and 10-15 digits): what http/mask.c masks wherever it stands. */
bool mask_looks_email(const char *s, size_t n);
bool mask_looks_phone(const char *s, size_t n);

#endif
