/*
 * name_token.c - the letters of a name: tidying punctuation, splitting into words, case, scripts
 * (Latin look-alike letters, names written in Latin, a keyboard-layout slip), transliteration
 * for matching.
 *
 * A word is letters with inner hyphens or apostrophes ("Петрова-Водкина", "Д'Артаньян"), or an
 * initial ("И."). Punctuation that costs nothing to tidy - commas and full stops between or after
 * the words, dashes with spaces around them in a double surname, quotes, a nickname in brackets,
 * zero-width characters and stress marks pasted from elsewhere - is tidied and said so; a digit or
 * any other symbol refuses the name. What a word is (a patronymic, a first name) is
 * name_class.c's.
 */
#include <string.h>

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
/* Endings the letter-by-letter map gets wrong, at the end of every word and hyphenated part so
 * a part reads alike alone and joined: Natalia, Maria -> -ия; Alexander -> -ндр. */
static char *fix_endings(const char *s, struct arena *a)
{
    size_t len = strlen(s), j = 0;
    char *out = arena_alloc(a, len + 1);
    for (size_t i = 0;;) {
        size_t wl = strcspn(s + i, " -"), keep = wl;
        memcpy(out + j, s + i, wl);
        if (wl >= 4 && memcmp(s + i + wl - 4, "иа", 4) == 0) {
            memcpy(out + j + wl - 2, "я", 2);
        } else if (wl > 8 && memcmp(s + i + wl - 8, "ндер", 8) == 0) {
            memcpy(out + j + wl - 4, "р", 2);
            keep = wl - 2;
        }
        j += keep;
        i += wl;
        if (s[i] == '\0') {
            break;
        }
        out[j++] = s[i++];
    }
    out[j] = '\0';
    return out;
}

char *name_translit_key(const char *key, struct arena *a)
{
    static const struct {
        const char *lat;
        const char *cyr;
    } map[] = {{"shch", "щ"}, {"sch", "щ"},  {"zh", "ж"},  {"kh", "х"},  {"ts", "ц"},  {"ch", "ч"},
               {"sh", "ш"},   {"iya", "ия"}, {"yu", "ю"},  {"ya", "я"},  {"yo", "е"},  {"ye", "е"},
               {"iy", "ий"},  {"yy", "ый"},  {"ey", "ей"}, {"ay", "ай"}, {"oy", "ой"}, {"uy", "уй"},
               {"a", "а"},    {"b", "б"},    {"v", "в"},   {"w", "в"},   {"g", "г"},   {"d", "д"},
               {"e", "е"},    {"z", "з"},    {"i", "и"},   {"y", "ы"},   {"k", "к"},   {"c", "к"},
               {"q", "к"},    {"l", "л"},    {"m", "м"},   {"n", "н"},   {"o", "о"},   {"p", "п"},
               {"r", "р"},    {"s", "с"},    {"t", "т"},   {"u", "у"},   {"f", "ф"},   {"h", "х"},
               {"x", "кс"},   {"j", "й"},    {"-", "-"},   {" ", " "},   {"'", "'"}};
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
            /* a Cyrillic letter (a particle joined to a Latin word) is kept, so a part reads
             * alike alone and in the whole name; an accented Latin one too */
            unsigned char c = (unsigned char)key[i];
            size_t m = c < 0x80 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            memcpy(out + j, key + i, m);
            j += m;
            i += m ? m : 1;
            continue;
        }
        size_t m = strlen(map[k].cyr);
        memcpy(out + j, map[k].cyr, m);
        j += m;
        i += strlen(map[k].lat);
    }
    out[j] = '\0';
    return fix_endings(out, a);
}
/* ---- tidying and splitting ---------------------------------------------------------------- */

static bool is_letter(unsigned cp)
{
    return cp_is_cyrillic(cp) || cp_is_latin(cp);
}

/* Characters that stand for an apostrophe inside a word and for a quote around words. */
static bool is_apostrophe(unsigned cp)
{
    return cp == '\'' || cp == '`' || cp == 0x2018 || cp == 0x2019 || cp == 0x02BC ||
           cp == 0x00B4 || cp == 0x2032 || cp == 0x02B9;
}

static bool is_quote(unsigned cp)
{
    return cp == '"' || cp == 0x00AB || cp == 0x00BB || cp == 0x201C || cp == 0x201D ||
           cp == 0x201E || cp == 0x2039 || cp == 0x203A;
}

