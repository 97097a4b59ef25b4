/*
 * idents.c - identifier kinds and their standard forms.
 *
 *   phone    E.164, by clean_phone()
 *   email    lower case, IDNA domain, by clean_email()
 *   card     letters and digits, spaces and dashes dropped, upper case, 4-32 characters
 *   cookie, device, ext:<system>   as given (trimmed), 1-128 bytes, no spaces or controls
 *   social   vk, ok, telegram, whatsapp, viber, max, yandex, google, apple, mailru: lower case,
 *            a leading "@" dropped (user names on these networks ignore case)
 */
#include <string.h>

#include "clean/clean.h"
#include "identity/identity.h"

static const char *const social[] = {"vk",  "ok",     "telegram", "whatsapp", "viber",
                                     "max", "yandex", "google",   "apple",    "mailru"};

bool ident_social_valid(const char *network)
{
    for (size_t i = 0; i < sizeof(social) / sizeof(social[0]); i++) {
        if (strcmp(network, social[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool ident_system_valid(const char *system)
{
    size_t n = strlen(system);
    if (n == 0 || n > 32) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = system[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

int ident_strength(const char *kind)
{
    if (strcmp(kind, "card") == 0) {
        return 7;
    }
    if (strncmp(kind, "ext:", 4) == 0) {
        return 6;
    }
    if (strcmp(kind, "phone") == 0) {
        return 5;
    }
    if (strcmp(kind, "email") == 0) {
        return 4;
    }
    if (strcmp(kind, "device") == 0) {
        return 2;
    }
    if (strcmp(kind, "cookie") == 0) {
        return 1;
    }
    return 3; /* social */
}

static enum kt_rc refuse(struct kt_err *err, const char *code, const char *field, const char *what,
                         const char *reason)
{
    return kt_err_set(err, KT_EINVAL, code, field, "%s is not valid (%s)", what, reason);
}

static enum kt_rc clean_card(const char *raw, size_t len, struct arena *a, const char *field,
                             const char **value, struct kt_err *err)
{
    char *out = arena_alloc(a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c == ' ' || c == '-') {
            continue;
        }
        if (c >= 'a' && c <= 'z') {
            c = (unsigned char)(c - 32);
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            return refuse(err, "invalid_identifier", field, "card number", "bad_character");
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    if (n < 4 || n > 32) {
        return refuse(err, "invalid_identifier", field, "card number",
                      n < 4 ? "too_short" : "too_long");
    }
    *value = out;
    return KT_OK;
}

/* cookie, device, ext:* and social ids: opaque tokens. */
static enum kt_rc clean_token(const char *raw, size_t len, bool fold, struct arena *a,
                              const char *field, const char **value, struct kt_err *err)
{
    struct clean_out t;
    clean_text(raw, len, 128, a, &t);
    if (t.verdict == CLEAN_INVALID) {
        return refuse(err, "invalid_identifier", field, "identifier", t.reason);
    }
    const char *v = t.value;
    if (strchr(v, ' ') != NULL) {
        return refuse(err, "invalid_identifier", field, "identifier", "contains_space");
    }
    if (fold) {
        if (v[0] == '@') {
            v++;
        }
        char *f = arena_strdup(a, v);
        for (char *p = f; *p != '\0'; p++) {
            if (*p >= 'A' && *p <= 'Z') {
                *p = (char)(*p + 32);
            }
        }
        v = f;
        if (v[0] == '\0') {
            return refuse(err, "invalid_identifier", field, "identifier", "empty");
        }
    }
    *value = v;
    return KT_OK;
}

enum kt_rc ident_value_clean(const char *kind, const char *raw, size_t len, struct arena *a,
                             const char *field, const char **value, struct kt_err *err)
{
    if (strcmp(kind, "phone") == 0) {
        struct clean_phone p;
        clean_phone(raw, len, a, &p);
        if (p.out.verdict == CLEAN_INVALID) {
            return refuse(err, "invalid_phone", field, "phone number", p.out.reason);
        }
        *value = p.out.value;
        return KT_OK;
    }
    if (strcmp(kind, "email") == 0) {
        struct clean_email e;
        clean_email(raw, len, a, &e);
        if (e.out.verdict == CLEAN_INVALID) {
            return refuse(err, "invalid_email", field, "e-mail address", e.out.reason);
        }
        *value = e.out.value;
        return KT_OK;
    }
    if (strcmp(kind, "card") == 0) {
        return clean_card(raw, len, a, field, value, err);
    }
    bool fold = ident_social_valid(kind);
    return clean_token(raw, len, fold, a, field, value, err);
}
