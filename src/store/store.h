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
 * This header holds the lifecycle; the operations - what can be read and written - are listed,
 * each with its comment, in store_ops.def, from which their prototypes here, the table of
 * functions, the timed wrappers and the SQLite backend's declarations are all made.
 */
#ifndef KT_STORE_STORE_H
#define KT_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "crypt/crypt.h"
#include "store/cond.h"
#include "store/model.h"

struct store;
struct store_conn;

struct store_opts {
    const char *path;    /* database file (its directory must exist), or a PostgreSQL URL
                            (postgres://... or postgresql://...: store/pg/) */
    int busy_timeout_ms; /* how long a writer waits for a lock before KT_EBUSY; 0 = 5000 */
    int max_readers;     /* cap on pooled read connections; 0 = 64 */
    enum store_schema_mode {
        STORE_MIGRATE = 0, /* apply pending migrations on open */
        STORE_REFUSE_OLD,  /* refuse to open a database whose schema is behind */
        STORE_AS_IS,       /* open without looking (for `migrate --status`) */
    } schema;
    int64_t max_bytes;     /* the database may not grow past this (writes answer storage_full);
                              0 = as far as the disk allows */
    struct crypt *crypt;   /* the keyring (crypt/crypt.h): taken by store_open, which frees it at
                              store_close or at once when the open fails; NULL only with
                              STORE_AS_IS, for a look at the schema version */
    int sealed_fields;     /* bits (1u << pf) of the optional fields sealed at rest (PF_CITY,
                              PF_BIRTH_DATE, PF_GENDER); -1 = as the database says (0 when new) */
    bool warm_keys;        /* fit the keyring's cache to the customers there are (crypt_cache_fit)
                                   and open the newest data keys into it in the background (the server:
                                   its lookups after a start then cost no read of the key store) */
    const char *read_path; /* PostgreSQL only: a streaming replica of `path` for the analytic
                              reads (--db-read: store_read_begin_analytics), or NULL for the
                              primary; not connected to until the first such read */
};

/* The optional profile fields that may be sealed (store_opts.sealed_fields). */
#define STORE_SEALABLE ((1u << PF_CITY) | (1u << PF_BIRTH_DATE) | (1u << PF_GENDER))

/* Opens (creating the file when missing) and handles the schema as opts->schema says. A schema
 * newer than this binary knows is always refused. The backend is the path's: a PostgreSQL URL
 * opens PostgreSQL, anything else an SQLite file. */
enum kt_rc store_open(const struct store_opts *opts, struct store **out, struct kt_err *err);
/* Whether `path` names a PostgreSQL database (postgres:// or postgresql://). */
bool store_is_pg(const char *path);
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
 * the outcome of the work done in it: KT_OK commits, anything else rolls back, and so does an
 * `err` that holds an error already (to commit what a refusal counted, pass NULL). Returns `rc`
 * when it was an error, else the result of the commit, so callers write `rc = store_write_end(w,
 * rc, err)` and cannot lose either failure. */
enum kt_rc store_write_end(struct store_conn *c, enum kt_rc rc, struct kt_err *err);
/* A narrow write: one that touches only rows of what it has claimed (store_write_claim) -
 * a customer's points, lines and links, a store's receipt number - and nothing every writer
 * shares (settings, counters, the audit log's chain, identifiers, another customer's rows).
 * On PostgreSQL narrow writes run side by side: each holds the writers' lock shared and its
 * claims alone, so two wait for each other only over the same claim, and every other write,
 * which holds the writers' lock alone, waits for them all and they for it. On SQLite, with
 * its one writer, it is store_write_begin() and a claim costs nothing. Ended like any write. */
enum kt_rc store_write_begin_narrow(struct store *s, struct store_conn **out, struct kt_err *err);
/* A bulk write: one that may hold the writer for a long while and can wait (event batches, with
 * their queue and the SDKs' retry). It first gives way to every other write of this process
 * waiting for the writer - a till's receipt, a lookup's enrolment - for at most
 * STORE_BULK_YIELD_MS, then waits its turn as any write. Ended like any write. */
