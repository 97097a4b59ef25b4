/*
 * sqlite_int.h - what the files of the SQLite backend share: its store (one writer, a pool of
 * readers, the checkpointer), its connections, the key store and the log of reads in files of
 * their own, and the C halves of old migrations. The operations are the SQL layer's (store/sql/);
 * driver.c gives it SQLite. Nothing outside store/sqlite/ includes this.
 */
#ifndef KT_STORE_SQLITE_INT_H
#define KT_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/sql/sql_int.h"

struct sq_store;

struct sq_conn {
    struct sql_conn base;
    sqlite3 *db;               /* owned */
    struct sq_conn *next_free; /* pool link; guarded by sq_store.pool_mu */
    int64_t read_since;        /* monotonic ns its read began, 0 when not handed out; pool_mu */
    int last_rc;               /* SQLite's extended code of the last failure (driver.c) */
    bool pooled;               /* in the free readers; pool_mu */
    sqlite3 *ks;               /* owned: its own handle on the key store (keystore.c), or NULL */
    sqlite3_stmt *ks_get;      /* owned: the read of one data key */
};

/* driver.c: SQLite as the SQL layer's driver. A connection of another file (the key store, the
 * log of reads) is wrapped the same way: sq_conn_wrap gives `db` a driver without a pool. */
extern const struct sql_driver sq_driver;
void sq_conn_wrap(struct sq_conn *c, struct store *s, sqlite3 *db);
/* Runs SQL text without a result (BEGIN, COMMIT, PRAGMAs). */
enum kt_rc sq_exec(struct sq_conn *c, const char *text, struct kt_err *err);
/* SQLite's result code `rc` into the store's error: KT_ESPACE (see sq_no_space), KT_EBUSY, or
 * KT_ESTORE with the detail. */
enum kt_rc sq_fail_raw(struct sq_conn *c, int rc, const char *what, struct kt_err *err);
/* KT_ESPACE for a write the disk could not take (`cause` SPACE_FULL or SPACE_READ_ONLY): nothing
 * of it was kept, reads go on, and /readyz says so until writes work again (sq_health), which
 * sql_writes_work_again() records. */
enum kt_rc sq_no_space(struct sq_conn *c, int cause, const char *what, struct kt_err *err);

/* The log of reads (reads.c): a database file of its own beside the main one, so its writes
 * (thousands a second under lookups) never make the main database's readers drop their caches. */
struct sq_reads {
    pthread_mutex_t mu;  /* guards conn */
    struct sq_conn conn; /* conn.db opened on first use */
    char *path;          /* "<db>.reads" */
    struct store *owner; /* the store it belongs to */
};
void sq_reads_close(struct sq_reads *r);
/* store_copy's connection on the file (sql_hooks.reads_conn): held under its mutex till put. */
enum kt_rc sq_reads_conn(struct store *s, struct sql_conn **out, struct kt_err *err);
void sq_reads_conn_put(struct store *s, struct sql_conn *c);
enum kt_rc sq_reads_add(struct store *s, struct audit_entry *e, size_t n, store_audit_seal_fn seal,
                        void *ctx, struct kt_err *err);
enum kt_rc sq_reads_chain(struct store *s, struct audit_chain *out, struct kt_err *err);
enum kt_rc sq_reads_list(struct store *s, const struct audit_filter *f, struct arena *a,
                         struct audit_entry **out, size_t *n, struct kt_err *err);
enum kt_rc sq_reads_subjects(struct store *s, const struct reads_filter *f, int64_t *subjects,
                             int64_t *bulk, struct kt_err *err);

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
/* Customer ck's data key: from the keyring's cache, else the key store; with `make`, made when
 * it has none (a new customer, the writer only). KT_EGONE "customer_key_destroyed" for a key an
 * erasure destroyed; KT_ESTORE "data_key_missing" for none without `make`. */
enum kt_rc sq_dk(struct sql_conn *c, int64_t ck, bool make, unsigned char *dk, struct kt_err *err);
enum kt_rc sq_dk_many(struct sql_conn *c, const int64_t *cks, size_t n,
                      unsigned char (*dks)[CRYPT_KEY_BYTES], int *what, struct kt_err *err);
enum kt_rc sq_keys_shred(struct store *s, int64_t *shredded, struct kt_err *err);
/* store_copy's connection on the key store (sql_hooks.keys_conn): the store's handle, held under
 * keys.mu till put. */
enum kt_rc sq_keys_conn(struct store *s, struct sql_conn **out, struct kt_err *err);
void sq_keys_conn_put(struct store *s, struct sql_conn *c);
enum kt_rc sq_keys_rotate(struct store *s, int limit, int64_t *rewrapped, int64_t *left,
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

/* The store: one writer, a pool of readers, the checkpointer (wal.c). */
struct sq_store {
    struct sql_store base;
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
    _Atomic int wal_frames;   /* frames in the WAL at the last passive round */
    _Atomic int wal_copied;   /* of which copied to the database file */
    atomic_bool wipe_pending; /* an erasure's TRUNCATE waits for a long read to end (wal.c) */
    int64_t max_pages;        /* the --db-max-size cap in pages, 0 = none; set at open */
    int64_t changes_at_begin; /* the writer's total changes when its transaction began */
    struct sq_reads reads;    /* the log of reads (reads.c) */
    int sealed_requested;     /* store_opts.sealed_fields as given (-1: the database's) */
    struct sq_keys keys;      /* the key store (keystore.c) */
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

#endif
