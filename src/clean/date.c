/*
 * date.c - birth dates and gender.
 *
 * A birth date comes back as ISO "YYYY-MM-DD" from the ways people, forms and programs write it:
 * numbers with any separators ("24.03.1985", "24/3/85", "1985-03-24", "24 . 03 . 1985"), the month
 * as a word in Russian or English, whole or cut, with or without a dot ("24 марта 1985 года",
 * "24 мар. 1985 г.", "8 сент 1972", "March 24, 1985"), the month in Roman numerals ("24.III.1985"),
 * digits alone ("240385", "24031985", "19850324"), an Excel serial day number ("31130"), and the
 * timestamps Excel, 1C and JavaScript export ("24.03.1985 0:00:00", "1985-03-24T00:00:00.000Z",
 * "3/24/1985 12:00:00 AM"). Unicode digits, dashes and full-width forms read as their ASCII kin;
 * weekdays, "г.", "года", "г.р." and ordinal endings ("24-го") are noise.
 *
 * Day first is the Russian norm. A date that reads only month first ("03/24/1985") is swapped
 * (`month_day_swapped`); one with slashes that reads both ways ("03/04/1985") is kept day first and
 * flagged `ambiguous_order`, unless an AM/PM clock says it came from a US export. A two-digit year
 * is the latest year not in the future. Refused: dates that do not exist, the future, ages under 14
 * (a child's data needs a parent's consent, 152-FZ art. 9) and over 110, the empty dates of other
 * systems (01.01.0001, 0000-00-00, 01.01.1900, 30.12.1899: `placeholder_date`); suspicious:
 * 1970-01-01 and 2000-01-01, ages over 100. The rules and examples: docs/cleaning.md.
 *
 * Not here: time zones. A timestamp's date is taken as written; the time is dropped.
 */
#include <string.h>
#include <unicode/uchar.h>

#include "base/clock.h"
#include "clean/clean.h"
#include "clean/internal.h"

#define MAX_TOKS  40
#define TOK_BYTES 32

enum tk { TK_NUM, TK_WORD, TK_SEP };

struct tok {
    enum tk kind;
    char s[TOK_BYTES]; /* NUM: ASCII digits; WORD: folded letters; SEP: the marks in ".,/-:+" */
    unsigned char n;   /* bytes used in s */
    bool cut;          /* did not fit in s: matches nothing */
    bool paren;        /* inside brackets */
};

struct toks {
    struct tok t[MAX_TOKS];
    size_t n;
    bool overflow; /* more tokens than fit: not a date */
};

/* A day, month or year field of the date part. */
struct item {
    const struct tok *t;
    unsigned num;   /* value of a number of up to 8 digits */
    unsigned month; /* month of a word or Roman numeral, else 0 */
    char sep;       /* separator before it: one of ".,/-" or ' ' */
};

struct reading {
    unsigned y, m, d;
    const char *change; /* month_day_swapped, excel_serial, or NULL */
    bool ambiguous;     /* reads both day first and month first */
    bool short_year;    /* the year was written with two digits */
    const char *fail;   /* reason it is not a date, or NULL */
};

/* ---- tokens ---- */

/* Full-width ASCII, dashes, dots, slashes and the like as their ASCII kin. */
static unsigned fold_mark(unsigned cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
        return cp - 0xFEE0;
    }
    if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE58 || cp == 0xFE63) {
        return '-';
    }
    if (cp == 0x3002 || cp == 0xFF61 || cp == 0x2024) {
        return '.';
    }
    if (cp == 0x2044 || cp == 0x2215) {
        return '/';
    }
    if (cp == 0x060C || cp == 0x3001) {
        return ',';
    }
    return cp;
}

