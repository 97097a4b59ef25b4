/*
 * cidr_test.c - networks of addresses and the client behind trusted proxies (cidr.c): prefixes
 * of both families, host bits, mapped IPv4, lists, and X-Forwarded-For walked from the right
 * past trusted hops only - a client's own header never names someone else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/cidr.h"

static struct cidr_list list_of(const char *text)
{
    struct cidr_list l;
    assert_true(cidr_list_parse(text, &l));
    return l;
}

static void networks_hold_their_addresses(void **state)
{
    (void)state;
    struct cidr_list l = list_of("10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,172.16.5.9/12");
    assert_int_equal(l.n, 4);
    assert_true(cidr_list_has(&l, "10.1.2.3"));
    assert_true(cidr_list_has(&l, "10.255.255.255"));
    assert_false(cidr_list_has(&l, "11.0.0.1"));
    assert_true(cidr_list_has(&l, "192.0.2.7"));
    assert_false(cidr_list_has(&l, "192.0.2.8"));
    assert_true(cidr_list_has(&l, "2001:db8:ffff::1"));
    assert_false(cidr_list_has(&l, "2001:db9::1"));
    assert_true(cidr_list_has(&l, "172.31.0.1")); /* the host bits of 172.16.5.9/12 cleared */
    assert_false(cidr_list_has(&l, "172.32.0.1"));
    assert_true(cidr_list_has(&l, "::ffff:10.9.8.7")); /* mapped IPv4 is IPv4 */
    assert_false(cidr_list_has(&l, "not an address"));
    assert_false(cidr_list_has(&l, ""));
    struct cidr_list odd = list_of("10.0.0.1/31,0.0.0.0/0");
    assert_true(cidr_list_has(&odd, "203.0.113.9")); /* /0: every IPv4 address */
    assert_false(cidr_list_has(&odd, "::1"));
    struct cidr_list none = list_of("");
    assert_int_equal(none.n, 0);
    assert_false(cidr_list_has(&none, "10.0.0.1"));
    const char *bad[] = {"10.0.0.0/33", "::/129", "10.0.0/8",    "example.com", "10.0.0.0/",
                         "10.0.0.0/8,", ",",      "10.0.0.0/-1", "10.0.0.0/8x"};
    struct cidr_list l2;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cidr_list_parse(bad[i], &l2)) {
            fail_msg("'%s' parsed", bad[i]);
        }
    }
    char many[400] = "";
    size_t off = 0;
    for (int i = 0; i < CIDR_LIST_MAX + 1; i++) {
        off += (size_t)snprintf(many + off, sizeof(many) - off, "%s10.0.0.1", i ? "," : "");
    }
    assert_false(cidr_list_parse(many, &l2));
}

static const char *client(const char *trusted, const char *peer, const char *xff)
{
    static char out[CIDR_IP_MAX];
    struct cidr_list l = list_of(trusted);
    cidr_client(&l, peer, xff, out);
    return out;
}

static void the_client_is_believed_from_trusted_proxies_only(void **state)
{
    (void)state;
    /* No proxy trusted, or the peer is not one: the header is the client's own words. */
    assert_string_equal(client("", "203.0.113.5", "198.51.100.1"), "203.0.113.5");
    assert_string_equal(client("10.0.0.0/8", "203.0.113.5", "198.51.100.1"), "203.0.113.5");
    /* From a trusted proxy: the nearest untrusted hop, whatever the client prepended. */
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", "198.51.100.1"), "198.51.100.1");
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", "1.2.3.4, 198.51.100.1"), "198.51.100.1");
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", "1.2.3.4,198.51.100.1, 10.0.0.9"),
                        "198.51.100.1");
    /* Without a header, or with nothing but proxies in it. */
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", NULL), "10.0.0.2");
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", "10.0.0.7, 10.0.0.8"), "10.0.0.7");
    /* Garbage stops the walk at the last address believed. */
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", "198.51.100.1, junk"), "10.0.0.2");
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", "junk, 198.51.100.1"), "198.51.100.1");
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", "junk, 10.0.0.5"), "10.0.0.5");
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", ""), "10.0.0.2");
    assert_string_equal(client("10.0.0.0/8", "10.0.0.2", " , "), "10.0.0.2");
    /* Written canonically: IPv6 compressed, mapped IPv4 as IPv4. */
    assert_string_equal(client("::1", "::1", "2001:DB8:0:0::1"), "2001:db8::1");
    assert_string_equal(client("::1", "::1", "::ffff:198.51.100.1"), "198.51.100.1");
    assert_string_equal(client("", "::ffff:203.0.113.5", NULL), "203.0.113.5");
    assert_string_equal(client("", "", NULL), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(networks_hold_their_addresses),
        cmocka_unit_test(the_client_is_believed_from_trusted_proxies_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
