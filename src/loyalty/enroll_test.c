/*
 * enroll_test.c - enrolment at the cash desk and the code that proves the phone (enroll.c), on a
 * real SQLite store: a phone alone makes a pending member with a virtual card and a code, the
 * same phone again finds them, an erased person's phone stays out, a card over the limit names
 * the cards held and writes nothing, a referral needs a new customer, the code verifies the phone.
 */
#include "helpers.h"

#include "consent/consent.h"
#include "privacy/privacy.h"
#include "loyalty/enroll.h"

#define NOW   1795000000000LL /* 2026-11-18T11:06:40Z */
#define PHONE "+79161234567"

static const struct key_secret K = {{7, 1, 7}};

static struct enrol_env env(void)
{
    return (struct enrol_env){&K, {0, 0}, "code {{code}}, card {{card}}"};
}

static struct enrol_req req(const char *phone)
{
    return (struct enrol_req){.phone = phone,
                              .store_id = "S-1",
                              .operator_id = "op-1",
                              .send_code = true,
                              .key_id = "k1",
                              .request_id = "rq-1"};
}

static struct enrol_result enrol_ok(const struct enrol_req *e, int64_t now)
{
    struct enrol_env v = env();
    struct enrol_result res;
    struct kt_err err;
    kt_err_reset(&err);
    if (loyalty_enrol(T.s, &v, e, now, &A, &res, &err) != KT_OK) {
        fail_msg("enrolment failed: %s %s", err.code, err.field);
    }
    return res;
}

static const char *pd_state(const char *customer_id)
{
    struct store_conn *rd;
    struct customer cu;
    struct consent_state *s;
    size_t n;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_customer_get_by_id(rd, customer_id, &A, &cu, NULL, NULL), KT_OK);
    assert_int_equal(consent_states(rd, cu.ck, NOW, &A, &s, &n, NULL), KT_OK);
    const char *state = consent_find(s, n, "pd_processing", "")->state;
    store_read_end(rd);
    return state;
}

/* The text of the last SMS queued in the outbox (the code in it). */
static const char *last_sms(void)
{
    struct store_conn *rd;
    struct outbox_msg *m;
    size_t n;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_outbox_due(rd, (const char *[]){"sms", NULL}, NOW + 3600 * 1000, 100, &A,
                                      &m, &n, NULL),
                     KT_OK);
    store_read_end(rd);
    assert_true(n > 0);
    assert_string_equal(m[n - 1].topic, OUTBOX_TOPIC_CODE);
    assert_true(m[n - 1].expires_at > m[n - 1].created_at);
    json_t *doc = json_loads(m[n - 1].content, 0, NULL);
    const char *text = arena_strdup(&A, json_string_value(json_object_get(doc, "text")));
    json_decref(doc);
    return text;
}

static void a_phone_alone_makes_a_pending_member(void **state)
{
    (void)state;
    struct enrol_req e = req(PHONE);
    struct enrol_result a = enrol_ok(&e, NOW);
    assert_true(a.created && a.card_issued && !a.phone_verified);
    assert_string_equal(a.card.state, "active");
    assert_string_equal(a.customer.val[PF_PHONE], PHONE);
    assert_true(a.otp_id[0] != '\0');
    assert_null(a.sms_refused);
    assert_true(a.otp_expires_at == NOW + OTP_TTL_MS);
    assert_string_equal(pd_state(a.customer.id), "pending");
    char want[64];
    kt_snprintf(want, sizeof(want), ", card %s", a.card.number);
    assert_non_null(strstr(last_sms(), want));

    /* The same phone again: the same customer and card, nothing issued; asked for no code. */
    e.send_code = false;
    struct enrol_result b = enrol_ok(&e, NOW + 1000);
    assert_false(b.created || b.card_issued);
    assert_string_equal(b.customer.id, a.customer.id);
    assert_string_equal(b.card.number, a.card.number);
    assert_string_equal(b.sms_refused, "not_asked");
    assert_true(b.otp_id[0] == '\0');
}

static void an_erased_persons_phone_stays_out(void **state)
{
    (void)state;
    struct enrol_req e = req(PHONE);
    struct enrol_result a = enrol_ok(&e, NOW);
    struct erase_opts o = {"request", NULL, NULL, NULL, PRIVACY_SYSTEM_NAME, NULL, 0};
    struct destruction_act act;
    bool wiped;
    assert_int_equal(
        privacy_erase_customer(T.s, &K, a.customer.id, &o, NOW + 1, &A, &act, &wiped, NULL), KT_OK);
    struct enrol_env v = env();
    struct enrol_result res;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(loyalty_enrol(T.s, &v, &e, NOW + 2, &A, &res, &err), KT_EINVAL);
    assert_string_equal(err.code, "suppressed");
    assert_string_equal(err.field, "phone");
}

