/*
 * policy_test.c - the sending policy's pure parts with fixed clocks and zones: the quiet-hours
 * window's syntax, and a moment inside or outside it on the customer's local clock (Moscow and
 * Vladivostok at one UTC instant answer differently); the caps' windows (rolling hours, local
 * calendar days and ISO weeks, n of them), their reasons, which messages a rule counts, and the
 * decoding of their rules with each mistake's code and member. The caps' store (the version,
 * what counts) is tested here too; the decision in the claim end to end
 * (tests/e2e/test_policy.py).
 */
#include "helpers.h"

#include "base/clock.h"
#include "base/jsonx.h"
#include "deliver/policy.h"

static int64_t utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
    return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

static const struct tz *zone(const char *name)
{
    const struct tz *z;
    assert_int_equal(tz_find(name, NULL, &z, NULL), KT_OK);
    return z;
}

static void window_syntax(void **state)
{
    (void)state;
    struct policy_window w;
    assert_true(policy_window_parse("21:00-09:00", &w));
    assert_int_equal(w.from, 21 * 60);
    assert_int_equal(w.to, 9 * 60);
    assert_true(policy_window_parse("13:30-14:05", &w));
    assert_int_equal(w.from, 13 * 60 + 30);
    assert_int_equal(w.to, 14 * 60 + 5);
    assert_true(policy_window_parse("none", &w));
    assert_int_equal(w.from, POLICY_NO_WINDOW);
    const char *bad[] = {"",           "21:00",       "24:00-09:00", "21:60-09:00",  "9:00-21:00",
                         "21:00-9:00", "21:00-21:00", "21:00 09:00", "21:00-09:00x", "None"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(policy_window_parse(bad[i], &w));
    }
    assert_false(policy_window_parse(NULL, &w));
}

static void quiet_on_the_local_clock(void **state)
{
    (void)state;
    struct policy_conf pc;
    policy_conf_default(&pc);
    const struct tz *msk = zone("Europe/Moscow"), *vvo = zone("Asia/Vladivostok");
    /* 12:00 UTC: 15:00 in Moscow (UTC+3), 22:00 in Vladivostok (UTC+10) */
    int64_t at = utc(2026, 12, 3, 12, 0);
    assert_int_equal(policy_quiet_end(&pc.push, msk, at), 0);
    assert_int_equal(policy_quiet_end(&pc.push, vvo, at), utc(2026, 12, 3, 23, 0)); /* 09:00 */
    assert_int_equal(policy_quiet_end(&pc.push, vvo, utc(2026, 12, 3, 22, 59) + 59999),
                     utc(2026, 12, 3, 23, 0));
    assert_int_equal(policy_quiet_end(&pc.push, vvo, utc(2026, 12, 3, 23, 0) + 1500), 0);
    /* 20:59 and 21:00 Moscow: the window starts on the minute; 08:59 inside, 09:00 outside */
    assert_int_equal(policy_quiet_end(&pc.sms, msk, utc(2026, 12, 3, 17, 59)), 0);
    assert_int_equal(policy_quiet_end(&pc.sms, msk, utc(2026, 12, 3, 18, 0)),
                     utc(2026, 12, 4, 6, 0));
    assert_int_equal(policy_quiet_end(&pc.sms, msk, utc(2026, 12, 4, 5, 59)),
                     utc(2026, 12, 4, 6, 0));
    assert_int_equal(policy_quiet_end(&pc.sms, msk, utc(2026, 12, 4, 6, 0)), 0);
    assert_int_equal(policy_quiet_end(&pc.email, msk, utc(2026, 12, 3, 18, 0)), 0); /* none */
    /* a window inside one day */
    struct policy_window lunch;
    assert_true(policy_window_parse("13:00-14:00", &lunch));
    assert_int_equal(policy_quiet_end(&lunch, msk, utc(2026, 12, 3, 10, 30)),
                     utc(2026, 12, 3, 11, 0));
    assert_int_equal(policy_quiet_end(&lunch, msk, utc(2026, 12, 3, 11, 0)), 0);
    /* a zeroed conf has no quiet hours */
    struct policy_window zero = {0, 0};
    assert_int_equal(policy_quiet_end(&zero, msk, at), 0);
}

