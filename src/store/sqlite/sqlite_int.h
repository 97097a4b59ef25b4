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

/* The statements cached per connection (prepared on first use, finalized on close): a slot
 * each, grouped by the file whose SQL they hold; each file keeps its texts in an array indexed by
 * these. The last member counts them. */
enum sq_slot {
    /* users.c */
    SQ_USER_INSERT,
    SQ_USER_GET,
    SQ_USER_BY_TAG,
    SQ_USER_UPDATE,
    SQ_USER_LIST,
    SQ_USER_FAILED,
    SQ_SESSION_INSERT,
    SQ_SESSION_GET,
    SQ_SESSION_TOUCH,
    SQ_SESSION_END,
    SQ_SESSION_END_USER,
    SQ_SESSION_EXPIRE,
    /* keys.c */
    SQ_META_GET,
    SQ_META_PUT,
    SQ_KEY_INSERT,
    SQ_KEY_GET,
    SQ_KEY_LIST,
    SQ_KEY_REVOKE,
    SQ_KEY_COUNT,
    SQ_KEY_EXPIRED,
    SQ_KEY_EXPIRY_AUDITED,
    SQ_CUSTOMER_IN_STORES,
    SQ_IDEM_GET,
    SQ_IDEM_PUT,
    SQ_IDEM_EXPIRE,
    /* customers.c */
    SQ_CUST_GET,
    SQ_CUST_GET_BY_ID,
    SQ_CUST_SURVIVOR,
    SQ_CUST_INSERT,
    SQ_CUST_UPDATE,
    SQ_CUST_LIST_START,
    SQ_CUST_LIST_AFTER,
    SQ_CUST_SET_MERGED,
    SQ_CUST_MERGED_FROM,
    /* names.c */
    SQ_CUST_BY_NAME,
    SQ_CUST_BY_NAME_BIRTH,
    SQ_CUST_BY_NAME_SEALED,
    SQ_IDENT_FIND,
    SQ_IDENT_INSERT,
    SQ_IDENT_VERIFY,
    SQ_IDENT_LIST,
    SQ_HIST_ADD,
    SQ_HIST_LIST,
    SQ_HIST_LAST_REFUSED,
    SQ_MC_ADD,
    SQ_MC_RESOLVE,
    SQ_MC_COUNT,
    SQ_ATTR_PUT,
    SQ_ATTR_GET,
    SQ_ATTR_LIST,
    SQ_ATTR_IN_USE,
    SQ_CUST_NEXT_CK,
    SQ_IDENT_OF,
    SQ_IDENT_RESEAL,
    SQ_HIST_OF,
    SQ_HIST_RESEAL,
    /* seal.c */
    SQ_ATTR_FREE_TEXT,
    /* imports.c */
    SQ_INTAKE_ADD,
    SQ_IMPORT_INSERT,
    SQ_IMPORT_UPDATE,
    SQ_IMPORT_GET,
    SQ_IMPORT_NEXT,
    SQ_IMPORT_LIST,
    /* sqlite.c */
    SQ_PING,
    /* privacy.c */
    SQ_DOC_PUT,
    SQ_DOC_GET,
    SQ_DOC_LATEST,
    SQ_DOC_LIST,
    SQ_CONSENT_ADD,
    SQ_CONSENT_LIST,
    SQ_CONSENT_MOVE,
    SQ_CONSENT_EVIDENCE,
    SQ_CONSENT_RESEAL,
    SQ_TOPIC_PUT,
    SQ_TOPIC_LIST,
    SQ_SUB_ADD,
    SQ_SUB_LIST,
    SQ_SUB_MOVE,
    SQ_SUPP_ADD,
    SQ_SUPP_HIT,
    SQ_SUPP_REMOVE,
    SQ_PREQ_INSERT,
    SQ_PREQ_GET,
    SQ_PREQ_CLOSE,
    SQ_PREQ_EXTEND,
    SQ_PREQ_LIST,
    SQ_PREQ_OVERDUE,
    SQ_PREQ_OPEN_OF,
    SQ_DUE_ADD,
    SQ_DUE_NEXT,
    SQ_DUE_FINISH,
    SQ_DUE_CANCEL,
    SQ_DUE_PENDING,
    /* erase.c */
    SQ_ERASE_CUST,
    SQ_ERASE_IDENTS,
    SQ_ERASE_UNDELIV,
    SQ_ERASE_HIST,
    SQ_ERASE_CONSENT,
    SQ_ERASE_IDEM,
    SQ_ERASE_OUTBOX,
    SQ_ERASE_CARDS,
    SQ_ERASE_EVENTS,
    SQ_ERASE_TRAITS,
    SQ_ERASE_MEMBERS,
    SQ_ERASE_KEYS,
    SQ_INACTIVE,
    /* loyalty.c */
    SQ_PROGRAM_PUT,
    SQ_PROGRAM_GET,
    SQ_LEDGER_ADD,
    SQ_LEDGER_LIST,
    SQ_LEDGER_MOVE,
    SQ_PURCHASE_FIND,
    SQ_PURCHASE_INSERT,
    SQ_LINE_INSERT,
    SQ_PURCHASE_MOVE,
    SQ_PURCHASE_GET,
    SQ_PURCHASE_LINES,
    SQ_PURCHASE_LIST,
    SQ_REFUND_FIND,
    SQ_REFUND_INSERT,
    SQ_REFUND_LINE,
    SQ_REPORT_LEDGER,
    SQ_REPORT_OUTSTANDING,
    SQ_REPORT_RECEIPTS,
    SQ_REPORT_REFUNDS,
    SQ_EXPIRING,
    SQ_CARDS_MOVE,
    SQ_OTP_MOVE,
    SQ_REF_FRIEND_MOVE,
    SQ_REF_REFERRER_MOVE,
    SQ_REF_SELF,
    SQ_EVENTS_MOVE,
    SQ_TRAITS_DROP,
    SQ_MEMBERS_DROP,
    /* events.c */
    SQ_EVENT_ID,
    SQ_EVENT_ADD,
    SQ_EVENT_ADOPT,
    SQ_EVENT_LIST,
    SQ_EVENT_COUNTS,
    SQ_EVENT_PURGE,
    SQ_EVENT_TYPE_PUT,
    SQ_EVENT_TYPE_LIST,
    /* rejects.c */
    SQ_REJECT_ADD,
    SQ_REJECT_KEY,
    SQ_REJECT_CLEAR,
    SQ_REJECT_FILE,
    SQ_REJECT_FORGET,
    SQ_REJECT_EXPIRE,
    SQ_REJECT_ORPHANS,
    /* cards.c */
    SQ_CARD_INSERT,
    SQ_CARD_GET,
    SQ_CARD_LIST,
    SQ_CARD_UPDATE,
    SQ_OTP_INSERT,
    SQ_OTP_LATEST,
    SQ_OTP_UPDATE,
    SQ_OTP_COUNT_PHONE,
    SQ_OTP_COUNT_KEY,
    SQ_REFERRAL_ADD,
    SQ_REFERRAL_GET,
    SQ_REFERRAL_REWARDED,
    SQ_BIRTHDAYS,
    SQ_BIRTHDAYS_ALL,
    SQ_ENROLLED,
    SQ_OTP_GET,
    SQ_CARD_HELD,
    SQ_ENROL_COUNT_KEY,
    SQ_ENROL_COUNT_STORE,
    SQ_ENROL_ADD,
    SQ_ENROL_PURGE,
    /* acts.c */
    SQ_ACT_INSERT,
    SQ_ACT_GET,
    SQ_ACT_LIST,
    SQ_ACT_DRAFTS,
    SQ_ACT_COMPLETE,
    SQ_ACT_EXPIRED,
    SQ_ACT_PURGE_RECORD,
    SQ_ACT_DELETE,
    SQ_ACT_SIGN,
    SQ_ACT_SIGNATURE,
    /* segments.c */
    SQ_TRAIT_PUT,
    SQ_TRAIT_LIST,
    SQ_TRAIT_DELETE,
    /* audit.c */
    SQ_AUDIT_ANCHOR,
    SQ_AUDIT_LAST,
    SQ_AUDIT_ADD,
    SQ_AUDIT_SEAL,
    SQ_AUDIT_LIST,
    SQ_AUDIT_LEGACY,
    /* blocks.c */
    SQ_BLOCK_INSERT,
    SQ_BLOCK_LEAVE_SEGMENTS,
    SQ_BLOCK_RECALL,
    SQ_BLOCK_IN_FORCE,
    SQ_BLOCK_GET,
    SQ_BLOCK_END,
    SQ_BLOCK_LIST,
    /* shops.c */
    SQ_SHOP_PUT,
    SQ_SHOP_GET,
    SQ_SHOP_LIST,
    SQ_SHOP_OF_CUSTOMER,
    /* join_points.c */
    SQ_JOIN_POINT_ADD,
    SQ_JOIN_POINT_GET,
    SQ_JOIN_POINT_LIST,
    SQ_JOIN_POINT_DISABLE,
    /* outbox.c */
    SQ_OUTBOX_ADD,
    SQ_OUTBOX_GET,
    SQ_OUTBOX_TOP,
    SQ_OUTBOX_DUE,
    SQ_OUTBOX_UPDATE,
    SQ_OUTBOX_REQUEUE,
    SQ_OUTBOX_LIST,
    SQ_OUTBOX_SENT_SINCE,
    SQ_CAPS_VERSION,
    SQ_CAPS_GET,
    SQ_CAPS_CLEAR,
    SQ_CAPS_ADD,
    SQ_CAPS_BUMP,
    SQ_FEEDBACK_ADD,
    SQ_FEEDBACK_SEEN,
    SQ_UNDELIVERABLE_ADD,
    SQ_UNDELIVERABLE_HAS,
    /* templates.c */
    SQ_TEMPLATE_PUT,
    SQ_TEMPLATE_GET,
    SQ_TEMPLATE_LATEST,
    SQ_TEMPLATE_LIST,
    /* campaigns.c */
    SQ_CAMPAIGN_ADD,
    SQ_CAMPAIGN_VARIANT_ADD,
    SQ_CAMPAIGN_GET,
    SQ_CAMPAIGN_VARIANTS,
    SQ_CAMPAIGN_LIST,
    SQ_CAMPAIGN_UPDATE,
    SQ_CAMPAIGN_LIVE,
    SQ_CAMPAIGN_AUDIENCE_ADD,
    SQ_CAMPAIGN_AUDIENCE_CLEAR,
    SQ_CAMPAIGN_AUDIENCE_NEXT,
    SQ_CAMPAIGN_MEMBER_ADD,
    SQ_CAMPAIGN_MEMBERS,
    SQ_CAMPAIGN_OUTBOX_HOLD,
    SQ_CAMPAIGN_OUTBOX_CANCEL,
    SQ_CAMPAIGN_OUTBOX_WAITING,
    /* campaign_report.c */
    SQ_CAMPAIGN_REPORT_OUTCOMES,
    SQ_CAMPAIGN_REPORT_ATTRIBUTED,
    SQ_CAMPAIGN_REPORT_WINDOW,
    SQ_JOURNEY_PUT,
    SQ_JOURNEY_GET,
    SQ_JOURNEY_LIST,
    SQ_JOURNEY_VERSION_ADD,
    SQ_JOURNEY_VERSION_GET,
    SQ_JOURNEY_RUN_ADD,
    SQ_JOURNEY_RUN_LAST,
    SQ_JOURNEY_RUN_UPDATE,
    SQ_JOURNEY_RUNS_DUE,
    SQ_JOURNEY_RUNS_LIVE,
    SQ_JOURNEY_RUNS_LIVE_ALL,
    SQ_JOURNEY_RUNS_OF,
    SQ_JOURNEY_STEP_ADD,
    SQ_JOURNEY_CURSOR_GET,
    SQ_JOURNEY_CURSOR_PUT,
    SQ_JOURNEY_EVENTS_AFTER,
    SQ_EVENTS_LAST_SEQ,
    SQ_JOURNEY_PURCHASES,
    SQ_JOURNEY_BOUGHT,
    SQ_JOURNEY_EVENT_PROPS,
    SQ_JOURNEY_OUTBOX_CANCEL,
    SQ_COUPON_ADD,
    SQ_JOURNEY_RUN_COUNTS,
    SQ_FORM_TOKEN_USE,
    SQ_FORM_TOKENS_PURGE,
    SQ_JOIN_PENDING_ADD,
    SQ_JOIN_PENDING_PURGE,
    SQ_JOIN_PENDING_GET,
    SQ_JOIN_PENDING_DELETE,
    SQ_ERASE_JOIN,
    SQ_PAGE_LIMIT_NTH,
    SQ_PAGE_LIMIT_ADD,
    SQ_PAGE_LIMIT_EXPIRE,
    SQ_PAGE_PUT,
    SQ_PAGE_GET,
    SQ_PAGE_LATEST,
    SQ_PAGE_LIST,
    SQ_PAGE_SEQ,
    SQ_STATEMENTS
};

