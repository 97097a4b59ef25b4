/*
 * rejects.c - the keyed hashes of a reject line and the expiry of reject lines (see rejects.h).
 *
 * The hashes err on the side of finding a person: a few keys too many cost 32 bytes each and
 * nothing else (they are keyed, so they reveal nothing), a key too few leaves an erased person's
 * row behind until its term ends.
 */
#include "import/rejects.h"

#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "clean/clean.h"
#include "consent/consent.h"

#define DAY_MS       (86400LL * 1000)
#define EXPIRE_BATCH 1000 /* lines per transaction: the writer is never held for long */
#define MAX_GROUPS   32   /* digit groups looked at in one run */
#define PHONE_MIN    10   /* digits of a phone without its country code */
#define PHONE_MAX    15   /* E.164 */
#define CARD_MIN     8
#define CARD_MAX     32

struct keys {
    const struct key_secret *k;
    struct arena *a;
    unsigned char (*h)[32];
    size_t n, cap;
};

static void add(struct keys *ks, const char *kind, const char *value)
{
    if (value == NULL || value[0] == '\0') {
        return;
    }
    unsigned char h[32];
    suppress_hash(ks->k, kind, value, h);
    for (size_t i = 0; i < ks->n; i++) {
        if (memcmp(ks->h[i], h, 32) == 0) {
            return;
        }
    }
    unsigned char(*slot)[32] = arena_push(ks->a, &ks->h, &ks->n, &ks->cap, sizeof(*ks->h));
    memcpy(*slot, h, 32);
}

static void add_phone(struct keys *ks, const char *s, size_t len)
{
    struct clean_phone p;
    clean_phone(s, len, ks->a, &p);
    if (p.out.verdict != CLEAN_INVALID) {
        add(ks, "phone", p.out.value);
    }
}

/* Both forms: identifiers hold the match key, the profile the display form. */
static void add_email(struct keys *ks, const char *s, size_t len)
{
    struct clean_email e;
    clean_email(s, len, ks->a, &e);
    if (e.out.verdict != CLEAN_INVALID) {
        add(ks, "email", e.out.value);
        add(ks, "email", e.display);
    }
}

