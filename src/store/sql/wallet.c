/*
 * wallet.c - wallet passes and the devices that added them (0043, docs/wallet.md).
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define PASS_COLS "serial, ck, created_at, updated_at, content, ledger_seq, next_change_at"

static void pass_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct wallet_pass *p = out;
    p->serial = sql_col_text(st, 0, a);
    p->ck = sql_col_i64(st, 1);
    p->created_at = sql_col_i64(st, 2);
    p->updated_at = sql_col_i64(st, 3);
    p->content = sql_col_text(st, 4, a);
    p->ledger_seq = sql_col_i64(st, 5);
    p->next_change_at = sql_col_i64(st, 6);
}

static void device_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct wallet_device *d = out;
    d->device = sql_col_text(st, 0, a);
    d->serial = sql_col_text(st, 1, a);
    d->ck = sql_col_i64(st, 2);
    d->push_token = sql_col_text(st, 3, a);
    d->created_at = sql_col_i64(st, 4);
}

/* A statement's result, the statement let go when it was not kept (sql_stmt_kept). */
static enum kt_rc done(struct sql_stmt *st, bool keep, enum kt_rc rc)
{
    if (!keep) {
        sql_finalize(st);
    }
    return rc;
}

static enum kt_rc pass_where(struct store_conn *base, const char *text, int64_t ck,
                             const char *serial, struct arena *a, struct wallet_pass *out,
                             bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    bool keep;
    struct sql_stmt *st = sql_stmt_kept(c, text, &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    if (serial != NULL) {
        sql_bind_text(st, 1, serial);
    } else {
        sql_bind_i64(st, 1, ck);
    }
    memset(out, 0, sizeof(*out));
    return done(st, keep, sql_one(c, st, pass_row, a, out, found, NULL, NULL, err));
}

enum kt_rc sql_wallet_pass_of(struct store_conn *base, int64_t ck, struct arena *a,
                              struct wallet_pass *out, bool *found, struct kt_err *err)
{
    return pass_where(base, "SELECT " PASS_COLS " FROM wallet_passes WHERE ck = ?1", ck, NULL, a,
                      out, found, err);
}

enum kt_rc sql_wallet_pass_get(struct store_conn *base, const char *serial, struct arena *a,
                               struct wallet_pass *out, bool *found, struct kt_err *err)
{
    return pass_where(base, "SELECT " PASS_COLS " FROM wallet_passes WHERE serial = ?1", 0, serial,
                      a, out, found, err);
}

/* Runs `text` with the pass's or device's values bound by `bind`; *changes the rows changed. */
static enum kt_rc run(struct sql_conn *c, const char *text, const void *row,
                      void (*bind)(struct sql_stmt *st, const void *row), int *changes,
                      struct kt_err *err)
{
    bool keep;
    struct sql_stmt *st = sql_stmt_kept(c, text, &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind(st, row);
    *changes = 0;
    return done(st, keep, sql_run(c, st, changes, err));
}

static void pass_bind(struct sql_stmt *st, const void *row)
{
    const struct wallet_pass *p = row;
    sql_bind_text(st, 1, p->serial);
    sql_bind_i64(st, 2, p->ck);
    sql_bind_i64(st, 3, p->created_at);
    sql_bind_i64(st, 4, p->updated_at);
    sql_bind_text(st, 5, p->content);
    sql_bind_i64(st, 6, p->ledger_seq);
    sql_bind_i64_or_null(st, 7, p->next_change_at);
}

/* An update by serial, else an insert: no ON CONFLICT, whose key PostgreSQL widens by ck
 * (docs/scale.md, "Keys widened"); the write transaction makes the two one. */
enum kt_rc sql_wallet_pass_put(struct store_conn *base, const struct wallet_pass *p,
                               struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    int changes = 0;
    enum kt_rc rc = run(c,
                        "UPDATE wallet_passes SET updated_at = ?4, content = ?5, ledger_seq = ?6, "
                        "next_change_at = ?7 WHERE serial = ?1 AND ck = ?2 AND created_at = ?3",
                        p, pass_bind, &changes, err);
    if (rc != KT_OK || changes > 0) {
        return rc;
    }
    return run(c, "INSERT INTO wallet_passes (" PASS_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
               p, pass_bind, &changes, err);
}

/* A device's key and push token (?1-?4), and with `device_bind` its time (?5). */
static void device_bind_token(struct sql_stmt *st, const void *row)
{
    const struct wallet_device *d = row;
    sql_bind_text(st, 1, d->device);
    sql_bind_text(st, 2, d->serial);
    sql_bind_i64(st, 3, d->ck);
    sql_bind_text(st, 4, d->push_token);
}

static void device_bind(struct sql_stmt *st, const void *row)
{
    device_bind_token(st, row);
    sql_bind_i64(st, 5, ((const struct wallet_device *)row)->created_at);
}

enum kt_rc sql_wallet_device_put(struct store_conn *base, const struct wallet_device *d,
                                 bool *created, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    int changes = 0;
    *created = false;
    /* registered already: a device registers again with a new push token */
    enum kt_rc rc = run(c,
                        "UPDATE wallet_devices SET push_token = ?4 WHERE device = ?1 AND "
                        "serial = ?2 AND ck = ?3",
                        d, device_bind_token, &changes, err);
    if (rc != KT_OK || changes > 0) {
        return rc;
    }
    *created = true;
    return run(c,
               "INSERT INTO wallet_devices (device, serial, ck, push_token, created_at) "
               "VALUES (?1, ?2, ?3, ?4, ?5)",
               d, device_bind, &changes, err);
}

enum kt_rc sql_wallet_tag_max(struct store_conn *base, int64_t *out, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    bool keep, found = false;
    *out = 0;
    struct sql_stmt *st =
        sql_stmt_kept(c, "SELECT coalesce(max(updated_at), 0) FROM wallet_passes", &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return done(st, keep, sql_one(c, st, sql_row_i64, NULL, out, &found, NULL, NULL, err));
}

enum kt_rc sql_wallet_device_delete(struct store_conn *base, const char *device, const char *serial,
                                    bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    bool keep;
    struct sql_stmt *st = sql_stmt_kept(
        c, "DELETE FROM wallet_devices WHERE device = ?1 AND serial = ?2", &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, device);
    sql_bind_text(st, 2, serial);
    int changes = 0;
    enum kt_rc rc = done(st, keep, sql_run(c, st, &changes, err));
    *found = changes > 0;
    return rc;
}

enum kt_rc sql_wallet_device_serials(struct store_conn *base, const char *device, int64_t since,
                                     struct arena *a, const char ***out, size_t *n, int64_t *last,
                                     struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    *out = NULL;
    *n = 0;
    *last = 0;
    bool keep;
    struct sql_stmt *st =
        sql_stmt_kept(c,
                      "SELECT coalesce(max(p.updated_at), 0) FROM wallet_devices d "
                      "JOIN wallet_passes p ON p.serial = d.serial WHERE d.device = ?1",
                      &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, device);
    bool found = false;
    enum kt_rc rc = done(st, keep, sql_one(c, st, sql_row_i64, a, last, &found, NULL, NULL, err));
    if (rc != KT_OK) {
        return rc;
    }
    st = sql_stmt_kept(c,
                       "SELECT p.serial FROM wallet_devices d JOIN wallet_passes p ON p.serial = "
                       "d.serial WHERE d.device = ?1 AND p.updated_at > ?2 ORDER BY p.serial",
                       &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, device);
    sql_bind_i64(st, 2, since);
    return done(st, keep,
                sql_rows(c, st, sql_row_text, sizeof(**out), a, out, n, "wallet serials", err));
}

enum kt_rc sql_wallet_devices_of(struct store_conn *base, const char *serial, struct arena *a,
                                 struct wallet_device **out, size_t *n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    bool keep;
    struct sql_stmt *st = sql_stmt_kept(c,
                                        "SELECT device, serial, ck, push_token, created_at FROM "
                                        "wallet_devices WHERE serial = ?1 ORDER BY device",
                                        &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, serial);
    return done(st, keep,
                sql_rows(c, st, device_row, sizeof(**out), a, out, n, "wallet devices", err));
}

enum kt_rc sql_wallet_passes_due(struct store_conn *base, int64_t now, const char *after, int limit,
                                 struct arena *a, struct wallet_pass **out, size_t *n,
                                 struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    bool keep;
    struct sql_stmt *st =
        sql_stmt_kept(c,
                      "SELECT " PASS_COLS " FROM wallet_passes p WHERE p.serial > ?2 "
                      "AND EXISTS (SELECT 1 FROM wallet_devices d WHERE d.serial = p.serial) "
                      "AND (p.next_change_at <= ?1 OR EXISTS (SELECT 1 FROM points_ledger l "
                      "WHERE l.ck = p.ck AND l.seq > p.ledger_seq)) ORDER BY p.serial LIMIT ?3",
                      &keep, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, now);
    sql_bind_text(st, 2, after);
    sql_bind_i64(st, 3, limit);
    return done(st, keep,
                sql_rows(c, st, pass_row, sizeof(**out), a, out, n, "wallet passes due", err));
}
