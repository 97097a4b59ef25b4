/*
 * store.h - the one interface to the database. Only the backends under store/<name>/ know SQL.
 *
 * A store is opened once per process and shared by all threads. Work happens on connections:
 *
 *   - readers: store_read_begin() hands out a pooled connection with a read transaction open (one
 *     consistent snapshot); store_read_end() ends it and returns the connection to the pool.
 *     Any number of readers run at once.
 *   - the writer: store_write_begin() waits for the single writer connection (at most the busy
 *     timeout), opens a write transaction and hands it out; store_write_end() commits or rolls
 *     back and gives it back. Writes are serialised, reads see the last commit.
 *
 * A thread must end its read snapshot before it begins a write (store_write_begin refuses
 * otherwise): a snapshot held while waiting for the writer would hold up the checkpoint.
 *
 * Analytics never hold the tills: a long read begins with store_read_begin_analytics(), and
 * whatever it computes is written back in short write transactions, never evaluated inside one.
 *
 * When the database is locked for longer than the busy timeout (another process holds it), calls
 * fail with KT_EBUSY, which the HTTP layer turns into 503 with Retry-After. Every call adds its
 * duration to the calling thread's database-time counter (store_db_time_take()) for /metrics.
 *
 * Backends sit behind a table of functions (after curl's vtls); store.c dispatches and times.
 */
#ifndef KT_STORE_STORE_H
#define KT_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "segment/segment.h"
#include "store/model.h"

struct store;
struct store_conn;

struct store_opts {
    const char *path;    /* database file; its directory must exist */
    int busy_timeout_ms; /* how long a writer waits for a lock before KT_EBUSY; 0 = 5000 */
    int max_readers;     /* cap on pooled read connections; 0 = 64 */
    enum store_schema_mode {
        STORE_MIGRATE = 0, /* apply pending migrations on open */
        STORE_REFUSE_OLD,  /* refuse to open a database whose schema is behind */
        STORE_AS_IS,       /* open without looking (for `migrate --status`) */
    } schema;
    int64_t max_bytes; /* the database may not grow past this (writes answer storage_full);
                          0 = as far as the disk allows */
};

/* Opens (creating the file when missing) and handles the schema as opts->schema says. A schema
 * newer than this binary knows is always refused. */
enum kt_rc store_open(const struct store_opts *opts, struct store **out, struct kt_err *err);
/* Closes every connection; the store must have no connection handed out. NULL is a no-op. */
void store_close(struct store *s);

/* Schema: the version the database is at and the newest this binary knows. */
enum kt_rc store_schema_version(struct store *s, int *have, int *want, struct kt_err *err);
/* Applies pending migrations, each in its own transaction; `applied` counts them. */
enum kt_rc store_migrate(struct store *s, int *applied, struct kt_err *err);

enum kt_rc store_read_begin(struct store *s, struct store_conn **out, struct kt_err *err);
/* A read for analytics - segments, traits, RFM, clusters, reports, exports: anything that may
 * take longer than a till's request. It never makes a write wait: on SQLite it first yields to a
 * pending WAL restart (bounded; see store/sqlite/wal.c), so the WAL grows by what is written
 * during one such read and no more. End it with store_read_end(). */
enum kt_rc store_read_begin_analytics(struct store *s, struct store_conn **out, struct kt_err *err);
void store_read_end(struct store_conn *c);
enum kt_rc store_write_begin(struct store *s, struct store_conn **out, struct kt_err *err);
/* Ends the write transaction begun with store_write_begin() and gives the writer back. `rc` is
 * the outcome of the work done in it: KT_OK commits, anything else rolls back. Returns `rc` when
 * it was an error, else the result of the commit, so callers write `rc = store_write_end(w, rc,
 * err)` and cannot lose either failure. */
enum kt_rc store_write_end(struct store_conn *c, enum kt_rc rc, struct kt_err *err);
/* Rolls the write transaction back and gives the writer back (nothing worth keeping was done). */
void store_write_rollback(struct store_conn *c);