/* The condition that leaves a blocked customer (152-FZ art. 21; blocks.c) out of every analytic
 * query - a segment's members, its preview and refresh, RFM, traits, cluster features: `ck` is
 * the query's column of the customer key. The subquery is evaluated once per statement from the
 * partial index of the blocks in force, a list that is empty on most days. */
#define SQ_NOT_BLOCKED(ck)                                                                         \
    " " ck " NOT IN (SELECT ck FROM customer_blocks WHERE unblocked_at IS NULL) "

struct sq_store;

struct sq_conn {
    struct store_conn base;
    sqlite3 *db;                        /* owned */
    sqlite3_stmt *stmts[SQ_STATEMENTS]; /* owned; prepared on first use */
    struct sq_conn *next_free;          /* pool link; guarded by sq_store.pool_mu */
    int64_t read_since;   /* monotonic ns its read began, 0 when not handed out; pool_mu */
    bool analytics;       /* the read was begun as an analytic one; pool_mu */
    sqlite3 *ks;          /* owned: its own handle on the key store (keystore.c), or NULL */
    sqlite3_stmt *ks_get; /* owned: the read of one data key */
};

/* stmt.c: statements and errors, for every file of the backend. sq_stmt() prepares `text` once
 * per connection into `slot`; the statement it gives is reset and has no bindings. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sq_slot slot, const char *text, struct kt_err *err);
void sq_done(sqlite3_stmt *st);                               /* reset and clear bindings */
void sq_bind_text(sqlite3_stmt *st, int i, const char *s);    /* NULL binds NULL */
void sq_bind_i64_or_null(sqlite3_stmt *st, int i, int64_t v); /* 0 binds NULL */
/* NULL for NULL; a BLOB (a sealed value) is kept sealed for sq_unseal() (seal.c) */
const char *sq_col_text(sqlite3_stmt *st, int i, struct arena *a);
/* Runs a statement that returns no rows; `changes` (may be NULL) gets the rows it touched. A
 * constraint is KT_ECONFLICT "conflict". */
