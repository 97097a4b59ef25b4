/*
 * matcher.c - blocking, comparing, learning and scoring (dedup.h; docs/dedup-plan.md).
 *
 *   1. Every record's values are read once by their field's kind (compare.c).
 *   2. Blocking: each rule makes a key per record; records are sorted by it and every two in a
 *      group become a candidate pair (a group past block_cap is skipped and counted: a key
 *      thousands share says nothing). Pairs from several rules are made unique.
 *   3. Every candidate pair is compared field by field into levels.
 *   4. u - how often each level happens between two records taken at random - is counted on
 *      random pairs, nearly all of which are different people. m - how often it happens between
 *      two records of one person - is learnt by expectation-maximisation as Splink does it: once
 *      per blocking rule, on the candidates that rule made, with the rule's own fields left out
 *      (its pairs agree on them by construction, which says nothing of being one person), u
 *      held; a field's m is the rules' m weighed by the matches each found. lambda is the share
 *      of all pairs of records that are one person: the candidates' posteriors summed, over all
 *      the pairs there are - at a million records about one in a million, so that two people
 *      who happen to share a first name and a birth date do not pass for one.
 *   5. A pair's weight is log2(lambda / (1 - lambda)) plus, for each field present, log2(m / u)
 *      of its level; for a field with term frequencies an exact match's u is how common the
 *      value is. Its probability is 1 / (1 + 2^-weight); pairs at the threshold or above are
 *      one person.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "dedup/dedup_int.h"

#define U_SAMPLE  200000 /* random pairs u is counted on */
#define EM_ROUNDS 40
/* Pseudo-pairs of dedup_level_prior added to what EM counts: on a big file they weigh nothing, on a
 * small one they keep a handful of candidates from teaching that one person often has another birth
 * date. */
#define M_PRIOR 20.0
/* Pseudo-pairs of dedup_level_u_prior added to the random pairs u is counted on. */
#define U_PRIOR 1000.0
/* A probability is never taken as 0: log2 needs it, and a level never seen in a sample may
 * still happen. */
#define TINY 1e-6

/* Readers of the values at once (dedup_run's first step), at most; one per 20,000 records. */
#define READERS_MAX 4

struct dedup_set {
    struct dedup_conf conf;
    struct arena a;
    size_t n, cap, nf;
    const char **id;              /* by record */
    const char **raw;             /* by record and field, as added, until read */
    struct dedup_value *val;      /* by record and field (V()), once read */
    float *freq;                  /* by record and field: share of records with this exact value */
    struct arena rd[READERS_MAX]; /* what each reader's values are kept in */
};

#define V(s, i)    (&(s)->val[(size_t)(i) * (s)->nf])
#define FREQ(s, i) (&(s)->freq[(size_t)(i) * (s)->nf])

struct dedup_set *dedup_set_new(const struct dedup_conf *conf)
{
    struct dedup_set *s = kt_calloc(1, sizeof(*s));
    s->conf = *conf;
    s->nf = conf->n_fields ? conf->n_fields : 1;
    arena_init(&s->a, 1 << 20);
    for (int t = 0; t < READERS_MAX; t++) {
        arena_init(&s->rd[t], 1 << 20);
    }
    return s;
}

void dedup_set_free(struct dedup_set *s)
{
    if (s != NULL) {
        arena_release(&s->a);
        for (int t = 0; t < READERS_MAX; t++) {
            arena_release(&s->rd[t]);
        }
        free(s->id);
        free(s->raw);
        free(s->val);
        free(s->freq);
        free(s);
    }
}

void dedup_set_add(struct dedup_set *s, const char *id, const char *const *raw)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->id = kt_realloc(s->id, s->cap * sizeof(*s->id));
        s->raw = kt_realloc(s->raw, s->cap * s->nf * sizeof(*s->raw));
    }
    s->id[s->n] = arena_strdup(&s->a, id);
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        s->raw[s->n * s->nf + f] = raw[f] ? arena_strdup(&s->a, raw[f]) : NULL;
    }
    s->n++;
}

