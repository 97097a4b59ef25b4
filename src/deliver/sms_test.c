/*
 * sms_test.c - the SMS channel of the outbox's sender against a real HTTP gateway on loopback (a
 * libmicrohttpd server in this process that keeps what it was sent and answers the status a test
 * asks for): the body template and its escaping, the sink's line, a code's SMS sent, retried on
 * 5xx, 429 and a timeout, failed after the last attempt (--sms-attempts), failed "expired" once
 * its code's life is over, and nothing done without a gateway.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>

#include "helpers.h"

#include "base/clock.h"
#include "base/mem.h"
#include "deliver/outbox.h"
#include "deliver/sms.h"

static int64_t CK; /* the customer of the messages queued */
static int QUEUED; /* how many were; the last one's id is m_<QUEUED> */

/* The gateway: what it received last and what it answers. */
static struct gateway {
    struct MHD_Daemon *d;
    char url[64];
    pthread_mutex_t mu;
    unsigned status;   /* the answer to every POST */
    unsigned delay_ms; /* before answering (a slow gateway) */
    int posts;
    char body[1024], auth[128], type[64];
} G = {.mu = PTHREAD_MUTEX_INITIALIZER};

struct upload {
    char body[1024];
    size_t len;
};

static void keep_header(struct MHD_Connection *c, const char *name, char *to, size_t size)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    kt_strlcpy(to, v ? v : "", size);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version;
    struct upload *u = *state;
    if (u == NULL) {
        *state = kt_calloc(1, sizeof(*u));
        return MHD_YES;
    }
    if (*size > 0) {
        size_t n = *size < sizeof(u->body) - 1 - u->len ? *size : sizeof(u->body) - 1 - u->len;
        memcpy(u->body + u->len, data, n);
        u->len += n;
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&G.mu);
    G.posts++;
    kt_strlcpy(G.body, u->body, sizeof(G.body));
    keep_header(c, MHD_HTTP_HEADER_AUTHORIZATION, G.auth, sizeof(G.auth));
    keep_header(c, MHD_HTTP_HEADER_CONTENT_TYPE, G.type, sizeof(G.type));
    unsigned status = G.status, delay = G.delay_ms;
    pthread_mutex_unlock(&G.mu);
    if (delay > 0) {
        usleep(delay * 1000u);
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void done(void *cls, struct MHD_Connection *c, void **state,
                 enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)c, (void)why;
    free(*state);
    *state = NULL;
}

static int gateway_up(void **state)
{
    store_setup(state);
    G.status = 200;
    G.delay_ms = 0;
    G.posts = 0;
    G.body[0] = G.auth[0] = G.type[0] = '\0';
    CK = 0;
    QUEUED = 0;
    struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    G.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                           NULL, answer, NULL, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
                           MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&lo, MHD_OPTION_END);
    assert_non_null(G.d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(G.d, MHD_DAEMON_INFO_BIND_PORT);
    kt_snprintf(G.url, sizeof(G.url), "http://127.0.0.1:%u/sms", (unsigned)info->port);
    return 0;
}

static int gateway_down(void **state)
{
    MHD_stop_daemon(G.d);
    return store_teardown(state);
}

/* Queues one code's SMS as the loyalty module does, due now, living an hour. */
static void queue(const char *phone, const char *text)
{
    struct store_conn *w = wbegin();
    if (CK == 0) {
        CK = test_customer(w);
    }
    int64_t now = clock_now_ms();
    char content[256];
    kt_snprintf(content, sizeof(content), "{\"text\": \"%s\"}", text);
    struct outbox_msg m = outbox_code_msg(arena_printf(&A, "m_%d", ++QUEUED), CK, phone, content,
                                          now, now + 3600 * 1000);
    bool created = false;
    assert_int_equal(store_outbox_add(w, &m, &created, NULL), KT_OK);
    assert_true(created);
    wcommit(w);
}

struct pass {
    int64_t sent, retried, dead;
};

/* The state of the last message queued. */
static const char *last_state(void)
{
    struct store_conn *r = rbegin();
    struct outbox_msg m;
    bool found = false;
    assert_int_equal(store_outbox_get(r, arena_printf(&A, "m_%d", QUEUED), &A, &m, &found, NULL),
                     KT_OK);
    store_read_end(r);
    assert_true(found);
    return m.state;
}

