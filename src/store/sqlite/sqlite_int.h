/*
 * sqlite_int.h - what the files of the SQLite backend share. Nothing outside store/sqlite/
 * includes it.
 */
#ifndef KT_STORE_SQLITE_INT_H
#define KT_STORE_SQLITE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sqlite3.h>

#include "base/buf.h"
#include "store/store_impl.h"

/* Cached statements per connection: sqlite.c's from 0, then each file's from its base. */
#define SQ_PRIV_BASE    64
#define SQ_LOYALTY_BASE 112
#define SQ_CARDS_BASE   160
#define SQ_EVENTS_BASE  192
#define SQ_TRAIT_PUT    222 /* segments.c's three, after events.c's */
#define SQ_TRAIT_LIST   223
#define SQ_TRAIT_DELETE 224
#define SQ_REJECTS_BASE 225
#define SQ_STATEMENTS   233

struct sq_conn {
    struct store_conn base;
    sqlite3 *db;                        /* owned */
    sqlite3_stmt *stmts[SQ_STATEMENTS]; /* owned; prepared on first use */
    struct sq_conn *next_free;          /* pool link; guarded by sq_store.pool_mu */
    int64_t read_since; /* monotonic ns its read began, 0 when not handed out; pool_mu */
    bool analytics;     /* the read was begun as an analytic one; pool_mu */
};

/* Turns an SQLite result code into KT_EBUSY or KT_ESTORE with the detail. */
enum kt_rc sq_fail(struct sq_conn *c, int rc, const char *what, struct kt_err *err);

/* Helpers of sqlite.c for the other files of the backend. sq_stmt() prepares `text` once per
 * connection into cache slot `slot`. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, int slot, const char *text, struct kt_err *err);
void sq_done(sqlite3_stmt *st);                                    /* reset and clear bindings */
void sq_bind_text(sqlite3_stmt *st, int i, const char *s);         /* NULL binds NULL */
void sq_bind_i64_or_null(sqlite3_stmt *st, int i, int64_t v);      /* 0 binds NULL */
const char *sq_col_text(sqlite3_stmt *st, int i, struct arena *a); /* NULL for NULL */
enum kt_rc sq_run(struct sq_conn *c, sqlite3_stmt *st, int *changes, struct kt_err *err);

/* The log of reads (privacy.c): a database file of its own beside the main one, so its writes
 * (thousands a second under lookups) never make the main database's readers drop their caches. */
struct sq_reads {
    pthread_mutex_t mu; /* guards db */
    sqlite3 *db;        /* opened on first use */
    char *path;         /* "<db>.reads" */
};
struct sq_reads *sq_store_reads(struct store *s);
void sq_reads_close(struct sq_reads *r);

enum { SPACE_FULL = 1, SPACE_READ_ONLY = 2 }; /* sq_store.writes_failing */

/* The store: one writer, a pool of readers, the checkpointer (wal.c). */
struct sq_store {
    struct store base;
    char *path;  /* owned */
    char *dir;   /* owned: the directory of path, for its free space */
    int busy_ms; /* lock wait before KT_EBUSY */
    int max_readers;
    pthread_mutex_t pool_mu; /* guards the reader pool fields below */
    pthread_cond_t pool_cv;  /* signalled when a reader comes back */
    struct sq_conn *free_readers;
    struct sq_conn **readers; /* every reader ever opened, for close */
    size_t n_readers;
    int analytics_open;        /* analytic reads handed out */
    bool restart_pending;      /* a WAL restart waits for long reads to end (wal.c) */
    bool restart_due;          /* the last long read ended: wake the checkpointer */
    pthread_cond_t restart_cv; /* broadcast when restart_pending clears */
    pthread_mutex_t write_mu;  /* held from write_begin to write_end */
    struct sq_conn *writer;    /* opened at start; used only under write_mu */
    pthread_t ckpt_thread;     /* the background checkpointer */
    bool ckpt_running;         /* the thread was started; guarded by ckpt_mu */
    bool ckpt_stop;            /* asks it to end; guarded by ckpt_mu */
    bool ckpt_kick;            /* asks for a round now; guarded by ckpt_mu */
    pthread_t flush_thread;    /* the flusher (wal.c) */
    bool flush_running;        /* guarded by ckpt_mu */
    pthread_cond_t flush_cv;   /* with ckpt_mu: wakes the flusher to stop */
    int flush_fds[2];          /* the flusher's own descriptors of the database and the WAL */
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    _Atomic int wal_frames;     /* frames in the WAL at the last passive round */
    _Atomic int wal_copied;     /* of which copied to the database file */
    atomic_bool wipe_pending;   /* an erasure's TRUNCATE waits for a long read to end (wal.c) */
    _Atomic int writes_failing; /* 0, or why writes fail: SPACE_FULL, SPACE_READ_ONLY */
    int64_t max_pages;          /* the --db-max-size cap in pages, 0 = none; set at open */
    int64_t changes_at_begin;   /* the writer's total changes when its transaction began */
    struct sq_reads reads;      /* the log of reads (privacy.c) */
};

