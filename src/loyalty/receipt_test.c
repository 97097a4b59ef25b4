/*
 * receipt_test.c - receipts and refunds posted (receipt.c), on a real SQLite store: anonymous and
 * named receipts, the same receipt again answered from the store, a different one under its
 * number refused, the customer not found or erased, the shop's cookie linked to the customer,
 * the quote that writes nothing, and refunds with the same retry rules.
 */
#include "helpers.h"

#include "consent/consent.h"
#include "privacy/privacy.h"
#include "loyalty/enroll.h"
#include "loyalty/purchase.h"

#define NOW   1795000000000LL /* 2026-11-18T11:06:40Z */
#define PHONE "+79161234567"

static const struct key_secret K = {{3, 1, 4}};

/* A receipt of one line of milk (89 roubles), by `customer` (a JSON object's members, or ""). */
static char *receipt(const char *number, const char *customer, int quantity)
{
    char *s = arena_printf(&A,
                           "{\"store\": \"S-1\", \"receipt\": \"%s\", %s%s%s"
                           "\"lines\": [{\"sku\": \"milk\", \"quantity\": %d, \"price\": 8900, "
                           "\"amount\": %d}]}",
                           number, customer[0] ? "\"customer\": {" : "", customer,
                           customer[0] ? "}, " : "", quantity, 8900 * quantity);
    return s;
}

static enum kt_rc post(const char *body, struct receipt_posted *out, struct kt_err *err)
{
    json_t *doc = json_loads(body, 0, NULL);
    assert_non_null(doc);
    struct purchase_req req;
    enum kt_rc rc = purchase_decode(doc, NOW, &A, &req, err);
    if (rc == KT_OK) {
        rc = purchase_post(T.s, &req, body, strlen(body), "k1", "rq", NOW, &A, out, err);
    }
    json_decref(doc);
    return rc;
}

static json_t *post_ok(const char *body, bool replayed)
{
    struct receipt_posted out;
    struct kt_err err;
    kt_err_reset(&err);
    if (post(body, &out, &err) != KT_OK) {
        fail_msg("receipt refused: %s %s", err.code, err.field);
    }
    assert_int_equal(out.replayed, replayed);
    return out.reply;
}

static void post_refused(const char *body, const char *code, const char *field)
{
    struct receipt_posted out;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_not_equal(post(body, &out, &err), KT_OK);
    assert_null(out.reply);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
}

static struct customer member(void)
{
    struct enrol_env env = {&K, {0, 0}, "{{code}}"};
    struct enrol_req e = {.phone = PHONE, .send_code = false, .key_id = "k1"};
    struct enrol_result res;
    assert_int_equal(loyalty_enrol(T.s, &env, &e, NOW - 1000, &A, &res, NULL), KT_OK);
    return res.customer;
}

static void an_anonymous_receipt_once_whatever_the_retries(void **state)
{
    (void)state;
    const char *body = receipt("R-1", "", 1);
    json_t *a = post_ok(body, false);
    assert_true(json_is_null(json_object_get(a, "customer_id")));
    assert_null(json_object_get(a, "points"));
    assert_int_equal(json_integer_value(json_object_get(a, "total")), 8900);
    json_t *b = post_ok(body, true); /* the till retried: the stored reply, nothing new */
    assert_true(json_equal(a, b));
    post_refused(receipt("R-1", "", 2), "receipt_conflict", "receipt");
    struct store_conn *rd;
    struct purchase *p;
    size_t n;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    struct purchase_line *l;
    assert_int_equal(store_purchase_get(rd, json_string_value(json_object_get(a, "id")), &A,
                                        p = arena_alloc(&A, sizeof(*p)), &l, &n, NULL),
                     KT_OK);
    store_read_end(rd);
    assert_null(p->identified_by);
    json_decref(a);
    json_decref(b);
}

static void a_named_receipt_earns_and_links_the_shops_cookie(void **state)
{
    (void)state;
    struct customer cu = member();
    json_t *a =
        post_ok(receipt("R-2", "\"phone\": \"8 916 123-45-67\", \"cookie\": \"c-77\"", 2), false);
    assert_string_equal(json_string_value(json_object_get(a, "customer_id")), cu.id);
    json_t *pts = json_object_get(a, "points");
    assert_int_equal(json_integer_value(json_object_get(pts, "earned")), 8); /* 5% of 178 */
    assert_int_equal(json_integer_value(json_object_get(pts, "pending")), 8);
    assert_non_null(json_object_get(pts, "earned_available_at"));
    struct store_conn *rd;
    struct ident id;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_ident_find(rd, "cookie", "c-77", &A, &id, NULL, NULL), KT_OK);
    store_read_end(rd);
    assert_true(id.ck == cu.ck);
    json_decref(a);
}

