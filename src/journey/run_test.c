/*
 * run_test.c - the journey engine on a real store, its clock moved by hand: one cart is one run
 * however often its event repeats (and two carts two runs); the re-entry rules; a wait, then a
 * send that makes one outbox row however often the job runs; an exit by an event during a wait
 * that stops the send and suppresses what was queued; a wait-for's two branches; a split that
 * draws the same again; the control group. Receipts, the SMTP server and a restart are the
 * end-to-end tests' (tests/e2e/test_journeys.py).
 */
#include "helpers.h"

#include "consent/consent.h"
#include "deliver/template_store.h"
#include "journey/engine.h"
#include "journey/report.h"
#include "journey/simulate.h"

#define NOW  1780000000000LL /* 2026-05-28 */
#define HOUR (3600 * 1000LL)

static const struct key_secret K = {{9}};
static const struct journey_conf C = {NULL, &K, NULL};
static int64_t receipts;

/* A journey document stored as version 1 and started. */
static void journey(const char *key, const char *doc)
{
    struct store_conn *w = wbegin();
    json_error_t je;
    json_t *body = json_loads(doc, 0, &je);
    assert_non_null(body);
    struct journey_doc d;
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = journey_doc_decode(body, &A, &d, &err);
    if (rc != KT_OK) {
        print_error("%s %s %s\n", err.code, err.field, err.msg);
    }
    assert_int_equal(rc, KT_OK);
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    struct journey_version v = {key, 1, arena_strdup(&A, text), NOW, NULL};
    free(text);
    json_decref(body);
    struct journey_row j = {key, d.name, "active", 1, 1, NOW, NOW, NOW};
    assert_int_equal(store_journey_put(w, &j, NULL), KT_OK);
    assert_int_equal(store_journey_version_add(w, &v, NULL), KT_OK);
    wcommit(w);
}

static void setup_world(void)
{
    struct store_conn *w = wbegin();
    struct privacy_settings ps;
    assert_int_equal(privacy_settings_get(w, &A, &ps, NULL), KT_OK);
    ps.public_url = "https://shop.example";
    assert_int_equal(privacy_settings_put(w, &ps, NULL), KT_OK);
    json_t *body = json_pack("{s:s, s:s, s:s}", "channel", "email", "subject", "Корзина", "text",
                             "Вы забыли {{context.event.sku}}");
    struct msg_tpl t;
    struct template_pos pos;
    bool added;
    assert_int_equal(msg_tpl_decode("cart", body, &A, &t, &pos, NULL), KT_OK);
    assert_int_equal(msg_tpl_save(w, &t.row, &A, &added, NULL), KT_OK);
    msg_tpl_release(&t);
    json_decref(body);
    wcommit(w);
}

static int64_t customer(void)
{
    struct store_conn *w = wbegin();
    struct customer c;
    memset(&c, 0, sizeof(c));
    id_new(c.id, sizeof(c.id), "c_");
    c.created_at = c.updated_at = 1000;
    c.val[PF_EMAIL] = arena_printf(&A, "buyer%lld@example.org", (long long)++receipts);
    c.at[PF_EMAIL] = 1000;
    assert_int_equal(store_customer_insert(w, &c, NULL), KT_OK);
    wcommit(w);
    return c.ck;
}

static void event(int64_t ck, const char *type, const char *props, int64_t at)
{
    struct store_conn *w = wbegin();
    struct event e = {
        .ck = ck, .type = type, .at = at, .received_at = at, .channel = "web", .props = props};
    bool dup = false;
    assert_int_equal(store_event_add(w, &e, &dup, NULL), KT_OK);
    wcommit(w);
}

static int64_t advance(int64_t now)
{
    struct journey_conf c = C;
    c.s = T.s;
    int64_t n[2] = {0, 0};
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = journey_run_due(&c, now, 5000, n, &err);
    if (rc != KT_OK) {
        print_error("%s %s\n", err.code, err.msg);
    }
    assert_int_equal(rc, KT_OK);
    return n[0];
}

static int64_t count(const char *sql)
{
    return test_count(sql);
}

#define CART "{\"sku\":\"A-1\",\"quantity\":1,\"price\":1000,\"cart\":\"%s\"}"

