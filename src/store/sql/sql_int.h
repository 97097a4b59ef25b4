/*
 * sql_int.h - the store's SQL layer: what every backend that speaks SQL shares. The operations of
 * store_ops.def are written once here (the files of store/sql/), over a driver that each backend
 * gives (store/sqlite/driver.c, store/pg/driver.c): prepare a statement, bind values, step through
 * its rows, read columns. Where the two dialects differ a statement has a PostgreSQL twin beside it
 * (`sql_text()`); everything else is one text. Nothing outside store/ includes this.
 *
 * A backend's connection begins with `struct sql_conn`, its store with `struct sql_store`; what is
 * not SQL over one connection (the key store, the log of reads) the backend gives as hooks.
 */
#ifndef KT_STORE_SQL_INT_H
#define KT_STORE_SQL_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "store/store_impl.h"

/* The statements cached per connection (prepared on first use, finalized on close): a slot
 * each, grouped by the file whose SQL they hold; each file keeps its texts in an array indexed by
 * these. The last member counts them. */
enum sql_slot {
    /* users.c */
    SQL_USER_INSERT,
    SQL_USER_GET,
    SQL_USER_BY_TAG,
    SQL_USER_UPDATE,
    SQL_USER_LIST,
    SQL_USER_FAILED,
    SQL_SESSION_INSERT,
    SQL_SESSION_GET,
    SQL_SESSION_TOUCH,
    SQL_SESSION_END,
    SQL_SESSION_END_USER,
    SQL_SESSION_EXPIRE,
    /* keys.c */
    SQL_META_GET,
    SQL_META_PUT,
    SQL_KEY_INSERT,
    SQL_KEY_GET,
    SQL_KEY_LIST,
    SQL_KEY_REVOKE,
    SQL_KEY_COUNT,
    SQL_KEY_EXPIRED,
    SQL_KEY_EXPIRY_AUDITED,
    SQL_CUSTOMER_IN_STORES,
    SQL_IDEM_GET,
    SQL_IDEM_PUT,
    SQL_IDEM_EXPIRE,
    /* customers.c */
    SQL_CUST_GET,
    SQL_CUST_GET_BY_ID,
    SQL_CUST_SURVIVOR,
    SQL_CUST_INSERT,
    SQL_CUST_UPDATE,
    SQL_CUST_LIST_START,
    SQL_CUST_LIST_AFTER,
    SQL_CUST_SET_MERGED,
    SQL_CUST_MERGED_FROM,
    /* names.c */
    SQL_CUST_BY_NAME,
    SQL_CUST_BY_NAME_BIRTH,
    SQL_CUST_BY_NAME_SEALED,
    SQL_IDENT_FIND,
    SQL_IDENT_INSERT,
    SQL_IDENT_VERIFY,
    SQL_IDENT_LIST,
    SQL_HIST_ADD,
    SQL_HIST_LIST,
    SQL_HIST_LAST_REFUSED,
    SQL_ATTR_PUT,
    SQL_ATTR_GET,
    SQL_ATTR_LIST,
    SQL_ATTR_IN_USE,
    SQL_CUST_NEXT_CK,
    SQL_IDENT_OF,
    SQL_IDENT_OF_MERGE,
    SQL_IDENT_RESEAL,
    SQL_HIST_OF,
    SQL_HIST_OF_MERGE,
    SQL_HIST_RESEAL,
    /* seal.c */
    SQL_ATTR_FREE_TEXT,
    /* imports.c */
    SQL_INTAKE_ADD,
    SQL_IMPORT_INSERT,
    SQL_IMPORT_UPDATE,
    SQL_IMPORT_GET,
    SQL_IMPORT_NEXT,
    SQL_IMPORT_LIST,
    /* sqlite.c */
    SQL_PING,
    /* merges.c */
    SQL_MC_ADD,
    SQL_MC_RESOLVE,
    SQL_MC_COUNT,
    /* duplicates.c */
    SQL_DEDUP_KEY_PUT,
    SQL_DEDUP_KEY_FIND,
    /* privacy.c */
    SQL_DOC_PUT,
    SQL_DOC_GET,
    SQL_DOC_LATEST,
    SQL_DOC_LIST,
    SQL_CONSENT_ADD,
    SQL_CONSENT_LIST,
    SQL_CONSENT_MOVE,
    SQL_CONSENT_EVIDENCE,
    SQL_CONSENT_EVIDENCE_MERGE,
    SQL_CONSENT_RESEAL,
    SQL_TOPIC_PUT,
    SQL_TOPIC_LIST,
    SQL_SUB_ADD,
    SQL_SUB_LIST,
    SQL_SUB_MOVE,
    SQL_SUPP_ADD,
    SQL_SUPP_HIT,
    SQL_SUPP_REMOVE,
    SQL_PREQ_INSERT,
    SQL_PREQ_GET,
    SQL_PREQ_CLOSE,
    SQL_PREQ_EXTEND,
    SQL_PREQ_LIST,
    SQL_PREQ_OVERDUE,
    SQL_PREQ_OPEN_OF,
    SQL_DUE_ADD,
    SQL_DUE_NEXT,
    SQL_DUE_FINISH,
    SQL_DUE_CANCEL,
    SQL_DUE_PENDING,
    /* erase.c */
    SQL_ERASE_CUST,
    SQL_ERASE_IDENTS,
    SQL_ERASE_UNDELIV,
    SQL_ERASE_HIST,
    SQL_ERASE_CONSENT,
    SQL_ERASE_IDEM,
    SQL_ERASE_OUTBOX,
    SQL_ERASE_CARDS,
    SQL_ERASE_EVENTS,
    SQL_ERASE_TRAITS,
    SQL_ERASE_MERGE_TRAITS,
    SQL_ERASE_MEMBERS,
    SQL_ERASE_KEYS,
    SQL_INACTIVE,
    /* loyalty.c */
    SQL_PROGRAM_PUT,
    SQL_PROGRAM_GET,
    SQL_LEDGER_ADD,
    SQL_LEDGER_LIST,
    SQL_LEDGER_MOVE,
    SQL_PURCHASE_FIND,
    SQL_PURCHASE_INSERT,
    SQL_LINE_INSERT,
    SQL_PURCHASE_MOVE,
    SQL_PURCHASE_GET,
    SQL_PURCHASE_LINES,
    SQL_PURCHASE_LIST,
    SQL_REFUND_FIND,
    SQL_REFUND_INSERT,
    SQL_REFUND_LINE,
    SQL_REPORT_LEDGER,
    SQL_REPORT_OUTSTANDING,
    SQL_REPORT_RECEIPTS,
    SQL_REPORT_REFUNDS,
    SQL_EXPIRING,
    SQL_CARDS_MOVE,
    SQL_OTP_MOVE,
    SQL_REF_FRIEND_MOVE,
    SQL_REF_REFERRER_MOVE,
    SQL_REF_SELF,
    SQL_EVENTS_MOVE,
    SQL_TRAITS_DROP,
    SQL_MEMBERS_DROP,
    /* events.c */
    SQL_EVENT_ID,
    SQL_EVENT_ADD,
    SQL_EVENT_LIST,
    SQL_EVENT_COUNTS,
    SQL_EVENT_PURGE,
    SQL_EVENT_TYPE_PUT,
    SQL_EVENT_TYPE_LIST,
    /* events_bulk.c */
    SQL_IDENT_OWNER,
    SQL_IDENT_OWNERS,
    SQL_EVENT_IDS_NEW,
    /* event_levels.c */
    SQL_EVL_MARK,
    SQL_EVL_TAIL,
    SQL_EVL_ID_HAS,
    SQL_EVL_ADD,
    SQL_EVL_ID_PUT,
    SQL_EVL_ANON_PUT,
    SQL_EVL_ADOPT_OLD,
    SQL_EVL_ADOPT_COLD,
    SQL_EVL_ANON_DROP,
    SQL_EVL_ADOPT_ONE,
    SQL_EVL_MARK_PUT,
    SQL_EVL_MARK_BACK,
    /* rejects.c */
    SQL_REJECT_ADD,
    SQL_REJECT_KEY,
    SQL_REJECT_CLEAR,
    SQL_REJECT_FILE,
    SQL_REJECT_FORGET,
    SQL_REJECT_EXPIRE,
    SQL_REJECT_ORPHANS,
    /* cards.c */
    SQL_CARD_INSERT,
    SQL_CARD_GET,
    SQL_CARD_LIST,
    SQL_CARD_UPDATE,
    SQL_OTP_INSERT,
    SQL_OTP_LATEST,
    SQL_OTP_UPDATE,
    SQL_OTP_COUNT_PHONE,
    SQL_OTP_COUNT_KEY,
    SQL_REFERRAL_ADD,
    SQL_REFERRAL_GET,
    SQL_REFERRAL_REWARDED,
    SQL_BIRTHDAYS,
    SQL_BIRTHDAYS_ALL,
    SQL_ENROLLED,
    SQL_OTP_GET,
    SQL_CARD_HELD,
    SQL_ENROL_COUNT_KEY,
    SQL_ENROL_COUNT_STORE,
    SQL_ENROL_ADD,
    SQL_ENROL_PURGE,
    /* acts.c */
    SQL_ACT_INSERT,
    SQL_ACT_GET,
    SQL_ACT_LIST,
    SQL_ACT_DRAFTS,
    SQL_ACT_COMPLETE,
    SQL_ACT_EXPIRED,
    SQL_ACT_PURGE_RECORD,
    SQL_ACT_DELETE,
    SQL_ACT_SIGN,
    SQL_ACT_SIGNATURE,
    /* segments.c */
    SQL_TRAIT_PUT,
    SQL_TRAIT_LIST,
    SQL_TRAIT_DELETE,
    /* audit.c */
    SQL_AUDIT_ANCHOR,
    SQL_AUDIT_LAST,
    SQL_AUDIT_ADD,
    SQL_AUDIT_SEAL,
    SQL_AUDIT_LIST,
    SQL_AUDIT_LEGACY,
    /* blocks.c */
    SQL_BLOCK_INSERT,
    SQL_BLOCK_LEAVE_SEGMENTS,
    SQL_BLOCK_RECALL,
    SQL_BLOCK_IN_FORCE,
    SQL_BLOCK_GET,
    SQL_BLOCK_END,
    SQL_BLOCK_LIST,
    /* shops.c */
    SQL_SHOP_PUT,
    SQL_SHOP_GET,
    SQL_SHOP_LIST,
    SQL_SHOP_OF_CUSTOMER,
    /* join_points.c */
    SQL_JOIN_POINT_ADD,
    SQL_JOIN_POINT_GET,
    SQL_JOIN_POINT_LIST,
    SQL_JOIN_POINT_DISABLE,
    /* outbox.c */
    SQL_OUTBOX_ADD,
    SQL_OUTBOX_GET,
    SQL_OUTBOX_TOP,
    SQL_OUTBOX_DUE,
    SQL_OUTBOX_UPDATE,
    SQL_OUTBOX_REQUEUE,
    SQL_OUTBOX_LIST,
    SQL_OUTBOX_SENT_SINCE,
    SQL_CAPS_VERSION,
    SQL_CAPS_GET,
    SQL_CAPS_CLEAR,
    SQL_CAPS_ADD,
    SQL_CAPS_BUMP,
    SQL_FEEDBACK_ADD,
    SQL_FEEDBACK_SEEN,
    SQL_UNDELIVERABLE_ADD,
    SQL_UNDELIVERABLE_HAS,
    /* templates.c */
    SQL_TEMPLATE_PUT,
    SQL_TEMPLATE_GET,
    SQL_TEMPLATE_LATEST,
    SQL_TEMPLATE_LIST,
    /* campaigns.c */
    SQL_CAMPAIGN_ADD,
    SQL_CAMPAIGN_VARIANT_ADD,
    SQL_CAMPAIGN_GET,
    SQL_CAMPAIGN_VARIANTS,
    SQL_CAMPAIGN_LIST,
    SQL_CAMPAIGN_UPDATE,
    SQL_CAMPAIGN_LIVE,
    SQL_CAMPAIGN_AUDIENCE_ADD,
    SQL_CAMPAIGN_AUDIENCE_CLEAR,
    SQL_CAMPAIGN_AUDIENCE_NEXT,
    SQL_CAMPAIGN_MEMBER_ADD,
    SQL_CAMPAIGN_MEMBERS,
    SQL_CAMPAIGN_OUTBOX_HOLD,
    SQL_CAMPAIGN_OUTBOX_CANCEL,
    SQL_CAMPAIGN_OUTBOX_WAITING,
    /* campaign_report.c */
    SQL_CAMPAIGN_REPORT_OUTCOMES,
    SQL_CAMPAIGN_REPORT_ATTRIBUTED,
    SQL_CAMPAIGN_REPORT_WINDOW,
    SQL_JOURNEY_PUT,
    SQL_JOURNEY_GET,
    SQL_JOURNEY_LIST,
    SQL_JOURNEY_VERSION_ADD,
    SQL_JOURNEY_VERSION_GET,
    SQL_JOURNEY_RUN_ADD,
    SQL_JOURNEY_RUN_LAST,
    SQL_JOURNEY_RUN_UPDATE,
    SQL_JOURNEY_RUNS_DUE,
    SQL_JOURNEY_RUNS_LIVE,
    SQL_JOURNEY_RUNS_LIVE_ALL,
    SQL_JOURNEY_RUNS_OF,
    SQL_JOURNEY_STEP_ADD,
    SQL_JOURNEY_CURSOR_GET,
    SQL_JOURNEY_CURSOR_PUT,
    SQL_JOURNEY_EVENTS_AFTER,
    SQL_EVENTS_LAST_SEQ,
    SQL_JOURNEY_PURCHASES,
    SQL_JOURNEY_BOUGHT,
    SQL_JOURNEY_EVENT_PROPS,
    SQL_JOURNEY_OUTBOX_CANCEL,
    SQL_COUPON_ADD,
    SQL_JOURNEY_RUN_COUNTS,
    SQL_FORM_TOKEN_USE,
    SQL_FORM_TOKENS_PURGE,
    SQL_JOIN_PENDING_ADD,
    SQL_JOIN_PENDING_PURGE,
    SQL_JOIN_PENDING_GET,
    SQL_JOIN_PENDING_DELETE,
    SQL_ERASE_JOIN,
    SQL_ERASE_WALLET_DEV,
    SQL_ERASE_WALLET,
    SQL_PAGE_LIMIT_NTH,
    SQL_PAGE_LIMIT_ADD,
    SQL_PAGE_LIMIT_EXPIRE,
    SQL_PAGE_PUT,
    SQL_PAGE_GET,
    SQL_PAGE_LATEST,
    SQL_PAGE_LIST,
    SQL_PAGE_SEQ,
    SQL_STATEMENTS
};

