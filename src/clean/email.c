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
 * On top of the syntax: typos of the big mail domains are fixed and reported ("mail.ri",
 * "gmial.com", "yandex/ru", "mailru" -> "mail.ru"); a domain one edit away from a big one is
 * fixed only when the big one is at least seven characters long, so "ya.ru" stays as it is.
 * Disposable domains, role mailboxes (info@, noreply@) and placeholders (test@test.ru, a@a.ru)
 * are kept but suspicious. Special-use top-level domains (.test, .invalid, .local, .localhost,
 * .onion, .arpa) are refused.
 */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "clean/clean.h"
#include "clean/internal.h"

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

static const char *const big_domains[] = {
    "mail.ru",        "bk.ru",     "list.ru",        "inbox.ru",   "internet.ru",
    "yandex.ru",      "ya.ru",     "yandex.com",     "yandex.by",  "yandex.kz",
    "yandex.ua",      "gmail.com", "googlemail.com", "rambler.ru", "lenta.ru",
    "autorambler.ru", "ro.ru",     "icloud.com",     "me.com",     "outlook.com",
    "hotmail.com",    "live.com",  "yahoo.com",      "ukr.net",    "tut.by",
    "protonmail.com", "proton.me", "mail.com",       "vk.com",     "qip.ru",
    "ngs.ru",         "e1.ru",     "mail.kz",        "inbox.lv",   "aol.com",
    "msn.com"};
#define N_BIG (sizeof(big_domains) / sizeof(big_domains[0]))

static const char *const disposable[] = {
    "mailinator.com",  "yopmail.com",   "guerrillamail.com", "10minutemail.com",
    "temp-mail.org",   "tempmail.com",  "trashmail.com",     "getnada.com",
    "dispostable.com", "maildrop.cc",   "sharklasers.com",   "throwawaymail.com",
    "fakeinbox.com",   "mohmal.com",    "emailondeck.com",   "mintemail.com",
    "spamgourmet.com", "mailnesia.com", "tempail.com",       "dropmail.me",
    "1secmail.com",    "tmpmail.org",   "minuteinbox.com",   "crazymailing.com",
    "tempr.email",     "burnermail.io", "33mail.com",        "mailcatch.com",
    "tempmailo.com",   "emailfake.com"};

static const char *const roles[] = {
    "info",    "noreply",   "no-reply",  "donotreply", "admin",      "administrator", "support",
    "sales",   "office",    "contact",   "webmaster",  "postmaster", "hostmaster",    "abuse",
    "billing", "marketing", "hr",        "jobs",       "job",        "team",          "hello",
    "help",    "service",   "reception", "secretary",  "buh",        "zakaz",         "order",
    "orders",  "shop",      "manager"};

static const char *const fake_locals[] = {
    "test",    "test1", "test123", "testtest", "tester",  "asdf",     "qwerty", "qwe",    "123",
    "1234",    "12345", "123456",  "nomail",   "noemail", "no-email", "none",   "nobody", "null",
    "example", "user",  "email",   "mail",     "xxx",     "aaa",      "net",    "nemail"};

static const char *const fake_domains[] = {
    "test.ru",    "test.com",  "example.com", "example.ru", "example.org", "example.net",
    "domain.com", "email.com", "mail.test",   "test.test",  "site.ru"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Damerau-Levenshtein distance is 1 (one insertion, deletion, substitution or swap). */
static bool one_edit(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 < lb || lb + 1 < la || strcmp(a, b) == 0) {
        return false;
    }
    size_t i = 0;
    while (i < la && i < lb && a[i] == b[i]) {
        i++;
    }
    if (la == lb) {
        if (strcmp(a + i + 1, b + i + 1) == 0) {
            return true; /* substitution */
        }
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
               strcmp(a + i + 2, b + i + 2) == 0; /* swap */
    }
    return la > lb ? strcmp(a + i + 1, b + i) == 0 : strcmp(a + i, b + i + 1) == 0;
}

