/*
 * city.c - the city a customer lives in, as one standard name.
 *
 * The shipped list (data/cities.tsv: every town of Russia with city status and the main cities of
 * the CIS, their other spellings and former names) turns what people type into one name:
 * "г. Москва", "Москва г", "мск", "Moscow" and "Vjcrdf" are all Москва; "Ленинград" is
 * Санкт-Петербург (`former_name`); "Новосибирк" is Новосибирск (`typo`). What is around the name
 * goes: settlement types in front or behind ("с. Дивеево", "Шушенское пгт", "ст-ца Каневская"),
 * the region and the country ("Подольск (Московская обл.)", "Россия, Москва"). A name not on the
 * list is kept in standard case ("нижняя тура" -> "Нижняя Тура"). Junk is refused with a reason:
 * "-", "не указан", "н/д", "xxx" (`placeholder`), "0" (`no_letters`), "город" (`no_name`), a
 * region or a country alone (`region_not_city`, `not_a_city`).
 *
 * Not here: parsing addresses, and knowing villages - a settlement that is not a town is kept as
 * typed, never "corrected" into a town (city_near.c holds the near-match rules).
 */
#include <string.h>
#include <unicode/uchar.h>

#include "clean/city.h"
#include "clean/clean.h"
#include "clean/internal.h"

#define MAX_WORDS 24

/* ---- keys and words ---- */

/* A Latin letter that looks like a Cyrillic one, as that letter (lower case); else 0. */
static unsigned lookalike(unsigned cp)
{
    static const char lat[] = "AaBCcEeHKkMOoPpTXxyY";
    static const unsigned cyr[] = {0x430, 0x430, 0x432, 0x441, 0x441, 0x435, 0x435,
                                   0x43D, 0x43A, 0x43A, 0x43C, 0x43E, 0x43E, 0x440,
                                   0x440, 0x442, 0x445, 0x445, 0x443, 0x443};
    const char *hit = cp < 0x80 && cp != 0 ? strchr(lat, (int)cp) : NULL;
    return hit ? cyr[hit - lat] : 0;
}

static bool is_apostrophe(unsigned cp)
{
    return cp == '\'' || cp == '`' || cp == 0x2019 || cp == 0x02BC;
}

static bool word_cp(unsigned cp)
{
    return (cp >= '0' && cp <= '9') || u_isalpha((UChar32)cp);
}

/* The end of the word starting at s[i] (letters and digits, apostrophes inside); *cyr when it
 * has a Cyrillic letter. */
static size_t word_end(const char *s, size_t len, size_t i, bool *cyr)
{
    *cyr = false;
    while (i < len) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        if (!word_cp(cp) && !is_apostrophe(cp)) {
            break;
        }
        *cyr = *cyr || cp_is_cyrillic(cp);
        i += adv;
    }
    return i;
}

char *city_key(const char *s, size_t len, struct arena *a)
{
    char *out = arena_alloc(a, len * 2 + 1);
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        if (!word_cp(cp)) {
            i += adv;
            continue;
        }
        bool cyr;
        size_t end = word_end(s, len, i, &cyr);
        if (j > 0) {
            out[j++] = ' ';
        }
        while (i < end) {
            cp = utf8_get((const unsigned char *)s + i, &adv);
            i += adv;
            if (is_apostrophe(cp)) {
                continue;
            }
            cp = cp_lower(cyr && lookalike(cp) ? lookalike(cp) : cp);
            j += utf8_put(cp == 0x0451 ? 0x0435 : cp, out + j);
        }
    }
    out[j] = '\0';
    return out;
}

struct cword {
    const char *p; /* in the clean text */
    size_t n;      /* bytes */
    char *key;     /* city_key of the word */
};

/* The words of s[0, len), at most MAX_WORDS (more: returns MAX_WORDS + 1). */
static size_t words_of(const char *s, size_t len, struct cword *w, struct arena *a)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        if (!word_cp(cp)) {
            i += adv;
            continue;
        }
        bool cyr;
        size_t end = word_end(s, len, i, &cyr);
        if (n == MAX_WORDS) {
            return MAX_WORDS + 1;
        }
        w[n].p = s + i;
        w[n].n = end - i;
        w[n].key = city_key(s + i, end - i, a);
        n++;
        i = end;
    }
    return n;
}

