/*
 * channels_test.c - the pure parts of the channels: an SMS's length and parts (GSM-7 and
 * UCS-2), the token bucket, the reply's scrubbing, the e-mail's header text (RFC 2047 words,
 * mailboxes, the date, addresses) and the webhook's signature and Retry-After. The channels
 * against real peers are tests/e2e/test_channels.py.
 */
#include "helpers.h"

#include "base/buf.h"
#include "deliver/deliver.h"
#include "deliver/pace.h"
#include "deliver/sms.h"
#include "deliver/smtp.h"
#include "deliver/webhook.h"

static void expect_parts(const char *text, int chars, int parts, enum sms_encoding enc)
{
    int c = -1, p = -1;
    enum sms_encoding e = SMS_GSM7;
    sms_parts(text, &c, &p, &e);
    assert_int_equal(c, chars);
    assert_int_equal(p, parts);
    assert_int_equal(e, enc);
}

/* n copies of `unit` (UTF-8) as one malloc'd string. */
static char *times(const char *unit, int n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * (size_t)n + 1);
    for (int i = 0; i < n; i++) {
        memcpy(s + u * (size_t)i, unit, u);
    }
    s[u * (size_t)n] = '\0';
    return s;
}

static void test_sms_gsm7(void **st)
{
    (void)st;
    expect_parts("", 0, 0, SMS_GSM7);
    expect_parts("Your code 1234", 14, 1, SMS_GSM7);
    expect_parts("@£$¥èé Øø ÆæßÉ ÄÖÑÜ§¿äöñüà ΔΦΓΛΩΠΨΣΘΞ", 37, 1, SMS_GSM7);
    char *s = times("a", 160);
    expect_parts(s, 160, 1, SMS_GSM7);
    free(s);
    s = times("a", 161);
    expect_parts(s, 161, 2, SMS_GSM7);
    free(s);
    s = times("a", 306);
    expect_parts(s, 306, 2, SMS_GSM7);
    free(s);
    s = times("a", 307);
    expect_parts(s, 307, 3, SMS_GSM7);
    free(s);
    /* The extension table counts two: 80 euro signs fill one message, 81 do not. */
    s = times("€", 80);
    expect_parts(s, 160, 1, SMS_GSM7);
    free(s);
    s = times("[", 81);
    expect_parts(s, 162, 2, SMS_GSM7);
    free(s);
    expect_parts("{}\\^~|", 12, 1, SMS_GSM7);
    /* An escape pair is never split: 152 a, '{', 152 a are 306 septets, two parts of 153 by
     * count, but the pair does not fit the first part's last septet: three parts. */
    char buf[400];
    memset(buf, 'a', 152);
    buf[152] = '{';
    memset(buf + 153, 'a', 152);
    buf[305] = '\0';
    expect_parts(buf, 306, 3, SMS_GSM7);
    buf[152] = 'a'; /* 305 plain septets: two parts */
    expect_parts(buf, 305, 2, SMS_GSM7);
}

static void test_sms_ucs2_cyrillic(void **st)
{
    (void)st;
    expect_parts("Ваш код 1234", 12, 1, SMS_UCS2);
    char *s = times("я", 70);
    expect_parts(s, 70, 1, SMS_UCS2);
    free(s);
    s = times("я", 71);
    expect_parts(s, 71, 2, SMS_UCS2);
    free(s);
    s = times("я", 134);
    expect_parts(s, 134, 2, SMS_UCS2);
    free(s);
    s = times("я", 135);
    expect_parts(s, 135, 3, SMS_UCS2);
    free(s);
    /* One character outside GSM-7 makes the whole text UCS-2 (the backtick is not in it). */
    expect_parts("abc`", 4, 1, SMS_UCS2);
    expect_parts("Hello ✓", 7, 1, SMS_UCS2);
    /* A character beyond the BMP is two units, never split: 66 + an emoji go in two parts. */
    char buf[400];
    memset(buf, 'a', 66);
    memcpy(buf + 66, "\xF0\x9F\x98\x80", 4);
    memset(buf + 70, 'a', 4);
    buf[74] = '\0';
    expect_parts(buf, 72, 2, SMS_UCS2);
    /* Bytes that are not UTF-8 count, and never read past the end. */
    expect_parts("\xD0", 1, 1, SMS_UCS2);
    expect_parts("a\xFF\xFEz", 4, 1, SMS_UCS2);
}