/* Nanoseconds of database work done by this thread since the last call. */
int64_t store_db_time_take(void);

enum kt_rc store_ping(struct store_conn *c, struct kt_err *err);
/* KT_OK, or KT_ESPACE ("storage_full", "storage_read_only") while writes fail for want of disk:
 * a write that fails so sets the state, and it ends when there is room again (free space on the
 * disk, pages under the cap) - looked at by this call too, so a store nobody writes to learns
 * that it recovered. */
enum kt_rc store_health(struct store *s, struct kt_err *err);

/* Key/value settings that belong to the database (e.g. the check value of the key secret). */
enum kt_rc store_meta_get(struct store_conn *c, const char *key, struct arena *a, const char **val,
                          struct kt_err *err); /* KT_ENOTFOUND when unset */
enum kt_rc store_meta_put(struct store_conn *c, const char *key, const char *val,
                          struct kt_err *err);

/* Customers. `get` and `get_by_id` fill strings from the arena; `get_by_id` follows a merged id to
 * its survivor. KT_ENOTFOUND when there is none. */
enum kt_rc store_customer_get(struct store_conn *c, int64_t ck, struct arena *a,
                              struct customer *out, struct kt_err *err);
enum kt_rc store_customer_get_by_id(struct store_conn *c, const char *id, struct arena *a,
                                    struct customer *out, struct kt_err *err);
/* Inserts a new customer and sets cust->ck. */
enum kt_rc store_customer_insert(struct store_conn *c, struct customer *cust, struct kt_err *err);
/* Writes every column of an existing customer. */
enum kt_rc store_customer_update(struct store_conn *c, const struct customer *cust,
                                 struct kt_err *err);
/* Live customers (not merged away) in id order, after `after_id` (NULL for the start). */
enum kt_rc store_customer_list(struct store_conn *c, const char *after_id, int limit,
                               struct arena *a, struct customer **out, size_t *n,
                               struct kt_err *err);
/* Marks `from` as merged into `into`, and repoints customers merged into `from` earlier. */
enum kt_rc store_customer_set_merged(struct store_conn *c, int64_t from, int64_t into, int64_t at,
                                     struct kt_err *err);
/* Public ids of the customers merged into `ck`. */
enum kt_rc store_customer_merged_from(struct store_conn *c, int64_t ck, struct arena *a,
                                      const char ***ids, size_t *n, struct kt_err *err);

/* Identifiers. `find` fills ck and verified (and the rest) or returns KT_ENOTFOUND. */
enum kt_rc store_ident_find(struct store_conn *c, const char *kind, const char *value,
                            struct arena *a, struct ident *out, struct kt_err *err);
enum kt_rc store_ident_insert(struct store_conn *c, const struct ident *id, struct kt_err *err);
enum kt_rc store_ident_set_verified(struct store_conn *c, const char *kind, const char *value,
                                    struct kt_err *err);
enum kt_rc store_ident_list(struct store_conn *c, int64_t ck, struct arena *a, struct ident **out,
                            size_t *n, struct kt_err *err);
enum kt_rc store_ident_move(struct store_conn *c, int64_t from, int64_t into, struct kt_err *err);

/* History, oldest first; entries with seq > after_seq. */
enum kt_rc store_history_add(struct store_conn *c, const struct history_entry *h,
                             struct kt_err *err);
enum kt_rc store_history_list(struct store_conn *c, int64_t ck, int64_t after_seq, int limit,
                              struct arena *a, struct history_entry **out, size_t *n,
                              struct kt_err *err);
/* The raw value of the latest "refused" entry of `field`, or KT_ENOTFOUND. */
enum kt_rc store_history_last_refused(struct store_conn *c, int64_t ck, const char *field,
                                      struct arena *a, const char **raw, struct kt_err *err);
enum kt_rc store_history_move(struct store_conn *c, int64_t from, int64_t into, struct kt_err *err);

/* Two customers that may be one person, found when one request's identifiers pointed at both.
 * Recording the same pair twice keeps one open candidate. */
