/*
 * loyalty_test.c - card numbers, the programme document, the arithmetic of earning and the cap,
 * programme versions, the issue of card numbers and the enrolment limits in a real store.
 */
#include "helpers.h"

#include "base/clock.h"

#include "consent/consent.h"
#include "loyalty/bonus.h"
#include "loyalty/cards.h"
#include "loyalty/loyalty.h"
#include "loyalty/ledger.h"
#include "loyalty/program.h"
#include "loyalty/purchase.h"

static void ean13_numbers_carry_their_check_digit(void **state)
{
    assert_true(ean13_valid("4006381333931")); /* a published GS1 example */
    assert_false(ean13_valid("4006381333932"));
    assert_false(ean13_valid("400638133393"));
    assert_false(ean13_valid("40063813339a1"));
    char n[14];
    assert_true(ean13_card("2000", 1, n));
    assert_string_equal(n, "2000000000015");
    assert_true(ean13_valid(n));
    assert_true(ean13_card("2000", 99999999, n));
    assert_true(ean13_valid(n));
    assert_false(ean13_card("2000", 100000000, n)); /* does not fit the range */
    assert_false(ean13_card("2", 1, n));
    for (int64_t i = 0; i < 1000; i++) {
        assert_true(ean13_card("29", i * 7919, n));
        assert_true(ean13_valid(n));
    }
}

static void earning_is_exact_and_rounded_once(void **state)
{
    struct loyalty_rules r;
    loyalty_defaults(&r); /* 5%, 1 point = 100 kopecks */
    struct loyalty_line one = {"A", NULL, 100000};
    assert_int_equal(loyalty_earn(&r, &one, 1), 50);
    struct loyalty_line small = {"A", NULL, 99};
    assert_int_equal(loyalty_earn(&r, &small, 1), 0);
    /* 19.99 roubles twice: 1.999 points, rounded down once for the receipt (not 0 + 0). */
    struct loyalty_line two[] = {{"A", NULL, 1999}, {"B", NULL, 1999}};
    assert_int_equal(loyalty_earn(&r, two, 2), 1);
    /* Multipliers: a category doubles, a SKU excludes and wins over its category. */
    r.categories[0] = (struct loyalty_rate){"Подгузники", 200};
    r.n_categories = 1;
    r.skus[0] = (struct loyalty_rate){"GIFT", 0};
    r.n_skus = 1;
    struct loyalty_line basket[] = {{"D-1", "Подгузники", 100000},
                                    {"GIFT", "Подгузники", 500000},
                                    {"M-1", "Молоко", 10000},
                                    {"R-1", NULL, -5000}}; /* a negative line earns nothing */
    assert_int_equal(loyalty_earn(&r, basket, 4), 100 + 0 + 5);
    assert_int_equal(loyalty_spend_cap(&r, 100000), 300); /* 30% of 1,000 roubles */
    /* Part paid with points: the earn is on the money share, rounded down once (11.99 -> 11 if
     * rounded twice; 12 exactly). */
    struct loyalty_rules ten;
    loyalty_defaults(&ten);
    ten.earn_bp = 1000;
    struct loyalty_line milk = {"M", NULL, 17980};
    assert_int_equal(loyalty_earn_share(&ten, &milk, 1, 17980 - 5300, 17980), 12);
    assert_int_equal(loyalty_earn_share(&ten, &milk, 1, 0, 17980), 0);
    /* No overflow on a huge receipt: 500 lines of ten million roubles at 100% x10. */
    struct loyalty_line huge[500];
    for (int i = 0; i < 500; i++) {
        huge[i] = (struct loyalty_line){"H", NULL, 1000000000};
    }
    ten.earn_bp = 10000;
    ten.skus[0] = (struct loyalty_rate){"H", 1000};
    ten.n_skus = 1;
    assert_int_equal(loyalty_earn_share(&ten, huge, 500, 1, 1), 500LL * 1000000000 * 10 / 100);
    assert_int_equal(loyalty_spend_cap(&r, 99), 0);
    assert_int_equal(loyalty_spend_cap(&r, -1), 0);
}

static enum kt_rc decode(const char *text, struct loyalty_rules *r, struct kt_err *err)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    kt_err_reset(err);
    enum kt_rc rc = loyalty_rules_decode(v, &A, r, err);
    json_decref(v);
    return rc;
}