static bool is_dash(unsigned cp)
{
    return cp == '-' || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE58 ||
           cp == 0xFE63 || cp == 0xFF0D;
}

/* Pasted from elsewhere, never typed: zero-width characters, the soft hyphen, and the stress
 * marks of dictionaries and textbooks ("Ива́нов"). */
static bool is_invisible(unsigned cp)
{
    return cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x2060 || cp == 0x00AD ||
           cp == 0x180E || cp == 0x0300 || cp == 0x0301;
}

struct word {
    size_t start, len; /* bytes of the word, as typed and tidied, in the scan's store */
    bool glued;        /* no space since an initial's dot */
    bool dashed;       /* a dash with spaces before it: "Иванова - Петрова" */
    bool grouped;      /* inside brackets or quotes */
};

struct scan {
    struct work *w;
    struct word *words;
    size_t n, max;
    char *store;    /* the words' bytes one after another; only the last word grows */
    size_t used;    /* bytes of store used */
    bool in_word;   /* the last word is still being read */
    bool glue_next; /* an initial's dot and no space since */
    bool join_next; /* a dash between words: the next word joins the last one */
    int brackets;   /* depth of ( [ { */
    bool quoted;    /* inside quotes */
};

static void word_end(struct scan *s)
{
    s->in_word = false;
}

static void store_put(struct scan *s, const char *p, size_t n)
{
    memcpy(s->store + s->used, p, n);
    s->used += n;
    s->words[s->n - 1].len += n;
}

/* Appends the code point `cp` to the current word, starting one when none is open. */
static void word_put(struct scan *s, unsigned cp)
{
    if (!s->in_word) {
        if (s->n == s->max) {
            s->w->invalid = s->w->invalid ? s->w->invalid : "too_many_parts";
            return;
        }
        struct word *wd = &s->words[s->n++];
        wd->start = s->used;
        wd->len = 0;
        wd->glued = s->glue_next;
        wd->dashed = s->join_next;
        wd->grouped = s->brackets > 0 || s->quoted;
        s->in_word = true;
        s->join_next = false;
        s->glue_next = false;
    }
    char u[4];
    store_put(s, u, utf8_put(cp, u));
}

/* Letters of a word (hyphens, apostrophes and an initial's dot aside). */
static size_t word_chars(const struct scan *s, const struct word *wd)
{
    size_t n = 0;
    for (size_t i = 0; i < wd->len; i++) {
        unsigned char c = (unsigned char)s->store[wd->start + i];
        n += (c & 0xC0) != 0x80 && c != '-' && c != '\'' && c != '.';
    }
    return n;
}

/* A full stop: an initial's dot after one letter, else a stray dot that is dropped. */
static void scan_dot(struct scan *s)
{
    if (s->in_word && word_chars(s, &s->words[s->n - 1]) == 1) {
        store_put(s, ".", 1);
        word_end(s);
        s->glue_next = true;
        return;
    }
    word_end(s);
    s->w->changes |= CH_PUNCT;
}

/* One code point of the text; `next` is the one after it (0 at the end). */
static void scan_cp(struct scan *s, unsigned cp, unsigned next)
{
    struct work *w = s->w;
    if (is_letter(cp)) {
        word_put(s, cp);
    } else if (is_invisible(cp)) {
        w->changes |= CH_INVISIBLE;
    } else if (cp == ' ') {
        word_end(s);
        s->glue_next = false;
    } else if (is_apostrophe(cp) && s->in_word && is_letter(next)) {
        word_put(s, '\'');
        w->changes |= cp == '\'' ? 0 : CH_PUNCT;
    } else if (is_dash(cp) && s->in_word && is_letter(next)) {
        word_put(s, '-');
        w->changes |= cp == '-' ? 0 : CH_PUNCT;
    } else if (is_dash(cp)) {
        /* "Иванова - Петрова", "Салтыков--Щедрин": the next word may join the last (name.c
         * decides, knowing the words); a dash with no word after it is dropped */
        word_end(s);
        s->join_next = s->n > 0;
        w->changes |= CH_PUNCT;
    } else if (cp == '.') {
        scan_dot(s);
    } else if (cp == ',' || cp == ';' || cp == ':' || cp == '_') {
        word_end(s);
        w->changes |= CH_PUNCT;
    } else if (is_quote(cp) || is_apostrophe(cp)) {
        word_end(s);
        s->quoted = !s->quoted;
        w->changes |= CH_PUNCT;
    } else if (cp == '(' || cp == '[' || cp == '{') {
        word_end(s);
        s->brackets += s->brackets < 8;
        w->changes |= CH_PUNCT;
    } else if (cp == ')' || cp == ']' || cp == '}') {
        word_end(s);
        s->brackets -= s->brackets > 0;
        w->changes |= CH_PUNCT;
    } else if (cp >= '0' && cp <= '9') {
        w->invalid = w->invalid ? w->invalid : "digits";
    } else {
        w->invalid = w->invalid ? w->invalid : "bad_character";
    }
}