static bool in_list(const char *key, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(key, *list) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- what is around the name ---- */

/* Settlement types, longest first so that "п г т" is met before "п". */
static const char *const type_words[][4] = {
    {"поселок", "городского", "типа"},
    {"пос", "гор", "типа"},
    {"п", "г", "т"},
    {"рабочий", "поселок"},
    {"раб", "пос"},
    {"р", "п"},
    {"курортный", "поселок"},
    {"дачный", "поселок"},
    {"городской", "поселок"},
    {"г", "п"},
    {"городской", "округ"},
    {"г", "о"},
    {"населенный", "пункт"},
    {"ст", "ца"},
    {"city", "of"},
    {"город"},
    {"гор"},
    {"г"},
    {"пгт"},
    {"рп"},
    {"кп"},
    {"дп"},
    {"гп"},
    {"поселок"},
    {"пос"},
    {"п"},
    {"село"},
    {"сел"},
    {"с"},
    {"c"},
    {"деревня"},
    {"дер"},
    {"д"},
    {"станица"},
    {"стц"},
    {"ст"},
    {"хутор"},
    {"хут"},
    {"х"},
    {"аул"},
    {"слобода"},
    {"сл"},
    {"нп"},
    {"снт"},
    {"зато"},
    {"го"},
    {"city"},
    {"town"},
    {"village"},
    {"gorod"},
    {"g"},
};

/* Length of the type phrase that w[0, n) starts (at_end: ends) with; 0 when none. */
static size_t type_at(const struct cword *w, size_t n, bool at_end)
{
    for (size_t t = 0; t < sizeof(type_words) / sizeof(type_words[0]); t++) {
        size_t k = 0;
        while (k < 4 && type_words[t][k] != NULL) {
            k++;
        }
        if (k > n) {
            continue;
        }
        size_t off = at_end ? n - k : 0, i = 0;
        while (i < k && strcmp(w[off + i].key, type_words[t][i]) == 0) {
            i++;
        }
        if (i == k) {
            return k;
        }
    }
    return 0;
}

static const char *const countries[] = {
    "россия",   "рф",         "russia",      "ru",           "казахстан",   "kazakhstan",
    "беларусь", "белоруссия", "belarus",     "украина",      "ukraine",     "узбекистан",
    "киргизия", "кыргызстан", "таджикистан", "армения",      "азербайджан", "грузия",
    "молдова",  "молдавия",   "туркмения",   "туркменистан", NULL};

/* Words that make a phrase a region: "Московская обл.", "Раменский р-н", "Красноярский край". */
static const char *const region_words[] = {"обл",   "область", "край", "респ", "республика", "ао",
                                           "округ", "район",   "рн",   "аобл", NULL};

/* Regions named without such a word, and their abbreviations. */
static const char *const region_names[] = {
    "мо",        "ло",       "подмосковье", "ленобласть", "татарстан", "рт",        "башкортостан",
    "башкирия",  "рб",       "чувашия",     "удмуртия",   "мордовия",  "коми",      "карелия",
    "дагестан",  "рд",       "чечня",       "ингушетия",  "адыгея",    "калмыкия",  "бурятия",
    "тыва",      "тува",     "хакасия",     "якутия",     "саха",      "крым",      "югра",
    "хмао",      "янао",     "ямал",        "чукотка",    "камчатка",  "сахалин",   "приморье",
    "кубань",    "кбр",      "кчр",         "алания",     "осетия",    "кабардино", "балкария",
    "карачаево", "черкесия", "ставрополье", NULL};

/* How many words at the start (at_end: the end) of w[0, n) name a region or a country. */
static size_t region_at(const struct cword *w, size_t n, bool at_end, bool *country)
{
    const struct cword *edge = at_end ? &w[n - 1] : &w[0];
    *country = in_list(edge->key, countries);
    if (*country || in_list(edge->key, region_names)) {
        return 1;
    }
    if (n >= 2 && ((strcmp(w[0].key, "российская") == 0 && strcmp(w[1].key, "федерация") == 0) ||
                   (strcmp(w[0].key, "russian") == 0 && strcmp(w[1].key, "federation") == 0))) {
        *country = !at_end;
        return at_end ? 0 : 2;
    }
    size_t rn = n >= 3 && strcmp(w[at_end ? n - 2 : 1].key, "р") == 0 &&
                        strcmp(w[at_end ? n - 1 : 2].key, "н") == 0
                    ? 3 /* "Раменский р-н" */
                    : 0;
    if (rn != 0) {
        return rn;
    }
    if (!at_end && n >= 2 && (in_list(w[0].key, region_words) || in_list(w[1].key, region_words))) {
        return 2; /* "респ Татарстан", "Московская обл" */
    }
    return at_end && n >= 2 && in_list(w[n - 1].key, region_words) ? 2 : 0;
}

/* ---- one part of the text: the name, once what is around it is gone ---- */

enum part_kind { PART_NAME, PART_REGION, PART_COUNTRY, PART_TYPE };

struct part {
    enum part_kind kind;
    const char *p; /* the name's bytes in the clean text */
    size_t n;
    const char *std; /* listed standard name, or NULL */
    enum city_via via;
    bool region_cut; /* a region or country was cut off */
    bool type_cut;   /* a settlement type was cut off */
};

static const char *listed(const struct cword *w, size_t n, struct arena *a, enum city_via *via)
{
    char *key = city_key(w[0].p, (size_t)(w[n - 1].p + w[n - 1].n - w[0].p), a);
    enum city_kind kind;
    const char *std = data_city(key, &kind);
    if (std != NULL) {
        *via = kind == CITY_FORMER ? VIA_FORMER : kind == CITY_SPELLING ? VIA_SPELLING : VIA_NAME;
        return std;
    }
    char *keys[MAX_WORDS];
    bool may_cut[MAX_WORDS];
    for (size_t i = 0; i < n; i++) {
        keys[i] = w[i].key;
        may_cut[i] = type_at(&w[i], 1, false) == 0; /* "с. Посад" is a village, not Сергиев Посад */
    }
    *via = VIA_SPELLING;
    return city_near_abbrev(keys, may_cut, n, a);
}

/* Cuts regions and countries off both ends; returns how many words are left. */
static size_t cut_regions(struct cword **w, size_t n, struct part *pt)
{
    bool country = false, any_country = false;
    for (size_t k; n > 0 && (k = region_at(*w, n, false, &country)) > 0;) {
        *w += k;
        n = k < n ? n - k : 0;
        pt->region_cut = true;
        any_country = any_country || country;
    }
    for (size_t k; n > 0 && (k = region_at(*w, n, true, &country)) > 0;) {
        n = k < n ? n - k : 0;
        n -= n > 1 && strcmp((*w)[n - 1].key, "и") == 0; /* "Москва и МО" */
        pt->region_cut = true;
        any_country = any_country || country;
    }
    if (n == 0) {
        pt->kind = any_country ? PART_COUNTRY : PART_REGION;
    }
    return n;
}

/* Cuts settlement types off both ends; returns how many words are left. */
static size_t cut_types(struct cword **w, size_t n, struct part *pt)
{
    pt->p = (*w)[0].p; /* a type word alone still was something */
    for (size_t k; n > 0 && (k = type_at(*w, n, false)) > 0;) {
        *w += k;
        n -= k;
        pt->type_cut = true;
    }
    for (size_t k; n > 0 && (k = type_at(*w, n, true)) > 0;) {
        n -= k;
        pt->type_cut = true;
    }
    if (n == 0) {
        pt->kind = PART_TYPE;
    }
    return n;
}

/* Cuts regions, then settlement types, again while either was there ("Подольск Московская обл
 * г"), looking the rest up after each cut; returns how many words are left. */
static size_t cut_around(struct cword **w, size_t n, struct part *pt, struct arena *a)
{
    for (size_t was = 0; n > 0 && pt->std == NULL && was != n;) {
        was = n;
        size_t k = cut_regions(w, n, pt);
        if (k > 0 && k < n) {
            pt->std = listed(*w, k, a, &pt->via);
        }
        n = k;
        if (n > 0 && pt->std == NULL) {
            k = cut_types(w, n, pt);
            if (k > 0 && k < n) {
                pt->std = listed(*w, k, a, &pt->via);
            }
            n = k;
        }
    }
    return n;
}

static bool all_latin(const struct cword *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (const char *k = w[i].key; *k != '\0'; k++) {
            if (!((*k >= 'a' && *k <= 'z') || *k == ' ')) {
                return false;
            }
        }
    }
    return true;
}

