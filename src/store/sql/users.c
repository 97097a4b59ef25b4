/*
 * users.c - the SQL side of the console's users and their sessions (0032_users.sql,
 * 0033_sessions.sql). The e-mail and the TOTP secret arrive sealed by auth/ and are kept as they
 * come; the store neither seals nor opens them.
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define USER_COLS                                                                                  \
    "id, email_tag, email, pw_hash, role, stores, totp_secret, totp_on, totp_step, failed, "       \
    "failed_at, disabled_at, created_at, updated_at"
#define SESSION_COLS "hash, user_id, factor, created_at, last_at, expires_at"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_USER_INSERT] = "INSERT INTO users (" USER_COLS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [SQL_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
    [SQL_USER_BY_TAG] = "SELECT " USER_COLS " FROM users WHERE email_tag = ?1",
    [SQL_USER_UPDATE] = "UPDATE users SET email_tag = ?2, email = ?3, pw_hash = ?4, role = ?5, "
                        "stores = ?6, totp_secret = ?7, totp_on = ?8, totp_step = ?9, "
                        "failed = ?10, failed_at = ?11, disabled_at = ?12, updated_at = ?14 "
                        "WHERE id = ?1",
    [SQL_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY created_at, id",
    [SQL_USER_FAILED] = "UPDATE users SET failed = failed + 1, failed_at = ?2 WHERE email_tag = ?1",
    [SQL_SESSION_INSERT] =
        "INSERT INTO sessions (" SESSION_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_SESSION_GET] = "SELECT " SESSION_COLS " FROM sessions WHERE hash = ?1",
    [SQL_SESSION_TOUCH] = "UPDATE sessions SET last_at = ?2 WHERE hash = ?1",
    [SQL_SESSION_END] = "DELETE FROM sessions WHERE hash = ?1",
    [SQL_SESSION_END_USER] = "DELETE FROM sessions WHERE user_id = ?1",
    [SQL_SESSION_EXPIRE] = "DELETE FROM sessions WHERE expires_at <= ?1 OR last_at < ?2",
};

static struct sql_stmt *stmt(struct sql_conn *c, enum sql_slot s, struct kt_err *err)
{
    return sql_stmt(c, s, sql[s], err);
}

/* A statement of one bound hash or text and an optional time, run for its effect. */
static enum kt_rc run_one(struct store_conn *base, enum sql_slot s, const unsigned char *hash,
                          const char *text, int64_t at, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, s, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    if (hash != NULL) {
        sql_bind_blob(st, 1, hash, 32, SQL_STATIC);
    } else {
        sql_bind_text(st, 1, text);
    }
    if (at != 0) {
        sql_bind_i64(st, 2, at);
    }
    return sql_run(c, st, NULL, err);
}

/* ---- users ------------------------------------------------------------------------------- */

static void read_user(struct sql_stmt *st, struct arena *a, void *out)
{
    struct user_row *u = out;
    memset(u, 0, sizeof(*u));
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(u->id, id ? (const char *)id : "", sizeof(u->id));
    if (sql_col_bytes(st, 1) == (int)sizeof(u->email_tag)) {
        memcpy(u->email_tag, sql_col_blob(st, 1), sizeof(u->email_tag));
    }
    u->email_sealed = sql_col_text(st, 2, a);
    u->pw_hash = sql_col_text(st, 3, a);
    u->role = sql_col_text(st, 4, a);
    u->stores = sql_col_text(st, 5, a);
    u->totp_sealed = sql_col_text(st, 6, a);
    u->totp_on = (int)sql_col_i64(st, 7) != 0;
    u->totp_step = sql_col_i64(st, 8);
    u->failed = sql_col_i64(st, 9);
    u->failed_at = sql_col_i64(st, 10);
    u->disabled_at = sql_col_i64(st, 11);
    u->created_at = sql_col_i64(st, 12);
    u->updated_at = sql_col_i64(st, 13);
}

static void bind_user(struct sql_stmt *st, const struct user_row *u)
{
    sql_bind_text(st, 1, u->id);
    sql_bind_blob(st, 2, u->email_tag, sizeof(u->email_tag), SQL_STATIC);
    sql_bind_text(st, 3, u->email_sealed);
    sql_bind_text(st, 4, u->pw_hash);
    sql_bind_text(st, 5, u->role);
    sql_bind_text(st, 6, u->stores);
    sql_bind_text(st, 7, u->totp_sealed);
    sql_bind_i64(st, 8, u->totp_on ? 1 : 0);
    sql_bind_i64(st, 9, u->totp_step);
    sql_bind_i64(st, 10, u->failed);
    sql_bind_i64_or_null(st, 11, u->failed_at);
    sql_bind_i64_or_null(st, 12, u->disabled_at);
    sql_bind_i64(st, 13, u->created_at);
    sql_bind_i64(st, 14, u->updated_at);
}

