/*
 * sched_test.c - the table of jobs is well formed; an on-demand run runs every on-demand job and
 * goes on past a failing one; due work is claimed once, and only when due; the runner serves an
 * on-demand run, writes what is queued in memory when it stops, and runs due work on its clock.
 */
#include "helpers.h"

#include "base/buf.h"
#include "base/clock.h"
#include "consent/consent.h"
#include "sched/sched.h"

#define DAY_MS (86400LL * 1000)
#define NOW    1800000000000LL

static const struct key_secret K = {{7, 7, 7}};

static size_t job(const char *name)
{
    for (size_t i = 0; i < sched_jobs_count; i++) {
        if (strcmp(sched_jobs[i].name, name) == 0) {
            return i;
        }
    }
    fail_msg("no job '%s' in the table", name);
    return 0;
}

static struct sched_conf conf(const struct key_secret *k)
{
    struct sched_conf c = {T.s, k, "Kartoteka test", 30, 365, 90, NULL, NULL, NULL};
    return c;
}

static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void the_table_is_well_formed(void **state)
{
    assert_true(sched_jobs_count <= SCHED_JOBS_MAX);
    for (size_t i = 0; i < sched_jobs_count; i++) {
        const struct sched_job *j = &sched_jobs[i];
        /* Either a function, or a kind of due work with its handler. */
        assert_true((j->run != NULL) != (j->due_kind != NULL && j->due != NULL));
        /* Something runs it. */
        assert_true(j->period_ms > 0 || (j->flags & (SCHED_ON_DEMAND | SCHED_AT_STOP)));
        /* What the reply names, it counts; what run-due says, the reply has. */
        assert_true(j->key == NULL || j->counts[0] != NULL);
        assert_true(j->says == NULL || (j->key != NULL && (j->flags & SCHED_ON_DEMAND)));
        assert_true(j->says == NULL || strstr(j->says, "{1") == NULL || j->counts[1] != NULL);
        for (size_t k = 0; k < i; k++) {
            assert_false(same(j->name, sched_jobs[k].name));
            assert_false(same(j->key, sched_jobs[k].key));
        }
    }
}

static void an_on_demand_run_runs_every_on_demand_job(void **state)
{
    struct sched_conf c = conf(&K);
    struct sched_report r;
    assert_int_equal(sched_run_due(&c, NOW, &r, NULL), KT_OK);
    for (size_t i = 0; i < sched_jobs_count; i++) {
        assert_int_equal(r.ran[i], (sched_jobs[i].flags & SCHED_ON_DEMAND) != 0);
    }
    json_t *o = sched_report_json(&r);
    static const char *const keys[] = {
        "erased",    "retention",      "acts_expired",     "expired",    "birthday",
        "event_ids", "import_rejects", "campaigns",        "journeys",   "audiences",
        "wallet",    "events_expired", "messages_expired", "page_limits"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        assert_non_null(json_object_get(o, keys[i]));
    }
    assert_int_equal(json_object_size(o), sizeof(keys) / sizeof(keys[0]));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "expired"), "points")),
                     0);
    json_decref(o);
    struct buf b;
    buf_init(&b, 0);
    sched_report_text(&r, &b);
    assert_non_null(strstr(buf_cstr(&b), "erased 0 customers; retention erased 0 customers; "
                                         "0 acts of destruction purged after 3 years; "
                                         "0 points expired for 0 customers;"));
    buf_release(&b);
}

static void a_failing_job_does_not_stop_the_others(void **state)
{
    struct sched_conf c = conf(NULL); /* the erasures need the secret */
    struct sched_report r;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(sched_run_due(&c, NOW, &r, &err), KT_EINTERNAL);
    assert_non_null(strstr(err.msg, "'erasures_due' needs the installation secret"));
    assert_false(r.ran[job("erasures_due")]);
    assert_false(r.ran[job("retention")]);
    assert_true(r.ran[job("points_expiry")]);
    assert_true(r.ran[job("import_rejects_expiry")]);
}

static int64_t customer_due(int64_t due_at)
{
    static int seq;
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    struct customer cu;
    memset(&cu, 0, sizeof(cu));
    kt_snprintf(cu.id, sizeof(cu.id), "c_00000000000000000%03d", ++seq);
    cu.created_at = cu.updated_at = 1;
    assert_int_equal(store_customer_insert(w, &cu, NULL), KT_OK);
    struct due_item d = {0, "erase", cu.ck, due_at, "withdrawal", 1};
    assert_int_equal(store_due_add(w, &d, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    return cu.ck;
}

static bool erased(int64_t ck)
{
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    struct customer cu;
    assert_int_equal(store_customer_get(r, ck, &A, &cu, NULL, NULL), KT_OK);
    store_read_end(r);
    return cu.erased_at != 0;
}

static void due_work_is_claimed_once_when_due(void **state)
{
    int64_t now_due = customer_due(NOW - 1), later = customer_due(NOW + DAY_MS);
    struct sched_conf c = conf(&K);
    struct sched_report r;
    size_t e = job("erasures_due");
    assert_int_equal(sched_run_due(&c, NOW, &r, NULL), KT_OK);
    assert_int_equal(r.n[e][0], 1);
    assert_true(erased(now_due));
    assert_false(erased(later));
    assert_int_equal(sched_run_due(&c, NOW, &r, NULL), KT_OK);
    assert_int_equal(r.n[e][0], 0); /* done once */
    assert_int_equal(sched_run_due(&c, NOW + DAY_MS, &r, NULL), KT_OK);
    assert_int_equal(r.n[e][0], 1);
    assert_true(erased(later));
}

static void the_runner_serves_a_run_and_flushes_at_stop(void **state)
{
    struct sched_conf c = conf(&K);
    struct sched *x = NULL;
    assert_int_equal(sched_start(&c, &x, NULL), KT_OK);
    int64_t ck = customer_due(NOW - 1);
    struct sched_report r;
    assert_int_equal(sched_run_now(x, NOW, &r, NULL), KT_OK);
    assert_int_equal(r.n[job("erasures_due")][0], 1);
    assert_true(erased(ck));
    audit_note(NULL, "test", "c_x", 0, "sched_test", NULL, NULL, NOW);
    assert_true(audit_queued() > 0);
    sched_stop(x); /* the reads log is written once more */
    assert_int_equal(audit_queued(), 0);
}

static void the_runner_runs_due_work_on_its_clock(void **state)
{
    struct sched_conf c = conf(&K);
    int64_t ck = customer_due(clock_now_ms() - 1);
    struct sched *x = NULL;
    assert_int_equal(sched_start(&c, &x, NULL), KT_OK);
    /* The due work runs at the first tick (a second after the start), then every minute. */
    for (int i = 0; i < 100 && !erased(ck); i++) {
        usleep(50 * 1000);
    }
    sched_stop(x);
    assert_true(erased(ck));
}

int main(void)
{
    audit_key_init(&K); /* the audit log's entries are chained with it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_table_is_well_formed),
        cmocka_unit_test_setup_teardown(an_on_demand_run_runs_every_on_demand_job, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_failing_job_does_not_stop_the_others, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(due_work_is_claimed_once_when_due, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(the_runner_serves_a_run_and_flushes_at_stop, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(the_runner_runs_due_work_on_its_clock, store_setup,
                                        store_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    audit_shutdown();
    return rc;
}
