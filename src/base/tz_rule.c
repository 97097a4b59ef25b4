/*
 * tz_rule.c - the POSIX TZ string at the end of a TZif file (RFC 8536 3.3), which says how a zone
 * keeps time after the last transition its file lists: "MSK-3" (Moscow since 2014, no summer
 * time), "CET-1CEST,M3.5.0,M10.5.0/3" (summer time from the last Sunday of March at 02:00 to the
 * last Sunday of October at 03:00). Offsets in the string are west of UTC; here they are east.
 */
#include <string.h>

#include "base/clock.h"
#include "base/tz_int.h"

struct cur {
    const char *p, *end;
};

static bool more(const struct cur *c)
{
    return c->p < c->end;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* A zone abbreviation: three or more letters, or <...> of letters, digits and signs. */
static bool name(struct cur *c)
{
    const char *start = c->p;
    if (more(c) && *c->p == '<') {
        c->p++;
        while (more(c) && *c->p != '>') {
            c->p++;
        }
        if (!more(c)) {
            return false;
        }
        c->p++;
        return c->p - start >= 5; /* "<" + three + ">" */
    }
    while (more(c) && is_alpha(*c->p)) {
        c->p++;
    }
    return c->p - start >= 3;
}

static bool number(struct cur *c, int max, int *out)
{
    int v = 0;
    const char *start = c->p;
    while (more(c) && is_digit(*c->p) && c->p - start < 3) {
        v = v * 10 + (*c->p++ - '0');
    }
    *out = v;
    return c->p > start && v <= max;
}

/* [+-]hh[:mm[:ss]], hours up to `max_h`; seconds. */
static bool hms(struct cur *c, int max_h, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (more(c) && (*c->p == '+' || *c->p == '-')) {
        sign = *c->p++ == '-' ? -1 : 1;
    }
    if (!number(c, max_h, &h)) {
        return false;
    }
    if (more(c) && *c->p == ':') {
        c->p++;
        if (!number(c, 59, &m)) {
            return false;
        }
        if (more(c) && *c->p == ':') {
            c->p++;
            if (!number(c, 59, &s)) {
                return false;
            }
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool when(struct cur *c, struct tz_when *w)
{
    memset(w, 0, sizeof(*w));
    w->time = 2 * 3600;
    bool ok;
    if (more(c) && *c->p == 'J') {
        c->p++;
        w->form = 'J';
        ok = number(c, 365, &w->n) && w->n >= 1;
    } else if (more(c) && *c->p == 'M') {
        c->p++;
        w->form = 'M';
        ok = number(c, 12, &w->m) && w->m >= 1 && more(c) && *c->p++ == '.' &&
             number(c, 5, &w->w) && w->w >= 1 && more(c) && *c->p++ == '.' && number(c, 6, &w->d);
    } else {
        w->form = 'N';
        ok = number(c, 365, &w->n);
    }
    if (ok && more(c) && *c->p == '/') {
        c->p++;
        ok = hms(c, 167, &w->time);
    }
    return ok;
}

bool tz_rule_parse(const char *s, size_t len, struct tz_rule *out)
{
    struct cur c = {s, s + len};
    int32_t west;
    memset(out, 0, sizeof(*out));
    if (!name(&c) || !hms(&c, 24, &west)) {
        return false;
    }
    out->std_off = -west;
    if (!more(&c)) {
        return true;
    }
    if (!name(&c)) {
        return false;
    }
    out->has_dst = true;
    out->dst_off = out->std_off + 3600;
    if (more(&c) && *c.p != ',') {
        if (!hms(&c, 24, &west)) {
            return false;
        }
        out->dst_off = -west;
    }
    /* Summer time without its rule would be the US rule of POSIX's default: tzdata never
     * writes one, so a file that does is refused rather than guessed. */
    return more(&c) && *c.p++ == ',' && when(&c, &out->start) && more(&c) && *c.p++ == ',' &&
           when(&c, &out->end) && !more(&c);
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The day (since 1970-01-01) that `w` names in year `y`. */
static int64_t day_of(const struct tz_when *w, int64_t y)
{
    int64_t jan1 = days_from_civil(y, 1, 1);
    if (w->form == 'J') {
        return jan1 + w->n - 1 + (leap(y) && w->n >= 60);
    }
    if (w->form == 'N') {
        return jan1 + w->n;
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t first = days_from_civil(y, (unsigned)w->m, 1);
    int64_t wd = ((first % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday */
    int64_t day = first + (w->d - wd + 7) % 7 + (int64_t)(w->w - 1) * 7;
    int64_t last = first + mdays[w->m - 1] + (w->m == 2 && leap(y)) - 1;
    while (day > last) {
        day -= 7;
    }
    return day;
}

int32_t tz_rule_offset(const struct tz_rule *r, int64_t t, bool *dst)
{
    *dst = false;
    if (!r->has_dst) {
        return r->std_off;
    }
    int64_t ls = t + r->std_off;
    int64_t days = ls >= 0 ? ls / 86400 : -((-ls + 86399) / 86400);
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    /* The start is said in standard time, the end in summer time. */
    int64_t start = day_of(&r->start, y) * 86400 + r->start.time - r->std_off;
    int64_t end = day_of(&r->end, y) * 86400 + r->end.time - r->dst_off;
    bool in = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    *dst = in;
    return in ? r->dst_off : r->std_off;
}
