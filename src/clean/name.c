/*
 * name.c - Russian full names (ФИО): the entry points, the verdict, gender and the match key.
 *
 * The name cleaner is four files by concern: name_token.c splits the text into words and settles
 * case and script; name_class.c says what a word looks like (a patronymic, a surname, a
 * placeholder); name_order.c decides which word is which part; this file puts them together.
 *
 * Not here: diminutives (Саша for Александр), foreign name orders beyond the Latin script, and
 * anything that needs the database (duplicates are found by the quality report on the key
 * clean_name_key() makes).
 */
#include <string.h>

#include "base/buf.h"
#include "clean/clean.h"
#include "clean/internal.h"
#include "clean/name_internal.h"

void clean_infer_gender(const char *last, const char *first, const char *middle, struct arena *a,
                        const char **gender, const char **from)
{
    *gender = NULL;
    *from = NULL;
    int sex = NAME_NONE;
    if (middle != NULL && (sex = name_patronymic_sex(fold_key(middle, strlen(middle), a))) != 0) {
        *from = "patronymic";
    } else if (first != NULL) {
        char *key = fold_key(first, strlen(first), a);
        enum name_sex s = NAME_NONE;
        if (data_first_name(key, &s) == NULL && (unsigned char)key[0] < 0x80) {
            data_first_name(name_translit_key(key, a), &s);
        }
        sex = s == NAME_BOTH ? NAME_NONE : (int)s;
        *from = sex ? "first_name" : NULL;
    }
    if (sex == NAME_NONE && last != NULL) {
        char *key = fold_key(last, strlen(last), a);
        sex = name_surname_sex((unsigned char)key[0] < 0x80 ? name_translit_key(key, a) : key);
        *from = sex ? "surname" : NULL;
    }
    *gender = sex == NAME_MALE ? "m" : sex == NAME_FEMALE ? "f" : NULL;
}

const char *clean_name_key(const char *last, const char *first, const char *middle, struct arena *a)
{
    if (last == NULL || first == NULL) {
        return NULL;
    }
    const char *parts[3] = {last, first, middle ? middle : ""};
    char *keys[3];
    for (int i = 0; i < 3; i++) {
        keys[i] = fold_key(parts[i], strlen(parts[i]), a);
        if ((unsigned char)keys[i][0] < 0x80) {
            keys[i] = name_translit_key(keys[i], a);
        }
    }
    return arena_printf(a, "%s %s %s", keys[0], keys[1], keys[2]);
}

static void finish(struct work *w, const char *in, size_t len, const char *value, bool reordered,
                   struct clean_out *out)
{
    memset(out, 0, sizeof(*out));
    if (w->invalid == NULL && strlen(value) > NAME_MAX_BYTES) {
        /* case folding or a moved initial's dot can lengthen a value that fit as typed; the
         * standard form must itself pass the limit, or cleaning it again would refuse it */
        w->invalid = "too_long";
    }
    if (w->invalid != NULL) {
        out->verdict = CLEAN_INVALID;
        out->reason = w->invalid;
        return;
    }
    out->value = value;
    bool same = strlen(value) == len && memcmp(value, in, len) == 0;
    out->verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
    out->change = same            ? NULL
                  : w->layout     ? "keyboard_layout"
                  : w->homoglyphs ? "latin_lookalikes"
                  : reordered     ? "order"
                                  : "case_or_spacing";
    if (w->suspicious != NULL) {
        out->verdict = CLEAN_SUSPICIOUS;
        out->reason = w->suspicious;
    }
}

static void check_placeholders(struct work *w, const struct tok *t, size_t n)
{
    for (size_t i = 0; i < n && w->suspicious == NULL; i++) {
        if (name_placeholder(t[i].key)) {
            w->suspicious = "placeholder_name";
        } else if (!t[i].initial && name_n_chars(t[i].text) == 1) {
            w->suspicious = "single_letter";
        }
    }
}

static bool is_particle(const char *key)
{
    return strcmp(key, "оглы") == 0 || strcmp(key, "кызы") == 0 || strcmp(key, "улы") == 0;
}