/* A conflict on writing a user is its e-mail's tag (the id is random): said so. */
static enum kt_rc email_taken(enum kt_rc rc, struct kt_err *err)
{
    if (rc == KT_ECONFLICT) {
        kt_err_reset(err);
        rc = kt_err_set(err, KT_ECONFLICT, "email_taken", "email",
                        "a user with this e-mail exists already");
    }
    return rc;
}

enum kt_rc sql_user_insert(struct store_conn *base, const struct user_row *u, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_USER_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_user(st, u);
    return email_taken(sql_run(c, st, NULL, err), err);
}

enum kt_rc sql_user_get(struct store_conn *base, const char *id, struct arena *a,
                        struct user_row *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_USER_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return sql_one(c, st, read_user, a, out, found, "user_not_found", "user not found", err);
}

enum kt_rc sql_user_by_tag(struct store_conn *base, const unsigned char *tag, struct arena *a,
                           struct user_row *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_USER_BY_TAG, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_blob(st, 1, tag, 32, SQL_STATIC);
    return sql_one(c, st, read_user, a, out, found, "user_not_found", "user not found", err);
}

enum kt_rc sql_user_update(struct store_conn *base, const struct user_row *u, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_USER_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_user(st, u);
    int changes = 0;
    enum kt_rc rc = email_taken(sql_run(c, st, &changes, err), err);
    if (rc == KT_OK && changes == 0) {
        rc = sql_not_found(NULL, err, "user_not_found", "user");
    }
    return rc;
}

enum kt_rc sql_user_list(struct store_conn *base, struct arena *a, struct user_row **out, size_t *n,
                         struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_USER_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sql_rows(c, st, read_user, sizeof(**out), a, out, n, "user list", err);
}

enum kt_rc sql_user_failed(struct store_conn *base, const unsigned char *tag, int64_t at,
                           struct kt_err *err)
{
    return run_one(base, SQL_USER_FAILED, tag, NULL, at, err);
}

/* ---- sessions ---------------------------------------------------------------------------- */

static void read_session(struct sql_stmt *st, struct arena *a, void *out)
{
    struct session_row *s = out;
    memset(s, 0, sizeof(*s));
    if (sql_col_bytes(st, 0) == (int)sizeof(s->hash)) {
        memcpy(s->hash, sql_col_blob(st, 0), sizeof(s->hash));
    }
    const char *uid = sql_col_str(st, 1);
    kt_strlcpy(s->user_id, uid ? (const char *)uid : "", sizeof(s->user_id));
    s->factor = sql_col_text(st, 2, a);
    s->created_at = sql_col_i64(st, 3);
    s->last_at = sql_col_i64(st, 4);
    s->expires_at = sql_col_i64(st, 5);
}

enum kt_rc sql_session_insert(struct store_conn *base, const struct session_row *s,
                              struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_SESSION_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_blob(st, 1, s->hash, sizeof(s->hash), SQL_STATIC);
    sql_bind_text(st, 2, s->user_id);
    sql_bind_text(st, 3, s->factor);
    sql_bind_i64(st, 4, s->created_at);
    sql_bind_i64(st, 5, s->last_at);
    sql_bind_i64(st, 6, s->expires_at);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_session_get(struct store_conn *base, const unsigned char *hash, struct arena *a,
                           struct session_row *out, bool *found, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_SESSION_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_blob(st, 1, hash, 32, SQL_STATIC);
    return sql_one(c, st, read_session, a, out, found, "no_session", "session not found", err);
}

enum kt_rc sql_session_touch(struct store_conn *base, const unsigned char *hash, int64_t at,
                             struct kt_err *err)
{
    return run_one(base, SQL_SESSION_TOUCH, hash, NULL, at, err);
}

enum kt_rc sql_session_end(struct store_conn *base, const unsigned char *hash, struct kt_err *err)
{
    return run_one(base, SQL_SESSION_END, hash, NULL, 0, err);
}

enum kt_rc sql_session_end_user(struct store_conn *base, const char *user_id, struct kt_err *err)
{
    return run_one(base, SQL_SESSION_END_USER, NULL, user_id, 0, err);
}

enum kt_rc sql_session_expire(struct store_conn *base, int64_t now, int64_t idle_before,
                              struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_SESSION_EXPIRE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, now);
    sql_bind_i64(st, 2, idle_before);
    return sql_run(c, st, NULL, err);
}
