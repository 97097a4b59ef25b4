/*
 * store_impl.h - what a backend provides. Only store.c and the backends include this.
 *
 * A backend's store and connection structs begin with `struct store` / `struct store_conn` so
 * store.c can reach the table of operations from either handle.
 */
#ifndef KT_STORE_IMPL_H
#define KT_STORE_IMPL_H

#include "store/store.h"

struct store_ops;

struct store {
    const struct store_ops *ops; /* the backend; immutable after open */
    _Atomic int write_waiting;   /* threads of this process waiting in a write begin but a bulk
                                    one's (store.c: a bulk write gives way to them) */
};

struct store_conn {
    const struct store_ops *ops; /* same as the store's */
    struct store *store;         /* owner */
};

struct store_ops {
    const char *name;
    /* the lifecycle (store.h) */
    enum kt_rc (*open)(const struct store_opts *o, struct store **out, struct kt_err *err);
    void (*close)(struct store *s);
    enum kt_rc (*schema_version)(struct store *s, int *have, int *want, struct kt_err *err);
    enum kt_rc (*migrate)(struct store *s, int *applied, struct kt_err *err);
    enum kt_rc (*read_begin)(struct store *s, bool analytics, struct store_conn **out,
                             struct kt_err *err);
    void (*read_end)(struct store_conn *c);
    /* `narrow`: store_write_begin_narrow()'s write, whose claims come after (write_claim). */
    enum kt_rc (*write_begin)(struct store *s, bool narrow, struct store_conn **out,
                              struct kt_err *err);
    /* Claims `key` (a hash) of kind `what` for a narrow write (nothing where writes are one at
     * a time anyway: SQLite). */
    enum kt_rc (*write_claim)(struct store_conn *c, int what, int32_t key, struct kt_err *err);
    enum kt_rc (*write_end)(struct store_conn *c, bool commit, struct kt_err *err);
    enum kt_rc (*health)(struct store *s, struct kt_err *err);
    enum kt_rc (*wipe_wal)(struct store *s, struct kt_err *err);
    enum kt_rc (*replica_lag)(struct store *s, bool *has, int64_t *lag_ms, struct kt_err *err);
    /* the operations (store_ops.def) */
#define STORE_OP(name, params, args) enum kt_rc(*name) params;
#include "store/store_ops.def"
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

#endif
