/*
 * retention_test.c - retention of raw data and the incident register (issue 19, part G) on a real
 * store: events past their term rolled up into daily counts and deleted a prefix at a time, the
 * outbox's finished messages deleted, each run audited once; an incident's deadlines, what it
 * owes, and its subjects counted from the log of reads.
 */
#include "helpers.h"

#include <sqlite3.h>

#include "base/clock.h"
#include "base/id.h"
#include "consent/consent.h"
#include "deliver/outbox.h"
#include "events/events.h"
#include "privacy/privacy.h"

#define DAY  (86400LL * 1000)
#define HOUR (3600LL * 1000)
#define T0   (1800000000000LL - 1800000000000LL % DAY) /* a midnight in 2027 */

static int setup(void **state)
{
    audit_key_init(&(struct key_secret){{7, 7, 7}});
    return store_setup(state);
}

static int64_t customer(struct store_conn *w)
{
    struct customer c;
    memset(&c, 0, sizeof(c));
    id_new(c.id, sizeof(c.id), "c_");
    c.created_at = c.updated_at = T0;
    assert_int_equal(store_customer_insert(w, &c, NULL), KT_OK);
    return c.ck;
}

/* An aggregate read beside the store, as an inspector would (the store's interface has no
 * query for these counts). */
static void add_event(struct store_conn *w, int64_t ck, const char *type, int64_t received)
{
    bool dup;
    struct event e = {0,
                      ck,
                      ck ? NULL : "cookie",
                      ck ? NULL : "k-1",
                      type,
                      received - HOUR,
                      received,
                      "web",
                      "{\"url\": \"u\"}",
                      0};
    assert_int_equal(store_event_add(w, &e, &dup, NULL), KT_OK);
}

