/*
 * event_levels.c - the message ids and the anonymous events by cookie in two levels, where one
 * process writes (SQLite; docs/events.md, "Speed"; migration 0045).
 *
 * Both used to be B-tree indexes with random keys: a transaction of G events dirtied about G
 * pages of each, each written to the WAL and again by the checkpoint. Now:
 *
 *   - level 0 is the tail of the events table past the merge mark (event_levels.merged_seq):
 *     each row carries its message id's hash (msg_h) and its cookie's (anon_h), and the writer
 *     keeps those of the tail in memory (event_level0.c). It costs no write of its own. A
 *     process brings it up to date at the first use in each write transaction: the rows past
 *     the newest it knows of are another process's (the CLI's import), read in; a mark moved by
 *     another process's merge drops what it merged; a write rolled back throws level 0 away,
 *     to be read again from the table.
 *   - level 1 is on disk, event_ids (h, received_at) and event_anon (h, seq), written only by
 *     the merge: level 0's keys sorted, one slice of the hash space a transaction (the caller
 *     begins each as a bulk write, so the tills go first between slices), the mark moved in the
 *     last. A merge cut short is done again; its inserts change nothing twice.
 *
 * Rows from before 0045 have no hashes: their message ids are in event_ids already, and their
 * cookies in the old partial index events_anon (now of the rows without anon_h), which an
 * adoption reads too.
 */
#include <sodium.h>
#include <string.h>

#include "store/sql/event_levels.h"

#define SLICE_KEYS 4000 /* message ids a merge step writes (~20 ms of the writer) */

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_EVL_MARK] = "SELECT merged_seq, (SELECT coalesce(max(seq), 0) FROM events) FROM "
                     "event_levels WHERE id = 1",
    [SQL_EVL_TAIL] = "SELECT seq, coalesce(msg_h, 0), CASE WHEN ck IS NULL THEN coalesce(anon_h, "
                     "0) ELSE 0 END, received_at FROM events WHERE seq > ?1 ORDER BY seq",
    [SQL_EVL_ID_HAS] = "SELECT EXISTS (SELECT 1 FROM event_ids WHERE h = ?1)",
    [SQL_EVL_ADD] = "INSERT INTO events (ck, anon_kind, anon_id, type, at, received_at, channel, "
                    "props, msg_h, anon_h) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                    "RETURNING seq",
    [SQL_EVL_ID_PUT] =
        "INSERT INTO event_ids (h, received_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [SQL_EVL_ANON_PUT] = "INSERT INTO event_anon (h, seq) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [SQL_EVL_ADOPT_OLD] = "UPDATE events SET ck = ?3 WHERE ck IS NULL AND anon_h IS NULL AND "
                          "anon_id = ?2 AND anon_kind = ?1",
    [SQL_EVL_ADOPT_COLD] = "UPDATE events SET ck = ?3 WHERE seq IN (SELECT seq FROM event_anon "
                           "WHERE h = ?4) AND ck IS NULL AND anon_id = ?2 AND anon_kind = ?1",
    [SQL_EVL_ANON_DROP] = "DELETE FROM event_anon WHERE h = ?1 AND NOT EXISTS (SELECT 1 FROM "
                          "events e WHERE e.seq = event_anon.seq AND e.ck IS NULL)",
    [SQL_EVL_ADOPT_ONE] = "UPDATE events SET ck = ?3 WHERE seq = ?4 AND ck IS NULL AND "
                          "anon_id = ?2 AND anon_kind = ?1",
    [SQL_EVL_MARK_PUT] = "UPDATE event_levels SET merged_seq = max(merged_seq, ?1) WHERE id = 1",
    [SQL_EVL_MARK_BACK] = "UPDATE event_levels SET merged_seq = ?1 WHERE id = 1",
};

static struct sql_stmt *get(struct sql_conn *c, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt(c, slot, sql[slot], err);
}

/* The cookie's hash: an index key, not a secret (the id itself is in the row), never 0. */
static int64_t anon_hash(const char *kind, const char *value)
{
    static const unsigned char key[16] = "kartoteka-anon-1";
    crypto_generichash_state st;
    unsigned char out[8];
    crypto_generichash_init(&st, key, sizeof(key), sizeof(out));
    crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
    crypto_generichash_update(&st, (const unsigned char *)value, strlen(value));
    crypto_generichash_final(&st, out, sizeof(out));
    uint64_t h;
    memcpy(&h, out, sizeof(h));
    return h != 0 ? (int64_t)h : 1;
}

/* Moves the merge mark to `seq` (never back: another process may have merged further). */
static enum kt_rc mark_put(struct sql_conn *c, int64_t seq, struct kt_err *err)
{
    struct sql_stmt *st = get(c, SQL_EVL_MARK_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, seq);
    return sql_run(c, st, NULL, err);
}

