/*
 * entry.c - customers entering journeys (docs/journeys.md, "Entry"): the re-entry rule and the
 * control group of jr_enter, and the passes of the entries that fall due on a day - a profile
 * or ledger date, a daily condition - in the customer's own time zone.
 *
 * A day's entry is made once the customer's local day has begun, with the run's entry and
 * first step at the entry's local time of day that day (10:00 in Москва, 10:00 in Владивосток:
 * seven hours apart): the pass runs at most every JOURNEY_DATE_PASS_MS, so the moment itself is
 * the run's due time, not the pass's. The candidates are read on an analytic read (never a scan
 * inside a write) in chunks, and entered in a write transaction per chunk.
 */
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/num.h"
#include "identity/identity.h"
#include "journey/engine.h"
#include "loyalty/bonus.h"
#include "loyalty/ledger.h"
#include "segment/intervals.h"

#define CHUNK 5000 /* candidates read, then entered, per transaction */

/* ---- one entry --------------------------------------------------------------------------- */

/* Whether the re-entry rule lets customer `ck` enter with `key` at `at`. */
static enum kt_rc may_enter(struct jctx *x, struct store_conn *w, const struct jdoc *d, int64_t ck,
                            const char *key, int64_t at, bool *yes, struct kt_err *err)
{
    struct journey_run last;
    bool found = false;
    *yes = false;
    if (store_journey_run_last(w, d->key, ck, key, &x->keep, &last, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) {
        *yes = true;
        return KT_OK;
    }
    bool live = strcmp(last.state, "active") == 0 || strcmp(last.state, "waiting") == 0;
    if (live || last.entered_at >= at) { /* a day's entry made already by an earlier pass */
        return KT_OK;
    }
    switch (d->d.reentry) {
    case JR_NEVER:
        return KT_OK;
    case JR_AFTER:
        *yes = last.entered_at + d->d.reentry_after_ms <= at;
        return KT_OK;
    default:
        *yes = true;
        return KT_OK;
    }
}

enum kt_rc jr_enter(struct jctx *x, struct store_conn *w, const struct jdoc *d, int64_t ck,
                    const char *key, int64_t at, int64_t due_at, json_t *ctx, bool *entered,
                    struct kt_err *err)
{
    bool yes = false;
    *entered = false;
    if (may_enter(x, w, d, ck, key, at, &yes, err) != KT_OK || !yes) {
        return err->rc;
    }
    const char *draw = arena_printf(&x->keep, "control:%s:%lld:%s:%lld", d->key, (long long)ck, key,
                                    (long long)at);
    bool control = d->d.control_pct > 0 && jr_draw(x, draw) < d->d.control_pct;
    char *c = ctx != NULL ? json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    /* A run due now whose first step waits a duration (an abandoned cart's hour) is stored
     * waiting, as the advance would write it a moment later in this job's run: one write of the
     * run instead of two (bench/journey_ingest.sh). */
    const struct journey_step *s0 = &d->d.steps[0];
    bool wait = !control && due_at <= x->now && d->d.n_steps > 0 && s0->kind == JS_WAIT &&
                s0->wait == JW_DURATION;
    struct journey_run r = {.journey = d->key,
                            .version = d->version,
                            .ck = ck,
                            .entry_key = key,
                            .step = 0,
                            .visit = 1, /* visit 0 is the entry's line in the log */
                            .state = control ? "control"
                                     : wait  ? "waiting"
                                             : "active",
                            .due_at = control ? 0
                                      : wait  ? x->now + s0->duration_ms
                                              : due_at,
                            .since_at = wait ? x->now : at,
                            .entered_at = at,
                            .updated_at = x->now,
                            .finished_at = control ? x->now : 0,
                            .ctx = c != NULL ? arena_strdup(&x->keep, c) : NULL};
    free(c);
    if (store_journey_run_add(w, &r, entered, err) != KT_OK || !*entered) {
        return err->rc;
    }
    struct journey_step_row row = {r.id, 0,     d->key, "entry", control ? "control" : "entered",
                                   NULL, x->now};
    bool created = false;
    x->entered++;
    return store_journey_step_add(w, &row, &created, err);
}

/* ---- the day's entries ------------------------------------------------------------------ */

/* A candidate for a day's entry: the customer, and what the entry knows of her (a birth date). */
struct cand {
    int64_t ck;
    const char *date;             /* a birthday's: the birth date */
    const struct interval_due *i; /* a learned interval's due row */
};

/* The moment the customer's local day `day` reaches the entry's time of day. */
static int64_t moment(const struct tz *z, int64_t day, const struct journey_entry *e)
{
    return tz_day_start(z, day) + e->at_minute * MINUTE_MS;
}

static const char *day_text(struct arena *a, int64_t day)
{
    int64_t y;
    unsigned m, dd;
    civil_from_days(day, &y, &m, &dd);
    return arena_printf(a, "%04lld-%02u-%02u", (long long)y, m, dd);
}

/* Enters one candidate of a date or daily entry, in `w`. */
static enum kt_rc enter_day(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                            const struct cand *c, struct kt_err *err)
{
    const struct journey_entry *e = &d->d.entry;
    struct ident_zone z;
    if (ident_time_zone(w, c->ck, &x->keep, &z, err) != KT_OK) {
        return err->rc;
    }
    struct tz_local l;
    tz_local(z.zone, x->now, &l);
    const char *key = "";
    json_t *ctx = NULL;
    if (e->kind == JE_DATE && (e->date == JD_BIRTHDAY || e->date == JD_ENROLLED)) {
        int64_t year, bday, since = 0;
        num_parse_i64(c->date, 4, 0, 9999, &since);
        if (!loyalty_birthday_window(c->date, l.days + e->days_before, 0, &year, &bday) ||
            (e->date == JD_ENROLLED && year <= since)) {
            return KT_OK; /* not her day in her zone; an anniversary is a year on at least */
        }
        key = arena_printf(&x->keep, "%lld", (long long)year);
        ctx = json_pack("{s:s, s:s}", "key", key, "date", day_text(&x->keep, bday));
    } else if (e->kind == JE_DATE && e->date == JD_POINTS_EXPIRY) {
        struct ledger_entry *le;
        size_t n;
        struct points_balance b;
        if (store_ledger_list(w, c->ck, &x->keep, &le, &n, err) != KT_OK) {
            return err->rc;
        }
        loyalty_balance(le, n, x->now, &b);
        struct tz_local ex;
        tz_local(z.zone, b.next_expiry_at, &ex);
        if (b.next_expiry_at == 0 || b.next_expiry_points <= 0 ||
            ex.days - e->days_before != l.days) {
            return KT_OK;
        }
        key = day_text(&x->keep, ex.days);
        ctx = json_pack("{s:s, s:s, s:I}", "key", key, "date", key, "points",
                        (json_int_t)b.next_expiry_points);
    } else if (e->kind == JE_REPLENISH || e->kind == JE_LAPSE) {
        int64_t fire = c->i->due_day - (e->kind == JE_REPLENISH ? e->days_before : 0);
        bool yes = d->entry_cond == NULL;
        if (fire != l.days ||
            (!yes && store_segment_match(w, d->entry_cond, c->ck, &yes, err) != KT_OK)) {
            return err->rc; /* not her day in her zone (KT_OK), or the store failed */
        }
        if (!yes) {
            return KT_OK;
        }
        key = c->i->key;
        ctx = json_pack("{s:s, s:I, s:b, s:s, s:s}", "key", key, "days", (json_int_t)c->i->days,
                        "own", c->i->own, "last_purchase", day_text(&x->keep, c->i->last_day),
                        "due", day_text(&x->keep, c->i->due_day));
    }
    int64_t at = moment(z.zone, l.days, e);
    bool entered = false;
    enum kt_rc rc = jr_enter(x, w, d, c->ck, key, at, at, ctx, &entered, err);
    json_decref(ctx);
    return rc;
}

/* Enters the candidates, one write transaction per call. */
static enum kt_rc enter_all(struct jctx *x, const struct jdoc *d, const struct cand *c, size_t n,
                            struct kt_err *err)
{
    struct store_conn *w;
    if (n == 0) {
        return KT_OK;
    }
    if (store_write_begin(x->c->s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        rc = enter_day(x, w, d, &c[i], err);
    }
    return store_write_end(w, rc, err);
}

/* The members with when they enrolled, as a date "YYYY-MM-DD" (UTC) an anniversary is of. */
static enum kt_rc enrolled(struct store_conn *c, int64_t after, struct arena *a, int64_t **cks,
                           const char ***dates, size_t *n, struct kt_err *err)
{
    int64_t *ats = NULL;
    enum kt_rc rc = store_member_enrolled(c, after, CHUNK, a, cks, &ats, n, err);
    *dates = arena_alloc(a, (*n + 1) * sizeof(**dates));
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        (*dates)[i] = day_text(a, ats[i] / DAY_MS);
    }
    return rc;
}

/* The customers with a birthday (or an anniversary of enrolment) near today + days_before (a day
 * either side: the zones), in chunks on a read, entered in their own zone's day. */
static enum kt_rc birthdays(struct jctx *x, const struct jdoc *d, struct kt_err *err)
{
    int64_t day = x->now / DAY_MS + d->d.entry.days_before, after = 0;
    enum kt_rc rc = KT_OK;
    for (bool more = true; rc == KT_OK && more;) {
        struct store_conn *c;
        struct arena a;
        int64_t *cks;
        const char **dates;
        size_t n = 0, k = 0;
        arena_init(&a, 0);
        if ((rc = store_read_begin_analytics(x->c->s, &c, err)) != KT_OK) {
            arena_release(&a);
            break;
        }
        if (d->d.entry.date == JD_BIRTHDAY) {
            rc = store_customer_birthdays(c, after, CHUNK, &a, &cks, &dates, &n, err);
        } else {
            rc = enrolled(c, after, &a, &cks, &dates, &n, err);
        }
        store_read_end(c);
        struct cand *cand = arena_alloc(&a, (n + 1) * sizeof(*cand));
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            int64_t year, bday;
            after = cks[i];
            if (loyalty_birthday_window(dates[i], day, 1, &year, &bday)) {
                cand[k++] = (struct cand){cks[i], dates[i], NULL};
            }
        }
        more = rc == KT_OK && n == CHUNK;
        rc = rc == KT_OK ? enter_all(x, d, cand, k, err) : rc;
        arena_release(&a);
    }
    return rc;
}

