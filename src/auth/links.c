/*
 * links.c - the signed links of a customer's own pages (links.h).
 */
#include "auth/links.h"

#include <string.h>

#include "auth/seal.h"
#include "base/num.h"

#define Q_CONTEXT "kartoteka/questionnaire/v1"

const char *links_q_token(const struct key_secret *k, const char *customer_id, int64_t now,
                          struct arena *a)
{
    return seal_make(k, Q_CONTEXT,
                     arena_printf(a, "%s.%lld", customer_id, (long long)(now + LINKS_Q_TTL_MS)), a);
}

bool links_q_open(const struct key_secret *k, const char *token, int64_t now, struct arena *a,
                  const char **customer_id)
{
    const char *text = NULL, *dot;
    int64_t expires = 0;
    if (!seal_open(k, Q_CONTEXT, token, a, &text) || (dot = strrchr(text, '.')) == NULL ||
        !num_parse_cstr(dot + 1, 0, INT64_MAX, &expires) || expires < now) {
        return false;
    }
    *customer_id = arena_strndup(a, text, (size_t)(dot - text));
    return true;
}