/* Result codes of the driver's calls, numbered as SQLite's so its driver passes them through. */
enum {
    SQL_OK = 0,
    SQL_ERROR = 1,
    SQL_ABORT = 4,
    SQL_BUSY = 5,
    SQL_NOMEM = 7,
    SQL_CONSTRAINT = 19,
    SQL_ROW = 100,
    SQL_DONE = 101,
};
/* Column types (sql_col_type), as SQLite's. */
enum { SQL_INTEGER = 1, SQL_FLOAT = 2, SQL_TEXT = 3, SQL_BLOB = 4, SQL_NULL = 5 };
/* How long a bound value must live: until the statement is reset (STATIC), or not at all (the
 * driver copies it: TRANSIENT). */
#define SQL_STATIC    0
#define SQL_TRANSIENT 1

enum sql_dialect { SQL_SQLITE, SQL_PG };

struct sql_conn;
/* A prepared statement; a driver's own begins with this. */
struct sql_stmt {
    const struct sql_driver *drv;
    struct sql_conn *conn;
};

struct sql_driver {
    enum sql_dialect dialect;
    /* SQL_OK, or a failure code for sql_fail(); `persistent`: kept for the connection's life. */
    int (*prepare)(struct sql_conn *c, const char *text, bool persistent, struct sql_stmt **out);
    void (*finalize)(struct sql_stmt *st);
    void (*reset)(struct sql_stmt *st); /* to run again; bindings stay */
    void (*clear)(struct sql_stmt *st); /* bindings to NULL */
    void (*bind_i64)(struct sql_stmt *st, int i, int64_t v);
    void (*bind_double)(struct sql_stmt *st, int i, double v);
    void (*bind_null)(struct sql_stmt *st, int i);
    void (*bind_text)(struct sql_stmt *st, int i, const char *s, int n, int life);
    void (*bind_blob)(struct sql_stmt *st, int i, const void *p, int n, int life);
    /* SQL_ROW, SQL_DONE, SQL_CONSTRAINT, SQL_BUSY or another failure (the detail stays on the
     * connection for sql_fail) */
    int (*step)(struct sql_stmt *st);
    int (*col_type)(struct sql_stmt *st, int i);
    int64_t (*col_i64)(struct sql_stmt *st, int i);
    double (*col_double)(struct sql_stmt *st, int i);
    const char *(*col_text)(struct sql_stmt *st, int i); /* NUL-terminated; NULL for NULL */
    const void *(*col_blob)(struct sql_stmt *st, int i);
    int (*col_bytes)(struct sql_stmt *st, int i);
    int64_t (*changes)(struct sql_conn *c); /* rows the last statement touched */
    /* The store's error for a failure code: KT_EBUSY, KT_ESPACE, KT_EUNAVAILABLE or KT_ESTORE. */
    enum kt_rc (*fail)(struct sql_conn *c, int rc, const char *what, struct kt_err *err);
    const char *(*errmsg)(struct sql_conn *c);
    int (*exec)(struct sql_conn *c, const char *text); /* SQL without results or parameters */
    /* The columns of a statement's rows and their names (after its first step: PostgreSQL's
     * runs it there); store_copy (copy_rows.c) reads whole rows through them. */
    int (*col_count)(struct sql_stmt *st);
    const char *(*col_name)(struct sql_stmt *st, int i);
    /* `COPY ... FROM STDIN` (`text`) with `data` (len bytes, COPY's text format): SQL_OK, or a
     * failure code for sql_fail(); `*rows` the rows it wrote. NULL where the database has no COPY
     * (SQLite): the caller writes row by row. */
    int (*copy_in)(struct sql_conn *c, const char *text, const char *data, size_t len,
                   int64_t *rows);
};

