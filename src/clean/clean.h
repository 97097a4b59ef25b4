/*
 * clean.h - standard forms of the values customers give us.
 *
 * Pure functions: no I/O, no globals that change, no allocation except into the caller's arena.
 * Each cleaner takes raw text and returns a verdict, the standard form and, when it changed
 * something or refused the value, a short machine code saying what. Cleaning a clean value must
 * change nothing (idempotence; the fuzzers check it).
 *
 * What is deliberately not here: anything that needs the database (uniqueness, history), and the
 * decision what to do with a verdict - that belongs to the caller (identity/, the importer).
 */
#ifndef KT_CLEAN_CLEAN_H
#define KT_CLEAN_CLEAN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"

enum clean_verdict {
    CLEAN_OK,         /* already standard */
    CLEAN_CORRECTED,  /* standardised; `change` says how */
    CLEAN_SUSPICIOUS, /* kept, but flagged; `reason` says why */
    CLEAN_INVALID,    /* refused as a value; `reason` says why */
};

struct clean_out {
    enum clean_verdict verdict;
    const char *value;  /* standard form, in the arena; NULL when invalid */
    const char *change; /* static machine code of what changed, or NULL */
    const char *reason; /* static machine code of why invalid/suspicious, or NULL */
};

const char *clean_verdict_name(enum clean_verdict v);

/*
 * Free text (names, city, address, attribute strings): must be valid UTF-8 without control
 * characters; normalised to NFC; whitespace runs (including no-break spaces) become one space;
 * trimmed. An empty result is CLEAN_INVALID with reason "empty". Longer than `max_bytes` after
 * cleaning is CLEAN_INVALID with reason "too_long".
 */
void clean_text(const char *in, size_t len, size_t max_bytes, struct arena *a,
                struct clean_out *out);

/* The matching key of text: lower case, "ё" as "е" (in the arena). */
char *clean_fold(const char *s, struct arena *a);

/* True when `s` is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
bool clean_utf8_valid(const char *s, size_t len);

/* Phone numbers. The standard form is E.164 ("+79161234567"). */
enum phone_type {
    PHONE_UNKNOWN, /* outside +7 we check the country code and length only */
    PHONE_MOBILE,
    PHONE_LANDLINE,
    PHONE_TOLL_FREE, /* 8-800 */
    PHONE_PREMIUM,   /* 8-803, 8-809 */
    PHONE_PERSONAL,  /* 8-808 */
    PHONE_VOIP,      /* Kazakh 751 */
};

struct clean_phone {
    struct clean_out out;
    enum phone_type type;
    const char *country;   /* ISO 3166 alpha-2 when known ("RU", "KZ"), else NULL */
    const char *extension; /* digits after "доб."/"ext", in the arena, or NULL */
};

void clean_phone(const char *in, size_t len, struct arena *a, struct clean_phone *out);
const char *phone_type_name(enum phone_type t);

/*
 * E-mail addresses (docs/email-policy.md). Two forms: `out.value` is the match key with the domain
 * in IDNA ASCII ("ivan@xn--e1afmkfd.xn--p1ai"), `display` shows the domain in Unicode
 * ("ivan@пример.рф"). Both are lower case.
 */
struct clean_email {
    struct clean_out out;
    const char *display; /* in the arena; NULL when invalid */
};

void clean_email(const char *in, size_t len, struct arena *a, struct clean_email *out);

/* The display form of a stored match key (`out.value` above): its IDNA labels ("xn--") in
 * Unicode, the rest as it is. A key without such labels is returned itself; in the arena. */
const char *clean_email_display(const char *key, struct arena *a);

