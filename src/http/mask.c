/*
 * mask.c - an analyst's replies masked (mask.h).
 */
#include "http/mask.h"

#include <string.h>

#include "base/buf.h"
#include "base/mask.h"

/* What separates the words of a text in which an address may stand. */
#define WORD_BREAKS " \t\r\n<>\"'(),;[]"

/* The bytes of a phone in E.164 starting at `p` ('+' and 10-15 digits, no digit after), or 0. */
static size_t phone_at(const char *p, size_t n)
{
    size_t d = 1;
    while (d < n && d <= 16 && p[d] >= '0' && p[d] <= '9') {
        d++;
    }
    return p[0] == '+' && (d == n || p[d] < '0' || p[d] > '9') && mask_looks_phone(p, d) ? d : 0;
}

/* A word of a text into `b`: an e-mail address masked as a whole, a phone masked wherever it
 * stands in it ("R-+79161234567"). Says whether it masked anything. */
static bool scrub_word(struct buf *b, const char *p, size_t n, struct arena *a)
{
    if (mask_looks_email(p, n)) {
        buf_puts(b, mask_value("email", arena_strndup(a, p, n), MASK_ANALYST, a));
        return true;
    }
    bool found = false;
    for (size_t i = 0; i < n;) {
        size_t len = phone_at(p + i, n - i);
        if (len > 0) {
            buf_puts(b, mask_value("phone", arena_strndup(a, p + i, len), MASK_ANALYST, a));
            found = true;
            i += len;
        } else {
            buf_putc(b, p[i++]);
        }
    }
    return found;
}

/* `text` with each contact in it masked, or NULL when it holds none. */
static const char *scrub(const char *text, struct arena *a)
{
    struct buf b;
    bool found = false;
    buf_init(&b, 0);
    for (const char *p = text; *p != '\0';) {
        size_t gap = strspn(p, WORD_BREAKS);
        buf_append(&b, p, gap);
        p += gap;
        size_t n = strcspn(p, WORD_BREAKS);
        found = scrub_word(&b, p, n, a) || found;
        p += n;
    }
    const char *out = found ? arena_strdup(a, buf_cstr(&b)) : NULL;
    buf_release(&b);
    return out;
}

/* Every string of `v` (a string, or an array of them at any depth) masked as a `kind`; an object
 * is walked as any other. */
static void mask_all(json_t *v, const char *kind, struct arena *a)
{
    if (json_is_string(v)) {
        json_string_set(v, mask_value(kind, json_string_value(v), MASK_ANALYST, a));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            mask_all(x, kind, a);
        }
    } else {
        http_mask_json(v, a);
    }
}

/* "phone" or "email" when `s` names one (a member, an identifier's kind, a history's field). */
static const char *contact_name(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    if (strncmp(s, "identifiers.", 12) == 0) {
        s += 12;
    }
    return strcmp(s, "phone") == 0 ? "phone" : strcmp(s, "email") == 0 ? "email" : NULL;
}

static void mask_object(json_t *o, struct arena *a)
{
    const char *of_kind = contact_name(json_string_value(json_object_get(o, "kind")));
    const char *of_field = contact_name(json_string_value(json_object_get(o, "field")));
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        const char *kind = contact_name(key);
        if (kind == NULL && strcmp(key, "value") == 0) {
            kind = of_kind;
        } else if (kind == NULL &&
                   (strcmp(key, "old_value") == 0 || strcmp(key, "new_value") == 0)) {
            kind = of_field;
        }
        if (kind != NULL) {
            mask_all(v, kind, a);
        } else {
            http_mask_json(v, a);
        }
    }
}

void http_mask_json(json_t *v, struct arena *a)
{
    if (json_is_object(v)) {
        mask_object(v, a);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            http_mask_json(x, a);
        }
    } else if (json_is_string(v)) {
        const char *masked = scrub(json_string_value(v), a);
        if (masked != NULL) {
            json_string_set(v, masked);
        }
    }
}

enum kt_rc http_mask_reply(struct http_req *r, struct kt_err *err)
{
    if (r->json != NULL) {
        http_mask_json(r->json, r->arena);
        return KT_OK;
    }
    if (r->text == NULL || r->text_len == 0) {
        return KT_OK;
    }
    return kt_err_set(err, KT_EFORBIDDEN, "forbidden", NULL,
                      "an analyst's key receives no file and no export; ask a marketer or an "
                      "admin");
}
