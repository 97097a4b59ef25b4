/*
 * name_class.c - what a word of a name looks like: a first name (data.c's lists), a patronymic
 * by its ending and, better, by the first name it is made of, a surname by its ending or a list
 * of surnames that have none (Ким, Шмидт), a particle (фон, оглы); and what is no name at all -
 * a "no name" marker, a placeholder, keyboard mash, or names run together.
 *
 * Every test works on fold keys (lower case, "ё" as "е"; Latin transliterated), so the verdict
 * never depends on the case typed. Nothing here allocates outside the caller's arena but the
 * word lists, split once for the life of the process (as data.c's lists are).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "clean/clean.h"
#include "clean/internal.h"
#include "clean/name_internal.h"

static bool in_list(const char *key, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(key, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

#define IN_LIST(key, list) in_list((key), (list), sizeof(list) / sizeof((list)[0]))

/* ---- first names ---------------------------------------------------------------------------- */

/* First names the lists do not hold can still show by their ending: Uzbek and Tajik -жон,
 * -иддин, -улло (Икромжон, Насриддин, Сайфулло), Turkic -гуль, -гюль (Айгуль, Гюльгюль). */
static int first_name_ending(const char *key)
{
    static const struct {
        const char *suffix;
        int sex;
    } e[] = {{"жон", NAME_MALE},    {"джон", NAME_MALE},   {"иддин", NAME_MALE},
             {"уддин", NAME_MALE},  {"улло", NAME_MALE},   {"улла", NAME_MALE},
             {"гуль", NAME_FEMALE}, {"гюль", NAME_FEMALE}, {"гул", NAME_FEMALE}};
    if (name_n_chars(key) < 6 || strpbrk(key, " -") != NULL) {
        return NAME_NONE;
    }
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        if (name_ends_with(key, e[i].suffix)) {
            return e[i].sex;
        }
    }
    return NAME_NONE;
}

/* The sex of a first name, also of a double one ("анна-мария", "магомед расул": every part a
 * known first name) or of one that shows by its ending. NAME_NONE when it is not one. */
int name_first_sex(const char *key)
{
    enum name_sex sex = NAME_NONE;
    if (data_first_name(key, &sex) != NULL) {
        return sex;
    }
    size_t len = strlen(key);
    if (strcspn(key, "- ") == len || len >= 128) {
        return first_name_ending(key);
    }
    char part[128];
    int all = NAME_NONE;
    for (const char *p = key; *p != '\0';) {
        size_t n = strcspn(p, "- ");
        memcpy(part, p, n);
        part[n] = '\0';
        if (n == 0 || data_first_name(part, &sex) == NULL) {
            return NAME_NONE;
        }
        all |= sex;
        p += n + (p[n] != '\0');
    }
    return all;
}

/* ---- patronymics ---------------------------------------------------------------------------- */

bool name_nasab_particle(const char *key)
{
    static const char *const p[] = {"ибн", "бин", "бинт", "ibn", "bin", "bint"};
    return IN_LIST(key, p);
}

bool name_turkic_particle(const char *key)
{
    static const char *const p[] = {"оглы", "огли", "угли", "ўғли", "уғли", "улы",
                                    "уулу", "кызы", "гызы", "кизи", "қизи", "ogly",
                                    "ogli", "kyzy", "gyzy", "kizi", "ugli", "uulu"};
    return IN_LIST(key, p);
}

static int turkic_sex(const char *key)
{
    static const char *const f[] = {"кызы", "гызы", "кизи", "қизи", "kyzy", "gyzy", "kizi"};
    return IN_LIST(key, f) ? NAME_FEMALE : NAME_MALE;
}

/* True when the first-name list has `stem` less its last `cut` bytes, followed by `tail`. */
static bool name_with(const char *stem, size_t cut, const char *tail)
{
    char c[128];
    size_t n = strlen(stem) - cut, m = strlen(tail);
    if (n + m >= sizeof(c)) {
        return false;
    }
    memcpy(c, stem, n);
    memcpy(c + n, tail, m + 1);
    return data_first_name(c, NULL) != NULL;
}

/* True when `stem` (the patronymic without its ending) comes from a known first name:
 * Иван-ович, Серге-евич (Сергей), Игор-евич (Игорь), Юрь-евич (Юрий), Павл-ович (Павел),
 * Льв-ович (Лев), Яковл-евич (Яков), Михайл-ович (Михаил), Кузьм-ич (Кузьма), Иль-инична (Илья). */
