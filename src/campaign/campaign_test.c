/*
 * campaign_test.c - campaigns on a real store: the draw (the same for the same campaign and
 * customer, near the asked percents), a definition refused with its field, the moves a state
 * allows, and the enqueue's exactly once - two runs of the job at once (Mautic #3669: two
 * overlapping runs sent twice), a pause in the middle and a resume (listmonk #2070: 3-5 copies on
 * resume), and runs after the end - each member one outbox row, the control group none. The
 * sending is tested end to end against aiosmtpd (tests/e2e/test_campaigns.py).
 */
#include <pthread.h>
#include <sqlite3.h>

#include "helpers.h"

#include "campaign/campaign.h"
#include "consent/consent.h"
#include "deliver/template_store.h"

#define PEOPLE 2500 /* more than one batch */
#define NOW    1780000000000LL

static const struct key_secret K = {{7}};

static void people(int n)
{
    audit_key_init(&K); /* a create and each move are audited */
    struct store_conn *w = wbegin();
    for (int i = 0; i < n; i++) {
        struct customer c;
        memset(&c, 0, sizeof(c));
        id_new(c.id, sizeof(c.id), "c_");
        c.created_at = c.updated_at = 1000;
        c.val[PF_EMAIL] = i % 10 == 9 ? NULL : arena_printf(&A, "p%d@example.org", i);
        c.at[PF_EMAIL] = c.val[PF_EMAIL] ? 1000 : 0;
        assert_int_equal(store_customer_insert(w, &c, NULL), KT_OK);
    }
    struct privacy_settings ps;
    assert_int_equal(privacy_settings_get(w, &A, &ps, NULL), KT_OK);
    ps.public_url = "https://shop.example";
    assert_int_equal(privacy_settings_put(w, &ps, NULL), KT_OK);
    test_template(w, "spring", "Весна", "{{first_name | default: \"Покупатель\"}}, ждём вас.");
    wcommit(w);
}

static struct campaign make(const char *json)
{
    json_error_t je;
    json_t *body = json_loads(json, 0, &je);
    assert_non_null(body);
    struct campaign cp;
    struct seg_error se;
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = campaign_create(T.s, body, NULL, NOW, &A, &cp, &se, &err);
    json_decref(body);
    if (rc != KT_OK) {
        print_error("%s %s %s\n", err.code, err.msg, err.detail);
    }
    assert_int_equal(rc, KT_OK);
    return cp;
}

static struct campaign load(const char *id)
{
    struct store_conn *r = rbegin();
    struct campaign cp;
    assert_int_equal(store_campaign_get(r, id, &A, &cp, NULL, NULL), KT_OK);
    store_read_end(r);
    return cp;
}

static void the_draw_is_stable_and_near_the_percents(void **state)
{
    (void)state;
    struct campaign_variant v[] = {{"a", "t", 1, 70}, {"b", "t", 1, 30}};
    struct campaign cp = {.id = "cmp_x", .control_pct = 20, .variants = v, .n_variants = 2};
    int control = 0, a = 0;
    for (int64_t ck = 1; ck <= 20000; ck++) {
        const char *g = campaign_group(&cp, ck);
        assert_string_equal(g, campaign_group(&cp, ck));
        control += strcmp(g, "control") == 0;
        a += strcmp(g, "a") == 0;
    }
    /* 4000 and 11200 expected; six standard deviations either side */
    assert_in_range(control, 4000 - 340, 4000 + 340);
    assert_in_range(a, 11200 - 390, 11200 + 390);
    struct campaign other = cp;
    other.id = "cmp_y";
    int same = 0;
    for (int64_t ck = 1; ck <= 1000; ck++) {
        same += strcmp(campaign_group(&cp, ck), campaign_group(&other, ck)) == 0;
    }
    assert_true(same < 900); /* another campaign draws anew */
}

