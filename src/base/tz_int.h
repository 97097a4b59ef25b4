/*
 * tz_int.h - what tz.c and tz_rule.c share (private to src/base/).
 */
#ifndef KT_BASE_TZ_INT_H
#define KT_BASE_TZ_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One end of summer time in a POSIX TZ rule: a day of the year and a time of that day. */
struct tz_when {
    char form;    /* 'J' Julian 1-365 without Feb 29, 'N' zero-based 0-365, 'M' month.week.day */
    int n;        /* 'J', 'N': the day */
    int m, w, d;  /* 'M': month 1-12, week 1-5 (5 = last), weekday 0 Sunday - 6 */
    int32_t time; /* seconds after local midnight, -167h..167h (RFC 8536 3.3.1) */
};

/* The footer of a TZif file: how the zone keeps time after its last listed transition. */
struct tz_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    bool has_dst;             /* false: std_off all year */
    struct tz_when start, end;
};

/* Parses a POSIX TZ string ("MSK-3", "CET-1CEST,M3.5.0,M10.5.0/3"); false when it is not one
 * this reader takes (summer time without a rule, a name without letters). */
bool tz_rule_parse(const char *s, size_t len, struct tz_rule *out);

/* The offset in force at UTC second `t` under the rule, and whether it is summer time. */
int32_t tz_rule_offset(const struct tz_rule *r, int64_t t, bool *dst);

#endif
