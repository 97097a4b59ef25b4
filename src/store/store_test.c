/*
 * store_test.c - the store contract, run against a real SQLite file. Every backend must pass
 * these (the PostgreSQL backend will run the same cases): part one - schema, customers,
 * identifiers, merges, keys, transactions, conditions; part two, the records the domain modules
 * keep, is store_records_test.c; part three, acts of destruction and blocks, store_privacy_test.c.
 */
#include "helpers.h"

#include <pthread.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "base/id.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store_impl.h"

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
    assert_int_equal(store_customer_get(w, ck, &A, &c, NULL, NULL), KT_OK);
    c.val[PF_FIRST_NAME] = "Анна";
    c.at[PF_FIRST_NAME] = 2000;
    c.updated_at = 2000;
    assert_int_equal(store_customer_update(w, &c, NULL), KT_OK);
    wcommit(w);

    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    struct customer got;
    assert_int_equal(store_customer_get_by_id(r, c.id, &A, &got, NULL, NULL), KT_OK);
    assert_string_equal(got.val[PF_FIRST_NAME], "Анна");
    assert_string_equal(got.val[PF_PHONE], "+79161234567");
    assert_null(got.val[PF_EMAIL]);
    assert_true(got.at[PF_FIRST_NAME] == 2000);
    assert_int_equal(got.verified, 1u << PF_PHONE);
    assert_string_equal(got.attrs, "{\"pets\":[\"cat\"]}");
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_customer_get_by_id(r, "c_0000000000000000000a", &A, &got, NULL, &err),
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
    assert_int_equal(store_ident_find(w, "phone", "+79161111111", &A, &found, NULL, NULL), KT_OK);
    assert_true(found.ck == a);
    assert_true(found.verified);
    assert_int_equal(store_ident_find(w, "email", "+79161111111", &A, &found, NULL, NULL),
                     KT_ENOTFOUND);
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
    assert_int_equal(store_ident_find(r, "phone", "+79163333333", &A, &found, NULL, NULL),
                     KT_ENOTFOUND);
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
    assert_int_equal(store_customer_get(w, c, &A, &cc, NULL, NULL), KT_OK);
    assert_true(cc.merged_into == a);
    struct customer survivor;
    assert_int_equal(store_customer_get_by_id(w, cc.id, &A, &survivor, NULL, NULL), KT_OK);
    assert_true(survivor.ck == a);
    assert_int_equal(store_customer_get(w, a, &A, &ca, NULL, NULL), KT_OK);
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
    assert_int_equal(store_attr_get(w, "pets", &A, &got, NULL, NULL), KT_OK);
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
    assert_int_equal(store_key_get(w, "abcdefghjkmn", &A, &gk, NULL, NULL), KT_OK);
    assert_true(gk.revoked_at == 4 && gk.scope == SCOPE_POS && gk.hash[31] == 7);

    struct idem_record rec = {"abcdefghjkmn", "idem-1", {1, 2, 3}, 201, "{\"a\":1}", 100, 0};
    assert_int_equal(store_idem_put(w, &rec, NULL), KT_OK);
    struct idem_record g;
    assert_int_equal(store_idem_get(w, "abcdefghjkmn", "idem-1", &A, &g, NULL, NULL), KT_OK);
    assert_int_equal(g.status, 201);
    assert_int_equal(g.req_hash[2], 3);
    assert_int_equal(store_idem_expire(w, 101, NULL), KT_OK);
    assert_int_equal(store_idem_get(w, "abcdefghjkmn", "idem-1", &A, &g, NULL, NULL), KT_ENOTFOUND);
    wcommit(w);
}