static void the_document_is_checked(void **state)
{
    struct loyalty_rules r;
    struct kt_err err;
    assert_int_equal(decode("{\"earn\":{\"percent_bp\":300,\"skus\":{\"GIFT\":0}},"
                            "\"spend\":{\"max_percent\":50},\"spend_gate\":[\"phone_verified\"],"
                            "\"cards\":{\"prefix\":\"2991\",\"max_per_customer\":2}}",
                            &r, &err),
                     KT_OK);
    assert_int_equal(r.earn_bp, 300);
    assert_int_equal(r.max_spend_pct, 50);
    assert_int_equal(r.gate, GATE_PHONE_VERIFIED);
    assert_string_equal(r.card_prefix, "2991");
    assert_int_equal(r.hold_days, 14); /* a default that was not named stays */
    /* What goes out decodes to the same rules. */
    json_t *back = loyalty_rules_json(&r);
    struct loyalty_rules again;
    assert_int_equal(loyalty_rules_decode(back, &A, &again, &err), KT_OK);
    json_decref(back);
    assert_int_equal(again.n_skus, 1);
    assert_int_equal(again.gate, r.gate);
    static const struct {
        const char *json, *code, *field;
    } bad[] = {
        {"{\"colour\":1}", "unknown_field", "colour"},
        {"{\"earn\":{\"percent\":5}}", "unknown_field", "earn.percent"},
        {"{\"earn\":{\"percent_bp\":10001}}", "invalid_value", "earn.percent_bp"},
        {"{\"earn\":{\"percent_bp\":2.5}}", "wrong_type", "earn.percent_bp"},
        {"{\"earn\":{\"categories\":{\"x\":-1}}}", "invalid_value", "earn.categories.x"},
        {"{\"earn\":{\"categories\":{\"x\":\"double\"}}}", "wrong_type", "earn.categories.x"},
        {"{\"hold_days\":-1}", "invalid_value", "hold_days"},
        {"{\"spend_gate\":[5]}", "wrong_type", "spend_gate[0]"},
        {"{\"spend\":{\"max_percent\":101}}", "invalid_value", "spend.max_percent"},
        {"{\"spend\":{\"kopecks_per_point\":0}}", "invalid_value", "spend.kopecks_per_point"},
        {"{\"spend_gate\":[\"shoe_size\"]}", "invalid_value", "spend_gate[0]"},
        {"{\"cards\":{\"prefix\":\"20a0\"}}", "invalid_value", "cards.prefix"},
        {"{\"cards\":{\"max_per_customer\":0}}", "invalid_value", "cards.max_per_customer"},
        {"{\"bonuses\":{\"birthday\":{\"window_days\":40}}}", "invalid_value",
         "bonuses.birthday.window_days"},
        {"[]", "wrong_type", ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(decode(bad[i].json, &r, &err), KT_EINVAL);
        assert_string_equal(err.code, bad[i].code);
        assert_string_equal(err.field, bad[i].field);
    }
}

static void versions_are_kept(void **state)
{
    struct store_conn *w;
    struct loyalty_rules r;
    int64_t at;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(loyalty_program_get(w, &A, &r, &at, NULL), KT_OK);
    assert_int_equal(r.version, 0); /* the defaults */
    assert_int_equal(r.earn_bp, 500);
    json_t *doc = json_loads("{\"earn\":{\"percent_bp\":700}}", 0, NULL);
    assert_int_equal(loyalty_program_publish(w, doc, "k1", 1000, &A, &r, NULL), KT_OK);
    assert_int_equal(r.version, 1);
    json_decref(doc);
    doc = json_loads("{\"hold_days\":7}", 0, NULL);
    assert_int_equal(loyalty_program_publish(w, doc, "k1", 2000, &A, &r, NULL), KT_OK);
    assert_int_equal(r.version, 2);
    json_decref(doc);
    assert_int_equal(loyalty_program_get(w, &A, &r, &at, NULL), KT_OK);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.hold_days, 7);
    assert_int_equal(r.earn_bp, 500); /* each version is whole: v2 did not inherit v1's rate */
    assert_int_equal(at, 2000);
    store_write_end(w, KT_OK, NULL);
}

#define DAY (86400LL * 1000)

static struct ledger_entry entry(const char *kind, int64_t points, int64_t at, int64_t available,
                                 int64_t expires)
{
    struct ledger_entry e;
    memset(&e, 0, sizeof(e));
    e.kind = kind;
    e.points = points;
    e.at = at;
    e.available_at = available;
    e.expires_at = expires;
    return e;
}

