/*
 * city_near.c - a listed city that is near what was typed: one or two letters off
 * ("Новосибирк"), cut short ("Н. Новгород", "Петропавловск-Камч."), written in Latin letters
 * ("Yekaterinburg", "Nizhniy Novgorod") or with the Latin layout on ("Vjcrdf").
 *
 * The rule that matters most: a real place must never become another. Only a name that is not on
 * the list is compared (city.c looks it up first); the threshold grows with the length (none
 * under five letters, one edit to ten, two above); exactly one city must be nearest; and a
 * difference that is only a village's ending is not a typo ("Кирово" is not Киров, "Николаевка"
 * is not Николаевск, "Октябрьское" is not Октябрьский).
 *
 * The derived table (keys as code points, loose keys for Latin text, the words of each name) is
 * built once from data.c's list and is read-only after that.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clean/city.h"
#include "clean/internal.h"

struct near {
    const char *std;
    enum city_kind kind;
    const char *key;   /* city_key */
    const char *loose; /* loose key (see loose()) */
    unsigned cps[FUZZY_MAX];
    size_t n_cps; /* code points of key; FUZZY_MAX + 1 when longer */
    unsigned lcps[FUZZY_MAX];
    size_t n_lcps; /* code points of loose */
    char **words;  /* words of key, for abbreviations */
    size_t n_words;
};

static struct arena near_arena; /* owns the table; lives for the process */
static struct near *tab;
static size_t n_tab;
static const struct near **by_loose; /* tab sorted by loose key */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* ---- loose keys: what survives a transliteration ---- */

/* й, ы as и; э, ё as е; no ь, ъ; тс as ц; no doubled letters. "Братск" and "Bratsk" ("брацк"),
 * "Нижний" and "Nizhny" ("нижни") meet. */
static char *loose(const char *key, struct arena *a)
{
    size_t len = strlen(key), j = 0;
    char *out = arena_alloc(a, len + 1);
    unsigned prev = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)key + i, &adv);
        i += adv;
        cp = cp == 0x439 || cp == 0x44B ? 0x438 : cp == 0x44D || cp == 0x451 ? 0x435 : cp;
        if (cp == 0x44C || cp == 0x44A || cp == prev) {
            continue;
        }
        if (cp == 0x441 && prev == 0x442) { /* тс */
            j -= 2;
            cp = 0x446;
        }
        j += utf8_put(cp, out + j);
        prev = cp;
    }
    out[j] = '\0';
    return out;
}

static int cmp_loose(const void *x, const void *y)
{
    return strcmp((*(const struct near *const *)x)->loose, (*(const struct near *const *)y)->loose);
}

static void split_words(struct near *e)
{
    e->n_words = 1;
    for (const char *p = e->key; *p != '\0'; p++) {
        e->n_words += *p == ' ';
    }
    e->words = arena_alloc(&near_arena, sizeof(char *) * e->n_words);
    char *k = arena_strdup(&near_arena, e->key);
    for (size_t i = 0; i < e->n_words; i++) {
        e->words[i] = k;
        k += strcspn(k, " ");
        if (*k == ' ') {
            *k++ = '\0';
        }
    }
}

static void build(void)
{
    arena_init(&near_arena, 64 * 1024);
    n_tab = data_city_count();
    tab = arena_zalloc(&near_arena, sizeof(*tab) * (n_tab ? n_tab : 1));
    by_loose = arena_alloc(&near_arena, sizeof(*by_loose) * (n_tab ? n_tab : 1));
    for (size_t i = 0; i < n_tab; i++) {
        struct near *e = &tab[i];
        e->std = data_city_at(i, &e->key, &e->kind);
        e->loose = loose(e->key, &near_arena);
        e->n_cps = fuzzy_cps(e->key, e->cps, FUZZY_MAX);
        e->n_lcps = fuzzy_cps(e->loose, e->lcps, FUZZY_MAX);
        split_words(e);
        by_loose[i] = e;
    }
    qsort(by_loose, n_tab, sizeof(*by_loose), cmp_loose);
}

static void near_load(void)
{
    pthread_once(&once, build);
}

/* ---- typos ---- */

static bool in_set(const unsigned *s, size_t n, const char *const *set, struct arena *a)
{
    char *t = arena_alloc(a, n * 4 + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        j += utf8_put(s[i], t + j);
    }
    t[j] = '\0';
    for (; *set != NULL; set++) {
        if (strcmp(t, *set) == 0) {
            return true;
        }
    }
    return false;
}