enum kt_rc sq_run(struct sq_conn *c, sqlite3_stmt *st, int *changes, struct kt_err *err);

/* Reading rows: every query's rows go through these, which step, read, reset the statement
 * (sq_done) and turn a failure into the store's error (`what` names the query in its detail). A
 * statement prepared for one call is finalized by its caller after. */
typedef void (*sq_each_fn)(sqlite3_stmt *st, void *ctx);
/* Reads one row into the record `out` (its strings in the arena). */
typedef void (*sq_row_fn)(sqlite3_stmt *st, struct arena *a, void *out);
/* Calls `fn` on every row. */
enum kt_rc sq_each(struct sq_conn *c, sqlite3_stmt *st, sq_each_fn fn, void *ctx, const char *what,
                   struct kt_err *err);
/* Every row, each read by `row` into a new zeroed element of `size` bytes of an array in the
 * arena: `arr` is the caller's `T **` (NULL when there are no rows), `n` its length. */
enum kt_rc sq_rows(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn row, size_t size, struct arena *a,
                   void *arr, size_t *n, const char *what, struct kt_err *err);
/* The loop of sq_rows alone, for a statement of another connection (the log of reads): gives
 * SQLite's code, SQLITE_DONE when every row was read; neither resets nor maps errors. */
int sq_collect(sqlite3_stmt *st, sq_row_fn row, size_t size, struct arena *a, void *arr, size_t *n);
/* The first row, read by `row` into `out`. When there is none: KT_OK with *found false when the
 * caller passed `found` (a lookup that may find nothing, store_ops.def), else KT_ENOTFOUND
 * `code` with the message `msg`. */
