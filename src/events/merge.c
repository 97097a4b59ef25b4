/*
 * merge.c - the merge of the events' level 0 into level 1 (see events.h; the levels are the
 * store's, src/store/sql/event_levels.c, docs/events.md "Speed"). One slice of the keys a write,
 * each begun as a bulk write, so the tills' writes go first between slices; one merge at a time
 * in the process (another caller finds it under way and leaves it); a due merge stops after
 * MERGE_BUDGET_MS and goes on at the next call.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/num.h"
#include "events/events.h"

/* A due merge works this long at most, then leaves the rest to the next call: the scheduler's
 * other jobs run between (a merge of 500,000 events takes a few seconds). */
#define MERGE_BUDGET_MS 1000

static atomic_bool merging;

static int64_t merge_at(void)
{
    static _Atomic int64_t at; /* read once from the environment */
    int64_t v = atomic_load(&at);
    if (v == 0) {
        const char *e = getenv("KARTOTEKA_EVENTS_MERGE_AT");
        if (e == NULL || !num_parse_cstr(e, 1, INT64_MAX, &v)) {
            v = EVENTS_MERGE_AT;
        }
        atomic_store(&at, v);
    }
    return v;
}

enum kt_rc events_merge(struct store *s, int64_t at_least, int64_t budget_ms, int64_t *merged,
                        struct kt_err *err)
{
    int64_t until = clock_mono_ns() + budget_ms * 1000000;
    *merged = 0;
    int64_t before = 0;
    enum kt_rc rc = store_events_level0(s, &before, err);
    /* A look before a write transaction, for the scheduler's every second; but a process that
     * has not written events yet has not read its level 0 in, so a merge of everything (1) asks
     * the store itself. */
    if (rc != KT_OK || (at_least > 1 && before < at_least) || atomic_exchange(&merging, true)) {
        return rc;
    }
    bool more = true;
    while (rc == KT_OK && more) {
        struct store_conn *w;
        rc = store_write_begin_bulk(s, &w, err);
        if (rc == KT_OK) {
            rc = store_events_merge_step(w, at_least, &more, err);
            rc = store_write_end(w, rc, err);
        }
        if (budget_ms > 0 && clock_mono_ns() > until) {
            break; /* the rest at the next call: the merge's place is kept in level 0 */
        }
    }
    int64_t after = 0;
    if (rc == KT_OK && store_events_level0(s, &after, err) == KT_OK) {
        *merged = before > after ? before - after : 0;
    }
    atomic_store(&merging, false);
    return rc;
}

enum kt_rc events_merge_due(struct store *s, int64_t *merged, struct kt_err *err)
{
    return events_merge(s, merge_at(), MERGE_BUDGET_MS, merged, err);
}
