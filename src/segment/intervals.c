/*
 * intervals.c - learned purchase intervals (intervals.h; docs/journeys.md, "Learned
 * intervals"): the replenishment and lapse entries' due rows.
 *
 * Two passes over the purchase days, grouped by (customer, key): the first counts every gap of
 * every key into `struct pop` (a count per key and gap: the population's median needs no list of
 * gaps, and the counts are few - gaps are whole days), the second takes each group's own median
 * or the population's and keeps the rows due in the span. The same walk runs over rows in memory
 * (the unit tests) and over the store's stream.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "segment/intervals.h"

/* ---- the population's gaps: counts per (key, gap) in open-addressed tables ------------------ */

struct cell {
    uint32_t key; /* index + 1; 0 = empty slot */
    int64_t gap, count;
};

struct pop {
    char **keys; /* interned, kt_strdup */
    size_t n_keys;
    uint32_t *kslot; /* key index + 1, or 0 */
    size_t kslots;   /* a power of two, at least twice n_keys */
    struct cell *cells;
    size_t n_cells, cslots;
    int64_t *median; /* per key, -1 when it has no gap; after pop_settle() */
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

static uint64_t hash_cell(uint32_t key, int64_t gap)
{
    return ((uint64_t)key * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)gap * 0xC2B2AE3D27D4EB4FULL);
}

/* The key's index + 1, or 0 when it is not known (and `add` is false). */
static uint32_t pop_key(struct pop *p, const char *key, bool add)
{
    if (p->kslots == 0 || (add && 2 * (p->n_keys + 1) > p->kslots)) {
        if (!add) {
            return 0;
        }
        size_t slots = p->kslots ? p->kslots * 2 : 256;
        uint32_t *t = kt_calloc(slots, sizeof(*t));
        for (size_t i = 0; i < p->kslots; i++) {
            if (p->kslot[i]) {
                size_t j = hash_str(p->keys[p->kslot[i] - 1]) & (slots - 1);
                while (t[j]) {
                    j = (j + 1) & (slots - 1);
                }
                t[j] = p->kslot[i];
            }
        }
        free(p->kslot);
        p->kslot = t;
        p->kslots = slots;
    }
    size_t j = hash_str(key) & (p->kslots - 1);
    for (; p->kslot[j]; j = (j + 1) & (p->kslots - 1)) {
        if (strcmp(p->keys[p->kslot[j] - 1], key) == 0) {
            return p->kslot[j];
        }
    }
    if (!add) {
        return 0;
    }
    if ((p->n_keys & (p->n_keys - 1)) == 0) { /* 0, 1, 2, 4...: grow at each power of two */
        p->keys = kt_realloc(p->keys, (p->n_keys ? p->n_keys * 2 : 1) * sizeof(*p->keys));
    }
    p->keys[p->n_keys++] = kt_strdup(key);
    return p->kslot[j] = (uint32_t)p->n_keys;
}

static void pop_add(struct pop *p, uint32_t key, int64_t gap)
{
    if (2 * (p->n_cells + 1) > p->cslots) {
        size_t slots = p->cslots ? p->cslots * 2 : 1024;
        struct cell *t = kt_calloc(slots, sizeof(*t));
        for (size_t i = 0; i < p->cslots; i++) {
            if (p->cells[i].key) {
                size_t j = hash_cell(p->cells[i].key, p->cells[i].gap) & (slots - 1);
                while (t[j].key) {
                    j = (j + 1) & (slots - 1);
                }
                t[j] = p->cells[i];
            }
        }
        free(p->cells);
        p->cells = t;
        p->cslots = slots;
    }
    size_t j = hash_cell(key, gap) & (p->cslots - 1);
    for (; p->cells[j].key; j = (j + 1) & (p->cslots - 1)) {
        if (p->cells[j].key == key && p->cells[j].gap == gap) {
            p->cells[j].count++;
            return;
        }
    }
    p->cells[j] = (struct cell){key, gap, 1};
    p->n_cells++;
}

static int cell_cmp(const void *a, const void *b)
{
    const struct cell *x = a, *y = b;
    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }
    return (x->gap > y->gap) - (x->gap < y->gap);
}

/* The gap at 0-based position `at` of the key's cells [c, c + n), sorted by gap. */
static int64_t gap_at(const struct cell *c, size_t n, int64_t at)
{
    for (size_t i = 0; i < n; i++) {
        if (at < c[i].count) {
            return c[i].gap;
        }
        at -= c[i].count;
    }
    return c[n - 1].gap;
}

