/*
 * date.c - birth dates and gender.
 *
 * Accepted forms of a birth date: ISO "1985-03-24"; day first with dots, slashes or dashes
 * ("24.03.1985", "24/3/85", "24-03-1985"); eight digits "19850324" (year first) or "24031985"
 * (day first, when the year-first reading is impossible); and words "24 марта 1985", "24 мар
 * 1985", "24 March 1985". A two-digit year is the latest year not in the future ("85" is 1985,
 * "10" is 2010). The date must exist; a future date, an age under 14 (a child's data needs a
 * parent's consent, 152-FZ art. 9) or over 110 is invalid; 1900-01-01, 1970-01-01 and the like
 * are suspicious placeholders, as are ages over 100.
 */
#include <string.h>

#include "base/clock.h"
#include "clean/clean.h"
#include "clean/internal.h"

static const struct {
    const char *stem; /* fold key prefix of the month word */
    unsigned month;
} months[] = {
    {"январ", 1}, {"янв", 1},     {"феврал", 2}, {"фев", 2},     {"март", 3}, {"мар", 3},
    {"апрел", 4}, {"апр", 4},     {"ма", 5},     {"июн", 6},     {"июл", 7},  {"август", 8},
    {"авг", 8},   {"сентябр", 9}, {"сен", 9},    {"октябр", 10}, {"окт", 10}, {"ноябр", 11},
    {"ноя", 11},  {"декабр", 12}, {"дек", 12},   {"jan", 1},     {"feb", 2},  {"mar", 3},
    {"apr", 4},   {"may", 5},     {"jun", 6},    {"jul", 7},     {"aug", 8},  {"sep", 9},
    {"oct", 10},  {"nov", 11},    {"dec", 12},
};

static bool number(const char *s, size_t n, unsigned *v)
{
    if (n == 0 || n > 4) {
        return false;
    }
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return true;
}

static unsigned month_word(const char *key)
{
    for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++) {
        size_t n = strlen(months[i].stem);
        if (strncmp(key, months[i].stem, n) == 0) {
            /* "ма" must not swallow "март": the longer stems come first in the table */
            return months[i].month;
        }
    }
    return 0;
}

/* Splits at separators into up to three fields; returns how many. */
static size_t fields(const char *s, size_t len, const char **f, size_t *fl)
{
    size_t n = 0, i = 0;
    while (i < len && n < 4) {
        while (i < len &&
               (s[i] == '.' || s[i] == '/' || s[i] == '-' || s[i] == ' ' || s[i] == ',')) {
            i++;
        }
        if (i == len) {
            break;
        }
        size_t start = i;
        while (i < len &&
               !(s[i] == '.' || s[i] == '/' || s[i] == '-' || s[i] == ' ' || s[i] == ',')) {
            i++;
        }
        if (n < 3) {
            f[n] = s + start;
            fl[n] = i - start;
        }
        n++;
    }
    return n;
}

/* Two-digit years: the latest year that is not after `this_year`. */
static unsigned full_year(unsigned y, size_t digits, unsigned this_year)
{
    if (digits > 2) {
        return y;
    }
    unsigned c = this_year / 100 * 100 + y;
    return c > this_year ? c - 100 : c;
}

static bool parse(const char *s, size_t len, struct arena *a, unsigned this_year, unsigned *y,
                  unsigned *m, unsigned *d, bool *iso)
{
    *iso = false;
    if (len == 8 && number(s, 4, y) && number(s + 4, 2, m) && number(s + 6, 2, d)) {
        if (date_valid(*y, *m, *d)) {
            return true; /* 19850324 */
        }
        return number(s, 2, d) && number(s + 2, 2, m) && number(s + 4, 4, y); /* 24031985 */
    }
    const char *f[3];
    size_t fl[3];
    if (fields(s, len, f, fl) != 3) {
        return false;
    }
    unsigned a0, a2;
    if (fl[0] == 4 && number(f[0], 4, &a0) && number(f[1], fl[1], m) && number(f[2], fl[2], d)) {
        *y = a0;
        *iso = len == 10 && s[4] == '-' && s[7] == '-';
        return true;
    }
    if (!number(f[0], fl[0], d) || fl[0] > 2 || !number(f[2], fl[2], &a2) ||
        (fl[2] != 2 && fl[2] != 4)) {
        return false;
    }
    *y = full_year(a2, fl[2], this_year);
    if (number(f[1], fl[1], m)) {
        return fl[1] <= 2;
    }
    *m = month_word(fold_key(f[1], fl[1], a));
    return *m != 0;
}

void clean_birth_date(const char *in, size_t len, long long today_days, struct arena *a,
                      struct clean_out *out)
{
    memset(out, 0, sizeof(*out));
    out->verdict = CLEAN_INVALID;
    struct clean_out t;
    clean_text(in, len, 40, a, &t);
    if (t.verdict == CLEAN_INVALID) {
        out->reason = t.reason;
        return;
    }
    int64_t ty;
    unsigned tm, td;
    civil_from_days(today_days, &ty, &tm, &td);
    unsigned y, m, d;
    bool iso;
    if (!parse(t.value, strlen(t.value), a, (unsigned)ty, &y, &m, &d, &iso)) {
        out->reason = "not_a_date";
        return;
    }
    if (!date_valid(y, m, d)) {
        out->reason = "no_such_date";
        return;
    }
    if (days_from_civil(y, m, d) > today_days) {
        out->reason = "in_future";
        return;
    }
    /* Age in whole years on `today`. */
    int64_t age = ty - (int64_t)y - ((tm < m || (tm == m && td < d)) ? 1 : 0);
    if (age < 14) {
        out->reason = "under_14";
        return;
    }
    if (age > 110) {
        out->reason = "over_110";
        return;
    }
    out->value = arena_printf(a, "%04u-%02u-%02u", y, m, d);
    bool same = iso && len == 10 && memcmp(in, out->value, 10) == 0;
    out->verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
    out->change = same ? NULL : "date_format";
    if ((m == 1 && d == 1 && (y == 1900 || y == 1901 || y == 1970 || y == 2000)) ||
        (m == 11 && d == 11 && y % 100 == 11)) {
        out->verdict = CLEAN_SUSPICIOUS;
        out->reason = "placeholder_date";
    } else if (age > 100) {
        out->verdict = CLEAN_SUSPICIOUS;
        out->reason = "over_100";
    }
}

void clean_gender(const char *in, size_t len, struct arena *a, struct clean_out *out)
{
    static const struct {
        const char *in;
        const char *std;
    } forms[] = {{"m", "m"},       {"male", "m"},    {"м", "m"},       {"муж", "m"},
                 {"мужской", "m"}, {"мужчина", "m"}, {"f", "f"},       {"female", "f"},
                 {"ж", "f"},       {"жен", "f"},     {"женский", "f"}, {"женщина", "f"}};
    memset(out, 0, sizeof(*out));
    struct clean_out t;
    clean_text(in, len, 40, a, &t);
    const char *key = t.value ? fold_key(t.value, strlen(t.value), a) : "";
    size_t kl = strlen(key);
    if (kl > 0 && key[kl - 1] == '.') {
        ((char *)key)[kl - 1] = '\0';
    }
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (strcmp(forms[i].in, key) == 0) {
            out->value = forms[i].std;
            bool same = len == 1 && in[0] == forms[i].std[0];
            out->verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
            out->change = same ? NULL : "standard_code";
            return;
        }
    }
    out->verdict = CLEAN_INVALID;
    out->reason = "unknown_gender";
}
