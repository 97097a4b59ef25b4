/*
 * deliver.c - the outcome of a send (deliver.h): its names and the scrubbing of reply texts.
 *
 * Servers quote the recipient in their replies ("550 5.1.1 <ivan@example.ru>: user unknown");
 * the reply is logged and stored beside the message's id, so the address is cut out here, once,
 * for every channel.
 */
#include <string.h>

#include "deliver/deliver.h"

const char *deliver_class_name(enum deliver_class c)
{
    switch (c) {
    case DELIVER_SENT:
        return "sent";
    case DELIVER_TEMPORARY:
        return "temporary";
    case DELIVER_PERMANENT:
        return "permanent";
    }
    return "permanent";
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void deliver_scrub(char *s, size_t size)
{
    static const char mask[] = "<address>";
    size_t n = strnlen(s, size);
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    struct buf_like {
        char out[512];
        size_t len;
    } o = {{0}, 0};
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && !is_space(s[j])) {
            j++;
        }
        int has_at = memchr(s + i, '@', j - i) != NULL;
        const char *w = has_at ? mask : s + i;
        size_t wl = has_at ? sizeof(mask) - 1 : j - i;
        for (size_t k = 0; k < wl && o.len + 1 < sizeof(o.out); k++) {
            o.out[o.len++] = w[k];
        }
        for (; j < n && is_space(s[j]) && o.len + 1 < sizeof(o.out); j++) {
            if (s[j] != '\r') { /* CRLF is one space */
                o.out[o.len++] = s[j] == '\n' ? ' ' : s[j];
            }
        }
        while (j < n && is_space(s[j])) {
            j++;
        }
        i = j;
    }
    size_t keep = o.len < size - 1 ? o.len : size - 1;
    memcpy(s, o.out, keep);
    s[keep] = '\0';
}

void deliver_result_set(struct deliver_result *r, enum deliver_class cls, int code,
                        const char *text)
{
    /* Scrubbed before it is cut to size, so a cut never leaves half an address. */
    char wide[512];
    size_t n = text ? strnlen(text, sizeof(wide) - 1) : 0;
    if (n > 0) {
        memcpy(wide, text, n);
    }
    wide[n] = '\0';
    deliver_scrub(wide, sizeof(wide));
    r->cls = cls;
    r->code = code;
    n = strnlen(wide, sizeof(r->text) - 1);
    memcpy(r->text, wide, n);
    r->text[n] = '\0';
}

const char *deliver_address_kind(const char *channel)
{
    return strcmp(channel, "email") == 0 ? "email" : strcmp(channel, "sms") == 0 ? "phone" : NULL;
}
