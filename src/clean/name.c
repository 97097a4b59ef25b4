/*
 * name.c - Russian full names (ФИО): split, case, scripts, layout slips, gender.
 *
 * The whole name is worked token by token. A token is letters with inner hyphens or apostrophes
 * ("Петрова-Водкина", "Д'Артаньян"), or an initial ("И."). Each token is classified by what it
 * looks like - a patronymic by its ending (-ович, -евна, ...), a first name by the shipped lists,
 * a surname by its ending (-ов, -ина, -ский, ...) - and the parts are assigned by the order that
 * fits best: "Фамилия Имя Отчество" when in doubt, as on Russian documents.
 *
 * Not here: diminutives (Саша for Александр), foreign name orders beyond the Latin script, and
 * anything that needs the database (duplicates are found by the quality report on the key
 * clean_name_key() makes).
 */
#include <string.h>

#include "base/buf.h"
#include "clean/clean.h"
#include "clean/internal.h"

/* ---- letters ------------------------------------------------------------------------------ */

/* QWERTY key -> the Cyrillic letter on the same key of the ЙЦУКЕН layout. */
static unsigned layout_cyr(unsigned c)
{
    static const char *const lat =
        "qwertyuiop[]asdfghjkl;'zxcvbnm,.`QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~";
    static const unsigned cyr[] = {
        0x439, 0x446, 0x443, 0x43A, 0x435, 0x43D, 0x433, 0x448, 0x449, 0x437, 0x445,
        0x44A, 0x444, 0x44B, 0x432, 0x430, 0x43F, 0x440, 0x43E, 0x43B, 0x434, 0x436,
        0x44D, 0x44F, 0x447, 0x441, 0x43C, 0x438, 0x442, 0x44C, 0x431, 0x44E, 0x451,
        0x419, 0x426, 0x423, 0x41A, 0x415, 0x41D, 0x413, 0x428, 0x429, 0x417, 0x425,
        0x42A, 0x424, 0x42B, 0x412, 0x410, 0x41F, 0x420, 0x41E, 0x41B, 0x414, 0x416,
        0x42D, 0x42F, 0x427, 0x421, 0x41C, 0x418, 0x422, 0x42C, 0x411, 0x42E, 0x401};
    const char *hit = c < 0x80 && c != 0 ? strchr(lat, (int)c) : NULL;
    return hit ? cyr[hit - lat] : 0;
}

/* Latin letters that look like Cyrillic ones, and the way back. */
static const unsigned glyph_lat[] = {'A', 'a', 'B', 'C', 'c', 'E', 'e', 'H', 'K', 'k',
                                     'M', 'O', 'o', 'P', 'p', 'T', 'X', 'x', 'y', 'Y'};
static const unsigned glyph_cyr[] = {0x410, 0x430, 0x412, 0x421, 0x441, 0x415, 0x435,
                                     0x41D, 0x41A, 0x43A, 0x41C, 0x41E, 0x43E, 0x420,
                                     0x440, 0x422, 0x425, 0x445, 0x443, 0x423};
#define N_GLYPHS (sizeof(glyph_lat) / sizeof(glyph_lat[0]))