static struct tok *tok_next(struct toks *ts, enum tk kind, bool paren)
{
    struct tok *last = ts->n ? &ts->t[ts->n - 1] : NULL;
    if (last != NULL && last->kind == kind && last->paren == paren) {
        return last;
    }
    if (ts->n == MAX_TOKS) {
        ts->overflow = true;
        return NULL;
    }
    struct tok *t = &ts->t[ts->n++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->paren = paren;
    return t;
}

static void tok_add(struct tok *t, const char *s, size_t n)
{
    if (t->n + n >= TOK_BYTES) {
        t->cut = true;
        return;
    }
    memcpy(t->s + t->n, s, n);
    t->n = (unsigned char)(t->n + n);
}

/* The Roman numeral characters (U+2160 "Ⅰ" ...) as letters. */
static const char *const roman[] = {"",    "i",    "ii", "iii", "iv", "v",  "vi",
                                    "vii", "viii", "ix", "x",   "xi", "xii"};

static void tokenize(const char *s, struct toks *ts)
{
    int depth = 0;
    ts->n = 0;
    ts->overflow = false;
    for (size_t i = 0; s[i] != '\0' && !ts->overflow;) {
        size_t adv;
        unsigned cp = fold_mark(utf8_get((const unsigned char *)s + i, &adv));
        i += adv;
        struct tok *t;
        char buf[4];
        if (u_charType((UChar32)cp) == U_DECIMAL_DIGIT_NUMBER) {
            buf[0] = (char)('0' + u_charDigitValue((UChar32)cp));
            if ((t = tok_next(ts, TK_NUM, depth > 0)) != NULL) {
                tok_add(t, buf, 1);
            }
        } else if ((cp >= 0x2160 && cp <= 0x216B) || (cp >= 0x2170 && cp <= 0x217B)) {
            const char *r = roman[(cp & 0xF) + 1];
            if ((t = tok_next(ts, TK_WORD, depth > 0)) != NULL) {
                tok_add(t, r, strlen(r));
            }
        } else if (u_isalpha((UChar32)cp)) {
            cp = cp_lower(cp);
            if ((t = tok_next(ts, TK_WORD, depth > 0)) != NULL) {
                tok_add(t, buf, utf8_put(cp == 0x0451 ? 0x0435 : cp, buf));
            }
        } else {
            depth += cp == '(' || cp == '[';
            depth -= (cp == ')' || cp == ']') && depth > 0;
            if ((t = tok_next(ts, TK_SEP, depth > 0)) != NULL && cp < 0x80 && cp != '\0' &&
                strchr(".,/-:+", (int)cp) != NULL) {
                buf[0] = (char)cp;
                tok_add(t, buf, 1);
            }
        }
    }
}

static bool tok_is(const struct tok *t, const char *word)
{
    return !t->cut && strlen(word) == t->n && memcmp(t->s, word, t->n) == 0;
}

static bool tok_in(const struct tok *t, const char *const *words)
{
    for (; *words != NULL; words++) {
        if (tok_is(t, *words)) {
            return true;
        }
    }
    return false;
}

static bool has_mark(const struct tok *t, char c)
{
    return t != NULL && t->kind == TK_SEP && memchr(t->s, c, t->n) != NULL;
}

static unsigned tok_num(const struct tok *t)
{
    unsigned v = 0;
    for (size_t i = 0; i < t->n && i < 8; i++) {
        v = v * 10 + (unsigned)(t->s[i] - '0');
    }
    return t->n > 8 ? 999999999u : v;
}

/* ---- the time of a timestamp ---- */

static const char *const zone_words[] = {"z", "utc", "gmt", "msk", "мск", "am", "pm", NULL};

/* Checks the zone, clock and bracketed words after the time; *am_pm when a 12-hour clock. */
static bool time_tail(const struct toks *ts, size_t i, bool *am_pm)
{
    const struct tok *sep = NULL;
    for (; i < ts->n; i++) {
        const struct tok *t = &ts->t[i];
        if (t->kind == TK_SEP) {
            sep = t;
        } else if (t->paren) {
            continue;
        } else if (t->kind == TK_WORD && tok_in(t, zone_words)) {
            *am_pm = *am_pm || tok_is(t, "am") || tok_is(t, "pm");
        } else if (t->kind != TK_NUM || t->n > 4 ||
                   !(has_mark(sep, '+') || has_mark(sep, '-') || has_mark(sep, ':'))) {
            return false;
        }
    }
    return true;
}

/* Finds a time ("0:00:00", "T00:00:00.000Z", "12:00:00 AM") and returns where the date part
 * ends: ts->n when there is none. *bad when the time is not one. */
static size_t split_time(const struct toks *ts, bool *seen, bool *am_pm, bool *bad)
{
    size_t k = 1; /* a colon after a word is a label's ("Дата рождения: ...") */
    while (k < ts->n && !(has_mark(&ts->t[k], ':') && ts->t[k - 1].kind == TK_NUM)) {
        k++;
    }
    *seen = *am_pm = *bad = false;
    if (k >= ts->n) {
        return ts->n;
    }
    *seen = true;
    const struct tok *t = ts->t;
    if (t[k - 1].n > 2 || k + 1 >= ts->n || t[k + 1].kind != TK_NUM || t[k + 1].n != 2) {
        *bad = true;
        return 0;
    }
    unsigned h = tok_num(&t[k - 1]), mi = tok_num(&t[k + 1]), sec = 0;
    size_t i = k + 2;
    if (i + 1 < ts->n && has_mark(&t[i], ':') && t[i + 1].kind == TK_NUM && t[i + 1].n == 2) {
        sec = tok_num(&t[i + 1]);
        i += 2;
        if (i + 1 < ts->n && (has_mark(&t[i], '.') || has_mark(&t[i], ',')) &&
            t[i + 1].kind == TK_NUM) {
            i += 2; /* fractions of a second */
        }
    }
    *bad = !time_tail(ts, i, am_pm) || mi > 59 || sec > 60 || h > (*am_pm ? 12u : 23u);
    size_t end = k - 1;
    if (*bad && (end == 0 || (end == 1 && t[0].kind == TK_SEP))) {
        *seen = *bad = false; /* nothing before it: colons typed for dots ("24:03:1985") */
        return ts->n;
    }
    return end > 0 && tok_is(&t[end - 1], "t") ? end - 1 : end;
}

/* ---- words ---- */

static const char *const months[12][4] = {
    {"январь", "января", "january", NULL},
    {"февраль", "февраля", "february", NULL},
    {"март", "марта", "march", NULL},
    {"апрель", "апреля", "april", NULL},
    {"май", "мая", "may", NULL},
    {"июнь", "июня", "june", NULL},
    {"июль", "июля", "july", NULL},
    {"август", "августа", "august", NULL},
    {"сентябрь", "сентября", "september", NULL},
    {"октябрь", "октября", "october", NULL},
    {"ноябрь", "ноября", "november", NULL},
    {"декабрь", "декабря", "december", NULL},
};

/* Weekdays, "г.", "года", "г.р.", labels: words a date may carry that say nothing. */
static const char *const noise_words[] = {
    "понедельник", "вторник", "среда",     "четверг",  "пятница", "суббота",  "воскресенье",
    "пн",          "вт",      "ср",        "чт",       "пт",      "сб",       "вс",
    "monday",      "tuesday", "wednesday", "thursday", "friday",  "saturday", "sunday",
    "mon",         "tue",     "tues",      "wed",      "thu",     "thur",     "thurs",
    "fri",         "sat",     "sun",       "г",        "гг",      "год",      "года",
    "гр",          "р",       "рожд",      "рождения", "д",       "др",       "дата",
    "род",         "родился", "родилась",  "y",        "yr",      "year",     "born",
    "dob",         NULL};

/* Endings of an ordinal day: "24-го", "24е", "24th". */
static const char *const ordinal_words[] = {"го", "е", "ое", "ого", "st", "nd", "rd", "th", NULL};

/* A month word: a form of one month or its cut ("сент", "мар", "dec"), else one edit away from a
 * whole form ("сентебря"). 0 when none or more than one month fits. */
static unsigned month_word(const struct tok *t)
{
    size_t letters = 0;
    for (size_t i = 0; i < t->n; i++) {
        letters += ((unsigned char)t->s[i] & 0xC0) != 0x80;
    }
    if (t->cut || letters < 3) {
        return 0;
    }
    unsigned found = 0;
    for (unsigned m = 0; m < 12; m++) {
        for (const char *const *f = months[m]; *f != NULL; f++) {
            if (strlen(*f) >= t->n && memcmp(*f, t->s, t->n) == 0 && found != m + 1) {
                found = found ? 13 : m + 1;
            }
        }
    }
    if (found != 0 || letters < 5) {
        return found == 13 ? 0 : found;
    }
    unsigned a[FUZZY_MAX], b[FUZZY_MAX];
    char w[TOK_BYTES];
    memcpy(w, t->s, t->n);
    w[t->n] = '\0';
    size_t na = fuzzy_cps(w, a, FUZZY_MAX);
    for (unsigned m = 0; m < 12; m++) {
        for (const char *const *f = months[m]; *f != NULL; f++) {
            size_t nb = fuzzy_cps(*f, b, FUZZY_MAX);
            if (nb >= 5 && fuzzy_distance(a, na, b, nb, 1) <= 1 && found != m + 1) {
                found = found ? 13 : m + 1;
            }
        }
    }
    return found == 13 ? 0 : found;
}

/* A Roman month, I to XII; the Cyrillic look-alikes "І" and "Х" count as Latin. */
static unsigned roman_month(const struct tok *t)
{
    char r[8];
    size_t n = 0;
    for (size_t i = 0; i < t->n;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)t->s + i, &adv);
        i += adv;
        cp = cp == 0x0456 ? 'i' : cp == 0x0445 ? 'x' : cp;
        if (n == sizeof(r) - 1 || (cp != 'i' && cp != 'v' && cp != 'x')) {
            return 0;
        }
        r[n++] = (char)cp;
    }
    r[n] = '\0';
    for (unsigned m = 1; m <= 12; m++) {
        if (strcmp(roman[m], r) == 0) {
            return m;
        }
    }
    return 0;
}

