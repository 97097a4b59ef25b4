/*
 * erase.c - the SQLite side of an erasure (store_customer_erase) and of retention
 * (store_customer_inactive): what is destroyed in the database in the erasure's transaction, and
 * the data keys queued for destruction once it commits (key_shreds, keystore.c). What stays and
 * why is in docs/privacy.md, "Erasure".
 */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

static const char *const sql[SQ_STATEMENTS] = {
    [SQ_ERASE_CUST] =
        "UPDATE customers SET last_name = NULL, last_name_at = NULL, first_name = NULL, "
        "first_name_at = NULL, middle_name = NULL, middle_name_at = NULL, gender = NULL, "
        "gender_at = NULL, birth_date = NULL, birth_date_at = NULL, email = NULL, email_at = NULL, "
        "phone = NULL, phone_at = NULL, city = NULL, city_at = NULL, address = NULL, "
        "address_at = NULL, verified = 0, quality = 0, gender_inferred = 0, name_key = NULL, "
        "attrs = '{}', attrs_at = '{}', attrs_sealed = NULL, erased_at = ?2, updated_at = ?2 "
        "WHERE ck = ?1 OR merged_into = ?1", /* the rows merged into it hold old values too */
    [SQ_ERASE_IDENTS] = "DELETE FROM identifiers WHERE ck = ?1",
    /* the blind indexes of its addresses a hard bounce marked undeliverable (0022) */
    [SQ_ERASE_UNDELIV] = "DELETE FROM undeliverable WHERE ck = ?1 OR ck IN (SELECT ck FROM "
                         "customers WHERE merged_into = ?1)",
    [SQ_ERASE_HIST] = "UPDATE history SET old_value = NULL, new_value = NULL "
                      "WHERE ck = ?1 AND (old_value IS NOT NULL OR new_value IS NOT NULL)",
    [SQ_ERASE_CONSENT] = "UPDATE consent_events SET ip = NULL, user_agent = NULL "
                         "WHERE ck = ?1 AND (ip IS NOT NULL OR user_agent IS NOT NULL)",
    /* Stored replies to retried requests hold the profile they answered with. */
    /* The outbox keeps each message's state and times for the campaigns' counts; who it went to
     * and what it said go (a one-time code's phone and text too), and a message still waiting
     * is not sent (suppressed, "erased"). */
    [SQ_ERASE_OUTBOX] =
        "UPDATE outbox SET recipient = NULL, content = NULL, reply_text = NULL, "
        "state = CASE WHEN state IN ('queued', 'sending') THEN 'suppressed' ELSE state END, "
        "reason = CASE WHEN state IN ('queued', 'sending') THEN 'erased' ELSE reason END, "
        "updated_at = ?2 WHERE (ck = ?1 OR ck IN (SELECT ck FROM customers WHERE merged_into = "
        "?1)) "
        "AND (recipient IS NOT NULL OR content IS NOT NULL OR reply_text IS NOT NULL "
        "OR state IN ('queued', 'sending'))",
    /* the keys go once the erasure commits (store_keys_shred): the customer's and those of the
     * customers merged into it, whose rows hold values sealed under their own keys */
    [SQ_ERASE_KEYS] = "INSERT INTO key_shreds (ck, at) SELECT ck, ?2 FROM customers "
                      "WHERE ck = ?1 OR merged_into = ?1 ON CONFLICT (ck) DO NOTHING",
    [SQ_ERASE_TRAITS] = "DELETE FROM traits WHERE ck = ?1",
    [SQ_ERASE_MEMBERS] = "DELETE FROM segment_members WHERE ck = ?1",
    [SQ_ERASE_EVENTS] = "UPDATE events SET props = NULL, anon_kind = NULL, anon_id = NULL "
                        "WHERE ck = ?1 AND (props IS NOT NULL OR anon_kind IS NOT NULL "
                        "OR anon_id IS NOT NULL)",
    [SQ_ERASE_CARDS] = "UPDATE cards SET state = 'unbound', state_at = ?2, reason = 'erased' "
                       "WHERE ck = ?1 AND state IN ('issued', 'active', 'blocked')",
    [SQ_ERASE_IDEM] = "DELETE FROM idempotency WHERE ck = ?1 OR ck IN (SELECT ck FROM customers "
                      "WHERE merged_into = ?1)",
    /* a join form waiting for its code (0030): the values sealed under the key that goes */
    [SQ_ERASE_JOIN] = "DELETE FROM join_pending WHERE ck = ?1 OR ck IN (SELECT ck FROM customers "
                      "WHERE merged_into = ?1)",
    [SQ_INACTIVE] = "SELECT ck FROM customers WHERE merged_into IS NULL AND erased_at IS NULL "
                    "AND updated_at < ?1 ORDER BY updated_at LIMIT ?2",
};

static sqlite3_stmt *get(struct store_conn *base, enum sq_slot slot, struct kt_err *err)
{
    return sq_stmt((struct sq_conn *)base, slot, sql[slot], err);
}

static enum kt_rc run(struct store_conn *base, sqlite3_stmt *st, int *changes, struct kt_err *err)
{
    return sq_run((struct sq_conn *)base, st, changes, err);
}

/* ---- erasure and retention --------------------------------------------------------------- */

enum kt_rc sq_customer_erase(struct store_conn *base, int64_t ck, int64_t at,
                             struct erase_counts *counts, struct kt_err *err)
{
    /* Stored replies and messages name their customer (or one merged into it). Events keep
     * their type and time, not what they said. */
    static const enum sq_slot slots[] = {
        SQ_ERASE_IDEM,   SQ_ERASE_CARDS,  SQ_ERASE_EVENTS,  SQ_ERASE_TRAITS, SQ_ERASE_MEMBERS,
        SQ_ERASE_CUST,   SQ_ERASE_IDENTS, SQ_ERASE_UNDELIV, SQ_ERASE_HIST,   SQ_ERASE_CONSENT,
        SQ_ERASE_OUTBOX, SQ_ERASE_JOIN,   SQ_ERASE_KEYS};
    /* what each statement destroyed, for the act's list of data */
    memset(counts, 0, sizeof(*counts));
    int64_t *count[] = {&counts->replies,          &counts->cards,       &counts->events,
                        &counts->traits,           &counts->members,     &counts->customers,
                        &counts->identifiers,      &counts->identifiers, &counts->history,
                        &counts->consent_evidence, &counts->messages,    &counts->replies,
                        &counts->data_keys};
    _Static_assert(sizeof(count) / sizeof(count[0]) == sizeof(slots) / sizeof(slots[0]),
                   "a count per statement");
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
        sqlite3_stmt *st = get(base, slots[i], err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        sqlite3_bind_int64(st, 1, ck);
        if (slots[i] == SQ_ERASE_CUST || slots[i] == SQ_ERASE_CARDS || slots[i] == SQ_ERASE_KEYS ||
            slots[i] == SQ_ERASE_OUTBOX) {
            sqlite3_bind_int64(st, 2, at);
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

enum kt_rc sq_customer_inactive(struct store_conn *base, int64_t before, int limit, struct arena *a,
                                int64_t **cks, size_t *n, struct kt_err *err)
{
    sqlite3_stmt *st = get(base, SQ_INACTIVE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, limit);
    return sq_rows((struct sq_conn *)base, st, sq_row_i64, sizeof(**cks), a, cks, n,
                   "inactive customers", err);
}
