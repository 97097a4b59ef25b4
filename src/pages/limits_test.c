/*
 * limits_test.c - the pages' limits (limits.c) on a real store: sliding windows counted exactly,
 * the wait until the use that fills a window leaves it, two windows of one kind, kinds and keys
 * apart, refused and rolled-back uses not counted, the key kept only as its keyed tag, the
 * expiry of what no window reaches, the rules' text, and the 429 page in Russian.
 */
#include "helpers.h"

#include <sodium.h>

#include "loyalty/cards.h"
#include "pages/limits.h"

#define NOW    1800000000000LL
#define MIN    (60 * 1000LL)
#define HOUR   (60 * MIN)
#define PHONE  "79161234567"
#define ADDR   "198.51.100.23"
#define SECRET "0123456789abcdef0123456789abcdef"

static struct key_secret K;

static int setup(void **state)
{
    memcpy(K.k, SECRET, sizeof(K.k));
    pages_limits_set(&pages_limits_default);
    return store_setup(state);
}

/* One use in a transaction of its own, committed when admitted; err gets the refusal. */
static enum kt_rc take(const char *kind, const char *key, int64_t now, struct kt_err *err)
{
    struct store_conn *w = wbegin();
    kt_err_reset(err);
    enum kt_rc rc = pages_limit_take(w, &K, kind, key, now, err);
    assert_int_equal(store_write_end(w, rc, NULL), rc);
    return rc;
}

static void a_phone_has_two_windows(void **state)
{
    (void)state;
    struct kt_err err;
    /* 3 in 10 minutes: the fourth waits until the first leaves the window, to the second. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(take("phone", PHONE, NOW + i * MIN, &err), KT_OK);
    }
    assert_int_equal(take("phone", PHONE, NOW + 3 * MIN, &err), KT_ELIMIT);
    assert_string_equal(err.code, "page_rate_limited");
    assert_string_equal(err.field, "phone");
    assert_int_equal(err.retry_after, 7 * 60);
    assert_null(strstr(err.msg, PHONE));
    /* A refused use is not counted: one millisecond before the first leaves, still refused; at
     * the moment it leaves, admitted. */
    assert_int_equal(take("phone", PHONE, NOW + 10 * MIN - 1, &err), KT_ELIMIT);
    assert_int_equal(err.retry_after, 1);
    assert_int_equal(take("phone", PHONE, NOW + 10 * MIN, &err), KT_OK);
    assert_int_equal(test_count("SELECT count(*) FROM page_limits"), 4);
    /* 10 in a day: three every half hour until the tenth; the eleventh waits for the first of
     * the day to leave it, however empty the ten minutes are. */
    int64_t t = NOW + 30 * MIN;
    for (int i = 4; i < 10; i++, t += 30 * MIN) {
        assert_int_equal(take("phone", PHONE, t, &err), KT_OK);
    }
    assert_int_equal(test_count("SELECT count(*) FROM page_limits"), 10);
    assert_int_equal(take("phone", PHONE, t, &err), KT_ELIMIT);
    assert_int_equal(err.retry_after, (NOW + 24 * HOUR - t) / 1000);
    assert_int_equal(take("phone", PHONE, NOW + 24 * HOUR, &err), KT_OK);
}

static void kinds_and_keys_are_apart(void **state)
{
    (void)state;
    struct kt_err err;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(take("addr", ADDR, NOW + i, &err), KT_OK);
    }
    assert_int_equal(take("addr", ADDR, NOW + 20, &err), KT_ELIMIT);
    assert_string_equal(err.field, "addr");
    assert_int_equal(err.retry_after, 3600); /* 3,599.98 s rounded up */
    assert_int_equal(take("addr", "198.51.100.24", NOW + 21, &err), KT_OK);
    assert_int_equal(take("join_point", ADDR, NOW + 22, &err), KT_OK); /* same text, other kind */
    assert_int_equal(take("phone", ADDR, NOW + 23, &err), KT_OK);
    /* Unknown: a bug; empty: the server does not know the address, nothing counted. */
    assert_int_equal(take("email", ADDR, NOW, &err), KT_EINTERNAL);
    int64_t before = test_count("SELECT count(*) FROM page_limits");
    for (int i = 0; i < 30; i++) {
        assert_int_equal(take("addr", "", NOW + i, &err), KT_OK);
        assert_int_equal(take("addr", NULL, NOW + i, &err), KT_OK);
    }
    assert_int_equal(test_count("SELECT count(*) FROM page_limits"), before);
}

