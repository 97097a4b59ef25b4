/*
 * store_levels_test.c - the events' two levels (src/store/sql/event_levels.c, docs/events.md
 * "Speed"): a message id stays a duplicate and a cookie's events stay adoptable whichever level
 * holds them - before a merge, after it, after a restart, after a write rolled back, and when
 * another process wrote or merged. On PostgreSQL (one level) the same must hold with merges that
 * do nothing.
 */
#include "helpers.h"

static struct event anon_event(const char *cookie, int64_t msg, int64_t at)
{
    return (struct event){0, 0, "cookie", cookie, "page_view", at, at, "web", NULL, msg};
}

static void add(struct store *s, const struct event *e, bool want_dup)
{
    struct store_conn *w;
    assert_int_equal(store_write_begin(s, &w, NULL), KT_OK);
    bool dup = !want_dup;
    assert_int_equal(store_event_add(w, e, &dup, NULL), KT_OK);
    assert_int_equal(dup, want_dup);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
}

static int64_t adopt(struct store *s, const char *cookie, int64_t ck)
{
    struct store_conn *w;
    int64_t n = -1;
    assert_int_equal(store_write_begin(s, &w, NULL), KT_OK);
    assert_int_equal(store_events_adopt(w, "cookie", cookie, ck, &n, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    return n;
}

/* Merges all of level 0; the number of steps it took. */
static int merge_all(struct store *s)
{
    int steps = 0;
    bool more = true;
    while (more) {
        struct store_conn *w;
        assert_int_equal(store_write_begin(s, &w, NULL), KT_OK);
        assert_int_equal(store_events_merge_step(w, 1, &more, NULL), KT_OK);
        assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
        steps++;
        assert_true(steps < 1000);
    }
    return steps;
}

static int64_t level0(struct store *s)
{
    int64_t n = -1;
    assert_int_equal(store_events_level0(s, &n, NULL), KT_OK);
    return n;
}

static struct store *second_store(void)
{
    struct store_opts o = {T.path, 200, 8, STORE_REFUSE_OLD, 0, test_keyring(), -1, false, NULL};
    struct store *s = NULL;
    assert_int_equal(store_open(&o, &s, NULL), KT_OK);
    return s;
}

static int64_t customer(void)
{
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w);
    wcommit(w);
    return ck;
}

#define MANY 9000 /* three slices of a merge */

static void ids_and_cookies_are_found_in_either_level(void **state)
{
    (void)state;
    int64_t ck = customer();
    struct store_conn *w = wbegin();
    char cookie[16];
    for (int i = 0; i < MANY; i++) {
        kt_snprintf(cookie, sizeof(cookie), "c-%d", i % 100);
        struct event e = anon_event(cookie, 1000 + i, 5000);
        bool dup = true;
        assert_int_equal(store_event_add(w, &e, &dup, NULL), KT_OK);
        assert_false(dup);
    }
    wcommit(w);
    bool sqlite = test_pg() == NULL;
    assert_int_equal(level0(T.s), sqlite ? MANY : 0);
    assert_int_equal(adopt(T.s, "c-1", ck), MANY / 100); /* from level 0 */
    struct event again = anon_event("c-2", 1005, 6000);
    add(T.s, &again, true);
    int steps = merge_all(T.s);
    if (sqlite) {
        assert_true(steps >= 3); /* a slice a step: 4,000 ids each */
        assert_int_equal(level0(T.s), 0);
        assert_int_equal(test_count("SELECT count(*) FROM event_ids"), MANY);
        /* the adopted cookie's events were skipped */
        assert_int_equal(test_count("SELECT count(*) FROM event_anon"), MANY - MANY / 100);
        assert_int_equal(test_count("SELECT merged_seq FROM event_levels"),
                         test_count("SELECT max(seq) FROM events"));
    } else {
        assert_int_equal(steps, 1);
    }
    add(T.s, &again, true);                              /* from level 1 */
    assert_int_equal(adopt(T.s, "c-2", ck), MANY / 100); /* from level 1 */
    assert_int_equal(adopt(T.s, "c-2", ck), 0);
    assert_int_equal(adopt(T.s, "c-1", ck), 0);
    if (sqlite) {
        assert_int_equal(test_count("SELECT count(*) FROM event_anon"), MANY - 2 * MANY / 100);
    }
    struct event fresh = anon_event("c-3", 99999, 7000);
    add(T.s, &fresh, false);
    add(T.s, &fresh, true);
    assert_int_equal(adopt(T.s, "c-3", ck), MANY / 100 + 1); /* both levels at once */
}

static void a_write_rolled_back_leaves_nothing_behind(void **state)
{
    (void)state;
    int64_t ck = customer();
    struct event e = anon_event("r-1", 77, 1000);
    struct store_conn *w = wbegin();
    bool dup = true;
    assert_int_equal(store_event_add(w, &e, &dup, NULL), KT_OK);
    assert_false(dup);
    store_write_rollback(w);
    add(T.s, &e, false); /* not remembered from the write undone */
    add(T.s, &e, true);
    /* an adoption undone: the events are still the cookie's to adopt */
    w = wbegin();
    int64_t n = -1;
    assert_int_equal(store_events_adopt(w, "cookie", "r-1", ck, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    store_write_rollback(w);
    assert_int_equal(adopt(T.s, "r-1", ck), 1);
}

static void level0_is_read_again_after_a_restart(void **state)
{
    (void)state;
    int64_t ck = customer();
    struct event e = anon_event("s-1", 31, 1000);
    add(T.s, &e, false);
    store_close(T.s);
    T.s = second_store();
    add(T.s, &e, true);
    assert_int_equal(adopt(T.s, "s-1", ck), 1);
}

static void another_process_s_writes_and_merges_are_seen(void **state)
{
    (void)state;
    int64_t ck = customer();
    struct store *other = second_store(); /* the CLI's import beside the server */
    struct event mine = anon_event("m-1", 500, 1000);
    add(T.s, &mine, false);
    struct event theirs = anon_event("o-1", 600, 1000);
    add(other, &theirs, false);
    add(T.s, &theirs, true); /* read in from the table */
    add(other, &mine, true);
    assert_int_equal(merge_all(other) >= 1, true);
    add(T.s, &mine, true); /* merged by the other: level 1 has it */
    add(T.s, &theirs, true);
    struct event next = anon_event("o-1", 601, 1100);
    add(T.s, &next, false);
    add(other, &next, true);
    assert_int_equal(adopt(T.s, "o-1", ck), 2); /* one in level 1, one in level 0 */
    store_close(other);
}

/* Events without message ids, thousands of one cookie: the cookies lead the merge's slices, and
 * a slice must not end inside the run of one hash (it did, and wrote nothing, for ever). */
static void a_cookie_of_thousands_of_events_is_merged(void **state)
{
    (void)state;
    int64_t ck = customer();
    struct store_conn *w = wbegin();
    for (int i = 0; i < 9001; i++) {
        struct event e = anon_event(i < 4500 ? "busy" : i % 2 ? "calm-1" : "calm-2", 0, 5000);
        bool dup;
        assert_int_equal(store_event_add(w, &e, &dup, NULL), KT_OK);
    }
    wcommit(w);
    merge_all(T.s);
    if (test_pg() == NULL) {
        assert_int_equal(level0(T.s), 0);
        assert_int_equal(test_count("SELECT count(*) FROM event_anon"), 9001);
    }
    assert_int_equal(adopt(T.s, "busy", ck), 4500);
}

/* A slice of a merge rolled back (the disk full, say) is not taken for written: the merge begins
 * again, and every key reaches level 1. */
static void a_merge_slice_rolled_back_is_written_again(void **state)
{
    (void)state;
    SQLITE_ONLY(); /* PostgreSQL merges nothing */
    struct store_conn *w = wbegin();
    for (int i = 0; i < MANY; i++) {
        struct event e = anon_event("r", 1 + i, 5000);
        bool dup;
        assert_int_equal(store_event_add(w, &e, &dup, NULL), KT_OK);
    }
    wcommit(w);
    bool more = false;
    w = wbegin();
    assert_int_equal(store_events_merge_step(w, 1, &more, NULL), KT_OK);
    wcommit(w); /* the first slice */
    assert_true(more);
    w = wbegin();
    assert_int_equal(store_events_merge_step(w, 1, &more, NULL), KT_OK);
    store_write_rollback(w); /* the second, undone */
    merge_all(T.s);
    assert_int_equal(test_count("SELECT count(*) FROM event_ids"), MANY);
    assert_int_equal(level0(T.s), 0);
}

/* The expiry removes events whose ids are in level 0 alone (an --events-days under the 8-day
 * window), and the newest rows, after which SQLite gives their seqs again: the ids are still
 * known, and the events after are not taken for merged. */
static void ids_outlive_their_events_and_seqs_given_again_are_read(void **state)
{
    (void)state;
    int64_t ck = customer();
    for (int i = 0; i < 3; i++) {
        struct event e = anon_event("x", 50 + i, 1000);
        add(T.s, &e, false);
    }
    merge_all(T.s); /* the mark at the third */
    struct event young = anon_event("x", 60, 2000);
    add(T.s, &young, false); /* level 0 alone */
    struct store_conn *w = wbegin();
    int64_t removed = 0;
    assert_int_equal(store_events_expire(w, 3000, 100, &removed, NULL), KT_OK);
    assert_int_equal(removed, 4); /* the table is empty */
    wcommit(w);
    store_close(T.s);
    T.s = second_store();
    add(T.s, &young, true); /* its id outlived it */
    struct event again = anon_event("y", 70, 4000);
    add(T.s, &again, false); /* on SQLite a seq given again, at or under the old mark */
    store_close(T.s);
    T.s = second_store();
    add(T.s, &again, true);
    assert_int_equal(adopt(T.s, "y", ck), 1);
}

/* The purge by slices of the hashes forgets every old id once, whatever its sign, and no young
 * one. */
static void the_purge_by_slices_forgets_every_old_id_once(void **state)
{
    (void)state;
    static const int64_t ids[] = {INT64_MIN + 1, -7, 1, 12345, INT64_MAX, (int64_t)1 << 62};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct event e = anon_event("p", ids[i], 1000);
        add(T.s, &e, false);
    }
    merge_all(T.s); /* half the ids in level 1, half in level 0 */
    struct event young = anon_event("p", 99, 5000);
    add(T.s, &young, false);
    struct event late = anon_event("p", -99, 1000);
    add(T.s, &late, false);
    int64_t total = 0;
    for (int slice = 0; slice < 4; slice++) {
        struct store_conn *w = wbegin();
        int64_t n = -1;
        assert_int_equal(store_event_ids_purge(w, 2000, slice, 4, &n, NULL), KT_OK);
        wcommit(w);
        total += n;
    }
    assert_int_equal(total, 7);
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct event e = anon_event("p", ids[i], 3000);
        add(T.s, &e, false); /* forgotten */
    }
    add(T.s, &young, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ids_and_cookies_are_found_in_either_level, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_write_rolled_back_leaves_nothing_behind, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(level0_is_read_again_after_a_restart, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(another_process_s_writes_and_merges_are_seen, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_cookie_of_thousands_of_events_is_merged, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_merge_slice_rolled_back_is_written_again, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(ids_outlive_their_events_and_seqs_given_again_are_read,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(the_purge_by_slices_forgets_every_old_id_once, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
