/*
 * merges.c - merges: the candidates a request's identifiers found (two customers that may be one
 * person), and the merge journal (0040): what a merge moved, dropped and changed, written before
 * its rows move, so that the merge can be taken back (docs/identity.md, "Un-merge").
 *
 * A merge moves the rows of the customer merged away (`from`) to the survivor (`into`): its
 * history, identifiers, consents, subscriptions, points, receipts, cards, codes, events and
 * referrals, and its daily event counts are added to the survivor's; its traits and segment
 * memberships are dropped (computed again for the survivor). The journal keeps the keys of the
 * rows that moved - never their values - and copies of what was dropped or added to, and the
 * survivor's profile as it was, sealed under the survivor's data key. Taking the merge back moves
 * exactly those rows back (sealed values opened and sealed again under their own customer's
 * key), puts back what was dropped, subtracts the counts, removes the history rows the merge
 * wrote and writes the survivor's profile as it was. What happened to either customer since
 * stays: a receipt the survivor took after the merge is still the survivor's.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sql_int.h"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_MC_ADD] = "INSERT INTO merge_candidates (ck_a, ck_b, reason, created_at) "
                   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ck_a, ck_b) DO NOTHING",
    [SQL_MC_RESOLVE] = "UPDATE merge_candidates SET resolved_at = ?3 "
                       "WHERE ck_a = ?1 AND ck_b = ?2 AND resolved_at IS NULL",
    [SQL_MC_COUNT] = "SELECT count(*) FROM merge_candidates "
                     "WHERE (ck_a = ?1 OR ck_b = ?1) AND resolved_at IS NULL",
};

static struct sql_stmt *stmt(struct sql_conn *c, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt(c, slot, sql[slot], err);
}

static struct sql_stmt *once(struct sql_conn *c, const char *text, struct kt_err *err)
{
    return sql_prepare_once(c, text, "merge journal", err);
}

/* Runs each text with ?1 = the journal's id, ?2 = `from`, ?3 = `into` (those it uses). */
static enum kt_rc run_all(struct sql_conn *c, const char *const *texts, size_t n, int64_t id,
                          int64_t from, int64_t into, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct sql_stmt *st = once(c, texts[i], err);
        if (st == NULL) {
            return KT_ESTORE;
        }
        int params = strstr(texts[i], "?3") ? 3 : strstr(texts[i], "?2") ? 2 : 1;
        sql_bind_i64(st, 1, id);
        if (params >= 2) {
            sql_bind_i64(st, 2, from);
        }
        if (params >= 3) {
            sql_bind_i64(st, 3, into);
        }
        rc = sql_run(c, st, NULL, err);
        sql_finalize(st);
    }
    return rc;
}

/* ---- the survivor's profile, as a sealed document ------------------------------------------ */