enum kt_rc store_merge_candidate_add(struct store_conn *c, int64_t ck_a, int64_t ck_b,
                                     const char *reason, int64_t at, struct kt_err *err);
enum kt_rc store_merge_candidate_resolve(struct store_conn *c, int64_t ck_a, int64_t ck_b,
                                         int64_t at, struct kt_err *err);
enum kt_rc store_merge_candidate_count(struct store_conn *c, int64_t ck, int64_t *n,
                                       struct kt_err *err);

/* Declared attributes. */
enum kt_rc store_attr_put(struct store_conn *c, const struct attr_def *d, struct kt_err *err);
enum kt_rc store_attr_get(struct store_conn *c, const char *name, struct arena *a,
                          struct attr_def *out, struct kt_err *err);
enum kt_rc store_attr_list(struct store_conn *c, struct arena *a, struct attr_def **out, size_t *n,
                           struct kt_err *err);
/* True when some live customer holds a value for the attribute. */
enum kt_rc store_attr_in_use(struct store_conn *c, const char *name, bool *used,
                             struct kt_err *err);

/* API keys. */
enum kt_rc store_key_insert(struct store_conn *c, const struct api_key *k, struct kt_err *err);
enum kt_rc store_key_get(struct store_conn *c, const char *id, struct arena *a, struct api_key *out,
                         struct kt_err *err);
enum kt_rc store_key_list(struct store_conn *c, struct arena *a, struct api_key **out, size_t *n,
                          struct kt_err *err);
enum kt_rc store_key_revoke(struct store_conn *c, const char *id, int64_t at, struct kt_err *err);
enum kt_rc store_key_count_active(struct store_conn *c, int64_t *n, struct kt_err *err);

/* Replies to requests that carried an Idempotency-Key. */
enum kt_rc store_idem_get(struct store_conn *c, const char *key_id, const char *idem_key,
                          struct arena *a, struct idem_record *out, struct kt_err *err);
enum kt_rc store_idem_put(struct store_conn *c, const struct idem_record *r, struct kt_err *err);
/* Forgets records older than `before` ms. */
enum kt_rc store_idem_expire(struct store_conn *c, int64_t before, struct kt_err *err);

/* The counts of the quality report; `now` in ms, intake rows from `since_day` on. */
enum kt_rc store_quality(struct store_conn *c, int64_t now, int64_t since_day, struct arena *a,
                         struct quality_data *out, struct kt_err *err);

/* Intake statistics: adds the counts to the row of (day, channel, store, operator). */
enum kt_rc store_intake_add(struct store_conn *c, const struct intake_row *r, struct kt_err *err);

/* Import jobs. `next` gives the oldest job still queued or running (KT_ENOTFOUND when none). */
enum kt_rc store_import_insert(struct store_conn *c, const struct import_job *j,
                               struct kt_err *err);
enum kt_rc store_import_update(struct store_conn *c, const struct import_job *j,
                               struct kt_err *err);
enum kt_rc store_import_get(struct store_conn *c, const char *id, struct arena *a,
                            struct import_job *out, struct kt_err *err);
enum kt_rc store_import_next(struct store_conn *c, struct arena *a, struct import_job *out,
                             struct kt_err *err);
enum kt_rc store_import_list(struct store_conn *c, int limit, struct arena *a,
                             struct import_job **out, size_t *n, struct kt_err *err);

/* The reject files of server imports, a line per row (docs/import.md). `add` of the header line
 * does nothing when the import has it already. `clear` drops an import's lines (a job run again
 * from the start). `file` appends an import's lines in order to `out`; *rows counts those
 * after the header (0: none kept). `forget` removes every line that carries one of the keyed
 * hashes (an erasure). `expire` removes up to `limit` lines refused before `before` ms, and the
 * header of an import with no line left; *removed counts the rows, headers aside. */
enum kt_rc store_reject_add(struct store_conn *c, const struct import_reject *r,
                            struct kt_err *err);
enum kt_rc store_reject_clear(struct store_conn *c, const char *import_id, struct kt_err *err);
enum kt_rc store_reject_file(struct store_conn *c, const char *import_id, struct buf *out,
                             int64_t *rows, struct kt_err *err);
