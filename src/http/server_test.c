/*
 * server_test.c - the server's start and stop, many times over, with a pool of worker threads.
 *
 * The stop used to be MHD_quiesce_daemon, which with epoll and the daemon's own threads races a
 * worker thread removing the same listening socket from its epoll set: the loser's epoll_ctl
 * fails and libmicrohttpd aborts the process ("Failed to remove listen FD from epoll set"). It
 * showed once in a while at the end of an end-to-end test; stop_under_traffic made it show in
 * four runs of five. The stop now closes new connections through the accept policy instead.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "http/server.h"

#define ROUNDS 50

static enum kt_rc slow(struct http_req *r, struct kt_err *err)
{
    (void)err;
    usleep(150 * 1000); /* the worker is busy here while the server is told to stop */
    http_reply_json(r, 200, json_object());
    return KT_OK;
}

static const struct route routes[] = {{HTTP_GET, "/slow", slow, 0, 0}};

/* A loopback connection to `port`, or -1 (the server may be stopping already). */
static int dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* A request that keeps its worker in the handler across the stop. */
static void *ask_slow(void *arg)
{
    int fd = dial(*(uint16_t *)arg);
    if (fd >= 0) {
        static const char req[] = "GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        char buf[512];
        (void)!write(fd, req, sizeof(req) - 1);
        while (read(fd, buf, sizeof(buf)) > 0) {
        }
        close(fd);
    }
    return NULL;
}

/* A client that connects and goes away, so a worker has woken up on the listening socket. */
static void knock(uint16_t port)
{
    int fd = dial(port);
    if (fd >= 0) {
        close(fd);
    }
}

static void start_and_stop_many_times(void **state)
{
    (void)state;
    for (int i = 0; i < ROUNDS; i++) {
        struct kt_app app = {.max_body = 1024};
        struct http_server_opts o = {
            .listen = "127.0.0.1:0", .threads = 8, .max_conns = 64, .analytics_threads = 1};
        struct http_server *s = NULL;
        struct kt_err err;
        kt_err_reset(&err);
        assert_int_equal(http_server_start(&o, &app, &s, &err), KT_OK);
        if (i % 2 == 0) {
            knock(http_server_port(s));
        }
        assert_int_equal(http_server_stop(s, 0), 0);
    }
}

static enum kt_rc quick(struct http_req *r, struct kt_err *err)
{
    (void)err;
    http_reply_json(r, 200, json_object());
    return KT_OK;
}

static const struct route quick_routes[] = {{HTTP_GET, "/slow", quick, 0, 0}};

struct hammer {
    uint16_t port;
    atomic_bool stop;
};

/* Requests one after another until told to stop: the workers are awake during the stop. */
static void *hammer_run(void *arg)
{
    struct hammer *h = arg;
    while (!atomic_load(&h->stop)) {
        ask_slow(&h->port);
    }
    return NULL;
}

/* A stop while requests keep coming, many times: a worker wakes up for one of them just as the
 * listening socket is taken away. */
static void stop_under_traffic(void **state)
{
    (void)state;
    for (int i = 0; i < 250; i++) {
        struct kt_app app = {.max_body = 1024, .routes = quick_routes, .n_routes = 1};
        struct http_server_opts o = {
            .listen = "127.0.0.1:0", .threads = 4, .max_conns = 64, .analytics_threads = 1};
        struct http_server *s = NULL;
        struct kt_err err;
        kt_err_reset(&err);
        assert_int_equal(http_server_start(&o, &app, &s, &err), KT_OK);
        struct hammer h = {.port = http_server_port(s)};
        pthread_t t[3];
        for (int k = 0; k < 3; k++) {
            assert_int_equal(pthread_create(&t[k], NULL, hammer_run, &h), 0);
        }
        usleep(20 * 1000);
        (void)http_server_stop(s, 500);
        atomic_store(&h.stop, true);
        for (int k = 0; k < 3; k++) {
            pthread_join(t[k], NULL);
        }
    }
}

/* The stop of a server whose workers are in a handler: they go back to their epoll loop after
 * the stop began. */
static void stop_while_a_request_runs(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) {
        struct kt_app app = {.max_body = 1024, .routes = routes, .n_routes = 1};
        struct http_server_opts o = {
            .listen = "127.0.0.1:0", .threads = 2, .max_conns = 64, .analytics_threads = 1};
        struct http_server *s = NULL;
        struct kt_err err;
        kt_err_reset(&err);
        assert_int_equal(http_server_start(&o, &app, &s, &err), KT_OK);
        uint16_t port = http_server_port(s);
        pthread_t t[2];
        for (int k = 0; k < 2; k++) {
            assert_int_equal(pthread_create(&t[k], NULL, ask_slow, &port), 0);
        }
        usleep(50 * 1000); /* both requests are in their handlers */
        assert_int_equal(http_server_stop(s, 2000), 0);
        for (int k = 0; k < 2; k++) {
            pthread_join(t[k], NULL);
        }
    }
}

static void say(int fd, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
}

struct stopper {
    struct http_server *s;
    int left;
};

static void *stop_run(void *arg)
{
    struct stopper *st = arg;
    st->left = http_server_stop(st->s, 5000);
    return NULL;
}

/* A stop while one worker is in a handler and a request on another connection it accepted
 * before the stop has begun to arrive: that request is answered too. Its head comes in two
 * parts, the second after the first request is done, so between the two nothing is in a
 * handler - the stop used to end there, and the second client got no answer. */
static void stop_waits_for_a_request_still_arriving(void **state)
{
    (void)state;
    struct kt_app app = {.max_body = 1024, .routes = routes, .n_routes = 1};
    struct http_server_opts o = {
        .listen = "127.0.0.1:0", .threads = 1, .max_conns = 64, .analytics_threads = 1};
    struct http_server *s = NULL;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(http_server_start(&o, &app, &s, &err), KT_OK);
    uint16_t port = http_server_port(s);
    int second = dial(port);
    int first = dial(port);
    assert_true(first >= 0 && second >= 0);
    usleep(50 * 1000); /* both accepted */
    say(first, "GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    usleep(30 * 1000); /* the first is in its handler for 150 ms */
    say(second, "GET /slow HTTP/1.1\r\n");
    struct stopper st = {.s = s, .left = -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stop_run, &st), 0);
    usleep(300 * 1000); /* the first is answered, the stop goes on */
    say(second, "Host: t\r\nConnection: close\r\n\r\n");
    char buf[512];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(buf) - 1 && (n = read(second, buf + got, sizeof(buf) - 1 - got)) > 0) {
        got += (size_t)n;
    }
    buf[got] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);
    pthread_join(t, NULL);
    assert_int_equal(st.left, 0);
    close(first);
    close(second);
}

int main(void)
{
    log_set_level(LOG_WARN); /* a request's line each: thousands */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(start_and_stop_many_times),
        cmocka_unit_test(stop_while_a_request_runs),
        cmocka_unit_test(stop_under_traffic),
        cmocka_unit_test(stop_waits_for_a_request_still_arriving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
