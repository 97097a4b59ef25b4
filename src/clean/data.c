/*
 * data.c - the name and city lists of src/clean/data/, compiled in and parsed once into sorted
 * arrays of matching keys. Read-only after data_load(), so any thread may look up.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/embed.h"
#include "base/mem.h"
#include "clean/internal.h"

extern const struct embedded_file clean_data_files[];
extern const size_t clean_data_files_count;

struct entry {
    char *key;       /* fold key (owned by the table's arena) */
    const char *std; /* standard form */
    enum name_sex sex;
};

struct table {
    struct entry *e;
    size_t n, cap;
};

static struct arena data_arena;   /* owns every string below; lives for the process */
static struct table names;        /* first names by fold key */
static struct table names_nosoft; /* the same keyed without ь/ъ, й as и */
static struct table surnames;     /* surnames without a telling ending, by fold key */
static struct table cities;       /* city spellings by normalised key */
static bool loaded_ok;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static void add(struct table *t, char *key, const char *std, enum name_sex sex)
{
    struct entry *e = arena_push(&data_arena, &t->e, &t->n, &t->cap, sizeof(*e));
    e->key = key;
    e->std = std;
    e->sex = sex;
}

/* Key without soft and hard signs, with й as и: "наталья" and "natalya" meet as "натала".
 * `out` has room for the key. */
static char *nosoft_into(const char *key, char *out)
{
    size_t j = 0;
    for (size_t i = 0; key[i] != '\0';) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)key + i, &adv);
        if (cp != 0x044C && cp != 0x044A) {
            j += utf8_put(cp == 0x0439 ? 0x0438 : cp, out + j);
        }
        i += adv;
    }
    out[j] = '\0';
    return out;
}

static char *nosoft(const char *key, struct arena *a)
{
    return nosoft_into(key, arena_alloc(a, strlen(key) + 1));
}

char *city_key(const char *s, size_t len, struct arena *a);

/* One name a line; `nosoft_too` also keys it without soft signs (first names only). */
static void load_names(const struct embedded_file *f, struct table *t, enum name_sex sex,
                       bool nosoft_too)
{
    const char *p = f->data, *end = f->data + f->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0 && p[0] != '#') {
            char *std = arena_strndup(&data_arena, p, n);
            char *key = fold_key(std, n, &data_arena);
            add(t, key, std, sex);
            if (nosoft_too) {
                add(&names_nosoft, nosoft(key, &data_arena), std, sex);
            }
        }
        p += n + 1;
    }
}

static void load_cities(const struct embedded_file *f)
{
    const char *p = f->data, *end = f->data + f->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *tab = n ? memchr(p, '\t', n) : NULL;
        if (n > 0 && p[0] != '#') {
            size_t sn = tab ? (size_t)(tab - p) : n;
            char *std = arena_strndup(&data_arena, p, sn);
            add(&cities, city_key(std, sn, &data_arena), std, NAME_NONE);
            const char *q = tab ? tab + 1 : p + n;
            while (q < p + n) {
                const char *comma = memchr(q, ',', (size_t)(p + n - q));
                size_t an = comma ? (size_t)(comma - q) : (size_t)(p + n - q);
                if (an > 0) {
                    add(&cities, city_key(q, an, &data_arena), std, NAME_NONE);
                }
                q += an + 1;
            }
        }
        p += n + 1;
    }
}

/* Sorts by key and folds repeats into one entry: a name in both lists becomes NAME_BOTH. */
static void sort_merge(struct table *t)
{
    qsort(t->e, t->n, sizeof(*t->e), cmp);
    size_t j = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (j > 0 && strcmp(t->e[j - 1].key, t->e[i].key) == 0) {
            t->e[j - 1].sex |= t->e[i].sex;
        } else {
            t->e[j++] = t->e[i];
        }
    }
    t->n = j;
}

static void load(void)
{
    arena_init(&data_arena, 64 * 1024);
    int found = 0;
    for (size_t i = 0; i < clean_data_files_count; i++) {
        const struct embedded_file *f = &clean_data_files[i];
        if (strcmp(f->name, "names_male.txt") == 0) {
            load_names(f, &names, NAME_MALE, true);
            found++;
        } else if (strcmp(f->name, "names_female.txt") == 0) {
            load_names(f, &names, NAME_FEMALE, true);
            found++;
        } else if (strcmp(f->name, "surnames.txt") == 0) {
            load_names(f, &surnames, NAME_NONE, false);
            found++;
        } else if (strcmp(f->name, "cities.tsv") == 0) {
            load_cities(f);
            found++;
        }
    }
    sort_merge(&names);
    sort_merge(&names_nosoft);
    sort_merge(&cities);
    sort_merge(&surnames);
    loaded_ok = found == 4 && names.n > 100 && cities.n > 100 && surnames.n > 10;
}

bool data_load(void)
{
    pthread_once(&once, load);
    return loaded_ok;
}

static const struct entry *find(const struct table *t, const char *key)
{
    struct entry probe = {(char *)key, NULL, NAME_NONE};
    return t->n ? bsearch(&probe, t->e, t->n, sizeof(*t->e), cmp) : NULL;
}

const char *data_first_name(const char *key, enum name_sex *sex)
{
    data_load();
    const struct entry *e = find(&names, key);
    char nk[128];
    if (e == NULL && strlen(key) < sizeof(nk)) {
        e = find(&names_nosoft, nosoft_into(key, nk));
    }
    if (e != NULL && sex != NULL) {
        *sex = e->sex;
    }
    return e ? e->std : NULL;
}

bool data_surname(const char *key)
{
    data_load();
    return find(&surnames, key) != NULL;
}

const char *data_city(const char *key)
{
    data_load();
    const struct entry *e = find(&cities, key);
    return e ? e->std : NULL;
}
