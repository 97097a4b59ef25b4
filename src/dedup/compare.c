/*
 * compare.c - reading a field's value and comparing two of them, in levels (dedup.h). Each
 * kind's levels go from "different" (0) to "exact"; in between, the near misses that data entry
 * makes of that kind of value:
 *   text        0 different, 1 Jaro-Winkler >= 0.80, 2 >= 0.92, 3 exact
 *   names       0 different, 1 Jaro-Winkler >= 0.80, 2 the same phonetic key (a first name:
 *               or the same full name behind a diminutive) or Jaro-Winkler >= 0.94, 3 exact
 *   dates       0 different, 1 one digit off or the year one off, 2 day and month swapped,
 *               3 exact
 *   phones      0 different, 1 one digit off or two neighbours swapped, 2 exact (last 10 digits)
 *   e-mails     0 different, 1 one edit apart (in the local part or the domain: gmial.com),
 *               2 exact
 *   identifiers 0 different, 1 exact
 * The model (matcher.c) learns how much each level of each field is worth.
 */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "clean/clean.h"
#include "dedup/dedup_int.h"

/* "Today" for a two-digit year (clean_date): the latest century not to come from 2026 on; a
 * constant, so that a run reads a file the same way whenever it runs. */
#define DATE_TODAY_DAYS 20454LL /* 2026-01-01 */

/* Each kind's levels: their names for the explanation, what one person's two records usually
 * show (the data-entry slips of a retailer's channels: EM's start and prior) and what two people
 * taken at random usually show in a base of many (the prior of u, which weighs on a small file
 * only: a handful of records cannot say how rare a shared phone is). */
static const struct {
    int levels;
    const char *name[4];
    double prior[4];
    double u[4];
} kinds[DK_KINDS] = {
    [DK_EXACT] = {2, {"different", "exact"}, {0.15, 0.85}, {0.9999, 0.0001}},
    [DK_TEXT] = {4,
                 {"different", "jw_0.80", "jw_0.92", "exact"},
                 {0.15, 0.10, 0.15, 0.60},
                 {0.85, 0.03, 0.02, 0.10}},
    [DK_NAME] = {4,
                 {"different", "jw_0.80", "phonetic", "exact"},
                 {0.05, 0.05, 0.15, 0.75},
                 {0.90, 0.08, 0.015, 0.005}},
    [DK_FIRST_NAME] = {4,
                       {"different", "jw_0.80", "phonetic", "exact"},
                       {0.05, 0.05, 0.15, 0.75},
                       {0.80, 0.12, 0.03, 0.05}},
    [DK_DATE] = {4,
                 {"different", "one_off", "day_month_swapped", "exact"},
                 {0.03, 0.05, 0.02, 0.90},
                 {0.998, 0.0019, 0.00005, 0.00005}},
    [DK_PHONE] = {3, {"different", "one_digit", "exact"}, {0.25, 0.05, 0.70}, {0.9999, 9e-5, 1e-5}},
    [DK_EMAIL] = {3, {"different", "one_edit", "exact"}, {0.25, 0.05, 0.70}, {0.9999, 9e-5, 1e-5}},
};

int dedup_levels(enum dedup_kind k)
{
    return kinds[k].levels;
}

const char *dedup_level_name(enum dedup_kind k, int level)
{
    return level < 0 || level >= kinds[k].levels ? "missing" : kinds[k].name[level];
}

double dedup_level_prior(enum dedup_kind k, int level)
{
    return kinds[k].prior[level];
}

double dedup_level_u_prior(enum dedup_kind k, int level)
{
    return kinds[k].u[level];
}

/* Lower case ASCII, blanks at the ends cut; NULL when nothing is left. */
static const char *trimmed(const char *raw, struct arena *a)
{
    while (*raw == ' ' || *raw == '\t') {
        raw++;
    }
    size_t n = strlen(raw);
    while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t' || raw[n - 1] == '\r')) {
        n--;
    }
    if (n == 0) {
        return NULL;
    }
    char *out = arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++) {
        out[i] = (char)tolower((unsigned char)raw[i]);
    }
    out[n] = '\0';
    return out;
}

