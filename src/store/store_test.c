/*
 * store_test.c - the store contract, run against a real SQLite file. Every backend must pass
 * these (the PostgreSQL backend will run the same cases).
 */
#include "helpers.h"

#include <pthread.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "base/id.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store_impl.h"

static struct store_conn *wbegin(void)
{
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    return w;
}

static void wcommit(struct store_conn *w)
{
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
}

static int64_t insert_customer(struct store_conn *w, const char *phone)
{
    struct customer c;
    memset(&c, 0, sizeof(c));
    id_new(c.id, sizeof(c.id), "c_");
    c.created_at = c.updated_at = 1000;
    c.val[PF_PHONE] = phone;
    c.at[PF_PHONE] = 1000;
    c.verified = 1u << PF_PHONE;
    c.attrs = "{\"pets\":[\"cat\"]}";
    c.attrs_at = "{\"pets\":1000}";
    assert_int_equal(store_customer_insert(w, &c, NULL), KT_OK);
    assert_true(c.ck > 0);
    struct ident id = {"phone", phone, c.ck, true, 1000, "pos"};
    assert_int_equal(store_ident_insert(w, &id, NULL), KT_OK);
    return c.ck;
}

static void migrations_are_recorded_and_reapplying_is_a_no_op(void **state)
{
    int have = 0, want = 0, applied = -1;
    assert_int_equal(store_schema_version(T.s, &have, &want, NULL), KT_OK);
    assert_true(want >= 1);
    assert_int_equal(have, want);
    assert_int_equal(store_migrate(T.s, &applied, NULL), KT_OK);
    assert_int_equal(applied, 0);
}

static void customers_round_trip(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = insert_customer(w, "+79161234567");
    struct customer c;
    assert_int_equal(store_customer_get(w, ck, &A, &c, NULL), KT_OK);
    c.val[PF_FIRST_NAME] = "Анна";
    c.at[PF_FIRST_NAME] = 2000;
    c.updated_at = 2000;
    assert_int_equal(store_customer_update(w, &c, NULL), KT_OK);
    wcommit(w);

    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    struct customer got;
    assert_int_equal(store_customer_get_by_id(r, c.id, &A, &got, NULL), KT_OK);
    assert_string_equal(got.val[PF_FIRST_NAME], "Анна");
    assert_string_equal(got.val[PF_PHONE], "+79161234567");
    assert_null(got.val[PF_EMAIL]);
    assert_true(got.at[PF_FIRST_NAME] == 2000);
    assert_int_equal(got.verified, 1u << PF_PHONE);
    assert_string_equal(got.attrs, "{\"pets\":[\"cat\"]}");
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_customer_get_by_id(r, "c_0000000000000000000a", &A, &got, &err),
                     KT_ENOTFOUND);
    assert_string_equal(err.code, "customer_not_found");
    store_read_end(r);
}

static void identifiers_are_unique(void **state)
{
    struct store_conn *w = wbegin();
    int64_t a = insert_customer(w, "+79161111111");
    int64_t b = insert_customer(w, "+79162222222");
    struct ident dup = {"phone", "+79161111111", b, false, 1, "web"};
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_ident_insert(w, &dup, &err), KT_ECONFLICT);
    struct ident found;
    assert_int_equal(store_ident_find(w, "phone", "+79161111111", &A, &found, NULL), KT_OK);
    assert_true(found.ck == a);
    assert_true(found.verified);
    assert_int_equal(store_ident_find(w, "email", "+79161111111", &A, &found, NULL), KT_ENOTFOUND);
    wcommit(w);
}

static void rollback_leaves_nothing(void **state)
{
    struct store_conn *w = wbegin();
    insert_customer(w, "+79163333333");
    store_write_rollback(w);
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    struct ident found;
    assert_int_equal(store_ident_find(r, "phone", "+79163333333", &A, &found, NULL), KT_ENOTFOUND);
    store_read_end(r);
}