static void read_part(const char *s, size_t len, struct arena *a, struct part *pt)
{
    struct cword words[MAX_WORDS + 1], *w = words;
    memset(pt, 0, sizeof(*pt));
    size_t n = words_of(s, len, w, a);
    if (n == 0 || n > MAX_WORDS) {
        pt->kind = PART_TYPE;
        return;
    }
    pt->std = listed(w, n, a, &pt->via);
    if ((n = cut_around(&w, n, pt, a)) == 0) {
        return;
    }
    pt->p = w[0].p;
    pt->n = (size_t)(w[n - 1].p + w[n - 1].n - w[0].p);
    char *key = city_key(pt->p, pt->n, a);
    if (pt->std == NULL && all_latin(w, n)) {
        pt->std = city_near_latin(arena_strndup(a, pt->p, pt->n), a, &pt->via);
    } else if (pt->std == NULL && strpbrk(key, "0123456789") == NULL) {
        pt->std = city_near_typo(key, a, &pt->via);
    }
    pt->via = pt->std ? pt->via : VIA_NONE;
}

/* ---- junk ---- */

/* Junk by its letters alone (case, spaces, punctuation and digits dropped). */
static const char *const junk_words[] = {
    "нет",       "неуказан",  "неуказано",   "неуказана",  "неуказ",     "неуказывать", "нескажу",
    "нд",        "нетданных", "неизвестно",  "неизвестен", "неизвестна", "незнаю",      "непомню",
    "безгорода", "нетгорода", "любой",       "другой",     "другое",     "иной",        "иное",
    "прочее",    "прочие",    "все",         "всегорода",  "неважно",    "na",          "nd",
    "no",        "none",      "null",        "nil",        "nan",        "undefined",   "unknown",
    "empty",     "test",      "тест",        "тестовый",   "testtest",   "qwerty",      "йцукен",
    "asdf",      "фыва",      "asd",         "qwe",        "zxc",        "ячс",         "йцу",
    "фыв",       "абв",       "abc",         "абвгд",      "qwertyuiop", "йцукенг",     "ячсмить",
    "asdfgh",    "фывапр",    "фывапролджэ", "xyz",        "нетуказан",  NULL};