static void a_rolled_back_use_counts_nothing(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++) { /* the work it admitted failed: the caller rolled back */
        struct store_conn *w = wbegin();
        assert_int_equal(pages_limit_take(w, &K, "phone", PHONE, NOW + i, NULL), KT_OK);
        store_write_rollback(w);
    }
    assert_int_equal(test_count("SELECT count(*) FROM page_limits"), 0);
    struct kt_err err;
    assert_int_equal(take("phone", PHONE, NOW + 100, &err), KT_OK);
}

/* The rows hold the keyed tag alone: neither the phone nor the address in any column, in any
 * encoding a reader would try; the tag is keys_tag's under the kind's context. */
static void the_key_is_kept_as_its_keyed_tag(void **state)
{
    (void)state;
    SQLITE_ONLY(); /* SQLite's hex() and instr() over the stored bytes */
    struct kt_err err;
    assert_int_equal(take("phone", PHONE, NOW, &err), KT_OK);
    assert_int_equal(take("addr", ADDR, NOW, &err), KT_OK);
    assert_int_equal(test_count("SELECT count(*) FROM page_limits WHERE "
                                "instr(CAST(tag AS TEXT), '79161234567') OR "
                                "instr(hex(tag), hex('79161234567')) OR "
                                "instr(CAST(tag AS TEXT), '198.51.100.23') OR kind NOT IN "
                                "('phone', 'addr') OR length(tag) != 32"),
                     0);
    unsigned char want[32];
    char hex[65], sql[200];
    keys_tag(&K, "page-limit:phone:", PHONE, want);
    sodium_bin2hex(hex, sizeof(hex), want, sizeof(want));
    for (char *p = hex; *p; p++) {
        *p = (char)(*p >= 'a' ? *p - 32 : *p);
    }
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM page_limits WHERE hex(tag) = '%s'", hex);
    assert_int_equal(test_count(sql), 1);
    /* Another installation's secret gives another tag: the rows say nothing elsewhere. */
    struct key_secret other;
    memset(other.k, 7, sizeof(other.k));
    unsigned char theirs[32];
    keys_tag(&other, "page-limit:phone:", PHONE, theirs);
    assert_memory_not_equal(want, theirs, 32);
    /* The one-time codes' tag is the same helper's, kept as it was. */
    unsigned char otp[32];
    otp_phone_tag(&K, PHONE, otp);
    keys_tag(&K, "otp-phone:", PHONE, want);
    assert_memory_equal(otp, want, 32);
}