enum kt_rc sq_one(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn row, struct arena *a, void *out,
                  bool *found, const char *code, const char *msg, struct kt_err *err);
/* After sq_one(): whether the row was there (without `found`, absence was an error). */
static inline bool sq_found(const bool *found)
{
    return found == NULL || *found;
}
/* The first `n` integer columns of the one row of an aggregate (a count, sums) into v[0..n). */
enum kt_rc sq_int_row(struct sq_conn *c, sqlite3_stmt *st, int64_t *v, int n, const char *what,
                      struct kt_err *err);
/* Row readers of a single column: an int64_t (a customer key), a string. */
void sq_row_i64(sqlite3_stmt *st, struct arena *a, void *out);
void sq_row_text(sqlite3_stmt *st, struct arena *a, void *out);
/* The rows of a statement of two integer columns (a customer key and a time) as two arrays, in
 * `a`, in the rows' order. */
enum kt_rc sq_pairs(struct sq_conn *c, sqlite3_stmt *st, struct arena *a, int64_t **x, int64_t **y,
                    size_t *n, const char *what, struct kt_err *err);
/* KT_ENOTFOUND `code`, "<what> not found"; or, when the caller passed `found`, KT_OK with
 * *found false. */
enum kt_rc sq_not_found(bool *found, struct kt_err *err, const char *code, const char *what);
/* Runs SQL text without a result (BEGIN, COMMIT, PRAGMAs). */
enum kt_rc sq_exec(struct sq_conn *c, const char *text, struct kt_err *err);
/* Turns an SQLite result code into the store's error: KT_ESPACE (see sq_no_space), KT_EBUSY, or
 * KT_ESTORE with the detail. */
