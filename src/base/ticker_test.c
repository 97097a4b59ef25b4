/*
 * ticker_test.c - the background thread with a wake and a tick: a wake is served by a pass that
 * began after it, wakes during a pass ask for one more pass (not one each), the tick runs passes
 * nobody asked for, and a long pass sees the stop.
 */
#include "helpers.h"

#include <stdatomic.h>

#include "base/clock.h"
#include "base/ticker.h"

#define HOUR_MS (60 * 60 * 1000)

struct probe {
    atomic_int passes;
    atomic_int sleep_ms;  /* each pass sleeps this long, in 1 ms steps unless stopping */
    atomic_bool saw_stop; /* a pass saw ticker_stopping() */
    struct ticker *t;     /* set after the start */
    atomic_bool have_t;
    atomic_int began; /* passes begun */
};

static void pass(void *arg)
{
    struct probe *p = arg;
    atomic_fetch_add(&p->began, 1);
    for (int i = 0; i < atomic_load(&p->sleep_ms); i++) {
        if (atomic_load(&p->have_t) && ticker_stopping(p->t)) {
            atomic_store(&p->saw_stop, true);
            break;
        }
        usleep(1000);
    }
    atomic_fetch_add(&p->passes, 1);
}

static struct ticker *start(struct probe *p, int64_t tick_ms)
{
    struct ticker_opts o = {"kt-test", tick_ms, 0, pass, p};
    struct ticker *t = NULL;
    assert_int_equal(ticker_start(&o, &t, NULL), KT_OK);
    p->t = t;
    atomic_store(&p->have_t, true);
    return t;
}

static void a_wake_is_served_long_before_the_tick(void **state)
{
    struct probe p;
    memset(&p, 0, sizeof(p));
    struct ticker *t = start(&p, HOUR_MS);
    assert_int_equal(atomic_load(&p.passes), 0); /* the first pass waits for a tick or a wake */
    assert_true(ticker_wait(t, ticker_wake(t), 5000));
    assert_int_equal(atomic_load(&p.passes), 1);
    assert_true(ticker_wait(t, ticker_wake(t), 5000));
    assert_int_equal(atomic_load(&p.passes), 2);
    ticker_stop(t);
}

static void wakes_during_a_pass_ask_for_one_more(void **state)
{
    struct probe p;
    memset(&p, 0, sizeof(p));
    atomic_store(&p.sleep_ms, 200);
    struct ticker *t = start(&p, HOUR_MS);
    ticker_wake(t);
    while (atomic_load(&p.began) == 0) {
        usleep(1000);
    }
    ticker_wake(t); /* inside the first pass */
    uint64_t last = ticker_wake(t);
    assert_true(ticker_wait(t, last, 5000));
    assert_int_equal(atomic_load(&p.passes), 2); /* the first, and one for both later wakes */
    ticker_stop(t);
}

static void a_wait_gives_up_at_its_deadline(void **state)
{
    struct probe p;
    memset(&p, 0, sizeof(p));
    atomic_store(&p.sleep_ms, 300);
    struct ticker *t = start(&p, HOUR_MS);
    assert_false(ticker_wait(t, ticker_wake(t), 20));
    ticker_stop(t);
}

static void the_tick_runs_passes_nobody_asked_for(void **state)
{
    struct probe p;
    memset(&p, 0, sizeof(p));
    struct ticker *t = start(&p, 10);
    for (int i = 0; i < 500 && atomic_load(&p.passes) < 3; i++) {
        usleep(10 * 1000);
    }
    assert_true(atomic_load(&p.passes) >= 3);
    ticker_stop(t);
}

static void a_long_pass_sees_the_stop(void **state)
{
    struct probe p;
    memset(&p, 0, sizeof(p));
    atomic_store(&p.sleep_ms, 60 * 1000);
    struct ticker *t = start(&p, HOUR_MS);
    ticker_wake(t);
    while (atomic_load(&p.began) == 0) {
        usleep(1000);
    }
    int64_t t0 = clock_mono_ns();
    ticker_stop(t);
    assert_true(atomic_load(&p.saw_stop));
    assert_true(clock_mono_ns() - t0 < 5LL * 1000 * 1000 * 1000); /* not the pass's minute */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_wake_is_served_long_before_the_tick),
        cmocka_unit_test(wakes_during_a_pass_ask_for_one_more),
        cmocka_unit_test(a_wait_gives_up_at_its_deadline),
        cmocka_unit_test(the_tick_runs_passes_nobody_asked_for),
        cmocka_unit_test(a_long_pass_sees_the_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