static unsigned swap_glyph(unsigned cp, bool to_cyr)
{
    for (size_t i = 0; i < N_GLYPHS; i++) {
        if (to_cyr && glyph_lat[i] == cp) {
            return glyph_cyr[i];
        }
        if (!to_cyr && glyph_cyr[i] == cp) {
            return glyph_lat[i];
        }
    }
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static size_t n_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* Latin -> Cyrillic, for looking names written in Latin letters up (not for display). */
static char *translit_key(const char *key, struct arena *a)
{
    static const struct {
        const char *lat;
        const char *cyr;
    } map[] = {{"shch", "щ"}, {"sch", "щ"}, {"zh", "ж"},  {"kh", "х"},  {"ts", "ц"},  {"ch", "ч"},
               {"sh", "ш"},   {"yu", "ю"},  {"ya", "я"},  {"yo", "е"},  {"ye", "е"},  {"iy", "ий"},
               {"yy", "ый"},  {"ey", "ей"}, {"ay", "ай"}, {"oy", "ой"}, {"uy", "уй"}, {"a", "а"},
               {"b", "б"},    {"v", "в"},   {"w", "в"},   {"g", "г"},   {"d", "д"},   {"e", "е"},
               {"z", "з"},    {"i", "и"},   {"y", "ы"},   {"k", "к"},   {"c", "к"},   {"q", "к"},
               {"l", "л"},    {"m", "м"},   {"n", "н"},   {"o", "о"},   {"p", "п"},   {"r", "р"},
               {"s", "с"},    {"t", "т"},   {"u", "у"},   {"f", "ф"},   {"h", "х"},   {"x", "кс"},
               {"j", "й"},    {"-", "-"}};
    size_t len = strlen(key);
    char *out = arena_alloc(a, len * 4 + 1);
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        size_t k = 0;
        while (k < sizeof(map) / sizeof(map[0]) &&
               strncmp(key + i, map[k].lat, strlen(map[k].lat)) != 0) {
            k++;
        }
        if (k == sizeof(map) / sizeof(map[0])) {
            i++; /* a letter we do not map (an apostrophe, an accent) is dropped */
            continue;
        }
        size_t m = strlen(map[k].cyr);
        memcpy(out + j, map[k].cyr, m);
        j += m;
        i += strlen(map[k].lat);
    }
    out[j] = '\0';
    return out;
}

/* ---- token classes -------------------------------------------------------------------------- */

static int patronymic_sex(const char *key)
{
    if (ends_with(key, "овна") || ends_with(key, "евна") || ends_with(key, "ична") ||
        ends_with(key, "кызы")) {
        return NAME_FEMALE;
    }
    if (ends_with(key, "ович") || ends_with(key, "евич") || ends_with(key, "ьич") ||
        ends_with(key, "оглы") || ends_with(key, "улы") ||
        (ends_with(key, "ич") && n_chars(key) >= 5)) {
        return NAME_MALE;
    }
    return NAME_NONE;
}

static int surname_sex(const char *key)
{
    static const char *const f[] = {"ова", "ева", "ина", "ына", "ская", "цкая", "ая"};
    static const char *const m[] = {"ов", "ев", "ин", "ын", "ский", "цкий", "ской", "ой", "ый"};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (ends_with(key, f[i]) && n_chars(key) > 4) {
            return NAME_FEMALE;
        }
    }
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        if (ends_with(key, m[i]) && n_chars(key) > 3) {
            return NAME_MALE;
        }
    }
    return NAME_NONE;
}

/* True for the endings surnames have beyond the gendered ones (-енко, -ук, -дзе, -ян, ...). */
static bool surname_like(const char *key)
{
    static const char *const other[] = {"енко", "ко",  "ук", "юк", "дзе", "швили",
                                        "ян",   "янц", "их", "ых", "ец",  "ич"};
    if (surname_sex(key) != NAME_NONE) {
        return true;
    }
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        if (ends_with(key, other[i]) && n_chars(key) > strlen(other[i]) / 2 + 2) {
            return true;
        }
    }
    return false;
}

/* Placeholders people type instead of a name. */
static bool placeholder(const char *key)
{
    static const char *const junk[] = {
        "тест",       "тестов",      "тестова",     "тестович", "тестовна",     "тестовый",
        "test",       "tester",      "testov",      "фыва",     "фывап",        "олдж",
        "йцукен",     "ячсмит",      "asdf",        "qwerty",   "qwe",          "нет",
        "неизвестно", "неизвестный", "неизвестная", "аноним",   "anonymous",    "клиент",
        "покупатель", "гость",       "guest",       "user",     "пользователь", "xxx",
        "ххх",        "name",        "имя",         "фамилия",  "отчество",     "no",
        "none",       "null"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        if (strcmp(key, junk[i]) == 0) {
            return true;
        }
    }
    /* "ааа", "ыыы": one letter over and over */
    size_t adv0;
    unsigned first = utf8_get((const unsigned char *)key, &adv0);
    size_t n = 0;
    bool same = true;
    for (size_t i = 0; key[i] != '\0'; n++) {
        size_t adv; /* read every letter: a skipped read would leave a stale advance */
        unsigned cp = utf8_get((const unsigned char *)key + i, &adv);
        same = same && cp == first;
        i += adv;
    }
    return same && n >= 2;
}