static void cap_windows_on_the_local_calendar(void **state)
{
    (void)state;
    const struct tz *msk = zone("Europe/Moscow"), *vvo = zone("Asia/Vladivostok");
    /* Thursday 3 December 2026, 14:30 UTC: 17:30 in Moscow, 00:30 on Friday in Vladivostok */
    int64_t at = utc(2026, 12, 3, 14, 30);
    struct cap_rule hours = {2, "hours", 24, NULL, NULL}, day = {3, "days", 1, "email", NULL};
    assert_int_equal(policy_cap_since(&hours, msk, at), at - 24 * 3600000LL);   /* rolling */
    assert_int_equal(policy_cap_since(&hours, vvo, at), at - 24 * 3600000LL);   /* zone-free */
    assert_int_equal(policy_cap_since(&day, msk, at), utc(2026, 12, 2, 21, 0)); /* 00:00 MSK */
    assert_int_equal(policy_cap_since(&day, vvo, at), utc(2026, 12, 3, 14, 0)); /* Fri 00:00 */
    assert_int_equal(policy_cap_since(&day, vvo, at - 1800001), utc(2026, 12, 2, 14, 0));
    day.n = 3; /* today and the two days before */
    assert_int_equal(policy_cap_since(&day, msk, at), utc(2026, 11, 30, 21, 0));
    /* ISO weeks start on Monday: 30 November 2026 is one */
    struct cap_rule week = {5, "weeks", 1, NULL, "promo"};
    assert_int_equal(policy_cap_since(&week, msk, at), utc(2026, 11, 29, 21, 0));
    assert_int_equal(policy_cap_since(&week, vvo, at), utc(2026, 11, 29, 14, 0));
    /* Sunday 23:59 in Moscow is still the week before; Monday 00:00 starts a new one */
    assert_int_equal(policy_cap_since(&week, msk, utc(2026, 12, 6, 20, 59)),
                     utc(2026, 11, 29, 21, 0));
    assert_int_equal(policy_cap_since(&week, msk, utc(2026, 12, 6, 21, 0)),
                     utc(2026, 12, 6, 21, 0));
    week.n = 2;
    assert_int_equal(policy_cap_since(&week, msk, at), utc(2026, 11, 22, 21, 0));
    /* a day across a change of offset: Europe/Berlin's 29 March 2026 has 23 hours */
    const struct tz *ber = zone("Europe/Berlin");
    struct cap_rule one = {1, "days", 1, NULL, NULL};
    assert_int_equal(policy_cap_since(&one, ber, utc(2026, 3, 29, 22, 30)),
                     utc(2026, 3, 29, 22, 0)); /* 00:30 CEST on the 30th */
    assert_int_equal(policy_cap_since(&one, ber, utc(2026, 3, 29, 21, 59)),
                     utc(2026, 3, 28, 23, 0)); /* 23:59 CEST on the 29th: from 00:00 CET */
}

static void cap_reasons_and_what_they_count(void **state)
{
    (void)state;
    arena_init(&A, 0);
    struct cap_rule email = {3, "days", 1, "email", NULL}, total = {10, "weeks", 2, NULL, NULL},
                    promo = {1, "hours", 6, "push", "promo"};
    assert_string_equal(policy_cap_reason(&email, &A), "cap:3/1d/email/*");
    assert_string_equal(policy_cap_reason(&total, &A), "cap:10/2w/*/*");
    assert_string_equal(policy_cap_reason(&promo, &A), "cap:1/6h/push/promo");
    assert_true(policy_cap_applies(&email, "email", NULL));
    assert_true(policy_cap_applies(&email, "email", "promo"));
    assert_false(policy_cap_applies(&email, "push", NULL));
    assert_true(policy_cap_applies(&total, "sms", "news"));
    assert_true(policy_cap_applies(&promo, "push", "promo"));
    assert_false(policy_cap_applies(&promo, "push", "news"));
    assert_false(policy_cap_applies(&promo, "push", NULL));
    assert_false(policy_cap_applies(&promo, "email", "promo"));
    arena_release(&A);
}

/* Decodes `text`; on an error checks its code and field. */
static size_t decode(const char *text, const char *code, const char *field, struct cap_rule **r)
{
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    struct kt_err err = {0};
    size_t n = 0;
    enum kt_rc rc = policy_caps_decode(body, &A, r, &n, &err);
    json_decref(body);
    if (code == NULL) {
        assert_int_equal(rc, KT_OK);
        return n;
    }
    assert_int_equal(rc, KT_EINVAL);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
    return 0;
}