size_t dedup_set_size(const struct dedup_set *s)
{
    return s->n;
}

const char *dedup_set_id(const struct dedup_set *s, size_t i)
{
    return s->id[i];
}

const struct dedup_value *dedup_set_values(const struct dedup_set *s, size_t i)
{
    return V(s, i);
}

/* ---- reading the values --------------------------------------------------------------------- */

struct reader {
    struct dedup_set *s;
    size_t from, to;
    struct arena *keep;
};

/* Reads records [from, to) by their fields' kinds: the cleaner's work in a scratch arena, only
 * the values kept (a million records would otherwise keep every intermediate string). */
static void *read_part(void *arg)
{
    struct reader *r = arg;
    struct dedup_set *s = r->s;
    for (size_t i = r->from; i < r->to; i++) {
        struct arena scratch;
        arena_init(&scratch, 0);
        for (size_t f = 0; f < s->conf.n_fields; f++) {
            struct dedup_value v =
                dedup_value(s->conf.field[f].kind, s->raw[i * s->nf + f], &scratch);
            struct dedup_value *out = &V(s, i)[f];
            out->text = v.text ? arena_strdup(r->keep, v.text) : NULL;
            out->key = v.key == NULL                          ? NULL
                       : v.text && strcmp(v.key, v.text) == 0 ? out->text
                                                              : arena_strdup(r->keep, v.key);
        }
        arena_release(&scratch);
    }
    return NULL;
}

/* Every record's values, read by as many threads as there are cores (up to READERS_MAX). */
static void read_values(struct dedup_set *s)
{
    free(s->val);
    free(s->freq);
    s->val = kt_calloc(s->n ? s->n * s->nf : 1, sizeof(*s->val));
    s->freq = kt_calloc(s->n ? s->n * s->nf : 1, sizeof(*s->freq));
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t t = cores > 0 ? (size_t)cores : 1;
    t = t > READERS_MAX ? READERS_MAX : t;
    t = t > s->n / 20000 + 1 ? s->n / 20000 + 1 : t;
    struct reader rd[READERS_MAX];
    pthread_t th[READERS_MAX];
    bool started[READERS_MAX] = {false};
    for (size_t k = 0; k < t; k++) {
        rd[k] = (struct reader){s, s->n * k / t, s->n * (k + 1) / t, &s->rd[k]};
        started[k] = k > 0 && pthread_create(&th[k], NULL, read_part, &rd[k]) == 0;
        if (k > 0 && !started[k]) {
            read_part(&rd[k]); /* no thread: this one reads it */
        }
    }
    read_part(&rd[0]);
    for (size_t k = 1; k < t; k++) {
        if (started[k]) {
            pthread_join(th[k], NULL);
        }
    }
}

/* ---- blocking ------------------------------------------------------------------------------ */

struct keyed {
    const char *key;
    uint32_t rec;
};

/* A candidate pair as the blocking makes it: the two records (a << 32 | b) and the rules that
 * made it (a bit each). */
struct cand {
    uint64_t pair;
    uint32_t rules;
};

static int by_pair(const void *x, const void *y)
{
    uint64_t a = ((const struct cand *)x)->pair, b = ((const struct cand *)y)->pair;
    return (a > b) - (a < b);
}

/* The first `n` code points of s (all when n is 0), in the arena. */
static const char *prefix(const char *s, size_t n, struct arena *a)
{
    if (n == 0) {
        return s;
    }
    size_t i = 0;
    for (size_t k = 0; s[i] != '\0' && k < n; k++) {
        i++;
        while ((s[i] & 0xC0) == 0x80) {
            i++;
        }
    }
    char *out = arena_alloc(a, i + 1);
    memcpy(out, s, i);
    out[i] = '\0';
    return out;
}