/* A connection to s->path with the backend's settings; sq_conn_close() takes NULL. */
enum kt_rc sq_conn_open(struct sq_store *s, struct sq_conn **out, struct kt_err *err);
void sq_conn_close(struct sq_conn *c);

/* wal.c: the background checkpointer, and the writer's backstop (an sqlite3_wal_hook). */
void sq_checkpointer_start(struct sq_store *s);
void sq_checkpointer_stop(struct sq_store *s);
/* Closes the flusher's descriptors: after every connection is closed (see wal.c). */
void sq_flusher_close(struct sq_store *s);
int sq_wal_backstop(void *arg, sqlite3 *db, const char *name, int frames);
/* The bookkeeping of reads, called by the reader pool with pool_mu held: an analytic read first
 * yields to a pending WAL restart (sq_read_yield, which may wait on restart_cv), then every read
 * is noted when handed out and when given back; after giving one back, without pool_mu, the pool
 * calls sq_read_after_close(), which wakes the checkpointer when the last long read ended. */
void sq_read_yield(struct sq_store *s);
/* The erasure's TRUNCATE of the WAL (store_wipe_wal); KT_EBUSY when a long read is in the way,
 * and then the checkpointer does it once the read ends. */
enum kt_rc sq_wal_wipe(struct sq_store *s, struct kt_err *err);
void sq_read_opened(struct sq_store *s, struct sq_conn *c, bool analytics);
void sq_read_closed(struct sq_store *s, struct sq_conn *c);
void sq_read_after_close(struct sq_store *s);

/* privacy.c */
enum kt_rc sq_privacy_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err);
enum kt_rc sq_doc_put(struct store_conn *base, const struct consent_doc *d, struct kt_err *err);
enum kt_rc sq_doc_get(struct store_conn *base, const char *key, int64_t version, struct arena *a,
                      struct consent_doc *out, struct kt_err *err);
enum kt_rc sq_doc_list(struct store_conn *base, struct arena *a, struct consent_doc **out,
                       size_t *n, struct kt_err *err);
enum kt_rc sq_consent_add(struct store_conn *base, const struct consent_event *e,
                          struct kt_err *err);
enum kt_rc sq_consent_list(struct store_conn *base, int64_t ck, struct arena *a,
                           struct consent_event **out, size_t *n, struct kt_err *err);
enum kt_rc sq_topic_put(struct store_conn *base, const struct topic *t, struct kt_err *err);
enum kt_rc sq_topic_list(struct store_conn *base, struct arena *a, struct topic **out, size_t *n,
                         struct kt_err *err);
enum kt_rc sq_sub_add(struct store_conn *base, const struct sub_event *e, struct kt_err *err);
enum kt_rc sq_sub_list(struct store_conn *base, int64_t ck, struct arena *a, struct sub_event **out,
                       size_t *n, struct kt_err *err);
enum kt_rc sq_suppress_add(struct store_conn *base, const unsigned char hash[32], const char *kind,
                           const char *act_id, int64_t at, struct kt_err *err);
enum kt_rc sq_suppress_hit(struct store_conn *base, const unsigned char (*hashes)[32], size_t n,
                           int64_t at, size_t *first, struct kt_err *err);
enum kt_rc sq_suppress_remove(struct store_conn *base, const unsigned char hash[32],
                              struct kt_err *err);
enum kt_rc sq_preq_insert(struct store_conn *base, const struct privacy_request *p,
                          struct kt_err *err);
enum kt_rc sq_preq_get(struct store_conn *base, const char *id, struct arena *a,
                       struct privacy_request *out, struct kt_err *err);
enum kt_rc sq_preq_close(struct store_conn *base, const char *id, const char *state,
                         const char *outcome, int64_t at, struct kt_err *err);
enum kt_rc sq_preq_list(struct store_conn *base, bool overdue, const char *today,
                        const char *after_id, int limit, struct arena *a,
                        struct privacy_request **out, size_t *n, struct kt_err *err);
