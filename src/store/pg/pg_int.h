/*
 * pg_int.h - what the files of the PostgreSQL backend share (docs/scale.md): its store (pools of
 * connections over libpq, any number of processes on one database), its connections, the key
 * store in a database of its own and the log of reads. The operations are the SQL layer's
 * (store/sql/); driver.c gives it libpq. Nothing outside store/pg/ includes this.
 */
#ifndef KT_STORE_PG_INT_H
#define KT_STORE_PG_INT_H

#include <libpq-fe.h>
#include <pthread.h>

#include "store/sql/sql_int.h"

/* Codes of the driver beyond the SQL layer's: the server is gone (a lost connection, a
 * shutdown); the store answers 503 store_unavailable and the pool reconnects. */
enum { PG_UNAVAILABLE = 1001 };

struct pg_conn {
    struct sql_conn base;
    PGconn *pg;           /* owned */
    struct pg_conn *next; /* pool link; guarded by the pool's mutex */
    unsigned next_name;   /* the name of the next statement prepared on the server */
    int64_t changes;      /* rows the last statement touched */
    char sqlstate[6];     /* of the last failure */
    char *errmsg;         /* owned: the last failure's message */
    bool in_tx;           /* a transaction is open */
    bool narrow;          /* it is a narrow write's (store_write_begin_narrow) */
    bool broken;          /* the connection was lost: closed when given back */
    bool pooled;          /* in its pool's free list; guarded by the pool's mutex */
};

/* driver.c: libpq as the SQL layer's driver. Placeholders ?N (and ?) are numbered $N. */
extern const struct sql_driver pg_driver;
/* Runs SQL without parameters or results; SQL_OK or a code for pg_fail. */
int pg_exec(struct pg_conn *c, const char *text);
/* The store's error for a code of this driver. */
enum kt_rc pg_fail(struct pg_conn *c, int rc, const char *what, struct kt_err *err);
/* The store's answer while the server cannot be reached: KT_EBUSY "store_unavailable" (503) with
 * Retry-After `retry_after` seconds, and `what` with libpq's `msg` for the log. */
enum kt_rc pg_unavailable(struct kt_err *err, int retry_after, const char *what, const char *msg);
/* Opens a connection to `url` (with the store's settings; a server that does not answer fails
 * it after PG_CONNECT_TIMEOUT seconds unless the URL says otherwise); NULL with err set. */
struct pg_conn *pg_connect(struct store *s, const char *url, struct kt_err *err);
void pg_disconnect(struct pg_conn *c);

#define PG_CONNECT_TIMEOUT "3" /* seconds, libpq's connect_timeout when the URL gives none */
#define PG_BACKOFF_MIN_MS  100 /* the pause after a failed connect, doubled after each one more */
#define PG_BACKOFF_MAX_MS  2000

/* A pool of connections to one database, made on demand up to `max`. An idle connection the
 * server closed (a restart, a crash) is dropped when taken, not handed out. After a failed
 * connect the pool pauses (PG_BACKOFF_*): until then, and while one caller tries again, a call
 * that needs a new connection answers store_unavailable at once, so a server that is down is
 * neither hammered nor waited for. */
struct pg_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pg_conn *free;
    int open; /* connections made and not closed */
    int max;
    const char *url;  /* borrowed from the store */
    int backoff_ms;   /* the pause after the last failed connect; 0 while connects succeed */
    int64_t retry_at; /* monotonic ms: no connect is tried before it */
    bool trying;      /* a connect after a failure is under way */
};

/* The key store (keys.c): the customers' data keys wrapped under the master key, in a database
 * of its own ("<db>_keys" on the same server unless given), never inside the main one - so a
 * dump of the main database holds nothing readable and an erasure that destroys a key reaches
 * every copy made before it (docs/privacy.md). */
struct pg_keys {
    char *url;           /* owned */
    struct pg_pool pool; /* reads and writes of keys, each in its own short transaction */
    bool attached;
};
enum kt_rc pg_keys_attach(struct store *s, struct kt_err *err);
void pg_keys_close(struct store *s);
enum kt_rc pg_dk(struct sql_conn *c, int64_t ck, bool make, unsigned char *dk, struct kt_err *err);
enum kt_rc pg_dk_many(struct sql_conn *c, const int64_t *cks, size_t n,
                      unsigned char (*dks)[CRYPT_KEY_BYTES], int *what, struct kt_err *err);
enum kt_rc pg_keys_shred(struct store *s, int64_t *shredded, struct kt_err *err);
enum kt_rc pg_keys_rotate(struct store *s, int limit, int64_t *rewrapped, int64_t *left,
                          struct kt_err *err);
/* store_copy's connection on the key store's database (sql_hooks.keys_conn), from its pool. */
enum kt_rc pg_keys_conn(struct store *s, struct sql_conn **out, struct kt_err *err);
void pg_keys_conn_put(struct store *s, struct sql_conn *c);

/* reads.c: the log of reads, a table of the main database written in its own transactions. */
enum kt_rc pg_reads_add(struct store *s, struct audit_entry *e, size_t n, store_audit_seal_fn seal,
                        void *ctx, struct kt_err *err);
enum kt_rc pg_reads_chain(struct store *s, struct audit_chain *out, struct kt_err *err);
enum kt_rc pg_reads_list(struct store *s, const struct audit_filter *f, struct arena *a,
                         struct audit_entry **out, size_t *n, struct kt_err *err);
enum kt_rc pg_reads_subjects(struct store *s, const struct reads_filter *f, int64_t *subjects,
                             int64_t *bulk, struct kt_err *err);
/* store_copy's connection on the log of reads (sql_hooks.reads_conn): the main database's. */
enum kt_rc pg_reads_conn(struct store *s, struct sql_conn **out, struct kt_err *err);
void pg_reads_conn_put(struct store *s, struct sql_conn *c);

struct pg_store {
    struct sql_store base;
    char *url;           /* owned: the primary */
    char *read_url;      /* owned: analytics' replica (--db-read), or NULL */
    int busy_ms;         /* lock wait before KT_EBUSY */
    struct pg_pool rw;   /* the primary: writes and the tills' reads */
    struct pg_pool ro;   /* analytics: the replica's, or the primary's */
    struct pg_keys keys; /* the key store */
};

/* A connection from `pool` (waits up to the busy timeout when all are taken), and back. */
enum kt_rc pg_pool_get(struct pg_store *s, struct pg_pool *pool, struct pg_conn **out,
                       struct kt_err *err);
void pg_pool_put(struct pg_pool *pool, struct pg_conn *c);
void pg_pool_init(struct pg_pool *pool, const char *url, int max);
void pg_pool_close(struct pg_pool *pool);

/* replica.c: store_replica_lag, asked of the `ro` pool's server. */
enum kt_rc pg_replica_lag(struct store *s, bool *has, int64_t *lag_ms, struct kt_err *err);

/* The database's name in a URL's path (for "<db>_keys"), in out; false when the URL has none. */
bool pg_url_keys(const char *url, char *out, size_t cap);

extern const struct store_ops store_pg_ops;

#endif
