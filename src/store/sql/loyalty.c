/*
 * loyalty.c - the SQL side of loyalty/: programme versions, the points ledger, purchases with
 * their lines, refunds and the programme's report (0004_loyalty.sql, 0005_refunds.sql); and,
 * for a merge, what follows the surviving customer - the ledger, purchases, cards, codes,
 * referrals and events - while traits and segment memberships computed from the merged rows are
 * dropped. Statements are cached per connection in their slots of enum sql_slot (sql_int.h).
 */
#include <stddef.h>
#include <string.h>

#include "store/sql/sql_int.h"

/* A purchase row with what its refunds gave back (read by purchase_row). */
#define PURCHASE_COLS                                                                              \
    "id, store_id, receipt, ck, at, total, points_earned, points_spent, program_version, "         \
    "created_at, key_id, identified_by, "                                                          \
    "(SELECT coalesce(sum(amount), 0) FROM refunds WHERE purchase_id = p.id), "                    \
    "(SELECT coalesce(sum(points_reversed), 0) FROM refunds WHERE purchase_id = p.id), "           \
    "(SELECT coalesce(sum(points_returned), 0) FROM refunds WHERE purchase_id = p.id)"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_PROGRAM_PUT] =
        "INSERT INTO loyalty_programs (rules, created_at, key_id) VALUES (?1, ?2, ?3) "
        "RETURNING version",
    [SQL_PROGRAM_GET] = "SELECT version, rules, created_at, (SELECT min(created_at) FROM "
                        "loyalty_programs) FROM loyalty_programs "
                        "ORDER BY version DESC LIMIT 1",
    [SQL_LEDGER_ADD] =
        "INSERT INTO points_ledger (ck, kind, points, at, available_at, expires_at, purchase_id, "
        "program_version, reason, key_id, request_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [SQL_LEDGER_LIST] =
        "SELECT seq, ck, kind, points, at, available_at, expires_at, purchase_id, "
        "program_version, reason, key_id, request_id FROM points_ledger WHERE ck = ?1 "
        "ORDER BY seq",
    [SQL_LEDGER_MOVE] = "UPDATE points_ledger SET ck = ?2 WHERE ck = ?1",
    [SQL_PURCHASE_FIND] =
        "SELECT id, body_hash, reply FROM purchases WHERE store_id = ?1 AND receipt = ?2",
    [SQL_PURCHASE_INSERT] =
        "INSERT INTO purchases (id, store_id, receipt, ck, at, total, points_earned, "
        "points_spent, program_version, body_hash, reply, created_at, key_id, identified_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [SQL_LINE_INSERT] =
        "INSERT INTO purchase_lines (purchase_id, n, sku, name, category, quantity, price, "
        "discount, amount) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [SQL_PURCHASE_MOVE] = "UPDATE purchases SET ck = ?2 WHERE ck = ?1",
    [SQL_PURCHASE_GET] = "SELECT " PURCHASE_COLS " FROM purchases p WHERE id = ?1",
    [SQL_PURCHASE_LINES] =
        "SELECT l.sku, l.name, l.category, l.quantity, l.price, l.discount, l.amount, "
        "coalesce(sum(rl.quantity), 0), coalesce(sum(rl.amount), 0) FROM purchase_lines l "
        "LEFT JOIN refunds r ON r.purchase_id = l.purchase_id "
        "LEFT JOIN refund_lines rl ON rl.refund_id = r.id AND rl.n = l.n "
        "WHERE l.purchase_id = ?1 GROUP BY l.purchase_id, l.n ORDER BY l.n",
    [SQL_PURCHASE_LIST] = "SELECT " PURCHASE_COLS " FROM purchases p WHERE ck = ?1 AND "
                          "(at < ?2 OR (at = ?2 AND id < ?3)) ORDER BY at DESC, id DESC LIMIT ?4",
    [SQL_REFUND_FIND] =
        "SELECT id, body_hash, reply FROM refunds WHERE purchase_id = ?1 AND number = ?2",
    [SQL_REFUND_INSERT] =
        "INSERT INTO refunds (id, purchase_id, number, at, amount, points_reversed, "
        "points_returned, body_hash, reply, created_at, key_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [SQL_REFUND_LINE] =
        "INSERT INTO refund_lines (refund_id, n, quantity, amount) VALUES (?1, ?2, ?3, ?4)",
    [SQL_REPORT_LEDGER] = "SELECT kind, sum(points) FROM points_ledger "
                          "WHERE at >= ?1 AND at < ?2 GROUP BY kind",
    [SQL_REPORT_OUTSTANDING] = "SELECT coalesce(sum(points), 0) FROM points_ledger WHERE at < ?2",
    [SQL_REPORT_RECEIPTS] =
        "SELECT count(*), count(ck), coalesce(sum(identified_by = 'card'), 0), "
        "coalesce(sum(total), 0), coalesce(sum(CASE WHEN ck IS NOT NULL THEN total END), 0) "
        "FROM purchases WHERE at >= ?1 AND at < ?2",
    [SQL_REPORT_REFUNDS] =
        "SELECT count(*), coalesce(sum(amount), 0) FROM refunds WHERE at >= ?1 AND at < ?2",
    [SQL_EXPIRING] =
        "SELECT DISTINCT ck FROM points_ledger WHERE expires_at > ?1 AND expires_at <= ?2 "
        "AND ck > ?3 ORDER BY ck LIMIT ?4",
    [SQL_CARDS_MOVE] = "UPDATE cards SET ck = ?2 WHERE ck = ?1",
    [SQL_OTP_MOVE] = "UPDATE otp_codes SET ck = ?2 WHERE ck = ?1",
    [SQL_REF_FRIEND_MOVE] =
        "UPDATE referrals SET friend_ck = ?2 WHERE friend_ck = ?1 AND NOT EXISTS "
        "(SELECT 1 FROM referrals WHERE friend_ck = ?2)",
    [SQL_REF_REFERRER_MOVE] = "UPDATE referrals SET referrer_ck = ?2 WHERE referrer_ck = ?1",
    [SQL_REF_SELF] =
        "DELETE FROM referrals WHERE friend_ck = referrer_ck OR (friend_ck = ?1 AND ?2 > 0)",
    [SQL_EVENTS_MOVE] = "UPDATE events SET ck = ?2 WHERE ck = ?1",
    /* computed from the rows that moved: the next refresh gives the survivor its own */
    [SQL_TRAITS_DROP] = "DELETE FROM traits WHERE ck = ?1 AND ?2 > 0",
    [SQL_MEMBERS_DROP] = "DELETE FROM segment_members WHERE ck = ?1 AND ?2 > 0",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