/* The letters of s, folded, in the arena; *digits gets how many digits there were. */
static char *letters_of(const char *s, struct arena *a, size_t *digits)
{
    size_t len = strlen(s), j = 0;
    char *out = arena_alloc(a, len * 2 + 1);
    *digits = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        i += adv;
        *digits += cp >= '0' && cp <= '9';
        if (u_isalpha((UChar32)cp)) {
            cp = cp_lower(cp);
            j += utf8_put(cp == 0x0451 ? 0x0435 : cp, out + j);
        }
    }
    out[j] = '\0';
    return out;
}

/* Why `s` cannot be a city's name, or NULL. */
static const char *junk(const char *s, struct arena *a)
{
    size_t digits;
    const char *l = letters_of(s, a, &digits);
    if (l[0] == '\0') {
        return digits > 0 ? "no_letters" : "placeholder";
    }
    size_t adv, first_len;
    unsigned first = utf8_get((const unsigned char *)l, &first_len), cp = first;
    for (size_t i = first_len; l[i] != '\0' && cp == first; i += adv) {
        cp = utf8_get((const unsigned char *)l + i, &adv);
    }
    if (cp == first || in_list(l, junk_words)) {
        return "placeholder"; /* "xxx", "ааа", a single letter, "не указан" */
    }
    return NULL;
}

/* ---- standard case ---- */

/* Words in standard case: each starts with a capital, except the little words of compound names
 * ("на", "под", "де") after the first. */
