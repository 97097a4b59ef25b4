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

struct tok {
    char *text; /* standard form */
    char *key;  /* fold key (translit for Latin) */
    bool latin;
    bool initial; /* "И." */
};

struct work {
    struct arena *a;
    const char *invalid;     /* reason, first wins */
    const char *suspicious;  /* reason */
    bool homoglyphs, layout; /* what was changed */
};

enum slot { S_LAST, S_FIRST, S_MIDDLE };

/* The longest full name or name part kept, in bytes of UTF-8: some 150 Cyrillic letters. */
#define NAME_MAX_BYTES 300

/* name_token.c */
bool name_ends_with(const char *s, const char *suffix);
size_t name_n_chars(const char *s);
char *name_translit_key(const char *key, struct arena *a);
size_t name_prepare(struct work *w, const char *in, size_t len, struct tok *toks, size_t max,
                    struct clean_out *out);

/* name_class.c */
int name_patronymic_sex(const char *key);
int name_surname_sex(const char *key);
bool name_surname_like(const char *key);
bool name_placeholder(const char *key);

/* name_order.c */
bool name_choose_slots(const struct tok *t, size_t n, size_t patronymics, enum slot *slots);

#endif