static void events_past_their_term_leave_daily_counts(void **state)
{
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    int64_t ck = customer(w);
    for (int i = 0; i < 2500; i++) { /* three days in the order received, three batches */
        add_event(w, i % 7 ? ck : 0, i % 2 ? "page_view" : "search",
                  T0 + (i * 3 / 2500) * DAY + 5 * HOUR);
    }
    add_event(w, ck, "page_view", T0 + 40 * DAY); /* young */
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    int64_t removed = 0;
    /* 30 days after the second day: days 0 and 1 go, day 2 and the young one stay. */
    int64_t old = test_count("SELECT count(*) FROM events WHERE received_at < 1800000000000 - "
                             "1800000000000 % 86400000 + 2 * 86400000");
    assert_int_equal(old, 1667);
    assert_int_equal(events_expire(T.s, T0 + 32 * DAY, 30, &removed, NULL), KT_OK);
    assert_int_equal(removed, old);
    assert_int_equal(test_count("SELECT count(*) FROM events"), 2501 - old);
    assert_int_equal(test_count("SELECT sum(count) FROM event_days"), old);
    assert_int_equal(test_count("SELECT count(*) FROM event_days WHERE day <> received_day"), 0);
    /* the raw events and the counts add up to what was there, anonymous ones too */
    assert_int_equal(test_count("SELECT (SELECT count(*) FROM events WHERE ck IS NULL) + (SELECT "
                                "sum(count) FROM event_days WHERE ck = 0)"),
                     358);
    /* a row received out of order (the clock stepped back) goes with the prefix it is in */
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    add_event(w, ck, "search", T0 + 3 * DAY);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    assert_int_equal(events_expire(T.s, T0 + 34 * DAY, 30, &removed, NULL), KT_OK);
    assert_int_equal(removed, 834);
    assert_int_equal(test_count("SELECT count(*) FROM events"), 1); /* the young one */
    /* one audit entry for the run, none for a run that removes nothing */
    assert_int_equal(events_expire(T.s, T0 + 32 * DAY, 30, &removed, NULL), KT_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(
        test_count("SELECT count(*) FROM audit WHERE action = 'expire' AND customer_id IS "
                   "NULL AND detail LIKE 'events before % rows=1667'"),
        1);
    assert_int_equal(test_count("SELECT count(*) FROM audit WHERE action = 'expire'"), 2);
}

static void finished_messages_expire_queued_ones_stay(void **state)
{
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    int64_t ck = test_customer(w);
    const char *ids[3] = {"m_1", "m_2", "m_3"};
    for (int i = 0; i < 3; i++) {
        struct outbox_msg m = {.id = ids[i],
                               .ck = ck,
                               .channel = "sms",
                               .kind = "transactional",
                               .topic = OUTBOX_TOPIC_CODE,
                               .recipient = "+79990000001",
                               .content = "{\"text\": \"code\"}",
                               .state = "queued",
                               .next_at = T0,
                               .created_at = T0,
                               .updated_at = T0};
        bool created = false;
        assert_int_equal(store_outbox_add(w, &m, &created, NULL), KT_OK);
        if (i < 2) { /* one sent a day later, one failed after 50 days of tries */
            m.state = i == 0 ? "sent" : "failed";
            m.attempts = i == 0 ? 1 : 5;
            m.updated_at = T0 + (i == 0 ? DAY : 50 * DAY);
            assert_int_equal(store_outbox_update(w, &m, NULL), KT_OK);
        }
    }
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    int64_t removed = 0;
    assert_int_equal(outbox_expire(T.s, T0 + 95 * DAY, 90, &removed, NULL), KT_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(test_count("SELECT count(*) FROM outbox"), 2);
    assert_int_equal(outbox_expire(T.s, T0 + 200 * DAY, 90, &removed, NULL), KT_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(test_count("SELECT count(*) FROM outbox WHERE state = 'queued'"), 1);
}

static struct incident record(const char *extra, int64_t now)
{
    char text[512];
    kt_snprintf(text, sizeof(text),
                "{\"description\": \"d\", \"detected_at\": \"2027-01-15T08:00:00Z\", "
                "\"categories\": [\"phone\"], \"since\": \"2027-01-15T00:00:00Z\", "
                "\"until\": \"2027-01-16T00:00:00Z\"%s}",
                extra);
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    struct incident x;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(privacy_incident_create(T.s, body, "k1", NULL, now, &A, &x, &err), KT_OK);
    json_decref(body);
    return x;
}

static void an_incident_owes_its_notices_and_counts_its_subjects(void **state)
{
    int64_t day = 0;
    time_parse_rfc3339("2027-01-15T08:00:00Z", 20, &day);
    for (int i = 0; i < 4; i++) { /* k1 reads c_a twice and c_b; k2 reads c_c; a bulk read */
        static const char *const who[] = {"c_a", "c_b", "c_a", NULL};
        audit_note("k1", "read", who[i], 0, "/v1/customers/{id}", NULL, "r", day + i * HOUR);
    }
    audit_note("k2", "read", "c_c", 0, "/v1/customers/{id}", NULL, "r", day);
    struct incident x = record(", \"key_ids\": [\"k1\"]", day + 30 * HOUR);
    assert_int_equal(x.subjects, 2);
    assert_int_equal(x.bulk_reads, 1);
    assert_int_equal(privacy_incident_notice_due(&x), day + 24 * HOUR);
    assert_int_equal(privacy_incident_results_due(&x), day + 72 * HOUR);
    json_t *o = privacy_incident_json(&x, day + 30 * HOUR, &A);
    assert_true(json_is_true(json_object_get(o, "overdue")));
    assert_int_equal(json_array_size(json_object_get(o, "due")), 2);
    json_decref(o);
    o = privacy_incident_json(&x, day + 23 * HOUR, &A);
    assert_true(json_is_false(json_object_get(o, "overdue")));
    json_decref(o);
    assert_int_equal(record(", \"key_ids\": [\"k1\", \"k2\"]", day + 30 * HOUR).subjects, 3);
    assert_int_equal(record("", day + 30 * HOUR).subjects, 3); /* by anyone */
    /* only the overdue ones are listed as such */
    struct store_conn *r;
    struct incident *list;
    size_t n;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(store_incident_list(r, day + 23 * HOUR, NULL, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_incident_list(r, day + 25 * HOUR, NULL, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 3);
    store_read_end(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(events_past_their_term_leave_daily_counts, setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(finished_messages_expire_queued_ones_stay, setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(an_incident_owes_its_notices_and_counts_its_subjects, setup,
                                        store_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    audit_shutdown();
    return rc;
}
