/*
 * router_test.c - path matching, parameters, literal-beats-parameter, 405 with Allow, the
 * Retry-After of every 429, the reply the router makes of a handler's code, and what it does for
 * the audit log of a route that shows personal data.
 */
#include "helpers.h"

#include "consent/consent.h"
#include "http/http.h"
#include "http/router.h"

static enum kt_rc h(struct http_req *r, struct kt_err *err)
{
    (void)r;
    (void)err;
    return KT_OK;
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

/* "{name*}" takes the rest of the path and loses to every other pattern. */
static void rest_of_path(void **state)
{
    static const struct route admin[] = {
        {HTTP_GET, "/admin", h, 0, 0},
        {HTTP_GET, "/admin/{path*}", h, 0, 0},
        {HTTP_GET, "/admin/assets/{file}", h, 0, 0},
    };
    struct arena a;
    arena_init(&a, 0);
    struct route_match m;
    router_match(admin, 3, HTTP_GET, "/admin/customers/c_1/consents", &a, &m);
    assert_int_equal(m.index, 1);
    assert_int_equal(m.n_params, 1);
    assert_string_equal(m.params[0], "customers/c_1/consents");
    router_match(admin, 3, HTTP_GET, "/admin/", &a, &m);
    assert_int_equal(m.index, 1);
    assert_string_equal(m.params[0], "");
    router_match(admin, 3, HTTP_GET, "/admin", &a, &m);
    assert_int_equal(m.index, 0);
    assert_int_equal(m.n_params, 0);
    router_match(admin, 3, HTTP_GET, "/admin/assets/index-1.js", &a, &m);
    assert_int_equal(m.index, 2);
    assert_string_equal(m.params[0], "index-1.js");
    router_match(admin, 3, HTTP_GET, "/admin/assets/x/y", &a, &m); /* not an asset: the rest */
    assert_int_equal(m.index, 1);
    router_match(admin, 3, HTTP_GET, "/administrator", &a, &m);
    assert_null(m.route);
    router_match(admin, 3, HTTP_POST, "/admin/x", &a, &m);
    assert_null(m.route);
    assert_string_equal(router_allow_header(m.allow, &a), "GET");
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

/* ---- router_call: the handler returns a code, the router replies -------------------------- */

static enum kt_rc limited(struct http_req *r, struct kt_err *err)
{
    (void)r;
    return kt_err_limit(err, 30, "otp_rate_limited", "phone", "too many codes; wait");
}

static enum kt_rc busy(struct http_req *r, struct kt_err *err)
{
    (void)r;
    return kt_err_set(err, KT_EBUSY, "store_busy", NULL, "the store is busy; retry");
}

static enum kt_rc store_failed(struct http_req *r, struct kt_err *err)
{
    http_error_more(r, json_pack("{s:s}", "secret", "never sent with a 5xx"));
    kt_err_set(err, KT_ESTORE, "store_error", "phone", "disk I/O error");
    kt_err_detail(err, "sqlite: disk I/O error");
    return KT_ESTORE;
}

/* A 422 that says more than code, message and field, inside the error and beside it. */
static enum kt_rc with_more(struct http_req *r, struct kt_err *err)
{
    kt_err_set(err, KT_EINVAL, "syntax_error", "query", "line 1, column 4: a number");
    http_error_more(r, json_pack("{s:{s:i}, s:[s]}", "error", "line", 1, "cards", "2000"));
    return KT_EINVAL;
}

static enum kt_rc code_only(struct http_req *r, struct kt_err *err)
{
    (void)r;
    (void)err;
    return KT_ENOTFOUND; /* raised nothing: a bug */
}

static enum kt_rc silent(struct http_req *r, struct kt_err *err)
{
    (void)r;
    (void)err;
    return KT_OK; /* replied nothing: a bug */
}

static enum kt_rc created(struct http_req *r, struct kt_err *err)
{
    kt_err_set(err, KT_EINVAL, "ignored", NULL, "an error the handler chose to step over");
    http_reply_json(r, 201, json_pack("{s:b}", "created", 1));
    return KT_OK;
}

/* Calls `fn` as the route's handler of a fresh request; the caller frees r->json. */
static void call(struct http_req *r, struct route *rt, http_handler_fn fn)
{
    memset(r, 0, sizeof(*r));
    memset(rt, 0, sizeof(*rt));
    rt->method = HTTP_POST;
    rt->pattern = "/v1/x";
    rt->handler = fn;
    r->route = rt;
    r->rid = "rid-1";
    kt_err_reset(&r->err);
    router_call(r);
}

/* A customer's page over a limit: the Russian page, not JSON, with its Retry-After; the log
 * line keeps the code. An API route's 429 stays JSON (above). */
static enum kt_rc page_limited(struct http_req *r, struct kt_err *err)
{
    (void)r;
    return kt_err_limit(err, 601, "page_rate_limited", "addr", "too many uses; wait");
}

static void a_page_over_a_limit_says_so_in_russian(void **state)
{
    (void)state;
    struct http_req r;
    struct route rt;
    struct arena a;
    arena_init(&a, 0);
    memset(&r, 0, sizeof(r));
    memset(&rt, 0, sizeof(rt));
    rt.method = HTTP_POST;
    rt.pattern = "/q/{token}";
    rt.handler = page_limited;
    rt.flags = ROUTE_PAGE;
    r.route = &rt;
    r.rid = "rid-2";
    r.arena = &a;
    kt_err_reset(&r.err);
    router_call(&r);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after, 601);
    assert_null(r.json);
    assert_string_equal(r.text_type, "text/html; charset=utf-8");
    assert_non_null(strstr(r.text, "Слишком много попыток"));
    assert_non_null(strstr(r.text, "через 11 минут."));
    assert_string_equal(r.err.code, "page_rate_limited");
    free(r.text);
    arena_release(&a);
}

static const char *err_str(const struct http_req *r, const char *name)
{
    return json_string_value(json_object_get(json_object_get(r->json, "error"), name));
}

static void a_handlers_code_is_replied_by_the_router(void **state)
{
    (void)state;
    struct http_req r;
    struct route rt;

    call(&r, &rt, limited);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after, 30);
    assert_string_equal(err_str(&r, "code"), "otp_rate_limited");
    assert_string_equal(err_str(&r, "message"), "too many codes; wait");
    assert_string_equal(err_str(&r, "field"), "phone");
    assert_string_equal(err_str(&r, "request_id"), "rid-1");
    assert_string_equal(r.err.code, "otp_rate_limited"); /* the log line's */
    json_decref(r.json);