/* ---- one token ---------------------------------------------------------------------------- */

struct tok {
    char *text; /* standard form */
    char *key;  /* fold key (translit for Latin) */
    bool latin;
    bool initial; /* "И." */
};

struct work {
    struct arena *a;
    const char *invalid;     /* reason, first wins */
    const char *suspicious;  /* reason */
    bool homoglyphs, layout; /* what was changed */
};

/* Standard form of one token `s` (n bytes, no spaces); NULL when invalid (w->invalid says why). */
static char *norm_token(struct work *w, const char *s, size_t n, bool *latin)
{
    size_t cyr = 0, lat = 0;
    for (size_t i = 0; i < n;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        i += adv;
        if (cp_is_cyrillic(cp)) {
            cyr++;
        } else if (cp_is_latin(cp)) {
            lat++;
        } else if (cp >= '0' && cp <= '9') {
            w->invalid = w->invalid ? w->invalid : "digits";
            return NULL;
        } else if (cp != '-' && cp != '\'' && cp != 0x2019 && cp != '.') {
            w->invalid = w->invalid ? w->invalid : "bad_character";
            return NULL;
        }
    }
    if (cyr + lat == 0) {
        w->invalid = w->invalid ? w->invalid : "bad_character";
        return NULL;
    }
    /* Hyphens and apostrophes join letters: not at either end, never two in a row. */
    for (size_t i = 0; i < n; i++) {
        bool punct = s[i] == '-' || s[i] == '\'';
        bool edge = i == 0 || i == n - 1 || s[i + 1] == '-' || s[i + 1] == '\'' || s[i + 1] == '.';
        if (punct && edge) {
            w->invalid = w->invalid ? w->invalid : "bad_character";
            return NULL;
        }
    }
    /* A dot belongs only to an initial: one letter and the dot ("И."). */
    const char *dot = memchr(s, '.', n);
    if (dot != NULL && (dot != s + n - 1 || cyr + lat != 1)) {
        w->invalid = w->invalid ? w->invalid : "bad_character";
        return NULL;
    }
    bool to_cyr = cyr >= lat;
    *latin = !to_cyr;
    char *out = arena_alloc(w->a, n * 2 + 1);
    size_t j = 0;
    bool start = true;
    size_t part_letters = 0; /* letters since the last hyphen, dot or apostrophe */
    for (size_t i = 0; i < n;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        i += adv;
        if (cyr > 0 && lat > 0 && (to_cyr ? cp_is_latin(cp) : cp_is_cyrillic(cp))) {
            unsigned g = swap_glyph(cp, to_cyr);
            if (g == 0) {
                w->invalid = w->invalid ? w->invalid : "mixed_script";
                return NULL;
            }
            cp = g;
            w->homoglyphs = true;
        }
        if (cp == '-' || cp == '.') {
            start = true;
            part_letters = 0;
            j += utf8_put(cp, out + j);
            continue;
        }
        if (cp == 0x2019) {
            cp = '\'';
        }
        if (cp == '\'') {
            /* O'Brien, Д'Артаньян: one letter, the apostrophe, a capital */
            out[j++] = '\'';
            start = part_letters == 1;
            part_letters = 0;
            continue;
        }
        j += utf8_put(start ? cp_upper(cp) : cp_lower(cp), out + j);
        start = false;
        part_letters++;
    }
    out[j] = '\0';
    return out;
}

/* Splits the cleaned text at spaces into tokens; initials "И.И." become two. */
static size_t tokenize(struct work *w, const char *text, struct tok *toks, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (*p != '\0' && !w->invalid) {
        size_t len = strcspn(p, " ");
        /* initials written together: "И.И." */
        const char *q = p;
        while (q < p + len) {
            size_t part = len - (size_t)(q - p);
            const char *dot = memchr(q, '.', part);
            size_t plen = dot && dot + 1 < p + len ? (size_t)(dot - q) + 1 : part;
            if (n == max) {
                w->invalid = "too_many_parts";
                return n;
            }
            bool latin = false;
            char *t = norm_token(w, q, plen, &latin);
            if (t == NULL) {
                return n;
            }
            toks[n].text = t;
            toks[n].latin = latin;
            toks[n].initial = t[strlen(t) - 1] == '.' && n_chars(t) <= 3;
            char *key = fold_key(t, strlen(t), w->a);
            toks[n].key = latin ? translit_key(key, w->a) : key;
            n++;
            q += plen;
        }
        p += len;
        while (*p == ' ') {
            p++;
        }
    }
    return n;
}

