/*
 * feedback.c - the SQLite side of a message's feedback (0022_feedback.sql; docs/messages.md,
 * "Feedback"): each piece recorded once, and the addresses a hard bounce marked undeliverable,
 * found by the blind index identifiers use.
 */
#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_FEEDBACK_ADD] =
        "INSERT INTO feedback (message_id, kind, detail, at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT DO NOTHING",
    [SQ_FEEDBACK_SEEN] =
        "SELECT count(*) FROM feedback WHERE message_id = ?1 AND kind = ?2 AND detail = ?3",
    [SQ_UNDELIVERABLE_ADD] = "INSERT INTO undeliverable (kind, bidx, ck, message_id, reason, at) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
    [SQ_UNDELIVERABLE_HAS] = "SELECT count(*) FROM undeliverable WHERE kind = ?1 AND bidx = ?2",
};

static sqlite3_stmt *get(struct store_conn *base, enum sq_slot slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, sql[slot], err);
}

enum kt_rc sq_feedback_add(struct store_conn *base, const char *message_id, const char *kind,
                           const char *detail, int64_t at, bool *created, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_FEEDBACK_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, message_id);
    sq_bind_text(st, 2, kind);
    sq_bind_text(st, 3, detail ? detail : "");
    sqlite3_bind_int64(st, 4, at);
    int changes = 0;
    enum kt_rc rc = sq_run((struct sq_conn *)base, st, &changes, err);
    *created = changes == 1;
    return rc;
}

enum kt_rc sq_feedback_seen(struct store_conn *base, const char *message_id, const char *kind,
                            const char *detail, bool *seen, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_FEEDBACK_SEEN, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sq_bind_text(st, 1, message_id);
    sq_bind_text(st, 2, kind);
    sq_bind_text(st, 3, detail ? detail : "");
    int64_t n = 0;
    enum kt_rc rc = sq_int_row((struct sq_conn *)base, st, &n, 1, "feedback seen", err);
    *seen = n > 0;
    return rc;
}

enum kt_rc sq_undeliverable_add(struct store_conn *base, const char *kind, const char *value,
                                int64_t ck, const char *message_id, const char *reason, int64_t at,
                                struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_UNDELIVERABLE_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct sq_conn *c = (struct sq_conn *)base;
    sq_bind_text(st, 1, kind);
    sq_bind_bidx(c, st, 2, kind, value);
    sqlite3_bind_int64(st, 3, ck);
    sq_bind_text(st, 4, message_id);
    sq_bind_text(st, 5, reason);
    sqlite3_bind_int64(st, 6, at);
    return sq_run(c, st, NULL, err);
}

enum kt_rc sq_undeliverable_has(struct store_conn *base, const char *kind, const char *value,
                                bool *hit, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_UNDELIVERABLE_HAS, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct sq_conn *c = (struct sq_conn *)base;
    sq_bind_text(st, 1, kind);
    sq_bind_bidx(c, st, 2, kind, value);
    int64_t n = 0;
    enum kt_rc rc = sq_int_row(c, st, &n, 1, "undeliverable", err);
    *hit = n > 0;
    return rc;
}