static inline int sql_step(struct sql_stmt *st)
{
    return st->drv->step(st);
}
static inline void sql_reset(struct sql_stmt *st)
{
    st->drv->reset(st);
}
static inline void sql_clear(struct sql_stmt *st)
{
    st->drv->clear(st);
}
static inline void sql_finalize(struct sql_stmt *st)
{
    if (st != NULL) {
        st->drv->finalize(st);
    }
}
static inline void sql_bind_i64(struct sql_stmt *st, int i, int64_t v)
{
    st->drv->bind_i64(st, i, v);
}
static inline void sql_bind_double(struct sql_stmt *st, int i, double v)
{
    st->drv->bind_double(st, i, v);
}
static inline void sql_bind_null(struct sql_stmt *st, int i)
{
    st->drv->bind_null(st, i);
}
static inline void sql_bind_textn(struct sql_stmt *st, int i, const char *s, int n, int life)
{
    st->drv->bind_text(st, i, s, n, life);
}
static inline void sql_bind_blob(struct sql_stmt *st, int i, const void *p, int n, int life)
{
    st->drv->bind_blob(st, i, p, n, life);
}
static inline int sql_col_type(struct sql_stmt *st, int i)
{
    return st->drv->col_type(st, i);
}
static inline int64_t sql_col_i64(struct sql_stmt *st, int i)
{
    return st->drv->col_i64(st, i);
}
static inline double sql_col_double(struct sql_stmt *st, int i)
{
    return st->drv->col_double(st, i);
}
static inline const char *sql_col_str(struct sql_stmt *st, int i)
{
    return st->drv->col_text(st, i);
}
static inline const void *sql_col_blob(struct sql_stmt *st, int i)
{
    return st->drv->col_blob(st, i);
}
static inline int sql_col_bytes(struct sql_stmt *st, int i)
{
    return st->drv->col_bytes(st, i);
}

