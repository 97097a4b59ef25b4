/*
 * replica.c - what the PostgreSQL backend says of its read replica (store_replica_lag;
 * docs/scale.md, "Read replicas"). The replica is the `ro` pool's server (--db-read); the
 * analytic reads go there (pg.c), nothing else does, and nothing is ever written there.
 *
 * The lag is asked of the replica itself, on a connection of the analytic pool: 0 when it has
 * replayed all the WAL it received (an idle primary sends nothing, and a replica that has all of
 * it is not behind however old its last transaction is), else how long ago the last transaction
 * it replayed was committed on the primary. A --db-read that is no standby (a primary, a
 * promoted replica) is never behind.
 */
#include "store/pg/pg_int.h"

static const char lag_sql[] =
    "SELECT CASE WHEN NOT pg_is_in_recovery() OR "
    "coalesce(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), false) THEN 0 "
    "ELSE coalesce(floor(extract(epoch FROM clock_timestamp() - "
    "pg_last_xact_replay_timestamp()) * 1000)::bigint, -1) END";

enum kt_rc pg_replica_lag(struct store *base, bool *has, int64_t *lag_ms, struct kt_err *err)
{
    struct pg_store *s = (struct pg_store *)base;
    *has = s->read_url != NULL;
    *lag_ms = 0;
    if (!*has) {
        return KT_OK;
    }
    struct pg_conn *c = NULL;
    enum kt_rc rc = pg_pool_get(s, &s->ro, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct sql_stmt *st = NULL;
    int src = sql_prepare(&c->base, lag_sql, &st);
    if (src != SQL_OK) {
        rc = pg_fail(c, src, "replica lag", err);
    } else {
        rc = sql_int_row(&c->base, st, lag_ms, 1, "replica lag", err);
    }
    sql_finalize(st);
    pg_pool_put(&s->ro, c);
    return rc;
}