/* The rule's key of a record's values, or NULL when a part is missing. */
static const char *rule_key(const struct dedup_rule *rule, const struct dedup_value *vals,
                            struct arena *a)
{
    const char *key = "";
    for (size_t p = 0; p < rule->n; p++) {
        const struct dedup_value *v = &vals[rule->part[p].field];
        const char *t = rule->part[p].key && v->key ? v->key : v->text;
        if (t == NULL) {
            return NULL;
        }
        key = arena_printf(a, "%s\x1f%s", key, prefix(t, rule->part[p].prefix, a));
    }
    return key;
}

size_t dedup_record_keys(const struct dedup_conf *c, const struct dedup_value *v, struct arena *a,
                         const char **keys)
{
    size_t n = 0;
    for (size_t ru = 0; ru < c->n_rules; ru++) {
        const char *k = rule_key(&c->rule[ru], v, a);
        if (k != NULL) {
            keys[n++] = arena_printf(a, "%zu%s", ru, k);
        }
    }
    return n;
}

static void add_pair(struct cand **c, size_t *n, size_t *cap, uint32_t a, uint32_t b, size_t rule)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4096;
        *c = kt_realloc(*c, *cap * sizeof(**c));
    }
    (*c)[(*n)++] = (struct cand){(uint64_t)a << 32 | b, 1u << rule};
}

/* A record's key under one rule, as a 64-bit hash of its parts (FNV-1a): sorting hashes is what
 * makes a million records' blocks in a second; two keys sharing a hash make a few candidates
 * more, which the comparing sends away. */
struct hashed {
    uint64_t h;
    uint32_t rec;
};

static int by_hash(const void *x, const void *y)
{
    const struct hashed *a = x, *b = y;
    return a->h != b->h ? (a->h > b->h) - (a->h < b->h) : (a->rec > b->rec) - (a->rec < b->rec);
}

/* rule_key()'s key hashed instead of written: false when a part is missing. */
static bool rule_hash(const struct dedup_rule *rule, const struct dedup_value *vals, uint64_t *out)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t p = 0; p < rule->n; p++) {
        const struct dedup_value *v = &vals[rule->part[p].field];
        const char *t = rule->part[p].key && v->key ? v->key : v->text;
        if (t == NULL) {
            return false;
        }
        size_t len = strlen(t), cps = 0, i = 0;
        for (; i < len && (rule->part[p].prefix == 0 || cps < rule->part[p].prefix); i++) {
            cps += ((unsigned char)t[i] & 0xC0) != 0x80;
            if (rule->part[p].prefix != 0 && cps > rule->part[p].prefix) {
                break;
            }
            h = (h ^ (unsigned char)t[i]) * 1099511628211ULL;
        }
        while (i < len && ((unsigned char)t[i] & 0xC0) == 0x80) { /* the last letter whole */
            h = (h ^ (unsigned char)t[i++]) * 1099511628211ULL;
        }
        h = (h ^ 0x1f) * 1099511628211ULL;
    }
    *out = h;
    return true;
}

/* The candidate pairs, made unique, into *pairs; the rules that made each into *rules. */
static void block(struct dedup_set *s, uint64_t **pairs_out, uint32_t **rules_out, size_t *n_pairs,
                  struct dedup_stats *st)
{
    struct cand *pairs = NULL;
    size_t n = 0, cap = 0;
    struct hashed *k = kt_malloc((s->n ? s->n : 1) * sizeof(*k));
    for (size_t ru = 0; ru < s->conf.n_rules; ru++) {
        size_t nk = 0;
        for (size_t i = 0; i < s->n; i++) {
            uint64_t h;
            if (rule_hash(&s->conf.rule[ru], V(s, i), &h)) {
                k[nk++] = (struct hashed){h, (uint32_t)i};
            }
        }
        if (nk > 1) {
            qsort(k, nk, sizeof(*k), by_hash);
        }
        for (size_t i = 0; i < nk;) {
            size_t j = i + 1;
            while (j < nk && k[j].h == k[i].h) {
                j++;
            }
            if (j - i > s->conf.block_cap) {
                st->blocks_skipped++;
            } else {
                for (size_t x = i; x < j; x++) {
                    for (size_t y = x + 1; y < j; y++) {
                        add_pair(&pairs, &n, &cap, k[x].rec, k[y].rec, ru);
                    }
                }
            }
            i = j;
        }
    }
    free(k);
    if (n > 1) {
        qsort(pairs, n, sizeof(*pairs), by_pair);
    }
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u > 0 && pairs[u - 1].pair == pairs[i].pair) {
            pairs[u - 1].rules |= pairs[i].rules;
        } else {
            pairs[u++] = pairs[i];
        }
    }
    uint64_t *p = kt_malloc((u ? u : 1) * sizeof(*p));
    uint32_t *r = kt_malloc((u ? u : 1) * sizeof(*r));
    for (size_t i = 0; i < u; i++) {
        p[i] = pairs[i].pair;
        r[i] = pairs[i].rules;
    }
    free(pairs);
    *pairs_out = p;
    *rules_out = r;
    *n_pairs = u;
}