/* Statements kept on a connection by their text (sql_stmt_kept): a segment's condition a journey
 * asks again and again. */
#define SQL_KEPT 32

/* A connection: the backend's begins with this. */
struct sql_conn {
    struct store_conn base;
    const struct sql_driver *drv;
    struct sql_stmt *stmts[SQL_STATEMENTS]; /* owned; prepared on first use */
    bool analytics; /* the read was begun as an analytic one (set by the backend's pool) */
    struct {
        char *text;          /* owned */
        struct sql_stmt *st; /* owned */
    } kept[SQL_KEPT];
};

/* What a backend gives besides its driver: the key store and the log of reads live apart from
 * the database (docs/privacy.md), each backend in its own way. */
struct sql_hooks {
    /* Customer ck's data key (see sql_dk). */
    enum kt_rc (*dk)(struct sql_conn *c, int64_t ck, bool make, unsigned char *dk,
                     struct kt_err *err);
    /* The data keys of cks[0..n), ascending: one read of their range, no cache (sql_dk_many). */
    enum kt_rc (*dk_many)(struct sql_conn *c, const int64_t *cks, size_t n,
                          unsigned char (*dks)[CRYPT_KEY_BYTES], int *what, struct kt_err *err);
    enum kt_rc (*keys_shred)(struct store *s, int64_t *shredded, struct kt_err *err);
    enum kt_rc (*keys_rotate)(struct store *s, int limit, int64_t *rewrapped, int64_t *left,
                              struct kt_err *err);
    enum kt_rc (*reads_add)(struct store *s, struct audit_entry *e, size_t n,
                            store_audit_seal_fn seal, void *ctx, struct kt_err *err);
    enum kt_rc (*reads_chain)(struct store *s, struct audit_chain *out, struct kt_err *err);
    enum kt_rc (*reads_list)(struct store *s, const struct audit_filter *f, struct arena *a,
                             struct audit_entry **out, size_t *n, struct kt_err *err);
    enum kt_rc (*reads_subjects)(struct store *s, const struct reads_filter *f, int64_t *subjects,
                                 int64_t *bulk, struct kt_err *err);
    /* store_copy (copy.c) reads and writes the key store's tables (data_keys, ks_meta) and the
     * log of reads' (reads, its row of audit_anchor) as they are, wrapped keys and hashes
     * untouched: a connection on the database that holds each (autocommit; the caller begins
     * and ends its transactions), given back with the matching _put. */
    enum kt_rc (*keys_conn)(struct store *s, struct sql_conn **out, struct kt_err *err);
    void (*keys_conn_put)(struct store *s, struct sql_conn *c);
    enum kt_rc (*reads_conn)(struct store *s, struct sql_conn **out, struct kt_err *err);
    void (*reads_conn_put)(struct store *s, struct sql_conn *c);
};

