/*
 * tz.h - local time in an IANA time zone ("Europe/Moscow", "Asia/Vladivostok"), from the system's
 * tz database (/usr/share/zoneinfo, Debian's tzdata; TZDIR overrides it).
 *
 * The zone files (TZif, RFC 8536) are read here, once per zone, and kept for the process: a zone
 * is immutable after it is loaded, so any thread may use it at once. Nothing here touches `TZ`,
 * localtime_r() or mktime(), whose zone is one per process (docs/messages.md, "Local time").
 *
 * Local to UTC: a local time that does not exist (the hour skipped when clocks go forward) is the
 * moment the clocks jumped; one that exists twice (clocks go back) is the earlier.
 */
#ifndef KT_BASE_TZ_H
#define KT_BASE_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define TZ_NAME_MAX 64 /* bytes of a zone's name with its NUL; the longest in tzdata has 32 */

struct tz; /* a loaded zone; lives for the process */

/* A UTC moment as the wall clock of a zone shows it. */
struct tz_local {
    int64_t year;
    unsigned month, day; /* 1-12, 1-31 */
    unsigned hour, minute, second;
    unsigned weekday;   /* ISO: 1 Monday .. 7 Sunday */
    int64_t days;       /* the local date as days since 1970-01-01 */
    int32_t utc_offset; /* seconds east of UTC in force */
    bool dst;           /* summer time in force */
};

/*
 * The zone named `name`, loaded on first use. An unknown name, one that is not a zone's (a path
 * going up, "right/..." with leap seconds, "posixrules") or a file that is not a valid TZif is
 * KT_EINVAL `invalid_time_zone` at `field` (may be NULL). Safe from any thread.
 */
enum kt_rc tz_find(const char *name, const char *field, const struct tz **out, struct kt_err *err);

/* The zone's name as it was found (borrowed, lives for the process). */
const char *tz_name(const struct tz *z);

/* `ms` (UTC milliseconds) on the zone's wall clock. */
void tz_local(const struct tz *z, int64_t ms, struct tz_local *out);

/* The first UTC moment at or after `ms` when the zone's clock reads hour:minute (0-23, 0-59):
 * "held until 09:00 local". */
int64_t tz_next_at(const struct tz *z, int64_t ms, unsigned hour, unsigned minute);

/* The UTC bounds [*start, *end) of the local calendar day holding `ms`, and of its ISO week
 * (Monday to Sunday): a cap "per day" counts what was sent in them. */
void tz_day_bounds(const struct tz *z, int64_t ms, int64_t *start, int64_t *end);
void tz_week_bounds(const struct tz *z, int64_t ms, int64_t *start, int64_t *end);

/* The UTC moment of local midnight starting the day `days` (since 1970-01-01). */
int64_t tz_day_start(const struct tz *z, int64_t days);

/*
 * The installation's zone (`--time-zone`): what a customer with no store and no known city lives
 * by. Set once at start, before threads; until then Europe/Moscow.
 */
enum kt_rc tz_set_default(const char *name, struct kt_err *err);
const struct tz *tz_default(void);

#define TZ_DEFAULT_NAME "Europe/Moscow"

#endif