/* ---- term frequencies ---------------------------------------------------------------------- */

static int by_text(const void *x, const void *y)
{
    return strcmp(((const struct keyed *)x)->key, ((const struct keyed *)y)->key);
}

static void term_frequencies(struct dedup_set *s)
{
    struct keyed *k = kt_malloc((s->n ? s->n : 1) * sizeof(*k));
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        if (!s->conf.field[f].tf) {
            continue;
        }
        size_t nk = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (V(s, i)[f].text != NULL) {
                k[nk++] = (struct keyed){V(s, i)[f].text, (uint32_t)i};
            }
        }
        if (nk > 1) {
            qsort(k, nk, sizeof(*k), by_text);
        }
        for (size_t i = 0; i < nk;) {
            size_t j = i + 1;
            while (j < nk && strcmp(k[j].key, k[i].key) == 0) {
                j++;
            }
            for (size_t x = i; x < j; x++) {
                FREQ(s, k[x].rec)[f] = (float)((double)(j - i) / (double)nk);
            }
            i = j;
        }
    }
    free(k);
}

/* ---- learning and scoring ------------------------------------------------------------------ */

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void compare_pair(const struct dedup_set *s, uint32_t a, uint32_t b, int8_t *level)
{
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        level[f] = (int8_t)dedup_compare(s->conf.field[f].kind, &V(s, a)[f], &V(s, b)[f]);
    }
}

struct comparer {
    const struct dedup_set *s;
    const uint64_t *pairs;
    size_t from, to;
    int8_t *levels;
    void (*progress)(double done, void *arg); /* the first part's only */
    void *arg;
    size_t n;
};

static void *compare_part(void *arg)
{
    struct comparer *c = arg;
    size_t nf = c->s->conf.n_fields;
    for (size_t i = c->from; i < c->to; i++) {
        compare_pair(c->s, (uint32_t)(c->pairs[i] >> 32), (uint32_t)c->pairs[i],
                     c->levels + i * nf);
        if (c->progress && (i - c->from) % 100000 == 0) {
            c->progress(0.2 + 0.5 * (double)(i - c->from) / (double)(c->to - c->from + 1), c->arg);
        }
    }
    return NULL;
}

/* Every candidate pair's levels, compared by as many threads as read the values. */
static void compare_all(const struct dedup_set *s, const uint64_t *pairs, size_t n, int8_t *levels,
                        void (*progress)(double done, void *arg), void *arg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t t = cores > 0 ? (size_t)cores : 1;
    t = t > READERS_MAX ? READERS_MAX : t;
    t = t > n / 50000 + 1 ? n / 50000 + 1 : t;
    struct comparer c[READERS_MAX];
    pthread_t th[READERS_MAX];
    bool started[READERS_MAX] = {false};
    for (size_t k = 0; k < t; k++) {
        c[k] = (struct comparer){
            s, pairs, n * k / t, n * (k + 1) / t, levels, k == 0 ? progress : NULL, arg, n};
        started[k] = k > 0 && pthread_create(&th[k], NULL, compare_part, &c[k]) == 0;
        if (k > 0 && !started[k]) {
            compare_part(&c[k]);
        }
    }
    compare_part(&c[0]);
    for (size_t k = 1; k < t; k++) {
        if (started[k]) {
            pthread_join(th[k], NULL);
        }
    }
}