static bool stem_is_name(const char *stem)
{
    static const char *const tails[] = {"", "й", "ь", "а", "я"};
    size_t n = strlen(stem);
    if (n < 2 || n > 100) {
        return false;
    }
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        if (name_with(stem, 0, tails[i])) {
            return true;
        }
    }
    if ((name_ends_with(stem, "ь") && name_with(stem, 2, "ий")) ||
        (name_ends_with(stem, "вл") && name_with(stem, 2, "")) ||
        (name_ends_with(stem, "йл") && name_with(stem, 4, "ил"))) {
        return true;
    }
    /* a fleeting vowel before the last letter: Павл -> Павел, Льв -> Лев */
    size_t head = n - 1;
    while (head > 0 && ((unsigned char)stem[head] & 0xC0) == 0x80) {
        head--;
    }
    bool soft = head >= 2 && memcmp(stem + head - 2, "ь", 2) == 0;
    char tail[8];
    snprintf(tail, sizeof(tail), "е%s", stem + head);
    return head >= 2 && name_with(stem, n - (soft ? head - 2 : head), tail);
}

/* Patronymic level of a key: 0 not one, 1 a weak -ич (Бабич: a surname more often), 2 by its
 * ending, 3 by its ending and made of a known first name. *sex gets its sex. */
int name_patronymic(const char *key, int *sex)
{
    static const struct {
        const char *suffix;
        int sex;
    } forms[] = {{"ович", NAME_MALE},     {"евич", NAME_MALE},   {"овна", NAME_FEMALE},
                 {"евна", NAME_FEMALE},   {"івна", NAME_FEMALE}, {"ївна", NAME_FEMALE},
                 {"инична", NAME_FEMALE}, {"ична", NAME_FEMALE}, {"ич", NAME_MALE}};
    *sex = NAME_NONE;
    static const char *const nasab[] = {"ибн ", "бин ", "ibn ", "bin ", "бинт ", "bint "};
    for (size_t i = 0; i < sizeof(nasab) / sizeof(nasab[0]); i++) {
        if (strncmp(key, nasab[i], strlen(nasab[i])) == 0 && key[strlen(nasab[i])] != '\0') {
            *sex = i < 4 ? NAME_MALE : NAME_FEMALE; /* "ибн Рашид": son of Рашид */
            return 3;
        }
    }
    const char *sp = strrchr(key, ' '), *hy = strrchr(key, '-');
    const char *tail = sp ? sp + 1 : hy ? hy + 1 : NULL;
    if (tail != NULL && tail != key + 1 && name_turkic_particle(tail)) {
        *sex = turkic_sex(tail); /* "гусейн оглы", "гусейн-оглы" */
        return 3;
    }
    static const char *const joined[] = {"оглы", "кызы", "гызы", "угли", "кизи"};
    for (size_t i = 0; i < sizeof(joined) / sizeof(joined[0]); i++) {
        if (name_ends_with(key, joined[i]) && name_n_chars(key) >= 7) {
            *sex = turkic_sex(joined[i]); /* "гусейноглы", as some documents write it */
            return 2;
        }
    }
    size_t n = strlen(key);
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        size_t m = strlen(forms[i].suffix);
        if (!name_ends_with(key, forms[i].suffix) || n - m < 4 || n - m > 100) {
            continue;
        }
        char stem[128];
        memcpy(stem, key, n - m);
        stem[n - m] = '\0';
        bool weak = strcmp(forms[i].suffix, "ич") == 0;
        if (weak && name_n_chars(key) < 5) {
            return 0;
        }
        *sex = forms[i].sex;
        return stem_is_name(stem) ? 3 : weak ? 1 : 2;
    }
    return 0;
}

/* ---- surnames ------------------------------------------------------------------------------- */

struct ending {
    const char *suffix;
    unsigned char len;       /* bytes of suffix */
    unsigned char min_chars; /* the shortest key the ending tells anything of */
    unsigned char strength;  /* 2 strong, 1 weak */
    unsigned char sex;
};

/* Endings of surnames of the peoples of Russia and its neighbours; the first that fits wins, so
 * longer endings come first. */