/* ---- readings ---- */

/* Two-digit years: the latest year that is not after `this_year` (and clean_birth_date takes a
 * century off when the date itself is still to come). */
static unsigned full_year(unsigned y, size_t digits, unsigned this_year)
{
    if (digits > 2) {
        return y;
    }
    unsigned c = this_year / 100 * 100 + y;
    return c > this_year ? c - 100 : c;
}

/* The date part's fields, noise dropped; returns how many (up to 4, more means "too many"). */
static size_t items_of(const struct toks *ts, size_t end, struct item *it, bool *bad_word)
{
    size_t n = 0;
    char sep = ' ';
    bool outside = false; /* a field outside brackets: what is inside is a remark ("(40 лет)") */
    *bad_word = false;
    for (size_t i = 0; i < end; i++) {
        outside = outside || (ts->t[i].kind != TK_SEP && !ts->t[i].paren);
    }
    for (size_t i = 0; i < end; i++) {
        const struct tok *t = &ts->t[i];
        if (outside && t->paren) {
            continue;
        }
        if (t->kind == TK_SEP) {
            sep = sep != ' ' ? sep : t->n ? (char)t->s[strcspn(t->s, ".,/-")] : ' ';
            sep = sep == '\0' || sep == ':' || sep == '+' ? ' ' : sep;
            continue;
        }
        bool after_num = n > 0 && it[n - 1].t->kind == TK_NUM && (sep == ' ' || sep == '-');
        if (t->kind == TK_WORD &&
            (tok_in(t, noise_words) || (after_num && tok_in(t, ordinal_words)))) {
            continue;
        }
        if (n == 4) {
            return 5;
        }
        struct item *x = &it[n++];
        memset(x, 0, sizeof(*x));
        x->t = t;
        x->sep = sep;
        sep = ' ';
        if (t->kind == TK_NUM) {
            x->num = tok_num(t);
        } else if ((x->month = month_word(t)) == 0 && (x->month = roman_month(t)) == 0) {
            *bad_word = true;
        }
    }
    return n;
}