/* u by level, counted on random pairs (missing values not counted), with U_PRIOR pseudo-pairs
 * of dedup_level_u_prior: a sample counts as no more pairs than the file has, so on a file of
 * a handful of records the prior speaks, on a big one the sample. */
static void learn_u(const struct dedup_set *s, struct dedup_stats *st)
{
    double count[DEDUP_FIELDS_MAX][4] = {{0}}, total[DEDUP_FIELDS_MAX] = {0};
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    size_t samples = s->n < 2 ? 0 : U_SAMPLE;
    for (size_t i = 0; i < samples; i++) {
        uint32_t a = (uint32_t)(rnd(&x) % s->n), b = (uint32_t)(rnd(&x) % s->n);
        if (a == b) {
            continue;
        }
        int8_t level[DEDUP_FIELDS_MAX];
        compare_pair(s, a, b, level);
        for (size_t f = 0; f < s->conf.n_fields; f++) {
            if (level[f] >= 0) {
                count[f][level[f]] += 1;
                total[f] += 1;
            }
        }
    }
    double pairs = (double)s->n * ((double)s->n - 1) / 2;
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        enum dedup_kind k = s->conf.field[f].kind;
        double scale = total[f] > pairs ? pairs / total[f] : 1;
        for (int l = 0; l < dedup_levels(k); l++) {
            double u = (count[f][l] * scale + U_PRIOR * dedup_level_u_prior(k, l)) /
                       (total[f] * scale + U_PRIOR);
            st->u_random[f][l] = st->u[f][l] = u > TINY ? u : TINY;
        }
    }
}

/* The prior of a pair being one person, as log2 of its odds. The share of all pairs of records
 * that are one person is tiny at a million records (about one in a million): it is not clamped
 * as a probability is. */
static double prior_weight(double lambda)
{
    lambda = lambda < 1e-15 ? 1e-15 : lambda > 1 - TINY ? 1 - TINY : lambda;
    return log2(lambda / (1 - lambda));
}

static double pair_weight(const struct dedup_set *s, const struct dedup_stats *st, uint32_t a,
                          const int8_t *level)
{
    double w = prior_weight(st->lambda);
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        int l = level[f];
        if (l < 0) {
            continue;
        }
        double u = st->u[f][l];
        if (s->conf.field[f].tf && l == dedup_levels(s->conf.field[f].kind) - 1) {
            /* an exact match of a common value is likelier between two people: its u is how
             * common the value is (Splink's term-frequency adjustment) */
            u = FREQ(s, a)[f] > TINY ? FREQ(s, a)[f] : TINY;
        }
        w += log2(st->m[f][l] / u);
    }
    return w;
}

/* The fields a blocking rule's parts compare: its pairs agree on them by construction. */
static uint32_t rule_fields(const struct dedup_rule *r)
{
    uint32_t f = 0;
    for (size_t p = 0; p < r->n; p++) {
        f |= 1u << r->part[p].field;
    }
    return f;
}

/* What EM learnt on one blocking rule's candidates. */
struct rule_fit {
    double lambda;  /* share of its candidates that are one person */
    double matches; /* how many, expected */
    double m[DEDUP_FIELDS_MAX][4];
    uint32_t skip; /* its own fields, not learnt here */
};

/* Each field's log2(m / u) per level under `fit`, 0 for the fields it skips. */
static void weights(const struct dedup_set *s, const struct dedup_stats *st,
                    const struct rule_fit *fit, double w[][4])
{
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        for (int l = 0; l < dedup_levels(s->conf.field[f].kind); l++) {
            w[f][l] = (fit->skip >> f) & 1 ? 0 : log2(fit->m[f][l] / st->u[f][l]);
        }
    }
}

