/*
 * name_token.c - the letters of a name: splitting it into words, case, scripts (Latin look-alike
 * letters, names written in Latin, a keyboard-layout slip), transliteration for matching.
 *
 * A token is letters with inner hyphens or apostrophes ("Петрова-Водкина", "Д'Артаньян"), or an
 * initial ("И."). What a word is (a patronymic, a first name) is name_class.c's.
 */
#include <string.h>

#include "base/buf.h"
#include "clean/clean.h"
#include "clean/internal.h"
#include "clean/name_internal.h"

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

bool name_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

size_t name_n_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* Latin -> Cyrillic, for looking names written in Latin letters up (not for display). */
char *name_translit_key(const char *key, struct arena *a)
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
            toks[n].initial = t[strlen(t) - 1] == '.' && name_n_chars(t) <= 3;
            char *key = fold_key(t, strlen(t), w->a);
            toks[n].key = latin ? name_translit_key(key, w->a) : key;
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
        if (name_n_chars(key) > 20 ||
            (data_first_name(key, &sex) == NULL && name_patronymic_sex(key) == NAME_NONE &&
             !name_surname_like(key))) {
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

static bool all_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            return false;
        }
    }
    return true;
}

/* Shared by both entry points: clean text, undo a layout slip, tokenize. The slip is looked for
 * in the text as typed when it is all ASCII (the punctuation keys hold б, ю, ж, э, х, ъ), else
 * in the tokens once look-alike letters are settled - so a standard form, cleaned again, meets
 * the same decision. */
size_t name_prepare(struct work *w, const char *in, size_t len, struct tok *toks, size_t max,
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