static void a_card_over_the_limit_names_the_cards_held(void **state)
{
    (void)state;
    struct enrol_req e = req(PHONE);
    struct enrol_result a = enrol_ok(&e, NOW); /* the programme allows one active card */
    struct card *printed;
    assert_int_equal(
        card_batch_print(T.s, &K, "b-1", 1, NULL, NULL, "test", NOW, &A, &printed, NULL), KT_OK);
    e.card = printed[0].number;
    struct enrol_env v = env();
    struct enrol_result res;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(loyalty_enrol(T.s, &v, &e, NOW + 1, &A, &res, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "card_limit");
    assert_string_equal(res.customer.id, a.customer.id);
    assert_int_equal(res.n_held, 1);
    assert_string_equal(res.held[0], a.card.number);
    struct store_conn *rd; /* rolled back: the printed card is still only printed */
    struct card cd;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_card_get(rd, printed[0].number, &A, &cd, NULL, NULL), KT_OK);
    store_read_end(rd);
    assert_string_equal(cd.state, "issued");
}

static void a_referral_needs_a_new_customer_and_a_known_friend(void **state)
{
    (void)state;
    struct enrol_req e = req(PHONE);
    enrol_ok(&e, NOW);
    struct enrol_req friend = req("+79161234500");
    friend.referrer = "8 916 123-45-67"; /* any way a cashier types the phone */
    struct enrol_result f = enrol_ok(&friend, NOW + 1);
    assert_true(f.created);

    struct enrol_env v = env();
    struct enrol_result res;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(loyalty_enrol(T.s, &v, &friend, NOW + 2, &A, &res, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "referral_not_new");
    struct enrol_req stranger = req("+79161234511");
    stranger.referrer = "+79160000000";
    kt_err_reset(&err);
    assert_int_equal(loyalty_enrol(T.s, &v, &stranger, NOW + 3, &A, &res, &err), KT_EINVAL);
    assert_string_equal(err.code, "referrer_not_found");
    assert_string_equal(err.field, "referrer");
}

static void the_code_proves_the_phone(void **state)
{
    (void)state;
    struct enrol_req e = req(PHONE);
    e.send_code = false;
    struct enrol_result a = enrol_ok(&e, NOW);
    struct enrol_env v = env();
    char otp_id[ID_MAX];
    assert_int_equal(loyalty_code_send(T.s, &v, PHONE, "k1", NOW + 10, &A, otp_id, NULL), KT_OK);
    const char *text = last_sms(); /* "code 123456, card ..." */
    char code[8] = "";
    kt_strlcpy(code, text + 5, 7);

    struct code_verified out;
    struct kt_err err;
    kt_err_reset(&err);
    const char *wrong = strcmp(code, "000000") == 0 ? "111111" : "000000";
    assert_int_equal(loyalty_code_verify(T.s, &K, PHONE, wrong, "rq", NOW + 20, &A, &out, &err),
                     KT_EINVAL);
    assert_string_equal(err.code, "code_wrong");
    kt_err_reset(&err);
    assert_int_equal(loyalty_code_verify(T.s, &K, PHONE, code, "rq", NOW + 30, &A, &out, &err),
                     KT_OK);
    assert_string_equal(out.customer_id, a.customer.id);
    assert_string_equal(out.otp.id, otp_id);
    e.send_code = true; /* verified now: no code is sent */
    struct enrol_result b = enrol_ok(&e, NOW + 40);
    assert_true(b.phone_verified);
    assert_string_equal(b.sms_refused, "phone_verified");

    kt_err_reset(&err); /* nobody has this phone */
    assert_int_equal(loyalty_code_send(T.s, &v, "+79169999999", "k1", NOW, &A, otp_id, &err),
                     KT_EINVAL);
    assert_string_equal(err.code, "customer_not_found");
}

int main(void)
{
    audit_key_init(&K); /* the audit log's entries are chained with it */
#define T_(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        T_(a_phone_alone_makes_a_pending_member),
        T_(an_erased_persons_phone_stays_out),
        T_(a_card_over_the_limit_names_the_cards_held),
        T_(a_referral_needs_a_new_customer_and_a_known_friend),
        T_(the_code_proves_the_phone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