/* clang-format off */
#define E(suffix, min_chars, strength, sex) {suffix, sizeof(suffix) - 1, min_chars, strength, sex}
#define F NAME_FEMALE
#define M NAME_MALE
static const struct ending endings[] = {
    E("ская", 5, 2, F), E("цкая", 5, 2, F), E("ский", 5, 2, M), E("цкий", 5, 2, M),
    E("ской", 5, 2, M), E("цкой", 5, 2, M), E("ова", 5, 2, F), E("ева", 5, 2, F),
    E("ина", 5, 2, F), E("ына", 5, 2, F), E("ов", 4, 2, M), E("ев", 4, 2, M), E("ин", 4, 2, M),
    E("ын", 4, 2, M), E("ая", 5, 2, F), E("ой", 5, 2, M), E("ый", 5, 2, M), E("енко", 5, 2, 0),
    E("швили", 6, 2, 0), E("дзе", 5, 2, 0), E("иани", 5, 2, 0), E("ани", 5, 2, 0),
    E("янц", 5, 2, 0), E("ян", 4, 2, 0), E("уни", 5, 2, 0), E("ук", 4, 2, 0), E("юк", 4, 2, 0),
    E("ых", 4, 2, 0), E("их", 4, 2, 0), E("заде", 6, 2, 0), E("зода", 6, 2, 0), E("оглу", 6, 2, 0),
    E("берг", 6, 2, 0), E("штейн", 7, 2, 0), E("штерн", 7, 2, 0), E("баум", 6, 2, 0),
    E("фельд", 7, 2, 0), E("ман", 5, 2, 0), E("нен", 5, 2, 0), E("айте", 6, 2, F),
    E("ене", 5, 1, F), E("ите", 5, 1, F), E("ия", 5, 1, 0), E("ава", 5, 1, 0), E("уа", 4, 1, 0),
    E("ели", 5, 1, 0), E("ко", 4, 1, 0), E("ец", 4, 1, 0), E("ич", 4, 1, 0), E("ак", 5, 1, 0),
    E("ик", 5, 1, 0), E("ер", 5, 1, 0), E("лы", 5, 1, 0), E("ли", 5, 1, 0), E("ас", 5, 1, 0),
    E("ис", 5, 1, 0), E("ус", 5, 1, 0)
};
/* clang-format on */
#undef E
#undef F
#undef M

static const struct ending *surname_ending(const char *key)
{
    size_t chars = name_n_chars(key), len = strlen(key);
    for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
        size_t m = endings[i].len;
        if (chars >= endings[i].min_chars && len >= m &&
            memcmp(key + len - m, endings[i].suffix, m) == 0) {
            return &endings[i];
        }
    }
    return NULL;
}

/* The ending of a surname; of a double one, the strongest of its parts ("склодовская-кюри"). */
static const struct ending *surname_ending_any(const char *key)
{
    const struct ending *best = surname_ending(key);
    const char *hy = strchr(key, '-');
    if (hy == NULL || strlen(key) >= 128) {
        return best;
    }
    char part[128];
    for (const char *p = key; *p != '\0';) {
        size_t n = strcspn(p, "-");
        memcpy(part, p, n);
        part[n] = '\0';
        const struct ending *e = surname_ending(part);
        best = e != NULL && (best == NULL || e->strength > best->strength) ? e : best;
        p += n + (p[n] != '\0');
    }
    return best;
}

int name_surname_sex(const char *key)
{
    if (data_surname(key)) {
        return NAME_NONE; /* Щербина, Сковорода: a man's surname as often as a woman's */
    }
    const struct ending *e = surname_ending_any(key);
    return e ? e->sex : NAME_NONE;
}

bool name_surname_particle(const char *key, bool follower)
{
    static const char *const lead[] = {"фон",   "ван", "де",  "ди",    "да",  "дю", "дель",
                                       "делла", "аль", "эль", "von",   "van", "de", "di",
                                       "da",    "du",  "del", "della", "al",  "el"};
    static const char *const next[] = {"дер", "ден", "де", "ла", "ля", "der", "den", "de", "la"};
    return follower ? IN_LIST(key, next) : IN_LIST(key, lead);
}

