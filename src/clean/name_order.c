/*
 * name_order.c - which word of a full name is the surname, the first name and the patronymic:
 * the orders are scored from what each word looks like, "Фамилия Имя Отчество" when in doubt.
 */
#include <string.h>

#include "base/buf.h"
#include "clean/clean.h"
#include "clean/internal.h"
#include "clean/name_internal.h"

static int slot_score(const struct tok *t, enum slot s)
{
    enum name_sex sex;
    bool is_first = data_first_name(t->key, &sex) != NULL || t->initial;
    bool is_patr = name_patronymic_sex(t->key) != NAME_NONE;
    switch (s) {
    case S_MIDDLE:
        return is_patr ? 4 : t->initial ? 1 : -4;
    case S_FIRST:
        return (is_first ? 3 : 0) - (is_patr ? 2 : 0);
    case S_LAST:
        return (name_surname_like(t->key) ? 1 : 0) -
               (is_first && !name_surname_like(t->key) ? 1 : 0) - (is_patr ? 1 : 0) -
               (t->initial ? 3 : 0);
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
        out[0] = name_patronymic_sex(t[0].key)     ? S_MIDDLE
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
            if (s == S_MIDDLE && !t[i].initial && name_patronymic_sex(t[i].key) == NAME_NONE) {
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
        if (data_first_name(t[i].key, &sex) != NULL && name_patronymic_sex(t[i + 1].key)) {
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
bool name_choose_slots(const struct tok *t, size_t n, size_t patronymics, enum slot *slots)
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