static void a_definition_is_refused_with_its_field(void **state)
{
    (void)state;
    people(1);
    static const struct {
        const char *json, *code, *field;
    } bad[] = {
        {"{\"name\":\"x\",\"channel\":\"email\",\"topic\":\"t\",\"query\":\"has\","
         "\"template\":\"spring\"}",
         "syntax_error", "query"},
        {"{\"name\":\"x\",\"channel\":\"push\",\"topic\":\"t\",\"query\":\"has email\","
         "\"template\":\"spring\"}",
         "invalid_value", "template"},
        {"{\"name\":\"x\",\"channel\":\"email\",\"topic\":\"t\",\"query\":\"has email\","
         "\"variants\":[{\"name\":\"a\",\"template\":\"spring\",\"percent\":50},"
         "{\"name\":\"a\",\"template\":\"spring\",\"percent\":50}]}",
         "duplicate_value", "variants[1].name"},
        {"{\"name\":\"x\",\"channel\":\"email\",\"topic\":\"t\",\"query\":\"has email\","
         "\"template\":\"spring\",\"version\":2}",
         "template_not_found", "template"},
        {"{\"name\":\"x\",\"channel\":\"email\",\"topic\":\"t\",\"query\":\"has email\","
         "\"template\":\"spring\",\"scheduled_at\":\"2020-01-01T00:00:00Z\"}",
         "invalid_time", "scheduled_at"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *body = json_loads(bad[i].json, 0, NULL);
        struct campaign cp;
        struct seg_error se;
        struct kt_err err;
        kt_err_reset(&err);
        assert_int_equal(campaign_create(T.s, body, NULL, NOW, &A, &cp, &se, &err), KT_EINVAL);
        assert_string_equal(err.code, bad[i].code);
        assert_string_equal(err.field, bad[i].field);
        json_decref(body);
    }
    assert_int_equal(test_count("SELECT count(*) FROM campaigns"), 0);
}

static void moves(void **state)
{
    (void)state;
    people(1);
    struct campaign cp = make("{\"name\":\"x\",\"channel\":\"email\",\"topic\":\"t\",\"query\":"
                              "\"has email\",\"template\":\"spring\",\"scheduled_at\":"
                              "\"2026-05-28T21:00:00Z\"}");
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(campaign_act(T.s, cp.id, "resume", NULL, NOW, &A, &cp, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "campaign_state");
    assert_int_equal(campaign_act(T.s, cp.id, "start", NULL, NOW, &A, &cp, NULL), KT_OK);
    assert_string_equal(cp.state, "scheduled"); /* its time is ahead */
    assert_int_equal(campaign_act(T.s, cp.id, "pause", NULL, NOW, &A, &cp, NULL), KT_OK);
    assert_int_equal(campaign_act(T.s, cp.id, "resume", NULL, NOW, &A, &cp, NULL), KT_OK);
    assert_string_equal(cp.state, "scheduled");
    int64_t n[2] = {0, 0};
    assert_int_equal(campaign_run_due(T.s, &K, NOW, 1000, n, NULL), KT_OK);
    assert_string_equal(load(cp.id).state, "scheduled");
    assert_int_equal(campaign_run_due(T.s, &K, cp.scheduled_at, 1000, n, NULL), KT_OK);
    assert_string_equal(load(cp.id).state, "running"); /* one member, one queued message */
    assert_int_equal(n[0], 1);
    assert_int_equal(campaign_act(T.s, cp.id, "cancel", NULL, NOW, &A, &cp, NULL), KT_OK);
    assert_int_equal(campaign_act(T.s, cp.id, "cancel", NULL, NOW, &A, &cp, NULL), KT_ECONFLICT);
    assert_int_equal(test_count("SELECT count(*) FROM outbox WHERE state = 'suppressed' AND "
                                "reason = 'cancelled'"),
                     1);
}

struct job_arg {
    int64_t n[2];
    enum kt_rc rc;
};

static void *job(void *p)
{
    struct job_arg *j = p;
    j->rc = campaign_run_due(T.s, &K, NOW, 60000, j->n, NULL);
    return NULL;
}

static void each_member_once_whatever_runs_it(void **state)
{
    (void)state;
    people(PEOPLE);
    struct campaign cp =
        make("{\"name\":\"x\",\"channel\":\"email\",\"topic\":\"t\",\"query\":\"has email or "
             "not has email\",\"control_percent\":10,\"variants\":[{\"name\":\"a\","
             "\"template\":\"spring\",\"percent\":50},{\"name\":\"b\",\"template\":\"spring\","
             "\"percent\":50}]}");
    assert_int_equal(campaign_act(T.s, cp.id, "start", NULL, NOW, &A, &cp, NULL), KT_OK);
    /* the freeze, then one batch; a pause; nothing moves while paused */
    int64_t n[2] = {0, 0};
    while (load(cp.id).enqueued == 0) {
        assert_int_equal(campaign_run_due(T.s, &K, NOW, 50, n, NULL), KT_OK);
    }
    assert_int_equal(load(cp.id).audience, PEOPLE);
    assert_true(load(cp.id).enqueued + load(cp.id).control < PEOPLE);
    assert_int_equal(campaign_act(T.s, cp.id, "pause", NULL, NOW, &A, &cp, NULL), KT_OK);
    int64_t held = test_count("SELECT count(*) FROM outbox");
    n[0] = n[1] = 0;
    assert_int_equal(campaign_run_due(T.s, &K, NOW, 60000, n, NULL), KT_OK);
    assert_int_equal(n[0] + n[1], 0);
    assert_int_equal(test_count("SELECT count(*) FROM outbox"), held);
    assert_true(held > 0);
    assert_int_equal(test_count("SELECT count(*) FROM outbox WHERE state = 'queued' AND next_at <= "
                                "1780000000000"),
                     0);
    assert_int_equal(campaign_act(T.s, cp.id, "resume", NULL, NOW, &A, &cp, NULL), KT_OK);
    /* two runs at once: one writes each batch, the other finds the cursor moved */
    pthread_t t1, t2;
    struct job_arg j1 = {{0, 0}, KT_OK}, j2 = {{0, 0}, KT_OK};
    assert_int_equal(pthread_create(&t1, NULL, job, &j1), 0);
    assert_int_equal(pthread_create(&t2, NULL, job, &j2), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(j1.rc, KT_OK);
    assert_int_equal(j2.rc, KT_OK);
    struct campaign after = load(cp.id);
    assert_int_equal(after.cursor_ck, test_count("SELECT max(ck) FROM customers"));
    assert_int_equal(after.enqueued + after.control, PEOPLE);
    assert_int_equal(held + j1.n[0] + j2.n[0], after.enqueued);
    assert_int_equal(test_count("SELECT count(*) FROM outbox"), after.enqueued);
    assert_int_equal(test_count("SELECT count(*) FROM campaign_members"), PEOPLE);
    assert_int_equal(test_count("SELECT count(*) FROM campaign_members WHERE grp = 'control' AND "
                                "message_id IS NULL"),
                     after.control);
    assert_int_equal(test_count("SELECT count(*) FROM campaign_members m JOIN outbox o ON o.id = "
                                "m.message_id AND o.ck = m.ck"),
                     after.enqueued);
    /* those without an address are recorded suppressed, not sent bare */
    assert_int_equal(test_count("SELECT count(*) FROM outbox WHERE reason = 'no_address'"),
                     test_count("SELECT count(*) FROM campaign_members m JOIN outbox o ON o.id = "
                                "m.message_id WHERE o.recipient IS NULL"));
    assert_true(test_count("SELECT count(*) FROM outbox WHERE reason = 'no_address'") > 0);
    /* more runs find nothing; the campaign waits for its queue, then is done */
    n[0] = n[1] = 0;
    assert_int_equal(campaign_run_due(T.s, &K, NOW, 60000, n, NULL), KT_OK);
    assert_int_equal(n[0] + n[1], 0);
    assert_string_equal(load(cp.id).state, "running");
    test_exec("UPDATE outbox SET state = 'sent' WHERE state = 'queued'");
    assert_int_equal(campaign_run_due(T.s, &K, NOW + 5, 60000, n, NULL), KT_OK);
    after = load(cp.id);
    assert_string_equal(after.state, "done");
    assert_int_equal(after.finished_at, NOW + 5);
    assert_int_equal(test_count("SELECT count(*) FROM campaign_audience"), 0);
}

int main(void)
{
#define CASE(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_draw_is_stable_and_near_the_percents),
        CASE(a_definition_is_refused_with_its_field),
        CASE(moves),
        CASE(each_member_once_whatever_runs_it),
    };
#undef CASE
    return cmocka_run_group_tests(tests, NULL, NULL);
}
