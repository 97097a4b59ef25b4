/*
 * store_bulk_test.c - a batch of events at once (src/store/sql/events_bulk.c): each event stored
 * or a duplicate exactly as one at a time would make it, its values back as they were sent (COPY's
 * escapes on PostgreSQL), nothing left of a batch rolled back; the owners of many identifiers at
 * once, past one statement's share.
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

static struct event ev(int64_t ck, const char *cookie, int64_t msg, const char *props, int64_t at)
{
    return (struct event){
        0, ck, ck ? NULL : "cookie", ck ? NULL : cookie, "page_view", at, at, "web", props, msg};
}

static void add_many(const struct event *e, size_t n, const bool *want)
{
    bool dup[16];
    struct store_conn *w = wbegin();
    assert_int_equal(store_events_add_many(w, e, n, dup, NULL), KT_OK);
    wcommit(w);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(dup[i], want[i]);
    }
}

static void a_batch_stores_each_event_once(void **state)
{
    (void)state;
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w);
    wcommit(w);
    struct event before = ev(ck, NULL, 3, NULL, 1000);
    add_many(&before, 1, (bool[]){false});
    /* an id twice in the batch (its first stored), one the base has, two events without */
    struct event batch[] = {
        ev(ck, NULL, 1, "{\"url\":\"a\\tb\\\\c\\nd\"}", 2000),
        ev(ck, NULL, 2, "{\"q\":\"\xd0\xbc\xd0\xb8\xd1\x80\"}", 2001),
        ev(ck, NULL, 1, "{\"url\":\"again\"}", 2002),
        ev(ck, NULL, 0, NULL, 2003),
        ev(ck, NULL, 0, NULL, 2004),
        ev(ck, NULL, 3, NULL, 2005),
        ev(0, "c\\o\to\"k{i,e}\n\r", 4, "{\"x\":1}", 2006),
        ev(ck, NULL, 5, "\\N", 2007), /* COPY's NULL, and its end of data, as text */
        ev(ck, NULL, 6, "\\.", 2008),
    };
    add_many(batch, 9, (bool[]){false, false, true, false, false, true, false, false, false});
    add_many(batch, 2, (bool[]){true, true}); /* and again: both seen */

    struct store_conn *r = rbegin();
    struct event *got;
    size_t n;
    assert_int_equal(store_events_list(r, ck, 0, 50, &A, &got, &n, NULL), KT_OK);
    store_read_end(r);
    assert_int_equal(n, 7); /* before, 1, 2, the two without an id, 5 and 6; newest first */
    assert_string_equal(got[0].props, "\\.");
    assert_string_equal(got[1].props, "\\N");
    assert_int_equal(got[2].at, 2004);
    assert_null(got[2].props);
    assert_int_equal(got[4].at, 2001);
    assert_string_equal(got[4].props, batch[1].props);
    assert_int_equal(got[5].at, 2000);
    assert_string_equal(got[5].props, batch[0].props);
    assert_string_equal(got[5].channel, "web");
    assert_int_equal(test_count("SELECT count(*) FROM events"), 8);

    /* the anonymous one keeps its cookie as sent: it is adopted by it */
    w = wbegin();
    int64_t adopted = -1;
    assert_int_equal(store_events_adopt(w, "cookie", "c\\o\to\"k{i,e}\n\r", ck, &adopted, NULL),
                     KT_OK);
    wcommit(w);
    assert_int_equal(adopted, 1);
}

static void a_batch_rolled_back_leaves_nothing(void **state)
{
    (void)state;
    struct event batch[] = {ev(0, "k", 11, NULL, 1000), ev(0, "k", 12, NULL, 1001)};
    bool dup[2];
    struct store_conn *w = wbegin();
    assert_int_equal(store_events_add_many(w, batch, 2, dup, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_ESTORE, NULL), KT_ESTORE);
    assert_int_equal(test_count("SELECT count(*) FROM events"), 0);
    add_many(batch, 2, (bool[]){false, false}); /* the ids were not kept */
    assert_int_equal(test_count("SELECT count(*) FROM events"), 2);
}

/* A batch the database refuses (an event without its type) fails whole, and its error tells
 * none of its values: PostgreSQL's detail and context quote the row at fault. The connection
 * serves the next batch. */
static void a_failed_batch_tells_no_value(void **state)
{
    (void)state;
    struct event batch[] = {ev(0, "k-secret-cookie", 21, "{\"q\":\"secret-prop\"}", 1000),
                            ev(0, "k-secret-cookie", 22, "{\"q\":\"secret-prop\"}", 1001)};
    batch[1].type = NULL;
    for (int round = 0; round < 2; round++) {
        bool dup[2];
        struct kt_err err;
        kt_err_reset(&err);
        struct store_conn *w = wbegin();
        assert_int_not_equal(store_events_add_many(w, batch, 2, dup, &err), KT_OK);
        store_write_end(w, err.rc, NULL);
        assert_null(strstr(err.detail, "secret"));
        assert_null(strstr(err.msg, "secret"));
    }
    assert_int_equal(test_count("SELECT count(*) FROM events"), 0);
    batch[1].type = "page_view";
    add_many(batch, 2, (bool[]){false, false});
}

#define ASKED 2500 /* past one statement's share (1,000) twice */

static void the_owners_of_many_identifiers_at_once(void **state)
{
    (void)state;
    struct store_conn *w = wbegin();
    int64_t a = test_customer(w), b = test_customer(w);
    const char *odd = "x\"y\\z,{w} \xd0\xb9";
    struct ident ids[] = {{"cookie", odd, a, false, 1000, "web"},
                          {"ext:shop", "42", b, false, 1000, "web"},
                          {"device", "d-1", b, false, 1000, "app"}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(store_ident_insert(w, &ids[i], NULL), KT_OK);
    }
    wcommit(w);

    static const char *kinds[ASKED], *values[ASKED];
    static char names[ASKED][16];
    static int64_t cks[ASKED];
    for (size_t i = 0; i < ASKED; i++) {
        snprintf(names[i], sizeof(names[i]), "c%zu", i);
        kinds[i] = "cookie";
        values[i] = names[i]; /* nobody's */
    }
    kinds[0] = "cookie", values[0] = odd;
    kinds[999] = "ext:shop", values[999] = "42";
    kinds[1000] = "device", values[1000] = "d-1";
    kinds[ASKED - 1] = "cookie", values[ASKED - 1] = odd;
    kinds[ASKED - 2] = "device", values[ASKED - 2] = "42"; /* the value of another kind */
    struct store_conn *r = wbegin();
    memset(cks, 0x5a, sizeof(cks));
    assert_int_equal(store_idents_owners(r, kinds, values, ASKED, cks, NULL), KT_OK);
    store_write_end(r, KT_OK, NULL);
    for (size_t i = 0; i < ASKED; i++) {
        int64_t want = i == 0 || i == ASKED - 1 ? a : i == 999 || i == 1000 ? b : 0;
        assert_int_equal(cks[i], want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_batch_stores_each_event_once, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_batch_rolled_back_leaves_nothing, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_failed_batch_tells_no_value, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(the_owners_of_many_identifiers_at_once, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