/* The customers with points expiring near today + days_before. */
static enum kt_rc expiring(struct jctx *x, const struct jdoc *d, struct kt_err *err)
{
    int64_t since = x->now + (d->d.entry.days_before - 1) * DAY_MS;
    int64_t until = x->now + (d->d.entry.days_before + 2) * DAY_MS, after = 0;
    enum kt_rc rc = KT_OK;
    for (bool more = true; rc == KT_OK && more;) {
        struct store_conn *c;
        struct arena a;
        int64_t *cks;
        size_t n = 0;
        arena_init(&a, 0);
        if ((rc = store_read_begin_analytics(x->c->s, &c, err)) != KT_OK) {
            arena_release(&a);
            break;
        }
        rc = store_ledger_expiring(c, since, until, after, CHUNK, &a, &cks, &n, err);
        store_read_end(c);
        struct cand *cand = arena_alloc(&a, (n + 1) * sizeof(*cand));
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            cand[i] = (struct cand){cks[i], NULL, NULL};
            after = cks[i];
        }
        more = rc == KT_OK && n == CHUNK;
        rc = rc == KT_OK ? enter_all(x, d, cand, n, err) : rc;
        arena_release(&a);
    }
    return rc;
}

/* The customers a daily condition finds now: entered at the entry's time of their day. */
static enum kt_rc daily(struct jctx *x, const struct jdoc *d, struct kt_err *err)
{
    struct store_conn *c;
    struct arena a;
    int64_t *cks = NULL;
    size_t n = 0;
    arena_init(&a, 0);
    if (store_read_begin_analytics(x->c->s, &c, err) != KT_OK) {
        arena_release(&a);
        return err->rc;
    }
    enum kt_rc rc = store_segment_eval(c, d->entry_cond, &a, &cks, &n, err);
    store_read_end(c);
    struct cand *cand = arena_alloc(&a, (n + 1) * sizeof(*cand));
    for (size_t i = 0; i < n; i++) {
        cand[i] = (struct cand){cks[i], NULL, NULL};
    }
    for (size_t i = 0; rc == KT_OK && i < n; i += CHUNK) {
        rc = enter_all(x, d, cand + i, n - i < CHUNK ? n - i : CHUNK, err);
    }
    arena_release(&a);
    return rc;
}