static bool is_num(const struct item *x, size_t min_digits, size_t max_digits)
{
    return x->t->kind == TK_NUM && x->t->n >= min_digits && x->t->n <= max_digits;
}

static bool is_month(const struct item *x)
{
    return x->t->kind == TK_WORD && x->month != 0;
}

static void set(struct reading *r, unsigned y, unsigned m, unsigned d)
{
    r->y = y;
    r->m = m;
    r->d = d;
}

/* Two numbers before the year: day first unless only month first is a date. */
static void day_month(const struct item *a, const struct item *b, unsigned y, bool us_clock,
                      struct reading *r)
{
    bool dmy = date_valid(y, b->num, a->num), mdy = date_valid(y, a->num, b->num);
    set(r, y, b->num, a->num);
    if (!dmy && mdy) {
        set(r, y, a->num, b->num);
        r->change = "month_day_swapped";
    } else if (dmy && mdy && a->num != b->num && b->sep == '/') {
        if (us_clock) {
            set(r, y, a->num, b->num);
            r->change = "month_day_swapped";
        } else {
            r->ambiguous = true;
        }
    }
}

/* Year first: "1985-03-24", "1985-Mar-24", "1985, 24 марта", and "85-03-24" when 85 cannot be a
 * day. False when the fields do not read so. */
