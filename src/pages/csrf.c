/*
 * csrf.c - the one-time tokens of the pages' forms (csrf.h).
 */
#include "pages/csrf.h"

#include <sodium.h>
#include <string.h>

#include "auth/seal.h"
#include "base/num.h"

#define NONCE_BYTES 16

static const char *context(const char *form, struct arena *a)
{
    return arena_printf(a, "kartoteka/form/v1:%s", form);
}

const char *pages_csrf_token(const struct key_secret *k, const char *form, int64_t now,
                             struct arena *a)
{
    unsigned char nonce[NONCE_BYTES];
    char hex[2 * NONCE_BYTES + 1];
    randombytes_buf(nonce, sizeof(nonce));
    sodium_bin2hex(hex, sizeof(hex), nonce, sizeof(nonce));
    const char *text = arena_printf(a, "%lld.%s", (long long)(now + PAGES_FORM_TTL_MS), hex);
    return seal_make(k, context(form, a), text, a);
}

static enum kt_rc refused(struct kt_err *err, const char *code, const char *msg)
{
    return kt_err_set(err, KT_EFORBIDDEN, code, "csrf", "%s", msg);
}

enum kt_rc pages_csrf_spend(struct store_conn *w, const struct key_secret *k, const char *form,
                            const char *token, int64_t now, struct kt_err *err)
{
    struct arena a;
    const char *text = NULL;
    int64_t expires = 0;
    bool fresh = false;
    arena_init(&a, 0);
    enum kt_rc rc = KT_OK;
    const char *dot = NULL;
    if (token == NULL || token[0] == '\0' || !seal_open(k, context(form, &a), token, &a, &text) ||
        (dot = strchr(text, '.')) == NULL || strlen(dot + 1) != 2 * NONCE_BYTES ||
        !num_parse_i64(text, (size_t)(dot - text), 0, INT64_MAX, &expires)) {
        rc = refused(err, "csrf_invalid",
                     "the form is not this page's: open the page again and send it from there");
    } else if (expires < now) {
        rc = refused(err, "csrf_expired", "the form was open too long: open the page again");
    } else if (store_form_token_use(w, dot + 1, expires, now, &fresh, err) != KT_OK) {
        rc = err->rc;
    } else if (!fresh) {
        rc = refused(err, "csrf_replayed", "the form was sent already: open the page again");
    }
    arena_release(&a);
    return rc;
}
