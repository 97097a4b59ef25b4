/*
 * buf.h - the one growable string type.
 *
 * Always NUL-terminated, with a hard cap: appending past `max` bytes fails, sets the sticky
 * `failed` flag and leaves the content as it was before the failing append. Every later append is a
 * no-op, so a caller may build a whole string and check once at the end. Running out of memory
 * aborts.
 */
#ifndef KT_BASE_BUF_H
#define KT_BASE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *p;     /* owned; NUL-terminated when non-NULL */
    size_t len;  /* bytes used, not counting the NUL */
    size_t cap;  /* bytes allocated */
    size_t max;  /* hard cap on len */
    bool failed; /* sticky: an append hit the cap */
};

#define BUF_MAX_DEFAULT ((size_t)64 << 20)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b); /* empties it for reuse; clears `failed` */

bool buf_append(struct buf *b, const void *p, size_t n);
bool buf_puts(struct buf *b, const char *s);
bool buf_putc(struct buf *b, char c);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* The content; "" for an empty buffer. Borrowed until the next append or release. */
const char *buf_cstr(const struct buf *b);

/* Hands the malloc'd string to the caller and leaves `b` empty; never NULL. */
char *buf_take(struct buf *b);

#endif