static bool year_first(const struct item *it, unsigned this_year, struct reading *r)
{
    const struct item *a = &it[0], *b = &it[1], *c = &it[2];
    if (!is_num(a, 4, 4) && !(is_num(a, 2, 2) && a->num > 31 && !is_num(c, 4, 4))) {
        return false;
    }
    unsigned y = full_year(a->num, a->t->n, this_year);
    r->short_year = a->t->n == 2;
    if (is_num(b, 1, 2) && is_month(c)) {
        set(r, y, c->month, b->num);
        return true;
    }
    if (!is_num(c, 1, 2) || !(is_num(b, 1, 2) || is_month(b))) {
        return false;
    }
    unsigned m = is_month(b) ? b->month : b->num;
    set(r, y, m, c->num);
    if (!is_month(b) && !date_valid(y, m, c->num) && date_valid(y, c->num, m)) {
        set(r, y, c->num, m); /* 1985-24-03 */
        r->change = "month_day_swapped";
    }
    return true;
}

/* Three fields: year first (ISO and its kin) or year last (day month, or an English month). */
static void read_three(const struct item *it, unsigned this_year, bool us_clock, struct reading *r)
{
    const struct item *a = &it[0], *b = &it[1], *c = &it[2];
    if (year_first(it, this_year, r)) {
        return;
    }
    if (!is_num(c, 2, 2) && !is_num(c, 4, 4)) {
        r->fail = "not_a_date";
        return;
    }
    unsigned y = full_year(c->num, c->t->n, this_year);
    r->short_year = c->t->n == 2;
    if (is_num(a, 1, 2) && is_month(b)) {
        set(r, y, b->month, a->num);
    } else if (is_month(a) && is_num(b, 1, 2)) {
        set(r, y, a->month, b->num); /* March 24, 1985 */
    } else if (is_num(a, 1, 2) && is_num(b, 1, 2)) {
        day_month(a, b, y, us_clock, r);
    } else {
        r->fail = "not_a_date";
    }
}

/* Reading `o` (offsets of day, month, year) of the digits `s` with a year of `yd` digits. */
static bool digits_at(const char *s, size_t yd, const unsigned char *o, unsigned this_year,
                      struct reading *r)
{
    unsigned y = 0;
    for (size_t k = 0; k < yd; k++) {
        y = y * 10 + (unsigned)(s[o[2] + k] - '0');
    }
    r->short_year = yd == 2;
    set(r, full_year(y, yd, this_year),
        (unsigned)(s[o[1]] - '0') * 10 + (unsigned)(s[o[1] + 1] - '0'),
        (unsigned)(s[o[0]] - '0') * 10 + (unsigned)(s[o[0] + 1] - '0'));
    return date_valid(r->y, r->m, r->d);
}

