/*
 * sealed_test.c - sealed columns in the SQLite backend: what reaches the file is sealed and what
 * comes back is clear; merges reseal under the survivor; migration 0013 seals an older database
 * and a change of policy reseals; free-text attributes and sealed fields cannot be compared;
 * namesakes are found by the name key's blind index, with a birth date clear or sealed.
 */
#include "helpers.h"

#include <sqlite3.h>

#include "base/embed.h"
#include "store/sqlite/sqlite_int.h"

extern const struct embedded_file sqlite_migrations[];

static int64_t add(struct store_conn *w, const char *phone, const char *email, const char *last)
{
    struct customer c;
    memset(&c, 0, sizeof(c));
    id_new(c.id, sizeof(c.id), "c_");
    c.created_at = c.updated_at = 1000;
    c.val[PF_PHONE] = phone;
    c.val[PF_EMAIL] = email;
    c.val[PF_LAST_NAME] = last;
    c.val[PF_CITY] = "Казань";
    c.name_key = "иванова анна";
    for (int f = 0; f < PF_COUNT; f++) {
        c.at[f] = c.val[f] ? 1000 : 0;
    }
    c.attrs = "{\"nick\":\"Анюта\",\"pets\":[\"cat\"]}";
    c.attrs_at = "{\"nick\":1000,\"pets\":1000}";
    assert_int_equal(store_customer_insert(w, &c, NULL), KT_OK);
    struct ident id = {"phone", phone, c.ck, true, 1000, "pos"};
    assert_int_equal(store_ident_insert(w, &id, NULL), KT_OK);
    struct history_entry h = {0,    c.ck, 1000, "profile.phone", "set", NULL, phone, "pos", NULL,
                              NULL, NULL, NULL};
    assert_int_equal(store_history_add(w, &h, NULL), KT_OK);
    return c.ck;
}

/* Declares the free-text attribute "nick" and the list of enums "pets". */
static void declare(struct store_conn *w)
{
    struct attr_def nick = {"nick", "string", NULL, NULL, NULL, NULL, 1, 1};
    struct attr_def pets = {"pets", "list", "enum", "[\"cat\",\"dog\"]", NULL, NULL, 1, 1};
    assert_int_equal(store_attr_put(w, &nick, NULL), KT_OK);
    assert_int_equal(store_attr_put(w, &pets, NULL), KT_OK);
}

/* A value of the database as SQLite holds it: its type and whether it holds `needle`. */
static const char *raw_type(const char *sql, int64_t ck)
{
    static char t[16];
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(T.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, ck);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    kt_strlcpy(t, (const char *)sqlite3_column_text(st, 0), sizeof(t));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return t;
}

static void what_reaches_the_file_is_sealed_and_comes_back_clear(void **state)
{
    struct store_conn *w = wbegin();
    declare(w);
    int64_t ck = add(w, "+79160000001", "anna@example.com", "Иванова");
    wcommit(w);
    assert_string_equal(raw_type("SELECT typeof(phone) FROM customers WHERE ck = ?1", ck), "blob");
    assert_string_equal(raw_type("SELECT typeof(last_name) FROM customers WHERE ck = ?1", ck),
                        "blob");
    assert_string_equal(raw_type("SELECT typeof(name_key) FROM customers WHERE ck = ?1", ck),
                        "blob");
    assert_string_equal(raw_type("SELECT typeof(city) FROM customers WHERE ck = ?1", ck), "text");
    assert_string_equal(raw_type("SELECT json_extract(attrs, '$.nick') FROM customers WHERE "
                                 "ck = ?1",
                                 ck),
                        "sealed");
    assert_string_equal(raw_type("SELECT typeof(value) FROM identifiers WHERE ck = ?1", ck),
                        "blob");
    assert_string_equal(raw_type("SELECT typeof(new_value) FROM history WHERE ck = ?1", ck),
                        "blob");
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    struct customer cu;
    assert_int_equal(store_customer_get(r, ck, &A, &cu, NULL, NULL), KT_OK);
    assert_string_equal(cu.val[PF_PHONE], "+79160000001");
    assert_string_equal(cu.val[PF_LAST_NAME], "Иванова");
    assert_string_equal(cu.attrs, "{\"nick\":\"Анюта\",\"pets\":[\"cat\"]}");
    assert_true(cu.name_key[0] == '#'); /* the blind index, written back as it was */
    struct ident found;
    bool there = false;
    assert_int_equal(store_ident_find(r, "phone", "+79160000001", &A, &found, &there, NULL), KT_OK);
    assert_true(there && found.ck == ck);
    struct history_entry *h;
    size_t n;
    assert_int_equal(store_history_list(r, ck, 0, 10, &A, &h, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].new_value, "+79160000001");
    store_read_end(r);
    /* written back unchanged, it stays the same (the name key is not indexed twice) */
    w = wbegin();
    assert_int_equal(store_customer_update(w, &cu, NULL), KT_OK);
    struct customer again;
    assert_int_equal(store_customer_get(w, ck, &A, &again, NULL, NULL), KT_OK);
    assert_string_equal(again.name_key, cu.name_key);
    wcommit(w);
}