void clean_full_name(const char *in, size_t len, struct arena *a, struct clean_name *out)
{
    memset(out, 0, sizeof(*out));
    struct work w = {a, NULL, NULL, false, false};
    struct tok t[8];
    struct clean_out text;
    size_t n = name_prepare(&w, in, len, t, 8, &text);
    /* Turkic patronymics are two words: "Гусейн оглы"; the particle alone is no name. */
    if (!w.invalid && n > 0 && is_particle(t[0].key)) {
        w.invalid = "bad_particle";
    }
    for (size_t i = 1; i < n && !w.invalid; i++) {
        if (is_particle(t[i].key)) {
            t[i - 1].text =
                arena_printf(a, "%s %s", t[i - 1].text, fold_key(t[i].text, strlen(t[i].text), a));
            t[i - 1].key = arena_printf(a, "%s%s", t[i - 1].key, t[i].key);
            memmove(&t[i], &t[i + 1], sizeof(t[0]) * (n - i - 1));
            n--;
        }
    }
    if (!w.invalid && n == 0) {
        w.invalid = "empty";
    }
    if (!w.invalid && n > 3) {
        w.invalid = "too_many_parts";
    }
    size_t patronymics = 0;
    for (size_t i = 0; i < n && !w.invalid; i++) {
        patronymics += name_patronymic_sex(t[i].key) != NAME_NONE;
    }

    enum slot slots[3] = {S_LAST, S_FIRST, S_MIDDLE};
    bool usual = w.invalid ? true : name_choose_slots(t, n, patronymics, slots);
    if (!w.invalid) {
        check_placeholders(&w, t, n);
    }
    for (size_t i = 0; i < n && !w.invalid; i++) {
        const char **part = slots[i] == S_LAST    ? &out->last
                            : slots[i] == S_FIRST ? &out->first
                                                  : &out->middle;
        *part = t[i].text;
        out->latin = out->latin || t[i].latin;
    }
    if (!w.invalid && out->first != NULL && out->last == NULL && out->middle == NULL &&
        name_n_chars(out->first) <= 2 && w.suspicious == NULL) {
        w.suspicious = "initials_only";
    }
    const char *joined = arena_printf(
        a, "%s%s%s%s%s", out->last ? out->last : "",
        out->last && (out->first || out->middle) ? " " : "", out->first ? out->first : "",
        out->first && out->middle ? " " : "", out->middle ? out->middle : "");
    finish(&w, in, len, joined, !usual, &out->out);
    if (out->out.verdict == CLEAN_INVALID) {
        out->last = out->first = out->middle = NULL;
        return;
    }
    if (out->out.verdict == CLEAN_OK || n > 1) {
        /* A full name is always split, so say so when nothing else changed. */
        out->out.change = out->out.change ? out->out.change : n > 1 ? "split" : NULL;
        out->out.verdict =
            out->out.verdict == CLEAN_OK && n > 1 ? CLEAN_CORRECTED : out->out.verdict;
    }
    clean_infer_gender(out->last, out->first, out->middle, a, &out->gender, &out->gender_from);
}

void clean_name_part(enum name_part part, const char *in, size_t len, struct arena *a,
                     struct clean_out *out)
{
    struct work w = {a, NULL, NULL, false, false};
    struct tok t[4];
    struct clean_out text;
    size_t n = name_prepare(&w, in, len, t, 4, &text);
    if (!w.invalid && n == 0) {
        w.invalid = "empty";
    }
    /* A part is one word, a hyphenated word, an initial, or a two-word Turkic patronymic. */
    if (!w.invalid && n > 1 &&
        !(part == NAME_MIDDLE && n == 2 &&
          (strcmp(t[1].key, "оглы") == 0 || strcmp(t[1].key, "кызы") == 0))) {
        w.invalid = "several_words";
    }
    if (!w.invalid) {
        check_placeholders(&w, t, 1);
    }
    const char *value = n == 2 ? arena_printf(a, "%s %s", t[0].text, t[1].key) : n ? t[0].text : "";
    finish(&w, in, len, value, false, out);
}