enum kt_rc sql_program_put(struct store_conn *base, const char *rules, int64_t at,
                           const char *key_id, int64_t *version, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = get(base, SQL_PROGRAM_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, rules);
    sql_bind_i64(st, 2, at);
    sql_bind_text(st, 3, key_id);
    return sql_insert_id(c, st, version, err);
}

/* The latest programme version, and when the first one was published. */
struct program {
    int64_t version;
    const char *rules;
    int64_t at, first_at;
};

static void read_program(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct program *)out = (struct program){sql_col_i64(st, 0), sql_col_text(st, 1, a),
                                              sql_col_i64(st, 2), sql_col_i64(st, 3)};
}

enum kt_rc sql_program_get(struct store_conn *base, struct arena *a, const char **rules,
                           int64_t *version, int64_t *at, int64_t *first_at, bool *found,
                           struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_PROGRAM_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    struct program p;
    enum kt_rc rc = sql_one((struct sql_conn *)base, st, read_program, a, &p, found, "no_program",
                            "no programme published yet", err);
    if (rc == KT_OK && sql_found(found)) {
        *version = p.version;
        *rules = p.rules;
        *at = p.at;
        *first_at = p.first_at;
    }
    return rc;
}

enum kt_rc sql_ledger_add(struct store_conn *base, const struct ledger_entry *e, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_LEDGER_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, e->ck);
    sql_bind_text(st, 2, e->kind);
    sql_bind_i64(st, 3, e->points);
    sql_bind_i64(st, 4, e->at);
    sql_bind_i64(st, 5, e->available_at);
    sql_bind_i64_or_null(st, 6, e->expires_at);
    sql_bind_text(st, 7, e->purchase_id);
    sql_bind_i64_or_null(st, 8, e->program_version);
    sql_bind_text(st, 9, e->reason);
    sql_bind_text(st, 10, e->key_id);
    sql_bind_text(st, 11, e->request_id);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

