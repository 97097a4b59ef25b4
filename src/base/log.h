/*
 * log.h - structured logs, one logfmt line per event on stderr:
 *
 *   ts=2026-11-24T13:49:11.123Z level=info event=request rid=5f0c... route="GET /v1/customers/{id}"
 * ...
 *
 * Logs name customers by public id only: never a phone, an e-mail, a name, an address, a query
 * string or a request body. Callers format their fields with log_event(); values that may hold
 * spaces or quotes go through log_quote(). Each line is written with one write(2), so lines from
 * different threads never interleave.
 */
#ifndef KT_BASE_LOG_H
#define KT_BASE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
bool log_level_parse(const char *s, enum log_level *out);
bool log_enabled(enum log_level level);

/* `fields` is a printf format producing `key=value key=value`; may be NULL. */
void log_event(enum log_level level, const char *event, const char *fields, ...)
    __attribute__((format(printf, 3, 4)));

/* Quotes `s` for a logfmt value into `out` (always NUL-terminated, truncated to fit). */
const char *log_quote(char *out, size_t size, const char *s);

/* Where lines go; -1 restores stderr. For tests. */
void log_set_fd(int fd);

#define log_debug(ev, ...) log_event(LOG_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...)  log_event(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...)  log_event(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_ERROR, ev, __VA_ARGS__)

#endif
