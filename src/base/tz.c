/*
 * tz.c - IANA time zones read from the system's tz database (see tz.h).
 *
 * Why not the C library: localtime_r() and mktime() know one zone per process, the one `TZ`
 * names, and setting `TZ` in a threaded server races every other thread's local time. Why not
 * ICU's calendars: Debian 12's ICU carries its own copy of the rules (2022e) that the tzdata
 * package's updates do not reach - Kazakhstan moved to UTC+5 in 2024 and ICU still says +6.
 * So the zone files are read here: a TZif file is a short, fully specified binary format
 * (RFC 8536), and the one that Debian keeps current.
 *
 * Invariants: a loaded zone is never changed or freed, so it is read without a lock; the list of
 * loaded zones is guarded by `lock`. Files with leap seconds ("right/...") are refused: their
 * transition times are not UTC seconds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/tz.h"
#include "base/tz_int.h"

#define TZ_FILE_MAX  (256 * 1024) /* the largest file in tzdata is under 4 KB */
#define TZ_TIMES_MAX 4096         /* transitions; tzdata's most are under 300 */

struct tz {
    char name[TZ_NAME_MAX];
    size_t ntimes, ntypes;
    int64_t *times; /* transitions, UTC seconds, ascending */
    uint8_t *idx;   /* the type each transition starts */
    int32_t *off;   /* per type: seconds east of UTC */
    uint8_t *dst;   /* per type: summer time */
    bool has_rule;  /* the footer rule governs after the last transition */
    struct tz_rule rule;
    struct tz *next; /* the list of loaded zones */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz *loaded;             /* guarded by lock; entries immutable once listed */
static const struct tz *default_zone; /* set before threads start (tz_set_default) */

/* ---- reading a TZif file ---- */

struct rd {
    const unsigned char *p, *end;
};

static bool take(struct rd *r, size_t n, const unsigned char **out)
{
    if ((size_t)(r->end - r->p) < n) {
        return false;
    }
    *out = r->p;
    r->p += n;
    return true;
}

static int64_t be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    if (n == 4) {
        return (int32_t)(uint32_t)v;
    }
    return (int64_t)v;
}

struct hdr {
    char version;
    size_t isut, isstd, leap, time, type, chars;
};

static bool header(struct rd *r, struct hdr *h)
{
    const unsigned char *p;
    if (!take(r, 44, &p) || memcmp(p, "TZif", 4) != 0) {
        return false;
    }
    h->version = (char)p[4];
    size_t *counts[] = {&h->isut, &h->isstd, &h->leap, &h->time, &h->type, &h->chars};
    for (size_t i = 0; i < 6; i++) {
        *counts[i] = (size_t)(uint32_t)be(p + 20 + 4 * i, 4);
    }
    return h->type >= 1 && h->type <= 256 && h->time <= TZ_TIMES_MAX && h->chars >= 1 &&
           h->chars <= 1024 && (h->isut == 0 || h->isut == h->type) &&
           (h->isstd == 0 || h->isstd == h->type);
}

/* The data block after `h`, with `tsize`-byte times, into z. */
static bool block(struct rd *r, const struct hdr *h, size_t tsize, struct tz *z)
{
    const unsigned char *t, *ix, *ty, *rest;
    if (h->leap != 0 || !take(r, h->time * tsize, &t) || !take(r, h->time, &ix) ||
        !take(r, h->type * 6, &ty) || !take(r, h->chars + h->isstd + h->isut, &rest)) {
        return false;
    }
    z->ntimes = h->time;
    z->ntypes = h->type;
    z->times = kt_calloc(h->time + 1, sizeof(*z->times));
    z->idx = kt_calloc(h->time + 1, 1);
    z->off = kt_calloc(h->type, sizeof(*z->off));
    z->dst = kt_calloc(h->type, 1);
    for (size_t i = 0; i < h->time; i++) {
        z->times[i] = be(t + i * tsize, tsize);
        z->idx[i] = ix[i];
        if (ix[i] >= h->type || (i > 0 && z->times[i] <= z->times[i - 1])) {
            return false;
        }
    }
    for (size_t i = 0; i < h->type; i++) {
        z->off[i] = (int32_t)be(ty + 6 * i, 4);
        z->dst[i] = ty[6 * i + 4];
        if (z->off[i] <= -25 * 3600 || z->off[i] >= 26 * 3600 || ty[6 * i + 5] >= h->chars) {
            return false;
        }
    }
    return true;
}

