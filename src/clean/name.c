/*
 * name.c - Russian full names (ФИО): the entry points, the verdict, gender and the match key.
 *
 * The name cleaner is four files by concern: name_token.c tidies the text and splits it into
 * words, settling case and script; name_class.c says what a word looks like (a first name, a
 * patronymic, a surname, a particle, no name at all); name_order.c decides which word is which
 * part; this file joins particles to their words, puts the parts together and gives the verdict.
 *
 * A verdict describes the value: `ok` when the standard form is the input as typed (outer spaces
 * aside), `corrected` with what changed otherwise. Junk - placeholders, keyboard mash, names run
 * together - is `suspicious` and keeps the words as typed: title-casing it would dress it up as
 * a name.
 *
 * Not here: diminutives (Саша for Александр), foreign name orders beyond the Latin script, and
 * anything that needs the database (duplicates are found by the quality report on the key
 * clean_name_key() makes).
 */
#include <string.h>

#include "clean/clean.h"
#include "clean/internal.h"
#include "clean/name_internal.h"

/* The key of a stored part, transliterated when it is written in Latin letters. */
static char *part_key(const char *part, struct arena *a)
{
    char *key = fold_key(part, strlen(part), a);
    return (unsigned char)key[0] < 0x80 ? name_translit_key(key, a) : key;
}

/* Gender from what the patronymic, the first name and the surname each tell (NAME_MALE,
 * NAME_FEMALE or NAME_NONE). */
static void decide_gender(int by_middle, int by_first, int by_last, const char **gender,
                          const char **from)
{
    by_first = by_first == NAME_BOTH ? NAME_NONE : by_first; /* Саша, Женя, Валя */
    int sex = NAME_NONE;
    *from = NULL;
    if (by_middle != NAME_NONE) {
        /* a patronymic that clashes with the first name tells nothing sure */
        sex = by_first == NAME_NONE || by_first == by_middle ? by_middle : NAME_NONE;
        *from = sex ? "patronymic" : NULL;
    } else if (by_first != NAME_NONE) {
        sex = by_first;
        *from = "first_name";
    } else if (by_last != NAME_NONE) {
        sex = by_last;
        *from = "surname";
    }
    *gender = sex == NAME_MALE ? "m" : sex == NAME_FEMALE ? "f" : NULL;
}

void clean_infer_gender(const char *last, const char *first, const char *middle, struct arena *a,
                        const char **gender, const char **from)
{
    int by_middle = NAME_NONE;
    if (middle != NULL) {
        name_patronymic(part_key(middle, a), &by_middle);
    }
    decide_gender(by_middle, first ? name_first_sex(part_key(first, a)) : NAME_NONE,
                  last ? name_surname_sex(part_key(last, a)) : NAME_NONE, gender, from);
}

const char *clean_name_part_key(const char *part, struct arena *a)
{
    return part_key(part, a);
}

const char *clean_name_key(const char *last, const char *first, const char *middle, struct arena *a)
{
    if (last == NULL || first == NULL) {
        return NULL;
    }
    return arena_printf(a, "%s %s %s", part_key(last, a), part_key(first, a),
                        middle ? part_key(middle, a) : "");
}

/* ---- particles and double first names ------------------------------------------------------- */

/* Lower case of UTF-8 `s` in place is not possible for every letter, so into the arena. */
static char *lower(const char *s, struct arena *a)
{
    char *out = arena_alloc(a, strlen(s) * 2 + 1);
    size_t j = 0;
    for (size_t i = 0; s[i] != '\0';) {
        size_t adv;
        j += utf8_put(cp_lower(utf8_get((const unsigned char *)s + i, &adv)), out + j);
        i += adv;
    }
    out[j] = '\0';
    return out;
}

/* Merges tokens [i, i + k) into token i, words joined with a space; `texts` are their standard
 * forms as they should read. */