/*
 * Russian full names (ФИО). clean_full_name() splits one string written in any usual order
 * ("Иванов Иван Иванович", "Иван Иванович Иванов", "иванов иван"); clean_name_part() cleans one
 * part given on its own. A name already standard is CLEAN_OK (splitting is no change). Both fix
 * case and spacing, tidy harmless punctuation (commas, a final full stop, spaced dashes, quotes,
 * a nickname in brackets), join particles (фон Мекк, Гусейн оглы), keep "ё", replace Latin
 * look-alike letters in Cyrillic words, undo a keyboard-layout slip ("Bdfyjd" -> "Иванов") and
 * keep a name written in Latin letters as such ("Ivanov Ivan"). Digits and other symbols make the
 * name invalid, and so does a "no name" marker ("null", "не указано", "-"); placeholders,
 * keyboard mash and names run together are suspicious and keep the words as typed. The rules:
 * docs/cleaning.md.
 */
struct clean_name {
    struct clean_out out; /* verdict of the whole name; out.value is the parts joined */
    const char *last;     /* standard forms, NULL when absent */
    const char *first;
    const char *middle;
    const char *gender;      /* "m"/"f" inferred from the name, or NULL when it cannot be told */
    const char *gender_from; /* "patronymic", "first_name" or "surname" */
    bool latin;              /* written in Latin letters */
};

enum name_part { NAME_LAST, NAME_FIRST, NAME_MIDDLE };

void clean_full_name(const char *in, size_t len, struct arena *a, struct clean_name *out);
void clean_name_part(enum name_part part, const char *in, size_t len, struct arena *a,
                     struct clean_out *out);

/* Gender from the patronymic, else the first name, else the surname ending; NULLs when none
 * tells. Any argument may be NULL. */
void clean_infer_gender(const char *last, const char *first, const char *middle, struct arena *a,
                        const char **gender, const char **from);

/* The key two records of one person share: parts folded (lower case, "ё" as "е"), Latin
 * transliterated, in the order last first middle. NULL when there is no last or first name. */
const char *clean_name_key(const char *last, const char *first, const char *middle,
                           struct arena *a);

/* The code points of valid UTF-8 `s` into out: how many, or cap + 1 when there are more. */
size_t clean_code_points(const char *s, unsigned *out, size_t cap);
/* n code points as UTF-8, in the arena. */
char *clean_from_code_points(const unsigned *cps, size_t n, struct arena *a);

/* The edit distance of two UTF-8 strings by code points (optimal string alignment: a swapped pair
 * is one edit), or max + 1 when it is more than max; texts past 48 code points are 0 apart when
 * equal, else max + 1. */
unsigned clean_edit_distance(const char *a, const char *b, unsigned max);

/* The key of one part as clean_name_key() writes it: folded, Latin transliterated. */
const char *clean_name_part_key(const char *part, struct arena *a);

/* City: matched against the shipped list of Russian cities and their other spellings. */
void clean_city(const char *in, size_t len, struct arena *a, struct clean_out *out);

/* The IANA time zone of a city as a profile holds it ("Владивосток", or any spelling the cleaner
 * reads): its federal subject's zone, or the town's own where the subject has several (Якутия,
 * Сахалин, Казахстан). NULL when the city is not on the list or towns of its name lie in
 * different zones (borrowed, lives for the process). */
const char *clean_city_zone(const char *city, struct arena *a);

/* Birth date in ISO form "YYYY-MM-DD"; `today_days` is days since 1970-01-01 for "not in the
 * future". */
void clean_birth_date(const char *in, size_t len, long long today_days, struct arena *a,
                      struct clean_out *out);

/* Any calendar date in ISO form (an attribute of type date: a contract's end, a first visit),
 * read as a birth date is but without its rules of age and time: only dates that do not exist,
 * other systems' empty dates (placeholder_date) and text that is no date are refused.
 * `today_days` places a two-digit year in the latest century not to come. */
void clean_date(const char *in, size_t len, long long today_days, struct arena *a,
                struct clean_out *out);

/* Gender: "m"/"f" (also "male", "female", "м", "ж", any case). */
void clean_gender(const char *in, size_t len, struct arena *a, struct clean_out *out);

#endif