static bool vowel(unsigned cp);
static bool slip(unsigned x, unsigned y);

/* True when typed and listed differ only where a village's name differs from a town's: the
 * typed tail is an ending of villages ("-о", "-ое", "-ка") and the listed tail one of towns. */
static bool village_ending(const unsigned *x, size_t nx, const unsigned *y, size_t ny,
                           struct arena *a)
{
    static const char *const village[] = {"о",   "е",    "ое",   "а",  "ка",   "ая",   "ий",  "ый",
                                          "ой",  "и",    "ы",    "ки", "ское", "цкое", "ово", "ево",
                                          "ино", "овка", "евка", "ье", "ья",   NULL};
    static const char *const town[] = {"",  "ск", "й", "ий", "ый", "ой",   "ь",    "а", "о",
                                       "е", "и",  "ы", "цк", "к",  "ский", "ская", NULL};
    size_t p = 0;
    while (p < nx && p < ny && x[p] == y[p]) {
        p++;
    }
    if (nx - p == 1 && ny - p == 1 && vowel(x[p]) && vowel(y[p]) && slip(x[p], y[p])) {
        return false; /* "Кемерова", "Люберци": a vowel as it sounds */
    }
    return in_set(x + p, nx - p, village, a) && in_set(y + p, ny - p, town, a);
}

/* Row and column of a Cyrillic letter on the ЙЦУКЕН keyboard; false for other letters. */
static bool key_at(unsigned cp, int *row, int *col)
{
    static const char *const rows[] = {"йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"};
    for (int r = 0; r < 3; r++) {
        const char *p = rows[r];
        for (int c = 0; *p != '\0'; c++) {
            size_t adv;
            if (utf8_get((const unsigned char *)p, &adv) == cp) {
                *row = r;
                *col = c;
                return true;
            }
            p += adv;
        }
    }
    return false;
}

/* A letter typed for another: a neighbouring key, or a sound written two ways (а/о, е/и, з/с,
 * ц/с, б/п, ...). "Искра" is not a slip for Истра, nor "Кировское" for Куровское. */
static bool slip(unsigned x, unsigned y)
{
    static const char *const pairs[] = {"ао", "еи", "ея", "иы", "еэ", "зс", "бп", "дт", "гк", "вф",
                                        "жш", "цс", "чщ", "шщ", "йи", "ьъ", "ая", "ую", "ыи", "ей"};
    int rx, cx, ry, cy;
    if (key_at(x, &rx, &cx) && key_at(y, &ry, &cy) &&
        ((rx == ry && (cx - cy == 1 || cy - cx == 1)) ||
         (ry == rx + 1 && (cy == cx || cy == cx - 1)) ||
         (rx == ry + 1 && (cx == cy || cx == cy - 1)))) {
        return true;
    }
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        size_t adv;
        unsigned a = utf8_get((const unsigned char *)pairs[i], &adv);
        unsigned b = utf8_get((const unsigned char *)pairs[i] + adv, &adv);
        if ((a == x && b == y) || (a == y && b == x)) {
            return true;
        }
    }
    return false;
}

/* One letter replaced by one that is not a slip of it: another word, not a typo. */
static bool foreign_letter(const unsigned *x, const unsigned *y, size_t n)
{
    size_t diff = 0, at = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            diff++;
            at = i;
        }
    }
    return diff == 1 && !slip(x[at], y[at]);
}

struct best {
    const struct near *e;
    unsigned d;
    bool tie; /* another city is as near */
};

static void consider(struct best *b, const struct near *e, unsigned d)
{
    if (b->e == NULL || d < b->d) {
        b->e = e;
        b->d = d;
        b->tie = false;
    } else if (d == b->d && strcmp(b->e->std, e->std) != 0) {
        b->tie = true;
    }
}

/* The nearest entry to the code points s[0, n) within max edits, by key or by loose key. */
static struct best nearest(const unsigned *s, size_t n, unsigned max, bool by_loose_key)
{
    struct best b = {NULL, max + 1, false};
    for (size_t i = 0; i < n_tab; i++) {
        const struct near *e = &tab[i];
        const unsigned *c = by_loose_key ? e->lcps : e->cps;
        size_t nc = by_loose_key ? e->n_lcps : e->n_cps;
        if ((e->kind == CITY_FORMER && n < 7) || nc > FUZZY_MAX ||
            (nc > n ? nc - n : n - nc) > max || n < 2 || nc < 2 || (c[0] != s[0] && c[1] != s[1])) {
            continue; /* a typo seldom touches both first letters */
        }
        unsigned d = fuzzy_distance(s, n, c, nc, b.e && !b.tie ? b.d : max);
        if (d <= max) {
            consider(&b, e, d);
        }
    }
    return b;
}