static void merge(struct work *w, struct tok *t, size_t *n, size_t i, size_t k, char **texts)
{
    char *text = texts[0], *raw = t[i].raw, *key = t[i].key;
    for (size_t j = 1; j < k; j++) {
        text = arena_printf(w->a, "%s %s", text, texts[j]);
        raw = arena_printf(w->a, "%s %s", raw, t[i + j].raw);
        key = arena_printf(w->a, "%s %s", key, t[i + j].key);
    }
    t[i].text = text;
    t[i].raw = raw;
    t[i].key = key;
    memmove(&t[i + 1], &t[i + k], sizeof(t[0]) * (*n - i - k));
    *n -= k - 1;
    name_classify(&t[i]);
}

/* "Иванова - Петрова", "Анна - Мария": a dash with spaces joins two surnames or two first
 * names into one double one; between a surname and a first name ("Иванов - Иван") it was only
 * a separator and is dropped. */
static void merge_dashed(struct work *w, struct tok *t, size_t *n)
{
    for (size_t i = 1; i < *n; i++) {
        const struct tok *a = &t[i - 1], *b = &t[i];
        /* two words of two letters or more: a lone letter beside the dash stays apart, or the
         * join would turn it into a word with initials beside it when cleaned again */
        if (!b->dashed || name_n_chars(a->text) < 2 || name_n_chars(b->text) < 2 || a->initial ||
            b->initial || a->patr >= 2 || b->patr >= 2 || a->latin != b->latin ||
            strchr(a->text, '-') || strchr(b->text, '-') ||
            (a->first_sex != NAME_NONE) != (b->first_sex != NAME_NONE) ||
            name_turkic_particle(b->key)) {
            continue;
        }
        t[i - 1].text = arena_printf(w->a, "%s-%s", a->text, b->text);
        t[i - 1].raw = arena_printf(w->a, "%s-%s", a->raw, b->raw);
        t[i - 1].key = arena_printf(w->a, "%s-%s", a->key, b->key);
        memmove(&t[i], &t[i + 1], sizeof(t[0]) * (*n - i - 1));
        (*n)--;
        name_classify(&t[i - 1]);
        i--;
    }
}

/* A surname particle keeps the case typed when it is lower case or capitalised ("фон Мекк",
 * "Де Ниро": Russian usage has both); any other case becomes lower case ("ФОН" -> "фон"). */
static char *particle_text(struct work *w, const struct tok *t)
{
    char *low = lower(t->raw, w->a);
    bool capital = strcmp(t->raw, t->text) == 0;
    char *text = strcmp(t->raw, low) == 0 || !capital ? low : t->text;
    w->changes |= strcmp(text, t->raw) != 0 ? CH_CASE : 0;
    return text;
}

/* "фон Мекк", "фон дер Пален", "ван Бетховен", "де Голль": the particles join the surname they
 * stand before (never a first name or a patronymic). */
static void merge_surname_particles(struct work *w, struct tok *t, size_t *n)
{
    for (size_t i = 0; i + 1 < *n; i++) {
        if (t[i].initial || !name_surname_particle(t[i].key, false)) {
            continue;
        }
        size_t k = 1;
        while (k < 3 && i + k + 1 < *n && name_surname_particle(t[i + k].key, true)) {
            k++;
        }
        const struct tok *word = &t[i + k];
        bool script = true; /* particles and surname in one script, so a part reads alike */
        for (size_t j = 0; j < k; j++) {
            script = script && t[i + j].latin == word->latin;
        }
        if (!script || word->initial || word->first_sex != NAME_NONE || word->patr >= 2 ||
            name_surname_particle(word->key, false) || name_surname_particle(word->key, true) ||
            name_nasab_particle(word->key) || name_turkic_particle(word->key)) {
            continue;
        }
        char *texts[4];
        for (size_t j = 0; j < k; j++) {
            texts[j] = particle_text(w, &t[i + j]);
        }
        texts[k] = t[i + k].text;
        merge(w, t, n, i, k + 1, texts);
        t[i].particle = true;
    }
}

/* "Гусейн оглы", "Шавкат угли", "Рашид кызы": the Turkic particle joins the father's name before
 * it, in lower case, into one patronymic. Also "Гусейн-Оглы" -> "Гусейн-оглы". */
