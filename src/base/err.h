/*
 * err.h - the project-wide result code and error context.
 *
 * A fallible function returns enum kt_rc and fills a struct kt_err passed as its last argument (may
 * be NULL). The code that understands a failure raises it; callers only pass it up. The first error
 * wins: kt_err_set() does nothing when the context already holds an error, so a cleanup path cannot
 * overwrite the cause. `msg` goes to the client and `detail` only to the log; neither ever holds
 * personal data (a phone, an e-mail, a name or an address).
 */
#ifndef KT_BASE_ERR_H
#define KT_BASE_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum kt_rc {
    KT_OK = 0,
    KT_EINVAL,     /* a value of the input is wrong: 422 */
    KT_EBADREQ,    /* the request's shape is wrong - its JSON, a query parameter, a header: 400 */
    KT_ENOTFOUND,  /* the thing named does not exist: 404 */
    KT_EGONE,      /* the thing named was erased (depersonalised) and takes nothing new: 410 */
    KT_ELOCKED,    /* the thing named is blocked (152-FZ art. 21): kept, used for nothing: 423 */
    KT_ECONFLICT,  /* the request clashes with what is stored: 409 */
    KT_EFORBIDDEN, /* authenticated but not allowed: 403 */
    KT_EAUTH,      /* not authenticated: 401 */
    KT_EMETHOD,    /* the path is served, but not with this method: 405 */
    KT_ETOOBIG,    /* a size limit was hit: 413 */
    KT_EURI,       /* the request target (path and query) is too long: 414 */
    KT_EMEDIA,     /* the body's media type or charset is not one the route takes: 415 */
    KT_ELIMIT,     /* a rate or count limit was hit: 429 */
    KT_EBUSY,      /* the server cannot do it now - the store is locked by someone else, the
                      analytic queue is full, the server is stopping; retry later: 503 */
    KT_ESPACE,     /* the store cannot write: its disk is full or read-only; reads go on: 507 */
    KT_ESTORE,     /* the store failed: 500 */
    KT_EUPSTREAM,  /* a remote service failed: 502 */
    KT_EINTERNAL,  /* a bug or an impossible state: 500 */
};

struct kt_err {
    enum kt_rc rc;    /* KT_OK while no error was raised; the HTTP status is the rc's alone */
    char code[48];    /* machine code sent to the client, e.g. "invalid_phone" */
    char msg[200];    /* client-safe sentence: no personal data, no internals */
    char field[64];   /* JSON path of the offending field, or "" */
    char detail[256]; /* log only: SQLite text, errno string; never personal data */
    long offset;      /* byte offset into the request body for parse errors, -1 when unknown */
    int retry_after;  /* seconds before a retry can succeed (KT_ELIMIT, KT_EBUSY), 0 = unknown */
};

/* Empties `err` (may be NULL) so it can be reused. */
void kt_err_reset(struct kt_err *err);

/*
 * Raises an error unless `err` already holds one; returns `rc` either way so a caller can write
 * `return kt_err_set(err, KT_EINVAL, "invalid_phone", "profile.phone", "...")`. `field` may be
 * NULL. The message is a printf format.
 */
enum kt_rc kt_err_set(struct kt_err *err, enum kt_rc rc, const char *code, const char *field,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Raises KT_ELIMIT (429) with the seconds after which the same request can succeed: the code
 * that knows the limit knows the wait, and every 429 carries it as Retry-After (at least 1).
 */
enum kt_rc kt_err_limit(struct kt_err *err, int retry_after, const char *code, const char *field,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Copies `src` into `dst` (may be NULL) unless `dst` already holds an error; returns src->rc. */
enum kt_rc kt_err_copy(struct kt_err *dst, const struct kt_err *src);

/* Adds a log-only detail to the error already raised (first detail wins). */
void kt_err_detail(struct kt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Human name of a result code, for logs. */
const char *kt_rc_name(enum kt_rc rc);

/* snprintf that never overflows and reports truncation by returning the would-be length. */
size_t kt_snprintf(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t kt_vsnprintf(char *dst, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Copies a C string into a fixed array, truncating at a UTF-8 character boundary. */
void kt_strlcpy(char *dst, const char *src, size_t size);

#endif