/* Share of vowels among the letters, in 1/100: Latin "aeiouy" or Cyrillic vowels. */
static int vowel_pct(const char *s)
{
    int letters = 0, vowels = 0;
    for (size_t i = 0; s[i] != '\0';) {
        size_t adv;
        unsigned cp = cp_lower(utf8_get((const unsigned char *)s + i, &adv));
        i += adv;
        if (cp_is_latin(cp) || cp_is_cyrillic(cp)) {
            letters++;
            vowels += strchr("aeiouy", (int)(cp < 0x80 ? cp : 1)) != NULL && cp < 0x80;
            vowels += cp == 0x430 || cp == 0x435 || cp == 0x451 || cp == 0x438 || cp == 0x43E ||
                      cp == 0x443 || cp == 0x44B || cp == 0x44D || cp == 0x44E || cp == 0x44F;
        }
    }
    return letters ? vowels * 100 / letters : 0;
}

/* A keyboard-layout slip: Latin keys typed for a Cyrillic name. True when the text reads as
 * Russian once mapped - every word a known first name, a patronymic or a surname by its ending,
 * with the vowels a Russian word has - while as Latin it has almost none ("Bdfyjd" -> "Иванов";
 * a real Latin name such as "Ivanov" has plenty). Then *fixed holds the mapped text. */
static bool layout_slip(const char *text, struct arena *a, char **fixed)
{
    size_t len = strlen(text);
    char *out = arena_alloc(a, len * 2 + 1);
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c == '-') {
            out[j++] = (char)c;
            continue;
        }
        unsigned cp = layout_cyr(c);
        if (cp == 0) {
            return false;
        }
        j += utf8_put(cp, out + j);
    }
    out[j] = '\0';
    if (vowel_pct(text) >= 30 || vowel_pct(out) < 25) {
        return false;
    }
    for (const char *p = out; *p != '\0';) {
        size_t wl = strcspn(p, " ");
        char *key = fold_key(p, wl, a);
        enum name_sex sex;
        if (n_chars(key) > 20 || (data_first_name(key, &sex) == NULL &&
                                  patronymic_sex(key) == NAME_NONE && !surname_like(key))) {
            return false;
        }
        p += wl;
        while (*p == ' ') {
            p++;
        }
    }
    *fixed = out;
    return true;
}

/* ---- whole names -------------------------------------------------------------------------- */

enum slot { S_LAST, S_FIRST, S_MIDDLE };

static int slot_score(const struct tok *t, enum slot s)
{
    enum name_sex sex;
    bool is_first = data_first_name(t->key, &sex) != NULL || t->initial;
    bool is_patr = patronymic_sex(t->key) != NAME_NONE;
    switch (s) {
    case S_MIDDLE:
        return is_patr ? 4 : t->initial ? 1 : -4;
    case S_FIRST:
        return (is_first ? 3 : 0) - (is_patr ? 2 : 0);
    case S_LAST:
        return (surname_like(t->key) ? 1 : 0) - (is_first && !surname_like(t->key) ? 1 : 0) -
               (is_patr ? 1 : 0) - (t->initial ? 3 : 0);
    }
    return 0;
}