void name_classify(struct tok *t)
{
    const char *key = t->key;
    t->first_sex = t->initial ? NAME_NONE : name_first_sex(key);
    t->listed = !t->initial && data_surname(key);
    t->patr = t->initial ? 0 : name_patronymic(key, &t->patr_sex);
    const struct ending *e = t->initial ? NULL : surname_ending_any(key);
    t->surname = e ? e->strength : 0;
    t->surname_sex = e ? e->sex : NAME_NONE;
}

/* ---- what is no name ------------------------------------------------------------------------ */

/* The letters of `text`, folded, nothing else: "Ф.И.О." -> "фио", "N/A" -> "na". */
static char *letters_only(const char *text, struct arena *a)
{
    char *key = fold_key(text, strlen(text), a);
    size_t j = 0;
    for (size_t i = 0; key[i] != '\0';) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)key + i, &adv);
        if (cp_is_cyrillic(cp) || cp_is_latin(cp)) {
            memmove(key + j, key + i, adv);
            j += adv;
        }
        i += adv;
    }
    key[j] = '\0';
    return key;
}

/* Written in place of a name to say there is none, or the form's label copied in. */
static const char no_name_words[] =
    "|null|nul|none|nan|nil|undefined|undef|na|нд|нет|нету|неуказано|неуказан|неуказана|"
    "неуказаны|незаполнено|неизвестно|неизвестен|неизвестна|нетданных|нетинформации|"
    "нетимени|нетфамилии|нетфио|безимени|безфамилии|отсутствует|пусто|уточнить|незнаю|"
    "отказ|отказался|отказалась|неуказал|неуказала|фио|fio|фамилияимяотчество|фамилияимя|"
    "имяфамилия|фамилия|имя|отчество|name|fullname|firstname|lastname|noname|ноунейм|";

/* Test and role words typed for a person who gave no name, and the classic joke name. */
static const char placeholder_words[] =
    "|тест|тестов|тестова|тестович|тестовна|тестовый|тестовая|test|tester|testov|testova|"
    "testovich|клиент|клиентка|покупатель|покупательница|гость|guest|user|пользователь|"
    "аноним|анонимно|анонимный|anonymous|пупкин|пупкина|админ|admin|администратор|"
    "менеджер|manager|кассир|продавец|образец|пример|example|sample|demo|демо|розничный|"
    "розничная|частное|частный|лицо|физлицо|контрагент|заказчик|получатель|абонент|"
    "неизвестный|неизвестная|безымянный|безымянная|бла|блабла|";

/* Titles and statuses typed beside a name; Latin ones as transliterated ("Mr" -> "мр"). */
static const char title_words[] = "|г-н|г-жа|гн|гжа|господин|госпожа|гражданин|гражданка|гр|тов|"
                                  "товарищ|мр|мрс|мс|мисс|мистер|миссис|сэр|ип|";

/* The legal forms of a company: a firm typed where a person's name goes. */
static const char legal_form_words[] =
    "|ооо|оао|зао|пао|ао|нко|гуп|муп|тоо|чп|фгуп|ано|ллк|лтд|инк|";

/* A word list written "|one|two|", split once into a sorted array. Read-only after
 * sets_init(), so any thread may look up. */
struct wordset {
    const char *bars;
    char **words; /* owned for the life of the process */
    size_t n;
};

static struct wordset no_names = {no_name_words, NULL, 0};
static struct wordset placeholders = {placeholder_words, NULL, 0};
static struct wordset titles = {title_words, NULL, 0};
static struct wordset legal_forms = {legal_form_words, NULL, 0};
static pthread_once_t sets_once = PTHREAD_ONCE_INIT;