static void read_ledger(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct ledger_entry *)out = (struct ledger_entry){
        sql_col_i64(st, 0),     sql_col_i64(st, 1),      sql_col_text(st, 2, a),
        sql_col_i64(st, 3),     sql_col_i64(st, 4),      sql_col_i64(st, 5),
        sql_col_i64(st, 6),     sql_col_text(st, 7, a),  sql_col_i64(st, 8),
        sql_col_text(st, 9, a), sql_col_text(st, 10, a), sql_col_text(st, 11, a)};
}

enum kt_rc sql_ledger_list(struct store_conn *base, int64_t ck, struct arena *a,
                           struct ledger_entry **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_LEDGER_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    return sql_rows((struct sql_conn *)base, st, read_ledger, sizeof(**out), a, out, n,
                    "ledger list", err);
}

enum kt_rc sql_loyalty_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err)
{
    /* Everything of the programme follows the customer, and so do its events; a referral of both
     * keeps the survivor's (the other row stays on the merged-away customer and is dropped), a
     * self-referral made by the merge is dropped. */
    static const enum sql_slot slots[] = {
        SQL_LEDGER_MOVE,     SQL_PURCHASE_MOVE,     SQL_CARDS_MOVE, SQL_OTP_MOVE,
        SQL_REF_FRIEND_MOVE, SQL_REF_REFERRER_MOVE, SQL_REF_SELF,   SQL_EVENTS_MOVE,
        SQL_TRAITS_DROP,     SQL_MEMBERS_DROP};
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
        struct sql_stmt *st = get(base, slots[i], err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, from);
        sql_bind_i64(st, 2, into);
        enum kt_rc rc = sql_run((struct sql_conn *)base, st, NULL, err);
        if (rc != KT_OK) {
            return rc;
        }
    }
    return sql_event_days_move((struct sql_conn *)base, from, into, err);
}

/* Where read_stored puts a receipt's or a refund's id, request hash and reply. */
struct stored_row {
    char *id; /* ID_MAX bytes */
    unsigned char *hash;
    const char **reply;
};

static void read_stored(struct sql_stmt *st, struct arena *a, void *out)
{
    struct stored_row *r = out;
    const char *v = sql_col_str(st, 0);
    kt_strlcpy(r->id, v ? (const char *)v : "", ID_MAX);
    memset(r->hash, 0, 32);
    if (sql_col_bytes(st, 1) == 32) {
        memcpy(r->hash, sql_col_blob(st, 1), 32);
    }
    *r->reply = sql_col_text(st, 2, a);
}

/* What a receipt or a refund stored for its number: its id, the hash of the request and the
 * reply; when there is none, *found false, or KT_ENOTFOUND `code` without `found`. */
static enum kt_rc stored(struct store_conn *base, enum sql_slot slot, const char *k1,
                         const char *k2, struct arena *a, char id[ID_MAX], unsigned char hash[32],
                         const char **reply, bool *found, const char *code, struct kt_err *err)
{
    struct sql_stmt *st = get(base, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, k1);
    sql_bind_text(st, 2, k2);
    struct stored_row out = {id, hash, reply};
    return sql_one((struct sql_conn *)base, st, read_stored, a, &out, found, code,
                   "nothing under that number", err);
}

enum kt_rc sql_purchase_find(struct store_conn *base, const char *store_id, const char *receipt,
                             struct arena *a, struct purchase *out, bool *found, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    return stored(base, SQL_PURCHASE_FIND, store_id, receipt, a, out->id, out->body_hash,
                  &out->reply, found, "purchase_not_found", err);
}