static char *title_case(const char *s, size_t len, struct arena *a)
{
    static const char *const small[] = {"на", "под", "де", "над", "и", "у", "в", NULL};
    char *out = arena_alloc(a, len * 2 + 1);
    size_t j = 0;
    bool start = true;
    for (size_t i = 0; i < len;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        if (!word_cp(cp) && !is_apostrophe(cp)) {
            start = true;
            memcpy(out + j, s + i, adv);
            j += adv;
            i += adv;
            continue;
        }
        bool little = false;
        if (start && i > 0) {
            bool cyr;
            size_t end = word_end(s, len, i, &cyr);
            little = in_list(city_key(s + i, end - i, a), small) && end < len;
        }
        j += utf8_put(start && !little ? cp_upper(cp) : cp_lower(cp), out + j);
        start = false;
        i += adv;
    }
    out[j] = '\0';
    return out;
}

/* ---- the whole value ---- */

#define MAX_PARTS 8

struct choice {
    const struct part *name; /* the part that names the city, or NULL */
    const char *reason;      /* why there is none */
    bool region_cut, type_cut, extra_cut;
};

/* Splits at commas, semicolons and brackets; reads each part. Returns how many. */
static size_t parts_of(const char *s, struct arena *a, struct part *pt)
{
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i <= len && n < MAX_PARTS;) {
        size_t e = i + strcspn(s + i, ",;()[]");
        read_part(s + i, e - i, a, &pt[n++]);
        i = e + 1;
    }
    return n;
}

/* The part that names the city: the only name, or the only listed one among several. */
static void choose(const struct part *pt, size_t n, struct choice *c)
{
    size_t names = 0, listed_n = 0;
    const struct part *name = NULL, *listed_p = NULL;
    bool region = false, country = false;
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        c->type_cut = c->type_cut || (pt[i].kind == PART_TYPE && pt[i].p != NULL);
        region = region || pt[i].kind == PART_REGION;
        country = country || pt[i].kind == PART_COUNTRY;
        c->region_cut = c->region_cut || pt[i].region_cut || pt[i].kind == PART_REGION ||
                        pt[i].kind == PART_COUNTRY;
        if (pt[i].kind != PART_NAME) {
            continue;
        }
        names++;
        name = &pt[i];
        bool seen = false;
        for (size_t k = 0; k < i && pt[i].std != NULL; k++) {
            seen = seen || (pt[k].kind == PART_NAME && pt[k].std != NULL &&
                            strcmp(pt[k].std, pt[i].std) == 0);
        }
        if (pt[i].std != NULL && !seen) {
            listed_n++;
            listed_p = &pt[i];
        }
    }
    if (names == 0) {
        c->reason = region ? "region_not_city" : country ? "not_a_city" : "no_name";
        return;
    }
    c->extra_cut = names > 1;
    c->name = names == 1 ? name : listed_n == 1 ? listed_p : NULL;
    c->type_cut = c->name != NULL && (c->type_cut || c->name->type_cut);
}

static const char *change_of(const struct choice *c, enum city_via via, const char *typed,
                             const char *value, struct arena *a)
{
    switch (via) {
    case VIA_FORMER:
        return "former_name";
    case VIA_TYPO:
        return "typo";
    case VIA_LAYOUT:
        return "keyboard_layout";
    case VIA_LATIN:
        return "transliteration";
    case VIA_SPELLING:
        return "city_name";
    default:
        break;
    }
    if (c->extra_cut) {
        return "address_dropped";
    }
    if (c->region_cut) {
        return "region_dropped";
    }
    if (c->type_cut) {
        return "type_word";
    }
    bool same_letters =
        strlen(typed) == strlen(value) && strcmp(title_case(typed, strlen(typed), a), value) == 0;
    return via == VIA_NAME && !same_letters ? "city_name" : "case";
}

/* A keyboard-layout slip ("Vjcrdf"): only taken when the retyped text is a listed city. */
static const char *layout_slip(const char *text, struct arena *a)
{
    char *fixed = city_layout_fix(text, a);
    if (fixed == NULL) {
        return NULL;
    }
    struct part pt[MAX_PARTS];
    struct choice c;
    choose(pt, parts_of(fixed, a, pt), &c);
    return c.name != NULL && c.name->std != NULL && c.name->via != VIA_TYPO &&
                   c.name->via != VIA_LATIN
               ? c.name->std
               : NULL;
}