/* The most likely order of 1-3 tokens: out[i] is the slot of token i. */
static bool assign(const struct tok *t, size_t n, enum slot *out)
{
    static const enum slot orders3[][3] = {{S_LAST, S_FIRST, S_MIDDLE},
                                           {S_FIRST, S_MIDDLE, S_LAST}};
    static const enum slot orders2[][2] = {
        {S_LAST, S_FIRST}, {S_FIRST, S_LAST}, {S_FIRST, S_MIDDLE}};
    if (n == 1) {
        enum name_sex sex;
        out[0] = patronymic_sex(t[0].key)          ? S_MIDDLE
                 : data_first_name(t[0].key, &sex) ? S_FIRST
                                                   : S_LAST;
        return out[0] == S_LAST;
    }
    int best = -1000, best_i = 0;
    size_t norders = n == 3 ? 2 : 3;
    for (size_t o = 0; o < norders; o++) {
        int score = o == 0 ? 1 : 0; /* ties go to the order of Russian documents */
        for (size_t i = 0; i < n; i++) {
            enum slot s = n == 3 ? orders3[o][i] : orders2[o][i];
            if (s == S_MIDDLE && !t[i].initial && patronymic_sex(t[i].key) == NAME_NONE) {
                score -= 1000; /* only a patronymic (or an initial) goes there; when nothing
                                  fits, the order as written stands, so a standard form reads
                                  back the same */
            }
            score += 2 * slot_score(&t[i], s);
        }
        if (score > best) {
            best = score;
            best_i = (int)o;
        }
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = n == 3 ? orders3[best_i][i] : orders2[best_i][i];
    }
    return best_i == 0;
}

/*
 * Two patronymic-looking words (Шостакович Дмитрий Дмитриевич: -ович surnames are common): the
 * patronymic is the one right after a known first name, the other is the surname. Without such a
 * pair the order as written stands - a guess would not read back the same.
 */
static bool assign_two_patronymics(const struct tok *t, size_t n, enum slot *out)
{
    enum name_sex sex;
    for (size_t i = 0; n == 3 && i + 1 < n; i++) {
        if (data_first_name(t[i].key, &sex) != NULL && patronymic_sex(t[i + 1].key)) {
            for (size_t k = 0; k < n; k++) {
                out[k] = k == i ? S_FIRST : k == i + 1 ? S_MIDDLE : S_LAST;
            }
            return i == 1;
        }
    }
    return true;
}

static bool assign_any(const struct tok *t, size_t n, size_t patronymics, enum slot *out)
{
    return patronymics < 2 ? assign(t, n, out) : assign_two_patronymics(t, n, out);
}

/*
 * The standard form is written last, first, middle, and reading it back must give the same
 * parts, or cleaning a clean value would move them again. The choice is made for the order as
 * typed and checked against that order; when the two disagree (odd inputs where each order
 * suggests another), the parts stay as typed, read last, first, middle - a choice that both
 * orders make alike. True when the order as typed stands.
 */
static bool choose_slots(const struct tok *t, size_t n, size_t patronymics, enum slot *slots)
{
    bool usual = assign_any(t, n, patronymics, slots);
    if (n < 2) {
        return usual;
    }
    struct tok sorted[3];
    enum slot want[3], again[3];
    size_t k = 0;
    for (int s = S_LAST; s <= S_MIDDLE; s++) {
        for (size_t i = 0; i < n; i++) {
            if ((int)slots[i] == s) {
                sorted[k] = t[i];
                want[k++] = slots[i];
            }
        }
    }
    assign_any(sorted, n, patronymics, again);
    if (memcmp(want, again, sizeof(want[0]) * n) == 0) {
        return usual;
    }
    static const enum slot typed[3] = {S_LAST, S_FIRST, S_MIDDLE};
    memcpy(slots, typed, sizeof(typed));
    return true;
}

void clean_infer_gender(const char *last, const char *first, const char *middle, struct arena *a,
                        const char **gender, const char **from)
{
    *gender = NULL;
    *from = NULL;
    int sex = NAME_NONE;
    if (middle != NULL && (sex = patronymic_sex(fold_key(middle, strlen(middle), a))) != 0) {
        *from = "patronymic";
    } else if (first != NULL) {
        char *key = fold_key(first, strlen(first), a);
        enum name_sex s = NAME_NONE;
        if (data_first_name(key, &s) == NULL && (unsigned char)key[0] < 0x80) {
            data_first_name(translit_key(key, a), &s);
        }
        sex = s == NAME_BOTH ? NAME_NONE : (int)s;
        *from = sex ? "first_name" : NULL;
    }
    if (sex == NAME_NONE && last != NULL) {
        char *key = fold_key(last, strlen(last), a);
        sex = surname_sex((unsigned char)key[0] < 0x80 ? translit_key(key, a) : key);
        *from = sex ? "surname" : NULL;
    }
    *gender = sex == NAME_MALE ? "m" : sex == NAME_FEMALE ? "f" : NULL;
}