enum kt_rc store_reject_forget(struct store_conn *c, const unsigned char (*hashes)[32], size_t n,
                               int64_t *removed, struct kt_err *err);
enum kt_rc store_reject_expire(struct store_conn *c, int64_t before, int limit, int64_t *removed,
                               struct kt_err *err);

/* ---- privacy (consent/): documents, consent and subscription events, suppression, requests,
 * acts, scheduled work, the audit log, erasure ---- */

/* Consent documents: publishes a version (KT_ECONFLICT when it exists). */
enum kt_rc store_doc_put(struct store_conn *c, const struct consent_doc *d, struct kt_err *err);
/* Version `version` of a document, or its latest when 0; KT_ENOTFOUND when none. */
enum kt_rc store_doc_get(struct store_conn *c, const char *key, int64_t version, struct arena *a,
                         struct consent_doc *out, struct kt_err *err);
/* Every version of every document, by key and version. */
enum kt_rc store_doc_list(struct store_conn *c, struct arena *a, struct consent_doc **out,
                          size_t *n, struct kt_err *err);
/* Appends a consent event. */
enum kt_rc store_consent_add(struct store_conn *c, const struct consent_event *e,
                             struct kt_err *err);
/* A customer's consent events, oldest first. */
enum kt_rc store_consent_list(struct store_conn *c, int64_t ck, struct arena *a,
                              struct consent_event **out, size_t *n, struct kt_err *err);
/* Topics: creates or replaces (keeping created_at). */
enum kt_rc store_topic_put(struct store_conn *c, const struct topic *t, struct kt_err *err);
/* Every topic, by key. */
enum kt_rc store_topic_list(struct store_conn *c, struct arena *a, struct topic **out, size_t *n,
                            struct kt_err *err);
/* Appends a subscription event. */
enum kt_rc store_sub_add(struct store_conn *c, const struct sub_event *e, struct kt_err *err);
/* A customer's subscription events, oldest first. */
enum kt_rc store_sub_list(struct store_conn *c, int64_t ck, struct arena *a, struct sub_event **out,
                          size_t *n, struct kt_err *err);
/* Suppression list: adds a keyed hash (a second add keeps the first). */
enum kt_rc store_suppress_add(struct store_conn *c, const unsigned char hash[32], const char *kind,
                              const char *act_id, int64_t at, struct kt_err *err);
/* Checks up to SUPPRESS_CHECK_MAX hashes; every listed one counts a hit. `first` gets the index
 * of the first listed one, or n when none is. */
#define SUPPRESS_CHECK_MAX 8
enum kt_rc store_suppress_hit(struct store_conn *c, const unsigned char (*hashes)[32], size_t n,
                              int64_t at, size_t *first, struct kt_err *err);
/* Lifts a suppression (new consent through a form). */
enum kt_rc store_suppress_remove(struct store_conn *c, const unsigned char hash[32],
                                 struct kt_err *err);
/* Privacy requests register. */
enum kt_rc store_preq_insert(struct store_conn *c, const struct privacy_request *p,
                             struct kt_err *err);
/* One request; KT_ENOTFOUND when none. */
enum kt_rc store_preq_get(struct store_conn *c, const char *id, struct arena *a,
                          struct privacy_request *out, struct kt_err *err);
/* Closes an open request; KT_ENOTFOUND when there is no open one. */
enum kt_rc store_preq_close(struct store_conn *c, const char *id, const char *state,
                            const char *outcome, int64_t at, struct kt_err *err);
/* Requests by id after `after_id`; only open ones past their deadline (before `today`) when
 * `overdue`. */
enum kt_rc store_preq_list(struct store_conn *c, bool overdue, const char *today,
                           const char *after_id, int limit, struct arena *a,
                           struct privacy_request **out, size_t *n, struct kt_err *err);
/* Acts of destruction. */
enum kt_rc store_act_insert(struct store_conn *c, const struct destruction_act *x,
                            struct kt_err *err);
