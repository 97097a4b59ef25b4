/*
 * name_order.c - which word of a full name is the surname, the first name and the patronymic.
 *
 * Every possible order is scored from what each word looks like (name_classify): a patronymic
 * by its ending, better one made of a known first name; a first name by the shipped lists; a
 * surname by its ending or the list of surnames without one. Pairs must agree in sex: a woman's
 * first name never takes an -ич word as her patronymic ("Анна Кузьмич": Кузьмич is her
 * surname). Position only breaks ties, in the order of Russian documents first, so a name whose
 * words tell nothing keeps the order typed ("Фамилия Имя Отчество").
 *
 * Invariant (idempotence): the standard form is written last, first, middle, and reading it back
 * must give the same parts. The score of an assignment is the same whatever the order typed
 * except for the tie-break, which favours exactly that written form; name_choose_slots() checks
 * it anyway and keeps the typed order when an odd input would read back otherwise.
 */
#include <string.h>

#include "clean/clean.h"
#include "clean/internal.h"
#include "clean/name_internal.h"

static int score_last(const struct tok *t)
{
    if (t->initial) {
        return -12;
    }
    if (t->particle) {
        return 10;
    }
    int s = t->listed ? 5 : 0;
    s += t->surname == 2 ? 4 : t->surname == 1 ? 2 : 0;
    if (t->first_sex != NAME_NONE && !t->listed) {
        s -= t->surname == 2 ? 4 : 5; /* a known first name is seldom a surname */
    }
    if (t->patr >= 2 && t->patr_sex == NAME_FEMALE) {
        s -= 10; /* -овна, -ична is never a surname */
    } else if (t->patr == 3) {
        s -= 5; /* Петрович can be a surname, Иванович rarely is */
    } else if (t->patr == 2) {
        s += 5; /* an -ович not made of a known first name is most often a surname: Шостакович,
                   Гуревич, Мицкевич */
    }
    return s;
}

static int score_first(const struct tok *t)
{
    if (t->initial) {
        return 3;
    }
    if (t->particle) {
        return -12;
    }
    int s = 0;
    if (t->first_sex != NAME_NONE) {
        s += t->listed ? 2 : 6;
    } else if (t->surname == 2) {
        s -= 4;
    } else if (t->surname == 1) {
        s -= 1;
    }
    s -= t->patr >= 2 ? 10 : t->patr == 1 ? 3 : 0;
    return s;
}

static int score_middle(const struct tok *t)
{
    if (t->initial) {
        return 2;
    }
    return t->patr == 3 ? 12 : t->patr == 2 ? 6 : t->patr == 1 ? 1 : -20;
}

static int slot_score(const struct tok *t, enum slot s)
{
    return s == S_LAST ? score_last(t) : s == S_FIRST ? score_first(t) : score_middle(t);
}

/* Sex of a word in its slot, when the word tells it. */
static int slot_sex(const struct tok *t, enum slot s)
{
    int sex = s == S_LAST ? t->surname_sex : s == S_FIRST ? t->first_sex : t->patr_sex;
    return sex == NAME_MALE || sex == NAME_FEMALE ? sex : NAME_NONE;
}

/* The parts must agree in sex: first name and patronymic always (a clash rules the order out),
 * the surname's ending less surely (Щербина, Сковорода are men's surnames too). */
static int agreement(const struct tok *t, const enum slot *order, size_t n)
{
    int sex[3] = {NAME_NONE, NAME_NONE, NAME_NONE};
    for (size_t i = 0; i < n; i++) {
        sex[order[i]] = slot_sex(&t[i], order[i]);
    }
    int s = 0;
    if (sex[S_FIRST] && sex[S_MIDDLE] && sex[S_FIRST] != sex[S_MIDDLE]) {
        s -= 30;
    }
    if (sex[S_LAST] && sex[S_FIRST] && sex[S_LAST] != sex[S_FIRST]) {
        s -= 3;
    }
    if (sex[S_LAST] && sex[S_MIDDLE] && sex[S_LAST] != sex[S_MIDDLE]) {
        s -= 3;
    }
    return s;
}

struct order {
    enum slot s[3];
    int prior; /* tie-break: how usual the order is as typed */
    int cost;  /* against the words: an order people hardly ever type */
};

static const struct order orders3[] = {
    {{S_LAST, S_FIRST, S_MIDDLE}, 3, 0}, {{S_FIRST, S_MIDDLE, S_LAST}, 2, 0},
    {{S_FIRST, S_LAST, S_MIDDLE}, 1, 0}, {{S_LAST, S_MIDDLE, S_FIRST}, 0, 0},
    {{S_MIDDLE, S_FIRST, S_LAST}, 0, 0}, {{S_MIDDLE, S_LAST, S_FIRST}, 0, 0},
};
/* Two words: a first name with a surname or a patronymic. A patronymic first is rare (only
 * "Петровна Ирина" is read so; "Петрович Иван" is a surname and a name), and a patronymic with
 * the surname alone is never read ("Анна Кузьмич" is not surname Анна). */
static const struct order orders2[] = {
    {{S_LAST, S_FIRST}, 3, 0},
    {{S_FIRST, S_MIDDLE}, 2, 0},
    {{S_FIRST, S_LAST}, 1, 0},
    {{S_MIDDLE, S_FIRST}, 0, 16},
};

static void assign(const struct tok *t, size_t n, enum slot *out)
{
    if (n == 1) {
        bool first = t[0].initial || (t[0].first_sex != NAME_NONE && !t[0].listed);
        /* a lone -ович not made of a first name is a surname (Шостакович), -овна never is */
        bool patr = t[0].patr == 3 || (t[0].patr == 2 && t[0].patr_sex == NAME_FEMALE);
        out[0] = patr ? S_MIDDLE : first ? S_FIRST : S_LAST;
        return;
    }
    const struct order *orders = n == 3 ? orders3 : orders2;
    size_t norders =
        n == 3 ? sizeof(orders3) / sizeof(orders3[0]) : sizeof(orders2) / sizeof(orders2[0]);
    int best = 0;
    size_t best_i = 0;
    for (size_t o = 0; o < norders; o++) {
        int words = agreement(t, orders[o].s, n) - orders[o].cost;
        for (size_t i = 0; i < n; i++) {
            words += slot_score(&t[i], orders[o].s[i]);
        }
        int score = 4 * words + orders[o].prior; /* the prior only breaks ties */
        if (o == 0 || score > best) {
            best = score;
            best_i = o;
        }
    }
    memcpy(out, orders[best_i].s, sizeof(enum slot) * n);
}

bool name_choose_slots(const struct tok *t, size_t n, enum slot *slots)
{
    assign(t, n, slots);
    bool usual = true;
    for (size_t i = 1; i < n; i++) {
        usual = usual && slots[i - 1] < slots[i];
    }
    if (n < 2 || usual) {
        return usual;
    }
    /* Read the standard form back: the same parts, or the order typed stands. */
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
    assign(sorted, n, again);
    if (memcmp(want, again, sizeof(want[0]) * n) == 0) {
        return false;
    }
    static const enum slot typed[3] = {S_LAST, S_FIRST, S_MIDDLE};
    memcpy(slots, typed, sizeof(typed));
    return true;
}
