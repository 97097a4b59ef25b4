/*
 * store_campaigns_test.c - the store contract for campaigns (0023_campaigns.sql): a campaign
 * and its variants round trip, the list pages newest first, the live ones are found, the
 * audience and the members are kept once per customer, and a campaign's queued outbox rows are
 * held, brought back and cancelled while the claim never takes a paused campaign's row. Every
 * backend must pass it; the cases speak only store.h.
 */
#include "helpers.h"

static struct campaign_variant two[] = {{"a", "welcome", 1, 50}, {"b", "welcome", 2, 50}};

static struct campaign cmp(const char *id, int64_t at)
{
    return (struct campaign){.id = id,
                             .name = "spring",
                             .state = "draft",
                             .channel = "email",
                             .kind = "marketing",
                             .topic = "news",
                             .query = "points > 0",
                             .control_pct = 10,
                             .window_days = 3,
                             .created_at = at,
                             .variants = two,
                             .n_variants = 2};
}

static void a_campaign_round_trips_with_its_variants(void **state)
{
    struct store_conn *w = wbegin();
    struct campaign c1 = cmp("cmp_1", 1000), c2 = cmp("cmp_2", 2000), c3 = cmp("cmp_3", 2000);
    c2.scheduled_at = 5000;
    c2.state = "scheduled";
    assert_int_equal(store_campaign_add(w, &c1, NULL), KT_OK);
    assert_int_equal(store_campaign_add(w, &c2, NULL), KT_OK);
    assert_int_equal(store_campaign_add(w, &c3, NULL), KT_OK);
    c1.state = "running";
    c1.started_at = c1.updated_at = 3000;
    c1.audience = 7;
    c1.cursor_ck = 4;
    c1.enqueued = 3;
    c1.control = 1;
    assert_int_equal(store_campaign_update(w, &c1, NULL), KT_OK);
    wcommit(w);

    struct store_conn *r = rbegin();
    struct campaign got;
    bool found = false;
    assert_int_equal(store_campaign_get(r, "cmp_1", &A, &got, &found, NULL), KT_OK);
    assert_true(found);
    assert_string_equal(got.state, "running");
    assert_string_equal(got.query, "points > 0");
    assert_null(got.segment_id);
    assert_int_equal(got.audience, 7);
    assert_int_equal(got.cursor_ck, 4);
    assert_int_equal(got.enqueued, 3);
    assert_int_equal(got.control, 1);
    assert_int_equal(got.started_at, 3000);
    assert_int_equal(got.finished_at, 0);
    assert_int_equal(got.n_variants, 2);
    assert_string_equal(got.variants[1].name, "b");
    assert_int_equal(got.variants[1].version, 2);
    assert_int_equal(store_campaign_get(r, "cmp_2", &A, &got, &found, NULL), KT_OK);
    assert_int_equal(got.audience, -1);
    assert_int_equal(got.scheduled_at, 5000);
    assert_int_equal(store_campaign_get(r, "cmp_9", &A, &got, &found, NULL), KT_OK);
    assert_false(found);

    struct campaign *list;
    size_t n;
    assert_int_equal(store_campaign_list(r, 0, NULL, 2, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "cmp_3");
    assert_string_equal(list[1].id, "cmp_2");
    assert_int_equal(store_campaign_list(r, 2000, "cmp_2", 2, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "cmp_1");

    const char **ids;
    assert_int_equal(store_campaign_live(r, 4999, &A, &ids, &n, NULL), KT_OK);
    assert_int_equal(n, 1); /* cmp_1 running; cmp_2 not due yet */
    assert_int_equal(store_campaign_live(r, 5000, &A, &ids, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    store_read_end(r);
}

static void the_audience_and_the_members_are_kept_once(void **state)
{
    struct store_conn *w = wbegin();
    struct campaign c = cmp("cmp_1", 1000);
    assert_int_equal(store_campaign_add(w, &c, NULL), KT_OK);
    int64_t cks[] = {3, 5, 9};
    assert_int_equal(store_campaign_audience_add(w, "cmp_1", cks, 3, NULL), KT_OK);
    assert_int_equal(store_campaign_audience_add(w, "cmp_1", cks + 1, 2, NULL), KT_OK);
    int64_t *got;
    size_t n;
    assert_int_equal(store_campaign_audience_next(w, "cmp_1", 3, 10, &A, &got, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(got[0], 5);
    assert_int_equal(got[1], 9);

    bool created = false;
    struct campaign_member m = {5, "a", "m_x", 1500}, ctl = {9, "control", NULL, 1500};
    assert_int_equal(store_campaign_member_add(w, "cmp_1", &m, &created, NULL), KT_OK);
    assert_true(created);
    m.grp = "b";
    assert_int_equal(store_campaign_member_add(w, "cmp_1", &m, &created, NULL), KT_OK);
    assert_false(created);
    assert_int_equal(store_campaign_member_add(w, "cmp_1", &ctl, &created, NULL), KT_OK);
    struct campaign_member *ms;
    assert_int_equal(store_campaign_members(w, "cmp_1", 0, 10, &A, &ms, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ms[0].grp, "a"); /* the first stays */
    assert_string_equal(ms[0].message_id, "m_x");
    assert_null(ms[1].message_id);

    assert_int_equal(store_campaign_audience_clear(w, "cmp_1", NULL), KT_OK);
    assert_int_equal(store_campaign_audience_next(w, "cmp_1", 0, 10, &A, &got, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    wcommit(w);
}

static struct outbox_msg msg(const char *id, int64_t ck, const char *campaign)
{
    return (struct outbox_msg){.id = id,
                               .ck = ck,
                               .channel = "email",
                               .kind = "marketing",
                               .recipient = "x@example.test",
                               .content = "{}",
                               .next_at = 100,
                               .created_at = 100,
                               .campaign_id = campaign};
}

static size_t due(int64_t now)
{
    struct store_conn *w = wbegin();
    struct outbox_msg *out;
    size_t n = 0;
    assert_int_equal(
        store_outbox_due(w, (const char *[]){"email", NULL}, now, 10, &A, &out, &n, NULL), KT_OK);
    wcommit(w);
    return n;
}

static void a_paused_campaign_is_never_claimed_and_a_cancel_suppresses(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w);
    struct campaign c = cmp("cmp_1", 1000);
    assert_int_equal(store_campaign_add(w, &c, NULL), KT_OK);
    bool created;
    struct outbox_msg m1 = msg("m_1", ck, "cmp_1"), m2 = msg("m_2", ck, "cmp_1"),
                      m3 = msg("m_3", ck, NULL);
    assert_int_equal(store_outbox_add(w, &m1, &created, NULL), KT_OK);
    assert_int_equal(store_outbox_add(w, &m2, &created, NULL), KT_OK);
    assert_int_equal(store_outbox_add(w, &m3, &created, NULL), KT_OK);
    struct outbox_msg got;
    assert_int_equal(store_outbox_get(w, "m_1", &A, &got, NULL, NULL), KT_OK);
    assert_string_equal(got.campaign_id, "cmp_1");
    c.state = "paused";
    assert_int_equal(store_campaign_update(w, &c, NULL), KT_OK);
    wcommit(w);
    assert_int_equal(due(200), 1); /* the paused campaign's rows are skipped, even when due */

    w = wbegin();
    int64_t n = 0;
    assert_int_equal(store_campaign_outbox_hold(w, "cmp_1", INT64_MAX / 2, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    c.state = "running";
    assert_int_equal(store_campaign_update(w, &c, NULL), KT_OK);
    wcommit(w);
    assert_int_equal(due(200), 1); /* held ahead */

    w = wbegin();
    assert_int_equal(store_campaign_outbox_hold(w, "cmp_1", 200, &n, NULL), KT_OK);
    wcommit(w);
    assert_int_equal(due(200), 3);

    w = wbegin();
    assert_int_equal(store_campaign_outbox_cancel(w, "cmp_1", 300, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(store_outbox_get(w, "m_2", &A, &got, NULL, NULL), KT_OK);
    assert_string_equal(got.state, "suppressed");
    assert_string_equal(got.reason, "cancelled");
    assert_null(got.content);
    wcommit(w);
    assert_int_equal(due(400), 1);
}

int main(void)
{
#define CASE(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        CASE(a_campaign_round_trips_with_its_variants),
        CASE(the_audience_and_the_members_are_kept_once),
        CASE(a_paused_campaign_is_never_claimed_and_a_cancel_suppresses),
    };
#undef CASE
    return cmocka_run_group_tests(tests, NULL, NULL);
}
