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
    enum city_kind kind; /* cities: what the key is of the city */
};

struct table {
    struct entry *e;
    size_t n, cap;
};

static struct arena data_arena;   /* owns every string below; lives for the process */
static struct table names;        /* first names by fold key */
static struct table names_nosoft; /* the same keyed without ь/ъ, й as и */
static struct table surnames;     /* surnames without a telling ending, by fold key */
static struct table cities;       /* city spellings by normalised key, one entry a key */
static bool loaded_ok;

/* A city's time zone, by its standard name: the zone of its federal subject (the section's
 * heading) or its own (a fourth column). A name of towns in different zones has none. */
struct city_zone {
    const char *std;
    const char *zone; /* IANA name, or NULL when the towns of this name differ */
};
static struct city_zone *zones;
static size_t nzones, zones_cap;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static struct entry *add(struct table *t, char *key, const char *std, enum name_sex sex)
{
    struct entry *e = arena_push(&data_arena, &t->e, &t->n, &t->cap, sizeof(*e));
    e->key = key;
    e->std = std;
    e->sex = sex;
    e->kind = CITY_NAME;
    return e;
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

/* One name a line; `nosoft_too` also keys it without soft signs (first names only). */
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

/* One comma-separated column of cities.tsv: each spelling is a key of `std`. */
static void add_spellings(const char *q, const char *end, const char *std, enum city_kind kind)
{
    while (q < end) {
        const char *comma = memchr(q, ',', (size_t)(end - q));
        size_t an = comma ? (size_t)(comma - q) : (size_t)(end - q);
        if (an > 0) {
            add(&cities, city_key(q, an, &data_arena), std, NAME_NONE)->kind = kind;
        }
        q += an + 1;
    }
}

/* The zone a "# <subject>\t<zone>" heading gives the towns under it; NULL for a heading without
 * one. */
static const char *section_zone(const char *p, size_t n)
{
    const char *tab = memchr(p, '\t', n);
    return tab ? arena_strndup(&data_arena, tab + 1, (size_t)(p + n - tab - 1)) : NULL;
}

static void add_zone(const char *std, const char *zone)
{
    struct city_zone *z = arena_push(&data_arena, &zones, &nzones, &zones_cap, sizeof(*z));
    z->std = std;
    z->zone = zone;
}

/* cities.tsv: the standard name, a tab, other spellings, a tab, former names, and a tab and the
 * town's own time zone where it is not its subject's. */
static void load_cities(const struct embedded_file *f)
{
    const char *p = f->data, *end = f->data + f->len;
    const char *zone = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 1 && p[0] == '#' && p[1] == ' ') {
            zone = section_zone(p, n);
        } else if (n > 0 && p[0] != '#') {
            const char *cols[4] = {p, NULL, NULL, NULL}, *stop[4];
            for (int c = 0; c < 4; c++) {
                const char *from = cols[c];
                const char *tab = from ? memchr(from, '\t', (size_t)(p + n - from)) : NULL;
                stop[c] = from == NULL ? NULL : tab ? tab : p + n;
                if (c < 3) {
                    cols[c + 1] = tab ? tab + 1 : NULL;
                }
            }
            char *std = arena_strndup(&data_arena, p, (size_t)(stop[0] - p));
            add(&cities, city_key(std, strlen(std), &data_arena), std, NAME_NONE);
            if (cols[1] != NULL) {
                add_spellings(cols[1], stop[1], std, CITY_SPELLING);
            }
            if (cols[2] != NULL) {
                add_spellings(cols[2], stop[2], std, CITY_FORMER);
            }
            add_zone(std, cols[3] && stop[3] > cols[3]
                              ? arena_strndup(&data_arena, cols[3], (size_t)(stop[3] - cols[3]))
                              : zone);
        }
        p += n + 1;
    }
}

static int cmp_zone(const void *a, const void *b)
{
    return strcmp(((const struct city_zone *)a)->std, ((const struct city_zone *)b)->std);
}

/* One entry a name; towns of one name in different zones leave the name without a zone. */
static void sort_zones(void)
{
    qsort(zones, nzones, sizeof(*zones), cmp_zone);
    size_t j = 0;
    for (size_t i = 0; i < nzones; i++) {
        if (j > 0 && strcmp(zones[j - 1].std, zones[i].std) == 0) {
            const char *a = zones[j - 1].zone, *b = zones[i].zone;
            if (a == NULL || b == NULL || strcmp(a, b) != 0) {
                zones[j - 1].zone = NULL;
            }
        } else {
            zones[j++] = zones[i];
        }
    }
    nzones = j;
}

static int cmp_city(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : (int)x->kind - (int)y->kind;
}

/* One entry a key: a city's own name wins over another's spelling or former name (Куйбышев is
 * a town today, not Samara), and the first line wins among equals. */
static void sort_cities(struct table *t)
{
    qsort(t->e, t->n, sizeof(*t->e), cmp_city);
    size_t j = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (j == 0 || strcmp(t->e[j - 1].key, t->e[i].key) != 0) {
            t->e[j++] = t->e[i];
        }
    }
    t->n = j;
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
    sort_cities(&cities);
    sort_zones();
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
    struct entry probe = {(char *)key, NULL, NAME_NONE, CITY_NAME};
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

const char *data_city(const char *key, enum city_kind *kind)
{
    data_load();
    const struct entry *e = find(&cities, key);
    if (e != NULL && kind != NULL) {
        *kind = e->kind;
    }
    return e ? e->std : NULL;
}

size_t data_city_count(void)
{
    data_load();
    return cities.n;
}

const char *data_city_at(size_t i, const char **key, enum city_kind *kind)
{
    *key = cities.e[i].key;
    *kind = cities.e[i].kind;
    return cities.e[i].std;
}

const char *data_city_zone(const char *std)
{
    data_load();
    struct city_zone probe = {std, NULL};
    const struct city_zone *z =
        nzones ? bsearch(&probe, zones, nzones, sizeof(*zones), cmp_zone) : NULL;
    return z ? z->zone : NULL;
}