/* Every key's median from its counts. */
static void pop_settle(struct pop *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->cslots; i++) {
        if (p->cells[i].key) {
            p->cells[n++] = p->cells[i]; /* packed to the front: the table is done with */
        }
    }
    if (n > 0) {
        qsort(p->cells, n, sizeof(*p->cells), cell_cmp);
    }
    p->median = kt_malloc((p->n_keys ? p->n_keys : 1) * sizeof(*p->median));
    for (size_t k = 0; k < p->n_keys; k++) {
        p->median[k] = -1;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int64_t total = 0;
        for (; j < n && p->cells[j].key == p->cells[i].key; j++) {
            total += p->cells[j].count;
        }
        int64_t lo = gap_at(p->cells + i, j - i, (total - 1) / 2);
        int64_t hi = gap_at(p->cells + i, j - i, total / 2);
        p->median[p->cells[i].key - 1] = (lo + hi + 1) / 2;
        i = j;
    }
}

static void pop_free(struct pop *p)
{
    for (size_t i = 0; i < p->n_keys; i++) {
        free(p->keys[i]);
    }
    free(p->keys);
    free(p->kslot);
    free(p->cells);
    free(p->median);
}

/* ---- the walk over (ck, key) groups ---------------------------------------------------------- */

static int i64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t intervals_median(int64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), i64_cmp);
    return (v[(n - 1) / 2] + v[n / 2] + 1) / 2;
}

struct walk {
    const struct intervals_ask *q;
    bool judge; /* the second pass */
    struct pop pop;
    int64_t ck;
    char *id, *key;
    int64_t *days, *gaps;
    size_t n, cap;
    struct arena *a;
    struct interval_due *out;
    size_t n_out, cap_out;
};

static void judge(struct walk *w)
{
    int64_t days;
    bool own = w->n >= 3;
    if (own) {
        for (size_t i = 1; i < w->n; i++) {
            w->gaps[i - 1] = w->days[i] - w->days[i - 1];
        }
        days = intervals_median(w->gaps, w->n - 1);
    } else {
        uint32_t k = pop_key(&w->pop, w->key, false);
        if (k == 0 || w->pop.median[k - 1] < 0) {
            return; /* nobody bought it twice: no interval */
        }
        days = w->pop.median[k - 1];
    }
    const struct intervals_ask *q = w->q;
    int64_t last = w->days[w->n - 1], due, fires;
    if (q->by == STORE_DAY_RECEIPT) {
        due = fires = last + q->factor_x100 * days / 100 + 1;
    } else {
        due = last + days;
        fires = due - q->days_before;
    }
    if (fires < q->from || fires >= q->until) {
        return;
    }
    struct interval_due *d = arena_push(w->a, &w->out, &w->n_out, &w->cap_out, sizeof(*d));
    *d = (struct interval_due){w->ck,
                               arena_strdup(w->a, w->id),
                               arena_strdup(w->a, w->key),
                               last,
                               (int64_t)w->n,
                               days,
                               own,
                               due};
}

static void group_done(struct walk *w)
{
    if (w->n == 0) {
        return;
    }
    if (w->judge) {
        judge(w);
    } else if (w->n > 1) {
        uint32_t k = pop_key(&w->pop, w->key, true);
        for (size_t i = 1; i < w->n; i++) {
            pop_add(&w->pop, k, w->days[i] - w->days[i - 1]);
        }
    }
    w->n = 0;
}

static enum kt_rc on_day(void *ctx, int64_t ck, const char *id, const char *key, int64_t day,
                         struct kt_err *err)
{
    (void)err;
    struct walk *w = ctx;
    if (w->n > 0 && (ck != w->ck || strcmp(key, w->key) != 0)) {
        group_done(w);
    }
    if (w->n == 0) {
        free(w->id);
        free(w->key);
        w->ck = ck;
        w->id = kt_strdup(id);
        w->key = kt_strdup(key);
    } else if (day == w->days[w->n - 1]) {
        return KT_OK; /* a second receipt on the day: one purchase day */
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->days = kt_realloc(w->days, w->cap * sizeof(*w->days));
        w->gaps = kt_realloc(w->gaps, w->cap * sizeof(*w->gaps));
    }
    w->days[w->n++] = day;
    return KT_OK;
}