static void add_card(struct keys *ks, const char *s, size_t len)
{
    const char *v = NULL;
    if (ident_value_clean("card", s, len, ks->a, "card", &v, NULL) == KT_OK) {
        add(ks, "card", v);
    }
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

#define FFFD "\xEF\xBF\xBD" /* what stands for a NUL or a bad byte in a refused row's cells */

/* What may stand between the digit groups of one number: "+7 (916) 123-45-67", "8.916.123", and
 * the U+FFFD of a byte that made the row unreadable: at most three such characters. */
static bool joins(const char *s, size_t from, size_t to)
{
    size_t chars = 0;
    for (size_t i = from; i < to; chars++) {
        if (strncmp(s + i, FFFD, 3) == 0) {
            i += 3;
        } else if (strchr(" -().\t", s[i]) != NULL) {
            i++;
        } else {
            return false;
        }
    }
    return chars <= 3;
}

/* The digits of groups a..b, after a "+" when one stands before the first. */
static char *digits_of(struct keys *ks, const char *s, const size_t *gs, const size_t *ge, size_t a,
                       size_t b)
{
    struct buf d;
    buf_init(&d, 64);
    if (gs[a] > 0 && s[gs[a] - 1] == '+') {
        buf_putc(&d, '+');
    }
    for (size_t i = a; i <= b; i++) {
        buf_append(&d, s + gs[i], ge[i] - gs[i]);
    }
    char *out = arena_strdup(ks->a, buf_cstr(&d));
    buf_release(&d);
    return out;
}

/* One run of digit groups: every window of whole groups with a phone's count of digits is tried
 * as a phone, and the groups joined by one space or dash alone are taken as a card number
 * ("2000 0000 0001 5"). Each by its digits alone, so whatever stood between them does not matter
 * to the cleaner. */
static void digit_run(struct keys *ks, const char *s, const size_t *gs, const size_t *ge, size_t n)
{
    for (size_t a = 0; a < n; a++) {
        size_t digits = 0;
        for (size_t b = a; b < n && digits <= PHONE_MAX; b++) {
            digits += ge[b] - gs[b];
            if (digits >= PHONE_MIN && digits <= PHONE_MAX) {
                const char *d = digits_of(ks, s, gs, ge, a, b);
                add_phone(ks, d, strlen(d));
            }
        }
    }
    for (size_t a = 0; a < n;) {
        size_t b = a, digits = ge[a] - gs[a];
        while (b + 1 < n && gs[b + 1] - ge[b] == 1 && strchr(" -", s[ge[b]]) != NULL) {
            b++;
            digits += ge[b] - gs[b];
        }
        if (digits >= CARD_MIN && digits <= CARD_MAX) {
            const char *d = digits_of(ks, s, gs, ge, a, b);
            add_card(ks, d[0] == '+' ? d + 1 : d, strlen(d[0] == '+' ? d + 1 : d));
        }
        a = b + 1;
    }
}

static void scan_digits(struct keys *ks, const char *s)
{
    size_t gs[MAX_GROUPS], ge[MAX_GROUPS], n = 0, len = strlen(s);
    for (size_t i = 0; i < len;) {
        if (!is_digit(s[i])) {
            i++;
            continue;
        }
        size_t end = i;
        while (end < len && is_digit(s[end])) {
            end++;
        }
        if (n > 0 && (n == MAX_GROUPS || !joins(s, ge[n - 1], i))) {
            digit_run(ks, s, gs, ge, n);
            n = 0;
        }
        gs[n] = i;
        ge[n++] = end;
        i = end;
    }
    digit_run(ks, s, gs, ge, n);
}

static bool email_edge(char c)
{
    return (unsigned char)c <= ' ' || strchr(",;<>()[]\"'", c) != NULL;
}

/* The token around each "@", between spaces and the punctuation that surrounds addresses. */
static void scan_emails(struct keys *ks, const char *s)
{
    for (const char *at = strchr(s, '@'); at != NULL; at = strchr(at + 1, '@')) {
        const char *from = at, *to = at + 1;
        while (from > s && !email_edge(from[-1])) {
            from--;
        }
        while (*to != '\0' && !email_edge(*to)) {
            to++;
        }
        add_email(ks, from, (size_t)(to - from));
    }
}

/* What suppress_check() hashes for the request, both e-mail forms included. */
static void request_keys(struct keys *ks, const struct upsert_req *req)
{
    for (size_t i = 0; i < req->n_idents; i++) {
        const char *kind = req->idents[i].kind;
        if (strcmp(kind, "phone") == 0 || strcmp(kind, "email") == 0 || strcmp(kind, "card") == 0) {
            add(ks, kind, req->idents[i].value);
        }
    }
    add(ks, "phone", req->val[PF_PHONE]);
    add(ks, "email", req->val[PF_EMAIL]);
    add(ks, "email", req->email_key);
}

void import_reject_keys(const struct key_secret *k, const struct upsert_req *req,
                        const char *const *cells, size_t n, const char *const *kinds,
                        size_t n_kinds, struct arena *a, unsigned char (**out)[32], size_t *n_out)
{
    struct keys ks = {k, a, NULL, 0, 0};
    if (req != NULL) {
        request_keys(&ks, req);
    }
    for (size_t i = 0; i < n; i++) {
        const char *kind = i < n_kinds ? kinds[i] : NULL;
        size_t len = strlen(cells[i]);
        if (kind != NULL && strcmp(kind, "phone") == 0) {
            add_phone(&ks, cells[i], len);
        } else if (kind != NULL && strcmp(kind, "email") == 0) {
            add_email(&ks, cells[i], len);
        } else if (kind != NULL && strcmp(kind, "card") == 0) {
            add_card(&ks, cells[i], len);
        }
        scan_digits(&ks, cells[i]);
        scan_emails(&ks, cells[i]);
    }
    *out = ks.h;
    *n_out = ks.n;
}

enum kt_rc import_rejects_expire(struct store *s, int64_t now, int64_t days, int64_t *removed,
                                 struct kt_err *err)
{
    return audit_expiry_run(s, "import_rejects", now - days * DAY_MS, EXPIRE_BATCH,
                            store_reject_expire, removed, err);
}