    call(&r, &rt, busy);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.retry_after, 1);
    assert_string_equal(err_str(&r, "message"), "the store is busy; retry");
    json_decref(r.json);

    call(&r, &rt, store_failed); /* a 5xx: a generic sentence, nothing more */
    assert_int_equal(r.status, 500);
    assert_int_equal(r.retry_after, 0);
    assert_string_equal(err_str(&r, "code"), "store_error");
    assert_string_equal(err_str(&r, "message"),
                        "internal error; the request id identifies it in the logs");
    assert_null(err_str(&r, "field"));
    assert_null(json_object_get(r.json, "secret"));
    assert_string_equal(r.err.detail, "sqlite: disk I/O error");
    json_decref(r.json);
    json_decref(r.err_more);

    call(&r, &rt, with_more);
    assert_int_equal(r.status, 422);
    assert_string_equal(err_str(&r, "code"), "syntax_error");
    assert_string_equal(err_str(&r, "field"), "query");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "error"), "line")),
                     1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "cards"), 0)),
                        "2000");
    json_decref(r.json);
    json_decref(r.err_more);

    call(&r, &rt, code_only);
    assert_int_equal(r.status, 500);
    assert_string_equal(err_str(&r, "code"), "internal");
    assert_string_equal(r.err.detail, "the handler returned 'not_found' without raising an error");
    json_decref(r.json);

    call(&r, &rt, silent);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.err.msg, "the handler gave no reply");
    json_decref(r.json);

    call(&r, &rt, created); /* success is the handler's own reply */
    assert_int_equal(r.status, 201);
    assert_true(json_is_true(json_object_get(r.json, "created")));
    assert_int_equal(r.err.rc, KT_OK);
    json_decref(r.json);
}