/* One pass of the outbox's sender with the SMS channel `o` at `now` (ms) over what is due. */
static struct pass send_at(const struct sms_opts *o, int64_t now)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct outbox_conf c = {.sms = *o};
    struct outbox_sender *x = NULL;
    assert_int_equal(outbox_sender_new(&c, &x, &err), KT_OK);
    int64_t n[2] = {0, 0};
    const char *before = QUEUED ? last_state() : "";
    assert_int_equal(outbox_send_due(T.s, x, now, n, &err), KT_OK);
    outbox_sender_free(x);
    const char *after = QUEUED ? last_state() : "";
    struct pass p = {n[0], 0, 0};
    bool tried = n[1] > 0;
    p.dead = tried && strcmp(after, "failed") == 0 && strcmp(before, "failed") != 0;
    p.retried = tried && !p.dead ? n[1] : 0;
    return p;
}

static struct sms_opts opts(void)
{
    struct sms_opts o = {G.url, NULL, SMS_BODY_DEFAULT, NULL, 2000, 10, 3};
    return o;
}

static void test_body_escapes_the_values(void **state)
{
    (void)state;
    char *b = sms_body(SMS_BODY_DEFAULT, "+79161234567", "код \"12\"\\\n\x01", "m_42");
    assert_string_equal(
        b, "{\"to\": \"+79161234567\", \"text\": \"код \\\"12\\\"\\\\\\u000a\\u0001\", "
           "\"id\": \"m_42\"}");
    free(b);
    /* Unknown placeholders and text around them stay as written. */
    b = sms_body("{{id}}:{{ph}}{{phone}}", "+7", "t", "m_7");
    assert_string_equal(b, "m_7:{{ph}}+7");
    free(b);
}

static void test_sink_line_is_one_json_line(void **state)
{
    (void)state;
    char *line = sms_sink_line("m_5", "+79161234567", "a\tb", 0);
    assert_string_equal(line, "{\"id\": \"m_5\", \"at\": \"1970-01-01T00:00:00.000Z\", \"to\": "
                              "\"+79161234567\", \"text\": \"a\\u0009b\"}\n");
    free(line);
}

static void test_sent_once_with_auth(void **state)
{
    (void)state;
    queue("+79161234567", "Код 123456");
    struct sms_opts o = opts();
    o.auth = "Bearer t0ken";
    struct pass p = send_at(&o, clock_now_ms());
    assert_int_equal(p.sent, 1);
    assert_int_equal(p.retried + p.dead, 0);
    assert_int_equal(G.posts, 1);
    assert_non_null(strstr(G.body, "\"to\": \"+79161234567\""));
    assert_non_null(strstr(G.body, "Код 123456"));
    assert_string_equal(G.auth, "Bearer t0ken");
    assert_string_equal(G.type, "application/json");
    /* Sent is final: a later pass posts nothing. */
    p = send_at(&o, clock_now_ms() + 3600 * 1000);
    assert_int_equal(p.sent + p.retried + p.dead, 0);
    assert_int_equal(G.posts, 1);
}

/* 5xx and 429 are tried again after the backoff, not before; the last attempt makes it dead. */
static void test_retried_then_dead(void **state)
{
    (void)state;
    queue("+79161234567", "x");
    struct sms_opts o = opts();
    G.status = 503;
    int64_t t = clock_now_ms();
    struct pass p = send_at(&o, t);
    assert_int_equal(p.retried, 1);
    p = send_at(&o, t); /* the backoff has not passed */
    assert_int_equal(p.sent + p.retried + p.dead, 0);
    G.status = 429;
    p = send_at(&o, t + 60 * 1000);
    assert_int_equal(p.retried, 1);
    p = send_at(&o, t + 120 * 1000);
    assert_int_equal(p.dead, 1);
    p = send_at(&o, t + 3600 * 1000);
    assert_int_equal(p.sent + p.retried + p.dead, 0);
    assert_int_equal(G.posts, 3);
}

