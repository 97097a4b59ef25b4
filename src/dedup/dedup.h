/*
 * dedup.h - the duplicate matcher (docs/dedup-plan.md; issue 17). It knows records - rows of
 * named text fields - not customers: the store and the API feed it, it gives back pairs. This
 * header is its pieces so far: the string comparisons and the keys of Russian names.
 */
#ifndef KT_DEDUP_H
#define KT_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* ---- the matcher ---------------------------------------------------------------------------- */

#define DEDUP_FIELDS_MAX 16
#define DEDUP_RULE_PARTS 4
#define DEDUP_RULES_MAX  16

/* A compared field: its column, its kind, and whether an exact match weighs by how common the
 * value is (a shared Иванов is weaker evidence than a shared Шевченко-Гарипова). */
struct dedup_field {
    const char *column;
    enum dedup_kind kind;
    bool tf;
    bool veto;   /* a rule no score overrides: values present and different (level 0) are two
                    people - first names of twins who share everything else */
    int veto_if; /* the veto holds only when this field is exact on both (-1: always) */
};

/* A blocking rule: records whose parts are all equal become candidate pairs. A part is a
 * field's standard text, its key (`key`: the phonetic or full-name key), or the first
 * `prefix` code points of either. */
struct dedup_part {
    size_t field;
    bool key;
    size_t prefix; /* 0 = all */
};
struct dedup_rule {
    struct dedup_part part[DEDUP_RULE_PARTS];
    size_t n;
};

struct dedup_conf {
    struct dedup_field field[DEDUP_FIELDS_MAX];
    size_t n_fields;
    struct dedup_rule rule[DEDUP_RULES_MAX];
    size_t n_rules;
    double threshold;     /* a pair with a match probability at least this is one person */
    size_t block_cap;     /* a block of more records is skipped (and counted) */
    bool keep_candidates; /* dedup_stats.cand gets the candidate pairs */
};

/* A pair judged, by record index (a < b), with its match weight (log2 of the odds) and its
 * probability, and each field's level (-1 missing). */
struct dedup_pair {
    uint32_t a, b;
    double weight, prob;
    int8_t level[DEDUP_FIELDS_MAX];
};

/* What a run saw: records, candidate pairs, blocks skipped for their size, EM's rounds, and
 * each field's m and u per level as learnt (for the explanation and the docs). */
struct dedup_stats {
    size_t records, candidates, blocks_skipped, matches;
    int em_rounds;
    double lambda;
    double m[DEDUP_FIELDS_MAX][4], u[DEDUP_FIELDS_MAX][4];
    double u_random[DEDUP_FIELDS_MAX][4]; /* u on random pairs: how common each level is */
    uint64_t *cand; /* keep_candidates: every candidate pair, a << 32 | b (the caller frees) */
};

struct dedup_set;

/* The comparison file (docs/dedup.md): lines "id COLUMN", "field COLUMN KIND [tf]", "veto
 * COLUMN [IF_EXACT_COLUMN]", "block PART...", "threshold P", "block-cap N", '#' comments. A PART is
 * COLUMN[:key][:N]. Column names go into the arena; *id_column gets the id line's. False with a
 * message naming the line. */
bool dedup_conf_parse(const char *text, struct dedup_conf *c, const char **id_column,
                      struct arena *a, char *err, size_t err_size);
/* The default comparisons: the customer columns record_id, last_name, first_name, middle_name,
 * phone, email, birth_date, city, card (full_name is split into the three by the caller). */
extern const char dedup_default_conf[];

/* A set of records to deduplicate under `conf` (copied; its columns are borrowed). */
struct dedup_set *dedup_set_new(const struct dedup_conf *conf);
void dedup_set_free(struct dedup_set *s);
/* Adds a record: its id (copied) and its raw values, one per configured field (NULL: absent). */
void dedup_set_add(struct dedup_set *s, const char *id, const char *const *raw);
size_t dedup_set_size(const struct dedup_set *s);
const char *dedup_set_id(const struct dedup_set *s, size_t i);
/* Record i's values as read (one per configured field), once dedup_run() has read them. */
const struct dedup_value *dedup_set_values(const struct dedup_set *s, size_t i);

/* Blocks, compares, learns m and u by EM, scores: the pairs judged one person, strongest first,
 * into *out (kt_malloc'd, the caller frees), their number in *n, and what it saw in *st.
 * `progress`, when not NULL, is called now and then with the share done (0..1). */
void dedup_run(struct dedup_set *s, struct dedup_pair **out, size_t *n, struct dedup_stats *st,
               void (*progress)(double done, void *arg), void *arg);

/* The blocking keys of one record (its values read by dedup_value, one per configured field):
 * one per rule whose parts it has, into keys[] (room for DEDUP_RULES_MAX), in the arena; two
 * records sharing one are a candidate pair. Returns how many. */
size_t dedup_record_keys(const struct dedup_conf *c, const struct dedup_value *v, struct arena *a,
                         const char **keys);

/* ---- one pair, later (model.c) ------------------------------------------------------------- */

/* What a run learnt, kept to score one pair at a time afterwards (a new customer against those
 * who may be her): lambda, and m and u per field and level. */
struct dedup_model {
    double lambda;
    double m[DEDUP_FIELDS_MAX][4], u[DEDUP_FIELDS_MAX][4];
};

void dedup_model_of(const struct dedup_stats *st, struct dedup_model *m);
/* A field's weight at a level: log2(m / u), what the field adds to the pair's weight (the
 * explanation's figure; a term frequency may make an exact name's weigh more in a run). */
double dedup_level_weight(const struct dedup_model *m, size_t field, int level);
/* Whether `level` (a pair's level per field) is stopped by one of the configured vetoes. */
bool dedup_vetoed(const struct dedup_conf *c, const int8_t *level);
/* Compares two records (their values read by dedup_value, one per configured field) into
 * `level` and gives the pair's weight under `m`; *prob its probability. */
double dedup_score(const struct dedup_conf *c, const struct dedup_model *m,
                   const struct dedup_value *x, const struct dedup_value *y, int8_t *level,
                   double *prob);

#endif