/* ---- router_call and the audit log (ROUTE_PD) ---------------------------------------------- */

static int handler_calls;

static enum kt_rc shows_nothing_logged(struct http_req *r, struct kt_err *err)
{
    (void)err;
    handler_calls++;
    http_reply_json(r, 200, json_pack("{s:s}", "customer_id", "c_forgotten"));
    return KT_OK;
}

static enum kt_rc shows_and_notes(struct http_req *r, struct kt_err *err)
{
    (void)err;
    handler_calls++;
    audit_note(NULL, "read", "c_1", 0, r->route->pattern, NULL, r->rid, 0);
    http_reply_json(r, 200, json_pack("{s:s}", "customer_id", "c_1"));
    return KT_OK;
}

static enum kt_rc shows_no_one(struct http_req *r, struct kt_err *err)
{
    (void)err;
    handler_calls++;
    audit_nothing_read();
    http_reply_json(r, 202, json_pack("{s:b}", "accepted", 1));
    return KT_OK;
}

static enum kt_rc not_found(struct http_req *r, struct kt_err *err)
{
    (void)r;
    handler_calls++;
    return kt_err_set(err, KT_ENOTFOUND, "customer_not_found", "id", "customer not found");
}

static size_t call_pd(struct http_req *r, struct route *rt, http_handler_fn fn, unsigned flags)
{
    size_t before = audit_queued();
    memset(r, 0, sizeof(*r));
    memset(rt, 0, sizeof(*rt));
    rt->method = HTTP_GET;
    rt->pattern = "/v1/customers/{id}/x";
    rt->handler = fn;
    rt->flags = flags;
    r->route = rt;
    r->params[0] = "c_path";
    r->n_params = 1;
    r->rid = "rid-pd";
    r->ip = "198.51.100.4";
    kt_err_reset(&r->err);
    router_call(r);
    json_decref(r->json);
    return audit_queued() - before;
}

/* A ROUTE_PD reply always leaves an entry: the handler's, else the router's; none when the
 * handler says it showed no one, or failed. While the log of reads is full, such a request is
 * refused before its handler runs. */
static void a_route_with_personal_data_is_logged_or_refused(void **state)
{
    (void)state;
    struct http_req r;
    struct route rt;
    assert_int_equal(call_pd(&r, &rt, shows_nothing_logged, ROUTE_PD), 1); /* the router's */
    assert_int_equal(call_pd(&r, &rt, shows_and_notes, ROUTE_PD), 1);      /* only the handler's */
    assert_int_equal(call_pd(&r, &rt, shows_no_one, ROUTE_PD), 0);
    assert_int_equal(call_pd(&r, &rt, not_found, ROUTE_PD), 0);
    assert_int_equal(call_pd(&r, &rt, shows_nothing_logged, 0), 0); /* not flagged: nothing */

    audit_queue_max_set(audit_queued());
    handler_calls = 0;
    memset(&r, 0, sizeof(r));
    memset(&rt, 0, sizeof(rt));
    rt = (struct route){HTTP_GET, "/v1/customers/{id}/x", shows_and_notes, 1, ROUTE_PD};
    r.route = &rt;
    r.rid = "rid-busy";
    router_call(&r);
    assert_int_equal(handler_calls, 0);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.retry_after, 2);
    assert_string_equal(err_str(&r, "code"), "audit_busy");
    json_decref(r.json);
    assert_int_equal(call_pd(&r, &rt, shows_and_notes, 0), 1); /* no one's data: served */
    audit_queue_max_set(AUDIT_QUEUE_MAX);
    audit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches),
        cmocka_unit_test(rest_of_path),
        cmocka_unit_test(misses),
        cmocka_unit_test(every_429_says_when_to_retry),
        cmocka_unit_test(a_handlers_code_is_replied_by_the_router),
        cmocka_unit_test(a_page_over_a_limit_says_so_in_russian),
        cmocka_unit_test(a_route_with_personal_data_is_logged_or_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