static double posterior(const struct dedup_set *s, double base, const double w[][4],
                        const int8_t *lv)
{
    double x = base;
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        x += lv[f] >= 0 ? w[f][lv[f]] : 0;
    }
    return 1.0 / (1.0 + exp2(-x));
}

/* m and lambda by EM over the candidates rule `ru` made, u held at the random pairs', the rule's
 * own fields left out (as Splink estimates m, one blocking rule at a time). */
static int fit_rule(const struct dedup_set *s, const struct dedup_stats *st, const int8_t *levels,
                    const uint32_t *rules, size_t n, size_t ru, struct rule_fit *fit)
{
    size_t nf = s->conf.n_fields, count = 0;
    fit->skip = rule_fields(&s->conf.rule[ru]);
    fit->lambda = 0.1;
    for (size_t f = 0; f < nf; f++) {
        for (int l = 0; l < dedup_levels(s->conf.field[f].kind); l++) {
            fit->m[f][l] = dedup_level_prior(s->conf.field[f].kind, l);
        }
    }
    int round = 0;
    for (; round < EM_ROUNDS; round++) {
        double w[DEDUP_FIELDS_MAX][4], base = prior_weight(fit->lambda), sum_p = 0;
        double mc[DEDUP_FIELDS_MAX][4] = {{0}}, mt[DEDUP_FIELDS_MAX] = {0};
        weights(s, st, fit, w);
        count = 0;
        for (size_t i = 0; i < n; i++) {
            if (!((rules[i] >> ru) & 1)) {
                continue;
            }
            const int8_t *lv = levels + i * nf;
            double p = posterior(s, base, w, lv);
            sum_p += p;
            count++;
            for (size_t f = 0; f < nf; f++) {
                if (lv[f] >= 0) {
                    mc[f][lv[f]] += p;
                    mt[f] += p;
                }
            }
        }
        if (count == 0) {
            break;
        }
        double lambda = sum_p / (double)count, moved = fabs(lambda - fit->lambda);
        fit->lambda = lambda < TINY ? TINY : lambda > 1 - TINY ? 1 - TINY : lambda;
        for (size_t f = 0; f < nf; f++) {
            if ((fit->skip >> f) & 1) {
                continue;
            }
            for (int l = 0; l < dedup_levels(s->conf.field[f].kind); l++) {
                double m = (mc[f][l] + M_PRIOR * dedup_level_prior(s->conf.field[f].kind, l)) /
                           (mt[f] + M_PRIOR);
                m = m > TINY ? m : TINY;
                moved = fmax(moved, fabs(m - fit->m[f][l]));
                fit->m[f][l] = m;
            }
        }
        if (moved < 1e-5) {
            break;
        }
    }
    fit->matches = fit->lambda * (double)count;
    return round;
}

/* m: each rule's, weighed by the matches it found, for the fields it could learn; lambda: the
 * share of all pairs of records that are one person - the candidates' posteriors (each under
 * the first rule that made it) summed, over all the pairs there are. */