static void a_merge_reseals_under_the_survivor(void **state)
{
    struct store_conn *w = wbegin();
    int64_t a = add(w, "+79160000011", NULL, "Петров");
    int64_t b = add(w, "+79160000012", NULL, "Петров");
    assert_int_equal(store_ident_move(w, a, b, NULL), KT_OK);
    assert_int_equal(store_history_move(w, a, b, NULL), KT_OK);
    struct ident *ids;
    size_t n;
    assert_int_equal(store_ident_list(w, b, &A, &ids, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0].value, "+79160000011");
    assert_string_equal(ids[1].value, "+79160000012");
    struct history_entry *h;
    assert_int_equal(store_history_list(w, b, 0, 10, &A, &h, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    wcommit(w);
    /* the moved rows no longer open with the key of `a`: they are sealed under b's */
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(T.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT value FROM identifiers WHERE ck = ?1 ORDER BY "
                                        "created_at LIMIT 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, b);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    unsigned char ka[32], kb[32], out[256];
    size_t got;
    assert_int_equal(sq_dk((struct sql_conn *)r, a, false, ka, NULL), KT_OK);
    assert_int_equal(sq_dk((struct sql_conn *)r, b, false, kb, NULL), KT_OK);
    const unsigned char *v = sqlite3_column_blob(st, 0);
    size_t vn = (size_t)sqlite3_column_bytes(st, 0);
    bool with_b = crypt_open(kb, b, "identifiers.value", v, vn, out, &got);
    bool with_a = crypt_open(ka, a, "identifiers.value", v, vn, out, &got);
    store_read_end(r);
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_true(with_b);
    assert_false(with_a);
}

static void sealed_values_cannot_be_compared_in_a_segment(void **state)
{
    struct store_conn *w = wbegin();
    declare(w);
    add(w, "+79160000021", NULL, "Сидоров");
    wcommit(w);
    const struct store_cond nick = {
        .kind = COND_ATTR, .name = "nick", .cmp = COND_EQ, .value = {false, 0, "Анюта"}};
    const struct store_cond cat = {
        .kind = COND_ATTR_CONTAINS, .name = "pets", .value = {false, 0, "cat"}};
    struct store_conn *r;
    int64_t count = 0;
    const char **ids;
    size_t n;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(store_segment_preview(r, &nick, 1, &A, &count, &ids, &n, &err), KT_EINVAL);
    assert_string_equal(err.code, "field_sealed");
    assert_int_equal(store_segment_preview(r, &cat, 1, &A, &count, &ids, &n, NULL), KT_OK);
    assert_int_equal(count, 1); /* an enum is not free text: it stays comparable */
    bool used = false;
    assert_int_equal(store_attr_in_use(r, "nick", &used, NULL), KT_OK);
    assert_true(used); /* its name is kept in clear */
    store_read_end(r);
}

/* A namesake: name key `key`, born on `birth` (NULL: not known). */
static int64_t namesake(struct store_conn *w, const char *key, const char *birth)
{
    struct customer c;
    memset(&c, 0, sizeof(c));
    id_new(c.id, sizeof(c.id), "c_");
    c.created_at = c.updated_at = 1000;
    c.val[PF_LAST_NAME] = "Сидорова";
    c.val[PF_BIRTH_DATE] = birth;
    c.name_key = key;
    assert_int_equal(store_customer_insert(w, &c, NULL), KT_OK);
    return c.ck;
}

/* The keys found for `key` (and `birth`) after `after`, up to `limit`, as "1,3," in `out`. */
static const char *found(const char *key, const char *birth, int64_t after, int limit)
{
    static char out[64];
    struct store_conn *r;
    int64_t *cks;
    size_t n, len = 0;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(store_customer_by_name(r, key, birth, after, limit, &A, &cks, &n, NULL),
                     KT_OK);
    store_read_end(r);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        len += (size_t)kt_snprintf(out + len, sizeof(out) - len, "%lld,", (long long)cks[i]);
    }
    return out;
}

/* The search by name compares the key's blind index whole, a birth date in clear in SQL and a
 * sealed one opened; merged customers are not found. Run under both policies. */
static void namesakes_are_found_by_their_key_and_birth_date(void **state)
{
    for (int sealed = 0; sealed < 2; sealed++) {
        if (sealed) { /* the same base, its birth dates sealed */
            store_close(T.s);
            struct store_opts o = {T.path,         200, 8,     STORE_MIGRATE, 0,
                                   test_keyring(), -1,  false, NULL};
            o.sealed_fields = 1 << PF_BIRTH_DATE;
            assert_int_equal(store_open(&o, &T.s, NULL), KT_OK);
            assert_string_equal(
                raw_type("SELECT typeof(birth_date) FROM customers WHERE ck = ?1", 1), "blob");
        } else {
            struct store_conn *w = wbegin();
            namesake(w, "сидорова анна ", "1980-01-02");         /* 1 */
            namesake(w, "сидорова анна ", NULL);                 /* 2 */
            namesake(w, "сидорова анна петровна", "1980-01-02"); /* 3: another key */
            namesake(w, "сидорова анна ", "1980-01-02");         /* 4 */
            namesake(w, "сидорова анна ", "1975-05-05");         /* 5: merged into 1 below */
            assert_int_equal(store_customer_set_merged(w, 5, 1, 2000, NULL), KT_OK);
            wcommit(w);
        }
        assert_string_equal(found("сидорова анна ", NULL, 0, 10), "1,2,4,");
        assert_string_equal(found("сидорова анна ", NULL, 0, 2), "1,2,");
        assert_string_equal(found("сидорова анна ", NULL, 2, 2), "4,");
        assert_string_equal(found("сидорова анна ", "1980-01-02", 0, 10), "1,4,");
        assert_string_equal(found("сидорова анна ", "1980-01-02", 1, 1), "4,");
        assert_string_equal(found("сидорова анна ", "1975-05-05", 0, 10), "");
        assert_string_equal(found("сидорова анна петровна", NULL, 0, 10), "3,");
        assert_string_equal(found("сидорова ан", NULL, 0, 10), ""); /* no prefix */
    }
}

/* Migration 0013 on a database made by 0012 with its values in clear; then the policy changed. */
static void an_older_database_is_sealed_and_a_new_policy_reseals(void **state)
{
    store_close(T.s);
    T.s = NULL;
    unlink(T.path);
    char side[160];
    for (const char *ext = ".keys"; ext; ext = NULL) {
        kt_snprintf(side, sizeof(side), "%s%s", T.path, ext);
        unlink(side);
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(T.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                                  "name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(sqlite3_exec(db, sqlite_migrations[i].data, NULL, NULL, NULL), SQLITE_OK);
        char rec[128];
        kt_snprintf(rec, sizeof(rec), "INSERT INTO schema_migrations VALUES (%d, 'm', 0)", i + 1);
        assert_int_equal(sqlite3_exec(db, rec, NULL, NULL, NULL), SQLITE_OK);
    }
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO customers (ck, id, created_at, updated_at, last_name, "
                     "last_name_at, phone, phone_at, city, city_at, gender, gender_at, name_key) "
                     "VALUES (1, 'c_0000000000000000000a', 1, 1, 'Иванова', 1, '+79990000001', 1, "
                     "'Казань', 1, 'f', 1, 'иванова');"
                     "INSERT INTO identifiers VALUES ('phone', '+79990000001', 1, 1, 1, 'pos');"
                     "INSERT INTO history (ck, at, field, action, new_value, channel) "
                     "VALUES (1, 1, 'profile.phone', 'set', '+79990000001', 'pos');"
                     "INSERT INTO consent_events (ck, purpose, action, at, recorded_at, source, "
                     "ip, user_agent) VALUES (1, 'pd_processing', 'grant', 1, 1, 'web', "
                     "'192.0.2.1', 'UA');"
                     "INSERT INTO sms_outbox (phone, text, purpose, created_at, next_at) "
                     "VALUES ('+79990000001', 'code 123456', 'otp', 1, 1);"
                     "INSERT INTO sms_outbox (phone, text, purpose, created_at, next_at, state, "
                     "done_at) VALUES ('+79990000001', NULL, 'otp', 1, 1, 'sent', 2);"
                     "INSERT INTO idempotency VALUES ('k1', 'i1', x'00', 201, "
                     "'{\"customer\":{\"id\":\"c_0000000000000000000a\"}}', 1);"
                     "INSERT INTO privacy_requests (id, kind, received_on, deadline, channel, "
                     "note, state, created_at) VALUES ('r_1', 'access', '2026-01-01', "
                     "'2026-01-15', 'letter', 'от Ивановой', 'open', 1);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    struct store_opts o = {T.path, 200, 8, STORE_MIGRATE, 0, test_keyring(), -1, false, NULL};
    assert_int_equal(store_open(&o, &T.s, NULL), KT_OK);
    static const char *const sealed[] = {
        "SELECT typeof(last_name) FROM customers WHERE ck = ?1",
        "SELECT typeof(phone) FROM customers WHERE ck = ?1",
        "SELECT typeof(value) FROM identifiers WHERE ck = ?1",
        "SELECT typeof(new_value) FROM history WHERE ck = ?1",
        "SELECT typeof(ip) FROM consent_events WHERE ck = ?1",
        "SELECT typeof(recipient) FROM outbox WHERE ck = ?1", /* the SMS outbox folded (0025) */
        "SELECT typeof(content) FROM outbox WHERE ck = ?1",
        "SELECT typeof(body) FROM idempotency WHERE ck = ?1",
        "SELECT typeof(note) FROM privacy_requests WHERE ?1 = ?1",
    };
    for (size_t i = 0; i < sizeof(sealed) / sizeof(sealed[0]); i++) {
        assert_string_equal(raw_type(sealed[i], 1), "blob");
    }
    assert_string_equal(raw_type("SELECT typeof(city) FROM customers WHERE ck = ?1", 1), "text");
    assert_string_equal(raw_type("SELECT count(*) FROM sqlite_schema WHERE name = "
                                 "'identifiers_clear' AND ?1 = ?1",
                                 1),
                        "0");
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    struct ident found;
    bool there = false;
    assert_int_equal(store_ident_find(r, "phone", "+79990000001", &A, &found, &there, NULL), KT_OK);
    assert_true(there && found.ck == 1);
    struct consent_event *ev;
    size_t n;
    assert_int_equal(store_consent_list(r, 1, &A, &ev, &n, NULL), KT_OK);
    assert_string_equal(ev[0].ip, "192.0.2.1");
    /* the queued SMS is a message of the outbox now, opened under the same key; sms_outbox is gone
     */
    struct outbox_msg *m;
    assert_int_equal(store_outbox_due(r, (const char *[]){"sms", NULL}, 10, 5, &A, &m, &n, NULL),
                     KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].recipient, "+79990000001");
    assert_string_equal(m[0].content, "{\"text\":\"code 123456\"}");
    assert_string_equal(m[0].topic, OUTBOX_TOPIC_CODE);
    assert_int_equal(m[0].ck, 1);
    assert_int_equal(m[0].expires_at, 1 + 5 * 60 * 1000);
    store_read_end(r);
    assert_string_equal(raw_type("SELECT count(*) FROM sqlite_schema WHERE name = 'sms_outbox' "
                                 "AND ?1 = ?1",
                                 1),
                        "0");
    /* the sent one did not move: its text was blanked, its phone would be kept for nothing */
    assert_string_equal(raw_type("SELECT count(*) FROM outbox WHERE ck = ?1", 1), "1");
    /* the retailer seals city and gender too: the base is resealed at the next open */
    store_close(T.s);
    o.crypt = test_keyring();
    o.sealed_fields = (1 << PF_CITY) | (1 << PF_GENDER);
    assert_int_equal(store_open(&o, &T.s, NULL), KT_OK);
    assert_string_equal(raw_type("SELECT typeof(city) FROM customers WHERE ck = ?1", 1), "blob");
    assert_string_equal(raw_type("SELECT typeof(gender) FROM customers WHERE ck = ?1", 1), "blob");
    struct customer cu;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(store_customer_get(r, 1, &A, &cu, NULL, NULL), KT_OK);
    assert_string_equal(cu.val[PF_CITY], "Казань");
    assert_string_equal(cu.val[PF_GENDER], "f");
    store_read_end(r);
    /* a server refuses to start while a new policy waits to be applied */
    store_close(T.s);
    o.crypt = test_keyring();
    o.sealed_fields = 0;
    o.schema = STORE_REFUSE_OLD;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_open(&o, &T.s, &err), KT_ESTORE);
    assert_string_equal(err.code, "schema_behind");
    o.crypt = test_keyring();
    o.schema = STORE_MIGRATE; /* the policy is the database's from now on */
    assert_int_equal(store_open(&o, &T.s, NULL), KT_OK);
    assert_string_equal(raw_type("SELECT typeof(city) FROM customers WHERE ck = ?1", 1), "text");
}

int main(void)
{
    if (test_pg() != NULL) { /* SQLite's own files; docs/scale.md lists the twins owed */
        printf("SQLite's own test: skipped on PostgreSQL\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(what_reaches_the_file_is_sealed_and_comes_back_clear,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(a_merge_reseals_under_the_survivor, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(sealed_values_cannot_be_compared_in_a_segment, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(an_older_database_is_sealed_and_a_new_policy_reseals,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(namesakes_are_found_by_their_key_and_birth_date,
                                        store_setup, store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
