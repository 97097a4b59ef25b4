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
/* Looks a city up by its normalised key (see city.c); returns the standard name or NULL. */
const char *data_city(const char *key);
/* Loads the lists (idempotent, thread-safe); false when an embedded file is malformed. */
bool data_load(void);

#endif
