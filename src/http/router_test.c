/*
 * router_test.c - path matching, parameters, literal-beats-parameter, 405 with Allow, and the
 * Retry-After of every 429.
 */
#include "helpers.h"

#include "http/http.h"
#include "http/router.h"

static void h(struct http_req *r)
{
    (void)r;
}

static const struct route routes[] = {
    {HTTP_GET, "/v1/customers", h, 1, 0},
    {HTTP_POST, "/v1/customers", h, 1, ROUTE_JSON},
    {HTTP_GET, "/v1/customers/{id}", h, 1, 0},
    {HTTP_GET, "/v1/customers/lookup", h, 1, 0},
    {HTTP_POST, "/v1/customers/{id}/merge", h, 1, ROUTE_JSON},
};

static void matches(void **state)
{
    struct arena a;
    arena_init(&a, 0);
    struct route_match m;
    router_match(routes, 5, HTTP_GET, "/v1/customers/c_1", &a, &m);
    assert_int_equal(m.index, 2);
    assert_int_equal(m.n_params, 1);
    assert_string_equal(m.params[0], "c_1");
    router_match(routes, 5, HTTP_GET, "/v1/customers/lookup", &a, &m);
    assert_int_equal(m.index, 3);
    router_match(routes, 5, HTTP_POST, "/v1/customers/c_9/merge", &a, &m);
    assert_int_equal(m.index, 4);
    assert_string_equal(m.params[0], "c_9");
    router_match(routes, 5, HTTP_POST, "/v1/customers", &a, &m);
    assert_int_equal(m.index, 1);
    arena_release(&a);
}

static void misses(void **state)
{
    struct arena a;
    arena_init(&a, 0);
    struct route_match m;
    router_match(routes, 5, HTTP_GET, "/v1/customer", &a, &m);
    assert_null(m.route);
    assert_int_equal(m.allow, 0);
    router_match(routes, 5, HTTP_GET, "/v1/customers/", &a, &m); /* empty segment */
    assert_null(m.route);
    router_match(routes, 5, HTTP_GET, "/v1/customers/c_1/merge/x", &a, &m);
    assert_null(m.route);
    router_match(routes, 5, HTTP_DELETE, "/v1/customers", &a, &m);
    assert_null(m.route);
    assert_string_equal(router_allow_header(m.allow, &a), "GET, POST");
    router_match(routes, 5, HTTP_OTHER, "/v1/customers/c_1/merge", &a, &m);
    assert_string_equal(router_allow_header(m.allow, &a), "POST");
    arena_release(&a);
}

/* Every 429 carries Retry-After: the wait of the code that raised the limit, else a second. */
static void every_429_says_when_to_retry(void **state)
{
    (void)state;
    struct http_req r;
    memset(&r, 0, sizeof(r));
    r.rid = "t";
    struct kt_err err;
    kt_err_reset(&err);
    kt_err_limit(&err, 300, "code_attempts_exceeded", "code", "ask for a new one");
    http_reply_error(&r, &err);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after, 300);
    json_decref(r.json);

    memset(&r, 0, sizeof(r)); /* a limit raised without a wait */
    kt_err_reset(&err);
    kt_err_set(&err, KT_ELIMIT, "too_fast", NULL, "slow down");
    http_reply_error(&r, &err);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after, 1);
    json_decref(r.json);

    memset(&r, 0, sizeof(r)); /* a handler's own 429 */
    http_reply_json(&r, 429, json_object());
    assert_int_equal(r.retry_after, 1);
    json_decref(r.json);
    memset(&r, 0, sizeof(r));
    http_reply_text(&r, 429, "text/plain", "x", 1);
    assert_int_equal(r.retry_after, 1);
    free(r.text);

    memset(&r, 0, sizeof(r)); /* other statuses get none */
    kt_err_reset(&err);
    kt_err_set(&err, KT_EINVAL, "bad", "f", "bad");
    http_reply_error(&r, &err);
    assert_int_equal(r.status, 422);
    assert_int_equal(r.retry_after, 0);
    json_decref(r.json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches),
        cmocka_unit_test(misses),
        cmocka_unit_test(every_429_says_when_to_retry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
