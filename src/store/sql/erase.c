/*
 * erase.c - the SQL side of an erasure (store_customer_erase) and of retention
 * (store_customer_inactive): what is destroyed in the database in the erasure's transaction, and
 * the data keys queued for destruction once it commits (key_shreds, keystore.c). What stays and
 * why is in docs/privacy.md, "Erasure".
 */
#include <string.h>

#include "store/sql/sql_int.h"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_ERASE_CUST] =
        "UPDATE customers SET last_name = NULL, last_name_at = NULL, first_name = NULL, "
        "first_name_at = NULL, middle_name = NULL, middle_name_at = NULL, gender = NULL, "
        "gender_at = NULL, birth_date = NULL, birth_date_at = NULL, email = NULL, email_at = NULL, "
        "phone = NULL, phone_at = NULL, city = NULL, city_at = NULL, address = NULL, "
        "address_at = NULL, verified = 0, quality = 0, gender_inferred = 0, name_key = NULL, "
        "attrs = '{}', attrs_at = '{}', attrs_sealed = NULL, erased_at = ?2, updated_at = ?2 "
        "WHERE ck = ?1 OR merged_into = ?1", /* the rows merged into it hold old values too */
    [SQL_ERASE_IDENTS] = "DELETE FROM identifiers WHERE ck = ?1",
    /* the blind indexes of its addresses a hard bounce marked undeliverable (0022) */
    [SQL_ERASE_UNDELIV] = "DELETE FROM undeliverable WHERE ck = ?1 OR ck IN (SELECT ck FROM "
                          "customers WHERE merged_into = ?1)",
    [SQL_ERASE_HIST] = "UPDATE history SET old_value = NULL, new_value = NULL "
                       "WHERE ck = ?1 AND (old_value IS NOT NULL OR new_value IS NOT NULL)",
    [SQL_ERASE_CONSENT] = "UPDATE consent_events SET ip = NULL, user_agent = NULL "
                          "WHERE ck = ?1 AND (ip IS NOT NULL OR user_agent IS NOT NULL)",
    /* Stored replies to retried requests hold the profile they answered with. */
    /* The outbox keeps each message's state and times for the campaigns' counts; who it went to
     * and what it said go (a one-time code's phone and text too), and a message still waiting
     * is not sent (suppressed, "erased"). */
    [SQL_ERASE_OUTBOX] =
        "UPDATE outbox SET recipient = NULL, content = NULL, reply_text = NULL, "
        "state = CASE WHEN state IN ('queued', 'sending') THEN 'suppressed' ELSE state END, "
        "reason = CASE WHEN state IN ('queued', 'sending') THEN 'erased' ELSE reason END, "
        "updated_at = ?2 WHERE (ck = ?1 OR ck IN (SELECT ck FROM customers WHERE merged_into = "
        "?1)) "
        "AND (recipient IS NOT NULL OR content IS NOT NULL OR reply_text IS NOT NULL "
        "OR state IN ('queued', 'sending'))",
    /* the keys go once the erasure commits (store_keys_shred): the customer's and those of the
     * customers merged into it, whose rows hold values sealed under their own keys */
    [SQL_ERASE_KEYS] = "INSERT INTO key_shreds (ck, at) SELECT ck, ?2 FROM customers "
                       "WHERE ck = ?1 OR merged_into = ?1 ON CONFLICT (ck) DO NOTHING",
    [SQL_ERASE_TRAITS] = "DELETE FROM traits WHERE ck = ?1",
    /* the traits a merge journal keeps (0040) for the customer or one merged into it */
    [SQL_ERASE_MERGE_TRAITS] = "DELETE FROM merge_traits WHERE ck = ?1 OR ck IN (SELECT ck FROM "
                               "customers WHERE merged_into = ?1)",
    [SQL_ERASE_MEMBERS] = "DELETE FROM segment_members WHERE ck = ?1",
    [SQL_ERASE_EVENTS] = "UPDATE events SET props = NULL, anon_kind = NULL, anon_id = NULL, "
                         "anon_h = NULL WHERE ck = ?1 AND (props IS NOT NULL OR anon_kind IS NOT "
                         "NULL OR anon_id IS NOT NULL OR anon_h IS NOT NULL)",
    [SQL_ERASE_CARDS] = "UPDATE cards SET state = 'unbound', state_at = ?2, reason = 'erased' "
                        "WHERE ck = ?1 AND state IN ('issued', 'active', 'blocked')",
    [SQL_ERASE_IDEM] = "DELETE FROM idempotency WHERE ck = ?1 OR ck IN (SELECT ck FROM customers "
                       "WHERE merged_into = ?1)",
    /* a join form waiting for its code (0030): the values sealed under the key that goes */
    [SQL_ERASE_JOIN] = "DELETE FROM join_pending WHERE ck = ?1 OR ck IN (SELECT ck FROM customers "
                       "WHERE merged_into = ?1)",
    /* her wallet pass and the devices that added it (0043): a pass on a phone stops updating */
    [SQL_ERASE_WALLET_DEV] = "DELETE FROM wallet_devices WHERE ck = ?1 OR ck IN (SELECT ck FROM "
                             "customers WHERE merged_into = ?1)",
    [SQL_ERASE_WALLET] = "DELETE FROM wallet_passes WHERE ck = ?1 OR ck IN (SELECT ck FROM "
                         "customers WHERE merged_into = ?1)",
    [SQL_INACTIVE] = "SELECT ck FROM customers WHERE merged_into IS NULL AND erased_at IS NULL "
                     "AND updated_at < ?1 ORDER BY updated_at LIMIT ?2",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

