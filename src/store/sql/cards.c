/*
 * cards.c - the SQL side of cards, one-time codes, the SMS outbox and the enrolments counted
 * for the limits. Tables in 0006_cards.sql and 0011_enrolments.sql. Statements are cached per
 * connection in their slots of enum sql_slot (sql_int.h).
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define CARD_COLS                                                                                  \
    "number, ck, kind, state, batch, issued_at, bound_at, state_at, replaced_by, reason"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_CARD_INSERT] =
        "INSERT INTO cards (" CARD_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [SQL_CARD_GET] = "SELECT " CARD_COLS " FROM cards WHERE number = ?1",
    [SQL_CARD_LIST] = "SELECT " CARD_COLS " FROM cards WHERE ck = ?1 ORDER BY issued_at, "
                      "number",
    [SQL_CARD_UPDATE] = "UPDATE cards SET ck = ?2, state = ?3, bound_at = ?4, "
                        "state_at = ?5, replaced_by = ?6, reason = ?7 WHERE number = ?1",
    [SQL_OTP_INSERT] = "INSERT INTO otp_codes (id, ck, phone_tag, code_hash, created_at, "
                       "expires_at, attempts, verified_at, key_id) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [SQL_OTP_LATEST] = "SELECT id, ck, code_hash, created_at, expires_at, attempts, "
                       "verified_at, key_id FROM otp_codes WHERE phone_tag = ?1 "
                       "ORDER BY created_at DESC LIMIT 1",
    [SQL_OTP_UPDATE] = "UPDATE otp_codes SET attempts = ?2, verified_at = ?3 WHERE id = ?1",
    [SQL_OTP_COUNT_PHONE] =
        "SELECT count(*) FROM otp_codes WHERE phone_tag = ?1 AND created_at >= ?2",
    [SQL_OTP_COUNT_KEY] = "SELECT count(*) FROM otp_codes WHERE key_id = ?1 AND created_at >= ?2",
    [SQL_REFERRAL_ADD] =
        "INSERT INTO referrals (friend_ck, referrer_ck, created_at) VALUES (?1, ?2, ?3)",
    [SQL_REFERRAL_GET] =
        "SELECT referrer_ck, coalesce(rewarded_at, 0) FROM referrals WHERE friend_ck = ?1",
    [SQL_REFERRAL_REWARDED] =
        "UPDATE referrals SET rewarded_at = ?2, purchase_id = ?3 WHERE friend_ck = ?1",
    [SQL_BIRTHDAYS] =
        "SELECT c.ck, c.birth_date FROM customers c WHERE c.ck > ?1 AND c.birth_date IS NOT NULL "
        "AND c.merged_into IS NULL AND EXISTS (SELECT 1 FROM cards k WHERE k.ck = c.ck AND "
        "k.state = 'active') AND" SQL_NOT_BLOCKED("c.ck") "ORDER BY c.ck LIMIT ?2",
    [SQL_ENROLLED] =
        "SELECT k.ck, min(coalesce(k.bound_at, k.issued_at)) FROM cards k JOIN customers c ON "
        "c.ck = k.ck WHERE k.ck > ?1 AND c.merged_into IS NULL AND c.erased_at IS NULL "
        "AND" SQL_NOT_BLOCKED("k.ck") "GROUP BY k.ck ORDER BY k.ck LIMIT ?2",
    [SQL_BIRTHDAYS_ALL] =
        "SELECT c.ck, c.birth_date FROM customers c WHERE c.ck > ?1 AND c.birth_date IS NOT NULL "
        "AND c.merged_into IS NULL AND c.erased_at IS NULL AND" SQL_NOT_BLOCKED(
            "c.ck") "ORDER BY "
                    "c.ck LIMIT ?2",
    [SQL_OTP_GET] = "SELECT id, ck, code_hash, created_at, expires_at, attempts, "
                    "verified_at, key_id, phone_tag FROM otp_codes WHERE id = ?1",
    [SQL_CARD_HELD] = "SELECT EXISTS (SELECT 1 FROM cards WHERE number = ?1) "
                      "OR EXISTS (SELECT 1 FROM identifiers WHERE kind = 'card' AND bidx = ?3) "
                      "OR EXISTS (SELECT 1 FROM suppression WHERE hash = ?2)",
    [SQL_ENROL_COUNT_KEY] =
        "SELECT count(*), coalesce(min(at), 0) FROM enrolments WHERE key_id = ?1 AND at >= ?2",
    [SQL_ENROL_COUNT_STORE] =
        "SELECT count(*), coalesce(min(at), 0) FROM enrolments WHERE store = ?1 AND at >= ?2",
    [SQL_ENROL_ADD] = "INSERT INTO enrolments (at, key_id, store) VALUES (?1, ?2, ?3)",
    [SQL_ENROL_PURGE] = "DELETE FROM enrolments WHERE at < ?1",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

static void card_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct card *cd = out;
    memset(cd, 0, sizeof(*cd));
    const char *num = sql_col_str(st, 0);
    kt_strlcpy(cd->number, num ? (const char *)num : "", sizeof(cd->number));
    cd->ck = sql_col_i64(st, 1);
    cd->kind = sql_col_text(st, 2, a);
    cd->state = sql_col_text(st, 3, a);
    cd->batch = sql_col_text(st, 4, a);
    cd->issued_at = sql_col_i64(st, 5);
    cd->bound_at = sql_col_i64(st, 6);
    cd->state_at = sql_col_i64(st, 7);
    cd->replaced_by = sql_col_text(st, 8, a);
    cd->reason = sql_col_text(st, 9, a);
}

enum kt_rc sql_card_insert(struct store_conn *base, const struct card *cd, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CARD_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, cd->number);
    sql_bind_i64_or_null(st, 2, cd->ck);
    sql_bind_text(st, 3, cd->kind);
    sql_bind_text(st, 4, cd->state);
    sql_bind_text(st, 5, cd->batch);
    sql_bind_i64(st, 6, cd->issued_at);
    sql_bind_i64_or_null(st, 7, cd->bound_at);
    sql_bind_i64(st, 8, cd->state_at);
    sql_bind_text(st, 9, cd->replaced_by);
    sql_bind_text(st, 10, cd->reason);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_card_get(struct store_conn *base, const char *number, struct arena *a,
                        struct card *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CARD_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, number);
    return sql_one((struct sql_conn *)base, st, card_row, a, out, found, "card_not_found",
                   "no such card", err);
}

enum kt_rc sql_card_list(struct store_conn *base, int64_t ck, struct arena *a, struct card **out,
                         size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CARD_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    return sql_rows((struct sql_conn *)base, st, card_row, sizeof(**out), a, out, n, "card list",
                    err);
}

enum kt_rc sql_card_update(struct store_conn *base, const struct card *cd, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CARD_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, cd->number);
    sql_bind_i64_or_null(st, 2, cd->ck);
    sql_bind_text(st, 3, cd->state);
    sql_bind_i64_or_null(st, 4, cd->bound_at);
    sql_bind_i64(st, 5, cd->state_at);
    sql_bind_text(st, 6, cd->replaced_by);
    sql_bind_text(st, 7, cd->reason);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_otp_insert(struct store_conn *base, const struct otp_code *o, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OTP_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, o->id);
    sql_bind_i64(st, 2, o->ck);
    sql_bind_blob(st, 3, o->phone_tag, 32, SQL_STATIC);
    sql_bind_blob(st, 4, o->code_hash, 32, SQL_STATIC);
    sql_bind_i64(st, 5, o->created_at);
    sql_bind_i64(st, 6, o->expires_at);
    sql_bind_i64(st, 7, o->attempts);
    sql_bind_i64_or_null(st, 8, o->verified_at);
    sql_bind_text(st, 9, o->key_id);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

/* A code's row: id, ck, code_hash, created_at, expires_at, attempts, verified_at, key_id. */
static void otp_row(struct sql_stmt *st, struct arena *a, void *code)
{
    struct otp_code *out = code;
    memset(out, 0, sizeof(*out));
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(out->id, id ? (const char *)id : "", sizeof(out->id));
    out->ck = sql_col_i64(st, 1);
    if (sql_col_bytes(st, 2) == 32) {
        memcpy(out->code_hash, sql_col_blob(st, 2), 32);
    }
    out->created_at = sql_col_i64(st, 3);
    out->expires_at = sql_col_i64(st, 4);
    out->attempts = sql_col_i64(st, 5);
    out->verified_at = sql_col_i64(st, 6);
    out->key_id = sql_col_text(st, 7, a);
}