static void tail_row(struct sql_stmt *st, void *ctx)
{
    struct ev_level0 *l = ctx;
    int64_t seq = sql_col_i64(st, 0), msg_h = sql_col_i64(st, 1), anon_h = sql_col_i64(st, 2);
    if (msg_h != 0 || anon_h != 0) {
        ev_level0_add(l, seq, msg_h, anon_h, sql_col_i64(st, 3));
    } else { /* nothing to index (an event without an id, a customer's) */
        l->last_seq = seq > l->last_seq ? seq : l->last_seq;
    }
}

/* Brings level 0 up to date, once a write transaction (see the top). */
static enum kt_rc sync(struct sql_conn *c, struct ev_level0 *l, struct kt_err *err)
{
    struct sql_store *s = (struct sql_store *)c->base.store;
    if (l->valid && l->synced_tx == s->write_tx) {
        return KT_OK;
    }
    struct sql_stmt *st = get(c, SQL_EVL_MARK, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    int64_t v[2] = {0, 0}; /* the mark, the newest row */
    enum kt_rc rc = sql_int_row(c, st, v, 2, "events mark", err);
    if (rc != KT_OK) {
        return rc;
    }
    int64_t mark = v[0], top = v[1];
    if (top < mark) {
        /* The expiry removed the newest rows, and seq (no AUTOINCREMENT) is given again from
         * top + 1: the mark comes back to the table, or the new rows would count as merged. */
        if ((st = get(c, SQL_EVL_MARK_BACK, err)) == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, top);
        if ((rc = sql_run(c, st, NULL, err)) != KT_OK) {
            return rc;
        }
        mark = top;
    }
    if (!l->valid || mark < l->mark || top < l->last_seq) { /* rows it knew of are gone */
        ev_level0_clear(l);
        l->mark = l->last_seq = mark;
    } else if (mark > l->mark) { /* another process merged */
        ev_level0_merge_reset(l);
        ev_level0_drop(l, mark);
        l->mark = mark;
        l->last_seq = l->last_seq > mark ? l->last_seq : mark;
    }
    if ((st = get(c, SQL_EVL_TAIL, err)) == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, l->last_seq);
    l->valid = false; /* until the tail is read whole */
    rc = sql_each(c, st, tail_row, l, "events tail", err);
    if (rc == KT_OK) {
        l->valid = true;
        l->synced_tx = s->write_tx;
    }
    return rc;
}

enum kt_rc sql_levels_event_add(struct sql_conn *c, struct ev_level0 *l, const struct event *e,
                                bool *duplicate, struct kt_err *err)
{
    *duplicate = false;
    enum kt_rc rc = sync(c, l, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (e->msg_hash != 0) {
        if (ev_level0_has_id(l, e->msg_hash)) {
            *duplicate = true;
            return KT_OK;
        }
        struct sql_stmt *st = get(c, SQL_EVL_ID_HAS, err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, e->msg_hash);
        int64_t has = 0;
        if ((rc = sql_int_row(c, st, &has, 1, "event id", err)) != KT_OK) {
            return rc;
        }
        if (has) {
            *duplicate = true;
            return KT_OK;
        }
    }
    int64_t anon_h = e->ck == 0 && e->anon_id != NULL && e->anon_kind != NULL
                         ? anon_hash(e->anon_kind, e->anon_id)
                         : 0;
    struct sql_stmt *st = get(c, SQL_EVL_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_event_bind(st, e);
    sql_bind_i64_or_null(st, 9, e->msg_hash);
    sql_bind_i64_or_null(st, 10, anon_h);
    int64_t seq = 0;
    rc = sql_insert_id(c, st, &seq, err);
    if (rc == KT_OK) {
        ev_level0_add(l, seq, e->msg_hash, anon_h, e->received_at);
        l->added_tx = ((struct sql_store *)c->base.store)->write_tx;
    }
    return rc;
}

/* Runs `slot` with the cookie's kind, value, the customer and (when not 0) a fourth integer. */
static enum kt_rc adopt_run(struct sql_conn *c, enum sql_slot slot, const char *kind,
                            const char *value, int64_t ck, int64_t x, int *changes,
                            struct kt_err *err)
{
    struct sql_stmt *st = get(c, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, kind);
    sql_bind_text(st, 2, value);
    sql_bind_i64(st, 3, ck);
    if (x != 0) {
        sql_bind_i64(st, 4, x);
    }
    return sql_run(c, st, changes, err);
}

enum kt_rc sql_levels_adopt(struct sql_conn *c, struct ev_level0 *l, const char *kind,
                            const char *value, int64_t ck, int64_t *n, struct kt_err *err)
{
    *n = 0;
    enum kt_rc rc = l != NULL ? sync(c, l, err) : KT_OK;
    int64_t h = anon_hash(kind, value);
    int changes = 0;
    if (rc == KT_OK) { /* rows from before the levels */
        rc = adopt_run(c, SQL_EVL_ADOPT_OLD, kind, value, ck, 0, &changes, err);
        *n += changes;
    }
    if (rc == KT_OK) { /* level 1 */
        rc = adopt_run(c, SQL_EVL_ADOPT_COLD, kind, value, ck, h, &changes, err);
        *n += changes;
    }
    if (rc == KT_OK && changes > 0) { /* its keys there now point at nothing anonymous */
        struct sql_stmt *st = get(c, SQL_EVL_ANON_DROP, err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, h);
        rc = sql_run(c, st, NULL, err);
    }
    if (l == NULL) {
        return rc; /* one level: PostgreSQL, whose level 1 is what a copy from SQLite brought */
    }
    for (uint32_t i = ev_level0_anon_first(l, h); rc == KT_OK && i != UINT32_MAX;
         i = l->e[i].next) {
        if (l->e[i].dead) {
            continue;
        }
        rc = adopt_run(c, SQL_EVL_ADOPT_ONE, kind, value, ck, l->e[i].seq, &changes, err);
        *n += changes;
        if (rc == KT_OK && changes > 0) { /* not a hash the same as another cookie's */
            l->e[i].dead = true;
            l->added_tx = ((struct sql_store *)c->base.store)->write_tx; /* a rollback undoes */
        }
    }
    return rc;
}

/* Writes the keys of `p[*i..n)` below `end` (all when `last`) with `slot`, skipping the cookies
 * adopted since the merge began. */
static enum kt_rc put_keys(struct sql_conn *c, struct ev_level0 *l, enum sql_slot slot,
                           const struct ev_pair *p, size_t n, size_t *i, int64_t end, bool last,
                           struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    for (; rc == KT_OK && *i < n && (last || p[*i].h < end); (*i)++) {
        if (slot == SQL_EVL_ANON_PUT && l->e[p[*i].entry].dead) {
            continue;
        }
        struct sql_stmt *st = get(c, slot, err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, p[*i].h);
        sql_bind_i64(st, 2, p[*i].v);
        rc = sql_run(c, st, NULL, err);
    }
    return rc;
}

enum kt_rc sql_events_merge_step(struct store_conn *base, int64_t at_least, bool *more,
                                 struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct ev_level0 *l = ((struct sql_store *)c->base.store)->level0;
    *more = false;
    if (l == NULL) {
        return KT_OK; /* one level */
    }
    enum kt_rc rc = sync(c, l, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!l->m.on && l->n == 0 && l->last_seq > l->mark) { /* only rows without keys: move on */
        rc = mark_put(c, l->last_seq, err);
        l->mark = rc == KT_OK ? l->last_seq : l->mark;
        return rc;
    }
    if (!l->m.on) {
        if (l->n == 0 || (int64_t)l->n < at_least) {
            return KT_OK;
        }
        ev_level0_merge_start(l);
    }
    /* One slice: the next SLICE_KEYS keys of the longer list (the message ids, unless events
     * come without), and the other's keys in the same range of hashes (both are spread alike
     * over it); the last slice takes what is left of both. */
    bool by_ids = l->m.n_ids >= l->m.n_anon;
    const struct ev_pair *p = by_ids ? l->m.ids : l->m.anon;
    size_t n = by_ids ? l->m.n_ids : l->m.n_anon;
    size_t stop = (by_ids ? l->m.i_ids : l->m.i_anon) + SLICE_KEYS;
    while (stop < n && p[stop].h == p[stop - 1].h) {
        stop++; /* one hash in one slice: a cookie of thousands of events would stop the merge */
    }
    bool last = stop >= n;
    int64_t end = last ? INT64_MAX : p[stop].h;
    /* A step moves the merge's cursors: rolled back, it leaves level 0 to be read again and the
     * merge to begin anew (its inserts change nothing twice). */
    l->added_tx = ((struct sql_store *)c->base.store)->write_tx;
    rc = put_keys(c, l, SQL_EVL_ID_PUT, l->m.ids, l->m.n_ids, &l->m.i_ids, end, last, err);
    if (rc == KT_OK) {
        rc = put_keys(c, l, SQL_EVL_ANON_PUT, l->m.anon, l->m.n_anon, &l->m.i_anon, end, last, err);
    }
    if (rc == KT_OK && last && (rc = mark_put(c, l->m.upto, err)) == KT_OK) {
        int64_t upto = l->m.upto;
        ev_level0_merge_reset(l);
        ev_level0_drop(l, upto);
        l->mark = upto;
    }
    *more = rc == KT_OK && l->m.on;
    return rc;
}

enum kt_rc sql_events_level0(struct store *s, int64_t *n, struct kt_err *err)
{
    (void)err;
    struct ev_level0 *l = ((struct sql_store *)s)->level0;
    *n = l != NULL ? atomic_load_explicit(&l->size, memory_order_relaxed) : 0;
    return KT_OK;
}

enum kt_rc sql_levels_ids_purge(struct sql_conn *c, struct ev_level0 *l, int64_t before, int64_t *n,
                                struct kt_err *err)
{
    *n = 0;
    enum kt_rc rc = sync(c, l, err);
    if (rc != KT_OK || before <= l->forget_before) {
        return rc;
    }
    for (size_t i = 0; i < l->n; i++) {
        const struct ev_entry *e = &l->e[i];
        *n += e->msg_h != 0 && e->received_at >= l->forget_before && e->received_at < before;
    }
    l->forget_before = before; /* a rollback keeps it: the next purge would set it again */
    return KT_OK;
}