static void the_customer_must_be_known_and_not_erased(void **state)
{
    (void)state;
    post_refused(receipt("R-3", "\"phone\": \"+79160000000\"", 1), "customer_not_found",
                 "customer.phone");
    post_refused(receipt("R-3", "\"id\": \"c_nobody\"", 1), "customer_not_found", "customer.id");
    post_refused(receipt("R-3", "\"phone\": \"12\"", 1), "invalid_phone", "customer.phone");
    struct customer cu = member();
    struct erase_opts o = {"request", NULL, NULL, NULL, PRIVACY_SYSTEM_NAME, NULL, 0};
    struct destruction_act act;
    bool wiped;
    assert_int_equal(privacy_erase_customer(T.s, &K, cu.id, &o, NOW, &A, &act, &wiped, NULL),
                     KT_OK);
    const char *by_id = arena_printf(&A, "\"id\": \"%s\"", cu.id);
    struct receipt_posted out;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(post(receipt("R-3", by_id, 1), &out, &err), KT_EGONE);
    assert_string_equal(err.code, "customer_erased");
    assert_string_equal(err.field, "customer");
    json_decref(post_ok(receipt("R-3", "", 1), false)); /* without them it is welcome */
}

static void a_quote_writes_nothing(void **state)
{
    (void)state;
    struct customer cu = member();
    json_t *doc = json_loads(receipt("Q-1", "\"phone\": \"" PHONE "\"", 1), 0, NULL);
    struct purchase_req req;
    assert_int_equal(purchase_decode(doc, NOW, &A, &req, NULL), KT_OK);
    json_decref(doc);
    struct store_conn *rd;
    struct purchase_quote q;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(purchase_quote(rd, &req, NOW, &A, &q, NULL), KT_OK);
    struct purchase before;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_purchase_find(rd, "S-1", "Q-1", &A, &before, NULL, &err), KT_ENOTFOUND);
    store_read_end(rd);
    assert_true(q.has_customer);
    assert_string_equal(q.customer.id, cu.id);
    assert_int_equal(q.outcome.earned, 4);
    /* A quote looks at the gate even when nothing is asked: a new member may spend nothing yet. */
    assert_true(q.outcome.missing ==
                (GATE_PHONE_VERIFIED | GATE_FIRST_NAME | GATE_BIRTH_DATE | GATE_PD_CONSENT));
    assert_int_equal(q.outcome.spendable, 0);
    assert_null(q.outcome.refused);
}

static enum kt_rc refund(const char *purchase_id, const char *body, struct receipt_posted *out,
                         struct kt_err *err)
{
    json_t *doc = json_loads(body, 0, NULL);
    struct refund_req req;
    enum kt_rc rc = refund_decode(doc, NOW + 1000, &A, &req, err);
    if (rc == KT_OK) {
        rc = refund_post(T.s, purchase_id, &req, body, strlen(body), "k1", "rq", NOW + 1000, &A,
                         out, err);
    }
    json_decref(doc);
    return rc;
}

static void a_refund_once_whatever_the_retries(void **state)
{
    (void)state;
    member();
    json_t *a = post_ok(receipt("R-4", "\"phone\": \"" PHONE "\"", 2), false);
    const char *pid = arena_strdup(&A, json_string_value(json_object_get(a, "id")));
    json_decref(a);
    const char *body = "{\"refund\": \"V-1\", \"lines\": [{\"line\": 1, \"quantity\": 1}]}";
    struct receipt_posted out, again;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(refund(pid, body, &out, &err), KT_OK);
    assert_false(out.replayed);
    assert_int_equal(json_integer_value(json_object_get(out.reply, "amount")), 8900);
    json_t *pts = json_object_get(out.reply, "points");
    assert_int_equal(json_integer_value(json_object_get(pts, "reversed")), 4); /* half of 8 */
    assert_int_equal(refund(pid, body, &again, &err), KT_OK);
    assert_true(again.replayed && json_equal(out.reply, again.reply));
    json_decref(out.reply);
    json_decref(again.reply);
    assert_int_equal(refund(pid, "{\"refund\": \"V-1\"}", &out, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "refund_conflict");
    assert_null(out.reply);
    kt_err_reset(&err);
    assert_int_equal(refund("p_nosuchpurchase00000", "{\"refund\": \"V-2\"}", &out, &err),
                     KT_ENOTFOUND);
}

int main(void)
{
    audit_key_init(&K); /* the audit log's entries are chained with it */
#define T_(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        T_(an_anonymous_receipt_once_whatever_the_retries),
        T_(a_named_receipt_earns_and_links_the_shops_cookie),
        T_(the_customer_must_be_known_and_not_erased),
        T_(a_quote_writes_nothing),
        T_(a_refund_once_whatever_the_retries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