static unsigned threshold(size_t letters)
{
    return letters < 5 ? 0 : letters <= 10 ? 1 : 2;
}

const char *city_near_typo(const char *key, struct arena *a, enum city_via *via)
{
    near_load();
    unsigned s[FUZZY_MAX];
    size_t n = fuzzy_cps(key, s, FUZZY_MAX);
    unsigned max = n > FUZZY_MAX ? 0 : threshold(n);
    if (max == 0) {
        return NULL;
    }
    struct best b = nearest(s, n, max, false);
    if (b.e == NULL && n >= 6) {
        unsigned l[FUZZY_MAX]; /* "Иркуцк", "Тольяти": the same once spelling is loose */
        size_t nl = fuzzy_cps(loose(key, a), l, FUZZY_MAX);
        b = nearest(l, nl, 0, true);
    }
    if (b.e == NULL || b.tie || village_ending(s, n, b.e->cps, b.e->n_cps, a) ||
        (b.e->n_cps == n && foreign_letter(s, b.e->cps, n))) {
        return NULL;
    }
    *via = b.e->kind == CITY_FORMER ? VIA_FORMER : VIA_TYPO;
    return b.e->std;
}

/* ---- Latin letters ---- */

static bool vowel(unsigned cp)
{
    static const unsigned v[] = {0x430, 0x435, 0x451, 0x438, 0x43E,
                                 0x443, 0x44B, 0x44D, 0x44E, 0x44F};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (v[i] == cp) {
            return true;
        }
    }
    return false;
}

/* Latin (lower case) to Cyrillic by the usual schemes (BGN, passport, GOST, what people type):
 * longest match first. */
static const char *const translit[][2] = {
    {"shch", "щ"}, {"sch", "щ"}, {"tch", "ч"}, {"zh", "ж"}, {"kh", "х"}, {"ts", "ц"},
    {"tz", "ц"},   {"ch", "ч"},  {"sh", "ш"},  {"yu", "ю"}, {"ju", "ю"}, {"ya", "я"},
    {"ja", "я"},   {"ia", "ия"}, {"jo", "ё"},  {"ye", "е"}, {"je", "е"}, {"iy", "ий"},
    {"yy", "ый"},  {"ck", "к"},  {"x", "кс"},  {"w", "в"},  {"q", "к"},  {"c", "ц"},
    {"h", "х"},    {"j", "й"},   {"a", "а"},   {"b", "б"},  {"d", "д"},  {"e", "е"},
    {"f", "ф"},    {"g", "г"},   {"i", "и"},   {"k", "к"},  {"l", "л"},  {"m", "м"},
    {"n", "н"},    {"o", "о"},   {"p", "п"},   {"r", "р"},  {"s", "с"},  {"t", "т"},
    {"u", "у"},    {"v", "в"},   {"z", "з"},
};

/* One Latin letter group at text[i] into out; returns the Latin bytes used. */
static size_t translit_one(const char *text, size_t i, char *out, size_t *j, unsigned prev)
{
    bool initial = prev == 0 || prev == ' ';
    if (text[i] == 'y' && text[i + 1] == 'o') {
        *j += utf8_put(initial ? 0x439 : 0x451, out + *j); /* Yoshkar-Ola, but Oryol */
        *j += initial ? utf8_put(0x43E, out + *j) : 0;
        return 2;
    }
    if (text[i] == 'y' && text[i + 1] != 'u' && text[i + 1] != 'a' && text[i + 1] != 'e' &&
        text[i + 1] != 'y') {
        *j += utf8_put(initial || vowel(prev) ? 0x439 : 0x44B, out + *j);
        return 1;
    }
    for (size_t t = 0; t < sizeof(translit) / sizeof(translit[0]); t++) {
        size_t n = strlen(translit[t][0]);
        if (strncmp(text + i, translit[t][0], n) == 0) {
            size_t m = strlen(translit[t][1]);
            memcpy(out + *j, translit[t][1], m);
            *j += m;
            return n;
        }
    }
    out[(*j)++] = ' ';
    return 1;
}