enum kt_rc sq_act_insert(struct store_conn *base, const struct destruction_act *x,
                         struct kt_err *err);
enum kt_rc sq_act_get(struct store_conn *base, const char *id, struct arena *a,
                      struct destruction_act *out, struct kt_err *err);
enum kt_rc sq_act_list(struct store_conn *base, const char *after_id, int limit, struct arena *a,
                       struct destruction_act **out, size_t *n, struct kt_err *err);
enum kt_rc sq_due_add(struct store_conn *base, const struct due_item *d, struct kt_err *err);
enum kt_rc sq_due_next(struct store_conn *base, int64_t now, struct arena *a, struct due_item *out,
                       struct kt_err *err);
enum kt_rc sq_due_finish(struct store_conn *base, int64_t seq, int64_t at, struct kt_err *err);
enum kt_rc sq_due_cancel(struct store_conn *base, int64_t ck, const char *kind, int64_t at,
                         struct kt_err *err);
enum kt_rc sq_due_pending(struct store_conn *base, int64_t ck, const char *kind, int64_t *due_at,
                          struct kt_err *err);
enum kt_rc sq_audit_add(struct store_conn *base, const struct audit_entry *e, size_t n,
                        struct kt_err *err);
enum kt_rc sq_audit_list(struct store_conn *base, const struct audit_filter *f, struct arena *a,
                         struct audit_entry **out, size_t *n, struct kt_err *err);
enum kt_rc sq_customer_erase(struct store_conn *base, int64_t ck, int64_t at, struct kt_err *err);
enum kt_rc sq_customer_inactive(struct store_conn *base, int64_t before, int limit, struct arena *a,
                                int64_t **cks, size_t *n, struct kt_err *err);
enum kt_rc sq_reads_add(struct store *s, const struct audit_entry *e, size_t n, struct kt_err *err);
enum kt_rc sq_reads_list(struct store *s, const struct audit_filter *f, struct arena *a,
                         struct audit_entry **out, size_t *n, struct kt_err *err);
/* loyalty.c */
enum kt_rc sq_program_put(struct store_conn *base, const char *rules, int64_t at,
                          const char *key_id, int64_t *version, struct kt_err *err);
enum kt_rc sq_program_get(struct store_conn *base, struct arena *a, const char **rules,
                          int64_t *version, int64_t *at, int64_t *first_at, struct kt_err *err);
enum kt_rc sq_ledger_add(struct store_conn *base, const struct ledger_entry *e, struct kt_err *err);
enum kt_rc sq_ledger_list(struct store_conn *base, int64_t ck, struct arena *a,
                          struct ledger_entry **out, size_t *n, struct kt_err *err);
enum kt_rc sq_loyalty_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err);
enum kt_rc sq_purchase_find(struct store_conn *base, const char *store_id, const char *receipt,
                            struct arena *a, struct purchase *out, struct kt_err *err);
enum kt_rc sq_purchase_insert(struct store_conn *base, const struct purchase *p,
                              const struct purchase_line *lines, size_t n, struct kt_err *err);
enum kt_rc sq_purchase_get(struct store_conn *base, const char *id, struct arena *a,
                           struct purchase *out, struct purchase_line **lines, size_t *n,
                           struct kt_err *err);
enum kt_rc sq_purchase_list(struct store_conn *base, int64_t ck, int64_t before, int limit,
                            struct arena *a, struct purchase **out, size_t *n, struct kt_err *err);
enum kt_rc sq_refund_find(struct store_conn *base, const char *purchase_id, const char *number,
                          struct arena *a, struct refund *out, struct kt_err *err);
enum kt_rc sq_refund_insert(struct store_conn *base, const struct refund *rf,
                            const struct refund_line *lines, size_t n, struct kt_err *err);
enum kt_rc sq_loyalty_report(struct store_conn *base, int64_t since, int64_t until,
                             struct loyalty_report *out, struct kt_err *err);
enum kt_rc sq_ledger_expiring(struct store_conn *base, int64_t since, int64_t until,
                              int64_t after_ck, int limit, struct arena *a, int64_t **cks,
                              size_t *n, struct kt_err *err);
/* cards.c */
enum kt_rc sq_card_insert(struct store_conn *base, const struct card *cd, struct kt_err *err);
enum kt_rc sq_card_get(struct store_conn *base, const char *number, struct arena *a,
                       struct card *out, struct kt_err *err);
enum kt_rc sq_card_list(struct store_conn *base, int64_t ck, struct arena *a, struct card **out,
                        size_t *n, struct kt_err *err);