enum kt_rc sq_fail(struct sq_conn *c, int rc, const char *what, struct kt_err *err);

/* The log of reads (reads.c): a database file of its own beside the main one, so its writes
 * (thousands a second under lookups) never make the main database's readers drop their caches. */
struct sq_reads {
    pthread_mutex_t mu; /* guards db */
    sqlite3 *db;        /* opened on first use */
    char *path;         /* "<db>.reads" */
};
struct sq_reads *sq_store_reads(struct store *s);
/* retention.c: a merge moves the merged-away customer's daily counts of events to the survivor,
 * in the merge's transaction (loyalty.c's sq_loyalty_move). */
enum kt_rc sq_event_days_move(struct sq_conn *c, int64_t from, int64_t into, struct kt_err *err);
void sq_reads_close(struct sq_reads *r);
/* audit.c: what the audit log (table `audit`) and the log of reads (table `reads` of its own
 * file) share. Both have these columns and an `audit_anchor` table; the statements are written
 * once per table by these macros. */
#define SQ_AUDIT_COLS "seq, at, key_id, action, customer_id, fields, detail, request_id, ip, hash"
#define SQ_AUDIT_ANCHOR_SQL                                                                        \
    "SELECT before_seq, rows, at, coalesce(mac, '') FROM audit_anchor WHERE log = ?1"
#define SQ_AUDIT_LAST_SQL(table)                                                                   \
    "SELECT seq, coalesce(hash, '') FROM " table " ORDER BY seq DESC LIMIT 1"
#define SQ_AUDIT_ADD_SQL(table)                                                                    \
    "INSERT INTO " table " (" SQ_AUDIT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
#define SQ_AUDIT_SEAL_SQL "UPDATE audit_anchor SET mac = ?2 WHERE log = ?1 AND mac IS NULL"
#define SQ_AUDIT_LIST_SQL(table)                                                                   \
    "SELECT " SQ_AUDIT_COLS " FROM " table " WHERE seq > ?1 AND (?2 IS NULL OR customer_id = ?2) " \
    "AND (?3 IS NULL OR key_id = ?3) AND (?4 IS NULL OR action = ?4) "                             \
    "AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6) ORDER BY seq LIMIT ?7"