enum kt_rc sql_otp_latest(struct store_conn *base, const unsigned char tag[32], struct arena *a,
                          struct otp_code *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OTP_LATEST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_blob(st, 1, tag, 32, SQL_STATIC);
    enum kt_rc rc = sql_one((struct sql_conn *)base, st, otp_row, a, out, found, "no_code",
                            "no code was sent to this phone", err);
    if (rc == KT_OK && sql_found(found)) {
        memcpy(out->phone_tag, tag, 32);
    }
    return rc;
}

enum kt_rc sql_otp_update(struct store_conn *base, const struct otp_code *o, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OTP_UPDATE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, o->id);
    sql_bind_i64(st, 2, o->attempts);
    sql_bind_i64_or_null(st, 3, o->verified_at);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_otp_count(struct store_conn *base, const unsigned char *tag, const char *key_id,
                         int64_t since, int64_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, tag != NULL ? SQL_OTP_COUNT_PHONE : SQL_OTP_COUNT_KEY, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    if (tag != NULL) {
        sql_bind_blob(st, 1, tag, 32, SQL_STATIC);
    } else {
        sql_bind_text(st, 1, key_id);
    }
    sql_bind_i64(st, 2, since);
    *n = 0;
    return sql_int_row((struct sql_conn *)base, st, n, 1, "otp count", err);
}