/* One act; KT_ENOTFOUND when none. */
enum kt_rc store_act_get(struct store_conn *c, const char *id, struct arena *a,
                         struct destruction_act *out, struct kt_err *err);
/* Acts by id after `after_id`. */
enum kt_rc store_act_list(struct store_conn *c, const char *after_id, int limit, struct arena *a,
                          struct destruction_act **out, size_t *n, struct kt_err *err);
/* Scheduled work. */
enum kt_rc store_due_add(struct store_conn *c, const struct due_item *d, struct kt_err *err);
/* The earliest item due at `now`; KT_ENOTFOUND when none. */
enum kt_rc store_due_next(struct store_conn *c, int64_t now, struct arena *a, struct due_item *out,
                          struct kt_err *err);
/* Marks an item done. */
enum kt_rc store_due_finish(struct store_conn *c, int64_t seq, int64_t at, struct kt_err *err);
/* Cancels a customer's pending items of `kind`. */
enum kt_rc store_due_cancel(struct store_conn *c, int64_t ck, const char *kind, int64_t at,
                            struct kt_err *err);
/* When the customer's pending item of `kind` is due; KT_ENOTFOUND when none. */
enum kt_rc store_due_pending(struct store_conn *c, int64_t ck, const char *kind, int64_t *due_at,
                             struct kt_err *err);
/* Appends audit entries. */
enum kt_rc store_audit_add(struct store_conn *c, const struct audit_entry *e, size_t n,
                           struct kt_err *err);
/* Audit entries matching the filter, oldest first. */
enum kt_rc store_audit_list(struct store_conn *c, const struct audit_filter *f, struct arena *a,
                            struct audit_entry **out, size_t *n, struct kt_err *err);
/* Depersonalises a customer in place: profile, attributes, keys and identifiers gone; history
 * values, consent IPs and user agents and stored replies that name it destroyed. */
enum kt_rc store_customer_erase(struct store_conn *c, int64_t ck, int64_t at, struct kt_err *err);
/* Live, not erased customers with no change since `before`. */
enum kt_rc store_customer_inactive(struct store_conn *c, int64_t before, int limit, struct arena *a,
                                   int64_t **cks, size_t *n, struct kt_err *err);

/* The log of reads of personal data: a file of its own ("<db>.reads"), written in bulk by the
 * privacy worker, so its writes never disturb the main database's readers. Append-only. */
enum kt_rc store_reads_add(struct store *s, const struct audit_entry *e, size_t n,
                           struct kt_err *err);
enum kt_rc store_reads_list(struct store *s, const struct audit_filter *f, struct arena *a,
                            struct audit_entry **out, size_t *n, struct kt_err *err);

/* Loyalty programme versions (append-only). `get` gives the latest, when it was published (`at`)
 * and when the first version was (`first_at`, the programme's start); KT_ENOTFOUND when none was
 * ever published. */
enum kt_rc store_program_put(struct store_conn *c, const char *rules, int64_t at,
                             const char *key_id, int64_t *version, struct kt_err *err);
enum kt_rc store_program_get(struct store_conn *c, struct arena *a, const char **rules,
                             int64_t *version, int64_t *at, int64_t *first_at, struct kt_err *err);

/* The points ledger: appends an entry; lists a customer's entries, oldest first. */
enum kt_rc store_ledger_add(struct store_conn *c, const struct ledger_entry *e, struct kt_err *err);
enum kt_rc store_ledger_list(struct store_conn *c, int64_t ck, struct arena *a,
                             struct ledger_entry **out, size_t *n, struct kt_err *err);

/* Customers with a credit expiring in (since, until], ck > after_ck, in ck order. */
enum kt_rc store_ledger_expiring(struct store_conn *c, int64_t since, int64_t until,
                                 int64_t after_ck, int limit, struct arena *a, int64_t **cks,
                                 size_t *n, struct kt_err *err);
/* Receipts: the purchase a store's receipt number made (id, request hash, reply), or
 * KT_ENOTFOUND; and a new purchase with its lines. */
