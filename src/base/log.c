/*
 * log.c - logfmt lines on stderr. The level and the fd are set once at start-up, before threads
 * exist, and read afterwards; they are atomics so a test may change them at any time.
 */
#include "base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"

static _Atomic int min_level = LOG_INFO;
static _Atomic int out_fd = 2;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    min_level = (int)level;
}

void log_set_fd(int fd)
{
    out_fd = fd < 0 ? 2 : fd;
}

bool log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

bool log_enabled(enum log_level level)
{
    return (int)level >= min_level;
}

const char *log_quote(char *out, size_t size, const char *s)
{
    size_t j = 0;
    if (size < 3) {
        if (size > 0) {
            out[0] = '\0';
        }
        return out;
    }
    out[j++] = '"';
    for (const char *p = s; *p != '\0' && j + 3 < size; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            out[j++] = '\\';
            out[j++] = (char)c;
        } else if (c < 0x20) {
            out[j++] = ' ';
        } else {
            out[j++] = (char)c;
        }
    }
    out[j++] = '"';
    out[j] = '\0';
    return out;
}

void log_event(enum log_level level, const char *event, const char *fields, ...)
{
    if (!log_enabled(level)) {
        return;
    }
    char line[2048];
    char ts[40];
    time_format_rfc3339(clock_now_ms(), ts, sizeof(ts));
    int n = snprintf(line, sizeof(line), "ts=%s level=%s event=%s", ts, level_names[level], event);
    if (n < 0) {
        return;
    }
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if (fields != NULL && len + 2 < sizeof(line)) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, fields);
        int m = vsnprintf(line + len, sizeof(line) - len, fields, ap);
        va_end(ap);
        if (m > 0) {
            len += (size_t)m < sizeof(line) - len ? (size_t)m : sizeof(line) - len - 1;
        }
    }
    if (len >= sizeof(line) - 1) {
        len = sizeof(line) - 2;
    }
    line[len++] = '\n';
    ssize_t w = write(out_fd, line, len);
    (void)w;
}