/* Where the days come from: calls `fn` on every purchase day, grouped by (ck, key). */
typedef enum kt_rc (*source_fn)(void *src, store_day_fn fn, void *ctx, struct kt_err *err);

static enum kt_rc check(const struct intervals_ask *q, struct kt_err *err)
{
    const char *field = (unsigned)q->by > STORE_DAY_RECEIPT          ? "by"
                        : q->from >= q->until                        ? "until"
                        : q->by == STORE_DAY_RECEIPT                 ? NULL
                        : q->days_before < 0                         ? "days_before"
                        : q->days_before > INTERVALS_DAYS_BEFORE_MAX ? "days_before"
                                                                     : NULL;
    if (field == NULL && q->by == STORE_DAY_RECEIPT &&
        (q->factor_x100 < INTERVALS_FACTOR_MIN || q->factor_x100 > INTERVALS_FACTOR_MAX)) {
        field = "factor";
    }
    if (field == NULL) {
        return KT_OK;
    }
    return kt_err_set(err, KT_EBADREQ, "bad_parameter", field,
                      "by is sku or category; from is before until; days_before is 0 to 365; "
                      "factor is 1 to 100");
}

static enum kt_rc due(source_fn src, void *sctx, const struct intervals_ask *q, struct arena *a,
                      struct interval_due **out, size_t *n_out, struct kt_err *err)
{
    *out = NULL;
    *n_out = 0;
    enum kt_rc rc = check(q, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct walk w = {.q = q, .a = a};
    for (int pass = 0; rc == KT_OK && pass < 2; pass++) {
        w.judge = pass == 1;
        rc = src(sctx, on_day, &w, err);
        if (rc == KT_OK) {
            group_done(&w);
        }
        w.n = 0;
        if (rc == KT_OK && !w.judge) {
            pop_settle(&w.pop);
        }
    }
    if (rc == KT_OK) {
        *out = w.out;
        *n_out = w.n_out;
    }
    pop_free(&w.pop);
    free(w.id);
    free(w.key);
    free(w.days);
    free(w.gaps);
    return rc;
}

/* ---- the sources ---------------------------------------------------------------------------- */

struct rows_src {
    const struct interval_row *rows;
    size_t n;
};

static enum kt_rc from_rows(void *src, store_day_fn fn, void *ctx, struct kt_err *err)
{
    const struct rows_src *s = src;
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < s->n; i++) {
        const struct interval_row *r = &s->rows[i];
        rc = fn(ctx, r->ck, r->customer_id, r->key ? r->key : "", r->day, err);
    }
    return rc;
}

enum kt_rc intervals_due_of_rows(const struct interval_row *rows, size_t n,
                                 const struct intervals_ask *q, struct arena *a,
                                 struct interval_due **out, size_t *n_out, struct kt_err *err)
{
    struct rows_src s = {rows, n};
    return due(from_rows, &s, q, a, out, n_out, err);
}

struct store_src {
    struct store_conn *rd;
    enum store_day_key by;
    int64_t now;
};

static enum kt_rc from_store(void *src, store_day_fn fn, void *ctx, struct kt_err *err)
{
    const struct store_src *s = src;
    return store_purchase_days(s->rd, s->by, s->now, fn, ctx, err);
}

enum kt_rc intervals_replenish_due(struct store_conn *rd, enum store_day_key by, int64_t now,
                                   int64_t from, int64_t until, int days_before, struct arena *a,
                                   struct interval_due **out, size_t *n, struct kt_err *err)
{
    struct intervals_ask q = {.by = by, .from = from, .until = until, .days_before = days_before};
    struct store_src s = {rd, by, now};
    if (by != STORE_DAY_SKU && by != STORE_DAY_CATEGORY) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "by", "by is sku or category");
    }
    return due(from_store, &s, &q, a, out, n, err);
}

enum kt_rc intervals_lapse_due(struct store_conn *rd, int64_t now, int64_t from, int64_t until,
                               int factor_x100, struct arena *a, struct interval_due **out,
                               size_t *n, struct kt_err *err)
{
    struct intervals_ask q = {
        .by = STORE_DAY_RECEIPT, .from = from, .until = until, .factor_x100 = factor_x100};
    struct store_src s = {rd, STORE_DAY_RECEIPT, now};
    return due(from_store, &s, &q, a, out, n, err);
}