/* Another process holding the write lock makes a writer give up with KT_EBUSY, not hang. */
static void a_locked_database_is_busy(void **state)
{
    SQLITE_ONLY(); /* another process's lock on the file; PostgreSQL's writers' lock is pg.c's */
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

/* A reader's failure, kept for the main thread to report once every thread has stopped (the
 * store must outlive them all: an assertion failing while they run would close it under them). */
static char reader_failed[160];
static pthread_mutex_t reader_mu = PTHREAD_MUTEX_INITIALIZER;

static void *reader_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        struct store_conn *r;
        struct kt_err err;
        kt_err_reset(&err);
        enum kt_rc rc = store_read_begin(T.s, &r, &err);
        /* 12 readers share 8 pooled connections and the test's store waits 200 ms for one: on a
         * loaded machine a wait runs out, and store_busy is the answer to retry (as a server's
         * 503 with Retry-After), not a failure; a few tries, then it is one */
        for (int tries = 0; rc == KT_EBUSY && tries < 50; tries++) {
            kt_err_reset(&err);
            rc = store_read_begin(T.s, &r, &err);
        }
        if (rc == KT_OK) {
            struct ident found;
            struct arena a;
            arena_init(&a, 0);
            bool got;
            rc = store_ident_find(r, "phone", "+79168888888", &a, &found, &got, &err);
            arena_release(&a);
            store_read_end(r);
        }
        if (rc != KT_OK) {
            pthread_mutex_lock(&reader_mu);
            kt_snprintf(reader_failed, sizeof(reader_failed), "read %d: %s (%s)", i, err.code,
                        err.msg);
            pthread_mutex_unlock(&reader_mu);
            return (void *)1;
        }
    }
    return NULL;
}

static void readers_run_beside_the_writer(void **state)
{
    pthread_t th[12]; /* more than max_readers (8): some must wait for a pooled connection */
    reader_failed[0] = '\0';
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
    int failed = 0;
    for (int i = 0; i < 12; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        failed += ret != NULL;
    }
    if (failed > 0) {
        fail_msg("%d of 12 readers failed; %s", failed, reader_failed);
    }
}