/* A gateway slower than the timeout is a retry, and the pass does not wait for it. */
static void test_timeout_is_a_retry(void **state)
{
    (void)state;
    queue("+79161234567", "x");
    struct sms_opts o = opts();
    o.timeout_ms = 200;
    G.delay_ms = 1000;
    int64_t t0 = clock_now_ms();
    struct pass p = send_at(&o, t0);
    assert_int_equal(p.retried, 1);
    assert_true(clock_now_ms() - t0 < 900);
    G.delay_ms = 0;
    p = send_at(&o, t0 + 60 * 1000);
    assert_int_equal(p.sent, 1);
}

/* A refused connection (nobody listens) is a retry too. */
static void test_unreachable_is_a_retry(void **state)
{
    (void)state;
    queue("+79161234567", "x");
    struct sms_opts o = opts();
    o.url = "http://127.0.0.1:1/sms";
    struct pass p = send_at(&o, clock_now_ms());
    assert_int_equal(p.retried, 1);
}

/* Without a gateway or a sink the outbox is left alone: the messages wait, none is dead. */
static void test_no_gateway_leaves_the_outbox(void **state)
{
    (void)state;
    queue("+79161234567", "x");
    struct sms_opts o = opts();
    o.url = NULL;
    struct pass p = send_at(&o, clock_now_ms());
    assert_int_equal(p.sent + p.retried + p.dead, 0);
    o = opts();
    p = send_at(&o, clock_now_ms());
    assert_int_equal(p.sent, 1);
}

/* The development sink takes the gateway's place: one line per message, marked sent. */
static void test_sink_takes_the_message(void **state)
{
    (void)state;
    queue("+79161234567", "Код 654321");
    char path[160];
    kt_snprintf(path, sizeof(path), "%s/sink", T.dir);
    struct sms_opts o = opts();
    o.url = NULL;
    o.sink = path;
    struct pass p = send_at(&o, clock_now_ms());
    assert_int_equal(p.sent, 1);
    char line[256] = {0};
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_true(pread(fd, line, sizeof(line) - 1, 0) > 0);
    close(fd);
    assert_non_null(strstr(line, "\"to\": \"+79161234567\", \"text\": \"Код 654321\"}\n"));
    assert_int_equal(G.posts, 0);
}

/* A code not sent within its life is not sent at all: failed, "expired". */
static void test_expired_code_is_not_sent(void **state)
{
    (void)state;
    queue("+79161234567", "Код 111111");
    struct sms_opts o = opts();
    struct pass p = send_at(&o, clock_now_ms() + 2 * 3600 * 1000);
    assert_int_equal(p.sent, 0);
    assert_string_equal(last_state(), "failed");
    assert_int_equal(G.posts, 0);
}

/* More than one batch is due: one pass sends them all. */
static void test_one_pass_sends_every_batch(void **state)
{
    (void)state;
    for (int i = 0; i < 70; i++) {
        queue("+79161234567", "x");
    }
    struct sms_opts o = opts();
    struct pass p = send_at(&o, clock_now_ms());
    assert_int_equal(p.sent, 70);
    assert_int_equal(G.posts, 70);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_escapes_the_values),
        cmocka_unit_test(test_sink_line_is_one_json_line),
        cmocka_unit_test_setup_teardown(test_sent_once_with_auth, gateway_up, gateway_down),
        cmocka_unit_test_setup_teardown(test_retried_then_dead, gateway_up, gateway_down),
        cmocka_unit_test_setup_teardown(test_timeout_is_a_retry, gateway_up, gateway_down),
        cmocka_unit_test_setup_teardown(test_unreachable_is_a_retry, gateway_up, gateway_down),
        cmocka_unit_test_setup_teardown(test_no_gateway_leaves_the_outbox, gateway_up,
                                        gateway_down),
        cmocka_unit_test_setup_teardown(test_sink_takes_the_message, gateway_up, gateway_down),
        cmocka_unit_test_setup_teardown(test_one_pass_sends_every_batch, gateway_up, gateway_down),
        cmocka_unit_test_setup_teardown(test_expired_code_is_not_sent, gateway_up, gateway_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