static void merge_turkic_particles(struct work *w, struct tok *t, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        const char *hy = strrchr(t[i].key, '-');
        if (hy != NULL && name_turkic_particle(hy + 1)) {
            char *dash = strrchr(t[i].text, '-');
            char *tail = lower(dash + 1, w->a);
            w->changes |= strcmp(tail, dash + 1) != 0 ? CH_CASE : 0;
            t[i].text = arena_printf(w->a, "%.*s-%s", (int)(dash - t[i].text), t[i].text, tail);
        }
    }
    for (size_t i = 1; i < *n; i++) {
        if (name_turkic_particle(t[i].key) && !t[i - 1].initial &&
            !name_turkic_particle(t[i - 1].key) && t[i - 1].latin == t[i].latin) {
            char *texts[2] = {t[i - 1].text, lower(t[i].text, w->a)};
            w->changes |= strcmp(texts[1], t[i].raw) != 0 ? CH_CASE : 0;
            merge(w, t, n, i - 1, 2, texts);
            i--;
        }
    }
}

/* "Хасан ибн Али": "ибн" (бин, бинт) and the father's name after it are one patronymic. */
static void merge_nasab(struct work *w, struct tok *t, size_t *n)
{
    for (size_t i = 0; i + 1 < *n; i++) {
        const char *next = t[i + 1].key;
        if (!t[i].initial && name_nasab_particle(t[i].key) && !t[i + 1].initial &&
            t[i].latin == t[i + 1].latin && !name_nasab_particle(next) &&
            !name_surname_particle(next, false) && !name_turkic_particle(next)) {
            char *texts[2] = {particle_text(w, &t[i]), t[i + 1].text};
            merge(w, t, n, i, 2, texts);
        }
    }
}

/* The parts of hyphenated token `t` (at most 3), classed; 0 when it has none or more. */
static size_t hyphen_parts(struct work *w, const struct tok *t, struct tok *part)
{
    size_t parts = 1;
    for (const char *p = t->text; *p; p++) {
        parts += *p == '-';
    }
    if (parts == 1 || parts > 3 || t->latin) {
        return 0;
    }
    const char *tp = t->text, *rp = t->raw;
    for (size_t k = 0; k < parts; k++) {
        size_t tl = strcspn(tp, "-"), rl = strcspn(rp, "-");
        part[k] = *t;
        part[k].dashed = k == 0 && t->dashed;
        part[k].text = arena_strndup(w->a, tp, tl);
        part[k].raw = arena_strndup(w->a, rp, rl);
        part[k].key = name_key(part[k].text, false, w->a);
        name_classify(&part[k]);
        tp += tl + (tp[tl] != '\0');
        rp += rl + (rp[rl] != '\0');
    }
    return parts;
}

/* True when the parts are a surname and a first name (or patronymic) of one sex. */
static bool surname_and_name(const struct tok *part, size_t parts)
{
    int name = NAME_NONE, surname = NAME_NONE;
    bool has_name = false, has_surname = false;
    for (size_t k = 0; k < parts; k++) {
        const struct tok *p = &part[k];
        if (name_n_chars(p->text) < 2) {
            return false;
        }
        if (p->patr == 3 || (p->first_sex != NAME_NONE && !p->listed && p->surname < 2)) {
            has_name = true;
            name = p->patr == 3 ? p->patr_sex : p->first_sex;
        } else if (p->surname == 2 && p->first_sex == NAME_NONE && p->patr < 2) {
            has_surname = true;
            surname = p->surname_sex;
        }
    }
    bool clash = (name == NAME_MALE || name == NAME_FEMALE) && surname != NAME_NONE &&
                 surname != name; /* Склодовская-Кюри: Кюри is a man's name, not hers */
    return has_name && has_surname && !clash;
}

/* "Иванов-Иван", "Мария-Петрова": a surname and a first name of one sex joined by a hyphen are
 * two words when the name has no other first name (a double surname has none in it:
 * Петров-Водкин, Мамин-Сибиряк; Склодовская-Кюри Мария stays whole beside Мария). */