static enum kt_rc run(struct store_conn *base, struct sql_stmt *st, int *changes,
                      struct kt_err *err)
{
    return sql_run((struct sql_conn *)base, st, changes, err);
}

/* ---- erasure and retention --------------------------------------------------------------- */

enum kt_rc sql_customer_erase(struct store_conn *base, int64_t ck, int64_t at,
                              struct erase_counts *counts, struct kt_err *err)
{
    /* Stored replies and messages name their customer (or one merged into it). Events keep
     * their type and time, not what they said. */
    static const enum sql_slot slots[] = {
        SQL_ERASE_IDEM,    SQL_ERASE_CARDS,        SQL_ERASE_EVENTS,     SQL_ERASE_TRAITS,
        SQL_ERASE_MEMBERS, SQL_ERASE_CUST,         SQL_ERASE_IDENTS,     SQL_ERASE_UNDELIV,
        SQL_ERASE_HIST,    SQL_ERASE_CONSENT,      SQL_ERASE_OUTBOX,     SQL_ERASE_JOIN,
        SQL_ERASE_KEYS,    SQL_ERASE_MERGE_TRAITS, SQL_ERASE_WALLET_DEV, SQL_ERASE_WALLET};
    /* what each statement destroyed, for the act's list of data */
    memset(counts, 0, sizeof(*counts));
    int64_t *count[] = {&counts->replies,     &counts->cards,
                        &counts->events,      &counts->traits,
                        &counts->members,     &counts->customers,
                        &counts->identifiers, &counts->identifiers,
                        &counts->history,     &counts->consent_evidence,
                        &counts->messages,    &counts->replies,
                        &counts->data_keys,   &counts->traits,
                        &counts->wallet,      &counts->wallet};
    _Static_assert(sizeof(count) / sizeof(count[0]) == sizeof(slots) / sizeof(slots[0]),
                   "a count per statement");
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
        struct sql_stmt *st = get(base, slots[i], err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sql_bind_i64(st, 1, ck);
        if (slots[i] == SQL_ERASE_CUST || slots[i] == SQL_ERASE_CARDS ||
            slots[i] == SQL_ERASE_KEYS || slots[i] == SQL_ERASE_OUTBOX) {
            sql_bind_i64(st, 2, at);
        }
        int changes = 0;
        enum kt_rc rc = run(base, st, &changes, err);
        if (rc != KT_OK) {
            return rc;
        }
        *count[i] += changes; /* undeliverable addresses count as identifiers */
    }
    return KT_OK;
}

enum kt_rc sql_customer_inactive(struct store_conn *base, int64_t before, int limit,
                                 struct arena *a, int64_t **cks, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_INACTIVE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, before);
    sql_bind_i64(st, 2, limit);
    return sql_rows((struct sql_conn *)base, st, sql_row_i64, sizeof(**cks), a, cks, n,
                    "inactive customers", err);
}
