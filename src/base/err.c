/*
 * err.c - the error context. See err.h for the rules (first error wins, no personal data).
 */
#include "base/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void kt_err_reset(struct kt_err *err)
{
    if (err == NULL) {
        return;
    }
    memset(err, 0, sizeof(*err));
    err->offset = -1;
}

size_t kt_vsnprintf(char *dst, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(dst, size, fmt, ap);
    return n < 0 ? 0 : (size_t)n;
}

size_t kt_snprintf(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = kt_vsnprintf(dst, size, fmt, ap);
    va_end(ap);
    return n;
}

void kt_strlcpy(char *dst, const char *src, size_t size)
{
    if (size == 0) {
        return;
    }
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        /* Do not leave half a UTF-8 sequence at the end. */
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static enum kt_rc err_vset(struct kt_err *err, enum kt_rc rc, const char *code, const char *field,
                           const char *fmt, va_list ap)
{
    if (err == NULL || err->rc != KT_OK) {
        return rc;
    }
    err->rc = rc;
    kt_strlcpy(err->code, code ? code : "", sizeof(err->code));
    kt_strlcpy(err->field, field ? field : "", sizeof(err->field));
    kt_vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return rc;
}

enum kt_rc kt_err_set(struct kt_err *err, enum kt_rc rc, const char *code, const char *field,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, rc, code, field, fmt, ap);
    va_end(ap);
    return rc;
}

enum kt_rc kt_err_limit(struct kt_err *err, int retry_after, const char *code, const char *field,
                        const char *fmt, ...)
{
    bool first = err != NULL && err->rc == KT_OK;
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, KT_ELIMIT, code, field, fmt, ap);
    va_end(ap);
    if (first) { /* the wait belongs to this error, not to one raised before it */
        err->retry_after = retry_after > 0 ? retry_after : 1;
    }
    return KT_ELIMIT;
}

enum kt_rc kt_err_copy(struct kt_err *dst, const struct kt_err *src)
{
    if (dst != NULL && dst->rc == KT_OK) {
        *dst = *src;
    }
    return src->rc;
}

void kt_err_detail(struct kt_err *err, const char *fmt, ...)
{
    if (err == NULL || err->detail[0] != '\0') {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    kt_vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
}

const char *kt_rc_name(enum kt_rc rc)
{
    switch (rc) {
    case KT_OK:
        return "ok";
    case KT_EINVAL:
        return "invalid";
    case KT_EBADREQ:
        return "bad_request";
    case KT_ENOTFOUND:
        return "not_found";
    case KT_EGONE:
        return "gone";
    case KT_ELOCKED:
        return "locked";
    case KT_ECONFLICT:
        return "conflict";
    case KT_EFORBIDDEN:
        return "forbidden";
    case KT_EAUTH:
        return "unauthorized";
    case KT_EMETHOD:
        return "method";
    case KT_ETOOBIG:
        return "too_big";
    case KT_EURI:
        return "uri_too_long";
    case KT_EMEDIA:
        return "media_type";
    case KT_ELIMIT:
        return "limit";
    case KT_EBUSY:
        return "busy";
    case KT_ESPACE:
        return "space";
    case KT_ESTORE:
        return "store";
    case KT_EUPSTREAM:
        return "upstream";
    case KT_EINTERNAL:
        return "internal";
    }
    return "unknown";
}