static void cap_rules_decoded(void **state)
{
    (void)state;
    arena_init(&A, 0);
    struct cap_rule *r = NULL;
    assert_int_equal(decode("{\"rules\": [{\"count\": 3, \"per\": \"days\", \"channel\": "
                            "\"email\"}, {\"count\": 5, \"per\": \"weeks\", \"n\": 2, \"topic\": "
                            "\"promo\", \"reason\": \"cap:5/2w/*/promo\"}], \"version\": 7}",
                            NULL, NULL, &r),
                     2);
    assert_int_equal(r[0].count, 3);
    assert_string_equal(r[0].per, "days");
    assert_int_equal(r[0].n, 1); /* the default */
    assert_string_equal(r[0].channel, "email");
    assert_null(r[0].topic);
    assert_int_equal(r[1].n, 2);
    assert_null(r[1].channel);
    assert_string_equal(r[1].topic, "promo");
    assert_int_equal(decode("{\"rules\": []}", NULL, NULL, &r), 0); /* no caps */
    const char *ok = "{\"count\": 1, \"per\": \"hours\"}";
    char many[2048];
    size_t len = (size_t)snprintf(many, sizeof(many), "{\"rules\": [%s", ok);
    for (int i = 0; i < CAPS_MAX_RULES; i++) {
        len += (size_t)snprintf(many + len, sizeof(many) - len, ", %s", ok);
    }
    snprintf(many + len, sizeof(many) - len, "]}"); /* 33 rules */
    struct {
        const char *text, *code, *field;
    } bad[] = {
        {"{}", "missing_field", "rules"},
        {"{\"rules\": {}}", "wrong_type", "rules"},
        {"{\"rules\": [], \"caps\": 1}", "unknown_field", "caps"},
        {many, "too_many", "rules"},
        {"{\"rules\": [{\"count\": 1, \"per\": \"hours\"}, 3]}", "wrong_type", "rules[1]"},
        {"{\"rules\": [{\"per\": \"days\"}]}", "missing_field", "rules[0].count"},
        {"{\"rules\": [{\"count\": 0, \"per\": \"days\"}]}", "invalid_value", "rules[0].count"},
        {"{\"rules\": [{\"count\": 1.5, \"per\": \"days\"}]}", "wrong_type", "rules[0].count"},
        {"{\"rules\": [{\"count\": 100001, \"per\": \"days\"}]}", "invalid_value",
         "rules[0].count"},
        {"{\"rules\": [{\"count\": 1}]}", "missing_field", "rules[0].per"},
        {"{\"rules\": [{\"count\": 1, \"per\": \"months\"}]}", "invalid_value", "rules[0].per"},
        {"{\"rules\": [{\"count\": 1, \"per\": \"days\", \"n\": 0}]}", "invalid_value",
         "rules[0].n"},
        {"{\"rules\": [{\"count\": 1, \"per\": \"days\", \"n\": 367}]}", "invalid_value",
         "rules[0].n"},
        {"{\"rules\": [{\"count\": 1, \"per\": \"weeks\", \"n\": 54}]}", "invalid_value",
         "rules[0].n"},
        {"{\"rules\": [{\"count\": 1, \"per\": \"days\", \"channel\": \"fax\"}]}", "invalid_value",
         "rules[0].channel"},
        {"{\"rules\": [{\"count\": 1, \"per\": \"days\", \"topic\": \"\"}]}", "invalid_value",
         "rules[0].topic"},
        {"{\"rules\": [{\"count\": 1, \"per\": \"days\"}, {\"count\": 1, \"per\": \"days\", "
         "\"every\": 2}]}",
         "unknown_field", "rules[1].every"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        decode(bad[i].text, bad[i].code, bad[i].field, &r);
    }
    assert_int_equal(
        decode("{\"rules\": [{\"count\": 1, \"per\": \"hours\", \"n\": 8784}]}", NULL, NULL, &r),
        1);
    arena_release(&A);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_syntax),
        cmocka_unit_test(quiet_on_the_local_clock),
        cmocka_unit_test(cap_windows_on_the_local_calendar),
        cmocka_unit_test(cap_reasons_and_what_they_count),
        cmocka_unit_test(cap_rules_decoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