static void learn_m(const struct dedup_set *s, const int8_t *levels, const uint32_t *rules,
                    size_t n, struct dedup_stats *st)
{
    size_t nf = s->conf.n_fields, nr = s->conf.n_rules;
    struct rule_fit *fit = kt_calloc(nr ? nr : 1, sizeof(*fit));
    for (size_t r = 0; r < nr; r++) {
        int rounds = fit_rule(s, st, levels, rules, n, r, &fit[r]);
        st->em_rounds = rounds > st->em_rounds ? rounds : st->em_rounds;
    }
    for (size_t f = 0; f < nf; f++) {
        for (int l = 0; l < dedup_levels(s->conf.field[f].kind); l++) {
            double sum = 0, weight = 0;
            for (size_t r = 0; r < nr; r++) {
                if (!((fit[r].skip >> f) & 1)) {
                    sum += fit[r].matches * fit[r].m[f][l];
                    weight += fit[r].matches;
                }
            }
            st->m[f][l] = weight > 0 ? sum / weight : dedup_level_prior(s->conf.field[f].kind, l);
        }
    }
    double matches = 0, w[DEDUP_RULES_MAX][DEDUP_FIELDS_MAX][4], base[DEDUP_RULES_MAX];
    for (size_t r = 0; r < nr; r++) {
        weights(s, st, &fit[r], w[r]);
        base[r] = prior_weight(fit[r].lambda);
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = (size_t)__builtin_ctz(rules[i]);
        matches += posterior(s, base[r], w[r], levels + i * nf);
    }
    double all = (double)s->n * ((double)s->n - 1) / 2;
    st->lambda = all > 0 ? matches / all : TINY;
    free(fit);
}

static int strongest_first(const void *x, const void *y)
{
    const struct dedup_pair *a = x, *b = y;
    return (a->weight < b->weight) - (a->weight > b->weight);
}

/* KT_DEDUP_DEBUG: how long each step took, to standard error. */
static void step(const char *what)
{
    static struct timespec last;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (what != NULL && getenv("KT_DEDUP_DEBUG")) {
        fprintf(stderr, "dedup: %s %.2f s\n", what,
                (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9);
    }
    last = now;
}

void dedup_run(struct dedup_set *s, struct dedup_pair **out, size_t *n_out, struct dedup_stats *st,
               void (*progress)(double done, void *arg), void *arg)
{
    step(NULL);
    read_values(s);
    step("reading");
    memset(st, 0, sizeof(*st));
    st->records = s->n;
    size_t nf = s->conf.n_fields, n = 0;
    uint64_t *pairs = NULL;
    uint32_t *rules = NULL;
    block(s, &pairs, &rules, &n, st);
    step("blocking");
    st->candidates = n;
    if (progress) {
        progress(0.2, arg);
    }
    int8_t *levels = kt_malloc((n ? n : 1) * nf * sizeof(*levels));
    compare_all(s, pairs, n, levels, progress, arg);
    step("comparing");
    term_frequencies(s);
    step("term frequencies");
    learn_u(s, st);
    step("u");
    learn_m(s, levels, rules, n, st);
    step("m (EM)");
    free(rules);
    if (getenv("KT_DEDUP_DEBUG")) {
        for (size_t f = 0; f < nf; f++) {
            fprintf(stderr, "%s:", s->conf.field[f].column);
            for (int l = 0; l < dedup_levels(s->conf.field[f].kind); l++) {
                fprintf(stderr, " m%d=%.4f u%d=%.6f", l, st->m[f][l], l, st->u[f][l]);
            }
            fputc('\n', stderr);
        }
    }
    if (progress) {
        progress(0.9, arg);
    }
    struct dedup_pair *res = NULL;
    size_t nr = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = (uint32_t)(pairs[i] >> 32), b = (uint32_t)pairs[i];
        double w = pair_weight(s, st, a, levels + i * nf);
        double p = 1.0 / (1.0 + exp2(-w));
        if (p < s->conf.threshold || dedup_vetoed(&s->conf, levels + i * nf)) {
            continue;
        }
        if ((nr & (nr - 1)) == 0) { /* a power of two: time to grow */
            res = kt_realloc(res, (nr ? nr * 2 : 1) * sizeof(*res));
        }
        struct dedup_pair *d = &res[nr++];
        *d = (struct dedup_pair){a, b, w, p, {0}};
        memcpy(d->level, levels + i * nf, nf);
    }
    if (nr > 1) {
        qsort(res, nr, sizeof(*res), strongest_first);
    }
    step("scoring");
    free(levels);
    if (s->conf.keep_candidates) {
        st->cand = pairs;
    } else {
        free(pairs);
    }
    st->matches = nr;
    *out = res;
    *n_out = nr;
    if (progress) {
        progress(1.0, arg);
    }
}
