/*
 * email.c - e-mail addresses, by the policy in docs/email-policy.md.
 *
 * The policy in short: a mailbox as RFC 5321 defines it, restricted to what mail systems in
 * practice deliver to. The local part is a dot-atom (RFC 5322 atext and dots, no leading, trailing
 * or doubled dot) of at most 64 bytes; UTF-8 letters are allowed in it (RFC 6531). Quoted local
 * parts and IP-literal domains are refused: no retailer's mail goes there and they are a favourite
 * of junk. The domain is a host name of at least two labels, converted to IDNA ASCII with libidn2,
 * each label 1-63 letters, digits and inner hyphens, the top-level label not all digits, at most
 * 253 bytes; the whole address at most 254 bytes. Everything is lower-cased: the match key treats
 * "Ivan@Mail.ru" and "ivan@mail.ru" as one address, as every large Russian provider does.
 *
 * Not here (added by the quality work): typo fixes of the big domains, disposable and role
 * addresses.
 */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "clean/clean.h"

static bool is_atext(unsigned char c)
{
    if (c >= 0x80) {
        return true; /* UTF-8 byte; validity is checked on the whole address */
    }
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
        return true;
    }
    if (c >= '0' && c <= '9') {
        return true;
    }
    return c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

static bool local_valid(const char *p, size_t n)
{
    if (n == 0 || n > 64 || p[0] == '.' || p[n - 1] == '.') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '.') {
            if (p[i + 1] == '.') {
                return false;
            }
        } else if (!is_atext(c)) {
            return false;
        }
    }
    return true;
}

/* Checks the ASCII (IDNA) form of a domain. */
static bool domain_valid(const char *d)
{
    size_t n = strlen(d);
    if (n == 0 || n > 253) {
        return false;
    }
    size_t labels = 0;
    const char *p = d;
    const char *last = d;
    while (*p != '\0') {
        const char *dot = strchr(p, '.');
        size_t ln = dot ? (size_t)(dot - p) : strlen(p);
        if (ln == 0 || ln > 63 || p[0] == '-' || p[ln - 1] == '-') {
            return false;
        }
        for (size_t i = 0; i < ln; i++) {
            unsigned char c = (unsigned char)p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                return false;
            }
        }
        labels++;
        last = p;
        p = dot ? dot + 1 : p + ln;
        if (dot && *p == '\0') {
            return false;
        }
    }
    if (labels < 2) {
        return false;
    }
    bool all_digits = true;
    for (const char *q = last; *q != '\0'; q++) {
        all_digits = all_digits && *q >= '0' && *q <= '9';
    }
    return !all_digits;
}

static void refuse(struct clean_email *out, const char *reason)
{
    out->out.verdict = CLEAN_INVALID;
    out->out.value = NULL;
    out->display = NULL;
    out->out.reason = reason;
}

/* Lower-cases ASCII letters in place; UTF-8 bytes are left alone. */
static void ascii_lower(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            *s = (char)(*s + 32);
        }
    }
}

void clean_email(const char *in, size_t len, struct arena *a, struct clean_email *out)
{
    memset(out, 0, sizeof(*out));
    struct clean_out t;
    clean_text(in, len, 320, a, &t);
    if (t.verdict == CLEAN_INVALID) {
        refuse(out, t.reason);
        return;
    }
    const char *s = t.value;
    if (strchr(s, ' ') != NULL) {
        refuse(out, "contains_space");
        return;
    }
    const char *at = strrchr(s, '@');
    if (at == NULL) {
        refuse(out, "no_at_sign");
        return;
    }
    size_t llen = (size_t)(at - s);
    char *local = arena_strndup(a, s, llen);
    if (llen > 0 && local[0] == '"') {
        refuse(out, "quoted_local_part");
        return;
    }
    if (!local_valid(local, llen)) {
        refuse(out, llen == 0 ? "no_local_part" : "bad_local_part");
        return;
    }
    const char *dom = at + 1;
    size_t dlen = strlen(dom);
    if (dlen == 0) {
        refuse(out, "no_domain");
        return;
    }
    if (dom[0] == '[') {
        refuse(out, "ip_literal");
        return;
    }
    char *domain = arena_strndup(a, dom, dlen);
    if (domain[dlen - 1] == '.') {
        domain[dlen - 1] = '\0'; /* the root dot of a fully qualified name */
    }
    char *ascii = NULL;
    int rc = idn2_lookup_u8((const uint8_t *)domain, (uint8_t **)&ascii,
                            IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        /* Retry with the transitional rules, which also accept the symbols UTS #46 maps. */
        rc = idn2_lookup_u8((const uint8_t *)domain, (uint8_t **)&ascii,
                            IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
    }
    if (rc != IDN2_OK || ascii == NULL) {
        free(ascii);
        refuse(out, "bad_domain");
        return;
    }
    char *ascii_a = arena_strdup(a, ascii);
    free(ascii);
    ascii_lower(ascii_a);
    if (!domain_valid(ascii_a)) {
        refuse(out, "bad_domain");
        return;
    }
    char *uni = NULL;
    if (strstr(ascii_a, "xn--") != NULL && idn2_to_unicode_8z8z(ascii_a, &uni, 0) == IDN2_OK &&
        uni != NULL) {
        char *u = arena_strdup(a, uni);
        free(uni);
        uni = u;
    } else {
        free(uni);
        uni = ascii_a;
    }
    ascii_lower(local);
    char *key = arena_printf(a, "%s@%s", local, ascii_a);
    if (strlen(key) > 254) {
        refuse(out, "too_long");
        return;
    }
    out->out.value = key;
    out->display = arena_printf(a, "%s@%s", local, uni);
    bool same = strlen(out->display) == len && memcmp(in, out->display, len) == 0;
    out->out.verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
    out->out.change = same ? NULL : "lower_case_or_idna";
}