static char *to_cyrillic(const char *latin, struct arena *a)
{
    char *text = city_key(latin, strlen(latin), a); /* lower case, words and single spaces */
    size_t len = strlen(text), j = 0;
    char *out = arena_alloc(a, len * 4 + 1);
    for (size_t i = 0; i < len;) {
        size_t adv;
        unsigned prev =
            j ? utf8_get((const unsigned char *)out + j - (out[j - 1] & 0x80 ? 2 : 1), &adv) : 0;
        i += translit_one(text, i, out, &j, prev);
    }
    out[j] = '\0';
    return out;
}

const char *city_near_latin(const char *text, struct arena *a, enum city_via *via)
{
    near_load();
    char *l = loose(to_cyrillic(text, a), a);
    struct near probe = {.loose = l};
    const struct near *pp = &probe;
    const struct near **hit =
        n_tab ? bsearch(&pp, by_loose, n_tab, sizeof(*by_loose), cmp_loose) : NULL;
    struct best b = {NULL, 0, false};
    if (hit != NULL) {
        while (hit > by_loose && strcmp(hit[-1]->loose, l) == 0) {
            hit--;
        }
        for (; hit < by_loose + n_tab && strcmp((*hit)->loose, l) == 0; hit++) {
            consider(&b, *hit, 0);
        }
    } else {
        unsigned s[FUZZY_MAX];
        size_t n = fuzzy_cps(l, s, FUZZY_MAX);
        unsigned max = n > FUZZY_MAX || n < 6 ? 0 : n <= 11 ? 1 : 2;
        b = max ? nearest(s, n, max, true) : b;
    }
    if (b.e == NULL || b.tie) {
        return NULL;
    }
    *via = b.e->kind == CITY_FORMER ? VIA_FORMER : VIA_LATIN;
    return b.e->std;
}

/* ---- the Latin layout ---- */

char *city_layout_fix(const char *text, struct arena *a)
{
    static const char lat[] =
        "qwertyuiop[]asdfghjkl;'zxcvbnm,.`QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~/?";
    static const unsigned cyr[] = {
        0x439, 0x446, 0x443, 0x43A, 0x435, 0x43D, 0x433, 0x448, 0x449, 0x437, 0x445, 0x44A,
        0x444, 0x44B, 0x432, 0x430, 0x43F, 0x440, 0x43E, 0x43B, 0x434, 0x436, 0x44D, 0x44F,
        0x447, 0x441, 0x43C, 0x438, 0x442, 0x44C, 0x431, 0x44E, 0x451, 0x419, 0x426, 0x423,
        0x41A, 0x415, 0x41D, 0x413, 0x428, 0x429, 0x417, 0x425, 0x42A, 0x424, 0x42B, 0x412,
        0x410, 0x41F, 0x420, 0x41E, 0x41B, 0x414, 0x416, 0x42D, 0x42F, 0x427, 0x421, 0x41C,
        0x418, 0x422, 0x42C, 0x411, 0x42E, 0x401, '.',   ','};
    size_t len = strlen(text), j = 0;
    bool letter = false;
    char *out = arena_alloc(a, len * 2 + 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        const char *hit = c != 0 && c < 0x80 ? strchr(lat, c) : NULL;
        if (c >= 0x80) {
            return NULL;
        }
        letter = letter || (hit != NULL && hit - lat < 66);
        j += hit ? utf8_put(cyr[hit - lat], out + j) : utf8_put(c, out + j);
    }
    out[j] = '\0';
    return letter ? out : NULL;
}

/* ---- abbreviations ---- */

static size_t letters(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* Does word w abbreviate listed word c? *whole when it is all of it. */
static bool abbreviates(const char *w, const char *c, bool *whole)
{
    size_t n = strlen(w);
    *whole = strcmp(w, c) == 0;
    return strncmp(w, c, n) == 0;
}

const char *city_near_abbrev(char *const *words, const bool *may_cut, size_t n, struct arena *a)
{
    near_load();
    if (n < 2) {
        return NULL;
    }
    struct best b = {NULL, 0, false};
    for (size_t i = 0; i < n_tab; i++) {
        const struct near *e = &tab[i];
        if (e->n_words != n) {
            continue;
        }
        bool fits = true, long_whole = false, cut = false;
        for (size_t k = 0; k < n && fits; k++) {
            bool whole;
            fits = abbreviates(words[k], e->words[k], &whole) && (whole || may_cut[k]);
            long_whole = long_whole || (whole && letters(words[k]) >= 4);
            cut = cut || !whole;
        }
        if (fits && long_whole && cut) {
            consider(&b, e, 0);
        }
    }
    return b.e != NULL && !b.tie ? b.e->std : NULL;
}