struct ev_level0; /* the events' level 0 (event_levels.h) */

/* A store of the SQL layer: the backend's begins with this. */
struct sql_store {
    struct store base;
    const struct sql_hooks *hooks;
    /* The events' level 0 (SQLite: one writer), or NULL: one level (PostgreSQL, where several
     * servers write at once). Used only inside write transactions. */
    struct ev_level0 *level0;
    uint64_t write_tx;   /* write transactions begun; the writer's, under its mutex */
    struct crypt *crypt; /* owned: the keyring; immutable but for its cache */
    bool rotating;       /* the keyring holds a next master key (keys rotate-master) */
    unsigned sealed;     /* the optional fields sealed (store_opts.sealed_fields); set at open,
                            immutable after */
    _Atomic int writes_failing; /* 0, or why writes fail: SPACE_FULL, SPACE_READ_ONLY */
};

enum { SPACE_FULL = 1, SPACE_READ_ONLY = 2 }; /* sql_store.writes_failing */
void sql_writes_work_again(struct sql_store *s);

static inline int64_t sql_changes(struct sql_conn *c)
{
    return c->drv->changes(c);
}
static inline enum sql_dialect sql_dialect(const struct sql_conn *c)
{
    return c->drv->dialect;
}
/* A statement's text for the connection's dialect: `pg` when given and the connection is
 * PostgreSQL's, else the text both share. */
static inline const char *sql_text(const struct sql_conn *c, const char *both, const char *pg)
{
    return pg != NULL && c->drv->dialect == SQL_PG ? pg : both;
}
/* Prepares `text` for one call (finalize it after): SQL_OK or a code for sql_fail. */
int sql_prepare(struct sql_conn *c, const char *text, struct sql_stmt **out);
/* A statement prepared for one use (finalize it after): NULL with err set (`what` names the
 * work) when it cannot be prepared. */
struct sql_stmt *sql_prepare_once(struct sql_conn *c, const char *text, const char *what,
                                  struct kt_err *err);