#define SQ_AUDIT_LEGACY_SQL(table) "SELECT count(*) FROM " table " WHERE seq <= ?1"
/* A row of either log, in SQ_AUDIT_COLS. */
void sq_audit_row(sqlite3_stmt *st, struct arena *a, void *out);
/* The statements of one log's chain, prepared on its connection. */
struct sq_chain_stmts {
    const char *log; /* "changes" or "reads": the anchor's row */
    sqlite3_stmt *anchor, *last, *add, *seal;
};
/* Appends e[0..n) to a log inside the caller's write transaction: reads the chain's head, lets
 * `seal` number and hash the entries (and seal the anchor, the first time), writes them. Gives
 * SQLite's code; SQLITE_ABORT with `err` set when `seal` refused. Every statement is reset. */
int sq_chain_append(const struct sq_chain_stmts *q, struct audit_entry *e, size_t n,
                    store_audit_seal_fn seal, void *ctx, struct kt_err *err);
/* The chain's head (anchor and newest entry), without the legacy count. SQLite's code. */
int sq_chain_head(const struct sq_chain_stmts *q, struct audit_chain *out);

/* The key store (keystore.c): "<db>.keys", the customers' data keys wrapped under the master
 * key. `db` makes, destroys and rewraps keys; each connection reads through its own `ks`. */
struct sq_keys {
    pthread_mutex_t mu; /* guards db */
    sqlite3 *db;        /* opened by sq_keys_attach */
    char *path;         /* "<db>.keys" */
    pthread_t warmer;   /* sq_keys_warm's thread */
    bool warming;       /* it was started */
    atomic_bool stop;   /* asks it to end */
};
/* Starts the thread that opens the newest data keys into the keyring's cache, once, at a low
 * priority; sq_keys_close stops it. */
void sq_keys_warm(struct sq_store *s);
/* Opens the key store beside an up-to-date database and checks that they, the master key and
 * the installation secret belong together (key_store_mismatch, master_key_mismatch,
 * rotation_unfinished, secret_mismatch). Once per store; a no-op after. */
enum kt_rc sq_keys_attach(struct sq_store *s, struct kt_err *err);
void sq_keys_close(struct sq_store *s); /* frees the keyring too */
void sq_conn_ks_close(struct sq_conn *c);
enum kt_rc sq_keys_meta_put(struct sq_store *s, const char *key, const char *val,
                            struct kt_err *err);
/* seal_migrate.c: migration 0013's C half. The schema edit runs in the migration's transaction;
 * the data step seals what is still clear (or reseals under a new --sealed-fields policy,
 * `requested`, -1 = the database's), resumably, when `run`; without `run` pending work is
 * "schema_behind". It sets s->sealed. */
enum kt_rc sq_seal_schema(struct sq_conn *c, struct kt_err *err);
enum kt_rc sq_seal_step(struct sq_store *s, int requested, bool run, struct kt_err *err);
/* The C half of migration 0025 (sms_fold.c): the old SMS outbox's queued messages into the
 * outbox, then the table dropped; nothing when it is gone. Pending and not `run`: schema_behind. */
enum kt_rc sq_sms_fold(struct sq_store *s, bool run, struct kt_err *err);
bool sq_table_exists(struct sq_conn *c, const char *name);
/* Customer ck's data key: from the keyring's cache, else the key store; with `make`, made when
 * it has none (a new customer, the writer only). KT_EGONE "customer_key_destroyed" for a key an
 * erasure destroyed; KT_ESTORE "data_key_missing" for none without `make`. */
enum kt_rc sq_dk(struct sq_conn *c, int64_t ck, bool make, unsigned char dk[CRYPT_KEY_BYTES],
                 struct kt_err *err);

/* seal.c: sealed columns (docs/privacy.md, "Encryption at rest"). A customer's key is fetched
 * at most once for the values of one row: */
struct sq_key {
    struct sq_conn *c;
    int64_t ck;                        /* the customer; 0 = the installation's own key */
    bool make;                         /* make the key when there is none (writes) */
    bool have;                         /* dk holds it */
    unsigned char dk[CRYPT_KEY_BYTES]; /* wiped by sq_key_release */
};
void sq_key_init(struct sq_key *k, struct sq_conn *c, int64_t ck, bool make);
void sq_key_release(struct sq_key *k);
/* Binds `value` sealed for `column` (NULL binds NULL); sq_bind_policy binds it clear when `seal`
 * is false. The column names the value in its associated data ("customers.phone"). */
