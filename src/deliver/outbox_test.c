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
    assert_int_equal(store_outbox_due(w, "email", 1000, 10, &A, &due, &n, NULL), KT_OK);
    assert_int_equal(n, 2);                /* m_c is not due yet */
    assert_string_equal(due[0].id, "m_b"); /* the higher priority first */
    assert_string_equal(due[1].content, "{\"subject\":\"Заказ\",\"text\":\"Принят\"}");
    assert_string_equal(due[1].recipient, "anna@example.org");
    due[1].state = "sending";
    assert_int_equal(store_outbox_update(w, &due[1], NULL), KT_OK);
    int64_t back = 0;
    assert_int_equal(store_outbox_requeue(w, 2000, &back, NULL), KT_OK);
    assert_int_equal(back, 1);
    due[0].state = "sent";
    assert_int_equal(store_outbox_update(w, &due[0], NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);

    /* at rest: no address, no text in the clear; a finished message keeps no content */
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

    /* past the term (--messages-days) the finished message goes, the queued ones stay */
    int64_t removed = 0;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_sms_expire(w, 200, 100, &removed, NULL), KT_OK);
    assert_int_equal(removed, 0); /* m_b was finished at 200: not before */
    assert_int_equal(store_sms_expire(w, 201, 100, &removed, NULL), KT_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(store_sms_expire(w, 1000000, 100, &removed, NULL), KT_OK);
    assert_int_equal(removed, 0); /* m_a and m_c are queued */
    struct outbox_msg left;
    bool found = false;
    assert_int_equal(store_outbox_get(w, "m_a", &A, &left, &found, NULL), KT_OK);
    assert_true(found);
    assert_int_equal(store_outbox_get(w, "m_b", &A, &left, &found, NULL), KT_OK);
    assert_false(found);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