enum kt_rc sql_purchase_insert(struct store_conn *base, const struct purchase *p,
                               const struct purchase_line *lines, size_t n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = get(base, SQL_PURCHASE_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, p->id);
    sql_bind_text(st, 2, p->store_id);
    sql_bind_text(st, 3, p->receipt);
    sql_bind_i64_or_null(st, 4, p->ck);
    sql_bind_i64(st, 5, p->at);
    sql_bind_i64(st, 6, p->total);
    sql_bind_i64(st, 7, p->points_earned);
    sql_bind_i64(st, 8, p->points_spent);
    sql_bind_i64(st, 9, p->program_version);
    sql_bind_blob(st, 10, p->body_hash, 32, SQL_STATIC);
    sql_bind_text(st, 11, p->reply);
    sql_bind_i64(st, 12, p->created_at);
    sql_bind_text(st, 13, p->key_id);
    sql_bind_text(st, 14, p->identified_by);
    enum kt_rc rc = sql_run(c, st, NULL, err);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        st = get(base, SQL_LINE_INSERT, err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sql_bind_text(st, 1, p->id);
        sql_bind_i64(st, 2, (int64_t)i + 1);
        sql_bind_text(st, 3, lines[i].sku);
        sql_bind_text(st, 4, lines[i].name);
        sql_bind_text(st, 5, lines[i].category);
        sql_bind_i64(st, 6, lines[i].quantity);
        sql_bind_i64(st, 7, lines[i].price);
        sql_bind_i64(st, 8, lines[i].discount);
        sql_bind_i64(st, 9, lines[i].amount);
        rc = sql_run(c, st, NULL, err);
    }
    return rc;
}

static void purchase_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct purchase *p = out;
    memset(p, 0, sizeof(*p));
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(p->id, id ? (const char *)id : "", sizeof(p->id));
    p->store_id = sql_col_text(st, 1, a);
    p->receipt = sql_col_text(st, 2, a);
    p->ck = sql_col_i64(st, 3);
    p->at = sql_col_i64(st, 4);
    p->total = sql_col_i64(st, 5);
    p->points_earned = sql_col_i64(st, 6);
    p->points_spent = sql_col_i64(st, 7);
    p->program_version = sql_col_i64(st, 8);
    p->created_at = sql_col_i64(st, 9);
    p->key_id = sql_col_text(st, 10, a);
    p->identified_by = sql_col_text(st, 11, a);
    p->refunded = sql_col_i64(st, 12);
    p->points_reversed = sql_col_i64(st, 13);
    p->points_returned = sql_col_i64(st, 14);
}

static void line_row(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct purchase_line *)out = (struct purchase_line){
        sql_col_text(st, 0, a), sql_col_text(st, 1, a), sql_col_text(st, 2, a),
        sql_col_i64(st, 3),     sql_col_i64(st, 4),     sql_col_i64(st, 5),
        sql_col_i64(st, 6),     sql_col_i64(st, 7),     sql_col_i64(st, 8)};
}