static void test_pace(void **st)
{
    (void)st;
    struct pace p;
    pace_init(&p, 0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(pace_take(&p, 0), 0); /* unlimited */
    }
    pace_init(&p, 10); /* a burst of 10, then one each 100 ms */
    for (int i = 0; i < 10; i++) {
        assert_int_equal(pace_take(&p, 1000), 0);
    }
    assert_int_equal(pace_take(&p, 1000), 100);
    assert_int_equal(pace_take(&p, 1050), 50);
    assert_int_equal(pace_take(&p, 1100), 0);
    assert_true(pace_take(&p, 1100) > 0);
    /* A long pause refills to the burst, no more. */
    int sent = 0;
    for (int i = 0; i < 100; i++) {
        sent += pace_take(&p, 600000) == 0;
    }
    assert_int_equal(sent, 10);
    /* A clock that steps back gives nothing. */
    assert_true(pace_take(&p, 500000) > 0);
    /* Half a message per second: one now, the next two seconds later. */
    pace_init(&p, 0.5);
    assert_int_equal(pace_take(&p, 0), 0);
    assert_int_equal(pace_take(&p, 0), 2000);
    assert_int_equal(pace_take(&p, 1999), 1);
    assert_int_equal(pace_take(&p, 2000), 0);
    /* Over ten simulated seconds at 100/s: 100 (the burst) + 1000, to the message. */
    pace_init(&p, 100);
    sent = 0;
    for (int64_t t = 0; t <= 10000; t++) {
        while (pace_take(&p, t) == 0) {
            sent++;
        }
    }
    assert_int_equal(sent, 1100);
}

static void test_scrub(void **st)
{
    (void)st;
    struct deliver_result r;
    deliver_result_set(&r, DELIVER_PERMANENT, 550,
                       "550 5.1.1 <ivan.petrov@example.ru>: Recipient address rejected\r\n");
    assert_string_equal(r.text, "550 5.1.1 <address> Recipient address rejected");
    assert_int_equal(r.cls, DELIVER_PERMANENT);
    char s[64] = "451 try\r\nlater user@x";
    deliver_scrub(s, sizeof(s));
    assert_string_equal(s, "451 try later <address>");
    /* An address past the text's size is scrubbed before the cut, not half kept. */
    char longer[400];
    memset(longer, 'x', 195);
    memcpy(longer + 195, " secret.name@example.ru", 24);
    deliver_result_set(&r, DELIVER_TEMPORARY, 451, longer);
    assert_null(strstr(r.text, "secret"));
    assert_string_equal(deliver_class_name(DELIVER_TEMPORARY), "temporary");
}

static void test_header_text(void **st)
{
    (void)st;
    struct buf b;
    buf_init(&b, 4096);
    smtp_header_text(&b, "Your receipt");
    assert_string_equal(buf_cstr(&b), "Your receipt");
    buf_reset(&b);
    smtp_header_text(&b, "Чек");
    assert_string_equal(buf_cstr(&b), "=?UTF-8?B?0KfQtdC6?=");
    buf_reset(&b);
    /* "=?" in plain ASCII would read as an encoded word: encoded. A newline cannot end the
     * header: it becomes a space inside the word. */
    smtp_header_text(&b, "=?x");
    assert_string_equal(buf_cstr(&b), "=?UTF-8?B?PT94?=");
    buf_reset(&b);
    smtp_header_text(&b, "a\r\nBcc: x");
    assert_string_equal(buf_cstr(&b), "=?UTF-8?B?YSAgQmNjOiB4?=");
    buf_reset(&b);
    /* 40 Cyrillic letters (80 bytes): words of 36, 36, 8 bytes, folded by CRLF SP, no letter
     * split (36 is even: a word ends between letters). */
    char s[200] = "";
    for (int i = 0; i < 40; i++) {
        memcpy(s + 2 * i, "ж", 3);
    }
    smtp_header_text(&b, s);
    const char *t = buf_cstr(&b);
    int words = 0;
    for (const char *p = t; (p = strstr(p, "=?UTF-8?B?")) != NULL; p++) {
        const char *end = strstr(p, "?=");
        assert_true(end - p + 2 < 76);
        words++;
    }
    assert_int_equal(words, 3);
    assert_non_null(strstr(t, "?=\r\n =?UTF-8?B?"));
    buf_reset(&b);
    /* A 3-byte character at a word's end moves whole to the next word. */
    smtp_header_text(&b, "ааааааааааааааааа€€"); /* 34 bytes, then 3 + 3 */
    assert_string_equal(buf_cstr(&b),
                        "=?UTF-8?B?0LDQsNCw0LDQsNCw0LDQsNCw0LDQsNCw0LDQsNCw0LDQsA==?=\r\n"
                        " =?UTF-8?B?4oKs4oKs?=");
    buf_release(&b);
}