static void balances_follow_holds_fifo_and_expiry(void **state)
{
    struct ledger_entry e[] = {
        entry("earn", 100, 0, 14 * DAY, 400 * DAY),       /* lot 1 */
        entry("earn", 50, 1 * DAY, 15 * DAY, 401 * DAY),  /* lot 2 */
        entry("spend", -120, 20 * DAY, 20 * DAY, 0),      /* all of lot 1, 20 of lot 2 */
        entry("earn", 70, 30 * DAY, 44 * DAY, 430 * DAY), /* lot 3, in the hold at day 40 */
        entry("refund_earn", -40, 41 * DAY, 41 * DAY, 0), /* 30 left in lot 2: 10 become debt */
    };
    struct points_balance b;
    loyalty_balance(e, 2, 10 * DAY, &b);
    assert_int_equal(b.available, 0);
    assert_int_equal(b.pending, 150);
    loyalty_balance(e, 3, 20 * DAY, &b);
    assert_int_equal(b.available, 30);
    assert_int_equal(b.next_expiry_at, 401 * DAY);
    assert_int_equal(b.next_expiry_points, 30);
    loyalty_balance(e, 5, 42 * DAY, &b);
    assert_int_equal(b.available, 0);
    assert_int_equal(b.pending, 60); /* lot 3 will cover the debt of 10 first */
    assert_int_equal(b.debt, 0);
    loyalty_balance(e, 2, 20 * DAY, &b); /* no debt before the refund */
    assert_int_equal(b.debt, 0);
    struct ledger_entry owed[] = {entry("earn", 50, 0, 0, 0), entry("spend", -50, 1, 1, 0),
                                  entry("refund_earn", -30, 2, 2, 0)};
    loyalty_balance(owed, 3, 3, &b); /* nothing left to take it from */
    assert_int_equal(b.debt, 30);
    loyalty_balance(e, 5, 50 * DAY, &b); /* lot 3 released: it pays the debt first */
    assert_int_equal(b.available, 60);
    assert_int_equal(b.debt, 0);
    loyalty_balance(e, 5, 430 * DAY, &b); /* expired at that moment */
    assert_int_equal(b.available, 0);
}

/* Refunds in parts give back exactly the line's amount and, over the whole receipt, exactly the
 * points it earned and spent; a refund takes back its own receipt's points, even in the hold. */
static void refunds_add_up_to_the_receipt(void **state)
{
    (void)state;
    struct arena arena, *a = &arena;
    arena_init(a, 0);
    struct purchase p = {
        .id = "p_1", .ck = 7, .at = 100, .total = 1000, .points_earned = 7, .points_spent = 3};
    struct purchase_line pl[] = {{.sku = "A", .quantity = 3000, .price = 333, .amount = 1000}};
    struct refund_line part = {1, 1000, 0};
    struct refund_req req = {.number = "R", .at = 200, .lines = &part, .n_lines = 1};
    struct refund rf;
    struct refund_line *l;
    size_t n;
    struct kt_err err;
    kt_err_reset(&err);
    int64_t amount = 0, rev = 0, ret = 0;
    for (int i = 0; i < 3; i++) { /* three thirds of 10.00 roubles: 3.33, 3.33, 3.34 */
        assert_int_equal(refund_compute(&p, pl, 1, &req, 300, a, &rf, &l, &n, &err), KT_OK);
        assert_int_equal(rf.amount, i < 2 ? 333 : 334);
        pl[0].refunded_qty += l[0].quantity;
        pl[0].refunded_amount += l[0].amount;
        p.refunded += rf.amount;
        p.points_reversed += rf.points_reversed;
        p.points_returned += rf.points_returned;
        amount += rf.amount, rev += rf.points_reversed, ret += rf.points_returned;
    }
    assert_int_equal(amount, 1000);
    assert_int_equal(rev, 7);
    assert_int_equal(ret, 3);
    assert_int_equal(refund_compute(&p, pl, 1, &req, 300, a, &rf, &l, &n, &err), KT_EINVAL);
    assert_string_equal(err.code, "refund_exceeds_purchase");
    req.at = 50;
    kt_err_reset(&err);
    assert_int_equal(refund_compute(&p, pl, 1, &req, 300, a, &rf, &l, &n, &err), KT_EINVAL);
    assert_string_equal(err.code, "time_before_purchase");

    struct ledger_entry e[] = {entry("earn", 40, 0, 10, 0), entry("earn", 20, 5, 15, 0),
                               entry("refund_earn", -20, 6, 6, 0)};
    e[0].purchase_id = "p_a";
    e[1].purchase_id = "p_b";
    e[2].purchase_id = "p_b";
    struct points_balance b;
    loyalty_balance(e, 3, 20, &b); /* p_b's own lot, still in the hold, is taken back */
    assert_int_equal(b.available, 40);
    assert_int_equal(b.debt, 0);
    arena_release(a);
}