static void zone_free(struct tz *z)
{
    if (z != NULL) {
        free(z->times);
        free(z->idx);
        free(z->off);
        free(z->dst);
        free(z);
    }
}

/* A version 1 file is read as its 32-bit block; a later one as its 64-bit block and footer. */
static bool parse(const unsigned char *data, size_t len, struct tz *z)
{
    struct rd r = {data, data + len};
    struct hdr h;
    if (!header(&r, &h)) {
        return false;
    }
    if (h.version == '\0') {
        return block(&r, &h, 4, z);
    }
    const unsigned char *skip;
    if (h.leap != 0 || !take(&r, h.time * 5 + h.type * 6 + h.chars + h.isstd + h.isut, &skip) ||
        !header(&r, &h) || !block(&r, &h, 8, z)) {
        return false;
    }
    const unsigned char *nl;
    if (!take(&r, 1, &nl) || *nl != '\n') {
        return false;
    }
    const unsigned char *end = memchr(r.p, '\n', (size_t)(r.end - r.p));
    if (end == NULL) {
        return false;
    }
    if (end > r.p) { /* an empty footer: the last type holds for ever */
        z->has_rule = tz_rule_parse((const char *)r.p, (size_t)(end - r.p), &z->rule);
        return z->has_rule;
    }
    return true;
}

/* ---- which names are zones ---- */

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+' || ch == '/';
        if (!ok || (ch == '/' && name[i + 1] == '/')) {
            return false;
        }
    }
    /* No dots at all, so no "..": a name never leaves the database's directory. */
    static const char *const not_zones[] = {"posixrules", "localtime", "Factory"};
    for (size_t i = 0; i < sizeof(not_zones) / sizeof(*not_zones); i++) {
        if (strcmp(name, not_zones[i]) == 0) {
            return false;
        }
    }
    return strncmp(name, "right/", 6) != 0 && strncmp(name, "posix/", 6) != 0;
}

static const char *tzdir(void)
{
    const char *d = getenv("TZDIR"); /* read under lock; nobody sets it after start */
    return d != NULL && d[0] == '/' ? d : "/usr/share/zoneinfo";
}

/* Reads and parses the zone file; NULL when missing or not a zone. Called under lock. */
static struct tz *zone_load(const char *name, struct kt_err *err)
{
    char path[512];
    int w = snprintf(path, sizeof(path), "%s/%s", tzdir(), name);
    FILE *f = w > 0 && (size_t)w < sizeof(path) ? fopen(path, "rb") : NULL;
    if (f == NULL) {
        return NULL;
    }
    unsigned char *data = kt_malloc(TZ_FILE_MAX);
    size_t len = fread(data, 1, TZ_FILE_MAX, f);
    bool whole = feof(f) && !ferror(f);
    fclose(f);
    struct tz *z = kt_calloc(1, sizeof(*z));
    kt_strlcpy(z->name, name, sizeof(z->name));
    if (!whole || !parse(data, len, z)) {
        kt_err_detail(err, "'%s' is not a TZif zone file", path);
        zone_free(z);
        z = NULL;
    }
    free(data);
    return z;
}

enum kt_rc tz_find(const char *name, const char *field, const struct tz **out, struct kt_err *err)
{
    *out = NULL;
    if (name == NULL || !name_ok(name)) {
        return kt_err_set(err, KT_EINVAL, "invalid_time_zone", field,
                          "a time zone is an IANA name such as 'Europe/Moscow'");
    }
    pthread_mutex_lock(&lock);
    struct tz *z = loaded;
    while (z != NULL && strcmp(z->name, name) != 0) {
        z = z->next;
    }
    if (z == NULL && (z = zone_load(name, err)) != NULL) {
        z->next = loaded;
        loaded = z;
    }
    pthread_mutex_unlock(&lock);
    if (z == NULL) {
        return kt_err_set(err, KT_EINVAL, "invalid_time_zone", field,
                          "'%s' is not a time zone of the tz database", name);
    }
    *out = z;
    return KT_OK;
}

