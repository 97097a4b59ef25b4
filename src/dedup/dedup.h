/*
 * dedup.h - the duplicate matcher (docs/dedup-plan.md; issue 17). It knows records - rows of
 * named text fields - not customers: the store and the API feed it, it gives back pairs. This
 * header is its pieces so far: the string comparisons and the keys of Russian names.
 */
#ifndef KT_DEDUP_H
#define KT_DEDUP_H

#include <stddef.h>

#include "base/arena.h"

#define DEDUP_CPS_MAX 64 /* longest text compared, in code points; past it only equality counts */

/* Jaro-Winkler similarity of two UTF-8 strings, by code points (a Cyrillic letter is one):
 * 1 for equal, 0 for nothing in common; the common prefix (up to 4) lifts it by 0.1 a letter.
 * Text longer than DEDUP_CPS_MAX compares as 1 when equal, else 0. */
double dedup_jaro_winkler(const char *a, const char *b);

/* The phonetic key of one Russian name part, whatever it was typed in: the part is read as the
 * cleaner reads it (Latin transliterated to Cyrillic, a keyboard-layout slip undone, case and
 * "ё" folded), then sounds that spellings confuse are merged - vowels by the way they are
 * reduced, voiced consonants devoiced before a voiceless one and at the end, doubled letters
 * single, "ь"/"ъ" dropped, "тс"/"дс" as "ц" - and a feminine surname ending folded into the
 * masculine one (-ова/-ов, -ева/-ев, -ина/-ин, -ская/-ский, -ая/-ой). So Иванов, Иванова,
 * Ivanov, Iwanow, Ivanoff and Bdfyjd share one key. NULL for a part with no letters. In the
 * arena. */
const char *dedup_name_key(const char *part, struct arena *a);

/* The full form of a Russian first name given as a diminutive or short form (Саша -> Александр,
 * Наташа -> Наталья, Лёша -> Алексей), or the name itself when it is not one (folded, in the
 * arena); a diminutive shared by two names (Саша: Александр and Александра; Женя: Евгений and
 * Евгения) gives the masculine one, which dedup_name_key then matches to both. */
const char *dedup_first_name_full(const char *name, struct arena *a);

#endif
