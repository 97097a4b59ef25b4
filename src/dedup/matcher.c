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
 *      two records of one person - and lambda, the share of candidates that are one person, are
 *      learnt by expectation-maximisation over the candidates with u held (as Splink does).
 *   5. A pair's weight is log2(lambda / (1 - lambda)) plus, for each field present, log2(m / u)
 *      of its level; for a field with term frequencies an exact match's u is how common the
 *      value is. Its probability is 1 / (1 + 2^-weight); pairs at the threshold or above are
 *      one person.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "dedup/dedup_int.h"

#define U_SAMPLE  200000 /* random pairs u is counted on */
#define EM_ROUNDS 40
/* Pseudo-pairs of dedup_level_prior added to what EM counts: on a big file they weigh nothing, on a
 * small one they keep a handful of candidates from teaching that one person often has another birth
 * date. */
#define M_PRIOR 20.0
/* Pseudo-pairs of the random pairs' u added to what EM counts of u among the candidates. */
#define U_PRIOR 200.0
/* A probability is never taken as 0: log2 needs it, and a level never seen in a sample may
 * still happen. */
#define TINY 1e-6

struct rec {
    const char *id;
    struct dedup_value v[DEDUP_FIELDS_MAX];
    double freq[DEDUP_FIELDS_MAX]; /* share of records with this exact value (tf fields) */
};

struct dedup_set {
    struct dedup_conf conf;
    struct arena a;
    struct rec *r;
    size_t n, cap;
};

struct dedup_set *dedup_set_new(const struct dedup_conf *conf)
{
    struct dedup_set *s = kt_calloc(1, sizeof(*s));
    s->conf = *conf;
    arena_init(&s->a, 1 << 20);
    return s;
}

void dedup_set_free(struct dedup_set *s)
{
    if (s != NULL) {
        arena_release(&s->a);
        free(s->r);
        free(s);
    }
}

void dedup_set_add(struct dedup_set *s, const char *id, const char *const *raw)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->r = kt_realloc(s->r, s->cap * sizeof(*s->r));
    }
    struct rec *r = &s->r[s->n++];
    memset(r, 0, sizeof(*r));
    r->id = arena_strdup(&s->a, id);
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        r->v[f] = dedup_value(s->conf.field[f].kind, raw[f], &s->a);
    }
}

size_t dedup_set_size(const struct dedup_set *s)
{
    return s->n;
}

const char *dedup_set_id(const struct dedup_set *s, size_t i)
{
    return s->r[i].id;
}

/* ---- blocking ------------------------------------------------------------------------------ */

struct keyed {
    const char *key;
    uint32_t rec;
};

static int by_key(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->rec > b->rec) - (a->rec < b->rec);
}

static int by_pair(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
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

/* The rule's key of record r, or NULL when a part is missing. */
static const char *rule_key(const struct dedup_rule *rule, const struct rec *r, struct arena *a)
{
    const char *key = "";
    for (size_t p = 0; p < rule->n; p++) {
        const struct dedup_value *v = &r->v[rule->part[p].field];
        const char *t = rule->part[p].key && v->key ? v->key : v->text;
        if (t == NULL) {
            return NULL;
        }
        key = arena_printf(a, "%s\x1f%s", key, prefix(t, rule->part[p].prefix, a));
    }
    return key;
}

static void add_pair(uint64_t **pairs, size_t *n, size_t *cap, uint32_t a, uint32_t b)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4096;
        *pairs = kt_realloc(*pairs, *cap * sizeof(**pairs));
    }
    (*pairs)[(*n)++] = (uint64_t)a << 32 | b;
}

static uint64_t *block(struct dedup_set *s, size_t *n_pairs, struct dedup_stats *st)
{
    uint64_t *pairs = NULL;
    size_t n = 0, cap = 0;
    struct keyed *k = kt_malloc((s->n ? s->n : 1) * sizeof(*k));
    for (size_t ru = 0; ru < s->conf.n_rules; ru++) {
        struct arena a;
        arena_init(&a, 1 << 20);
        size_t nk = 0;
        for (size_t i = 0; i < s->n; i++) {
            const char *key = rule_key(&s->conf.rule[ru], &s->r[i], &a);
            if (key != NULL) {
                k[nk++] = (struct keyed){key, (uint32_t)i};
            }
        }
        if (nk > 1) {
            qsort(k, nk, sizeof(*k), by_key);
        }
        for (size_t i = 0; i < nk;) {
            size_t j = i + 1;
            while (j < nk && strcmp(k[j].key, k[i].key) == 0) {
                j++;
            }
            if (j - i > s->conf.block_cap) {
                st->blocks_skipped++;
            } else {
                for (size_t x = i; x < j; x++) {
                    for (size_t y = x + 1; y < j; y++) {
                        add_pair(&pairs, &n, &cap, k[x].rec, k[y].rec);
                    }
                }
            }
            i = j;
        }
        arena_release(&a);
    }
    free(k);
    if (n > 1) {
        qsort(pairs, n, sizeof(*pairs), by_pair);
    }
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u == 0 || pairs[u - 1] != pairs[i]) {
            pairs[u++] = pairs[i];
        }
    }
    *n_pairs = u;
    return pairs;
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
            if (s->r[i].v[f].text != NULL) {
                k[nk++] = (struct keyed){s->r[i].v[f].text, (uint32_t)i};
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
                s->r[k[x].rec].freq[f] = (double)(j - i) / (double)nk;
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
        level[f] = (int8_t)dedup_compare(s->conf.field[f].kind, &s->r[a].v[f], &s->r[b].v[f]);
    }
}

