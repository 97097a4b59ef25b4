/*
 * sqlite_int.h - what the files of the SQLite backend share. Nothing outside store/sqlite/
 * includes it.
 */
#ifndef KT_STORE_SQLITE_INT_H
#define KT_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store/store_impl.h"

#define SQ_STATEMENTS 64 /* room for the cached statements of sqlite.c */

struct sq_conn {
    struct store_conn base;
    sqlite3 *db;                        /* owned */
    sqlite3_stmt *stmts[SQ_STATEMENTS]; /* owned; prepared on first use */
    struct sq_conn *next_free;          /* pool link; guarded by sq_store.pool_mu */
};

/* Turns an SQLite result code into KT_EBUSY or KT_ESTORE with the detail. */
enum kt_rc sq_fail(struct sq_conn *c, int rc, const char *what, struct kt_err *err);

/* quality.c */
enum kt_rc sq_quality(struct store_conn *base, int64_t now, int64_t since_day, struct arena *a,
                      struct quality_data *q, struct kt_err *err);

#endif