/* The customers whose learned interval (replenishment) or habit (lapse) falls due about today:
 * the installation's day either side (the zones), each checked against her own day. */
static enum kt_rc intervals(struct jctx *x, const struct jdoc *d, struct kt_err *err)
{
    const struct journey_entry *e = &d->d.entry;
    struct store_conn *c;
    struct arena a;
    struct interval_due *rows = NULL;
    size_t n = 0;
    struct tz_local l;
    tz_local(tz_default(), x->now, &l);
    int64_t today = l.days;
    arena_init(&a, 0);
    if (store_read_begin_analytics(x->c->s, &c, err) != KT_OK) {
        arena_release(&a);
        return err->rc;
    }
    enum kt_rc rc = e->kind == JE_REPLENISH
                        ? intervals_replenish_due(
                              c, strcmp(e->key, "sku") == 0 ? STORE_DAY_SKU : STORE_DAY_CATEGORY,
                              x->now, today - 1, today + 2, (int)e->days_before, &a, &rows, &n, err)
                        : intervals_lapse_due(c, x->now, today - 1, today + 2, (int)e->factor_pct,
                                              &a, &rows, &n, err);
    store_read_end(c);
    struct cand *cand = arena_alloc(&a, (n + 1) * sizeof(*cand));
    for (size_t i = 0; i < n; i++) {
        cand[i] = (struct cand){rows[i].ck, NULL, &rows[i]};
    }
    for (size_t i = 0; rc == KT_OK && i < n; i += CHUNK) {
        rc = enter_all(x, d, cand + i, n - i < CHUNK ? n - i : CHUNK, err);
    }
    arena_release(&a);
    return rc;
}