#define STORE_BULK_YIELD_MS 200
enum kt_rc store_write_begin_bulk(struct store *s, struct store_conn **out, struct kt_err *err);
/* Whether a write of this process other than a bulk one waits for the writer now: a bulk write
 * that may go on ends early instead (events/group.c). */
bool store_write_waiting(struct store *s);
/* What a narrow write claims. Claims are taken in this order (a receipt's number, then its
 * customer), never the other way, so two narrow writes cannot wait for each other in a ring. */
enum store_claim { STORE_CLAIM_RECEIPT = 1, STORE_CLAIM_CUSTOMER = 2 };
/* Claims `key` (`len` bytes: a customer's key, a store's id and receipt number) until the
 * write ends: read what it guards only after. Keys are hashed, so two keys may share a claim
 * - they then wait for each other, no more. A no-op in a write that is not narrow. */
enum kt_rc store_write_claim(struct store_conn *w, enum store_claim what, const void *key,
                             size_t len, struct kt_err *err);
/* Rolls the write transaction back and gives the writer back (nothing worth keeping was done). */
void store_write_rollback(struct store_conn *c);

/* Nanoseconds of database work done by this thread since the last call. */
int64_t store_db_time_take(void);

/* KT_OK, or KT_ESPACE ("storage_full", "storage_read_only") while writes fail for want of disk:
 * a write that fails so sets the state, and it ends when there is room again (free space on the
 * disk, pages under the cap) - looked at by this call too, so a store nobody writes to learns
 * that it recovered. */
enum kt_rc store_health(struct store *s, struct kt_err *err);

/* The read replica (store_opts.read_path): *has false when there is none (SQLite; PostgreSQL
 * without --db-read); else *lag_ms, how far it is behind the primary - 0 when it has replayed all
 * it received, else how long ago the last transaction it replayed was committed (-1: it has
 * replayed none since it started). KT_EBUSY store_unavailable when it cannot be reached. */
enum kt_rc store_replica_lag(struct store *s, bool *has, int64_t *lag_ms, struct kt_err *err);

/* store_suppress_hit() checks at most this many hashes at once. */
#define SUPPRESS_CHECK_MAX 8

/* The operations, from the one list in store_ops.def (its entries carry their comments). */
#define STORE_OP(name, params, args) enum kt_rc store_##name params;
#include "store/store_ops.def"

/* store_copy (kartoteka store copy; store/sql/copy.c; docs/scale.md): a whole installation copied
 * from one store into another - SQLite's into a fresh PostgreSQL database migrated to the same
 * schema version: every table of the main database but schema_migrations, the key store (the
 * wrapped keys as they are: the same master key opens them) and the log of reads with its anchor.
 * Table by table in key order, a transaction per batch; after each batch a resume point in the
 * target (copy_progress), so a run that stopped is continued by the next. At the end every table is
 * verified: its rows counted and hashed (SHA-256 of each row's values in key order) on both
 * sides; a mismatch is KT_ESTORE "copy_mismatch" naming the table. A target that holds rows in a
 * table the copy has not started is refused (target_not_empty); so is a source whose schema is
 * not the binary's (schema_behind: run `kartoteka migrate` on it first). */
struct store_copy_opts {
    int batch; /* rows per transaction on the target; 0 = 10000 */
    /* Called after each batch and when a table is done (done == total) or verified (`verified`
     * true); `table` is the target's ("keys.data_keys" for the key store's). May be NULL. */
    void (*progress)(void *ctx, const char *table, int64_t done, int64_t total, bool verified);
    void *ctx;
};
enum kt_rc store_copy(struct store *from, struct store *to, const struct store_copy_opts *o,
                      struct kt_err *err);

/* Copies the WAL into the database and truncates it to nothing, so that values an erasure
 * destroyed survive in neither file. Waits for readers up to the busy timeout (KT_EBUSY). */
enum kt_rc store_wipe_wal(struct store *s, struct kt_err *err);

#endif