/* u by level, counted on random pairs (missing values not counted). */
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
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        int nl = dedup_levels(s->conf.field[f].kind);
        for (int l = 0; l < nl; l++) {
            double u = total[f] > 0 ? count[f][l] / total[f] : 1.0 / nl;
            st->u_random[f][l] = st->u[f][l] = u > TINY ? u : TINY;
        }
    }
}

static double pair_weight(const struct dedup_set *s, const struct dedup_stats *st, uint32_t a,
                          const int8_t *level, bool tf)
{
    double w = log2(st->lambda / (1 - st->lambda));
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        int l = level[f];
        if (l < 0) {
            continue;
        }
        double u = st->u[f][l];
        if (tf && s->conf.field[f].tf && l == dedup_levels(s->conf.field[f].kind) - 1) {
            /* as much likelier than the candidates' u as this value is commoner than an exact
             * match of this field between random records */
            double freq = s->r[a].freq[f] > TINY ? s->r[a].freq[f] : TINY;
            u = fmin(1 - TINY, u * freq / st->u_random[f][l]);
        }
        w += log2(st->m[f][l] / u);
    }
    return w;
}

static void learn_m(const struct dedup_set *s, const int8_t *levels, size_t n,
                    struct dedup_stats *st)
{
    size_t nf = s->conf.n_fields;
    for (size_t f = 0; f < nf; f++) {
        int nl = dedup_levels(s->conf.field[f].kind);
        for (int l = 0; l < nl; l++) {
            st->m[f][l] = dedup_level_prior(s->conf.field[f].kind, l);
        }
    }
    st->lambda = 0.1;
    for (st->em_rounds = 0; st->em_rounds < EM_ROUNDS && n > 0; st->em_rounds++) {
        double sum_p = 0, mc[DEDUP_FIELDS_MAX][4] = {{0}}, mt[DEDUP_FIELDS_MAX] = {0};
        double uc[DEDUP_FIELDS_MAX][4] = {{0}}, ut[DEDUP_FIELDS_MAX] = {0};
        for (size_t i = 0; i < n; i++) {
            const int8_t *lv = levels + i * nf;
            double p = 1.0 / (1.0 + exp2(-pair_weight(s, st, 0, lv, false)));
            sum_p += p;
            for (size_t f = 0; f < nf; f++) {
                if (lv[f] >= 0) {
                    mc[f][lv[f]] += p;
                    mt[f] += p;
                    uc[f][lv[f]] += 1 - p;
                    ut[f] += 1 - p;
                }
            }
        }
        double lambda = sum_p / (double)n;
        double moved = fabs(lambda - st->lambda);
        st->lambda = lambda < TINY ? TINY : lambda > 1 - TINY ? 1 - TINY : lambda;
        for (size_t f = 0; f < nf; f++) {
            int nl = dedup_levels(s->conf.field[f].kind);
            for (int l = 0; l < nl; l++) {
                double m = (mc[f][l] + M_PRIOR * dedup_level_prior(s->conf.field[f].kind, l)) /
                           (mt[f] + M_PRIOR);
                m = m > TINY ? m : TINY;
                moved = fmax(moved, fabs(m - st->m[f][l]));
                st->m[f][l] = m;
                /* u too, among the candidates: blocking made them agree on its keys more than
                 * random records do, and a u from random pairs alone would take that agreement
                 * for evidence (EM then calls every candidate one person) */
                double u = (uc[f][l] + U_PRIOR * st->u_random[f][l]) / (ut[f] + U_PRIOR);
                st->u[f][l] = u > TINY ? u : TINY;
            }
        }
        if (moved < 1e-5) {
            break;
        }
    }
}

/* A field with a veto present and different on both sides: two people, whatever the weight. */
static bool vetoed(const struct dedup_set *s, const int8_t *level)
{
    for (size_t f = 0; f < s->conf.n_fields; f++) {
        int g = s->conf.field[f].veto_if;
        if (s->conf.field[f].veto && level[f] == 0 &&
            (g < 0 || level[g] == dedup_levels(s->conf.field[g].kind) - 1)) {
            return true;
        }
    }
    return false;
}

static int strongest_first(const void *x, const void *y)
{
    const struct dedup_pair *a = x, *b = y;
    return (a->weight < b->weight) - (a->weight > b->weight);
}

void dedup_run(struct dedup_set *s, struct dedup_pair **out, size_t *n_out, struct dedup_stats *st,
               void (*progress)(double done, void *arg), void *arg)
{
    memset(st, 0, sizeof(*st));
    st->records = s->n;
    size_t nf = s->conf.n_fields, n = 0;
    uint64_t *pairs = block(s, &n, st);
    st->candidates = n;
    if (progress) {
        progress(0.2, arg);
    }
    int8_t *levels = kt_malloc((n ? n : 1) * nf * sizeof(*levels));
    for (size_t i = 0; i < n; i++) {
        compare_pair(s, (uint32_t)(pairs[i] >> 32), (uint32_t)pairs[i], levels + i * nf);
        if (progress && i % 100000 == 0) {
            progress(0.2 + 0.5 * (double)i / (double)n, arg);
        }
    }
    term_frequencies(s);
    learn_u(s, st);
    learn_m(s, levels, n, st);
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
        double w = pair_weight(s, st, a, levels + i * nf, true);
        double p = 1.0 / (1.0 + exp2(-w));
        if (p < s->conf.threshold || vetoed(s, levels + i * nf)) {
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