static void what_no_window_reaches_expires(void **state)
{
    (void)state;
    struct kt_err err;
    assert_int_equal(take("phone", PHONE, NOW, &err), KT_OK); /* counts a day */
    assert_int_equal(take("addr", ADDR, NOW, &err), KT_OK);   /* an hour */
    assert_int_equal(take("join_point", "7KX2MQ9D", NOW, &err), KT_OK);
    int64_t n = -1;
    assert_int_equal(pages_limits_expire(T.s, NOW + HOUR - 1, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(pages_limits_expire(T.s, NOW + HOUR, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(test_count("SELECT count(*) FROM page_limits WHERE kind = 'phone'"), 1);
    assert_int_equal(pages_limits_expire(T.s, NOW + 24 * HOUR, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    /* More than a batch goes in several transactions, all of it. */
    struct pages_limits l = pages_limits_default;
    l.addr[0] = (struct pages_limit_rule){5000, MIN};
    pages_limits_set(&l);
    struct store_conn *w = wbegin();
    for (int i = 0; i < 2500; i++) {
        assert_int_equal(pages_limit_take(w, &K, "addr", ADDR, NOW + i, NULL), KT_OK);
    }
    wcommit(w);
    assert_int_equal(pages_limits_expire(T.s, NOW + 2499 + MIN, &n, NULL), KT_OK);
    assert_int_equal(n, 2500);
    assert_int_equal(test_count("SELECT count(*) FROM page_limits"), 0);
}

static void limits_are_configured(void **state)
{
    (void)state;
    struct pages_limit_rule r[PAGES_LIMIT_RULES];
    assert_true(pages_limits_parse("3/10m,10/1d", r));
    assert_int_equal(r[0].count, 3);
    assert_int_equal(r[0].window_ms, 10 * MIN);
    assert_int_equal(r[1].count, 10);
    assert_int_equal(r[1].window_ms, 24 * HOUR);
    assert_true(pages_limits_parse("20/1h", r));
    assert_int_equal(r[0].window_ms, HOUR);
    assert_int_equal(r[1].count, 0);
    assert_true(pages_limits_parse("5/30s", r));
    assert_int_equal(r[0].window_ms, 30000);
    assert_true(pages_limits_parse("off", r));
    assert_int_equal(r[0].count, 0);
    const char *bad[] = {"",      "3",    "3/",          "/10m",       "3/10",   "3/10x",
                         "0/10m", "3/0m", "3/31d",       "1000001/1d", "3/10m,", "1/1s,1/1s,1/1s",
                         "-1/1m", "3/m",  "3/10m 10/1d", "a/10m"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(pages_limits_parse(bad[i], r));
        assert_int_equal(r[0].count, 0);
    }
    /* In force: "off" lets everything through and writes nothing. */
    struct pages_limits l = pages_limits_default;
    assert_true(pages_limits_parse("off", l.addr));
    assert_true(pages_limits_parse("1/1m", l.join_point));
    pages_limits_set(&l);
    struct kt_err err;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(take("addr", ADDR, NOW + i, &err), KT_OK);
    }
    assert_int_equal(test_count("SELECT count(*) FROM page_limits"), 0);
    assert_int_equal(take("join_point", "7KX2MQ9D", NOW, &err), KT_OK);
    assert_int_equal(take("join_point", "7KX2MQ9D", NOW + 1000, &err), KT_ELIMIT);
    assert_int_equal(err.retry_after, 59);
}

static void the_page_says_how_long_in_russian(void **state)
{
    (void)state;
    const struct {
        int seconds;
        const char *says;
    } cases[] = {
        {1, "через 1 минуту."},       {60, "через 1 минуту."},      {61, "через 2 минуты."},
        {300, "через 5 минут."},      {1260, "через 21 минуту."},   {3600, "через 60 минут."},
        {3601, "через 2 часа."},      {86400, "через 24 часа."},    {0, "через 1 минуту."},
        {11 * 60, "через 11 минут."}, {22 * 60, "через 22 минуты."}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *html;
        size_t len;
        assert_int_equal(pages_render_limited(cases[i].seconds, &A, &html, &len, NULL), KT_OK);
        assert_int_equal(strlen(html), len);
        if (strstr(html, cases[i].says) == NULL) {
            fail_msg("%d s: no '%s' in %s", cases[i].seconds, cases[i].says, html);
        }
        assert_non_null(strstr(html, "<html lang=\"ru\""));
        assert_non_null(strstr(html, "Слишком много попыток"));
    }
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, setup, store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        CASE(a_phone_has_two_windows),           CASE(kinds_and_keys_are_apart),
        CASE(a_rolled_back_use_counts_nothing),  CASE(the_key_is_kept_as_its_keyed_tag),
        CASE(what_no_window_reaches_expires),    CASE(limits_are_configured),
        CASE(the_page_says_how_long_in_russian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