static void merge_moves_everything_and_old_id_answers_with_survivor(void **state)
{
    struct store_conn *w = wbegin();
    int64_t a = insert_customer(w, "+79164444444");
    int64_t b = insert_customer(w, "+79165555555");
    int64_t c = insert_customer(w, "+79166666666");
    struct history_entry h = {0,     b,    5,    "profile.phone", "set", NULL, "+79165555555",
                              "pos", NULL, NULL, "rid",           NULL};
    assert_int_equal(store_history_add(w, &h, NULL), KT_OK);
    assert_int_equal(store_merge_candidate_add(w, b, a, "shared_identifier", 5, NULL), KT_OK);
    assert_int_equal(store_merge_candidate_add(w, a, b, "shared_identifier", 6, NULL), KT_OK);
    int64_t open = 0;
    assert_int_equal(store_merge_candidate_count(w, a, &open, NULL), KT_OK);
    assert_true(open == 1);
    /* c into b, then b into a: c must follow to a in one hop */
    assert_int_equal(store_ident_move(w, c, b, NULL), KT_OK);
    assert_int_equal(store_customer_set_merged(w, c, b, 7, NULL), KT_OK);
    assert_int_equal(store_ident_move(w, b, a, NULL), KT_OK);
    assert_int_equal(store_history_move(w, b, a, NULL), KT_OK);
    assert_int_equal(store_customer_set_merged(w, b, a, 8, NULL), KT_OK);
    assert_int_equal(store_merge_candidate_resolve(w, a, b, 8, NULL), KT_OK);
    assert_int_equal(store_merge_candidate_count(w, a, &open, NULL), KT_OK);
    assert_true(open == 0);

    struct customer cc, ca;
    assert_int_equal(store_customer_get(w, c, &A, &cc, NULL), KT_OK);
    assert_true(cc.merged_into == a);
    struct customer survivor;
    assert_int_equal(store_customer_get_by_id(w, cc.id, &A, &survivor, NULL), KT_OK);
    assert_true(survivor.ck == a);
    assert_int_equal(store_customer_get(w, a, &A, &ca, NULL), KT_OK);
    struct ident *ids;
    size_t n;
    assert_int_equal(store_ident_list(w, a, &A, &ids, &n, NULL), KT_OK);
    assert_int_equal(n, 3);
    const char **merged;
    assert_int_equal(store_customer_merged_from(w, a, &A, &merged, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    struct history_entry *hs;
    assert_int_equal(store_history_list(w, a, 0, 10, &A, &hs, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(hs[0].new_value, "+79165555555");
    /* merged customers are not listed */
    struct customer *list;
    assert_int_equal(store_customer_list(w, NULL, 100, &A, &list, &n, NULL), KT_OK);
    for (size_t i = 0; i < n; i++) {
        assert_true(list[i].ck != b && list[i].ck != c);
    }
    wcommit(w);
}

static void list_pages_by_cursor(void **state)
{
    struct store_conn *w = wbegin();
    char phone[16];
    for (int i = 0; i < 25; i++) {
        kt_snprintf(phone, sizeof(phone), "+7917000%04d", i);
        insert_customer(w, arena_strdup(&A, phone));
    }
    wcommit(w);
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    const char *cursor = NULL;
    size_t total = 0, n;
    char last[ID_MAX] = "";
    do {
        struct customer *page;
        assert_int_equal(store_customer_list(r, cursor, 10, &A, &page, &n, NULL), KT_OK);
        for (size_t i = 0; i < n; i++) {
            assert_true(strcmp(page[i].id, last) > 0);
            kt_strlcpy(last, page[i].id, sizeof(last));
        }
        total += n;
        cursor = n ? arena_strdup(&A, page[n - 1].id) : NULL;
    } while (n == 10);
    assert_int_equal(total, 25);
    store_read_end(r);
}

static void attributes_keys_and_idempotency(void **state)
{
    struct store_conn *w = wbegin();
    struct attr_def d = {"pets", "list", "enum", "[\"cat\",\"dog\"]", "Питомцы", NULL, 1, 1};
    assert_int_equal(store_attr_put(w, &d, NULL), KT_OK);
    d.title = "Pets";
    d.updated_at = 2;
    assert_int_equal(store_attr_put(w, &d, NULL), KT_OK);
    struct attr_def got;
    assert_int_equal(store_attr_get(w, "pets", &A, &got, NULL), KT_OK);
    assert_string_equal(got.title, "Pets");
    assert_true(got.created_at == 1 && got.updated_at == 2);
    bool used = true;
    assert_int_equal(store_attr_in_use(w, "pets", &used, NULL), KT_OK);
    assert_false(used);
    insert_customer(w, "+79167777777"); /* holds pets */
    assert_int_equal(store_attr_in_use(w, "pets", &used, NULL), KT_OK);
    assert_true(used);

    struct api_key k;
    memset(&k, 0, sizeof(k));
    kt_strlcpy(k.id, "abcdefghjkmn", sizeof(k.id));
    k.name = "till 1";
    k.scope = SCOPE_POS;
    memset(k.hash, 7, sizeof(k.hash));
    k.created_at = 3;
    assert_int_equal(store_key_insert(w, &k, NULL), KT_OK);
    assert_int_equal(store_key_revoke(w, "abcdefghjkmn", 4, NULL), KT_OK);
    assert_int_equal(store_key_revoke(w, "abcdefghjkmn", 5, NULL), KT_ENOTFOUND);
    struct api_key gk;
    assert_int_equal(store_key_get(w, "abcdefghjkmn", &A, &gk, NULL), KT_OK);
    assert_true(gk.revoked_at == 4 && gk.scope == SCOPE_POS && gk.hash[31] == 7);

    struct idem_record rec = {"abcdefghjkmn", "idem-1", {1, 2, 3}, 201, "{\"a\":1}", 100};
    assert_int_equal(store_idem_put(w, &rec, NULL), KT_OK);
    struct idem_record g;
    assert_int_equal(store_idem_get(w, "abcdefghjkmn", "idem-1", &A, &g, NULL), KT_OK);
    assert_int_equal(g.status, 201);
    assert_int_equal(g.req_hash[2], 3);
    assert_int_equal(store_idem_expire(w, 101, NULL), KT_OK);
    assert_int_equal(store_idem_get(w, "abcdefghjkmn", "idem-1", &A, &g, NULL), KT_ENOTFOUND);
    wcommit(w);
}

/* Another process holding the write lock makes a writer give up with KT_EBUSY, not hang. */
static void a_locked_database_is_busy(void **state)
{
    sqlite3 *other;
    assert_int_equal(sqlite3_open(T.path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    struct store_conn *w;
    struct kt_err err;
    kt_err_reset(&err);
    int64_t t0 = clock_mono_ns();
    assert_int_equal(store_write_begin(T.s, &w, &err), KT_EBUSY);
    assert_string_equal(err.code, "store_busy");
    assert_true(clock_mono_ns() - t0 < 5000000000LL);
    /* readers are not blocked by a writer in WAL mode */
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(store_ping(r, NULL), KT_OK);
    store_read_end(r);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    wcommit(w);
}

static void *reader_thread(void *arg)
{
    for (int i = 0; i < 200; i++) {
        struct store_conn *r;
        if (store_read_begin(T.s, &r, NULL) != KT_OK) {
            return (void *)1;
        }
        struct ident found;
        struct arena a;
        arena_init(&a, 0);
        enum kt_rc rc = store_ident_find(r, "phone", "+79168888888", &a, &found, NULL);
        arena_release(&a);
        store_read_end(r);
        if (rc != KT_OK && rc != KT_ENOTFOUND) {
            return (void *)1;
        }
    }
    return NULL;
}

static void readers_run_beside_the_writer(void **state)
{
    pthread_t th[12]; /* more than max_readers (8): some must wait for a pooled connection */
    for (int i = 0; i < 12; i++) {
        pthread_create(&th[i], NULL, reader_thread, NULL);
    }
    for (int i = 0; i < 20; i++) {
        struct store_conn *w = wbegin();
        char phone[16];
        kt_snprintf(phone, sizeof(phone), "+7918000%04d", i);
        insert_customer(w, arena_strdup(&A, phone));
        wcommit(w);
    }
    for (int i = 0; i < 12; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
}

static void a_newer_schema_is_refused(void **state)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(T.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', "
                                  "0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    struct store_opts o = {T.path, 200, 8, STORE_MIGRATE, 0};
    struct store *s2 = NULL;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_open(&o, &s2, &err), KT_ESTORE);
    assert_string_equal(err.code, "schema_ahead");
    assert_null(s2);
}

/* A card number is held by a card, a card identifier or a suppression hash; enrolments are
 * counted per key and per store since a time, with the oldest, and old ones are purged. */
static void card_numbers_held_and_enrolments_counted(void **state)
{
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    int64_t ck = insert_customer(w, "+79990000301");
    unsigned char h1[32] = {1}, h2[32] = {2};
    struct ident id = {"card", "2000000000015", ck, false, 1000, "pos"};
    assert_int_equal(store_ident_insert(w, &id, NULL), KT_OK);
    struct card cd = {.kind = "physical", .state = "issued", .issued_at = 1, .state_at = 1};
    kt_strlcpy(cd.number, "2000000000022", sizeof(cd.number));
    assert_int_equal(store_card_insert(w, &cd, NULL), KT_OK);
    assert_int_equal(store_suppress_add(w, h1, "card", "a_1", 1, NULL), KT_OK);
    struct {
        const char *number;
        const unsigned char *hash;
        bool held;
    } cases[] = {{"2000000000015", h2, true},
                 {"2000000000022", h2, true},
                 {"2000000000039", h1, true},
                 {"2000000000039", h2, false}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool held = !cases[i].held;
        assert_int_equal(store_card_number_held(w, cases[i].number, cases[i].hash, &held, NULL),
                         KT_OK);
        assert_int_equal(held, cases[i].held);
    }
    int64_t n, oldest;
    assert_int_equal(store_enrol_add(w, "k1", "S-1", 100, 0, NULL), KT_OK);
    assert_int_equal(store_enrol_add(w, "k1", NULL, 200, 0, NULL), KT_OK);
    assert_int_equal(store_enrol_add(w, NULL, "S-1", 300, 0, NULL), KT_OK);
    assert_int_equal(store_enrol_count(w, "k1", NULL, 0, &n, &oldest, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(oldest, 100);
    assert_int_equal(store_enrol_count(w, NULL, "S-1", 150, &n, &oldest, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(oldest, 300);
    assert_int_equal(store_enrol_add(w, "k1", "S-1", 400, 250, NULL), KT_OK); /* purges 100, 200 */
    assert_int_equal(store_enrol_count(w, "k1", NULL, 0, &n, &oldest, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(oldest, 400);
    assert_int_equal(store_enrol_count(w, "k9", NULL, 0, &n, &oldest, NULL), KT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(oldest, 0);
    wcommit(w);
}

/* Every operation of the backend is filled in: a missing one would be a NULL call at run time. */
static void every_operation_is_implemented(void **state)
{
    const void *const *op = (const void *const *)&store_sqlite_ops;
    size_t n = sizeof(store_sqlite_ops) / sizeof(void *);
    _Static_assert(sizeof(store_sqlite_ops) % sizeof(void *) == 0, "ops are pointers only");
    for (size_t i = 0; i < n; i++) {
        if (op[i] == NULL) {
            fail_msg("store_sqlite_ops has no operation in slot %zu", i);
        }
    }
}

/* No text of a segment query reaches SQL as SQL: string values, event types and property names
 * made of quotes, comments and statements become parameters, and every kind of condition makes
 * SQL that runs. */
static void segment_queries_reach_sql_only_as_parameters(void **state)
{
    (void)state;
    static const char *const hostile[] = {
        "city = \"x'); DROP TABLE customers; --\"",
        "city in (\"a' OR '1'='1\", \"\\\" OR 1=1 --\")",
        "events(page_view where url = \"'; DELETE FROM events; --\", last 3 days) >= 1",
        "events(zz_customers_x where x1 = 5) >= 0 and not has email",
        "gender != \"f\" or age between 25 and 40 or age = 30 or age != 31 or age < 18",
        "purchases(last 90 days).count >= 3 or purchases().sum > 50000 or "
        "purchases(last 1 day).average <= 10",
        "days since last purchase > 90 or points.balance >= 500",
        "birth_date between \"1980-01-01\" and \"1989-12-31\"",
        "bought(category \"'); DROP TABLE purchases; --\", last 60 days) or bought(sku \"x\")",
        "birthday within 366 days and pets contains \"' OR 1=1\" and zz_customers_x != 1",
        "consent(ads, sms) and subscribed(\"x'; DROP TABLE topics; --\", email) or "
        "not profile complete or consent(pd_processing)",
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct seg_node *n;
        struct seg_error e;
        if (!segment_parse(hostile[i], &A, &n, &e)) {
            fail_msg("'%s': %s", hostile[i], e.message);
        }
        struct seg_sql *q = calloc(1, sizeof(*q));
        sq_segment_sql(n, 1800000000000LL, &A, q);
        const char *sql = buf_cstr(&q->sql);
        assert_null(strchr(sql, '\''));
        assert_null(strchr(sql, '"'));
        assert_null(strstr(sql, "DROP"));
        assert_null(strstr(sql, "DELETE"));
        assert_null(strstr(sql, "zz_customers_x")); /* even a harmless-looking name */
        size_t marks = 0;
        for (const char *c = sql; *c; c++) {
            marks += *c == '?';
        }
        assert_int_equal(marks, q->n);
        buf_release(&q->sql);
        free(q);
        struct store_conn *rd;
        int64_t count = -1;
        const char **ids;
        size_t n_ids;
        assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
        assert_int_equal(
            store_segment_preview(rd, n, 1800000000000LL, 5, &A, &count, &ids, &n_ids, NULL),
            KT_OK);
        store_read_end(rd);
        assert_true(count >= 0);
    }
    struct store_conn *rd;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(sqlite3_exec(((struct sq_conn *)rd)->db,
                                  "SELECT count(*) FROM customers; SELECT count(*) FROM events",
                                  NULL, NULL, NULL),
                     SQLITE_OK); /* still there */
    store_read_end(rd);
}

/* Reject lines: a file in line order, a line found by any of its keyed hashes, the header kept
 * once, lines past the term gone and a header left without lines with them. */
static void reject_lines_are_forgotten_by_hash_and_expire(void **state)
{
    static const unsigned char k1[1][32] = {{1}}, k2[2][32] = {{2}, {3}}, none[1][32] = {{9}};
    struct import_reject lines[] = {
        {"i_a", IMPORT_REJECT_HEADER, 1000, "h\r\n", NULL, 0},
        {"i_a", 3, 1000, "c;3\r\n", k2, 2},
        {"i_a", 2, 1000, "b;2\r\n", k1, 1},
        {"i_a", IMPORT_REJECT_HEADER, 5000, "again\r\n", NULL, 0},
        {"i_b", IMPORT_REJECT_HEADER, 9000, "h\r\n", NULL, 0},
        {"i_b", 2, 9000, "x;2\r\n", k1, 1},
    };
    struct store_conn *w = wbegin();
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        assert_int_equal(store_reject_add(w, &lines[i], NULL), KT_OK);
    }
    struct buf b;
    buf_init(&b, 0);
    int64_t rows = 0, removed = 0;
    assert_int_equal(store_reject_file(w, "i_a", &b, &rows, NULL), KT_OK);
    assert_string_equal(buf_cstr(&b), "h\r\nb;2\r\nc;3\r\n");
    assert_int_equal(rows, 2);
    assert_int_equal(store_reject_forget(w, none, 1, &removed, NULL), KT_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(
        store_reject_forget(w, (const unsigned char(*)[32]) & k2[1], 1, &removed, NULL), KT_OK);
    assert_int_equal(removed, 1);
    buf_reset(&b);
    assert_int_equal(store_reject_file(w, "i_a", &b, &rows, NULL), KT_OK);
    assert_string_equal(buf_cstr(&b), "h\r\nb;2\r\n");
    /* k1 is in both imports */
    assert_int_equal(store_reject_forget(w, k1, 1, &removed, NULL), KT_OK);
    assert_int_equal(removed, 2);
    buf_reset(&b);
    assert_int_equal(store_reject_file(w, "i_a", &b, &rows, NULL), KT_OK);
    assert_int_equal(rows, 0);
    /* expiry: i_a's header has no line left and is past the term; i_b's is not */
    struct import_reject y = {"i_b", 4, 20000, "y;4\r\n", k1, 1};
    assert_int_equal(store_reject_add(w, &y, NULL), KT_OK);
    assert_int_equal(store_reject_expire(w, 10000, 100, &removed, NULL), KT_OK);
    assert_int_equal(removed, 0);
    buf_reset(&b);
    assert_int_equal(store_reject_file(w, "i_a", &b, &rows, NULL), KT_OK);
    assert_int_equal(b.len, 0);
    assert_int_equal(store_reject_expire(w, 30000, 100, &removed, NULL), KT_OK);
    assert_int_equal(removed, 1);
    buf_reset(&b);
    assert_int_equal(store_reject_file(w, "i_b", &b, &rows, NULL), KT_OK);
    assert_int_equal(b.len, 0);
    /* the hashes went with their lines */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(((struct sq_conn *)w)->db,
                                        "SELECT count(*) FROM import_reject_keys", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    wcommit(w);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_operation_is_implemented),
        cmocka_unit_test_setup_teardown(migrations_are_recorded_and_reapplying_is_a_no_op,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(customers_round_trip, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(identifiers_are_unique, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(rollback_leaves_nothing, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(merge_moves_everything_and_old_id_answers_with_survivor,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(list_pages_by_cursor, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(attributes_keys_and_idempotency, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_locked_database_is_busy, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(readers_run_beside_the_writer, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(a_newer_schema_is_refused, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(card_numbers_held_and_enrolments_counted, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(reject_lines_are_forgotten_by_hash_and_expire, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(segment_queries_reach_sql_only_as_parameters, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