/* The first of three readings that is a date not after this year, else the first that is a date,
 * else the first; the third reads month first. */
static void read_digits(const char *s, size_t yd, const unsigned char (*order)[3],
                        unsigned this_year, struct reading *r)
{
    size_t pick = 3;
    for (size_t i = 0; i < 3; i++) {
        if (digits_at(s, yd, order[i], this_year, r) && r->y <= this_year) {
            pick = i;
            break;
        }
        if (pick == 3 && date_valid(r->y, r->m, r->d)) {
            pick = i;
        }
    }
    pick = pick == 3 ? 0 : pick;
    digits_at(s, yd, order[pick], this_year, r);
    r->change = pick == 2 ? "month_day_swapped" : NULL;
}

/* One field: digits alone ("240385", "24031985", "19850324"), an Excel day number ("31130"). */
static void read_one(const struct item *x, unsigned this_year, struct reading *r)
{
    static const unsigned char eight[][3] = {{6, 4, 0}, {0, 2, 4}, {2, 0, 4}};
    static const unsigned char six[][3] = {{0, 2, 4}, {4, 2, 0}, {2, 0, 4}};
    const struct tok *t = x->t;
    if (t->kind == TK_WORD) {
        r->fail = is_month(x) ? "incomplete_date" : "not_a_date";
    } else if (t->n == 8) {
        read_digits(t->s, 4, eight, this_year, r);
    } else if (t->n == 6) {
        read_digits(t->s, 2, six, this_year, r);
    } else if (t->n == 5 && x->num >= 10000 && x->num <= 60000) {
        int64_t y;
        civil_from_days(days_from_civil(1899, 12, 30) + x->num, &y, &r->m, &r->d);
        r->y = (unsigned)y;
        r->change = "excel_serial";
    } else {
        r->fail = t->n == 4 && x->num >= 1000 && x->num < 3000 ? "incomplete_date" : "not_a_date";
    }
}

/* Two fields: an Excel day number with a zero fraction ("31130,0"), else a date without its day
 * or its year ("03.1985", "24 марта"), else not a date. */
static void read_two(const struct item *it, unsigned this_year, struct reading *r)
{
    const struct item *a = &it[0], *b = &it[1];
    if (is_num(a, 5, 5) && b->t->kind == TK_NUM && b->num == 0 && b->t->n <= 3 &&
        (b->sep == '.' || b->sep == ',')) {
        read_one(a, this_year, r);
        return;
    }
    bool a_part = is_num(a, 1, 2) || is_month(a) || is_num(a, 4, 4);
    bool b_part = is_num(b, 1, 2) || is_month(b) || is_num(b, 4, 4);
    r->fail = a_part && b_part ? "incomplete_date" : "not_a_date";
}

/* ---- verdict ---- */

/* The empty dates other systems write: 1C's 01.01.0001, MySQL's 0000-00-00, Excel's day zero
 * (00.01.1900 / 30.12.1899) and 01.01.1900, and 11.11.1911. Never a birth date. */
static bool empty_date(unsigned y, unsigned m, unsigned d)
{
    return y <= 1 || (y == 1900 && m <= 1 && d <= 1) || (y == 1899 && m == 12 && d >= 30) ||
           (y == 1901 && m == 1 && d == 1) || (m == 11 && d == 11 && (y == 1911 || y == 1111));
}

static const char *refusal(const struct reading *r, long long today_days, int64_t age)
{
    if (r->fail != NULL) {
        return r->fail;
    }
    if (empty_date(r->y, r->m, r->d)) {
        return "placeholder_date";
    }
    if (!date_valid(r->y, r->m, r->d)) {
        return "no_such_date";
    }
    if (days_from_civil(r->y, r->m, r->d) > today_days) {
        return "in_future";
    }
    return age < 14 ? "under_14" : age > 110 ? "over_110" : NULL;
}