enum kt_rc sql_referral_add(struct store_conn *base, int64_t friend_ck, int64_t referrer_ck,
                            int64_t at, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_REFERRAL_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, friend_ck);
    sql_bind_i64(st, 2, referrer_ck);
    sql_bind_i64(st, 3, at);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

/* A referral: who brought the customer, and when the reward was given (0: not yet). */
static void referral_row(struct sql_stmt *st, struct arena *a, void *out)
{
    int64_t *v = out;
    v[0] = sql_col_i64(st, 0);
    v[1] = sql_col_i64(st, 1);
}

enum kt_rc sql_referral_get(struct store_conn *base, int64_t friend_ck, int64_t *referrer_ck,
                            int64_t *rewarded_at, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_REFERRAL_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, friend_ck);
    int64_t v[2];
    enum kt_rc rc = sql_one((struct sql_conn *)base, st, referral_row, NULL, v, found,
                            "no_referral", "nobody brought this customer", err);
    if (rc == KT_OK && sql_found(found)) {
        *referrer_ck = v[0];
        *rewarded_at = v[1];
    }
    return rc;
}

enum kt_rc sql_referral_rewarded(struct store_conn *base, int64_t friend_ck, int64_t at,
                                 const char *purchase_id, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_REFERRAL_REWARDED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, friend_ck);
    sql_bind_i64(st, 2, at);
    sql_bind_text(st, 3, purchase_id);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

/* Two arrays of one length, filled a row at a time. */
struct birthdays {
    struct arena *a;
    int64_t **cks;
    const char ***dates;
    size_t *n;
    size_t cap, cap2;
};

static void birthday_row(struct sql_stmt *st, void *ctx)
{
    struct birthdays *b = ctx;
    size_t n2 = *b->n;
    *(int64_t *)arena_push(b->a, b->cks, b->n, &b->cap, sizeof(**b->cks)) = sql_col_i64(st, 0);
    *(const char **)arena_push(b->a, b->dates, &n2, &b->cap2, sizeof(**b->dates)) =
        sql_col_text(st, 1, b->a);
}

