/*
 * name_class.c - what a word of a name looks like: a patronymic by its ending, a surname by its
 * ending, a placeholder typed instead of a name. First names are data.c's lists.
 */
#include <string.h>

#include "base/buf.h"
#include "clean/clean.h"
#include "clean/internal.h"
#include "clean/name_internal.h"

int name_patronymic_sex(const char *key)
{
    if (name_ends_with(key, "овна") || name_ends_with(key, "евна") || name_ends_with(key, "ична") ||
        name_ends_with(key, "кызы")) {
        return NAME_FEMALE;
    }
    if (name_ends_with(key, "ович") || name_ends_with(key, "евич") || name_ends_with(key, "ьич") ||
        name_ends_with(key, "оглы") || name_ends_with(key, "улы") ||
        (name_ends_with(key, "ич") && name_n_chars(key) >= 5)) {
        return NAME_MALE;
    }
    return NAME_NONE;
}

int name_surname_sex(const char *key)
{
    static const char *const f[] = {"ова", "ева", "ина", "ына", "ская", "цкая", "ая"};
    static const char *const m[] = {"ов", "ев", "ин", "ын", "ский", "цкий", "ской", "ой", "ый"};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (name_ends_with(key, f[i]) && name_n_chars(key) > 4) {
            return NAME_FEMALE;
        }
    }
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        if (name_ends_with(key, m[i]) && name_n_chars(key) > 3) {
            return NAME_MALE;
        }
    }
    return NAME_NONE;
}

/* True for the endings surnames have beyond the gendered ones (-енко, -ук, -дзе, -ян, ...). */
bool name_surname_like(const char *key)
{
    static const char *const other[] = {"енко", "ко",  "ук", "юк", "дзе", "швили",
                                        "ян",   "янц", "их", "ых", "ец",  "ич"};
    if (name_surname_sex(key) != NAME_NONE) {
        return true;
    }
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        if (name_ends_with(key, other[i]) && name_n_chars(key) > strlen(other[i]) / 2 + 2) {
            return true;
        }
    }
    return false;
}

/* Placeholders people type instead of a name. */
bool name_placeholder(const char *key)
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