/* Reads the date out of clean text; the time, if any, is gone. */
static void read_date(const char *text, unsigned this_year, struct reading *r, bool *timed)
{
    struct toks ts;
    struct item it[4];
    bool am_pm, bad, bad_word;
    memset(r, 0, sizeof(*r));
    tokenize(text, &ts);
    size_t end = ts.overflow ? 0 : split_time(&ts, timed, &am_pm, &bad);
    size_t n = ts.overflow || bad ? 0 : items_of(&ts, end, it, &bad_word);
    if (n == 0 || n > 3 || bad_word) {
        r->fail = "not_a_date";
    } else if (n == 3) {
        read_three(it, this_year, am_pm, r);
    } else if (n == 2) {
        read_two(it, this_year, r);
    } else {
        read_one(&it[0], this_year, r);
    }
}

/* The date in clean text as a reading (`ty` etc.: today), a two-digit year put in the latest
 * century not to come. False when the text itself is refused (out->reason says why). */
static bool read_clean(const char *in, size_t len, long long today_days, struct arena *a,
                       struct clean_out *out, const char **text, struct reading *r, bool *timed)
{
    memset(out, 0, sizeof(*out));
    out->verdict = CLEAN_INVALID;
    struct clean_out t;
    clean_text(in, len, 100, a, &t);
    if (t.verdict == CLEAN_INVALID) {
        out->reason = t.reason;
        return false;
    }
    int64_t ty;
    unsigned tm, td;
    civil_from_days(today_days, &ty, &tm, &td);
    read_date(t.value, (unsigned)ty, r, timed);
    if (r->fail == NULL && r->short_year && r->y >= 100 && date_valid(r->y, r->m, r->d) &&
        days_from_civil(r->y, r->m, r->d) > today_days) {
        r->y -= 100; /* "24.12.25" in November 2025 is 1925: the latest such date not to come */
    }
    *text = t.value;
    return true;
}

/* The standard form of a reading that stands, and whether it changed anything. */
static void accept(const char *text, const struct reading *r, bool timed, struct arena *a,
                   struct clean_out *out)
{
    out->value = arena_printf(a, "%04u-%02u-%02u", r->y, r->m, r->d);
    bool same = strcmp(text, out->value) == 0; /* outer spaces aside, as typed */
    out->verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
    out->change = same ? NULL : r->change ? r->change : timed ? "time_dropped" : "date_format";
    if (r->ambiguous) {
        out->verdict = CLEAN_SUSPICIOUS;
        out->reason = "ambiguous_order";
    }
}

void clean_birth_date(const char *in, size_t len, long long today_days, struct arena *a,
                      struct clean_out *out)
{
    const char *text;
    struct reading r;
    bool timed;
    if (!read_clean(in, len, today_days, a, out, &text, &r, &timed)) {
        return;
    }
    int64_t ty;
    unsigned tm, td;
    civil_from_days(today_days, &ty, &tm, &td);
    int64_t age = ty - (int64_t)r.y - ((tm < r.m || (tm == r.m && td < r.d)) ? 1 : 0);
    if ((out->reason = refusal(&r, today_days, age)) != NULL) {
        return;
    }
    accept(text, &r, timed, a, out);
    if (r.m == 1 && r.d == 1 && (r.y == 1970 || r.y == 2000)) {
        out->verdict = CLEAN_SUSPICIOUS;
        out->reason = "placeholder_date";
    } else if (age > 100) {
        out->verdict = CLEAN_SUSPICIOUS;
        out->reason = "over_100";
    }
}

void clean_date(const char *in, size_t len, long long today_days, struct arena *a,
                struct clean_out *out)
{
    const char *text;
    struct reading r;
    bool timed;
    if (!read_clean(in, len, today_days, a, out, &text, &r, &timed)) {
        return;
    }
    if ((out->reason = r.fail) != NULL) {
        return;
    }
    if (empty_date(r.y, r.m, r.d)) {
        out->reason = "placeholder_date";
        return;
    }
    if (!date_valid(r.y, r.m, r.d)) {
        out->reason = "no_such_date";
        return;
    }
    accept(text, &r, timed, a, out);
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