static char *profile_dump(const struct customer *cu)
{
    json_t *v = json_array(), *at = json_array();
    for (int i = 0; i < PF_COUNT; i++) {
        json_array_append_new(v, cu->val[i] ? json_string(cu->val[i]) : json_null());
        json_array_append_new(at, json_integer(cu->at[i]));
    }
    json_t *doc = json_pack("{s:I, s:I, s:o, s:o, s:I, s:I, s:b, s:s?, s:s?, s:s?}", "created_at",
                            (json_int_t)cu->created_at, "updated_at", (json_int_t)cu->updated_at,
                            "val", v, "at", at, "verified", (json_int_t)cu->verified, "quality",
                            (json_int_t)cu->quality, "gender_inferred", cu->gender_inferred,
                            "name_key", cu->name_key, "attrs", cu->attrs, "attrs_at", cu->attrs_at);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

static const char *member(json_t *doc, const char *name, struct arena *a)
{
    const char *s = json_string_value(json_object_get(doc, name));
    return s ? arena_strdup(a, s) : NULL;
}

/* Fills the profile of `cu` (its key and id already there) from what profile_dump() wrote. */
static bool profile_load(const char *text, struct customer *cu, struct arena *a)
{
    json_t *doc = json_loads(text, 0, NULL);
    json_t *v = json_object_get(doc, "val"), *at = json_object_get(doc, "at");
    bool ok = json_array_size(v) == PF_COUNT && json_array_size(at) == PF_COUNT;
    for (int i = 0; ok && i < PF_COUNT; i++) {
        const char *s = json_string_value(json_array_get(v, (size_t)i));
        cu->val[i] = s ? arena_strdup(a, s) : NULL;
        cu->at[i] = json_integer_value(json_array_get(at, (size_t)i));
    }
    if (ok) {
        cu->created_at = json_integer_value(json_object_get(doc, "created_at"));
        cu->updated_at = json_integer_value(json_object_get(doc, "updated_at"));
        cu->verified = (uint32_t)json_integer_value(json_object_get(doc, "verified"));
        cu->quality = (uint32_t)json_integer_value(json_object_get(doc, "quality"));
        cu->gender_inferred = json_is_true(json_object_get(doc, "gender_inferred"));
        cu->name_key = member(doc, "name_key", a);
        cu->attrs = member(doc, "attrs", a);
        cu->attrs_at = member(doc, "attrs_at", a);
        cu->merged_into = 0;
    }
    json_decref(doc);
    return ok;
}

/* ---- merge candidates -------------------------------------------------------------------- */

enum kt_rc sql_merge_candidate_add(struct store_conn *base, int64_t a, int64_t b,
                                   const char *reason, int64_t at, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_MC_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, a < b ? a : b);
    sql_bind_i64(st, 2, a < b ? b : a);
    sql_bind_text(st, 3, reason);
    sql_bind_i64(st, 4, at);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_merge_candidate_resolve(struct store_conn *base, int64_t a, int64_t b, int64_t at,
                                       struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_MC_RESOLVE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, a < b ? a : b);
    sql_bind_i64(st, 2, a < b ? b : a);
    sql_bind_i64(st, 3, at);
    return sql_run(c, st, NULL, err);
}