static const char *cart_doc =
    "{\"name\":\"Корзина\",\"entry\":{\"event\":{\"type\":\"cart_add\"},\"key\":\"cart\"},"
    "\"reentry\":\"never\",\"exits\":[{\"name\":\"checked_out\",\"event\":{\"type\":"
    "\"checkout_start\"},\"same_key\":true}],\"steps\":[{\"id\":\"w\",\"wait\":{\"hours\":1}},"
    "{\"id\":\"remind\",\"send\":{\"template\":\"cart\",\"topic\":\"promo\"}}]}";

static void one_cart_is_one_run(void **state)
{
    (void)state;
    setup_world();
    journey("cart", cart_doc);
    int64_t ck = customer();
    event(ck, "cart_add", arena_printf(&A, CART, "A"), NOW);
    event(ck, "cart_add", arena_printf(&A, CART, "A"), NOW + 1000); /* the same cart again */
    advance(NOW + 2000);
    event(ck, "cart_add", arena_printf(&A, CART, "A"), NOW + 3000); /* after the run began */
    event(ck, "cart_add", arena_printf(&A, CART, "B"), NOW + 4000); /* another cart */
    advance(NOW + 5000);
    advance(NOW + 6000);
    assert_int_equal(count("SELECT count(*) FROM journey_runs"), 2);
    assert_int_equal(count("SELECT count(*) FROM journey_runs WHERE entry_key = 'A'"), 1);
    /* Both wait an hour from their own entry; then one message each, however often it runs. */
    assert_int_equal(count("SELECT count(*) FROM journey_runs WHERE state = 'waiting'"), 2);
    advance(NOW + HOUR + 10000);
    advance(NOW + HOUR + 10000);
    advance(NOW + HOUR + 20000);
    assert_int_equal(count("SELECT count(*) FROM outbox WHERE journey_run IS NOT NULL"), 2);
    assert_int_equal(count("SELECT count(*) FROM journey_runs WHERE state = 'done'"), 2);
    /* Re-entry never: the cart's event again enters nobody. */
    event(ck, "cart_add", arena_printf(&A, CART, "A"), NOW + 2 * HOUR);
    advance(NOW + 2 * HOUR + 1000);
    assert_int_equal(count("SELECT count(*) FROM journey_runs"), 2);
    /* The report counts the same. */
    struct store_conn *r = rbegin();
    struct kt_err err;
    kt_err_reset(&err);
    json_t *rep = journey_report_doc(r, "cart", 7, &A, &err);
    store_read_end(r);
    assert_non_null(rep);
    const json_t *runs = json_object_get(rep, "runs");
    assert_int_equal(json_integer_value(json_object_get(runs, "entered")), 2);
    assert_int_equal(json_integer_value(json_object_get(runs, "done")), 2);
    size_t i;
    const json_t *st;
    int64_t sent = 0;
    json_array_foreach(json_object_get(rep, "steps"), i, st)
    {
        if (strcmp(json_string_value(json_object_get(st, "step")), "remind") == 0) {
            sent = json_integer_value(json_object_get(st, "count"));
            assert_string_equal(json_string_value(json_object_get(st, "outcome")), "sent");
            assert_int_equal(json_integer_value(json_object_get(st, "pending")), 2);
        }
    }
    assert_int_equal(sent, 2);
    assert_true(json_is_null(json_object_get(rep, "uplift")));
    json_decref(rep);
}

static void events_before_the_start_enter_nobody(void **state)
{
    (void)state;
    setup_world();
    int64_t ck = customer();
    for (int i = 0; i < 3; i++) { /* last week's carts, before the journey existed */
        event(ck, "cart_add", arena_printf(&A, CART, arena_printf(&A, "old-%d", i)),
              NOW - 7 * 24 * HOUR + i);
    }
    journey("cart", cart_doc); /* started at NOW */
    advance(NOW + 1000);
    assert_int_equal(count("SELECT count(*) FROM journey_runs"), 0);
    event(ck, "cart_add", arena_printf(&A, CART, "new"), NOW + 2000);
    advance(NOW + 3000);
    assert_int_equal(count("SELECT count(*) FROM journey_runs WHERE entry_key = 'new'"), 1);
    assert_int_equal(count("SELECT count(*) FROM journey_runs"), 1);
}