static void verdict(const char *text, const char *value, const char *change, bool listed,
                    struct clean_out *out)
{
    out->value = value;
    out->verdict = strcmp(value, text) == 0 ? CLEAN_OK : CLEAN_CORRECTED;
    out->change = out->verdict == CLEAN_OK ? NULL : change;
    if (!listed && strpbrk(value, "0123456789") != NULL) {
        out->verdict = CLEAN_SUSPICIOUS;
        out->reason = "digits";
    }
}

/* The value when the text is not one listed spelling as a whole. */
static void from_parts(const char *text, struct arena *a, struct clean_out *out, bool *on_list)
{
    struct part pt[MAX_PARTS];
    struct choice c;
    choose(pt, parts_of(text, a, pt), &c);
    const char *value = NULL;
    if (c.name != NULL) {
        value = c.name->std ? c.name->std : title_case(c.name->p, c.name->n, a);
    } else if (c.reason == NULL) {
        memset(&c, 0, sizeof(c)); /* several names, none or many listed: kept as typed */
        value = title_case(text, strlen(text), a);
    }
    if (value == NULL || (out->reason = junk(value, a)) != NULL) {
        out->reason = out->reason ? out->reason : c.reason;
        return;
    }
    enum city_via via = c.name ? c.name->via : VIA_NONE;
    *on_list = via != VIA_NONE;
    verdict(text, value, change_of(&c, via, text, value, a), *on_list, out);
}

/* One reading of clean text; *on_list when the value is a listed name. */
static void city_pass(const char *text, struct arena *a, struct clean_out *out, bool *on_list)
{
    const char *std;
    enum city_kind kind;
    size_t digits;
    memset(out, 0, sizeof(*out));
    out->verdict = CLEAN_INVALID;
    *on_list = false;
    if (letters_of(text, a, &digits)[0] == '\0') {
        out->reason = digits > 0 ? "no_letters" : "placeholder"; /* "0", "-", "?" */
        return;
    }
    if ((std = data_city(city_key(text, strlen(text), a), &kind)) != NULL) {
        struct choice none = {0};
        enum city_via via = kind == CITY_FORMER     ? VIA_FORMER
                            : kind == CITY_SPELLING ? VIA_SPELLING
                                                    : VIA_NAME;
        *on_list = true;
        verdict(text, std, change_of(&none, via, text, std, a), true, out);
    } else if ((std = layout_slip(text, a)) != NULL) {
        *on_list = true;
        verdict(text, std, "keyboard_layout", true, out);
    } else {
        from_parts(text, a, out, on_list);
    }
}

void clean_city(const char *in, size_t len, struct arena *a, struct clean_out *out)
{
    clean_text(in, len, 200, a, out);
    if (out->verdict == CLEAN_INVALID) {
        return;
    }
    const char *text = out->value, *cur = text;
    bool on_list;
    city_pass(text, a, out, &on_list);
    const char *change = out->change;
    /* A name kept as typed may read otherwise once what was around it is gone ("~!Ji" leaves
     * "Ji", Ош typed with the Latin layout on): read the value again until it stands, so that
     * cleaning the standard form changes nothing. A listed name always stands. */
    for (int i = 0;
         i < 3 && out->verdict != CLEAN_INVALID && !on_list && strcmp(out->value, cur) != 0; i++) {
        cur = out->value;
        city_pass(cur, a, out, &on_list);
        change = out->change ? out->change : change;
    }
    if (out->verdict != CLEAN_INVALID) {
        bool same = strcmp(out->value, text) == 0;
        out->verdict = out->verdict == CLEAN_SUSPICIOUS ? CLEAN_SUSPICIOUS
                       : same                           ? CLEAN_OK
                                                        : CLEAN_CORRECTED;
        out->change = same ? NULL : change;
    }
}

const char *clean_city_zone(const char *city, struct arena *a)
{
    if (city == NULL || city[0] == '\0') {
        return NULL;
    }
    struct clean_out out;
    clean_city(city, strlen(city), a, &out);
    return out.verdict == CLEAN_INVALID ? NULL : data_city_zone(out.value);
}
