/*
 * internal.h - helpers shared by the cleaners (not part of the clean/ interface).
 */
#ifndef KT_CLEAN_INTERNAL_H
#define KT_CLEAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"

/* Decodes one code point of valid UTF-8 at `p`; *adv gets its length in bytes. */
unsigned utf8_get(const unsigned char *p, size_t *adv);
/* Encodes `cp` into out (room for 4 bytes); returns the length. */
size_t utf8_put(unsigned cp, char *out);

bool cp_is_cyrillic(unsigned cp);
bool cp_is_latin(unsigned cp);
unsigned cp_lower(unsigned cp);
unsigned cp_upper(unsigned cp);

/* The matching key of text: lower case, "ё" as "е", in the arena. */
char *fold_key(const char *s, size_t len, struct arena *a);

/* Data lists (data.c). */
enum name_sex { NAME_NONE = 0, NAME_MALE = 1, NAME_FEMALE = 2, NAME_BOTH = 3 };
/* Looks a first name up by its fold key; returns its standard form and sex, or NULL. Also finds
 * names written without "ь"/"ъ" (the way Latin transliterations come back). */
const char *data_first_name(const char *key, enum name_sex *sex);
/* True for a surname of the shipped list (surnames without a telling ending: Ким, Шмидт). */
bool data_surname(const char *key);
/* What a key of the city list is: the city's name, another spelling of it, a former name. */
enum city_kind { CITY_NAME, CITY_SPELLING, CITY_FORMER };
/* Looks a city up by its normalised key (city_key); returns the standard name or NULL, and
 * what the key is in *kind (may be NULL). */
const char *data_city(const char *key, enum city_kind *kind);
/* The list's keys one by one, for near matches: i below data_city_count(). */
size_t data_city_count(void);
/* The IANA time zone of a listed city by its standard name; NULL when not listed, when its
 * section names no zone, or when towns of that name lie in different zones. */
const char *data_city_zone(const char *std);
const char *data_city_at(size_t i, const char **key, enum city_kind *kind);
/* The key a city is matched on (city.c): folded, Latin look-alikes in Cyrillic words made
 * Cyrillic, punctuation and hyphens as single spaces. In the arena. */
char *city_key(const char *s, size_t len, struct arena *a);
/* Loads the lists (idempotent, thread-safe); false when an embedded file is malformed. */
bool data_load(void);

/* Edit distance for typo correction (fuzzy.c). */
#define FUZZY_MAX 48 /* longest text, in code points, that is compared */
/* The code points of `s` into out; returns how many, or cap + 1 when there are more. */
size_t fuzzy_cps(const char *s, unsigned *out, size_t cap);
/* Optimal string alignment distance of a and b, or max + 1 when it is above max. */
unsigned fuzzy_distance(const unsigned *a, size_t na, const unsigned *b, size_t nb, unsigned max);

#endif