enum kt_rc sql_purchase_get(struct store_conn *base, const char *id, struct arena *a,
                            struct purchase *out, struct purchase_line **lines, size_t *n,
                            struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = get(base, SQL_PURCHASE_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    enum kt_rc rc =
        sql_one(c, st, purchase_row, a, out, NULL, "purchase_not_found", "no such purchase", err);
    if (rc != KT_OK) {
        return rc;
    }
    st = get(base, SQL_PURCHASE_LINES, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return sql_rows(c, st, line_row, sizeof(**lines), a, lines, n, "purchase lines", err);
}

enum kt_rc sql_purchase_list(struct store_conn *base, int64_t ck, int64_t before_at,
                             const char *before_id, int limit, struct arena *a,
                             struct purchase **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_PURCHASE_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_i64(st, 2, before_id != NULL ? before_at : INT64_MAX);
    sql_bind_text(st, 3, before_id != NULL ? before_id : "");
    sql_bind_i64(st, 4, limit);
    return sql_rows((struct sql_conn *)base, st, purchase_row, sizeof(**out), a, out, n,
                    "purchase list", err);
}

enum kt_rc sql_refund_find(struct store_conn *base, const char *purchase_id, const char *number,
                           struct arena *a, struct refund *out, bool *found, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    return stored(base, SQL_REFUND_FIND, purchase_id, number, a, out->id, out->body_hash,
                  &out->reply, found, "refund_not_found", err);
}

enum kt_rc sql_refund_insert(struct store_conn *base, const struct refund *rf,
                             const struct refund_line *lines, size_t n, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = get(base, SQL_REFUND_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, rf->id);
    sql_bind_text(st, 2, rf->purchase_id);
    sql_bind_text(st, 3, rf->number);
    sql_bind_i64(st, 4, rf->at);
    sql_bind_i64(st, 5, rf->amount);
    sql_bind_i64(st, 6, rf->points_reversed);
    sql_bind_i64(st, 7, rf->points_returned);
    sql_bind_blob(st, 8, rf->body_hash, 32, SQL_STATIC);
    sql_bind_text(st, 9, rf->reply);
    sql_bind_i64(st, 10, rf->created_at);
    sql_bind_text(st, 11, rf->key_id);
    enum kt_rc rc = sql_run(c, st, NULL, err);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        if ((st = get(base, SQL_REFUND_LINE, err)) == NULL) {
            return KT_ESTORE;
        }
        sql_bind_text(st, 1, rf->id);
        sql_bind_i64(st, 2, lines[i].n);
        sql_bind_i64(st, 3, lines[i].quantity);
        sql_bind_i64(st, 4, lines[i].amount);
        rc = sql_run(c, st, NULL, err);
    }
    return rc;
}

/* Steps a one-row aggregate into `v[0..n)`. */
static enum kt_rc one_row(struct store_conn *base, enum sql_slot slot, int64_t since, int64_t until,
                          int64_t *v, int n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, since);
    sql_bind_i64(st, 2, until);
    return sql_int_row((struct sql_conn *)base, st, v, n, "loyalty report", err);
}

/* A row (kind, sum of points) of the ledger into the report's member for that kind. */
static void read_kind_sum(struct sql_stmt *st, void *report)
{
    static const struct {
        const char *kind;
        size_t off;
    } kinds[] = {
        {"earn", offsetof(struct loyalty_report, earned)},
        {"spend", offsetof(struct loyalty_report, spent)},
        {"expire", offsetof(struct loyalty_report, expired)},
        {"bonus", offsetof(struct loyalty_report, bonus)},
        {"refund_earn", offsetof(struct loyalty_report, refund_earn)},
        {"refund_spend", offsetof(struct loyalty_report, refund_spend)},
        {"adjust", offsetof(struct loyalty_report, adjusted)},
    };
    const char *kind = (const char *)sql_col_str(st, 0);
    for (size_t i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(kind, kinds[i].kind) == 0) {
            *(int64_t *)((char *)report + kinds[i].off) = sql_col_i64(st, 1);
        }
    }
}

enum kt_rc sql_loyalty_report(struct store_conn *base, int64_t since, int64_t until,
                              struct loyalty_report *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct sql_stmt *st = get(base, SQL_REPORT_LEDGER, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, since);
    sql_bind_i64(st, 2, until);
    enum kt_rc k = sql_each((struct sql_conn *)base, st, read_kind_sum, out, "loyalty report", err);
    if (k != KT_OK) {
        return k;
    }
    int64_t r[5] = {0};
    k = one_row(base, SQL_REPORT_OUTSTANDING, since, until, r, 1, err);
    out->outstanding = r[0];
    if (k == KT_OK) {
        k = one_row(base, SQL_REPORT_RECEIPTS, since, until, r, 5, err);
        out->receipts = r[0];
        out->receipts_identified = r[1];
        out->receipts_by_card = r[2];
        out->total = r[3];
        out->total_identified = r[4];
    }
    if (k == KT_OK) {
        k = one_row(base, SQL_REPORT_REFUNDS, since, until, r, 2, err);
        out->refunds = r[0];
        out->refunded = r[1];
    }
    return k;
}

enum kt_rc sql_ledger_expiring(struct store_conn *base, int64_t since, int64_t until,
                               int64_t after_ck, int limit, struct arena *a, int64_t **cks,
                               size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_EXPIRING, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, since);
    sql_bind_i64(st, 2, until);
    sql_bind_i64(st, 3, after_ck);
    sql_bind_i64(st, 4, limit);
    return sql_rows((struct sql_conn *)base, st, sql_row_i64, sizeof(**cks), a, cks, n,
                    "ledger expiring", err);
}