static void test_mailbox_date_address(void **st)
{
    (void)st;
    struct buf b;
    buf_init(&b, 4096);
    smtp_mailbox(&b, NULL, "a@example.ru");
    assert_string_equal(buf_cstr(&b), "a@example.ru");
    buf_reset(&b);
    smtp_mailbox(&b, "Shop \"Daisy\"", "a@example.ru");
    assert_string_equal(buf_cstr(&b), "\"Shop \\\"Daisy\\\"\" <a@example.ru>");
    buf_reset(&b);
    smtp_mailbox(&b, "Анна", "a@example.ru");
    assert_string_equal(buf_cstr(&b), "=?UTF-8?B?0JDQvdC90LA=?= <a@example.ru>");
    buf_reset(&b);
    buf_puts(&b, "From: ");
    smtp_mailbox(&b, "Магазин «Ромашка»", "noreply@shop.example.ru"); /* 62 + 26 */
    assert_non_null(strstr(buf_cstr(&b), "?=\r\n <noreply@shop.example.ru>"));
    buf_release(&b);
    char d[40];
    smtp_date(1709629620000LL, d, sizeof(d)); /* 2024-03-05 09:07:00 UTC */
    assert_string_equal(d, "Tue, 05 Mar 2024 09:07:00 +0000");
    assert_true(smtp_address_ok("a.b+c@example.ru"));
    assert_true(smtp_address_ok("анна@пример.рф"));
    assert_false(smtp_address_ok("a@b@c"));
    assert_false(smtp_address_ok("a b@c"));
    assert_false(smtp_address_ok("a@c>\r\nRCPT TO:<x@y"));
    assert_false(smtp_address_ok("@c"));
    assert_false(smtp_address_ok("a@"));
    assert_false(smtp_address_ok(""));
    enum smtp_starttls m;
    assert_true(smtp_starttls_parse("require", &m) && m == SMTP_STARTTLS_REQUIRE);
    assert_false(smtp_starttls_parse("yes", &m));
}

static void test_webhook_signature_and_retry_after(void **st)
{
    (void)st;
    char sig[WEBHOOK_SIG_MAX];
    webhook_sign("whsec-test-0123456789abcdef", 1700000000, "{\"a\":1}", 7, sig);
    /* Python: hmac.new(secret, b'1700000000.{"a":1}', hashlib.sha256).hexdigest() */
    assert_string_equal(sig, "t=1700000000,v1=8db04f7cda9bcceecaab81d860aebcc7f4382f5cae3862f9"
                             "075ee2a2770e4123");
    webhook_sign("whsec-test-0123456789abcdef", 1700000000, "{\"a\":2}", 7, sig);
    assert_null(strstr(sig, "8db04f7c"));
    int64_t now = 1445412480000LL; /* Wed, 21 Oct 2015 07:28:00 GMT */
    assert_int_equal(webhook_retry_after_ms(" 120\r\n", now), 120000);
    assert_int_equal(webhook_retry_after_ms("0", now), 0);
    assert_int_equal(webhook_retry_after_ms("Wed, 21 Oct 2015 07:30:00 GMT", now), 120000);
    assert_int_equal(webhook_retry_after_ms("Wed, 21 Oct 2015 07:00:00 GMT", now), 0);
    assert_int_equal(webhook_retry_after_ms("-5", now), -1);
    assert_int_equal(webhook_retry_after_ms("12abc", now), -1);
    assert_int_equal(webhook_retry_after_ms("", now), -1);
    assert_int_equal(webhook_retry_after_ms("soon", now), -1);
    assert_int_equal(webhook_retry_after_ms(NULL, now), -1);
    struct kt_err err;
    kt_err_reset(&err);
    struct webhook_opts o = {"short", 0, false};
    assert_null(webhook_new(&o, &err));
    assert_string_equal(err.code, "webhook_secret");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sms_gsm7),
        cmocka_unit_test(test_sms_ucs2_cyrillic),
        cmocka_unit_test(test_pace),
        cmocka_unit_test(test_scrub),
        cmocka_unit_test(test_header_text),
        cmocka_unit_test(test_mailbox_date_address),
        cmocka_unit_test(test_webhook_signature_and_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
