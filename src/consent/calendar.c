/*
 * calendar.c - working days on the Russian production calendar, for the legal deadlines of
 * privacy requests. The calendar is shipped as data (data/calendar-ru.txt, with its sources)
 * and read once; a year it does not list is computed by the rule of Labour Code art. 112 alone
 * (without the Government's transfers) and the answer says so.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/embed.h"
#include "consent/consent.h"

extern const struct embedded_file consent_data_files[];
extern const size_t consent_data_files_count;

#define MAX_YEARS 32
#define MAX_DAYS  512
#define MSK_MS    (3LL * 3600 * 1000)

static struct {
    int64_t years[MAX_YEARS];
    size_t n_years;
    int64_t days[MAX_DAYS]; /* days that differ from the weekday rule */
    bool off[MAX_DAYS];     /* true: a weekday off; false: a weekend worked */
    size_t n_days;
} cal;

static pthread_once_t cal_once = PTHREAD_ONCE_INIT;

bool cal_parse(const char *s, int64_t *day)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        return false;
    }
    int64_t y = 0;
    unsigned m = 0, d = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            continue;
        }
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (y < 1900 || !date_valid(y, m, d)) {
        return false;
    }
    *day = days_from_civil(y, m, d);
    return true;
}

const char *cal_format(int64_t day, struct arena *a)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    return arena_printf(a, "%04lld-%02u-%02u", (long long)y, m, d);
}

int64_t cal_day_of(int64_t ms)
{
    int64_t t = ms + MSK_MS;
    return t >= 0 ? t / 86400000 : -((-t + 86399999) / 86400000);
}

static void load(void)
{
    for (size_t f = 0; f < consent_data_files_count; f++) {
        if (strcmp(consent_data_files[f].name, "calendar-ru.txt") != 0) {
            continue;
        }
        const char *p = consent_data_files[f].data;
        while (*p) {
            const char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            char line[64];
            if (len < sizeof(line) && p[0] != '#') {
                memcpy(line, p, len);
                line[len] = '\0';
                int64_t day;
                if (strncmp(line, "year ", 5) == 0 && cal.n_years < MAX_YEARS) {
                    cal.years[cal.n_years++] = strtol(line + 5, NULL, 10);
                } else if (len >= 14 && line[10] == ' ' && cal.n_days < MAX_DAYS) {
                    line[10] = '\0';
                    if (cal_parse(line, &day)) {
                        cal.days[cal.n_days] = day;
                        cal.off[cal.n_days++] = strcmp(line + 11, "off") == 0;
                    }
                }
            }
            p += len + (eol != NULL);
        }
    }
}

static int weekday(int64_t day) /* 0 = Monday */
{
    int64_t w = (day + 3) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

static bool year_known(int64_t y)
{
    for (size_t i = 0; i < cal.n_years; i++) {
        if (cal.years[i] == y) {
            return true;
        }
    }
    return false;
}

/* Art. 112 alone: January 1-8, the six other holidays, and a holiday that falls on a weekend
 * moves to the next working day. */
static bool rule_holiday(int64_t day)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    if (m == 1 && d <= 8) {
        return true;
    }
    static const unsigned fixed[][2] = {{2, 23}, {3, 8}, {5, 1}, {5, 9}, {6, 12}, {11, 4}};
    for (size_t i = 0; i < 6; i++) {
        int64_t h = days_from_civil(y, fixed[i][0], fixed[i][1]);
        if (h == day) {
            return true;
        }
        if (weekday(h) >= 5) {
            int64_t moved = h + (weekday(h) == 5 ? 2 : 1);
            while (weekday(moved) >= 5) {
                moved++;
            }
            if (moved == day) {
                return true;
            }
        }
    }
    return false;
}

bool cal_working(int64_t day, bool *known)
{
    pthread_once(&cal_once, load);
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    *known = year_known(y);
    if (*known) {
        for (size_t i = 0; i < cal.n_days; i++) {
            if (cal.days[i] == day) {
                return !cal.off[i];
            }
        }
        return weekday(day) < 5;
    }
    return weekday(day) < 5 && !rule_holiday(day);
}

int64_t cal_add_working(int64_t day, int n, bool *provisional)
{
    *provisional = false;
    while (n > 0) {
        day++;
        bool known;
        if (cal_working(day, &known)) {
            n--;
        }
        *provisional = *provisional || !known;
    }
    return day;
}

bool privacy_deadline(const char *kind, int64_t day, bool extended, int64_t *deadline,
                      bool *provisional)
{
    *provisional = false;
    if (strcmp(kind, "access") == 0 || strcmp(kind, "stop") == 0) {
        *deadline = cal_add_working(day, extended ? 15 : 10, provisional);
    } else if (strcmp(kind, "rectification") == 0) {
        *deadline = cal_add_working(day, 7, provisional);
    } else if (strcmp(kind, "unlawful_processing") == 0) {
        *deadline = cal_add_working(day, 3, provisional);
    } else if (strcmp(kind, "erasure") == 0) {
        *deadline = day + 30;
    } else {
        return false;
    }
    return true;
}

int64_t privacy_destroy_deadline(int64_t day, bool *provisional)
{
    return cal_add_working(day, 10, provisional);
}

bool privacy_extendable(const char *kind)
{
    return strcmp(kind, "access") == 0 || strcmp(kind, "stop") == 0;
}