/* A statement kept on the connection by its text (at most SQL_KEPT; past them prepared for the
 * call, *keep false: then the caller finalizes it). */
struct sql_stmt *sql_stmt_kept(struct sql_conn *c, const char *text, bool *keep,
                               struct kt_err *err);
/* Runs an INSERT ... RETURNING of one integer column: *id is the key of the row it made, 0 when
 * it made none (ON CONFLICT DO NOTHING). A constraint is KT_ECONFLICT "conflict". */
enum kt_rc sql_insert_id(struct sql_conn *c, struct sql_stmt *st, int64_t *id, struct kt_err *err);
/* Text made like printf, to free(); NULL when memory ran out. */
char *sql_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A connection ended twice (a read ended by its caller and again by the request): a bug that
 * would let two threads share it. Logged and ignored in a release build; a debug build (the
 * tests') aborts with the stack, so a test finds it. */
void sql_conn_given_twice(void);
/* Finalizes every statement of the connection (its close). */
void sql_conn_finalize(struct sql_conn *c);

/* stmt.c: statements and errors, for every file of the backend. sql_stmt() prepares `text` once
 * per connection into `slot`; the statement it gives is reset and has no bindings. */
struct sql_stmt *sql_stmt(struct sql_conn *c, enum sql_slot slot, const char *text,
                          struct kt_err *err);
void sql_done(struct sql_stmt *st);                               /* reset and clear bindings */
void sql_bind_text(struct sql_stmt *st, int i, const char *s);    /* NULL binds NULL */
void sql_bind_i64_or_null(struct sql_stmt *st, int i, int64_t v); /* 0 binds NULL */
/* NULL for NULL; a BLOB (a sealed value) is kept sealed for sql_unseal() (seal.c) */
const char *sql_col_text(struct sql_stmt *st, int i, struct arena *a);
/* Runs a statement that returns no rows; `changes` (may be NULL) gets the rows it touched. A
 * constraint is KT_ECONFLICT "conflict". */
enum kt_rc sql_run(struct sql_conn *c, struct sql_stmt *st, int *changes, struct kt_err *err);

/* Reading rows: every query's rows go through these, which step, read, reset the statement
 * (sql_done) and turn a failure into the store's error (`what` names the query in its detail). A
 * statement prepared for one call is finalized by its caller after. */
typedef void (*sql_each_fn)(struct sql_stmt *st, void *ctx);
/* Reads one row into the record `out` (its strings in the arena). */
typedef void (*sql_row_fn)(struct sql_stmt *st, struct arena *a, void *out);
/* Calls `fn` on every row. */
enum kt_rc sql_each(struct sql_conn *c, struct sql_stmt *st, sql_each_fn fn, void *ctx,
                    const char *what, struct kt_err *err);
/* Every row, each read by `row` into a new zeroed element of `size` bytes of an array in the
 * arena: `arr` is the caller's `T **` (NULL when there are no rows), `n` its length. */
enum kt_rc sql_rows(struct sql_conn *c, struct sql_stmt *st, sql_row_fn row, size_t size,
                    struct arena *a, void *arr, size_t *n, const char *what, struct kt_err *err);
/* The loop of sql_rows alone, for a statement of another connection (the log of reads): gives
 * the driver's code, SQL_DONE when every row was read; neither resets nor maps errors. */
int sql_collect(struct sql_stmt *st, sql_row_fn row, size_t size, struct arena *a, void *arr,
                size_t *n);
/* The first row, read by `row` into `out`. When there is none: KT_OK with *found false when the
 * caller passed `found` (a lookup that may find nothing, store_ops.def), else KT_ENOTFOUND
 * `code` with the message `msg`. */
enum kt_rc sql_one(struct sql_conn *c, struct sql_stmt *st, sql_row_fn row, struct arena *a,
                   void *out, bool *found, const char *code, const char *msg, struct kt_err *err);
/* After sql_one(): whether the row was there (without `found`, absence was an error). */
static inline bool sql_found(const bool *found)
{
    return found == NULL || *found;
}
/* The first `n` integer columns of the one row of an aggregate (a count, sums) into v[0..n). */
enum kt_rc sql_int_row(struct sql_conn *c, struct sql_stmt *st, int64_t *v, int n, const char *what,
                       struct kt_err *err);
/* Row readers of a single column: an int64_t (a customer key), a string. */
void sql_row_i64(struct sql_stmt *st, struct arena *a, void *out);
void sql_row_text(struct sql_stmt *st, struct arena *a, void *out);
/* The rows of a statement of two integer columns (a customer key and a time) as two arrays, in
 * `a`, in the rows' order. */
enum kt_rc sql_pairs(struct sql_conn *c, struct sql_stmt *st, struct arena *a, int64_t **x,
                     int64_t **y, size_t *n, const char *what, struct kt_err *err);
/* KT_ENOTFOUND `code`, "<what> not found"; or, when the caller passed `found`, KT_OK with
 * *found false. */
enum kt_rc sql_not_found(bool *found, struct kt_err *err, const char *code, const char *what);
/* Runs SQL text without a result (BEGIN, COMMIT, PRAGMAs). */
enum kt_rc sql_exec(struct sql_conn *c, const char *text, struct kt_err *err);
/* Turns a driver's failure code into the store's error (the driver's fail()). */
enum kt_rc sql_fail(struct sql_conn *c, int rc, const char *what, struct kt_err *err);

/* retention.c: a merge moves the merged-away customer's daily counts of events to the survivor,
 * in the merge's transaction (loyalty.c's sql_loyalty_move). */
enum kt_rc sql_event_days_move(struct sql_conn *c, int64_t from, int64_t into, struct kt_err *err);
/* Taking merge `merge` back (merges.c): the identifiers, history and consent evidence it moved
 * from `from` to `into`, opened under the key of `into` and sealed again under that of `from`,
 * their rows given back to `from` (customers.c, privacy.c). */
enum kt_rc sql_merge_reseal_back(struct sql_conn *c, int64_t merge, int64_t into, int64_t from,
                                 struct kt_err *err);
enum kt_rc sql_evidence_reseal_back(struct sql_conn *c, int64_t merge, int64_t into, int64_t from,
                                    struct kt_err *err);
/* audit.c: what the audit log (table `audit`) and the log of reads (table `reads` of its own
 * file) share. Both have these columns and an `audit_anchor` table; the statements are written
 * once per table by these macros. */
#define SQL_AUDIT_COLS "seq, at, key_id, action, customer_id, fields, detail, request_id, ip, hash"
#define SQL_AUDIT_ANCHOR_SQL                                                                       \
    "SELECT before_seq, rows, at, coalesce(mac, '') FROM audit_anchor WHERE log = ?1"
#define SQL_AUDIT_LAST_SQL(table)                                                                  \
    "SELECT seq, coalesce(hash, '') FROM " table " ORDER BY seq DESC LIMIT 1"
#define SQL_AUDIT_ADD_SQL(table)                                                                   \
    "INSERT INTO " table " (" SQL_AUDIT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
#define SQL_AUDIT_SEAL_SQL "UPDATE audit_anchor SET mac = ?2 WHERE log = ?1 AND mac IS NULL"
#define SQL_AUDIT_LIST_SQL(table)                                                                  \
    "SELECT " SQL_AUDIT_COLS " FROM " table                                                        \
    " WHERE seq > ?1 AND (CAST(?2 AS TEXT) IS NULL OR customer_id = ?2) "                          \
    "AND (CAST(?3 AS TEXT) IS NULL OR key_id = ?3) AND (CAST(?4 AS TEXT) IS NULL OR action = ?4) " \
    "AND (CAST(?5 AS BIGINT) IS NULL OR at >= ?5) AND (CAST(?6 AS BIGINT) IS NULL OR at < ?6) "    \
    "ORDER BY seq LIMIT ?7"
#define SQL_AUDIT_LEGACY_SQL(table) "SELECT count(*) FROM " table " WHERE seq <= ?1"
/* A row of either log, in SQL_AUDIT_COLS. */
void sql_audit_row(struct sql_stmt *st, struct arena *a, void *out);
/* The statements of one log's chain, prepared on its connection. */
struct sql_chain_stmts {
    const char *log; /* "changes" or "reads": the anchor's row */
    struct sql_stmt *anchor, *last, *add, *seal;
};
/* Appends e[0..n) to a log inside the caller's write transaction: reads the chain's head, lets
 * `seal` number and hash the entries (and seal the anchor, the first time), writes them. Gives
 * the driver's code; SQL_ABORT with `err` set when `seal` refused. Every statement is reset. */
int sql_chain_append(const struct sql_chain_stmts *q, struct audit_entry *e, size_t n,
                     store_audit_seal_fn seal, void *ctx, struct kt_err *err);
/* The chain's head (anchor and newest entry), without the legacy count. the driver's code. */
int sql_chain_head(const struct sql_chain_stmts *q, struct audit_chain *out);

/* seal.c: sealed columns (docs/privacy.md, "Encryption at rest"). A customer's key is fetched
 * at most once for the values of one row: */
struct sql_key {
    struct sql_conn *c;
    int64_t ck;                        /* the customer; 0 = the installation's own key */
    bool make;                         /* make the key when there is none (writes) */
    bool have;                         /* dk holds it */
    unsigned char dk[CRYPT_KEY_BYTES]; /* wiped by sql_key_release */
};
void sql_key_init(struct sql_key *k, struct sql_conn *c, int64_t ck, bool make);
void sql_key_release(struct sql_key *k);
/* Binds `value` sealed for `column` (NULL binds NULL); sql_bind_policy binds it clear when `seal`
 * is false. The column names the value in its associated data ("customers.phone"). */
enum kt_rc sql_bind_sealed(struct sql_key *k, struct sql_stmt *st, int i, const char *column,
                           const char *value, struct kt_err *err);
enum kt_rc sql_bind_policy(struct sql_key *k, bool seal, struct sql_stmt *st, int i,
                           const char *column, const char *value, struct kt_err *err);
/* sql_col_text() keeps a BLOB sealed (tagged); this opens *v in place (a clear value passes).
 * KT_ESTORE "data_key_corrupt" when it does not open; a destroyed key is KT_EGONE. */
enum kt_rc sql_unseal(struct sql_key *k, const char *column, const char **v, struct arena *a,
                      struct kt_err *err);
bool sql_is_sealed(const char *v); /* a value sql_col_text() kept sealed */
/* Blind indexes of a standard form in a domain (an identifier's kind). */
void sql_bidx(struct sql_conn *c, const char *domain, const char *value,
              unsigned char out[CRYPT_BIDX_BYTES]);
void sql_bind_bidx(struct sql_conn *c, struct sql_stmt *st, int i, const char *domain,
                   const char *value);
/* Declared attributes of free text (string, list of strings) are sealed apart: `clear` is the
 * JSON object with their values replaced by "sealed", `sealed` the object of their values (NULL
 * when none); join puts them back. */
enum kt_rc sql_attrs_split(struct sql_conn *c, const char *attrs, struct arena *a,
                           const char **clear, const char **sealed, struct kt_err *err);
const char *sql_attrs_join(const char *clear, const char *sealed, struct arena *a);
/* The names of those attributes, in the arena. */
enum kt_rc sql_attrs_free_text(struct sql_conn *c, struct arena *a, const char ***names, size_t *n,
                               struct kt_err *err);
/* Customer ck's data key, from the backend's key store (sql_hooks.dk): KT_EGONE
 * "customer_key_destroyed" for a key an erasure destroyed; KT_ESTORE "data_key_missing" for none
 * without `make`. */
static inline enum kt_rc sql_dk(struct sql_conn *c, int64_t ck, bool make, unsigned char *dk,
                                struct kt_err *err)
{
    return ((struct sql_store *)c->base.store)->hooks->dk(c, ck, make, dk, err);
}
/* The data keys of customers cks[0..n) (ascending, distinct), read as one range of the key store
 * and unwrapped, without the key cache (an export of a million would empty it of the tills'
 * keys): what[i] 1 a key in dks[i], 0 none, -1 a tombstone. The caller wipes dks. */
static inline enum kt_rc sql_dk_many(struct sql_conn *c, const int64_t *cks, size_t n,
                                     unsigned char (*dks)[CRYPT_KEY_BYTES], int *what,
                                     struct kt_err *err)
{
    return ((struct sql_store *)c->base.store)->hooks->dk_many(c, cks, n, dks, what, err);
}
/* What a key store's read of ck's key (`what`: 1 a key in dk, 0 none, -1 a tombstone) after a
 * read that gave `rc` means: the key cached, customer_key_destroyed, or data_key_missing. Each
 * backend's sql_hooks.dk ends with it. */
enum kt_rc sql_dk_answer(struct sql_store *s, int64_t ck, int what, const unsigned char *dk,
                         enum kt_rc rc, struct kt_err *err);
/* The number a migration's file name starts with ("0039_baseline.sql": 39). */
int sql_migration_version(const char *name);
/* customers.c: whether profile field pf is sealed under the store's policy. */
bool sql_pf_sealed(const struct sql_store *s, int pf);

/* The condition that leaves a blocked customer (152-FZ art. 21; blocks.c) out of every analytic
 * query - a segment's members, its preview and refresh, RFM, traits, cluster features: `ck` is
 * the query's column of the customer key. The subquery is evaluated once per statement from the
 * partial index of the blocks in force, a list that is empty on most days. */
#define SQL_NOT_BLOCKED(ck)                                                                        \
    " " ck " NOT IN (SELECT ck FROM customer_blocks WHERE unblocked_at IS NULL) "

/* The backend's operations: sql_<name> for each entry of store_ops.def, in the files by table. */
#define STORE_OP(name, params, args) enum kt_rc sql_##name params;
#include "store/store_ops.def"

/* Merges: privacy.c moves the consent and subscription events of a customer merged away, then
 * loyalty.c everything of the programme (called by sql_history_move). */
enum kt_rc sql_privacy_move(struct store_conn *base, int64_t from, int64_t into,
                            struct kt_err *err);
enum kt_rc sql_loyalty_move(struct store_conn *base, int64_t from, int64_t into,
                            struct kt_err *err);

/* cond.c: a condition on customers (store/cond.h) as SQL, from "FROM customers c WHERE ..." on,
 * and the values to bind to its placeholders in order. Past SQL_COND_PARAMS values (or when the
 * text outgrows its buffer: q->sql.failed) the condition is too big to run. */
#define SQL_COND_PARAMS 1000
struct sql_param {
    bool is_int;
    int64_t i;
    const char *s; /* borrowed from the condition or the arena */
};
struct sql_cond_sql {
    bool pg; /* written for PostgreSQL (set by the caller; SQLite's when zeroed) */
    struct buf sql;
    struct sql_param p[SQL_COND_PARAMS];
    size_t n;
};
void sql_cond_sql(const struct store_cond *n, struct arena *a, struct sql_cond_sql *q);

#endif