/* Words in brackets or quotes after a word and beside at least two others are a nickname or a
 * former surname ("Иванова (Петрова) Анна", "Иванов Иван \"Ваня\""): dropped. Quotes or
 * brackets around the whole name, around its first word or around one of two words only go.
 * Returns the words kept, moved to the front. */
static size_t drop_grouped(struct work *w, struct word *words, size_t n)
{
    size_t outside = 0, drop = 0;
    for (size_t i = 0; i < n; i++) {
        outside += !words[i].grouped;
        drop += words[i].grouped && outside > 0;
    }
    if (drop == 0 || outside < 2) {
        return n;
    }
    size_t k = 0;
    for (size_t i = 0, seen = 0; i < n; i++) {
        seen += !words[i].grouped;
        if (!words[i].grouped || seen == 0) {
            words[k++] = words[i];
        }
    }
    w->changes |= CH_BRACKETS;
    return k;
}

/* Standard form of one word (`s`, letters with inner hyphens and apostrophes, or an initial):
 * case, and Latin look-alikes in a Cyrillic word (or the other way). NULL when invalid. */
static char *norm_word(struct work *w, const char *s, bool *latin)
{
    size_t n = strlen(s), cyr = 0, lat = 0;
    for (size_t i = 0; i < n;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        i += adv;
        cyr += cp_is_cyrillic(cp);
        lat += cp_is_latin(cp);
    }
    bool to_cyr = cyr >= lat;
    *latin = !to_cyr;
    char *out = arena_alloc(w->a, n * 2 + 1);
    size_t j = 0, part_letters = 0; /* letters since the last hyphen, dot or apostrophe */
    bool start = true;
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
            w->changes |= CH_HOMOGLYPHS;
        }
        if (cp == '-' || cp == '.' || cp == '\'') {
            /* O'Brien, Д'Артаньян: one letter, the apostrophe, a capital */
            start = cp != '\'' || part_letters == 1;
            part_letters = 0;
            out[j++] = (char)cp;
            continue;
        }
        j += utf8_put(start ? cp_upper(cp) : cp_lower(cp), out + j);
        start = false;
        part_letters++;
    }
    out[j] = '\0';
    return out;
}

char *name_key(const char *text, bool latin, struct arena *a)
{
    char *key = fold_key(text, strlen(text), a);
    return latin ? name_translit_key(key, a) : key;
}

/* Fills toks[] from the tidied words. A lone letter beside a word of two letters or more is an
 * initial whose dot was left out ("Иванов И И"). */
static size_t words_to_toks(struct work *w, const struct scan *s, size_t n, struct tok *toks)
{
    bool longer = false;
    for (size_t i = 0; i < n; i++) {
        longer = longer || word_chars(s, &s->words[i]) >= 2;
    }
    for (size_t i = 0; i < n && !w->invalid; i++) {
        struct tok *t = &toks[i];
        memset(t, 0, sizeof(*t));
        const struct word *wd = &s->words[i];
        bool add_dot = longer && word_chars(s, wd) == 1 && s->store[wd->start + wd->len - 1] != '.';
        t->raw = arena_alloc(w->a, wd->len + 2);
        memcpy(t->raw, s->store + wd->start, wd->len);
        memcpy(t->raw + wd->len, add_dot ? "." : "", add_dot ? 2 : 1);
        w->changes |= add_dot ? CH_PUNCT : 0;
        t->text = norm_word(w, t->raw, &t->latin);
        if (t->text == NULL) {
            return 0;
        }
        if (strcmp(t->text, t->raw) != 0 && !(w->changes & CH_HOMOGLYPHS)) {
            w->changes |= CH_CASE;
        }
        t->initial = name_n_chars(t->text) == 2 && t->text[strlen(t->text) - 1] == '.';
        t->glued = wd->glued && t->initial && i > 0 && toks[i - 1].initial;
        t->dashed = wd->dashed && i > 0;
        t->key = name_key(t->text, t->latin, w->a);
    }
    return w->invalid ? 0 : n;
}