static enum kt_rc birthdays(struct store_conn *base, enum sql_slot slot, int64_t after_ck,
                            int limit, struct arena *a, int64_t **cks, const char ***dates,
                            size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, after_ck);
    sql_bind_i64(st, 2, limit);
    struct birthdays b = {a, cks, dates, n, 0, 0};
    *cks = NULL;
    *dates = NULL;
    *n = 0;
    struct sql_conn *c = (struct sql_conn *)base;
    enum kt_rc rc = sql_each(c, st, birthday_row, &b, "birthdays", err);
    for (size_t i = 0; rc == KT_OK && i < *n; i++) { /* sealed when the retailer says so */
        struct sql_key k;
        sql_key_init(&k, c, (*cks)[i], false);
        rc = sql_unseal(&k, "customers.birth_date", &(*dates)[i], a, err);
        sql_key_release(&k);
    }
    return rc;
}

enum kt_rc sql_member_birthdays(struct store_conn *base, int64_t after_ck, int limit,
                                struct arena *a, int64_t **cks, const char ***dates, size_t *n,
                                struct kt_err *err)
{
    return birthdays(base, SQL_BIRTHDAYS, after_ck, limit, a, cks, dates, n, err);
}

enum kt_rc sql_customer_birthdays(struct store_conn *base, int64_t after_ck, int limit,
                                  struct arena *a, int64_t **cks, const char ***dates, size_t *n,
                                  struct kt_err *err)
{
    return birthdays(base, SQL_BIRTHDAYS_ALL, after_ck, limit, a, cks, dates, n, err);
}

enum kt_rc sql_member_enrolled(struct store_conn *base, int64_t after_ck, int limit,
                               struct arena *a, int64_t **cks, int64_t **ats, size_t *n,
                               struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_ENROLLED, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, after_ck);
    sql_bind_i64(st, 2, limit);
    return sql_pairs((struct sql_conn *)base, st, a, cks, ats, n, "enrolled members", err);
}

/* otp_row and the phone tag after it. */
static void otp_row_tagged(struct sql_stmt *st, struct arena *a, void *code)
{
    struct otp_code *out = code;
    otp_row(st, a, out);
    if (sql_col_bytes(st, 8) == 32) {
        memcpy(out->phone_tag, sql_col_blob(st, 8), 32);
    }
}

enum kt_rc sql_otp_get(struct store_conn *base, const char *id, struct arena *a,
                       struct otp_code *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_OTP_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    return sql_one((struct sql_conn *)base, st, otp_row_tagged, a, out, found, "no_code",
                   "no such code", err);
}

enum kt_rc sql_card_number_held(struct store_conn *base, const char *number,
                                const unsigned char suppress_hash[32], bool *held,
                                struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CARD_HELD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, number);
    sql_bind_blob(st, 2, suppress_hash, 32, SQL_STATIC);
    sql_bind_bidx((struct sql_conn *)base, st, 3, "card", number);
    int64_t v = 0;
    enum kt_rc rc = sql_int_row((struct sql_conn *)base, st, &v, 1, "card held", err);
    *held = rc == KT_OK && v != 0;
    return rc;
}

enum kt_rc sql_enrol_count(struct store_conn *base, const char *key_id, const char *store,
                           int64_t since, int64_t *n, int64_t *oldest, struct kt_err *err)
{
    struct sql_stmt *st =
        get(base, store != NULL ? SQL_ENROL_COUNT_STORE : SQL_ENROL_COUNT_KEY, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, store != NULL ? store : key_id);
    sql_bind_i64(st, 2, since);
    int64_t v[2] = {0, 0};
    enum kt_rc rc = sql_int_row((struct sql_conn *)base, st, v, 2, "enrol count", err);
    *n = v[0];
    *oldest = v[1];
    return rc;
}

enum kt_rc sql_enrol_add(struct store_conn *base, const char *key_id, const char *store, int64_t at,
                         int64_t purge_before, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_ENROL_PURGE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, purge_before);
    enum kt_rc rc = sql_run((struct sql_conn *)base, st, NULL, err);
    if (rc != KT_OK || (st = get(base, SQL_ENROL_ADD, err)) == NULL) {
        return rc != KT_OK ? rc : KT_ESTORE;
    }
    sql_bind_i64(st, 1, at);
    sql_bind_text(st, 2, key_id);
    sql_bind_text(st, 3, store);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}
