/*
 * event_levels.h - the events' two levels where one process writes (SQLite): level 0 in the
 * writer's memory (event_level0.c), level 1 on disk and the store's operations over both
 * (event_levels.c). docs/events.md, "Speed". Only the SQL layer and the SQLite backend include
 * this.
 */
#ifndef KT_STORE_SQL_EVENT_LEVELS_H
#define KT_STORE_SQL_EVENT_LEVELS_H

#include "store/sql/sql_int.h"

/* An event of level 0: its message-id hash and its cookie's (0: none; `dead` once adopted). */
struct ev_entry {
    int64_t msg_h, anon_h, seq, received_at;
    uint32_t next; /* the older entry of the same cookie hash, or UINT32_MAX */
    bool dead;
};
/* A key of a merge: a hash, its value (received_at of an id, seq of a cookie) and its entry. */
struct ev_pair {
    int64_t h, v;
    uint32_t entry;
};
/* Level 0: the events written since the merge mark, in seq order, in the writer's memory. */
struct ev_level0 {
    struct ev_entry *e;
    size_t n, cap;
    uint32_t *by_id, *by_anon; /* open addressing, tcap slots of entry numbers */
    size_t tcap;
    int64_t mark;          /* the merge mark it was read against: entries have seq > mark */
    int64_t last_seq;      /* the newest seq it knows of */
    bool valid;            /* false: to be read again from the table (a write was rolled back) */
    uint64_t synced_tx;    /* the write transaction it was last brought up to date in */
    uint64_t added_tx;     /* the last one that changed it: a rollback of that one voids it */
    _Atomic int64_t size;  /* n, for a look from outside the writer (sql_events_level0) */
    int64_t forget_before; /* ids received before this are forgotten (store_event_ids_purge) */
    struct {               /* a merge under way: entries up to `upto`, sorted, one slice a step */
        bool on;
        int64_t upto;
        struct ev_pair *ids, *anon;
        size_t n_ids, n_anon, i_ids, i_anon;
    } m;
};
struct ev_level0 *ev_level0_new(void);
void ev_level0_free(struct ev_level0 *l);
void ev_level0_clear(struct ev_level0 *l);
void ev_level0_add(struct ev_level0 *l, int64_t seq, int64_t msg_h, int64_t anon_h,
                   int64_t received_at);
bool ev_level0_has_id(const struct ev_level0 *l, int64_t msg_h);
/* The newest entry of cookie hash `anon_h` (older ones through .next), or UINT32_MAX. */
uint32_t ev_level0_anon_first(const struct ev_level0 *l, int64_t anon_h);
/* Forgets the entries up to seq `upto` (merged). */
void ev_level0_drop(struct ev_level0 *l, int64_t upto);
void ev_level0_merge_start(struct ev_level0 *l);
void ev_level0_merge_reset(struct ev_level0 *l);
/* events.c: an event's columns as ?1-?8 (ck, anon_kind, anon_id, type, at, received_at,
 * channel, props), as both levels' inserts take them. */
void sql_event_bind(struct sql_stmt *st, const struct event *e);

/* event_levels.c: store_event_add where level0 is kept; store_events_adopt everywhere (`l` NULL:
 * one level). */
enum kt_rc sql_levels_event_add(struct sql_conn *c, struct ev_level0 *l, const struct event *e,
                                bool *duplicate, struct kt_err *err);
enum kt_rc sql_levels_ids_purge(struct sql_conn *c, struct ev_level0 *l, int64_t before, int64_t *n,
                                struct kt_err *err);
enum kt_rc sql_levels_adopt(struct sql_conn *c, struct ev_level0 *l, const char *kind,
                            const char *value, int64_t ck, int64_t *n, struct kt_err *err);

#endif