/* Splits `text` (clean, one space between words) into tokens, tidying punctuation. */
static size_t tokenize(struct work *w, const char *text, struct tok *toks, size_t max)
{
    struct word words[NAME_MAX_WORDS];
    size_t len = strlen(text);
    struct scan s = {0};
    s.w = w;
    s.words = words;
    s.max = max < NAME_MAX_WORDS ? max : NAME_MAX_WORDS;
    s.store = arena_alloc(w->a, len * 2 + 16);
    for (size_t i = 0; i < len && !w->invalid;) {
        size_t adv, nadv;
        unsigned cp = utf8_get((const unsigned char *)text + i, &adv);
        unsigned next = i + adv < len ? utf8_get((const unsigned char *)text + i + adv, &nadv) : 0;
        scan_cp(&s, cp, next);
        i += adv;
    }
    if (w->invalid) {
        return 0;
    }
    size_t n = drop_grouped(w, words, s.n);
    return words_to_toks(w, &s, n, toks);
}

/* ---- keyboard-layout slips ---------------------------------------------------------------- */

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
            vowels += cp < 0x80 && strchr("aeiouy", (int)cp) != NULL;
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
        size_t wl = strcspn(p, " -"); /* each part of a hyphenated word too, as when spaced */
        struct tok t = {0};
        t.key = fold_key(p, wl, a);
        if (name_n_chars(t.key) > 20) {
            return false;
        }
        name_classify(&t);
        bool surname = t.listed || (t.surname == 2 && name_n_chars(t.key) >= 5);
        if (t.first_sex == NAME_NONE && t.patr == 0 && !surname) {
            return false;
        }
        p += wl;
        while (*p == ' ' || *p == '-') {
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

/* True when `text` differs from the `len` bytes at `in` by more than outer spaces. */
static bool inner_change(const char *text, const char *in, size_t len)
{
    while (len > 0 && (*in == ' ' || *in == '\t')) {
        in++;
        len--;
    }
    while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t')) {
        len--;
    }
    return strlen(text) != len || memcmp(text, in, len) != 0;
}

/*
 * Shared by both entry points: clean text, refuse a "no name" marker, undo a layout slip,
 * tokenize. The slip is looked for in the text as typed when it is all ASCII (the punctuation
 * keys hold б, ю, ж, э, х, ъ), else in the words once punctuation and look-alike letters are
 * settled - so a standard form, cleaned again, meets the same decision.
 */
size_t name_prepare(struct work *w, const char *in, size_t len, struct tok *toks, size_t max)
{
    struct clean_out out;
    clean_text(in, len, NAME_MAX_BYTES, w->a, &out);
    if (out.verdict == CLEAN_INVALID) {
        w->invalid = out.reason;
        return 0;
    }
    const char *text = out.value;
    w->changes |= inner_change(text, in, len) ? CH_SPACING : 0;
    if (name_no_name(text, w->a)) {
        w->invalid = "no_name";
        return 0;
    }
    char *fixed;
    if (all_ascii(text) && layout_slip(text, w->a, &fixed)) {
        w->changes |= CH_LAYOUT;
        return tokenize(w, fixed, toks, max);
    }
    unsigned before = w->changes;
    size_t n = tokenize(w, text, toks, max);
    /* the words once tidied, titles aside (they go later, and the slip must be seen alike
     * with them or without) */
    bool latin = n > 0;
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        bool title = name_title(toks[i].key);
        latin = latin && (toks[i].latin || title);
        total += title ? 0 : strlen(toks[i].text) + 1;
    }
    if (!latin || total == 1) {
        return n;
    }
    char *joined = arena_alloc(w->a, total), *p = joined;
    for (size_t i = 0; i < n; i++) {
        if (!name_title(toks[i].key)) {
            size_t tl = strlen(toks[i].text);
            memcpy(p, toks[i].text, tl);
            p[tl] = ' ';
            p += tl + 1;
        }
    }
    p[-1] = '\0';
    if (all_ascii(joined) && layout_slip(joined, w->a, &fixed)) {
        w->changes = before | CH_LAYOUT;
        n = tokenize(w, fixed, toks, max);
    }
    return n;
}
