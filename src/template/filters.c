/*
 * filters.c - what a Russian retailer writes after '|': money, date, plural, default, upper,
 * lower. docs/templates.md says what each prints and why.
 *
 * A filter passes a missing value on untouched (only `default` replaces it), so the renderer
 * warns "missing_value" once rather than each filter complaining about nothing. Numbers print
 * with a no-break space (U+00A0) between groups of three digits, the separator of CLDR's Russian
 * locale that every e-mail font and SMS gateway has; U+202F would wrap in none either but is
 * missing from older fonts.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucasemap.h>

#include "base/mem.h"
#include "base/num.h"
#include "template/template_int.h"

#define NBSP  "\xC2\xA0"     /* U+00A0 NO-BREAK SPACE */
#define RUBLE "\xE2\x82\xBD" /* U+20BD RUBLE SIGN */

static const struct {
    const char *name;
    enum filter_id id;
} filters[] = {
    {"money", F_MONEY},     {"date", F_DATE},   {"plural", F_PLURAL},
    {"default", F_DEFAULT}, {"upper", F_UPPER}, {"lower", F_LOWER},
};

bool template_filter_find(const char *name, size_t len, enum filter_id *id)
{
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        if (strlen(filters[i].name) == len && memcmp(filters[i].name, name, len) == 0) {
            *id = filters[i].id;
            return true;
        }
    }
    return false;
}

/* The one word a filter may take, or none: sets f->flag when given. */
static const char *optional_word(struct filter *f, const char *word, const char *why)
{
    if (f->nargs == 0) {
        return NULL;
    }
    if (f->nargs == 1 && strcmp(f->arg[0], word) == 0) {
        f->flag = true;
        return NULL;
    }
    return why;
}

const char *template_filter_check(struct filter *f)
{
    switch (f->id) {
    case F_MONEY:
        return optional_word(f, "kopecks", "takes no argument or \"kopecks\"");
    case F_DATE:
        return optional_word(f, "year", "takes no argument or \"year\"");
    case F_PLURAL:
        if (f->nargs != 3 || !f->alen[0] || !f->alen[1] || !f->alen[2]) {
            return "takes three forms, as for 1, 2 and 5: \"балл\", \"балла\", \"баллов\"";
        }
        return NULL;
    case F_DEFAULT:
        return f->nargs == 1 ? NULL : "takes one argument, the text shown instead";
    case F_UPPER:
    case F_LOWER:
        return f->nargs == 0 ? NULL : "takes no argument";
    }
    return "is unknown";
}

static bool missing(const struct tval *v)
{
    return !v->is_text && (v->j == NULL || json_is_null(v->j));
}

static void set_text(struct tval *v, struct buf *scratch)
{
    *v = (struct tval){.s = buf_cstr(scratch), .n = scratch->len, .is_text = true};
}

/* The text of a value, when it is a string (given or made by a filter). */
static bool text_of(const struct tval *v, const char **s, size_t *n)
{
    if (v->is_text) {
        *s = v->s;
        *n = v->n;
        return true;
    }
    if (json_is_string(v->j)) {
        *s = json_string_value(v->j);
        *n = json_string_length(v->j);
        return true;
    }
    return false;
}

/* A JSON integer, or a string of one (attributes may hold numbers as text); never a real. */
static bool int_of(const struct tval *v, int64_t *out)
{
    const char *s;
    size_t n;
    if (!v->is_text && json_is_integer(v->j)) {
        *out = json_integer_value(v->j);
        return true;
    }
    return text_of(v, &s, &n) && num_parse_i64(s, n, INT64_MIN, INT64_MAX, out);
}

/* Appends |x| grouped by three digits with no-break spaces: 1 234 567. */
static void put_grouped(struct buf *b, uint64_t u)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    for (int i = n - 1; i >= 0; i--) {
        buf_putc(b, d[i]);
        if (i > 0 && i % 3 == 0) {
            buf_puts(b, NBSP);
        }
    }
}

static uint64_t magnitude(int64_t x)
{
    return x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
}

/* Kopecks to "1 234,50 ₽"; whole roubles drop ",00" unless `kopecks`. */
static enum filter_result money(const struct filter *f, struct tval *v, struct buf *b)
{
    int64_t k;
    if (!int_of(v, &k)) {
        return FILTER_NOT_A_NUMBER;
    }
    uint64_t u = magnitude(k);
    if (k < 0) {
        buf_putc(b, '-');
    }
    put_grouped(b, u / 100);
    if (u % 100 != 0 || f->flag) {
        buf_printf(b, ",%02u", (unsigned)(u % 100));
    }
    buf_puts(b, NBSP RUBLE);
    set_text(v, b);
    return FILTER_OK;
}

/* Russian plural forms: 1, 21, 101 балл; 2-4, 22 балла; 0, 5-20, 11-14, 111 баллов. */
static int plural_form(uint64_t u)
{
    if (u % 10 == 1 && u % 100 != 11) {
        return 0;
    }
    if (u % 10 >= 2 && u % 10 <= 4 && (u % 100 < 12 || u % 100 > 14)) {
        return 1;
    }
    return 2;
}

static enum filter_result plural(const struct filter *f, struct tval *v, struct buf *b)
{
    int64_t x;
    if (!int_of(v, &x)) {
        return FILTER_NOT_A_NUMBER;
    }
    if (x < 0) {
        buf_putc(b, '-');
    }
    put_grouped(b, magnitude(x));
    int form = plural_form(magnitude(x));
    buf_puts(b, NBSP);
    buf_append(b, f->arg[form], f->alen[form]);
    set_text(v, b);
    return FILTER_OK;
}