const char *clean_name_key(const char *last, const char *first, const char *middle, struct arena *a)
{
    if (last == NULL || first == NULL) {
        return NULL;
    }
    const char *parts[3] = {last, first, middle ? middle : ""};
    char *keys[3];
    for (int i = 0; i < 3; i++) {
        keys[i] = fold_key(parts[i], strlen(parts[i]), a);
        if ((unsigned char)keys[i][0] < 0x80) {
            keys[i] = translit_key(keys[i], a);
        }
    }
    return arena_printf(a, "%s %s %s", keys[0], keys[1], keys[2]);
}

static bool all_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            return false;
        }
    }
    return true;
}

/* The longest full name or name part kept, in bytes of UTF-8: some 150 Cyrillic letters. */
#define NAME_MAX_BYTES 300

/* Shared by both entry points: clean text, undo a layout slip, tokenize. The slip is looked for
 * in the text as typed when it is all ASCII (the punctuation keys hold б, ю, ж, э, х, ъ), else
 * in the tokens once look-alike letters are settled - so a standard form, cleaned again, meets
 * the same decision. */
static size_t prepare(struct work *w, const char *in, size_t len, struct tok *toks, size_t max,
                      struct clean_out *out)
{
    clean_text(in, len, NAME_MAX_BYTES, w->a, out);
    if (out->verdict == CLEAN_INVALID) {
        w->invalid = out->reason;
        return 0;
    }
    char *text = (char *)out->value;
    char *fixed;
    if (all_ascii(text) && layout_slip(text, w->a, &fixed)) {
        w->layout = true;
        return tokenize(w, fixed, toks, max);
    }
    size_t n = tokenize(w, text, toks, max);
    bool latin = n > 0 && !w->invalid;
    struct buf joined;
    buf_init(&joined, 0);
    for (size_t i = 0; i < n && latin; i++) {
        latin = toks[i].latin;
        buf_printf(&joined, "%s%s", i ? " " : "", toks[i].text);
    }
    if (latin && w->homoglyphs && all_ascii(buf_cstr(&joined)) &&
        layout_slip(buf_cstr(&joined), w->a, &fixed)) {
        w->layout = true;
        w->homoglyphs = false;
        n = tokenize(w, fixed, toks, max);
    }
    buf_release(&joined);
    return n;
}

static void finish(struct work *w, const char *in, size_t len, const char *value, bool reordered,
                   struct clean_out *out)
{
    memset(out, 0, sizeof(*out));
    if (w->invalid == NULL && strlen(value) > NAME_MAX_BYTES) {
        /* case folding or a moved initial's dot can lengthen a value that fit as typed; the
         * standard form must itself pass the limit, or cleaning it again would refuse it */
        w->invalid = "too_long";
    }
    if (w->invalid != NULL) {
        out->verdict = CLEAN_INVALID;
        out->reason = w->invalid;
        return;
    }
    out->value = value;
    bool same = strlen(value) == len && memcmp(value, in, len) == 0;
    out->verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
    out->change = same            ? NULL
                  : w->layout     ? "keyboard_layout"
                  : w->homoglyphs ? "latin_lookalikes"
                  : reordered     ? "order"
                                  : "case_or_spacing";
    if (w->suspicious != NULL) {
        out->verdict = CLEAN_SUSPICIOUS;
        out->reason = w->suspicious;
    }
}

static void check_placeholders(struct work *w, const struct tok *t, size_t n)
{
    for (size_t i = 0; i < n && w->suspicious == NULL; i++) {
        if (placeholder(t[i].key)) {
            w->suspicious = "placeholder_name";
        } else if (!t[i].initial && n_chars(t[i].text) == 1) {
            w->suspicious = "single_letter";
        }
    }
}

