/*
 * feedback.c - the SQL side of a message's feedback (0022_feedback.sql; docs/messages.md,
 * "Feedback"): each piece recorded once, and the addresses a hard bounce marked undeliverable,
 * found by the blind index identifiers use.
 */

#include "store/sql/sql_int.h"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_FEEDBACK_ADD] =
        "INSERT INTO feedback (message_id, kind, detail, at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT DO NOTHING",
    [SQL_FEEDBACK_SEEN] =
        "SELECT count(*) FROM feedback WHERE message_id = ?1 AND kind = ?2 AND detail = ?3",
    [SQL_UNDELIVERABLE_ADD] = "INSERT INTO undeliverable (kind, bidx, ck, message_id, reason, at) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
    [SQL_UNDELIVERABLE_HAS] = "SELECT count(*) FROM undeliverable WHERE kind = ?1 AND bidx = ?2",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

/* The row's key: ?1 the message, ?2 the kind, ?3 the detail. */
static void bind_key(struct sql_stmt *st, const char *message_id, const char *kind,
                     const char *detail)
{
    sql_bind_text(st, 1, message_id);
    sql_bind_text(st, 2, kind);
    sql_bind_text(st, 3, detail ? detail : "");
}

enum kt_rc sql_feedback_add(struct store_conn *base, const char *message_id, const char *kind,
                            const char *detail, int64_t at, bool *created, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_FEEDBACK_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_key(st, message_id, kind, detail);
    sql_bind_i64(st, 4, at);
    int changes = 0;
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, &changes, err);
    *created = changes == 1;
    return rc;
}

enum kt_rc sql_feedback_seen(struct store_conn *base, const char *message_id, const char *kind,
                             const char *detail, bool *seen, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_FEEDBACK_SEEN, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    bind_key(st, message_id, kind, detail);
    int64_t n = 0;
    enum kt_rc rc = sql_int_row((struct sql_conn *)base, st, &n, 1, "feedback seen", err);
    *seen = n > 0;
    return rc;
}

enum kt_rc sql_undeliverable_add(struct store_conn *base, const char *kind, const char *value,
                                 int64_t ck, const char *message_id, const char *reason, int64_t at,
                                 struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_UNDELIVERABLE_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct sql_conn *c = (struct sql_conn *)base;
    sql_bind_text(st, 1, kind);
    sql_bind_bidx(c, st, 2, kind, value);
    sql_bind_i64(st, 3, ck);
    sql_bind_text(st, 4, message_id);
    sql_bind_text(st, 5, reason);
    sql_bind_i64(st, 6, at);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_undeliverable_has(struct store_conn *base, const char *kind, const char *value,
                                 bool *hit, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_UNDELIVERABLE_HAS, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct sql_conn *c = (struct sql_conn *)base;
    sql_bind_text(st, 1, kind);
    sql_bind_bidx(c, st, 2, kind, value);
    int64_t n = 0;
    enum kt_rc rc = sql_int_row(c, st, &n, 1, "undeliverable", err);
    *hit = n > 0;
    return rc;
}