static void split_hyphenated(struct work *w, struct tok *t, size_t *n, size_t max)
{
    for (size_t i = 0; i < *n; i++) {
        bool other_first = false;
        for (size_t k = 0; k < *n; k++) {
            other_first = other_first || (k != i && !t[k].initial && t[k].first_sex != NAME_NONE);
        }
        struct tok part[3];
        size_t parts = other_first ? 0 : hyphen_parts(w, &t[i], part);
        if (parts > 0 && *n + parts - 1 <= max && surname_and_name(part, parts)) {
            memmove(&t[i + parts], &t[i + 1], sizeof(t[0]) * (*n - i - 1));
            memcpy(&t[i], part, sizeof(t[0]) * parts);
            *n += parts - 1;
            i += parts - 1;
            w->changes |= CH_PUNCT;
        }
    }
}

/* "аль-Фараби": a hyphenated Arabic article keeps the lower case it was typed in. */
static void article_case(struct tok *t, size_t n)
{
    static const char *const articles[] = {"аль-", "эль-", "ал-", "ас-",  "ад-", "ат-", "ан-",
                                           "ар-",  "аш-",  "аз-", "уль-", "al-", "el-"};
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof(articles) / sizeof(articles[0]); k++) {
            size_t m = strlen(articles[k]);
            if (strncmp(t[i].key, articles[k], m) == 0 && t[i].raw[0] == t[i].key[0] &&
                strncmp(t[i].raw, t[i].key, m) == 0 && t[i].key[m] != '\0') {
                memcpy(t[i].text, t[i].raw, m); /* same bytes: the key and the raw agree */
            }
        }
    }
}

/* True when token `t` can be half of a double first name. */
static bool first_half(const struct tok *t)
{
    return !t->initial && t->first_sex != NAME_NONE && !t->listed && t->patr == 0 && t->surname < 2;
}

/* Four words: a patronymic, a surname, and two known first names side by side make a double
 * first name ("Алиев Магомед Расул Ахмедович"), as Dagestan and Central Asia write them. Only
 * when exactly one such pair exists, so the standard form reads back the same. */
static void merge_double_first(struct work *w, struct tok *t, size_t *n)
{
    if (*n != 4) {
        return;
    }
    size_t patronymics = 0, surnames = 0, pairs = 0, at = 0;
    for (size_t i = 0; i < 4; i++) {
        patronymics += t[i].patr >= 2;
        surnames += t[i].first_sex == NAME_NONE && t[i].patr < 2 && !t[i].initial;
    }
    for (size_t i = 0; i + 1 < 4; i++) {
        if (first_half(&t[i]) && first_half(&t[i + 1])) {
            pairs++;
            at = i;
        }
    }
    if (patronymics == 1 && surnames == 1 && pairs == 1) {
        char *texts[2] = {t[at].text, t[at + 1].text};
        merge(w, t, n, at, 2, texts);
    }
}

/* A particle left over once the particles are joined: a Turkic one is no name by itself ("А.
 * кызы"); with a surname particle or "ибн" alone the words keep the order typed (w->pinned):
 * moved before another word, the particle would join that word when cleaned again. */
static void leftover_particles(struct work *w, const struct tok *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (name_turkic_particle(t[i].key)) {
            w->invalid = w->invalid ? w->invalid : "bad_particle";
        }
        w->pinned = w->pinned || name_surname_particle(t[i].key, false) ||
                    name_surname_particle(t[i].key, true) || name_nasab_particle(t[i].key);
    }
}

/* The words spell a "no name" marker once titles and brackets are gone ("null ИП"), in any
 * order: the standard form may put them in another, and must be refused alike. */
static void no_name_left(struct work *w, const struct tok *t, size_t n)
{
    static const unsigned char perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                              {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += strlen(t[i].text);
    }
    if (n == 0 || n > 3 || bytes > 2 * name_no_name_longest()) {
        return; /* too long to be one (a word's letters may fold one byte longer) */
    }
    char *letters[3];
    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        letters[i] = name_letters(t[i].text, w->a);
        len += strlen(letters[i]);
    }
    char *joined = arena_alloc(w->a, len);
    for (size_t o = 0; o < 6 && !w->invalid; o++) {
        bool fits = true; /* the permutation orders the first n words only */
        for (size_t i = 0; i < n; i++) {
            fits = fits && perms[o][i] < n;
        }
        char *p = joined;
        for (size_t i = 0; i < n && fits; i++) {
            size_t tl = strlen(letters[perms[o][i]]);
            memcpy(p, letters[perms[o][i]], tl);
            p += tl;
        }
        *p = '\0';
        if (fits && name_no_name_letters(joined)) {
            w->invalid = "no_name";
        }
    }
}