static bool is_particle(const char *key)
{
    return strcmp(key, "оглы") == 0 || strcmp(key, "кызы") == 0 || strcmp(key, "улы") == 0;
}

void clean_full_name(const char *in, size_t len, struct arena *a, struct clean_name *out)
{
    memset(out, 0, sizeof(*out));
    struct work w = {a, NULL, NULL, false, false};
    struct tok t[8];
    struct clean_out text;
    size_t n = prepare(&w, in, len, t, 8, &text);
    /* Turkic patronymics are two words: "Гусейн оглы"; the particle alone is no name. */
    if (!w.invalid && n > 0 && is_particle(t[0].key)) {
        w.invalid = "bad_particle";
    }
    for (size_t i = 1; i < n && !w.invalid; i++) {
        if (is_particle(t[i].key)) {
            t[i - 1].text =
                arena_printf(a, "%s %s", t[i - 1].text, fold_key(t[i].text, strlen(t[i].text), a));
            t[i - 1].key = arena_printf(a, "%s%s", t[i - 1].key, t[i].key);
            memmove(&t[i], &t[i + 1], sizeof(t[0]) * (n - i - 1));
            n--;
        }
    }
    if (!w.invalid && n == 0) {
        w.invalid = "empty";
    }
    if (!w.invalid && n > 3) {
        w.invalid = "too_many_parts";
    }
    size_t patronymics = 0;
    for (size_t i = 0; i < n && !w.invalid; i++) {
        patronymics += patronymic_sex(t[i].key) != NAME_NONE;
    }

    enum slot slots[3] = {S_LAST, S_FIRST, S_MIDDLE};
    bool usual = w.invalid ? true : choose_slots(t, n, patronymics, slots);
    if (!w.invalid) {
        check_placeholders(&w, t, n);
    }
    for (size_t i = 0; i < n && !w.invalid; i++) {
        const char **part = slots[i] == S_LAST    ? &out->last
                            : slots[i] == S_FIRST ? &out->first
                                                  : &out->middle;
        *part = t[i].text;
        out->latin = out->latin || t[i].latin;
    }
    if (!w.invalid && out->first != NULL && out->last == NULL && out->middle == NULL &&
        n_chars(out->first) <= 2 && w.suspicious == NULL) {
        w.suspicious = "initials_only";
    }
    const char *joined = arena_printf(
        a, "%s%s%s%s%s", out->last ? out->last : "",
        out->last && (out->first || out->middle) ? " " : "", out->first ? out->first : "",
        out->first && out->middle ? " " : "", out->middle ? out->middle : "");
    finish(&w, in, len, joined, !usual, &out->out);
    if (out->out.verdict == CLEAN_INVALID) {
        out->last = out->first = out->middle = NULL;
        return;
    }
    if (out->out.verdict == CLEAN_OK || n > 1) {
        /* A full name is always split, so say so when nothing else changed. */
        out->out.change = out->out.change ? out->out.change : n > 1 ? "split" : NULL;
        out->out.verdict =
            out->out.verdict == CLEAN_OK && n > 1 ? CLEAN_CORRECTED : out->out.verdict;
    }
    clean_infer_gender(out->last, out->first, out->middle, a, &out->gender, &out->gender_from);
}

void clean_name_part(enum name_part part, const char *in, size_t len, struct arena *a,
                     struct clean_out *out)
{
    struct work w = {a, NULL, NULL, false, false};
    struct tok t[4];
    struct clean_out text;
    size_t n = prepare(&w, in, len, t, 4, &text);
    if (!w.invalid && n == 0) {
        w.invalid = "empty";
    }
    /* A part is one word, a hyphenated word, an initial, or a two-word Turkic patronymic. */
    if (!w.invalid && n > 1 &&
        !(part == NAME_MIDDLE && n == 2 &&
          (strcmp(t[1].key, "оглы") == 0 || strcmp(t[1].key, "кызы") == 0))) {
        w.invalid = "several_words";
    }
    if (!w.invalid) {
        check_placeholders(&w, t, 1);
    }
    const char *value = n == 2 ? arena_printf(a, "%s %s", t[0].text, t[1].key) : n ? t[0].text : "";
    finish(&w, in, len, value, false, out);
}
