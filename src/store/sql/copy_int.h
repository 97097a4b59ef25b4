/*
 * copy_int.h - what the files of store_copy (kartoteka store copy, store.h) share: a unit (one
 * table copied) with its columns and key, a value, a batch of rows, the copy's state, a
 * connection on one database of a store. copy.c drives the copy, copy_rows.c reads and writes
 * rows, copy_verify.c compares the two sides at the end. Only these files include it.
 */
#ifndef KT_STORE_SQL_COPY_INT_H
#define KT_STORE_SQL_COPY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "store/sql/sql_int.h"

#define COLS_MAX 128
#define KEY_MAX  8

/* Which of a store's databases holds a unit: the main one, the key store, the log of reads. */
enum side { SIDE_MAIN, SIDE_KEYS, SIDE_READS };

struct col {
    char name[64];
    bool bytea;    /* the target's column is bytea: text and blobs go as bytes */
    bool text;     /* the target's is text: as a key it is compared as bytes (COLLATE "C") */
    bool self_ref; /* references its own table: written NULL, set once every row is there */
    char identity; /* the target's: 'a' (always), 'd' (by default), 0 */
};

/* A unit: one table copied, with its resume point (copy_progress.tbl = name). */
struct unit {
    char name[80];     /* "customers", "keys.data_keys", "reads.audit_anchor" */
    char table[64];    /* the table, the same on both sides */
    enum side side;    /* whose database holds it on each side */
    const char *where; /* a condition on both sides' rows, or NULL */
    bool seeded;       /* a fresh target has rows here: emptied before the copy */
    /* its columns: the source's, in its order, then the target's rowid (overriding) */
    struct col c[COLS_MAX];
    int n;
    int key[KEY_MAX]; /* indexes into c, in the key's order */
    int nkey;
    bool overriding; /* writes a GENERATED ALWAYS column */
    bool has_self;   /* has a self_ref column */
};

struct val {
    int type; /* SQL_INTEGER ... SQL_NULL */
    int64_t i;
    double d;
    const unsigned char *p; /* text or blob, in a batch's arena */
    int n;
};

/* A batch of rows read, in its arena. */
struct batch {
    struct arena a;
    struct val *v; /* rows * the unit's n */
    size_t rows;
};

/* One run of store_copy. */
struct copy {
    struct store *from, *to;
    const struct store_copy_opts *o;
    int batch;
    struct unit *u; /* owned */
    size_t nu;
};

/* A connection on one database of a store: the main one through the store (a read, or the write
 * transaction), the key store's and the log of reads' through the backend's hooks. */
struct link {
    struct store *s;
    enum side side;
    bool write;
    struct sql_conn *c;
};

/* copy_rows.c: a connection on `side`'s database of s, a read or (write) one transaction. */
enum kt_rc sql_copy_link_get(struct link *l, struct store *s, enum side side, bool write,
                             struct kt_err *err);
/* copy_rows.c: gives the connection back; a write commits when `rc` is KT_OK, else rolls back. */
enum kt_rc sql_copy_link_put(struct link *l, enum kt_rc rc, struct kt_err *err);
/* copy_rows.c: runs `text` (without results) on c. */
enum kt_rc sql_copy_run_text(struct sql_conn *c, const char *text, struct kt_err *err);
/* copy_rows.c: the one integer of `text` (a count), with `arg` bound to ?1 when not NULL. */
enum kt_rc sql_copy_int_of(struct sql_conn *c, const char *text, const char *arg, int64_t *v,
                           struct kt_err *err);
/* copy_rows.c: binds v to parameter i; text goes as bytes when `bytes` (a bytea column). */
void sql_copy_val_bind(struct sql_stmt *st, int i, const struct val *v, bool bytes);
/* copy_rows.c: a key as the text of a resume point, and back (false: not such a text). */
void sql_copy_key_encode(const struct val *v, int n, struct buf *b);
bool sql_copy_key_decode(const char *s, struct arena *a, struct val *v, int n);
/* copy_rows.c: up to `limit` rows of u after `last` (NULL: from the first), in key order. */
enum kt_rc sql_copy_read_batch(struct sql_conn *c, const struct unit *u, const struct val *last,
                               const char *extra, int limit, struct batch *b, struct kt_err *err);
/* copy_rows.c: the key of row r of b. */
void sql_copy_key_of(const struct unit *u, const struct batch *b, size_t r, struct val *out);
/* copy_rows.c: writes the rows of b into c's table. */
enum kt_rc sql_copy_write_rows(struct sql_conn *c, const struct unit *u, const struct batch *b,
                               struct kt_err *err);

/* copy.c: tells the caller's progress callback, if any. */
void sql_copy_tell(struct copy *cp, const struct unit *u, int64_t done, int64_t total,
                   bool verified);

/* copy_verify.c: u counted and hashed on both sides; copy_mismatch when they differ. */
enum kt_rc sql_copy_verify(struct copy *cp, const struct unit *u, struct kt_err *err);

#endif