enum kt_rc sq_card_update(struct store_conn *base, const struct card *cd, struct kt_err *err);
enum kt_rc sq_card_number_held(struct store_conn *base, const char *number,
                               const unsigned char suppress_hash[32], bool *held,
                               struct kt_err *err);
enum kt_rc sq_enrol_count(struct store_conn *base, const char *key_id, const char *store,
                          int64_t since, int64_t *n, int64_t *oldest, struct kt_err *err);
enum kt_rc sq_enrol_add(struct store_conn *base, const char *key_id, const char *store, int64_t at,
                        int64_t purge_before, struct kt_err *err);
enum kt_rc sq_otp_insert(struct store_conn *base, const struct otp_code *o, struct kt_err *err);
enum kt_rc sq_otp_latest(struct store_conn *base, const unsigned char tag[32], struct arena *a,
                         struct otp_code *out, struct kt_err *err);
enum kt_rc sq_otp_update(struct store_conn *base, const struct otp_code *o, struct kt_err *err);
enum kt_rc sq_otp_count(struct store_conn *base, const unsigned char *tag, const char *key_id,
                        int64_t since, int64_t *n, struct kt_err *err);
enum kt_rc sq_sms_enqueue(struct store_conn *base, const struct sms_msg *m, struct kt_err *err);
enum kt_rc sq_sms_due(struct store_conn *base, int64_t now, int limit, struct arena *a,
                      struct sms_msg **out, size_t *n, struct kt_err *err);
enum kt_rc sq_sms_done(struct store_conn *base, int64_t id, const char *state, int64_t attempts,
                       int64_t next_at, const char *error, int64_t at, struct kt_err *err);
enum kt_rc sq_referral_add(struct store_conn *base, int64_t friend_ck, int64_t referrer_ck,
                           int64_t at, struct kt_err *err);
enum kt_rc sq_referral_get(struct store_conn *base, int64_t friend_ck, int64_t *referrer_ck,
                           int64_t *rewarded_at, struct kt_err *err);
enum kt_rc sq_referral_rewarded(struct store_conn *base, int64_t friend_ck, int64_t at,
                                const char *purchase_id, struct kt_err *err);
enum kt_rc sq_member_birthdays(struct store_conn *base, int64_t after_ck, int limit,
                               struct arena *a, int64_t **cks, const char ***dates, size_t *n,
                               struct kt_err *err);
/* events.c */
enum kt_rc sq_event_add(struct store_conn *base, const struct event *e, bool *duplicate,
                        struct kt_err *err);
enum kt_rc sq_events_adopt(struct store_conn *base, const char *kind, const char *value, int64_t ck,
                           int64_t *n, struct kt_err *err);
enum kt_rc sq_events_list(struct store_conn *base, int64_t ck, int64_t before_seq, int limit,
                          struct arena *a, struct event **out, size_t *n, struct kt_err *err);
enum kt_rc sq_event_counts(struct store_conn *base, int64_t since, int64_t until, struct arena *a,
                           const char ***types, int64_t **counts, size_t *n, struct kt_err *err);
enum kt_rc sq_event_ids_purge(struct store_conn *base, int64_t before, int64_t *n,
                              struct kt_err *err);
enum kt_rc sq_event_type_put(struct store_conn *base, const struct event_type *t,
                             struct kt_err *err);
enum kt_rc sq_event_type_list(struct store_conn *base, struct arena *a, struct event_type **out,
                              size_t *n, struct kt_err *err);
enum kt_rc sq_rfm_rows(struct store_conn *base, int64_t now, struct arena *a, struct rfm_row **out,
                       size_t *n, struct kt_err *err);
enum kt_rc sq_trait_put(struct store_conn *base, int64_t ck, const struct trait *t,
                        struct kt_err *err);
enum kt_rc sq_traits_list(struct store_conn *base, int64_t ck, struct arena *a, struct trait **out,
                          size_t *n, struct kt_err *err);
enum kt_rc sq_segment_put(struct store_conn *base, const struct segment *sg, struct kt_err *err);
enum kt_rc sq_segment_get(struct store_conn *base, const char *id_or_name, struct arena *a,
                          struct segment *out, struct kt_err *err);
enum kt_rc sq_segment_list(struct store_conn *base, struct arena *a, struct segment **out,
                           size_t *n, struct kt_err *err);
enum kt_rc sq_segment_delete(struct store_conn *base, const char *id, struct kt_err *err);
enum kt_rc sq_segment_eval(struct store_conn *base, const struct seg_node *n, int64_t now,
                           struct arena *a, int64_t **cks, size_t *count, struct kt_err *err);