/* Loops are refused however long: c3 brought c2, c2 brought c1; c1 may not bring c3. */
static void referral_loops_are_refused(void **state)
{
    (void)state;
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    struct customer cu[4];
    for (int i = 0; i < 4; i++) {
        memset(&cu[i], 0, sizeof(cu[i]));
        snprintf(cu[i].id, sizeof(cu[i].id), "c_ref%d", i);
        cu[i].created_at = cu[i].updated_at = 1;
        assert_int_equal(store_customer_insert(w, &cu[i], NULL), KT_OK);
    }
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(loyalty_referral_set(w, cu[2].ck, cu[3].ck, 1, &A, &err), KT_OK);
    assert_int_equal(loyalty_referral_set(w, cu[1].ck, cu[2].ck, 1, &A, &err), KT_OK);
    assert_int_equal(loyalty_referral_set(w, cu[3].ck, cu[1].ck, 1, &A, &err), KT_EINVAL);
    assert_string_equal(err.code, "referral_loop");
    kt_err_reset(&err);
    assert_int_equal(loyalty_referral_set(w, cu[0].ck, cu[0].ck, 1, &A, &err), KT_EINVAL);
    assert_string_equal(err.code, "referral_self");
    kt_err_reset(&err);
    assert_int_equal(loyalty_referral_set(w, cu[1].ck, cu[0].ck, 1, &A, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "referral_exists");
    store_write_end(w, KT_OK, NULL);
}

/* The birthday window wraps the year, and Feb 29 is Feb 28 in other years. */
static void birthday_windows(void **state)
{
    (void)state;
    int64_t year, b;
    int64_t jan2 = days_from_civil(2027, 1, 2), feb28 = days_from_civil(2027, 2, 28);
    assert_true(loyalty_birthday_window("1990-12-30", jan2, 3, &year, &b));
    assert_int_equal(year, 2026);
    assert_int_equal(b, days_from_civil(2026, 12, 30));
    assert_false(loyalty_birthday_window("1990-12-28", jan2, 3, &year, &b));
    assert_true(loyalty_birthday_window("2000-02-29", feb28, 0, &year, &b));
    assert_int_equal(b, feb28);
    assert_false(loyalty_birthday_window("2000-02-3x", feb28, 7, &year, &b));
}

static void months_are_calendar_months(void **state)
{
    int64_t jan31, feb29, mar31;
    assert_true(time_parse_rfc3339("2028-01-31T10:00:00Z", 20, &jan31));
    assert_true(time_parse_rfc3339("2028-02-29T10:00:00Z", 20, &feb29));
    assert_true(time_parse_rfc3339("2029-03-31T10:00:00Z", 20, &mar31));
    assert_int_equal(loyalty_add_months(jan31, 1), feb29);
    assert_int_equal(loyalty_add_months(feb29, 13), mar31 - 31 * DAY + 29 * DAY);
}

static int64_t customer_in(struct store_conn *w, const char *id)
{
    struct customer cu;
    memset(&cu, 0, sizeof(cu));
    kt_strlcpy(cu.id, id, sizeof(cu.id));
    cu.created_at = cu.updated_at = 1;
    assert_int_equal(store_customer_insert(w, &cu, NULL), KT_OK);
    return cu.ck;
}

/* Issuing skips the numbers a card identifier, the suppression list or a card holds; the counter
 * only goes forward, past what it skipped, until the range is used up. */
static void card_numbers_skip_what_is_held(void **state)
{
    (void)state;
    struct key_secret k = {{7, 7, 7}};
    struct loyalty_rules r;
    loyalty_defaults(&r);
    char n[8][14];
    for (int i = 1; i < 8; i++) {
        assert_true(ean13_card(r.card_prefix, i, n[i]));
    }
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    int64_t ck = customer_in(w, "c_card0"), ck2 = customer_in(w, "c_card1");
    struct ident held = {"card", n[1], ck, false, 1, "pos"};
    assert_int_equal(store_ident_insert(w, &held, NULL), KT_OK); /* an older programme's card */
    unsigned char h[32];
    suppress_hash(&k, "card", n[2], h); /* an erased person's */
    assert_int_equal(store_suppress_add(w, h, "card", "a_1", 1, NULL), KT_OK);
    struct card row = {.kind = "physical", .state = "issued", .issued_at = 1, .state_at = 1};
    memcpy(row.number, n[3], sizeof(row.number)); /* a card the counter never knew of */
    assert_int_equal(store_card_insert(w, &row, NULL), KT_OK);
    struct kt_err err;
    kt_err_reset(&err);
    struct card cd, *cs;
    assert_int_equal(card_issue_virtual(w, &k, &r, ck2, 5, &A, &cd, &err), KT_OK);
    assert_string_equal(cd.number, n[4]);
    assert_int_equal(card_issue_batch(w, &k, &r, "b", 2, 5, &A, &cs, &err), KT_OK);
    assert_string_equal(cs[0].number, n[5]);
    assert_string_equal(cs[1].number, n[6]);
    const char *seq;
    assert_int_equal(store_meta_get(w, "card_seq", &A, &seq, NULL, NULL), KT_OK);
    assert_string_equal(seq, "6");
    /* The last number of a 7-digit prefix's range is held: nothing is left to issue. */
    kt_strlcpy(r.card_prefix, "2999999", sizeof(r.card_prefix));
    char last[14];
    assert_true(ean13_card(r.card_prefix, 99999, last));
    struct ident end = {"card", last, ck, false, 1, "pos"};
    assert_int_equal(store_ident_insert(w, &end, NULL), KT_OK);
    assert_int_equal(store_meta_put(w, "card_seq", "99998", NULL), KT_OK);
    assert_int_equal(card_issue_batch(w, &k, &r, "b2", 1, 5, &A, &cs, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "card_range_exhausted");
    assert_string_equal(err.field, "count");
    store_write_end(w, KT_ECONFLICT, NULL);
}

/* Enrolments per key and per store in a sliding hour; a refusal says when one fits again. */
static void enrolments_are_limited_per_key_and_store(void **state)
{
    (void)state;
    struct enrol_limits l = {3, 2};
    int64_t t0 = 1800000000000LL;
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(enrol_admit(w, &l, "k1", "S-1", t0, &err), KT_OK);
    assert_int_equal(enrol_admit(w, &l, "k1", "S-1", t0 + 1000, &err), KT_OK);
    assert_int_equal(enrol_admit(w, &l, "k1", "S-1", t0 + 2000, &err), KT_ELIMIT);
    assert_string_equal(err.code, "enrol_rate_limited");
    assert_string_equal(err.field, "store");
    assert_int_equal(err.retry_after, 3598); /* the first leaves the hour then */
    kt_err_reset(&err);
    assert_int_equal(enrol_admit(w, &l, "k1", "S-2", t0 + 2000, &err), KT_OK);
    assert_int_equal(enrol_admit(w, &l, "k1", NULL, t0 + 3000, &err), KT_ELIMIT);
    assert_string_equal(err.field, "");
    kt_err_reset(&err);
    assert_int_equal(enrol_admit(w, &l, "k2", NULL, t0 + 3000, &err), KT_OK); /* another key */
    /* An hour after the first, one fits again; 0 is no limit. */
    assert_int_equal(enrol_admit(w, &l, "k1", "S-1", t0 + ENROL_WINDOW_MS, &err), KT_OK);
    struct enrol_limits none = {0, 0};
    for (int i = 0; i < 10; i++) {
        assert_int_equal(enrol_admit(w, &none, "k1", "S-1", t0 + ENROL_WINDOW_MS, &err), KT_OK);
    }
    store_write_end(w, KT_OK, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ean13_numbers_carry_their_check_digit),
        cmocka_unit_test(earning_is_exact_and_rounded_once),
        cmocka_unit_test(balances_follow_holds_fifo_and_expiry),
        cmocka_unit_test(refunds_add_up_to_the_receipt),
        cmocka_unit_test(months_are_calendar_months),
        cmocka_unit_test_setup_teardown(the_document_is_checked, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(versions_are_kept, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(referral_loops_are_refused, store_setup, store_teardown),
        cmocka_unit_test(birthday_windows),
        cmocka_unit_test_setup_teardown(card_numbers_skip_what_is_held, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(enrolments_are_limited_per_key_and_store, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