static int cmp_word(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_split(struct wordset *set)
{
    size_t len = strlen(set->bars);
    char *copy = kt_malloc(len + 1);
    memcpy(copy, set->bars, len + 1);
    set->words = kt_malloc(sizeof(char *) * (len / 2 + 1));
    char *start = NULL;
    for (size_t i = 0; i < len; i++) {
        if (copy[i] == '|') {
            copy[i] = '\0';
            if (start != NULL && *start != '\0') {
                set->words[set->n++] = start;
            }
            start = copy + i + 1;
        }
    }
    qsort(set->words, set->n, sizeof(char *), cmp_word);
}

static size_t no_name_longest; /* bytes of the longest "no name" marker */

static void sets_init(void)
{
    set_split(&no_names);
    for (size_t i = 0; i < no_names.n; i++) {
        size_t l = strlen(no_names.words[i]);
        no_name_longest = l > no_name_longest ? l : no_name_longest;
    }
    set_split(&placeholders);
    set_split(&titles);
    set_split(&legal_forms);
}

static bool in_set(struct wordset *set, const char *key)
{
    pthread_once(&sets_once, sets_init);
    return bsearch(&key, set->words, set->n, sizeof(char *), cmp_word) != NULL;
}

size_t name_no_name_longest(void)
{
    pthread_once(&sets_once, sets_init);
    return no_name_longest;
}

bool name_no_name_letters(const char *letters)
{
    return letters[0] == '\0' || in_set(&no_names, letters);
}

char *name_letters(const char *text, struct arena *a)
{
    return letters_only(text, a);
}

bool name_no_name(const char *text, struct arena *a)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9') {
            return false; /* refused for its digits */
        }
    }
    const char *key = letters_only(text, a);
    return key[0] == '\0' || in_set(&no_names, key);
}

/* Keyboard rows, for mash typed along them ("фыва", "qwerty", "йцукен"). */
static bool keyboard_run(const char *key)
{
    static const char *const rows[] = {"qwertyuiop",
                                       "asdfghjkl",
                                       "zxcvbnm",
                                       "йцукенгшщзхъ",
                                       "фывапролджэ",
                                       "ячсмитьбю",
                                       "poiuytrewq",
                                       "lkjhgfdsa",
                                       "mnbvcxz",
                                       "ъхзщшгнекуцй",
                                       "эждлорпавыф",
                                       "юбьтимсчя",
                                       "абвгдежзийклмнопрстуфхцчшщ",
                                       "abcdefghijklmnopqrstuvwxyz"};
    static const char *const short_runs[] = {"qwe", "asd", "zxc", "йцу",
                                             "фыв", "ячс", "абв", "abc"};
    if (IN_LIST(key, short_runs)) {
        return true;
    }
    if (name_n_chars(key) < 4) {
        return false;
    }
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (strstr(rows[i], key) != NULL) {
            return true;
        }
    }
    return false;
}

static bool is_vowel(unsigned cp)
{
    static const unsigned v[] = {'a',   'e',   'i',   'o',   'u',   'y',   0x430, 0x435,
                                 0x451, 0x438, 0x43E, 0x443, 0x44B, 0x44D, 0x44E, 0x44F,
                                 0x456, 0x457, 0x454, 0x45E, 0x4D9, 0x4E9, 0x4AF, 0x4B1};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (v[i] == cp) {
            return true;
        }
    }
    return cp >= 0x80 && cp_is_latin(cp); /* é, ö, ü: never call such a word vowelless */
}

/* Keyboard mash: one letter over and over ("ааа"), a run along a keyboard row, no vowel at all
 * ("бгд"), or a short piece repeated ("ололо"). `low` is the word folded, not transliterated. */
static bool mash(const char *low)
{
    unsigned cps[64];
    size_t n = 0, vowels = 0;
    for (size_t i = 0; low[i] != '\0';) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)low + i, &adv);
        i += adv;
        if (!cp_is_cyrillic(cp) && !cp_is_latin(cp)) {
            return false; /* a hyphen, an apostrophe: a real compound */
        }
        if (n == 64) {
            return false;
        }
        vowels += is_vowel(cp);
        cps[n++] = cp;
    }
    if (n < 2) {
        return false;
    }
    if (keyboard_run(low) || vowels == 0) {
        return n >= 2;
    }
    for (size_t p = 1; p <= 3 && n >= 5; p++) {
        bool periodic = true;
        for (size_t i = p; i < n && periodic; i++) {
            periodic = cps[i] == cps[i - p];
        }
        if (periodic) {
            return true;
        }
    }
    size_t same = 1;
    while (same < n && cps[same] == cps[0]) {
        same++;
    }
    return same == n;
}

/* A piece of a run-together word that reads as a part of a name. */
static bool name_like(const char *key, int want)
{
    int sex;
    size_t chars = name_n_chars(key);
    if (want == S_FIRST) {
        return chars >= 3 && name_first_sex(key) != NAME_NONE;
    }
    if (want == S_MIDDLE) {
        return chars >= 6 && name_patronymic(key, &sex) >= 2;
    }
    const struct ending *e = surname_ending(key);
    return chars >= 4 && ((e != NULL && e->strength == 2) || data_surname(key));
}

