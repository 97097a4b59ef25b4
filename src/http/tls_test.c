/*
 * tls_test.c - which listen addresses count as loopback (plain HTTP allowed there) and which
 * need TLS or --insecure-http. The certificate checks run against real files in
 * tests/e2e/test_tls.py.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/tls.h"

static bool loopback(const char *addr)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(addr, ':') != NULL) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, addr, &in->sin_addr), 1);
    }
    return http_addr_is_loopback((struct sockaddr *)&ss);
}

static void test_loopback_addresses(void **state)
{
    (void)state;
    assert_true(loopback("127.0.0.1"));
    assert_true(loopback("127.1.2.3"));
    assert_true(loopback("::1"));
    assert_true(loopback("::ffff:127.0.0.1"));
}

static void test_addresses_others_can_reach(void **state)
{
    (void)state;
    assert_false(loopback("0.0.0.0"));
    assert_false(loopback("::"));
    assert_false(loopback("10.0.0.1"));
    assert_false(loopback("192.168.1.10"));
    assert_false(loopback("128.0.0.1"));
    assert_false(loopback("126.255.255.255"));
    assert_false(loopback("::ffff:10.0.0.1"));
    assert_false(loopback("fe80::1"));
    assert_false(loopback("::2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_addresses),
        cmocka_unit_test(test_addresses_others_can_reach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