/* The digits of s, at most `max` of the last ones (a phone's country prefix written or not). */
static const char *digits(const char *s, size_t max, struct arena *a)
{
    size_t n = 0, len = strlen(s);
    char *out = arena_alloc(a, len + 1);
    for (size_t i = 0; i < len; i++) {
        if (isdigit((unsigned char)s[i])) {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    return n == 0 ? NULL : n > max ? out + n - max : out;
}

struct dedup_value dedup_value(enum dedup_kind k, const char *raw, struct arena *a)
{
    struct dedup_value v = {NULL, NULL};
    const char *t = raw ? trimmed(raw, a) : NULL;
    if (t == NULL) {
        return v;
    }
    switch (k) {
    case DK_NAME:
    case DK_FIRST_NAME: {
        struct clean_out out;
        clean_name_part(k == DK_NAME ? NAME_LAST : NAME_FIRST, t, strlen(t), a, &out);
        if (out.value == NULL || out.value[0] == '\0') {
            return v;
        }
        v.text = clean_name_part_key(out.value, a);
        v.key = dedup_name_key(k == DK_NAME ? out.value : dedup_first_name_full(out.value, a), a);
        return v;
    }
    case DK_DATE: {
        /* as the cleaner reads a date (31.12.1985, 1985-12-31, "31 декабря 1985", a two-digit
         * year), else eight digits taken as YYYYMMDD (FEBRL's 19851231); then YYYYMMDD */
        struct clean_out out;
        clean_date(t, strlen(t), DATE_TODAY_DAYS, a, &out);
        v.text = out.value ? digits(out.value, 8, a) : digits(t, 8, a);
        v.text = v.text && strlen(v.text) == 8 ? v.text : NULL;
        return v;
    }
    case DK_PHONE:
        v.text = digits(t, 10, a);
        return v;
    case DK_EMAIL: {
        struct clean_email e;
        clean_email(t, strlen(t), a, &e);
        v.text = e.out.value ? e.out.value : t;
        return v;
    }
    default:
        v.text = t;
        return v;
    }
}

/* Two strings of digits of one length one edit apart: a digit mistyped, or two neighbours
 * swapped (the cleaner's optimal string alignment counts a swap as one edit). */
static bool one_digit(const char *x, const char *y)
{
    return strlen(x) == strlen(y) && clean_edit_distance(x, y, 1) <= 1;
}

static int dates(const char *x, const char *y)
{
    if (strcmp(x, y) == 0) {
        return 3;
    }
    /* YYYYMMDD: day and month swapped */
    if (memcmp(x, y, 4) == 0 && memcmp(x + 4, y + 6, 2) == 0 && memcmp(x + 6, y + 4, 2) == 0) {
        return 2;
    }
    if (one_digit(x, y)) {
        return 1;
    }
    int yx = 0, yy = 0;
    for (int i = 0; i < 4; i++) {
        yx = yx * 10 + (x[i] - '0');
        yy = yy * 10 + (y[i] - '0');
    }
    return memcmp(x + 4, y + 4, 4) == 0 && (yx - yy == 1 || yy - yx == 1) ? 1 : 0;
}

int dedup_compare(enum dedup_kind k, const struct dedup_value *x, const struct dedup_value *y)
{
    if (x->text == NULL || y->text == NULL) {
        return -1;
    }
    if (strcmp(x->text, y->text) == 0) {
        return dedup_levels(k) - 1;
    }
    switch (k) {
    case DK_TEXT: {
        double jw = dedup_jaro_winkler(x->text, y->text);
        return jw >= 0.92 ? 2 : jw >= 0.80 ? 1 : 0;
    }
    case DK_NAME:
    case DK_FIRST_NAME: {
        if (x->key != NULL && y->key != NULL && strcmp(x->key, y->key) == 0) {
            return 2;
        }
        double jw = dedup_jaro_winkler(x->text, y->text);
        if (k == DK_FIRST_NAME && x->key != NULL && y->key != NULL) { /* Елеа and Лена: a typo */
            jw = fmax(jw, dedup_jaro_winkler(x->key, y->key)); /* of the name behind the other */
        }
        return jw >= 0.94 ? 2 : jw >= 0.80 ? 1 : 0;
    }
    case DK_DATE:
        return dates(x->text, y->text);
    case DK_PHONE:
        return one_digit(x->text, y->text) ? 1 : 0;
    case DK_EMAIL:
        return clean_edit_distance(x->text, y->text, 1) <= 1 ? 1 : 0;
    default:
        return 0;
    }
}