static bool digits(const char *s, size_t n, int *out)
{
    int64_t x;
    if (n == 0 || s[0] < '0' || s[0] > '9' || !num_parse_i64(s, n, 0, 9999, &x)) {
        return false;
    }
    *out = (int)x;
    return true;
}

/* The part of RFC 3339 after the date: "T" or " ", time, optional fraction, then Z or an offset. */
static bool rfc3339_time(const char *s, size_t n)
{
    int h, m, sec, oh, om;
    if (n < 9 || (s[0] != 'T' && s[0] != 't' && s[0] != ' ') || s[3] != ':' || s[6] != ':' ||
        !digits(s + 1, 2, &h) || !digits(s + 4, 2, &m) || n < 9 || !digits(s + 7, 2, &sec) ||
        h > 23 || m > 59 || sec > 60) {
        return false;
    }
    size_t i = 9;
    if (i < n && s[i] == '.') {
        size_t b = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == b) {
            return false;
        }
    }
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
        return true;
    }
    return i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
           digits(s + i + 1, 2, &oh) && digits(s + i + 4, 2, &om) && oh < 24 && om < 60;
}

static const char *const months[] = {"января",   "февраля", "марта",  "апреля",
                                     "мая",      "июня",    "июля",   "августа",
                                     "сентября", "октября", "ноября", "декабря"};

/* "2025-03-24" or an RFC 3339 time to "24 марта" (the day as written, in the offset it carries),
 * with "year": "24 марта 2025". */
static enum filter_result date(const struct filter *f, struct tval *v, struct buf *b)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *s;
    size_t n;
    int y, m, d;
    if (!text_of(v, &s, &n) || n < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
        !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) || m < 1 || m > 12 || d < 1 ||
        d > mdays[m - 1] || y < 1 || (n > 10 && !rfc3339_time(s + 10, n - 10))) {
        return FILTER_NOT_A_DATE;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap) {
        return FILTER_NOT_A_DATE;
    }
    buf_printf(b, "%d %s", d, months[m - 1]);
    if (f->flag) {
        buf_printf(b, " %d", y);
    }
    set_text(v, b);
    return FILTER_OK;
}

/* Missing, null, false, "" and empty lists and objects take the default; 0 is a value. */
static void fallback(const struct filter *f, struct tval *v)
{
    const char *s;
    size_t n;
    bool empty = missing(v) || (!v->is_text && json_is_false(v->j)) ||
                 (text_of(v, &s, &n) && n == 0) ||
                 (!v->is_text && json_is_array(v->j) && json_array_size(v->j) == 0) ||
                 (!v->is_text && json_is_object(v->j) && json_object_size(v->j) == 0);
    if (empty) {
        *v = (struct tval){.s = f->arg[0], .n = f->alen[0], .is_text = true};
    }
}

static UCaseMap *casemap;

static void casemap_open(void)
{
    UErrorCode st = U_ZERO_ERROR;
    casemap = ucasemap_open("ru", 0, &st);
    if (U_FAILURE(st)) {
        casemap = NULL;
    }
}

/* Unicode case mapping (ICU, Russian rules): "ёлка" to "ЁЛКА". */
static enum filter_result change_case(bool up, struct tval *v, struct buf *b)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    char tmp[64], small[512];
    const char *s;
    size_t n;
    if (!v->is_text && !template_scalar_text(v->j, tmp, sizeof(tmp), &s, &n)) {
        return FILTER_NOT_TEXT;
    }
    if (v->is_text) {
        s = v->s;
        n = v->n;
    }
    pthread_once(&once, casemap_open);
    if (casemap == NULL || n > INT32_MAX / 4) {
        return FILTER_NOT_TEXT;
    }
    UErrorCode st = U_ZERO_ERROR;
    int32_t (*map)(const UCaseMap *, char *, int32_t, const char *, int32_t, UErrorCode *) =
        up ? ucasemap_utf8ToUpper : ucasemap_utf8ToLower;
    int32_t need = map(casemap, small, sizeof(small), s, (int32_t)n, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR) {
        char *big = kt_malloc((size_t)need + 1);
        st = U_ZERO_ERROR;
        map(casemap, big, need + 1, s, (int32_t)n, &st);
        buf_append(b, big, U_SUCCESS(st) ? (size_t)need : 0);
        free(big);
    } else {
        buf_append(b, small, U_SUCCESS(st) ? (size_t)need : 0);
    }
    if (U_FAILURE(st)) {
        return FILTER_NOT_TEXT;
    }
    set_text(v, b);
    return FILTER_OK;
}

enum filter_result template_filter_apply(const struct filter *f, struct tval *v,
                                         struct buf *scratch)
{
    if (f->id == F_DEFAULT) {
        fallback(f, v);
        return FILTER_OK;
    }
    if (missing(v)) {
        return FILTER_OK;
    }
    buf_reset(scratch);
    switch (f->id) {
    case F_MONEY:
        return money(f, v, scratch);
    case F_DATE:
        return date(f, v, scratch);
    case F_PLURAL:
        return plural(f, v, scratch);
    case F_UPPER:
    case F_LOWER:
        return change_case(f->id == F_UPPER, v, scratch);
    case F_DEFAULT:
        break;
    }
    return FILTER_OK;
}
