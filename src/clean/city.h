/*
 * city.h - what city.c and city_near.c share (private to src/clean/).
 */
#ifndef KT_CLEAN_CITY_H
#define KT_CLEAN_CITY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"

/* How a name was found on the list; decides the `change` code. */
enum city_via {
    VIA_NONE,     /* not on the list */
    VIA_NAME,     /* the city's own name, maybe in another case or spacing */
    VIA_SPELLING, /* another spelling or an abbreviation ("спб", "Н. Новгород") */
    VIA_FORMER,   /* a former name ("Ленинград") */
    VIA_TYPO,     /* one or two letters off a listed name */
    VIA_LATIN,    /* written in Latin letters ("Yekaterinburg") */
    VIA_LAYOUT,   /* typed with the Latin keyboard layout on ("Vjcrdf") */
};

/* The listed city nearest to `key` (a city_key of Cyrillic text) within the typo threshold of
 * its length, when exactly one is nearest and the difference is not a village's ending
 * ("Кирово" is not "Киров"); NULL otherwise. */
const char *city_near_typo(const char *key, struct arena *a, enum city_via *via);

/* The listed city that Latin text (letters, spaces, hyphens, apostrophes, dots) transliterates
 * to, exactly or one letter off; NULL when none or more than one. */
const char *city_near_latin(const char *text, struct arena *a, enum city_via *via);

/* `text` retyped as if the Russian keyboard layout had been on, in the arena; NULL when it is
 * not plain ASCII with letters. */
char *city_layout_fix(const char *text, struct arena *a);

/* Listed cities whose words `words` abbreviate ("н новгород", "петропавловск камч"): each word
 * whole or, where may_cut allows, a prefix of the city's word in the same place; one at least
 * whole and 4 letters long. The standard name when exactly one city fits, else NULL. */
const char *city_near_abbrev(char *const *words, const bool *may_cut, size_t n, struct arena *a);

#endif