static void an_exit_during_the_wait_stops_the_send(void **state)
{
    (void)state;
    setup_world();
    journey("cart", cart_doc);
    int64_t ck = customer();
    event(ck, "cart_add", arena_printf(&A, CART, "A"), NOW);
    event(ck, "cart_add", arena_printf(&A, CART, "B"), NOW);
    advance(NOW + 1000);
    /* Cart A is checked out during the wait; B is not: the exit names its own cart only. */
    event(ck, "checkout_start", "{\"cart\":\"A\"}", NOW + HOUR / 2);
    advance(NOW + HOUR / 2 + 1000);
    assert_int_equal(count("SELECT count(*) FROM journey_runs WHERE state = 'exited' AND "
                           "exit = 'checked_out' AND entry_key = 'A'"),
                     1);
    advance(NOW + 2 * HOUR);
    assert_int_equal(count("SELECT count(*) FROM outbox o JOIN journey_runs r ON r.id = "
                           "o.journey_run WHERE r.entry_key = 'A'"),
                     0);
    assert_int_equal(count("SELECT count(*) FROM outbox o JOIN journey_runs r ON r.id = "
                           "o.journey_run WHERE r.entry_key = 'B'"),
                     1);
}

static void the_exit_is_checked_again_when_sending(void **state)
{
    (void)state;
    setup_world();
    journey("cart", cart_doc);
    int64_t ck = customer();
    event(ck, "cart_add", arena_printf(&A, CART, "A"), NOW);
    advance(NOW + 1000);
    /* The checkout is stored, and the job's next run is the one the send is due in: the send's
     * own check, not the events pass, must see it (the events pass runs first in the same job,
     * so take it away by moving the cursor past the event, as a lagging pass would be). */
    event(ck, "checkout_start", "{\"cart\":\"A\"}", NOW + HOUR / 2);
    struct store_conn *w = wbegin();
    assert_int_equal(store_journey_cursor_put(w, "events", INT64_MAX / 2, NULL), KT_OK);
    wcommit(w);
    advance(NOW + 2 * HOUR);
    assert_int_equal(count("SELECT count(*) FROM outbox"), 0);
    assert_int_equal(count("SELECT count(*) FROM journey_runs WHERE exit = 'checked_out'"), 1);
}

static const char *wait_for_doc =
    "{\"name\":\"Просмотр\",\"entry\":{\"event\":{\"type\":\"product_view\",\"where\":"
    "{\"category\":\"books\"}}},\"reentry\":\"always\",\"steps\":[{\"id\":\"w\",\"wait_for\":"
    "{\"event\":{\"type\":\"cart_add\"},\"timeout\":{\"hours\":24},\"then\":\"added\","
    "\"otherwise\":\"nudge\"}},{\"id\":\"nudge\",\"trait\":{\"name\":\"browsed\",\"value\":"
    "\"books\"},\"next\":\"end\"},{\"id\":\"added\",\"trait\":{\"name\":\"browsed\","
    "\"value\":\"added\"}},{\"id\":\"end\",\"exit\":{\"name\":\"finished\"}}]}";

static void a_wait_for_takes_each_branch(void **state)
{
    (void)state;
    setup_world();
    journey("browse", wait_for_doc);
    int64_t a = customer(), b = customer(), c = customer();
    event(a, "product_view", "{\"sku\":\"B-1\",\"category\":\"books\"}", NOW);
    event(b, "product_view", "{\"sku\":\"B-1\",\"category\":\"books\"}", NOW);
    event(c, "product_view", "{\"sku\":\"T-1\",\"category\":\"toys\"}", NOW); /* filtered out */
    advance(NOW + 1000);
    assert_int_equal(count("SELECT count(*) FROM journey_runs"), 2);
    event(a, "cart_add", "{\"sku\":\"B-1\",\"quantity\":1,\"price\":500}", NOW + HOUR);
    advance(NOW + HOUR + 1000);
    advance(NOW + 25 * HOUR);
    assert_int_equal(count("SELECT count(*) FROM traits WHERE name = 'browsed' AND value = "
                           "'added'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM traits WHERE name = 'browsed' AND value = "
                           "'books'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM journey_runs WHERE exit = 'finished'"), 2);
    /* Re-entry always: a new view enters again once the run is over. */
    event(a, "product_view", "{\"sku\":\"B-2\",\"category\":\"books\"}", NOW + 26 * HOUR);
    advance(NOW + 26 * HOUR + 1000);
    assert_int_equal(count("SELECT count(*) FROM journey_runs"), 3);
}

