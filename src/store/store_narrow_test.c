/*
 * store_narrow_test.c - narrow writes (store.h, store_write_begin_narrow): on every backend one
 * is a write like any other, its claims free; on PostgreSQL two stores over one database (two
 * servers) run narrow writes side by side unless they claim the same thing, and a write that is
 * not narrow waits for them all. And a bulk write (event batches) gives way to the writes waiting.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "helpers.h"

/* A second store over T's database: another server. */
static struct store *second_store(void)
{
    struct store_opts o = {T.path, 200, 8, STORE_REFUSE_OLD, 0, test_keyring(), -1, false, NULL};
    struct store *s = NULL;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_open(&o, &s, &err), KT_OK);
    return s;
}

static const int64_t ck1 = 1, ck2 = 2;

static void a_narrow_write_commits_like_any_other(void **state)
{
    (void)state;
    struct store_conn *w;
    assert_int_equal(store_write_begin_narrow(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_write_claim(w, STORE_CLAIM_RECEIPT, "s1\0r1", 5, NULL), KT_OK);
    assert_int_equal(store_write_claim(w, STORE_CLAIM_CUSTOMER, &ck1, sizeof(ck1), NULL), KT_OK);
    assert_int_equal(store_meta_put(w, "narrow", "1", NULL), KT_OK);
    wcommit(w);
    struct store_conn *r = rbegin();
    const char *v = NULL;
    bool set = false;
    assert_int_equal(store_meta_get(r, "narrow", &A, &v, &set, NULL), KT_OK);
    assert_true(set);
    assert_string_equal(v, "1");
    store_read_end(r);
    /* a claim in a write that is not narrow is no more than the write's own lock */
    w = wbegin();
    assert_int_equal(store_write_claim(w, STORE_CLAIM_CUSTOMER, &ck1, sizeof(ck1), NULL), KT_OK);
    store_write_rollback(w);
}

static void narrow_writes_wait_only_for_the_same_claim(void **state)
{
    (void)state;
    if (test_pg() == NULL) {
        skip(); /* one SQLite writer: there is nothing beside it to run */
    }
    struct store *other = second_store();
    struct store_conn *w1, *w2, *w3;
    struct kt_err err;
    assert_int_equal(store_write_begin_narrow(T.s, &w1, NULL), KT_OK);
    assert_int_equal(store_write_claim(w1, STORE_CLAIM_CUSTOMER, &ck1, sizeof(ck1), NULL), KT_OK);
    /* another customer's narrow write runs beside it */
    assert_int_equal(store_write_begin_narrow(other, &w2, NULL), KT_OK);
    assert_int_equal(store_write_claim(w2, STORE_CLAIM_CUSTOMER, &ck2, sizeof(ck2), NULL), KT_OK);
    store_write_rollback(w2);
    /* the same customer's waits, to the busy timeout */
    assert_int_equal(store_write_begin_narrow(other, &w2, NULL), KT_OK);
    kt_err_reset(&err);
    assert_int_equal(store_write_claim(w2, STORE_CLAIM_CUSTOMER, &ck1, sizeof(ck1), &err),
                     KT_EBUSY);
    store_write_rollback(w2);
    /* a write that is not narrow waits for the narrow one */
    kt_err_reset(&err);
    assert_int_equal(store_write_begin(other, &w3, &err), KT_EBUSY);
    store_write_rollback(w1);
    /* and once it is over, the same customer is free */
    assert_int_equal(store_write_begin_narrow(other, &w2, NULL), KT_OK);
    assert_int_equal(store_write_claim(w2, STORE_CLAIM_CUSTOMER, &ck1, sizeof(ck1), NULL), KT_OK);
    store_write_rollback(w2);
    store_close(other);
}

static void a_write_that_is_not_narrow_holds_the_narrow_ones_off(void **state)
{
    (void)state;
    if (test_pg() == NULL) {
        skip();
    }
    struct store *other = second_store();
    struct store_conn *w1 = wbegin(), *w2;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_write_begin_narrow(other, &w2, &err), KT_EBUSY);
    assert_string_equal(err.code, "store_busy");
    store_write_rollback(w1);
    assert_int_equal(store_write_begin_narrow(other, &w2, NULL), KT_OK);
    store_write_rollback(w2);
    store_close(other);
}

static atomic_bool till_wrote;

/* A till's write: waits for the writer, writes, says so, commits. */
static void *till(void *arg)
{
    (void)arg;
    struct store_conn *w = wbegin();
    assert_int_equal(store_meta_put(w, "till", "1", NULL), KT_OK);
    atomic_store(&till_wrote, true);
    wcommit(w);
    return NULL;
}

/* The events' writer ends a group and begins the next at once, while a till waits: without the
 * giving way it took the writer back before the till's thread woke (every group, under load:
 * receipts went at 27 a second beside event batches), with it the till goes first. */
static void a_bulk_write_gives_way_to_the_writes_waiting(void **state)
{
    (void)state;
    atomic_store(&till_wrote, false);
    struct store_conn *w;
    assert_int_equal(store_write_begin_bulk(T.s, &w, NULL), KT_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, till, NULL), 0);
    usleep(100 * 1000); /* the till waits for the writer now */
    wcommit(w);
    assert_int_equal(store_write_begin_bulk(T.s, &w, NULL), KT_OK);
    assert_true(atomic_load(&till_wrote));
    wcommit(w);
    pthread_join(t, NULL);
}

int main(void)
{
#define CASE(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        CASE(a_narrow_write_commits_like_any_other),
        CASE(narrow_writes_wait_only_for_the_same_claim),
        CASE(a_write_that_is_not_narrow_holds_the_narrow_ones_off),
        CASE(a_bulk_write_gives_way_to_the_writes_waiting),
    };
#undef CASE
    return cmocka_run_group_tests(tests, NULL, NULL);
}