static void a_newer_schema_is_refused(void **state)
{
    SQLITE_ONLY(); /* written into the file itself */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(T.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', "
                                  "0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    struct store_opts o = {T.path, 200, 8, STORE_MIGRATE, 0, test_keyring(), -1, false, NULL};
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
/* A lookup given `found` raises nothing when the row is absent; without it, its not-found code.
 * Every operation that takes `found` is here (store_ops.def). */
static void a_lookup_that_may_find_nothing_raises_nothing(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = insert_customer(w, "+79160000001");
    struct kt_err err;
    kt_err_reset(&err);
    bool f = true;
    union {
        struct customer cu;
        struct ident id;
        struct api_key key;
        struct attr_def attr;
        struct idem_record idem;
        struct consent_doc doc;
        struct due_item due;
        struct purchase p;
        struct refund rf;
        struct card card;
        struct otp_code otp;
        struct privacy_request preq;
    } o;
    const char *s;
    int64_t v[4];
    unsigned char tag[32] = {0};
#define NOTHING(call)                                                                              \
    do {                                                                                           \
        f = true;                                                                                  \
        assert_int_equal(call, KT_OK);                                                             \
        assert_false(f);                                                                           \
        assert_int_equal(err.rc, KT_OK);                                                           \
    } while (0)
    NOTHING(store_customer_get(w, ck + 100, &A, &o.cu, &f, &err));
    NOTHING(store_customer_get_by_id(w, "c_nobody", &A, &o.cu, &f, &err));
    NOTHING(store_ident_find(w, "phone", "+79160000002", &A, &o.id, &f, &err));
    NOTHING(store_meta_get(w, "never_set", &A, &s, &f, &err));
    NOTHING(store_key_get(w, "nokey", &A, &o.key, &f, &err));
    NOTHING(store_attr_get(w, "nothing", &A, &o.attr, &f, &err));
    NOTHING(store_idem_get(w, "nokey", "x", &A, &o.idem, &f, &err));
    NOTHING(store_doc_get(w, "nodoc", 0, &A, &o.doc, &f, &err));
    NOTHING(store_preq_close(w, "r_none", "done", NULL, 1000, &f, &err));
    NOTHING(store_preq_extend(w, "r_none", "2026-01-01", false, "why", 1000, &f, &err));
    NOTHING(store_preq_get(w, "r_none", &A, &o.preq, &f, &err));
    NOTHING(store_preq_open_of(w, "c_nobody", "erasure", &A, &o.preq, &f, &err));
    NOTHING(store_due_next(w, 1000, &A, &o.due, &f, &err));
    NOTHING(store_due_pending(w, ck, "erase", &v[0], &f, &err));
    NOTHING(store_program_get(w, &A, &s, &v[0], &v[1], &v[2], &f, &err));
    NOTHING(store_purchase_find(w, "S-1", "R-0", &A, &o.p, &f, &err));
    NOTHING(store_refund_find(w, "p_none", "F-0", &A, &o.rf, &f, &err));
    NOTHING(store_card_get(w, "2000000000008", &A, &o.card, &f, &err));
    NOTHING(store_otp_latest(w, tag, &A, &o.otp, &f, &err));
    NOTHING(store_otp_get(w, "o_none", &A, &o.otp, &f, &err));
    NOTHING(store_referral_get(w, ck, &v[0], &v[1], &f, &err));
#undef NOTHING
    /* Found, it says so; without `found`, absence is the error it always was. */
    assert_int_equal(store_customer_get(w, ck, &A, &o.cu, &f, &err), KT_OK);
    assert_true(f);
    assert_int_equal(store_ident_find(w, "phone", "+79160000001", &A, &o.id, &f, &err), KT_OK);
    assert_true(f && o.id.ck == ck);
    assert_int_equal(store_customer_get_by_id(w, "c_nobody", &A, &o.cu, NULL, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "customer_not_found");
    kt_err_reset(&err);
    assert_int_equal(store_preq_close(w, "r_none", "done", NULL, 1000, NULL, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "request_not_found");
    kt_err_reset(&err);
    assert_int_equal(store_due_pending(w, ck, "erase", &v[0], NULL, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "nothing_due");
    store_write_rollback(w);
}

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

#define NOW     1800000000000LL
#define HOSTILE "x'); DROP TABLE customers; --"

/* SQL of a condition: no quote, no statement and no name of it in the text, and as many
 * placeholders as values. */
static void assert_only_parameters(const struct store_cond *q)
{
    struct sql_cond_sql *sql = calloc(1, sizeof(*sql));
    sql_cond_sql(q, &A, sql);
    const char *text = buf_cstr(&sql->sql);
    assert_null(strchr(text, '\''));
    assert_null(strchr(text, '"'));
    assert_null(strstr(text, "DROP"));
    assert_null(strstr(text, "DELETE"));
    assert_null(strstr(text, "zz_customers_x")); /* even a harmless-looking name */
    size_t marks = 0;
    for (const char *c = text; *c; c++) {
        marks += *c == '?';
    }
    assert_int_equal(marks, sql->n);
    buf_release(&sql->sql);
    free(sql);
}

static int64_t preview_count(const struct store_cond *q)
{
    struct store_conn *rd;
    int64_t count = -1;
    const char **ids;
    size_t n_ids;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_segment_preview(rd, q, 5, &A, &count, &ids, &n_ids, NULL), KT_OK);
    store_read_end(rd);
    assert_true(count >= 0 && (size_t)count >= n_ids);
    return count;
}

/* No text of a condition reaches SQL as SQL: values, event types, property values, segment,
 * trait and topic names made of quotes, comments and statements become parameters, and every
 * kind of condition makes SQL that runs - alone, and all of them in one tree. */
static void conditions_reach_sql_only_as_parameters(void **state)
{
    static const char *const texts[] = {"a' OR '1'='1", "\" OR 1=1 --"};
    const struct store_cond kinds[] = {
        {.kind = COND_FIELD_SET, .field = PF_EMAIL},
        {.kind = COND_FIELD_CMP, .field = PF_CITY, .cmp = COND_NE, .value = {false, 0, HOSTILE}},
        {.kind = COND_FIELD_IN, .field = PF_CITY, .texts = texts, .n_texts = 2},
        {.kind = COND_FIELD_VERIFIED, .field = PF_PHONE},
        {.kind = COND_BIRTHDAY_IN, .texts = texts, .n_texts = 2},
        {.kind = COND_EVENTS,
         .name = "zz_customers_x",
         .since = NOW - 1000,
         .prop = "url",
         .prop_value = {false, 0, "'; DELETE FROM events; --"},
         .cmp = COND_GE,
         .value = {true, 1, NULL}},
        {.kind = COND_EVENTS, .name = HOSTILE, .prop = "x1", .prop_value = {true, 5, NULL}},
        {.kind = COND_PURCHASES, .agg = COND_SUM, .since = 1, .cmp = COND_GT, .value = {true, 9}},
        {.kind = COND_PURCHASES, .agg = COND_AVERAGE, .cmp = COND_LE, .value = {true, 1000}},
        {.kind = COND_DAYS_SINCE_PURCHASE, .now = NOW, .cmp = COND_GT, .value = {true, 90}},
        {.kind = COND_POINTS, .cmp = COND_GE, .value = {true, 500}},
        {.kind = COND_BOUGHT, .value = {false, 0, HOSTILE}, .since = NOW - 1000},
        {.kind = COND_BOUGHT, .by_sku = true, .value = {false, 0, "x"}},
        {.kind = COND_ATTR, .name = "zz_customers_x", .cmp = COND_NE, .value = {true, 1}},
        {.kind = COND_ATTR_CONTAINS, .name = "pets", .value = {false, 0, "' OR 1=1"}},
        {.kind = COND_IN_SEGMENT, .name = HOSTILE},
        {.kind = COND_TRAIT, .name = HOSTILE, .cmp = COND_EQ, .value = {false, 0, HOSTILE}},
        {.kind = COND_CONSENT, .name = HOSTILE, .channel = "", .now = NOW},
        {.kind = COND_TOPIC_CHANNEL, .name = HOSTILE, .channel = "email"},
        {.kind = COND_SUBSCRIBED, .name = HOSTILE, .channel = "' OR 1=1"},
    };
    const size_t n = sizeof(kinds) / sizeof(kinds[0]);
    const struct store_cond *all = &kinds[0];
    for (size_t i = 0; i < n; i++) {
        assert_only_parameters(&kinds[i]);
        preview_count(&kinds[i]);
        if (i > 0) { /* a tree of every kind and every joint */
            struct store_cond *j = arena_zalloc(&A, sizeof(*j));
            *j = (struct store_cond){.kind = i % 3 == 0 ? COND_AND : COND_OR, .a = all};
            struct store_cond *not = arena_zalloc(&A, sizeof(*not ));
            *not = (struct store_cond){.kind = COND_NOT, .a = &kinds[i]};
            j->b = i % 2 ? not : &kinds[i];
            all = j;
        }
    }
    assert_only_parameters(all);
    preview_count(all);
    struct store_conn *rd;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(sql_exec((struct sql_conn *)rd,
                              "SELECT count(*) FROM customers; SELECT count(*) FROM events", NULL),
                     KT_OK); /* still there */
    store_read_end(rd);
}

/* A condition finds whom it means: the profile, its verification, a list attribute, the
 * negation of an unknown; and the members a refresh would write (segment_eval), in ck order. A
 * comparison with a sealed value is refused (field_sealed). */
static void conditions_find_whom_they_mean(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck1 = insert_customer(w, "+79160000001"); /* verified phone, pets ["cat"] */
    int64_t ck2 = insert_customer(w, "+79160000002");
    struct customer cu;
    assert_int_equal(store_customer_get(w, ck1, &A, &cu, NULL, NULL), KT_OK);
    cu.val[PF_CITY] = "Казань"; /* in clear unless --sealed-fields says otherwise */
    cu.at[PF_CITY] = 1000;
    assert_int_equal(store_customer_update(w, &cu, NULL), KT_OK);
    wcommit(w);
    const struct store_cond phone = {.kind = COND_FIELD_SET, .field = PF_PHONE};
    const struct store_cond email = {.kind = COND_FIELD_SET, .field = PF_EMAIL};
    const struct store_cond no_email = {.kind = COND_NOT, .a = &email};
    const struct store_cond verified = {.kind = COND_FIELD_VERIFIED, .field = PF_PHONE};
    const struct store_cond unverified = {.kind = COND_FIELD_VERIFIED, .field = PF_EMAIL};
    const struct store_cond cat = {
        .kind = COND_ATTR_CONTAINS, .name = "pets", .value = {false, 0, "cat"}};
    const struct store_cond dog = {
        .kind = COND_ATTR_CONTAINS, .name = "pets", .value = {false, 0, "dog"}};
    const struct store_cond one = {
        .kind = COND_FIELD_CMP, .field = PF_CITY, .cmp = COND_EQ, .value = {false, 0, "Казань"}};
    const struct store_cond by_phone = {.kind = COND_FIELD_CMP,
                                        .field = PF_PHONE,
                                        .cmp = COND_EQ,
                                        .value = {false, 0, "+79160000001"}};
    const struct store_cond cat_and_not_one = {
        .kind = COND_AND, .a = &cat, .b = &(struct store_cond){.kind = COND_NOT, .a = &one}};
    assert_int_equal(preview_count(&phone), 2);
    assert_int_equal(preview_count(&email), 0);
    assert_int_equal(preview_count(&no_email), 2); /* NULL is not a match, and its not is */
    assert_int_equal(preview_count(&verified), 2);
    assert_int_equal(preview_count(&unverified), 0);
    assert_int_equal(preview_count(&cat), 2);
    assert_int_equal(preview_count(&dog), 0);
    assert_int_equal(preview_count(&one), 1);
    assert_int_equal(preview_count(&cat_and_not_one), 1);
    struct store_conn *rd;
    struct kt_err err;
    kt_err_reset(&err);
    int64_t count;
    const char **ids;
    size_t n_ids;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_segment_preview(rd, &by_phone, 5, &A, &count, &ids, &n_ids, &err),
                     KT_EINVAL);
    assert_string_equal(err.code, "field_sealed");
    kt_err_reset(&err); /* the same answer without running it; a runnable one passes */
    assert_int_equal(store_segment_check(rd, &by_phone, &err), KT_EINVAL);
    assert_string_equal(err.code, "field_sealed");
    assert_int_equal(store_segment_check(rd, &cat_and_not_one, NULL), KT_OK);
    store_read_end(rd);
    int64_t *cks;
    size_t n;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_segment_eval(rd, &phone, &A, &cks, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_true(cks[0] == ck1 && cks[1] == ck2);
    assert_int_equal(store_segment_eval(rd, &cat_and_not_one, &A, &cks, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cks[0], ck2);
    /* One customer's match (a journey's branch), its statement kept on the connection: asked
     * again of the other customer, with another value in the same SQL, and of more conditions
     * than a connection keeps (48 shapes: the city under each comparison and 0..7 nots), each
     * as the condition's members say; the close finalizes what was kept. */
    const struct store_cond nowhere = {
        .kind = COND_FIELD_CMP, .field = PF_CITY, .cmp = COND_EQ, .value = {false, 0, "Нигде"}};
    static const enum store_cond_cmp ops[] = {COND_EQ, COND_NE, COND_LT, COND_LE, COND_GT, COND_GE};
    struct store_cond shapes[6][8];
    for (int o = 0; o < 6; o++) {
        shapes[o][0] = one;
        shapes[o][0].cmp = ops[o];
        for (int d = 1; d < 8; d++) {
            shapes[o][d] = (struct store_cond){.kind = COND_NOT, .a = &shapes[o][d - 1]};
        }
    }
    for (int round = 0; round < 2; round++) {
        bool yes = false;
        assert_int_equal(store_segment_match(rd, &cat_and_not_one, ck2, &yes, NULL), KT_OK);
        assert_true(yes);
        assert_int_equal(store_segment_match(rd, &cat_and_not_one, ck1, &yes, NULL), KT_OK);
        assert_false(yes);
        assert_int_equal(store_segment_match(rd, &nowhere, ck1, &yes, NULL), KT_OK);
        assert_false(yes);
        for (int i = 0; i < 48; i++) {
            const struct store_cond *q = &shapes[i / 8][i % 8];
            assert_int_equal(store_segment_eval(rd, q, &A, &cks, &n, NULL), KT_OK);
            for (int k = 0; k < 2; k++) {
                int64_t ck = k == 0 ? ck1 : ck2;
                bool member = (n > 0 && cks[0] == ck) || (n > 1 && cks[1] == ck);
                assert_int_equal(store_segment_match(rd, q, ck, &yes, NULL), KT_OK);
                assert_int_equal(yes, member);
            }
        }
    }
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
    /* the hashes went with their lines (read on the writer's connection, in its transaction) */
    struct sql_stmt *st;
    assert_int_equal(
        sql_prepare((struct sql_conn *)w, "SELECT count(*) FROM import_reject_keys", &st), SQL_OK);
    assert_int_equal(sql_step(st), SQL_ROW);
    assert_int_equal(sql_col_i64(st, 0), 0);
    sql_finalize(st);
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
        cmocka_unit_test_setup_teardown(a_lookup_that_may_find_nothing_raises_nothing, store_setup,
                                        store_teardown),
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
        cmocka_unit_test_setup_teardown(conditions_find_whom_they_mean, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(conditions_reach_sql_only_as_parameters, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