const char *tz_name(const struct tz *z)
{
    return z->name;
}

/* ---- conversions ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The offset in force at UTC second t. */
static int32_t offset_at(const struct tz *z, int64_t t, bool *dst)
{
    if (z->ntimes == 0 && z->has_rule) {
        return tz_rule_offset(&z->rule, t, dst);
    }
    if (z->ntimes == 0 || t < z->times[0]) {
        *dst = z->dst[0];
        return z->off[0]; /* before the first transition: type 0 (RFC 8536 3.2) */
    }
    if (t > z->times[z->ntimes - 1] && z->has_rule) {
        return tz_rule_offset(&z->rule, t, dst);
    }
    size_t lo = 0, hi = z->ntimes; /* the last transition at or before t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= t) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    *dst = z->dst[z->idx[lo]];
    return z->off[z->idx[lo]];
}

void tz_local(const struct tz *z, int64_t ms, struct tz_local *out)
{
    int64_t t = floor_div(ms, 1000);
    bool dst;
    int32_t off = offset_at(z, t, &dst);
    int64_t ls = t + off;
    int64_t days = floor_div(ls, 86400), sec = ls - days * 86400;
    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (unsigned)(sec / 3600);
    out->minute = (unsigned)(sec / 60 % 60);
    out->second = (unsigned)(sec % 60);
    out->weekday = (unsigned)((days % 7 + 7 + 3) % 7 + 1); /* 1970-01-01 was a Thursday */
    out->days = days;
    out->utc_offset = off;
    out->dst = dst;
}

/* The first UTC second whose wall clock reads local second `l` or later. */
static int64_t utc_of_local(const struct tz *z, int64_t l)
{
    bool dst;
    int32_t a = offset_at(z, l - 86400, &dst), b = offset_at(z, l + 86400, &dst);
    int64_t best = INT64_MAX;
    int32_t cand[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (offset_at(z, l - cand[i], &dst) == cand[i] && l - cand[i] < best) {
            best = l - cand[i];
        }
    }
    if (best != INT64_MAX) {
        return best;
    }
    /* A gap: the clock jumped over l between these two; find the jump. */
    int64_t lo = l - (a > b ? a : b), hi = l - (a < b ? a : b);
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (mid + offset_at(z, mid, &dst) >= l) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

int64_t tz_day_start(const struct tz *z, int64_t days)
{
    return utc_of_local(z, days * 86400) * 1000;
}

int64_t tz_next_at(const struct tz *z, int64_t ms, unsigned hour, unsigned minute)
{
    struct tz_local l;
    tz_local(z, ms, &l);
    int64_t at = 0;
    for (int64_t d = l.days; d <= l.days + 2; d++) {
        at = utc_of_local(z, d * 86400 + (int64_t)hour * 3600 + (int64_t)minute * 60) * 1000;
        if (at >= ms) {
            break;
        }
    }
    return at;
}

void tz_day_bounds(const struct tz *z, int64_t ms, int64_t *start, int64_t *end)
{
    struct tz_local l;
    tz_local(z, ms, &l);
    *start = tz_day_start(z, l.days);
    *end = tz_day_start(z, l.days + 1);
}

void tz_week_bounds(const struct tz *z, int64_t ms, int64_t *start, int64_t *end)
{
    struct tz_local l;
    tz_local(z, ms, &l);
    int64_t monday = l.days - (l.weekday - 1);
    *start = tz_day_start(z, monday);
    *end = tz_day_start(z, monday + 7);
}

/* ---- the installation's zone ---- */

enum kt_rc tz_set_default(const char *name, struct kt_err *err)
{
    const struct tz *z;
    enum kt_rc rc = tz_find(name, "time_zone", &z, err);
    if (rc == KT_OK) {
        default_zone = z;
    }
    return rc;
}

const struct tz *tz_default(void)
{
    const struct tz *z = default_zone;
    if (z == NULL && tz_find(TZ_DEFAULT_NAME, NULL, &z, NULL) != KT_OK) {
        abort(); /* tzdata is a dependency (scripts/deps.sh): its absence is a broken install */
    }
    return z;
}
