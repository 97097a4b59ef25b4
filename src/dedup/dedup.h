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

/* ---- comparisons --------------------------------------------------------------------------- */

/* What a field holds, which decides how two values of it are read and compared. */
enum dedup_kind {
    DK_EXACT,      /* an identifier: a card, a passport, a postcode - equal or not */
    DK_TEXT,       /* free text: an address, a city */
    DK_NAME,       /* a surname or a patronymic */
    DK_FIRST_NAME, /* a first name: diminutives count as the name */
    DK_DATE,       /* a date, YYYY-MM-DD or YYYYMMDD */
    DK_PHONE,      /* a phone number: its digits */
    DK_EMAIL,      /* an e-mail address */
    DK_KINDS
};

/* A value as the comparisons read it: `text` its standard form (folded), `key` what a looser
 * level compares (a name's phonetic key, a first name's full form's key), NULL when absent. */
struct dedup_value {
    const char *text;
    const char *key;
};

/* Reads raw text as a value of kind k, in the arena; a missing or unreadable value has text
 * NULL (it then counts neither for nor against). */
struct dedup_value dedup_value(enum dedup_kind k, const char *raw, struct arena *a);

/* How many levels a kind's comparison has, and their names for the explanation ("exact",
 * "phonetic", "jw_0.92", "swapped", "one_digit", ...). Level 0 is "different". */
int dedup_levels(enum dedup_kind k);
const char *dedup_level_name(enum dedup_kind k, int level);

/* The level two values of kind k agree at: 0 (different) to dedup_levels(k) - 1 (exact), or
 * -1 when either is missing. */
int dedup_compare(enum dedup_kind k, const struct dedup_value *x, const struct dedup_value *y);

#endif