enum kt_rc store_purchase_find(struct store_conn *c, const char *store_id, const char *receipt,
                               struct arena *a, struct purchase *out, struct kt_err *err);
enum kt_rc store_purchase_insert(struct store_conn *c, const struct purchase *p,
                                 const struct purchase_line *lines, size_t n, struct kt_err *err);
/* One purchase with its lines and what was refunded of each (KT_ENOTFOUND "purchase_not_found");
 * and a customer's purchases, newest first, those before `before` (0: from the newest). */
enum kt_rc store_purchase_get(struct store_conn *c, const char *id, struct arena *a,
                              struct purchase *out, struct purchase_line **lines, size_t *n,
                              struct kt_err *err);
enum kt_rc store_purchase_list(struct store_conn *c, int64_t ck, int64_t before, int limit,
                               struct arena *a, struct purchase **out, size_t *n,
                               struct kt_err *err);
/* Refunds: the refund a return document made of a purchase (KT_ENOTFOUND when none), and a new
 * one with its lines. */
enum kt_rc store_refund_find(struct store_conn *c, const char *purchase_id, const char *number,
                             struct arena *a, struct refund *out, struct kt_err *err);
enum kt_rc store_refund_insert(struct store_conn *c, const struct refund *rf,
                               const struct refund_line *lines, size_t n, struct kt_err *err);
/* The programme's economics over [since, until). */
enum kt_rc store_loyalty_report(struct store_conn *c, int64_t since, int64_t until,
                                struct loyalty_report *out, struct kt_err *err);

/* Loyalty cards: a new one; one by number (KT_ENOTFOUND "card_not_found"); a customer's, oldest
 * first; and a change of ck, state, bound_at, state_at, replaced_by and reason. */
enum kt_rc store_card_insert(struct store_conn *c, const struct card *cd, struct kt_err *err);
enum kt_rc store_card_get(struct store_conn *c, const char *number, struct arena *a,
                          struct card *out, struct kt_err *err);
enum kt_rc store_card_list(struct store_conn *c, int64_t ck, struct arena *a, struct card **out,
                           size_t *n, struct kt_err *err);
enum kt_rc store_card_update(struct store_conn *c, const struct card *cd, struct kt_err *err);
/* Whether a card number is held: a card has it, a customer has it as a "card" identifier, or
 * `suppress_hash` (the keyed hash of the number as a card) is on the suppression list. */
enum kt_rc store_card_number_held(struct store_conn *c, const char *number,
                                  const unsigned char suppress_hash[32], bool *held,
                                  struct kt_err *err);
/* Enrolments for the limits: how many since `since` by a key (store NULL) or at a store (key_id
 * NULL), and when the oldest of them was (0 when none); and one more, deleting those before
 * `purge_before`. */
enum kt_rc store_enrol_count(struct store_conn *c, const char *key_id, const char *store,
                             int64_t since, int64_t *n, int64_t *oldest, struct kt_err *err);
enum kt_rc store_enrol_add(struct store_conn *c, const char *key_id, const char *store, int64_t at,
                           int64_t purge_before, struct kt_err *err);
/* One-time codes: a new one; the newest for a phone tag (KT_ENOTFOUND "no_code"); a change of
 * attempts and verified_at; and how many were made since `since` for a phone tag (tag not NULL) or
 * by a key. */
enum kt_rc store_otp_insert(struct store_conn *c, const struct otp_code *o, struct kt_err *err);
enum kt_rc store_otp_latest(struct store_conn *c, const unsigned char tag[32], struct arena *a,
                            struct otp_code *out, struct kt_err *err);
/* One code by its id (KT_ENOTFOUND "no_code"). */
enum kt_rc store_otp_get(struct store_conn *c, const char *id, struct arena *a,
                         struct otp_code *out, struct kt_err *err);
enum kt_rc store_otp_update(struct store_conn *c, const struct otp_code *o, struct kt_err *err);
enum kt_rc store_otp_count(struct store_conn *c, const unsigned char *tag, const char *key_id,
                           int64_t since, int64_t *n, struct kt_err *err);