enum kt_rc sq_segment_member_cks(struct store_conn *base, const char *id, struct arena *a,
                                 int64_t **cks, size_t *n, struct kt_err *err);
enum kt_rc sq_segment_enter(struct store_conn *base, const char *id, const int64_t *cks, size_t n,
                            int64_t at, int64_t *changed, struct kt_err *err);
enum kt_rc sq_segment_leave(struct store_conn *base, const char *id, const int64_t *cks, size_t n,
                            int64_t at, int64_t *changed, struct kt_err *err);
enum kt_rc sq_segment_refreshed(struct store_conn *base, const char *id, int64_t at, int64_t *size,
                                struct kt_err *err);
enum kt_rc sq_segment_members(struct store_conn *base, const char *id, int64_t after_ck, int limit,
                              struct arena *a, struct segment_member **out, size_t *n,
                              struct kt_err *err);
enum kt_rc sq_cluster_channels(struct store_conn *base, int64_t since, struct arena *a,
                               struct feature_row **out, size_t *n, struct kt_err *err);
enum kt_rc sq_cluster_categories(struct store_conn *base, struct arena *a, struct feature_row **out,
                                 size_t *n, struct kt_err *err);
enum kt_rc sq_trait_def_put(struct store_conn *base, const char *name, const char *expression,
                            int64_t now, struct kt_err *err);
enum kt_rc sq_trait_def_list(struct store_conn *base, struct arena *a, const char ***names,
                             const char ***expressions, size_t *n, struct kt_err *err);
enum kt_rc sq_trait_rows(struct store_conn *base, const char *name, struct arena *a,
                         struct trait_row **out, size_t *n, struct kt_err *err);
enum kt_rc sq_trait_builtin_eval(struct store_conn *base, const char *name, struct arena *a,
                                 struct trait_row **out, size_t *n, struct kt_err *err);
enum kt_rc sq_trait_delete(struct store_conn *base, int64_t ck, const char *name,
                           struct kt_err *err);
enum kt_rc sq_otp_get(struct store_conn *base, const char *id, struct arena *a,
                      struct otp_code *out, struct kt_err *err);
/* segments.c: a segment query as SQL - fixed fragments and the parameters to bind. */
#define SEG_PARAMS 1000
struct seg_param {
    bool is_int;
    int64_t i;
    const char *s;
};
struct seg_sql {
    struct buf sql; /* from "FROM customers c WHERE ..." */
    struct seg_param p[SEG_PARAMS];
    size_t n;
};
void sq_segment_sql(const struct seg_node *n, int64_t now, struct arena *a, struct seg_sql *q);
enum kt_rc sq_segment_preview(struct store_conn *base, const struct seg_node *n, int64_t now,
                              int sample, struct arena *a, int64_t *count, const char ***ids,
                              size_t *n_ids, struct kt_err *err);