/* A typo of a big domain, fixed; NULL when `d` (ASCII, lower case) is not one. */
static const char *domain_typo(const char *d, struct arena *a)
{
    if (in_list(d, big_domains, N_BIG)) {
        return NULL;
    }
    size_t n = strlen(d);
    char *sep = arena_strdup(a, d);
    char *nodot = arena_alloc(a, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (sep[i] == ',' || sep[i] == '/' || sep[i] == ' ' || sep[i] == '\\') {
            sep[i] = '.';
        }
        if (d[i] != '.') {
            nodot[j++] = d[i];
        }
    }
    nodot[j] = '\0';
    for (size_t k = 0; k < N_BIG; k++) {
        const char *big = big_domains[k];
        char bignodot[32];
        size_t bj = 0;
        for (const char *p = big; *p && bj + 1 < sizeof(bignodot); p++) {
            if (*p != '.') {
                bignodot[bj++] = *p;
            }
        }
        bignodot[bj] = '\0';
        if (strcmp(sep, big) == 0 || (strchr(d, '.') == NULL && strcmp(nodot, bignodot) == 0) ||
            (strlen(big) >= 7 && one_edit(sep, big))) {
            return big;
        }
    }
    return NULL;
}

/* Verdict for a syntactically valid address: disposable, role and placeholder addresses. */
static const char *suspicion(const char *local, const char *domain)
{
    if (in_list(domain, disposable, sizeof(disposable) / sizeof(disposable[0]))) {
        return "disposable_domain";
    }
    if (in_list(domain, fake_domains, sizeof(fake_domains) / sizeof(fake_domains[0])) ||
        in_list(local, fake_locals, sizeof(fake_locals) / sizeof(fake_locals[0])) ||
        (strlen(local) == 1 && strcspn(domain, ".") == 1)) {
        return "placeholder_address";
    }
    return in_list(local, roles, sizeof(roles) / sizeof(roles[0])) ? "role_address" : NULL;
}

static bool special_use(const char *domain)
{
    static const char *const tlds[] = {"test", "invalid", "local", "localhost", "onion", "arpa"};
    const char *dot = strrchr(domain, '.');
    return in_list(dot ? dot + 1 : domain, tlds, sizeof(tlds) / sizeof(tlds[0]));
}

/* Lower case for the whole local part, Cyrillic included (ICU, code point by code point). */
static char *lower_all(const char *s, struct arena *a)
{
    size_t len = strlen(s);
    char *out = arena_alloc(a, len * 2 + 1);
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        j += utf8_put(cp_lower(utf8_get((const unsigned char *)s + i, &adv)), out + j);
        i += adv;
    }
    out[j] = '\0';
    return out;
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
    const char *typo = domain_typo(lower_all(domain, a), a);
    if (typo != NULL) {
        domain = arena_strdup(a, typo);
    }
    char *ascii = NULL;
    int rc = idn2_lookup_u8((const uint8_t *)domain, (uint8_t **)&ascii,
                            IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
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
    if (special_use(ascii_a)) {
        refuse(out, "special_use_domain");
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
    local = lower_all(local, a);
    char *key = arena_printf(a, "%s@%s", local, ascii_a);
    if (strlen(key) > 254) {
        refuse(out, "too_long");
        return;
    }
    out->out.value = key;
    out->display = arena_printf(a, "%s@%s", local, uni);
    bool same = strlen(out->display) == len && memcmp(in, out->display, len) == 0;
    out->out.verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
    out->out.change = same ? NULL : typo ? "domain_typo" : "case_or_spacing";
    const char *why = suspicion(local, ascii_a);
    if (why != NULL) {
        out->out.verdict = CLEAN_SUSPICIOUS;
        out->out.reason = why;
    }
}

const char *clean_email_display(const char *key, struct arena *a)
{
    const char *at = key ? strrchr(key, '@') : NULL;
    if (at == NULL || strstr(at + 1, "xn--") == NULL) {
        return key;
    }
    char *uni = NULL;
    const char *out = key;
    if (idn2_to_unicode_8z8z(at + 1, &uni, 0) == IDN2_OK && uni != NULL) {
        out = arena_printf(a, "%.*s@%s", (int)(at - key), key, uni);
    }
    free(uni);
    return out;
}