/* True when the `n` bytes at `s` end with the ending of a full patronymic. */
static bool patronymic_ending(const char *s, size_t n)
{
    static const char *const e[] = {"ович", "евич", "овна", "евна", "ична"};
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        size_t m = strlen(e[i]);
        if (n >= m && memcmp(s + n - m, e[i], m) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether key[i..j) reads as part `want`; `buf` has room for the key. */
static bool piece_like(const char *key, size_t i, size_t j, int want, char *buf)
{
    memcpy(buf, key + i, j - i);
    buf[j - i] = '\0';
    return name_like(buf, want);
}

/* Three parts typed as one word in one case, "иванованнаивановна", "сидоровпетрпетрович": a
 * surname, a first name and a patronymic made of a known first name, or first name,
 * patronymic, surname. Only the cut points next to a patronymic's ending are tried, so a long
 * surname costs a few comparisons. */
static bool three_in_one(const char *key)
{
    size_t len = strlen(key);
    if (len < 20 || len >= 160 || strpbrk(key, "- '") != NULL) {
        return false;
    }
    char buf[160];
    bool lfm = patronymic_ending(key, len);
    /* surname >= 4 letters and first name >= 3 before a patronymic; first name >= 3 and
     * patronymic >= 6 before a surname: the cut falls 7 letters in at least */
    for (size_t j = 14; j + 8 <= len; j++) {
        if (((unsigned char)key[j] & 0xC0) == 0x80) {
            continue;
        }
        int sex;
        bool patr_last = lfm && len - j >= 12 && name_patronymic(key + j, &sex) == 3;
        bool sur_last =
            !patr_last && patronymic_ending(key, j) && piece_like(key, j, len, S_LAST, buf);
        for (size_t i = 4; i + 4 <= j && (patr_last || sur_last); i++) {
            if (((unsigned char)key[i] & 0xC0) == 0x80) {
                continue;
            }
            if (patr_last && piece_like(key, 0, i, S_LAST, buf) &&
                piece_like(key, i, j, S_FIRST, buf)) {
                return true;
            }
            if (sur_last && piece_like(key, 0, i, S_FIRST, buf) &&
                piece_like(key, i, j, S_MIDDLE, buf)) {
                return true;
            }
        }
    }
    return false;
}

/* Two or more parts typed as one word with a capital each: "ИвановИван", "ПетроваМария". */
static bool camel_case(const struct tok *t, struct arena *a)
{
    const char *s = t->raw;
    size_t cuts[NAME_MAX_BYTES + 2], n_cuts = 0, len = strlen(s);
    bool prev_lower = false;
    cuts[n_cuts++] = 0;
    for (size_t i = 0; i < len && len <= NAME_MAX_BYTES;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        if (cp_lower(cp) != cp && prev_lower) {
            cuts[n_cuts++] = i; /* a capital right after a small letter */
        }
        prev_lower = cp_upper(cp) != cp;
        i += adv;
    }
    if (n_cuts == 1) {
        return false; /* the usual word: nothing to look up */
    }
    cuts[n_cuts] = len;
    size_t named = 0;
    for (size_t k = 0; k < n_cuts; k++) {
        char *key = name_key(arena_strndup(a, s + cuts[k], cuts[k + 1] - cuts[k]), t->latin, a);
        named += name_like(key, S_LAST) || name_like(key, S_FIRST) || name_like(key, S_MIDDLE);
    }
    return named >= 2;
}

bool name_title(const char *key)
{
    return in_set(&titles, key);
}

const char *name_junk(const struct tok *t, struct arena *a)
{
    if (t->initial) {
        return NULL;
    }
    if (in_set(&legal_forms, t->key)) {
        return "organisation";
    }
    /* the word folded, not transliterated: the key itself unless the word is Latin */
    const char *low = t->latin ? fold_key(t->text, strlen(t->text), a) : t->key;
    if (in_set(&placeholders, low) || in_set(&no_names, low) ||
        (t->latin && (in_set(&placeholders, t->key) || in_set(&no_names, t->key)))) {
        return "placeholder_name";
    }
    if (camel_case(t, a) || three_in_one(t->key)) {
        return "run_together";
    }
    if (t->first_sex != NAME_NONE || t->listed) {
        return NULL;
    }
    return mash(low) ? "keyboard_mash" : NULL;
}
