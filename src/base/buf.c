/*
 * buf.c - growable string with a hard cap and a sticky error (after curl's dynbuf).
 */
#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

void buf_init(struct buf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : BUF_MAX_DEFAULT;
    b->failed = false;
}

void buf_release(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->p != NULL) {
        b->p[0] = '\0';
    }
    b->failed = false;
}

static bool reserve(struct buf *b, size_t extra)
{
    if (b->failed) {
        return false;
    }
    if (extra > b->max - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    b->p = kt_realloc(b->p, cap);
    b->cap = cap;
    return true;
}

bool buf_append(struct buf *b, const void *p, size_t n)
{
    if (!reserve(b, n)) {
        return false;
    }
    if (n > 0) {
        memcpy(b->p + b->len, p, n);
    }
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

bool buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

bool buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

bool buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    if (b->failed) {
        return false;
    }
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->failed = true;
        return false;
    }
    if ((size_t)n < sizeof(small)) {
        return buf_append(b, small, (size_t)n);
    }
    if (!reserve(b, (size_t)n)) {
        return false;
    }
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return true;
}

bool buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return ok;
}

const char *buf_cstr(const struct buf *b)
{
    return b->p ? b->p : "";
}

char *buf_take(struct buf *b)
{
    char *p = b->p ? b->p : kt_strdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = false;
    return p;
}