enum kt_rc sql_merge_candidate_count(struct store_conn *base, int64_t ck, int64_t *n,
                                     struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = stmt(c, SQL_MC_COUNT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    return sql_int_row(c, st, n, 1, "count", err);
}

/* ---- writing the journal ------------------------------------------------------------------- */

enum kt_rc sql_merge_journal_open(struct store_conn *base, int64_t from, int64_t into, int64_t at,
                                  const struct customer *survivor, int64_t *id, struct kt_err *err)
{
    /* the keys of what moves, and copies of what is dropped or added to */
    static const char *const rows[] = {
        "INSERT INTO merge_rows (merge_id, tbl, n) SELECT ?1, 'history', seq FROM history "
        "WHERE ck = ?2",
        "INSERT INTO merge_rows (merge_id, tbl, s, b) SELECT ?1, 'identifiers', kind, bidx "
        "FROM identifiers WHERE ck = ?2",
        "INSERT INTO merge_rows (merge_id, tbl, n) SELECT ?1, 'consent_events', seq "
        "FROM consent_events WHERE ck = ?2",
        "INSERT INTO merge_rows (merge_id, tbl, n) SELECT ?1, 'subscription_events', seq "
        "FROM subscription_events WHERE ck = ?2",
        "INSERT INTO merge_rows (merge_id, tbl, n) SELECT ?1, 'points_ledger', seq "
        "FROM points_ledger WHERE ck = ?2",
        "INSERT INTO merge_rows (merge_id, tbl, s) SELECT ?1, 'purchases', id FROM purchases "
        "WHERE ck = ?2",
        "INSERT INTO merge_rows (merge_id, tbl, s) SELECT ?1, 'cards', number FROM cards "
        "WHERE ck = ?2",
        "INSERT INTO merge_rows (merge_id, tbl, s) SELECT ?1, 'otp_codes', id FROM otp_codes "
        "WHERE ck = ?2",
        "INSERT INTO merge_rows (merge_id, tbl, n) SELECT ?1, 'events', seq FROM events "
        "WHERE ck = ?2",
        "INSERT INTO merge_rows (merge_id, tbl, n) SELECT ?1, 'customers', ck FROM customers "
        "WHERE merged_into = ?2",
        "INSERT INTO merge_traits (merge_id, ck, name, value, computed_at) "
        "SELECT ?1, ck, name, value, computed_at FROM traits WHERE ck = ?2 OR ck = ?3",
        "INSERT INTO merge_members (merge_id, segment_id, entered_at, left_at) "
        "SELECT ?1, segment_id, entered_at, left_at FROM segment_members WHERE ck = ?2",
        "INSERT INTO merge_event_days (merge_id, type, channel, day, received_day, count) "
        "SELECT ?1, type, channel, day, received_day, count FROM event_days WHERE ck = ?2",
        "INSERT INTO merge_referrals (merge_id, friend_ck, referrer_ck, created_at, rewarded_at, "
        "purchase_id) SELECT ?1, friend_ck, referrer_ck, created_at, rewarded_at, purchase_id "
        "FROM referrals WHERE friend_ck = ?2 OR friend_ck = ?3 OR referrer_ck = ?2",
    };
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st =
        once(c,
             "INSERT INTO merges (into_ck, from_ck, at, hist_seq, survivor) VALUES (?1, ?2, ?3, "
             "(SELECT coalesce(max(seq), 0) FROM history), ?4) RETURNING id",
             err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    char *doc = profile_dump(survivor);
    struct sql_key k;
    sql_key_init(&k, c, into, true);
    sql_bind_i64(st, 1, into);
    sql_bind_i64(st, 2, from);
    sql_bind_i64(st, 3, at);
    enum kt_rc rc = doc ? sql_bind_sealed(&k, st, 4, "merges.survivor", doc, err)
                        : kt_err_set(err, KT_EINTERNAL, "internal", NULL, "out of memory");
    sql_key_release(&k);
    free(doc);
    struct arena a;
    arena_init(&a, 0);
    if (rc == KT_OK) {
        rc = sql_one(c, st, sql_row_i64, &a, id, NULL, "not_found", "merge journal", err);
    }
    arena_release(&a);
    sql_finalize(st);
    return rc == KT_OK ? run_all(c, rows, sizeof(rows) / sizeof(rows[0]), *id, from, into, err)
                       : rc;
}

enum kt_rc sql_merge_journal_close(struct store_conn *base, int64_t id, struct kt_err *err)
{
    /* the history rows the merge wrote on the survivor: they go when it is taken back */
    static const char *const rows[] = {
        "INSERT INTO merge_rows (merge_id, tbl, n) SELECT m.id, 'history_new', h.seq "
        "FROM merges m JOIN history h ON h.ck = m.into_ck AND h.seq > m.hist_seq "
        "WHERE m.id = ?1"};
    return run_all((struct sql_conn *)base, rows, 1, id, 0, 0, err);
}

/* ---- reading it ---------------------------------------------------------------------------- */

struct journal_row {
    int64_t id, into, from, at, undone_at;
    const char *survivor; /* kept sealed by sql_col_text */
};

static void read_journal(struct sql_stmt *st, struct arena *a, void *out)
{
    struct journal_row *j = out;
    j->id = sql_col_i64(st, 0);
    j->into = sql_col_i64(st, 1);
    j->from = sql_col_i64(st, 2);
    j->at = sql_col_i64(st, 3);
    j->undone_at = sql_col_i64(st, 4);
    j->survivor = sql_col_text(st, 5, a);
}

#define JOURNAL_COLS "id, into_ck, from_ck, at, coalesce(undone_at, 0), survivor"

/* The merge `text` finds with ?1 = `key`, its survivor profile kept sealed in `a`. */
static enum kt_rc journal_get(struct sql_conn *c, const char *text, int64_t key, struct arena *a,
                              struct journal_row *j, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = once(c, text, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    memset(j, 0, sizeof(*j));
    sql_bind_i64(st, 1, key);
    enum kt_rc rc = sql_one(c, st, read_journal, a, j, found, "not_found",
                            "no merge of this customer to take back", err);
    sql_finalize(st);
    return rc;
}

enum kt_rc sql_merge_last(struct store_conn *base, int64_t from, struct merge_entry *out,
                          bool *found, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct journal_row j;
    enum kt_rc rc = journal_get((struct sql_conn *)base,
                                "SELECT " JOURNAL_COLS " FROM merges WHERE from_ck = ?1 AND "
                                "undone_at IS NULL ORDER BY id DESC LIMIT 1",
                                from, &a, &j, found, err);
    arena_release(&a);
    *out = (struct merge_entry){j.id, j.into, j.from, j.at};
    return rc;
}

enum kt_rc sql_customer_own_ck(struct store_conn *base, const char *id, int64_t *ck, bool *found,
                               struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *st = once(c, "SELECT ck FROM customers WHERE id = ?1", err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    *ck = 0;
    enum kt_rc rc = sql_one(c, st, sql_row_i64, NULL, ck, found, "customer_not_found",
                            "customer not found", err);
    sql_finalize(st);
    return rc;
}

/* ---- taking it back ------------------------------------------------------------------------ */

/* The survivor's profile as journal `j` keeps it, opened and written back. */
static enum kt_rc restore_survivor(struct sql_conn *c, struct journal_row *j, struct arena *a,
                                   struct kt_err *err)
{
    struct customer cu;
    bool found = false;
    enum kt_rc rc = sql_customer_get(&c->base, j->into, a, &cu, &found, err);
    if (rc == KT_OK) {
        struct sql_key k;
        sql_key_init(&k, c, j->into, false);
        rc = sql_unseal(&k, "merges.survivor", &j->survivor, a, err);
        sql_key_release(&k);
    }
    if (rc == KT_OK && (!found || !profile_load(j->survivor, &cu, a))) {
        rc = kt_err_set(err, KT_ESTORE, "store_error", "merges",
                        "the merge journal's survivor profile could not be read");
    }
    return rc == KT_OK ? sql_customer_update(&c->base, &cu, err) : rc;
}

enum kt_rc sql_merge_undo(struct store_conn *base, int64_t id, int64_t at, struct kt_err *err)
{
    /* ?1 the journal, ?2 the customer merged away (`from`), ?3 the survivor (`into`) */
    static const char *const back[] = {
        "UPDATE consent_events SET ck = ?2 WHERE ck = ?3 AND seq IN (SELECT n FROM merge_rows "
        "WHERE merge_id = ?1 AND tbl = 'consent_events')",
        "UPDATE subscription_events SET ck = ?2 WHERE ck = ?3 AND seq IN (SELECT n FROM "
        "merge_rows WHERE merge_id = ?1 AND tbl = 'subscription_events')",
        "UPDATE points_ledger SET ck = ?2 WHERE ck = ?3 AND seq IN (SELECT n FROM merge_rows "
        "WHERE merge_id = ?1 AND tbl = 'points_ledger')",
        "UPDATE events SET ck = ?2 WHERE ck = ?3 AND seq IN (SELECT n FROM merge_rows "
        "WHERE merge_id = ?1 AND tbl = 'events')",
        "UPDATE purchases SET ck = ?2 WHERE ck = ?3 AND id IN (SELECT s FROM merge_rows "
        "WHERE merge_id = ?1 AND tbl = 'purchases')",
        "UPDATE cards SET ck = ?2 WHERE ck = ?3 AND number IN (SELECT s FROM merge_rows "
        "WHERE merge_id = ?1 AND tbl = 'cards')",
        "UPDATE otp_codes SET ck = ?2 WHERE ck = ?3 AND id IN (SELECT s FROM merge_rows "
        "WHERE merge_id = ?1 AND tbl = 'otp_codes')",
        "DELETE FROM history WHERE ck = ?3 AND seq IN (SELECT n FROM merge_rows "
        "WHERE merge_id = ?1 AND tbl = 'history_new')",
        /* referrals of either, as they were */
        "DELETE FROM referrals WHERE friend_ck = ?2 OR friend_ck = ?3 OR (referrer_ck = ?3 AND "
        "friend_ck IN (SELECT friend_ck FROM merge_referrals WHERE merge_id = ?1 AND "
        "referrer_ck = ?2))",
        "INSERT INTO referrals (friend_ck, referrer_ck, created_at, rewarded_at, purchase_id) "
        "SELECT friend_ck, referrer_ck, created_at, rewarded_at, purchase_id FROM "
        "merge_referrals WHERE merge_id = ?1",
        /* both customers' traits as they were (the next refresh computes them again) */
        "DELETE FROM traits WHERE ck = ?2 OR ck = ?3",
        "INSERT INTO traits (ck, name, value, computed_at) SELECT ck, name, value, computed_at "
        "FROM merge_traits WHERE merge_id = ?1",
        "INSERT INTO segment_members (segment_id, ck, entered_at, left_at) SELECT segment_id, ?2, "
        "entered_at, left_at FROM merge_members WHERE merge_id = ?1 ON CONFLICT DO NOTHING",
        /* the daily counts the survivor took: subtracted, and given back */
        "UPDATE event_days SET count = count - (SELECT j.count FROM merge_event_days j WHERE "
        "j.merge_id = ?1 AND j.type = event_days.type AND j.channel = event_days.channel AND "
        "j.day = event_days.day AND j.received_day = event_days.received_day) WHERE ck = ?3 AND "
        "EXISTS (SELECT 1 FROM merge_event_days j WHERE j.merge_id = ?1 AND j.type = "
        "event_days.type AND j.channel = event_days.channel AND j.day = event_days.day AND "
        "j.received_day = event_days.received_day)",
        "DELETE FROM event_days WHERE ck = ?3 AND count <= 0",
        "INSERT INTO event_days (ck, type, channel, day, received_day, count) SELECT ?2, type, "
        "channel, day, received_day, count FROM merge_event_days WHERE merge_id = ?1",
        /* the customers merged into `from` before, pointed at it again; and `from` itself */
        "UPDATE customers SET merged_into = ?2 WHERE merged_into = ?3 AND ck IN (SELECT n FROM "
        "merge_rows WHERE merge_id = ?1 AND tbl = 'customers')",
        "UPDATE customers SET merged_into = NULL, merged_at = NULL WHERE ck = ?2",
    };
    struct sql_conn *c = (struct sql_conn *)base;
    struct arena a;
    arena_init(&a, 0);
    struct journal_row j;
    enum kt_rc rc =
        journal_get(c, "SELECT " JOURNAL_COLS " FROM merges WHERE id = ?1 AND undone_at IS NULL",
                    id, &a, &j, NULL, err);
    /* values sealed under the survivor's key first (their rows are found by `into`), then the
     * rest, then the survivor's own profile */
    if (rc == KT_OK) {
        rc = sql_merge_reseal_back(c, id, j.into, j.from, err);
    }
    if (rc == KT_OK) {
        rc = run_all(c, back, sizeof(back) / sizeof(back[0]), id, j.from, j.into, err);
    }
    if (rc == KT_OK) {
        rc = restore_survivor(c, &j, &a, err);
    }
    arena_release(&a);
    if (rc == KT_OK) {
        static const char *const done[] = {"UPDATE merges SET undone_at = ?2 WHERE id = ?1"};
        rc = run_all(c, done, 1, id, at, 0, err);
    }
    return rc;
}
