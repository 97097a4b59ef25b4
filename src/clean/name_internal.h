/*
 * name_internal.h - what the parts of the name cleaner share (name.c, name_token.c,
 * name_class.c, name_order.c); not part of the clean/ interface.
 */
#ifndef KT_CLEAN_NAME_INTERNAL_H
#define KT_CLEAN_NAME_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "clean/clean.h"

/* One word of a name (or a word with its particles: "фон Мекк", "Гусейн оглы"). The strings
 * live in the work's arena. */
struct tok {
    char *raw;    /* as typed, once punctuation is tidied: what a value kept as typed shows */
    char *text;   /* standard form */
    char *key;    /* fold key (transliterated when Latin) */
    bool latin;   /* written in Latin letters */
    bool initial; /* "И." */
    bool glued;   /* an initial typed right after the one before ("И.И."), no space */
    bool dashed;  /* a dash with spaces before it ("Иванова - Петрова") */
    /* What the word looks like (name_classify): */
    int first_sex; /* enum name_sex of a known first name, NAME_NONE when not one */
    bool listed;   /* a known surname without a telling ending (Ким, Цой, Шмидт) */
    bool particle; /* a surname with its particle: "фон Мекк", "ван Гог" */
    int patr;      /* patronymic: 0 no, 1 weak (-ич), 2 by its ending, 3 of a known first name */
    int patr_sex;  /* NAME_MALE/NAME_FEMALE when patr > 0 */
    int surname; /* surname ending: 0 none, 1 weak (-ко, -ич, -ия), 2 strong (-ов, -дзе) */
    int surname_sex; /* NAME_MALE/NAME_FEMALE for a gendered ending (-ов/-ова), else NAME_NONE */
};

/* What was changed, for the `change` code: the first set bit in this order wins. */
enum name_change {
    CH_LAYOUT = 1 << 0,     /* keyboard_layout */
    CH_HOMOGLYPHS = 1 << 1, /* latin_lookalikes */
    CH_ORDER = 1 << 2,      /* order */
    CH_TITLE = 1 << 3,      /* title_dropped: "г-н", "Mr", "ИП" */
    CH_BRACKETS = 1 << 4,   /* bracketed_dropped: a nickname or former surname in brackets */
    CH_PUNCT = 1 << 5,      /* punctuation: commas, full stops, dashes, quotes, an initial's dot */
    CH_INVISIBLE = 1 << 6,  /* invisible_characters: zero-width spaces, soft hyphens, accents */
    CH_CASE = 1 << 7,       /* case */
    CH_SPACING = 1 << 8,    /* spacing */
};

struct work {
    struct arena *a;
    const char *invalid;    /* reason, first wins */
    const char *suspicious; /* reason, first wins */
    bool keep_typed;        /* junk: the value shows the words as typed, never title-cased */
    bool pinned;            /* the words stay in the order typed (a particle left alone) */
    unsigned changes;       /* enum name_change bits */
};

enum slot { S_LAST, S_FIRST, S_MIDDLE };

/* The longest full name or name part kept, in bytes of UTF-8: some 150 Cyrillic letters. */
#define NAME_MAX_BYTES 300
/* Words looked at in one full name; more is never a name. */
#define NAME_MAX_WORDS 12

/* name_token.c */
bool name_ends_with(const char *s, const char *suffix);
size_t name_n_chars(const char *s);
char *name_translit_key(const char *key, struct arena *a);
/* Cleans the text, undoes a layout slip, tidies punctuation and splits into words (at most
 * `max`); w->invalid says why when it cannot. */
size_t name_prepare(struct work *w, const char *in, size_t len, struct tok *toks, size_t max);
/* The key of `text` (folded, transliterated when Latin), in the arena. */
char *name_key(const char *text, bool latin, struct arena *a);

/* name_class.c */
void name_classify(struct tok *t);
/* Sex of a first name, also a double one ("анна-мария"); NAME_NONE when unknown. */
int name_first_sex(const char *key);
int name_patronymic(const char *key, int *sex);
int name_surname_sex(const char *key);
bool name_turkic_particle(const char *key);
/* "ибн", "бин", "бинт": the Arabic "son of", "daughter of" before the father's name. */
bool name_nasab_particle(const char *key);
bool name_surname_particle(const char *key, bool follower);
/* A title or status before or after a name: "г-н", "гражданка", "Mr", "ИП". */
bool name_title(const char *key);
/* The reason a word, or the whole text, is not a name: "no_name" for the whole text, else
 * "placeholder_name", "organisation", "keyboard_mash", "run_together"; NULL when it may be a
 * name. */
bool name_no_name(const char *text, struct arena *a);
/* The letters of `text` folded, nothing else ("Ф.И.О." -> "фио"), and whether such letters are a
 * "no name" marker. */
char *name_letters(const char *text, struct arena *a);
bool name_no_name_letters(const char *letters);
/* Bytes of the longest "no name" marker: longer letters are none. */
size_t name_no_name_longest(void);
const char *name_junk(const struct tok *t, struct arena *a);

/* name_order.c: slots[i] is the part of token i; true when the order as typed stands. */
bool name_choose_slots(const struct tok *t, size_t n, enum slot *slots);

#endif
