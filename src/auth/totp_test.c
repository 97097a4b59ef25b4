/*
 * totp_test.c - RFC 6238's test vectors (appendix B, SHA-1, 8 digits) and RFC 4226's (appendix
 * D, 6 digits); a code accepted one step either side and not two; a step accepted once; base32
 * secrets in either case; the otpauth URI.
 */
#include "helpers.h"

#include "auth/totp.h"

static const unsigned char KEY[] = "12345678901234567890";

static void rfc6238_vectors(void **state)
{
    (void)state;
    static const struct {
        int64_t t;
        uint32_t code;
    } v[] = {{59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
             {1234567890, 89005924}, {2000000000, 69279037}, {20000000000, 65353130}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint64_t step = (uint64_t)totp_step(v[i].t * 1000);
        assert_int_equal(totp_hotp(KEY, 20, step, 8), v[i].code);
    }
    static const uint32_t hotp[] = {755224, 287082, 359152, 969429, 338314,
                                    254676, 287922, 162583, 399871, 520489};
    for (uint64_t c = 0; c < 10; c++) {
        assert_int_equal(totp_hotp(KEY, 20, c, 6), hotp[c]);
    }
}

/* The code of KEY (base32 below) at step `s`, 6 digits. */
static void code_at(int64_t s, char out[7])
{
    kt_snprintf(out, 7, "%06u", totp_hotp(KEY, 20, (uint64_t)s, 6));
}

static void drift_and_replay(void **state)
{
    (void)state;
    const char *secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; /* base32 of KEY */
    int64_t now = 1111111111000, step = totp_step(now), got = 0;
    char c[7];
    code_at(step, c);
    assert_true(totp_check(secret, c, now, 0, &got));
    assert_int_equal(got, step);
    assert_false(totp_check(secret, c, now, step, &got)); /* used: never again */
    code_at(step - 1, c);
    assert_true(totp_check(secret, c, now, 0, &got));
    assert_int_equal(got, step - 1);
    code_at(step + 1, c);
    assert_true(totp_check(secret, c, now, 0, &got));
    code_at(step - 2, c);
    assert_false(totp_check(secret, c, now, 0, &got));
    code_at(step + 2, c);
    assert_false(totp_check(secret, c, now, 0, &got));
    code_at(step, c);
    assert_true(totp_check("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", c, now, 0, &got));
    assert_false(totp_check("not base32!", c, now, 0, &got));
    assert_false(totp_check(secret, "12345", now, 0, &got));
    assert_false(totp_check(secret, "12345a", now, 0, &got));
}

static void secrets_and_uri(void **state)
{
    (void)state;
    char s1[TOTP_SECRET_CHARS + 1], s2[TOTP_SECRET_CHARS + 1];
    totp_secret_new(s1);
    totp_secret_new(s2);
    assert_int_equal(strlen(s1), TOTP_SECRET_CHARS);
    assert_string_not_equal(s1, s2);
    struct arena a;
    arena_init(&a, 0);
    assert_string_equal(totp_uri(s1, "ann+x@example.com", &a),
                        arena_printf(&a,
                                     "otpauth://totp/Kartoteka:ann%%2Bx%%40example.com?secret=%s"
                                     "&issuer=Kartoteka&algorithm=SHA1&digits=6&period=30",
                                     s1));
    arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc6238_vectors),
        cmocka_unit_test(drift_and_replay),
        cmocka_unit_test(secrets_and_uri),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
