/*
 * outbox_test.c - the outbox's pure parts and its store: the id rule (keyed, stable, one per
 * origin), the backoff (doubling, capped, jittered, never under Retry-After), a second enqueue of
 * one origin finding the first row, the address and content sealed at rest, the due order and
 * a crash's `sending` rows put back, the finished ones deleted past their term. The sending itself
 * is tested end to end against real peers (tests/e2e/test_outbox.py).
 */
#include <jansson.h>
#include <sqlite3.h>

#include "helpers.h"

#include "base/id.h"
#include "deliver/outbox.h"

static void test_id_is_keyed_and_one_per_origin(void **state)
{
    (void)state;
    struct key_secret k1 = {{1}}, k2 = {{2}};
    arena_init(&A, 0);
    const char *a = outbox_id(&k1, "api:k1:order-1", &A);
    assert_int_equal(strlen(a), 2 + OUTBOX_ID_HEX);
    assert_true(strncmp(a, "m_", 2) == 0);
    assert_string_equal(a, outbox_id(&k1, "api:k1:order-1", &A));
    assert_string_not_equal(a, outbox_id(&k1, "api:k1:order-2", &A));
    assert_string_not_equal(a, outbox_id(&k1, "api:k2:order-1", &A)); /* another key's */
    assert_string_not_equal(a, outbox_id(&k2, "api:k1:order-1", &A)); /* another install */
    arena_release(&A);
}

static void test_backoff_doubles_capped_with_jitter(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        int64_t d1 = outbox_backoff(1000, 1, -1), d3 = outbox_backoff(1000, 3, -1);
        assert_true(d1 >= 1000 && d1 <= 1250);
        assert_true(d3 >= 4000 && d3 <= 5000);
        int64_t dmax = outbox_backoff(1000, 60, -1);
        assert_true(dmax >= OUTBOX_RETRY_MAX_MS && dmax <= OUTBOX_RETRY_MAX_MS * 5 / 4);
    }
    assert_int_equal(outbox_backoff(1000, 1, 90000), 90000); /* Retry-After is honoured */
}

static void test_content_is_json_of_the_parts(void **state)
{
    (void)state;
    arena_init(&A, 0);
    const char *html = "<p class=\"x\">Привет, \\ мир\n\tи \x01конец</p>";
    const char *c = outbox_content("email", "c_1", "Тема «весна»", NULL, html, "t", "b",
                                   "https://shop.example/u/x", &A);
    json_error_t je;
    json_t *o = json_loads(c, 0, &je);
    assert_non_null(o);
    assert_int_equal(json_object_size(o), 3); /* no text; title and body are push's */
    assert_string_equal(json_string_value(json_object_get(o, "subject")), "Тема «весна»");
    assert_string_equal(json_string_value(json_object_get(o, "html")), html);
    assert_string_equal(json_string_value(json_object_get(o, "unsubscribe_url")),
                        "https://shop.example/u/x");
    json_decref(o);
    o = json_loads(outbox_content("push", "c_1", "s", "x", "h", NULL, "\"Скидка\"", NULL, &A), 0,
                   &je);
    assert_non_null(o);
    assert_int_equal(json_object_size(o), 2);
    assert_string_equal(json_string_value(json_object_get(o, "customer_id")), "c_1");
    assert_string_equal(json_string_value(json_object_get(o, "body")), "\"Скидка\"");
    json_decref(o);
    assert_string_equal(outbox_content("email", NULL, NULL, NULL, NULL, NULL, NULL, NULL, &A),
                        "{}");
    arena_release(&A);
}

static struct outbox_msg msg(const char *id, int64_t ck, int64_t priority, int64_t next_at)
{
    return (struct outbox_msg){.id = id,
                               .ck = ck,
                               .channel = "email",
                               .kind = "transactional",
                               .priority = priority,
                               .recipient = "anna@example.org",
                               .content = "{\"subject\":\"Заказ\",\"text\":\"Принят\"}",
                               .next_at = next_at,
                               .created_at = next_at};
}