/* The SMS outbox: a message in; up to `limit` queued messages due at `now`, oldest first; and
 * the outcome of a try ("queued" again with the next time, "sent" or "dead"; the text is blanked
 * once it is sent or dead). */
enum kt_rc store_sms_enqueue(struct store_conn *c, const struct sms_msg *m, struct kt_err *err);
enum kt_rc store_sms_due(struct store_conn *c, int64_t now, int limit, struct arena *a,
                         struct sms_msg **out, size_t *n, struct kt_err *err);
enum kt_rc store_sms_done(struct store_conn *c, int64_t id, const char *state, int64_t attempts,
                          int64_t next_at, const char *error, int64_t at, struct kt_err *err);

/* Referrals: who brought `friend_ck` (KT_ENOTFOUND "no_referral" when nobody); the reward
 * recorded once; and the members (an active card) with a birth date, ck > after_ck, in ck
 * order, for the birthday bonus. */
enum kt_rc store_referral_add(struct store_conn *c, int64_t friend_ck, int64_t referrer_ck,
                              int64_t at, struct kt_err *err);
enum kt_rc store_referral_get(struct store_conn *c, int64_t friend_ck, int64_t *referrer_ck,
                              int64_t *rewarded_at, struct kt_err *err);
enum kt_rc store_referral_rewarded(struct store_conn *c, int64_t friend_ck, int64_t at,
                                   const char *purchase_id, struct kt_err *err);
enum kt_rc store_member_birthdays(struct store_conn *c, int64_t after_ck, int limit,
                                  struct arena *a, int64_t **cks, const char ***dates, size_t *n,
                                  struct kt_err *err);

/* Events: one stored, unless its message id (msg_hash) was seen in the window (`duplicate`);
 * the anonymous events of a cookie or device id given to customer `ck` (`n` adopted); a
 * customer's, newest first, seq < before_seq (0: from the newest); how many of each type were
 * received in [since, until); message ids older than `before` forgotten. */
enum kt_rc store_event_add(struct store_conn *c, const struct event *e, bool *duplicate,
                           struct kt_err *err);
enum kt_rc store_events_adopt(struct store_conn *c, const char *kind, const char *value, int64_t ck,
                              int64_t *n, struct kt_err *err);
enum kt_rc store_events_list(struct store_conn *c, int64_t ck, int64_t before_seq, int limit,
                             struct arena *a, struct event **out, size_t *n, struct kt_err *err);
enum kt_rc store_event_counts(struct store_conn *c, int64_t since, int64_t until, struct arena *a,
                              const char ***types, int64_t **counts, size_t *n, struct kt_err *err);
enum kt_rc store_event_ids_purge(struct store_conn *c, int64_t before, int64_t *n,
                                 struct kt_err *err);
/* Custom event types: declared or redeclared (by name), and all of them. */
enum kt_rc store_event_type_put(struct store_conn *c, const struct event_type *t,
                                struct kt_err *err);
enum kt_rc store_event_type_list(struct store_conn *c, struct arena *a, struct event_type **out,
                                 size_t *n, struct kt_err *err);

/* A segment query's size and the first `sample` customers' ids (by age in the base). */
enum kt_rc store_segment_preview(struct store_conn *c, const struct seg_node *q, int64_t now,
                                 int sample, struct arena *a, int64_t *count, const char ***ids,
                                 size_t *n_ids, struct kt_err *err);

/* RFM: the live customers with receipts up to `now`, in ck order; traits stored (replacing the
 * one of that name; nothing is stored for a customer merged or erased since it was computed)
 * and listed. */
enum kt_rc store_rfm_rows(struct store_conn *c, int64_t now, struct arena *a, struct rfm_row **out,
                          size_t *n, struct kt_err *err);
enum kt_rc store_trait_put(struct store_conn *c, int64_t ck, const struct trait *t,
                           struct kt_err *err);
enum kt_rc store_traits_list(struct store_conn *c, int64_t ck, struct arena *a, struct trait **out,
                             size_t *n, struct kt_err *err);