static const char *split_doc =
    "{\"name\":\"Сплит\",\"entry\":{\"event\":{\"type\":\"sign_up\"}},\"control_percent\":"
    "20,\"steps\":[{\"split\":[{\"percent\":50,\"next\":\"a\"},{\"percent\":50,\"next\":\"b\"}]},"
    "{\"id\":\"a\",\"trait\":{\"name\":\"arm\",\"value\":\"a\"},\"next\":\"out\"},{\"id\":\"b\","
    "\"trait\":{\"name\":\"arm\",\"value\":\"b\"}},{\"id\":\"out\",\"exit\":{\"name\":\"ok\"}}]}";

static void a_split_and_the_control_group(void **state)
{
    (void)state;
    setup_world();
    journey("split", split_doc);
    for (int i = 0; i < 400; i++) {
        event(customer(), "sign_up", NULL, NOW);
    }
    advance(NOW + 1000);
    int64_t control = count("SELECT count(*) FROM journey_runs WHERE state = 'control'");
    int64_t a = count("SELECT count(*) FROM traits WHERE name = 'arm' AND value = 'a'");
    int64_t b = count("SELECT count(*) FROM traits WHERE name = 'arm' AND value = 'b'");
    assert_int_equal(control + a + b, 400);
    assert_true(control > 40 && control < 120);
    assert_true(a > 100 && b > 100);
    /* The control group is never messaged nor stepped: no trait, no step but its entry. */
    assert_int_equal(count("SELECT count(*) FROM journey_steps s JOIN journey_runs r ON r.id = "
                           "s.run WHERE r.state = 'control' AND s.visit > 0"),
                     0);
}

static void a_simulation_answers_the_timeline_and_keeps_nothing(void **state)
{
    (void)state;
    setup_world();
    journey("cart", cart_doc);
    int64_t ck = customer();
    struct journey_conf c = C;
    c.s = T.s;
    struct policy_conf pc;
    policy_conf_default(&pc);
    json_t *ctx = json_pack("{s:{s:s}}", "event", "sku", "A-1");
    struct journey_sim sim = {"cart", 0, ck, "A", ctx, 3, &pc};
    json_t *out = NULL;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(journey_simulate(&c, &sim, NOW, &A, &out, &err), KT_OK);
    json_decref(ctx);
    const json_t *steps = json_object_get(out, "steps");
    assert_int_equal(json_array_size(steps), 3); /* waited, sent, the end */
    const json_t *w = json_array_get(steps, 0), *m = json_array_get(steps, 1);
    assert_string_equal(json_string_value(json_object_get(w, "outcome")), "waited");
    assert_string_equal(json_string_value(json_object_get(w, "at")), "2026-05-28T21:26:40.000Z");
    assert_string_equal(json_string_value(json_object_get(m, "outcome")), "sent");
    assert_string_equal(json_string_value(json_object_get(m, "channel")), "email");
    /* She gave no consent: the policy would refuse it, and says why. */
    assert_string_equal(json_string_value(json_object_get(m, "decision")), "refuse");
    assert_non_null(json_string_value(json_object_get(m, "reason")));
    assert_string_equal(json_string_value(json_object_get(out, "state")), "done");
    json_decref(out);
    assert_int_equal(count("SELECT count(*) FROM outbox"), 0);
    assert_int_equal(count("SELECT count(*) FROM journey_runs"), 0);
    assert_int_equal(count("SELECT count(*) FROM journey_steps"), 0);
    sim.key = "nothing";
    assert_int_equal(journey_simulate(&c, &sim, NOW, &A, &out, &err), KT_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_cart_is_one_run, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(events_before_the_start_enter_nobody, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(an_exit_during_the_wait_stops_the_send, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(the_exit_is_checked_again_when_sending, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_wait_for_takes_each_branch, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(a_split_and_the_control_group, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(a_simulation_answers_the_timeline_and_keeps_nothing,
                                        store_setup, store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
