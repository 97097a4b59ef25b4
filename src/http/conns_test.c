/*
 * conns_test.c - the head deadline on real loopback TCP connections, with a clock the test moves:
 * a silent or trickling new connection is shut down after the deadline, a request being handled
 * never is, a kept-alive connection that sends nothing is left alone, and one that starts its next
 * request owes the head from its first byte.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "http/conns.h"

#define S ((int64_t)1000000000) /* one second in ns */

struct pair {
    int client; /* the test's end */
    int server; /* the end the table watches */
};

static void pair_open(struct pair *p)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(ls >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(ls, 1), 0);
    assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &len), 0);
    p->client = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(p->client, (struct sockaddr *)&a, sizeof(a)), 0);
    p->server = accept(ls, NULL, NULL);
    assert_true(p->server >= 0);
    close(ls);
}

static void pair_close(struct pair *p)
{
    close(p->client);
    close(p->server);
}

/* The client's end saw the server shut the connection down (end of stream). */
static bool shut_down(const struct pair *p)
{
    struct pollfd pfd = {p->client, POLLIN, 0};
    if (poll(&pfd, 1, 200) != 1) {
        return false;
    }
    char b;
    return recv(p->client, &b, 1, MSG_DONTWAIT) == 0;
}

/* The server's end reads what the client sent, as the HTTP server would. */
static void client_sends(struct pair *p, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(send(p->client, s, n, 0), (ssize_t)n);
    char buf[256];
    struct pollfd pfd = {p->server, POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 1000), 1);
    assert_true(recv(p->server, buf, sizeof(buf), 0) > 0);
}

static void silent_and_trickling_heads_are_cut(void **state)
{
    (void)state;
    struct conns *t = conns_new(4, 10 * S);
    struct pair quiet, slow;
    pair_open(&quiet);
    pair_open(&slow);
    struct conn *cq = conns_add(t, quiet.server, 100 * S);
    struct conn *cs = conns_add(t, slow.server, 100 * S);
    assert_non_null(cq);
    assert_non_null(cs);
    assert_int_equal(conns_count(t), 2);
    for (int i = 1; i <= 9; i++) { /* a byte a second resets an idle timer, not this deadline */
        client_sends(&slow, "G");
        assert_int_equal(conns_sweep(t, (100 + i) * S), 0);
    }
    assert_int_equal(conns_sweep(t, 110 * S), 0); /* exactly at the deadline: still in time */
    assert_int_equal(conns_sweep(t, 110 * S + 1), 2);
    assert_true(shut_down(&quiet));
    assert_true(shut_down(&slow));
    assert_int_equal(conns_sweep(t, 200 * S), 0); /* shut once, not again */
    conns_remove(t, cq);
    conns_remove(t, cs);
    assert_int_equal(conns_count(t), 0);
    pair_close(&quiet);
    pair_close(&slow);
    conns_free(t);
}

static void a_request_being_handled_owes_nothing(void **state)
{
    (void)state;
    struct conns *t = conns_new(1, 10 * S);
    struct pair p;
    pair_open(&p);
    struct conn *c = conns_add(t, p.server, 0);
    client_sends(&p, "GET / HTTP/1.1\r\n\r\n");
    conns_request_begin(t, c);
    assert_int_equal(conns_sweep(t, 60 * S), 0); /* a slow handler or a long upload */
    assert_false(shut_down(&p));
    conns_remove(t, c);
    pair_close(&p);
    conns_free(t);
}

static void kept_alive_connections_owe_a_head_from_their_first_byte(void **state)
{
    (void)state;
    struct conns *t = conns_new(2, 10 * S);
    struct pair p;
    pair_open(&p);
    struct conn *c = conns_add(t, p.server, 0);
    client_sends(&p, "GET / HTTP/1.1\r\n\r\n");
    conns_request_begin(t, c);
    conns_request_end(t, c);                     /* the reply went out at 1 s */
    assert_int_equal(conns_sweep(t, 30 * S), 0); /* idle, sending nothing: left alone */
    assert_false(shut_down(&p));
    client_sends(&p, "GE"); /* the next request begins at 31 s... */
    assert_int_equal(conns_sweep(t, 31 * S), 0);
    client_sends(&p, "T");                       /* ...and trickles */
    assert_int_equal(conns_sweep(t, 41 * S), 0); /* 10 s after the first byte was seen */
    assert_int_equal(conns_sweep(t, 41 * S + 1), 1);
    assert_true(shut_down(&p));
    conns_remove(t, c);
    pair_close(&p);
    conns_free(t);
}

static void a_full_table_and_no_deadline(void **state)
{
    (void)state;
    struct conns *t = conns_new(1, 0);
    struct pair p;
    pair_open(&p);
    struct conn *c = conns_add(t, p.server, 0);
    assert_non_null(c);
    assert_null(conns_add(t, p.server, 0)); /* full */
    assert_int_equal(conns_sweep(t, 1000 * S), 0);
    conns_remove(t, c);
    conns_remove(t, NULL);
    c = conns_add(t, p.server, 0); /* the freed slot is used again */
    assert_non_null(c);
    conns_remove(t, c);
    pair_close(&p);
    conns_free(t);
}

/* What a graceful stop waits for: a request whose head has begun to arrive, on a new connection
 * or a kept-alive one, until it is being handled; not a connection that has sent nothing. */
static void requests_arriving_are_counted(void **state)
{
    (void)state;
    struct conns *t = conns_new(2, 10 * S);
    struct pair fresh, kept;
    pair_open(&fresh);
    pair_open(&kept);
    struct conn *cf = conns_add(t, fresh.server, 0);
    struct conn *ck = conns_add(t, kept.server, 0);
    assert_int_equal(conns_arriving(t), 0); /* connected, silent */
    client_sends(&fresh, "GE");
    assert_int_equal(conns_arriving(t), 1);
    conns_request_begin(t, cf);
    assert_int_equal(conns_arriving(t), 0);
    client_sends(&kept, "GET / HTTP/1.1\r\n\r\n");
    conns_request_begin(t, ck);
    conns_request_end(t, ck);
    assert_int_equal(conns_arriving(t), 0); /* kept alive, idle */
    client_sends(&kept, "G");
    assert_int_equal(conns_arriving(t), 1);
    assert_int_equal(conns_sweep(t, 100 * S), 0); /* its head's clock starts */
    assert_int_equal(conns_sweep(t, 111 * S), 1); /* overdue; the fresh one is being handled */
    assert_int_equal(conns_arriving(t), 0);       /* shut down: nothing more will come */
    conns_remove(t, cf);
    conns_remove(t, ck);
    pair_close(&fresh);
    pair_close(&kept);
    conns_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(silent_and_trickling_heads_are_cut),
        cmocka_unit_test(a_request_being_handled_owes_nothing),
        cmocka_unit_test(kept_alive_connections_owe_a_head_from_their_first_byte),
        cmocka_unit_test(a_full_table_and_no_deadline),
        cmocka_unit_test(requests_arriving_are_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