#define SQ_PRIVACY_OP(n) .n = sq_##n
#define SQ_PRIVACY_OPS                                                                             \
    SQ_PRIVACY_OP(doc_put), SQ_PRIVACY_OP(doc_get), SQ_PRIVACY_OP(doc_list),                       \
        SQ_PRIVACY_OP(consent_add), SQ_PRIVACY_OP(consent_list), SQ_PRIVACY_OP(topic_put),         \
        SQ_PRIVACY_OP(topic_list), SQ_PRIVACY_OP(sub_add), SQ_PRIVACY_OP(sub_list),                \
        SQ_PRIVACY_OP(suppress_add), SQ_PRIVACY_OP(suppress_hit), SQ_PRIVACY_OP(suppress_remove),  \
        SQ_PRIVACY_OP(preq_insert), SQ_PRIVACY_OP(preq_get), SQ_PRIVACY_OP(preq_close),            \
        SQ_PRIVACY_OP(preq_list), SQ_PRIVACY_OP(act_insert), SQ_PRIVACY_OP(act_get),               \
        SQ_PRIVACY_OP(act_list), SQ_PRIVACY_OP(due_add), SQ_PRIVACY_OP(due_next),                  \
        SQ_PRIVACY_OP(due_finish), SQ_PRIVACY_OP(due_cancel), SQ_PRIVACY_OP(due_pending),          \
        SQ_PRIVACY_OP(audit_add), SQ_PRIVACY_OP(audit_list), SQ_PRIVACY_OP(customer_erase),        \
        SQ_PRIVACY_OP(customer_inactive), SQ_PRIVACY_OP(reads_add), SQ_PRIVACY_OP(reads_list),     \
        SQ_PRIVACY_OP(program_put), SQ_PRIVACY_OP(program_get), SQ_PRIVACY_OP(ledger_add),         \
        SQ_PRIVACY_OP(ledger_list), SQ_PRIVACY_OP(purchase_find), SQ_PRIVACY_OP(purchase_insert),  \
        SQ_PRIVACY_OP(purchase_get), SQ_PRIVACY_OP(purchase_list), SQ_PRIVACY_OP(refund_find),     \
        SQ_PRIVACY_OP(refund_insert), SQ_PRIVACY_OP(loyalty_report),                               \
        SQ_PRIVACY_OP(segment_preview), SQ_PRIVACY_OP(otp_get), SQ_PRIVACY_OP(trait_def_put),      \
        SQ_PRIVACY_OP(trait_def_list), SQ_PRIVACY_OP(trait_rows),                                  \
        SQ_PRIVACY_OP(trait_builtin_eval), SQ_PRIVACY_OP(trait_delete),                            \
        SQ_PRIVACY_OP(cluster_channels), SQ_PRIVACY_OP(cluster_categories),                        \
        SQ_PRIVACY_OP(segment_put), SQ_PRIVACY_OP(segment_get), SQ_PRIVACY_OP(segment_list),       \
        SQ_PRIVACY_OP(segment_delete), SQ_PRIVACY_OP(segment_eval),                                \
        SQ_PRIVACY_OP(segment_member_cks), SQ_PRIVACY_OP(segment_enter),                           \
        SQ_PRIVACY_OP(segment_leave), SQ_PRIVACY_OP(segment_refreshed),                            \
        SQ_PRIVACY_OP(segment_members), SQ_PRIVACY_OP(rfm_rows), SQ_PRIVACY_OP(trait_put),         \
        SQ_PRIVACY_OP(traits_list), SQ_PRIVACY_OP(event_add), SQ_PRIVACY_OP(events_adopt),         \
        SQ_PRIVACY_OP(events_list), SQ_PRIVACY_OP(event_counts), SQ_PRIVACY_OP(event_ids_purge),   \
        SQ_PRIVACY_OP(event_type_put), SQ_PRIVACY_OP(event_type_list),                             \
        SQ_PRIVACY_OP(referral_add), SQ_PRIVACY_OP(referral_get),                                  \
        SQ_PRIVACY_OP(referral_rewarded), SQ_PRIVACY_OP(member_birthdays),                         \
        SQ_PRIVACY_OP(ledger_expiring), SQ_PRIVACY_OP(card_insert), SQ_PRIVACY_OP(card_get),       \
        SQ_PRIVACY_OP(card_list), SQ_PRIVACY_OP(card_update), SQ_PRIVACY_OP(otp_insert),           \
        SQ_PRIVACY_OP(otp_latest), SQ_PRIVACY_OP(otp_update), SQ_PRIVACY_OP(otp_count),            \
        SQ_PRIVACY_OP(sms_enqueue), SQ_PRIVACY_OP(sms_due), SQ_PRIVACY_OP(sms_done),               \
        SQ_PRIVACY_OP(card_number_held), SQ_PRIVACY_OP(enrol_count), SQ_PRIVACY_OP(enrol_add)

/* rejects.c: the reject files of server imports */
enum kt_rc sq_reject_add(struct store_conn *base, const struct import_reject *r,
                         struct kt_err *err);
enum kt_rc sq_reject_clear(struct store_conn *base, const char *import_id, struct kt_err *err);
enum kt_rc sq_reject_file(struct store_conn *base, const char *import_id, struct buf *out,
                          int64_t *rows, struct kt_err *err);
enum kt_rc sq_reject_forget(struct store_conn *base, const unsigned char (*hashes)[32], size_t n,
                            int64_t *removed, struct kt_err *err);
enum kt_rc sq_reject_expire(struct store_conn *base, int64_t before, int limit, int64_t *removed,
                            struct kt_err *err);
#define SQ_REJECT_OPS                                                                              \
    .reject_add = sq_reject_add, .reject_clear = sq_reject_clear, .reject_file = sq_reject_file,   \
    .reject_forget = sq_reject_forget, .reject_expire = sq_reject_expire

enum kt_rc sq_quality(struct store_conn *base, int64_t now, int64_t since_day, struct arena *a,
                      struct quality_data *q, struct kt_err *err);

#endif