/* ---- the verdict ---------------------------------------------------------------------------- */

static const char *change_code(unsigned changes)
{
    /* in the order of enum name_change's bits */
    static const char *const codes[] = {
        "keyboard_layout", "latin_lookalikes",     "order", "title_dropped", "bracketed_dropped",
        "punctuation",     "invisible_characters", "case",  "spacing"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (changes & (1u << i)) {
            return codes[i];
        }
    }
    return "case_or_spacing";
}

/* True when `value` is the `len` bytes at `in`, outer spaces aside. */
static bool as_typed(const char *value, const char *in, size_t len)
{
    while (len > 0 && (*in == ' ' || *in == '\t')) {
        in++;
        len--;
    }
    while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t')) {
        len--;
    }
    return strlen(value) == len && memcmp(value, in, len) == 0;
}

static void finish(struct work *w, const char *in, size_t len, const char *value,
                   struct clean_out *out)
{
    memset(out, 0, sizeof(*out));
    if (w->invalid == NULL && strlen(value) > NAME_MAX_BYTES) {
        /* an added dot can lengthen a value that fit as typed; the standard form must itself
         * pass the limit, or cleaning it again would refuse it */
        w->invalid = "too_long";
    }
    if (w->invalid != NULL) {
        out->verdict = CLEAN_INVALID;
        out->reason = w->invalid;
        return;
    }
    out->value = value;
    if (w->suspicious != NULL) {
        out->verdict = CLEAN_SUSPICIOUS;
        out->reason = w->suspicious;
    } else if (as_typed(value, in, len)) {
        out->verdict = CLEAN_OK;
    } else {
        out->verdict = CLEAN_CORRECTED;
        out->change = change_code(w->changes);
    }
}

/* Junk in any word makes the whole name suspicious, kept as typed. */
static void check_junk(struct work *w, const struct tok *t, size_t n)
{
    for (size_t i = 0; i < n && w->suspicious == NULL; i++) {
        const char *why = name_junk(&t[i], w->a);
        if (why == NULL && !t[i].initial && name_n_chars(t[i].text) == 1) {
            why = "single_letter";
        }
        if (why != NULL) {
            w->suspicious = why;
            w->keep_typed = true;
        }
    }
}

/* "г-н Иванов", "Иванов Иван Иванович ИП": a title or status beside the name goes. */
static void drop_titles(struct work *w, struct tok *t, size_t *n)
{
    size_t kept = 0, left = *n;
    for (size_t i = 0; i < *n; i++) {
        if (left > 1 && !t[i].initial && name_title(t[i].key)) {
            left--;
            w->changes |= CH_TITLE;
        } else {
            t[kept++] = t[i];
        }
    }
    *n = kept;
}

/* Classifies the words and joins particles; the words left, 0 when refused. */
static size_t shape(struct work *w, struct tok *t, size_t n, enum name_part part, bool whole)
{
    for (size_t i = 0; i < n; i++) {
        name_classify(&t[i]);
    }
    drop_titles(w, t, &n);
    no_name_left(w, t, n);
    if (whole) {
        split_hyphenated(w, t, &n, NAME_MAX_WORDS);
    }
    article_case(t, n);
    merge_dashed(w, t, &n);
    merge_nasab(w, t, &n);
    if (whole || part == NAME_MIDDLE) {
        merge_turkic_particles(w, t, &n);
    }
    if (whole || part == NAME_LAST) {
        merge_surname_particles(w, t, &n);
    }
    if (whole) {
        merge_double_first(w, t, &n);
    } else if (part == NAME_FIRST && n == 2 && t[0].first_sex && t[1].first_sex && !t[0].initial &&
               !t[1].initial) {
        char *texts[2] = {t[0].text, t[1].text};
        merge(w, t, &n, 0, 2, texts); /* "Анна Мария" given as the first name */
    }
    leftover_particles(w, t, n);
    return w->invalid ? 0 : n;
}

/* ---- entry points --------------------------------------------------------------------------- */