static void test_store_once_sealed_ordered_recovered(void **state)
{
    (void)state;
    struct store_conn *w;
    bool created = false;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    int64_t ck = test_customer(w);
    struct outbox_msg m = msg("m_a", ck, 0, 100);
    assert_int_equal(store_outbox_add(w, &m, &created, NULL), KT_OK);
    assert_true(created);
    m.content = "{\"subject\":\"другое\"}"; /* the same origin again: the first row stays */
    assert_int_equal(store_outbox_add(w, &m, &created, NULL), KT_OK);
    assert_false(created);
    struct outbox_msg hi = msg("m_b", ck, 50, 200), late = msg("m_c", ck, 99, 5000);
    assert_int_equal(store_outbox_add(w, &hi, &created, NULL), KT_OK);
    assert_int_equal(store_outbox_add(w, &late, &created, NULL), KT_OK);

    struct outbox_msg *due;
    size_t n = 0;
    static const char *const email[] = {"email", NULL}, *const push[] = {"push", NULL};
    assert_int_equal(store_outbox_due(w, push, 1000, 10, &A, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 0); /* only the channels asked for */
    assert_int_equal(store_outbox_due(w, email, 1000, 10, &A, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 2);                /* m_c is not due yet */
    assert_string_equal(due[0].id, "m_b"); /* the higher priority first */
    assert_string_equal(due[1].content, "{\"subject\":\"Заказ\",\"text\":\"Принят\"}");
    assert_string_equal(due[1].recipient, "anna@example.org");
    due[1].state = "sending";
    assert_int_equal(store_outbox_update(w, &due[1], NULL), KT_OK);
    int64_t back = 0;
    assert_int_equal(store_outbox_requeue(w, 2000, INT64_MAX, &back, NULL), KT_OK);
    assert_int_equal(back, 1);
    due[0].state = "sent";
    assert_int_equal(store_outbox_update(w, &due[0], NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);

    /* at rest: no address, no text in the clear; a finished message keeps no content */
    if (test_pg() != NULL) { /* bytea columns: a sealed value or none; a sent one keeps none */
        assert_int_equal(test_count("SELECT count(*) FROM outbox WHERE recipient IS NOT NULL"), 3);
        assert_int_equal(test_count("SELECT count(*) FROM outbox WHERE content IS NULL AND "
                                    "state = 'sent'"),
                         1);
    } else {
        sqlite3 *db;
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_open_v2(T.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT typeof(recipient), typeof(content), state FROM "
                                            "outbox ORDER BY id",
                                            -1, &st, NULL),
                         SQLITE_OK);
        const char *want[3][3] = {
            {"blob", "blob", "queued"}, {"blob", "null", "sent"}, {"blob", "blob", "queued"}};
        for (int i = 0; i < 3; i++) {
            assert_int_equal(sqlite3_step(st), SQLITE_ROW);
            for (int c = 0; c < 3; c++) {
                assert_string_equal((const char *)sqlite3_column_text(st, c), want[i][c]);
            }
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
    }

    /* past the term (--messages-days) the finished message goes, the queued ones stay */
    int64_t removed = 0;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_outbox_expire(w, 200, 100, &removed, NULL), KT_OK);
    assert_int_equal(removed, 0); /* m_b was finished at 200: not before */
    assert_int_equal(store_outbox_expire(w, 201, 100, &removed, NULL), KT_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(store_outbox_expire(w, 1000000, 100, &removed, NULL), KT_OK);
    assert_int_equal(removed, 0); /* m_a and m_c are queued */
    struct outbox_msg left;
    bool found = false;
    assert_int_equal(store_outbox_get(w, "m_a", &A, &left, &found, NULL), KT_OK);
    assert_true(found);
    assert_int_equal(store_outbox_get(w, "m_b", &A, &left, &found, NULL), KT_OK);
    assert_false(found);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
}

/* The caps' rules replaced as a whole under a new version; what counts against them: a
 * customer's marketing messages sent since the moment, and those `sending` (a claim's own). */
static void test_caps_store_and_what_counts(void **state)
{
    (void)state;
    struct store_conn *w;
    struct cap_rule *got = NULL;
    size_t n = 9;
    int64_t v = -1;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_caps_get(w, &A, &got, &n, &v, NULL), KT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(v, 0); /* before the first put */
    struct cap_rule rules[] = {{3, "days", 1, "email", NULL}, {5, "weeks", 2, NULL, "promo"}};
    assert_int_equal(store_caps_put(w, rules, 2, 1000, NULL), KT_OK);
    assert_int_equal(store_caps_get(w, &A, &got, &n, &v, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(v, 1);
    assert_string_equal(got[0].channel, "email");
    assert_null(got[0].topic);
    assert_int_equal(got[1].n, 2);
    assert_null(got[1].channel);
    assert_string_equal(got[1].topic, "promo");
    assert_int_equal(store_caps_put(w, rules + 1, 1, 2000, NULL), KT_OK);
    assert_int_equal(store_caps_version(w, &v, NULL), KT_OK);
    assert_int_equal(v, 2);
    assert_int_equal(store_caps_get(w, &A, &got, &n, &v, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(got[0].count, 5);

    int64_t ck = test_customer(w), other = test_customer(w);
    struct {
        const char *id, *kind, *state;
        int64_t ck, sent_at, updated_at;
    } rows[] = {
        {"m_old", "marketing", "sent", ck, 300, 300},        /* before `since` */
        {"m_sent", "marketing", "sent", ck, 500, 500},       /* counts */
        {"m_deliv", "marketing", "delivered", ck, 550, 900}, /* counts: it was sent */
        {"m_code", "transactional", "sent", ck, 600, 600},   /* never counts */
        {"m_going", "marketing", "sending", ck, 0, 700},     /* counts, at its claim */
        {"m_wait", "marketing", "queued", ck, 0, 800},       /* not sent */
        {"m_capped", "marketing", "capped", ck, 0, 800},     /* not sent */
        {"m_hers", "marketing", "sent", other, 500, 500},    /* another customer's */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct outbox_msg m = msg(rows[i].id, rows[i].ck, 0, 100);
        bool created = false;
        m.kind = rows[i].kind;
        m.channel = i == 2 ? "push" : "email";
        assert_int_equal(store_outbox_add(w, &m, &created, NULL), KT_OK);
        m.state = rows[i].state;
        m.sent_at = rows[i].sent_at;
        m.updated_at = rows[i].updated_at;
        assert_int_equal(store_outbox_update(w, &m, NULL), KT_OK);
    }
    struct outbox_sent *sent = NULL;
    assert_int_equal(store_outbox_sent_since(w, ck, 400, &A, &sent, &n, NULL), KT_OK);
    assert_int_equal(n, 3);
    int64_t sum = 0, pushes = 0;
    for (size_t i = 0; i < n; i++) {
        sum += sent[i].at;
        pushes += strcmp(sent[i].channel, "push") == 0 ? sent[i].at : 0;
    }
    assert_int_equal(sum, 500 + 550 + 700);
    assert_int_equal(pushes, 550); /* with its channel, for the rules that name one */
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
}

/* The claim's order across channels and priorities (sq_outbox_due walks them one priority at a
 * time): the highest priority first whatever its channel, then oldest across the channels; a
 * priority whose rows are all held ahead does not stop the lower ones; the limit cuts inside a
 * priority; a channel not asked for is left out. */
static void test_due_order_across_channels_and_priorities(void **state)
{
    (void)state;
    struct store_conn *w;
    bool created = false;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    int64_t ck = test_customer(w);
    static const struct {
        const char *id, *channel;
        int64_t priority, next_at;
    } rows[] = {
        {"m_e10", "email", 0, 10},          {"m_e20", "email", 0, 20},  {"m_p15", "push", 0, 15},
        {"m_p30", "push", 60, 30},          {"m_s50", "sms", 1000, 50}, {"m_w5", "webhook", 0, 5},
        {"m_eheld", "email", 500, 1000000}, /* a priority held ahead: skipped, not a stop */
        {"m_pheld", "push", 60, 900000},    {"m_e25", "email", 60, 25},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct outbox_msg m = msg(rows[i].id, ck, rows[i].priority, rows[i].next_at);
        m.channel = rows[i].channel;
        assert_int_equal(store_outbox_add(w, &m, &created, NULL), KT_OK);
    }
    static const char *const three[] = {"email", "push", "sms", NULL};
    static const char *const want[] = {"m_s50", "m_e25", "m_p30", "m_e10", "m_p15", "m_e20"};
    struct outbox_msg *due;
    size_t n = 0;
    assert_int_equal(store_outbox_due(w, three, 1000, 10, &A, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 6); /* the held two and the webhook's are not among them */
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(due[i].id, want[i]);
    }
    assert_int_equal(store_outbox_due(w, three, 1000, 4, &A, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 4);
    assert_string_equal(due[3].id, "m_e10"); /* cut inside priority 0, oldest first */
    assert_int_equal(store_outbox_due(w, three, 20, 10, &A, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 3); /* at 20: the three of priority 0 due by then, oldest first */
    assert_string_equal(due[2].id, "m_e20");
    assert_int_equal(store_outbox_due(w, three, 19, 10, &A, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(due[0].id, "m_e10");
    assert_string_equal(due[1].id, "m_p15");
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
}

/* An erasure while a message is in flight: the row is suppressed "erased" at once, and the
 * sender's record of the send that was under way (here a 451: queued again for a retry) does
 * not bring it back - before, it was queued again, and the next claim had to catch it. */
static void test_an_erased_row_stays_suppressed_after_the_send_in_flight(void **state)
{
    (void)state;
    struct store_conn *w;
    bool created = false;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    int64_t ck = test_customer(w);
    struct outbox_msg m = msg("m_inflight", ck, 0, 100);
    assert_int_equal(store_outbox_add(w, &m, &created, NULL), KT_OK);
    m.state = "sending"; /* claimed */
    m.attempts = 1;
    assert_int_equal(store_outbox_update(w, &m, NULL), KT_OK);
    struct erase_counts counts;
    assert_int_equal(store_customer_erase(w, ck, 200, &counts, NULL), KT_OK);
    m.state = "queued"; /* the relay answered 451 meanwhile: the sender records a retry */
    m.next_at = 30000;
    m.reply_code = 451;
    m.reply_text = "451 4.3.0 mailbox busy";
    assert_int_equal(store_outbox_update(w, &m, NULL), KT_OK);
    struct outbox_msg got;
    assert_int_equal(store_outbox_get(w, "m_inflight", &A, &got, NULL, NULL), KT_OK);
    assert_string_equal(got.state, "suppressed");
    assert_string_equal(got.reason, "erased");
    assert_null(got.reply_text);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_is_keyed_and_one_per_origin),
        cmocka_unit_test(test_backoff_doubles_capped_with_jitter),
        cmocka_unit_test(test_content_is_json_of_the_parts),
        cmocka_unit_test_setup_teardown(test_store_once_sealed_ordered_recovered, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(
            test_an_erased_row_stays_suppressed_after_the_send_in_flight, store_setup,
            store_teardown),
        cmocka_unit_test_setup_teardown(test_due_order_across_channels_and_priorities, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_caps_store_and_what_counts, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