enum kt_rc sq_bind_sealed(struct sq_key *k, sqlite3_stmt *st, int i, const char *column,
                          const char *value, struct kt_err *err);
enum kt_rc sq_bind_policy(struct sq_key *k, bool seal, sqlite3_stmt *st, int i, const char *column,
                          const char *value, struct kt_err *err);
/* sq_col_text() keeps a BLOB sealed (tagged); this opens *v in place (a clear value passes).
 * KT_ESTORE "data_key_corrupt" when it does not open; a destroyed key is KT_EGONE. */
enum kt_rc sq_unseal(struct sq_key *k, const char *column, const char **v, struct arena *a,
                     struct kt_err *err);
bool sq_is_sealed(const char *v); /* a value sq_col_text() kept sealed */
/* Blind indexes of a standard form in a domain (an identifier's kind). */
void sq_bidx(struct sq_conn *c, const char *domain, const char *value,
             unsigned char out[CRYPT_BIDX_BYTES]);
void sq_bind_bidx(struct sq_conn *c, sqlite3_stmt *st, int i, const char *domain,
                  const char *value);
/* Declared attributes of free text (string, list of strings) are sealed apart: `clear` is the
 * JSON object with their values replaced by "sealed", `sealed` the object of their values (NULL
 * when none); join puts them back. */
enum kt_rc sq_attrs_split(struct sq_conn *c, const char *attrs, struct arena *a, const char **clear,
                          const char **sealed, struct kt_err *err);
const char *sq_attrs_join(const char *clear, const char *sealed, struct arena *a);
/* The names of those attributes, in the arena. */
enum kt_rc sq_attrs_free_text(struct sq_conn *c, struct arena *a, const char ***names, size_t *n,
                              struct kt_err *err);
/* customers.c: whether profile field pf is sealed under the store's policy. */
bool sq_pf_sealed(const struct sq_store *s, int pf);

enum { SPACE_FULL = 1, SPACE_READ_ONLY = 2 }; /* sq_store.writes_failing */
/* stmt.c: KT_ESPACE for a write the disk could not take (`cause` one of the above): nothing of
 * it was kept, reads go on, and /readyz says so until writes work again (sq_health), which
 * sq_writes_work_again() records. */
enum kt_rc sq_no_space(struct sq_conn *c, int cause, const char *what, struct kt_err *err);
void sq_writes_work_again(struct sq_store *s);

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
    struct sq_reads reads;      /* the log of reads (reads.c) */
    struct crypt *crypt;        /* owned: the keyring; immutable but for its cache */
    bool rotating;              /* the keyring holds a next master key (keys rotate-master) */
    unsigned sealed;            /* the optional fields sealed (store_opts.sealed_fields); set at
                                   open, immutable after */
    int sealed_requested;       /* store_opts.sealed_fields as given (-1: the database's) */
    struct sq_keys keys;        /* the key store (keystore.c) */
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

/* The backend's operations: sq_<name> for each entry of store_ops.def, in the files by table. */
#define STORE_OP(name, params, args) enum kt_rc sq_##name params;
#include "store/store_ops.def"

/* Merges: privacy.c moves the consent and subscription events of a customer merged away, then
 * loyalty.c everything of the programme (called by sq_history_move). */
enum kt_rc sq_privacy_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err);
enum kt_rc sq_loyalty_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err);

/* cond.c: a condition on customers (store/cond.h) as SQL, from "FROM customers c WHERE ..." on,
 * and the values to bind to its placeholders in order. Past SQ_COND_PARAMS values (or when the
 * text outgrows its buffer: q->sql.failed) the condition is too big to run. */
#define SQ_COND_PARAMS 1000
struct sq_param {
    bool is_int;
    int64_t i;
    const char *s; /* borrowed from the condition or the arena */
};
struct sq_cond_sql {
    struct buf sql;
    struct sq_param p[SQ_COND_PARAMS];
    size_t n;
};
void sq_cond_sql(const struct store_cond *n, struct arena *a, struct sq_cond_sql *q);

#endif
