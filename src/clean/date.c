/*
 * date.c - birth dates and gender.
 *
 * This first cut accepts the ISO form only ("1985-03-24"); the quality work adds the Russian forms
 * ("24.03.1985", "24 марта 1985"). A birth date must exist in the calendar, not lie in the future
 * and not before 1900.
 */
#include <string.h>

#include "base/clock.h"
#include "clean/clean.h"

static bool two_digits(const char *p, unsigned *v)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') {
        return false;
    }
    *v = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
    return true;
}

void clean_birth_date(const char *in, size_t len, long long today_days, struct arena *a,
                      struct clean_out *out)
{
    memset(out, 0, sizeof(*out));
    out->verdict = CLEAN_INVALID;
    unsigned c, yy, m, d;
    if (len != 10 || in[4] != '-' || in[7] != '-' || !two_digits(in, &c) ||
        !two_digits(in + 2, &yy) || !two_digits(in + 5, &m) || !two_digits(in + 8, &d)) {
        out->reason = "not_iso_date";
        return;
    }
    unsigned y = c * 100 + yy;
    if (!date_valid(y, m, d)) {
        out->reason = "no_such_date";
        return;
    }
    if (y < 1900) {
        out->reason = "too_old";
        return;
    }
    if (days_from_civil(y, m, d) > today_days) {
        out->reason = "in_future";
        return;
    }
    out->value = arena_strndup(a, in, len);
    out->verdict = CLEAN_OK;
}

void clean_gender(const char *in, size_t len, struct arena *a, struct clean_out *out)
{
    static const struct {
        const char *in;
        const char *std;
    } forms[] = {{"m", "m"},       {"male", "m"},    {"м", "m"},      {"муж", "m"},
                 {"мужской", "m"}, {"f", "f"},       {"female", "f"}, {"ж", "f"},
                 {"жен", "f"},     {"женский", "f"}, {"M", "m"},      {"F", "f"},
                 {"М", "m"},       {"Ж", "f"},       {"Male", "m"},   {"Female", "f"}};
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (strlen(forms[i].in) == len && memcmp(forms[i].in, in, len) == 0) {
            out->value = arena_strdup(a, forms[i].std);
            bool same = strcmp(forms[i].in, forms[i].std) == 0;
            out->verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
            out->change = same ? NULL : "standard_code";
            return;
        }
    }
    out->verdict = CLEAN_INVALID;
    out->reason = "unknown_gender";
}