/* Puts the parts in out and returns the joined value: last, first, middle. */
static const char *place(struct work *w, const struct tok *t, size_t n, const enum slot *slots,
                         struct clean_name *out)
{
    const struct tok *by[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < n; i++) {
        by[slots[i]] = &t[i];
        out->latin = out->latin || t[i].latin;
    }
    const char **part[3] = {&out->last, &out->first, &out->middle};
    for (int s = 0; s < 3; s++) {
        *part[s] = by[s] ? (w->keep_typed ? by[s]->raw : by[s]->text) : NULL;
    }
    /* initials typed together stay together: "Иванов И.И.", "Иванов И. И." */
    bool glue = by[S_FIRST] && by[S_MIDDLE] && by[S_FIRST]->initial && by[S_MIDDLE]->glued;
    return arena_printf(w->a, "%s%s%s%s%s", out->last ? out->last : "",
                        out->last && (out->first || out->middle) ? " " : "",
                        out->first ? out->first : "", out->first && out->middle && !glue ? " " : "",
                        out->middle ? out->middle : "");
}

void clean_full_name(const char *in, size_t len, struct arena *a, struct clean_name *out)
{
    memset(out, 0, sizeof(*out));
    struct work w = {a, NULL, NULL, false, false, 0};
    struct tok t[NAME_MAX_WORDS];
    size_t n = name_prepare(&w, in, len, t, NAME_MAX_WORDS);
    n = w.invalid ? 0 : shape(&w, t, n, NAME_LAST, true);
    if (!w.invalid && n == 0) {
        w.invalid = "empty";
    }
    if (!w.invalid && n > 3) {
        w.invalid = "too_many_parts";
    }
    enum slot slots[3] = {S_LAST, S_FIRST, S_MIDDLE};
    if (!w.invalid) {
        check_junk(&w, t, n);
        /* junk keeps the order typed too: a reordered placeholder is no better a name */
        w.changes |= w.pinned || w.keep_typed || name_choose_slots(t, n, slots) ? 0 : CH_ORDER;
    }
    const char *joined = w.invalid ? "" : place(&w, t, n, slots, out);
    if (!w.invalid && !out->last && out->first && name_n_chars(out->first) <= 2 &&
        (!out->middle || name_n_chars(out->middle) <= 2) && w.suspicious == NULL) {
        w.suspicious = "initials_only";
    }
    finish(&w, in, len, joined, &out->out);
    if (out->out.verdict == CLEAN_INVALID) {
        out->last = out->first = out->middle = NULL;
        out->latin = false;
        return;
    }
    if (!w.keep_typed) {
        /* what the words told when they were classed; clean_infer_gender() on the parts says the
         * same (name_test.c checks it) */
        const struct tok *by[3] = {NULL, NULL, NULL};
        for (size_t i = 0; i < n; i++) {
            by[slots[i]] = &t[i];
        }
        decide_gender(by[S_MIDDLE] ? by[S_MIDDLE]->patr_sex : NAME_NONE,
                      by[S_FIRST] ? by[S_FIRST]->first_sex : NAME_NONE,
                      by[S_LAST] && !by[S_LAST]->listed ? by[S_LAST]->surname_sex : NAME_NONE,
                      &out->gender, &out->gender_from);
    }
}

void clean_name_part(enum name_part part, const char *in, size_t len, struct arena *a,
                     struct clean_out *out)
{
    struct work w = {a, NULL, NULL, false, false, 0};
    struct tok t[NAME_MAX_WORDS];
    size_t n = name_prepare(&w, in, len, t, NAME_MAX_WORDS);
    n = w.invalid ? 0 : shape(&w, t, n, part, false);
    if (!w.invalid && n == 0) {
        w.invalid = "empty";
    }
    /* A part is one word, a hyphenated word, an initial, a surname with its particle, a Turkic
     * patronymic of two words, or a double first name. */
    if (!w.invalid && n > 1) {
        w.invalid = "several_words";
    }
    if (!w.invalid) {
        check_junk(&w, t, 1);
    }
    const char *value = w.invalid ? "" : w.keep_typed ? t[0].raw : t[0].text;
    finish(&w, in, len, value, out);
}