/* The customers who entered (or left) the entry's saved segment since the last pass: entered
 * at the move's time, due now. */
static enum kt_rc segment_moves(struct jctx *x, const struct jdoc *d, int64_t since,
                                struct kt_err *err)
{
    struct store_conn *c;
    struct arena a;
    struct segment sg;
    int64_t *cks = NULL, *ats = NULL;
    size_t n = 0;
    arena_init(&a, 0);
    if (store_read_begin_analytics(x->c->s, &c, err) != KT_OK) {
        arena_release(&a);
        return err->rc;
    }
    enum kt_rc rc = store_segment_get(c, d->d.entry.segment, &a, &sg, err);
    rc = rc == KT_OK ? store_segment_moves(c, sg.id, since, x->now, d->d.entry.on_leave, &a, &cks,
                                           &ats, &n, err)
                     : rc;
    store_read_end(c);
    struct store_conn *w;
    for (size_t i = 0; rc == KT_OK && i < n; i += CHUNK) {
        if ((rc = store_write_begin(x->c->s, &w, err)) != KT_OK) {
            break;
        }
        for (size_t k = i; rc == KT_OK && k < n && k < i + CHUNK; k++) {
            bool entered = false;
            rc = jr_enter(x, w, d, cks[k], "", ats[k], x->now, NULL, &entered, err);
        }
        rc = store_write_end(w, rc, err);
    }
    arena_release(&a);
    return rc;
}

/* Whether journey `key`'s day pass is due (its cursor is the time of its last pass). */
static enum kt_rc pass_due(struct jctx *x, const char *name, int64_t every, bool *due,
                           int64_t *last, struct kt_err *err)
{
    struct store_conn *c;
    if (store_read_begin(x->c->s, &c, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_journey_cursor_get(c, name, last, err);
    store_read_end(c);
    struct tz_local then, today;
    tz_local(tz_default(), *last, &then);
    tz_local(tz_default(), x->now, &today);
    /* Also just after the installation's midnight: a new day's entries at once. */
    *due = *last == 0 || *last > x->now || *last + every <= x->now || then.days != today.days;
    return rc;
}

static enum kt_rc pass_done(struct jctx *x, const char *name, struct kt_err *err)
{
    struct store_conn *w;
    if (store_write_begin(x->c->s, &w, err) != KT_OK) {
        return err->rc;
    }
    return store_write_end(w, store_journey_cursor_put(w, name, x->now, err), err);
}

enum kt_rc jr_date_passes(struct jctx *x, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < x->n_journeys; i++) {
        const struct journey_row *j = &x->journeys[i];
        if (strcmp(j->state, "active") != 0) {
            continue;
        }
        struct store_conn *c;
        if ((rc = store_read_begin(x->c->s, &c, err)) != KT_OK) {
            break;
        }
        const struct jdoc *d = jctx_doc(x, c, j->key, j->live_version, err);
        store_read_end(c);
        if (d == NULL) {
            return err->rc;
        }
        const struct journey_entry *e = &d->d.entry;
        bool due = false;
        int64_t last = 0;
        if (d->bad || e->kind == JE_EVENT) {
            continue;
        }
        const char *name = arena_printf(&x->keep, "day:%s", j->key);
        int64_t every = e->kind == JE_REPLENISH || e->kind == JE_LAPSE ? JOURNEY_INTERVAL_PASS_MS
                                                                       : JOURNEY_DATE_PASS_MS;
        if ((rc = pass_due(x, name, every, &due, &last, err)) != KT_OK || !due) {
            continue;
        }
        if (e->kind == JE_DATE && e->date != JD_POINTS_EXPIRY) {
            rc = birthdays(x, d, err);
        } else if (e->kind == JE_DATE && e->date == JD_POINTS_EXPIRY) {
            rc = expiring(x, d, err);
        } else if (e->kind == JE_DAILY) {
            rc = daily(x, d, err);
        } else if (e->kind == JE_SEGMENT) {
            rc = segment_moves(x, d, last > 0 && last <= x->now ? last : j->started_at, err);
        } else if (e->kind == JE_REPLENISH || e->kind == JE_LAPSE) {
            rc = intervals(x, d, err);
        }
        rc = rc == KT_OK ? pass_done(x, name, err) : rc;
    }
    return rc;
}