/* Saved segments: stored (a new id, or the same id replaced); one by id or name
 * (KT_ENOTFOUND "segment_not_found"); all, by name; deleted with its membership; its members
 * now, ck > after_ck, in ck order. */
enum kt_rc store_segment_put(struct store_conn *c, const struct segment *sg, struct kt_err *err);
enum kt_rc store_segment_get(struct store_conn *c, const char *id_or_name, struct arena *a,
                             struct segment *out, struct kt_err *err);
enum kt_rc store_segment_list(struct store_conn *c, struct arena *a, struct segment **out,
                              size_t *n, struct kt_err *err);
enum kt_rc store_segment_delete(struct store_conn *c, const char *id, struct kt_err *err);
enum kt_rc store_segment_members(struct store_conn *c, const char *id, int64_t after_ck, int limit,
                                 struct arena *a, struct segment_member **out, size_t *n,
                                 struct kt_err *err);
/* A refresh in two halves, so that the query never runs inside a write (store.h's top):
 *   - on an analytic read: every live customer the query finds (segment_eval), and the members
 *     now (segment_member_cks), both ascending by ck;
 *   - in short write transactions: customers entering (a membership opened, unless one is open or
 *     the customer is gone since) and leaving (the open membership closed), `changed` counting
 *     the rows written; then the segment marked refreshed at `at`, with its size. */
enum kt_rc store_segment_eval(struct store_conn *c, const struct seg_node *q, int64_t now,
                              struct arena *a, int64_t **cks, size_t *n, struct kt_err *err);
enum kt_rc store_segment_member_cks(struct store_conn *c, const char *id, struct arena *a,
                                    int64_t **cks, size_t *n, struct kt_err *err);
enum kt_rc store_segment_enter(struct store_conn *c, const char *id, const int64_t *cks, size_t n,
                               int64_t at, int64_t *changed, struct kt_err *err);
enum kt_rc store_segment_leave(struct store_conn *c, const char *id, const int64_t *cks, size_t n,
                               int64_t at, int64_t *changed, struct kt_err *err);
enum kt_rc store_segment_refreshed(struct store_conn *c, const char *id, int64_t at, int64_t *size,
                                   struct kt_err *err);

/* Cluster features: events per customer and channel since `since`; money per customer and
 * purchase category. Both in ck order. */
enum kt_rc store_cluster_channels(struct store_conn *c, int64_t since, struct arena *a,
                                  struct feature_row **out, size_t *n, struct kt_err *err);
enum kt_rc store_cluster_categories(struct store_conn *c, struct arena *a, struct feature_row **out,
                                    size_t *n, struct kt_err *err);

/* Computed traits: a definition stored (by name) and all of them. */
enum kt_rc store_trait_def_put(struct store_conn *c, const char *name, const char *expression,
                               int64_t now, struct kt_err *err);
enum kt_rc store_trait_def_list(struct store_conn *c, struct arena *a, const char ***names,
                                const char ***expressions, size_t *n, struct kt_err *err);
/* The values of trait `name` now, and those a built-in trait would have (favourite_category,
 * average_receipt, lifetime_value; KT_ENOTFOUND "trait_not_found" for another name), both
 * ascending by ck - the analytic half of a trait's computation; one value removed. */
enum kt_rc store_trait_rows(struct store_conn *c, const char *name, struct arena *a,
                            struct trait_row **out, size_t *n, struct kt_err *err);
enum kt_rc store_trait_builtin_eval(struct store_conn *c, const char *name, struct arena *a,
                                    struct trait_row **out, size_t *n, struct kt_err *err);
enum kt_rc store_trait_delete(struct store_conn *c, int64_t ck, const char *name,
                              struct kt_err *err);

/* Copies the WAL into the database and truncates it to nothing, so that values an erasure
 * destroyed survive in neither file. Waits for readers up to the busy timeout (KT_EBUSY). */
enum kt_rc store_wipe_wal(struct store *s, struct kt_err *err);

#endif
