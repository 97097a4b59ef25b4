/*
 * event_level0.c - level 0 of the events' two indexed levels: the events since the last merge,
 * in the writer's memory (see event_levels.c for the levels and docs/events.md, "Speed").
 *
 * Entries are appended in seq order. Two open-addressing tables of entry numbers find them: by
 * message-id hash (an id is in the table once: a second is a duplicate, never added) and by
 * cookie hash (the newest entry of a hash, its older ones chained through `next`). Dropping the
 * first k entries (a merge ended) moves the rest down and builds both tables again.
 *
 * Not thread-safe: it is used only inside write transactions, which the writer's mutex makes one
 * at a time.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/sql/event_levels.h"

#define NONE UINT32_MAX

static uint32_t slot_of(int64_t h, size_t mask)
{
    uint64_t x = (uint64_t)h * 0x9E3779B97F4A7C15ull; /* the keys are hashes; spread them anyway */
    return (uint32_t)((x >> 32) & mask);
}

/* Entry i into the tables (a cookie's entry before its older ones in its chain). */
static void index_entry(struct ev_level0 *l, uint32_t i)
{
    size_t mask = l->tcap - 1;
    struct ev_entry *e = &l->e[i];
    e->next = NONE;
    if (e->msg_h != 0) {
        uint32_t s = slot_of(e->msg_h, mask);
        while (l->by_id[s] != NONE) {
            s = (uint32_t)((s + 1) & mask);
        }
        l->by_id[s] = i;
    }
    if (e->anon_h != 0) {
        uint32_t s = slot_of(e->anon_h, mask);
        while (l->by_anon[s] != NONE && l->e[l->by_anon[s]].anon_h != e->anon_h) {
            s = (uint32_t)((s + 1) & mask);
        }
        e->next = l->by_anon[s];
        l->by_anon[s] = i;
    }
}

static void tables_build(struct ev_level0 *l)
{
    memset(l->by_id, 0xff, l->tcap * sizeof(*l->by_id));
    memset(l->by_anon, 0xff, l->tcap * sizeof(*l->by_anon));
    for (size_t i = 0; i < l->n; i++) { /* in order: each cookie's chain newest first */
        index_entry(l, (uint32_t)i);
    }
}

static void tables_size(struct ev_level0 *l, size_t want)
{
    size_t cap = 1024;
    while (cap < 2 * want) {
        cap *= 2;
    }
    if (cap == l->tcap) {
        return;
    }
    free(l->by_id);
    free(l->by_anon);
    l->tcap = cap;
    l->by_id = kt_malloc(cap * sizeof(*l->by_id));
    l->by_anon = kt_malloc(cap * sizeof(*l->by_anon));
    tables_build(l);
}

struct ev_level0 *ev_level0_new(void)
{
    struct ev_level0 *l = kt_calloc(1, sizeof(*l));
    tables_size(l, 0);
    return l;
}

void ev_level0_free(struct ev_level0 *l)
{
    if (l == NULL) {
        return;
    }
    ev_level0_merge_reset(l);
    free(l->e);
    free(l->by_id);
    free(l->by_anon);
    free(l);
}

void ev_level0_clear(struct ev_level0 *l)
{
    ev_level0_merge_reset(l);
    l->n = 0;
    atomic_store_explicit(&l->size, 0, memory_order_relaxed);
    tables_build(l);
}

void ev_level0_add(struct ev_level0 *l, int64_t seq, int64_t msg_h, int64_t anon_h,
                   int64_t received_at)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4096;
        l->e = kt_realloc(l->e, l->cap * sizeof(*l->e));
    }
    if (2 * (l->n + 1) > l->tcap) {
        tables_size(l, l->n + 1);
    }
    l->e[l->n] = (struct ev_entry){msg_h, anon_h, seq, received_at, NONE, false};
    index_entry(l, (uint32_t)l->n);
    l->n++;
    atomic_store_explicit(&l->size, (int64_t)l->n, memory_order_relaxed);
    l->last_seq = seq > l->last_seq ? seq : l->last_seq;
}

bool ev_level0_has_id(const struct ev_level0 *l, int64_t msg_h)
{
    size_t mask = l->tcap - 1;
    for (uint32_t s = slot_of(msg_h, mask); l->by_id[s] != NONE; s = (uint32_t)((s + 1) & mask)) {
        const struct ev_entry *e = &l->e[l->by_id[s]];
        if (e->msg_h == msg_h && e->received_at >= l->forget_before) {
            return true;
        }
    }
    return false;
}

uint32_t ev_level0_anon_first(const struct ev_level0 *l, int64_t anon_h)
{
    size_t mask = l->tcap - 1;
    for (uint32_t s = slot_of(anon_h, mask); l->by_anon[s] != NONE;
         s = (uint32_t)((s + 1) & mask)) {
        if (l->e[l->by_anon[s]].anon_h == anon_h) {
            return l->by_anon[s];
        }
    }
    return NONE;
}

void ev_level0_drop(struct ev_level0 *l, int64_t upto)
{
    size_t k = 0;
    while (k < l->n && l->e[k].seq <= upto) { /* in seq order: a prefix */
        k++;
    }
    memmove(l->e, l->e + k, (l->n - k) * sizeof(*l->e));
    l->n -= k;
    atomic_store_explicit(&l->size, (int64_t)l->n, memory_order_relaxed);
    tables_build(l);
}

void ev_level0_merge_reset(struct ev_level0 *l)
{
    free(l->m.ids);
    free(l->m.anon);
    memset(&l->m, 0, sizeof(l->m));
}

static int pair_cmp(const void *a, const void *b)
{
    const struct ev_pair *x = a, *y = b;
    if (x->h != y->h) {
        return x->h < y->h ? -1 : 1;
    }
    return x->v < y->v ? -1 : x->v > y->v;
}

void ev_level0_merge_start(struct ev_level0 *l)
{
    ev_level0_merge_reset(l);
    l->m.on = true;
    l->m.upto = l->e[l->n - 1].seq;
    l->m.ids = kt_malloc((l->n ? l->n : 1) * sizeof(*l->m.ids));
    l->m.anon = kt_malloc((l->n ? l->n : 1) * sizeof(*l->m.anon));
    for (size_t i = 0; i < l->n; i++) {
        const struct ev_entry *e = &l->e[i];
        if (e->msg_h != 0 && e->received_at >= l->forget_before) {
            l->m.ids[l->m.n_ids++] = (struct ev_pair){e->msg_h, e->received_at, (uint32_t)i};
        }
        if (e->anon_h != 0) {
            l->m.anon[l->m.n_anon++] = (struct ev_pair){e->anon_h, e->seq, (uint32_t)i};
        }
    }
    /* sorted as the B-trees are (signed): a slice of the merge is one range of each */
    qsort(l->m.ids, l->m.n_ids, sizeof(*l->m.ids), pair_cmp);
    qsort(l->m.anon, l->m.n_anon, sizeof(*l->m.anon), pair_cmp);
}
