/*
 * consent_test.c - the production calendar and the legal deadlines and their extension,
 * unsubscribe tokens, the
 * decoding of consents, the derived state of consent events against a real store, the field
 * a suppressed value is named by, and the audit log's chains.
 */
#include "helpers.h"

#include "base/clock.h"
#include "consent/consent.h"

#define DAY_MS (86400LL * 1000)

static int64_t day(const char *s)
{
    int64_t d = 0;
    assert_true(cal_parse(s, &d));
    return d;
}

static const char *deadline(const char *kind, const char *received, bool extended, bool *prov)
{
    int64_t out;
    assert_true(privacy_deadline(kind, day(received), extended, &out, prov));
    return cal_format(out, &A);
}

static void calendar_knows_the_holidays_and_transfers(void **state)
{
    bool known;
    assert_false(cal_working(day("2026-01-09"), &known)); /* Saturday Jan 3 moved here */
    assert_true(known);
    assert_false(cal_working(day("2026-03-09"), &known)); /* Sunday Mar 8 moved here */
    assert_true(cal_working(day("2025-11-01"), &known));  /* a Saturday worked */
    assert_false(cal_working(day("2025-12-31"), &known));
    assert_true(cal_working(day("2026-01-12"), &known));
    /* A year not shipped: the rule of art. 112 alone, and it says so. */
    assert_false(cal_working(day("2027-01-05"), &known));
    assert_false(known);
    assert_false(cal_working(day("2027-05-10"), &known)); /* Sunday May 9 moves to Monday */
    assert_true(cal_working(day("2027-05-11"), &known));
    /* 247 working days in each shipped year, as the published calendars say. */
    for (int y = 2025; y <= 2026; y++) {
        char s[16];
        kt_snprintf(s, sizeof(s), "%d-01-01", y);
        int64_t d = day(s), n = 0;
        kt_snprintf(s, sizeof(s), "%d-01-01", y + 1);
        for (int64_t end = day(s); d < end; d++) {
            n += cal_working(d, &known);
        }
        assert_int_equal(n, 247);
    }
}

static void deadlines_cross_the_new_year(void **state)
{
    bool prov;
    assert_string_equal(deadline("access", "2025-12-26", false, &prov), "2026-01-21");
    assert_false(prov);
    assert_string_equal(deadline("access", "2025-12-26", true, &prov), "2026-01-28");
    assert_string_equal(deadline("stop", "2025-12-30", false, &prov), "2026-01-23");
    assert_string_equal(deadline("rectification", "2025-12-26", false, &prov), "2026-01-16");
    assert_string_equal(deadline("erasure", "2025-12-26", false, &prov), "2026-01-25");
    assert_string_equal(deadline("access", "2026-12-25", false, &prov), "2027-01-19");
    assert_true(prov); /* 2027 is not shipped */
    int64_t out;
    assert_false(privacy_deadline("gossip", day("2026-01-01"), false, &out, &prov));
    int64_t d;
    assert_false(cal_parse("2026-02-30", &d));
    assert_false(cal_parse("26-02-01", &d));
    /* The Moscow date of a UTC time: 21:30 UTC on Dec 31 is already Jan 1 in Moscow. */
    int64_t ms;
    assert_true(time_parse_rfc3339("2025-12-31T21:30:00Z", 20, &ms));
    assert_string_equal(cal_format(cal_day_of(ms), &A), "2026-01-01");
}

static void tokens_are_signed(void **state)
{
    struct key_secret k = {{1, 2, 3}}, other = {{9, 9, 9}};
    const char *t = subs_token(&k, "c_06fm2wqe3dv9kf6a3cna", "promo", "email", &A);
    const char *id, *topic, *channel;
    assert_true(subs_token_check(&k, t, &A, &id, &topic, &channel));
    assert_string_equal(id, "c_06fm2wqe3dv9kf6a3cna");
    assert_string_equal(topic, "promo");
    assert_string_equal(channel, "email");
    assert_false(subs_token_check(&other, t, &A, &id, &topic, &channel));
    size_t n = strlen(t);
    for (size_t i = 0; i < n; i++) { /* every single-character change is refused */
        char *bad = arena_strdup(&A, t);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_false(subs_token_check(&k, bad, &A, &id, &topic, &channel));
    }
    assert_false(subs_token_check(&k, "", &A, &id, &topic, &channel));
    assert_false(subs_token_check(&k, "!!!", &A, &id, &topic, &channel));
    const char *all = subs_token(&k, "c_06fm2wqe3dv9kf6a3cna", NULL, NULL, &A);
    assert_true(subs_token_check(&k, all, &A, &id, &topic, &channel));
    assert_null(topic);
    assert_null(channel);
}

static enum kt_rc decode(const char *json, const char *source, struct consent_input **in, size_t *n,
                         struct kt_err *err)
{
    json_t *v = json_loads(json, 0, NULL);
    assert_non_null(v);
    kt_err_reset(err);
    enum kt_rc rc = consent_decode(v, source, 1800000000000LL, &A, in, n, err);
    json_decref(v);
    return rc;
}

static void decoding_checks_purpose_channel_and_evidence(void **state)
{
    struct consent_input *in;
    size_t n;
    struct kt_err err;
    assert_int_equal(decode("[{\"purpose\":\"ads\",\"channel\":\"sms\",\"document\":\"ads@2\","
                            "\"granted\":true,\"evidence\":{\"otp_id\":\"o-1\"}}]",
                            "pos", &in, &n, &err),
                     KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(in[0].doc_key, "ads");
    assert_int_equal(in[0].doc_version, 2);
    static const struct {
        const char *json, *source, *code, *field;
    } bad[] = {
        {"{}", "web", "wrong_type", "consents"},
        {"[{\"purpose\":\"spam\",\"granted\":true}]", "web", "invalid_value",
         "consents[0].purpose"},
        {"[{\"purpose\":\"pd_processing\",\"granted\":false,\"at\":\"0001-01-01T00:00:00Z\"}]",
         "web", "invalid_time", "consents[0].at"},
        {"[{\"purpose\":\"ads\",\"channel\":\"fax\",\"granted\":false}]", "web", "invalid_value",
         "consents[0].channel"},
        {"[{\"purpose\":\"ads\",\"granted\":true,\"document\":\"a\"}]", "web", "missing_field",
         "consents[0].channel"},
        {"[{\"purpose\":\"pd_processing\",\"channel\":\"sms\",\"granted\":true}]", "web",
         "unexpected_field", "consents[0].channel"},
        {"[{\"purpose\":\"pd_processing\",\"granted\":true,\"evidence\":{\"form_id\":\"f\"}}]",
         "web", "missing_field", "consents[0].document"},
        {"[{\"purpose\":\"pd_processing\",\"granted\":true,\"document\":\"d\"}]", "pos",
         "evidence_required", "consents[0].evidence"},
        {"[{\"purpose\":\"pd_processing\",\"granted\":true,\"document\":\"d\","
         "\"evidence\":{\"form_id\":\"f\",\"legal_basis\":\"x\"}}]",
         "web", "evidence_not_allowed", "consents[0].evidence.legal_basis"},
        {"[{\"purpose\":\"pd_processing\",\"granted\":true,\"document\":\"D@1\"}]", "import",
         "invalid_document", "consents[0].document"},
        {"[{\"purpose\":\"pd_processing\",\"granted\":false},"
         "{\"purpose\":\"pd_processing\",\"granted\":false}]",
         "web", "duplicate_consent", "consents[1].purpose"},
        {"[{\"purpose\":\"pd_processing\",\"granted\":\"yes\"}]", "web", "wrong_type",
         "consents[0].granted"},
        {"[{\"purpose\":\"pd_processing\",\"granted\":false,\"why\":1}]", "web", "unknown_field",
         "consents[0].why"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(decode(bad[i].json, bad[i].source, &in, &n, &err), KT_EINVAL);
        assert_string_equal(err.code, bad[i].code);
        assert_string_equal(err.field, bad[i].field);
    }
}

static int64_t new_customer(struct store_conn *w, const char *id)
{
    struct customer cu;
    memset(&cu, 0, sizeof(cu));
    kt_strlcpy(cu.id, id, sizeof(cu.id));
    cu.created_at = cu.updated_at = 1;
    assert_int_equal(store_customer_insert(w, &cu, NULL), KT_OK);
    return cu.ck;
}

static const char *pd_state(struct store_conn *c, int64_t ck, int64_t now)
{
    struct consent_state *s;
    size_t n;
    assert_int_equal(consent_states(c, ck, now, &A, &s, &n, NULL), KT_OK);
    assert_int_equal(n, 8); /* 3 purposes + ads on 5 channels */
    return consent_find(s, n, "pd_processing", "")->state;
}

static void state_is_derived_from_the_events(void **state)
{
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    int64_t now = 1800000000000LL;
    struct consent_doc d = {"pd", 0, "pd_processing", "t", "text", NULL, 10, false, 0};
    assert_int_equal(consent_doc_publish(w, &d, now, &A, NULL), KT_OK);
    int64_t ck = new_customer(w, "c_0000000000000000000a");
    struct consent_actor who = {"pos", "S-1", "op", NULL, NULL, "c_0000000000000000000a", false};
    assert_string_equal(pd_state(w, ck, now), "not_given");
    assert_int_equal(consent_mark_pending(w, ck, &who, now, NULL), KT_OK);
    assert_string_equal(pd_state(w, ck, now), "pending");
    struct consent_input in = {"pd_processing", "",   true, now,  "pd", 1, NULL, NULL,
                               "P-1",           NULL, NULL, NULL, NULL};
    assert_int_equal(consent_record(w, ck, &in, 1, &who, now, NULL, NULL), KT_OK);
    assert_string_equal(pd_state(w, ck, now), "given");
    assert_string_equal(pd_state(w, ck, now + 10 * DAY_MS), "expired"); /* the term ran out */
    /* Withdrawal schedules the erasure after the default 30 days; a new grant cancels it. */
    in.granted = false;
    int64_t due = 0;
    assert_int_equal(consent_record(w, ck, &in, 1, &who, now + 1, &due, NULL), KT_OK);
    assert_int_equal(due, now + 1 + 30 * DAY_MS);
    assert_string_equal(pd_state(w, ck, now + 2), "withdrawn");
    in.granted = true;
    assert_int_equal(consent_record(w, ck, &in, 1, &who, now + 2, NULL, NULL), KT_OK);
    int64_t pending;
    assert_int_equal(store_due_pending(w, ck, "erase", &pending, NULL, NULL), KT_ENOTFOUND);
    /* A new version with re-consent outdates the grant. */
    struct consent_doc d2 = {"pd", 0, "pd_processing", "t2", "text 2", NULL, 0, true, 0};
    assert_int_equal(consent_doc_publish(w, &d2, now + 3, &A, NULL), KT_OK);
    assert_int_equal(d2.version, 2);
    assert_string_equal(pd_state(w, ck, now + 4), "outdated");
    store_write_end(w, KT_OK, NULL);
}

/* Unlawful processing (art. 21 part 3): stop within 3 working days, destroy within 10; only
 * access and stop requests may be extended. */
static void unlawful_processing_has_two_deadlines(void **state)
{
    bool prov;
    assert_string_equal(deadline("unlawful_processing", "2025-12-26", false, &prov), "2026-01-12");
    assert_false(prov);
    assert_string_equal(cal_format(privacy_destroy_deadline(day("2025-12-26"), &prov), &A),
                        "2026-01-21");
    assert_false(prov);
    assert_string_equal(deadline("unlawful_processing", "2025-10-30", false, &prov), "2025-11-05");
    assert_string_equal(cal_format(privacy_destroy_deadline(day("2026-12-28"), &prov), &A),
                        "2027-01-20"); /* Dec 31 2026 is off (the decree), Jan 1-8 too */
    assert_true(prov);                 /* 2027 is not shipped */
    assert_true(privacy_extendable("access") && privacy_extendable("stop"));
    assert_false(privacy_extendable("rectification") || privacy_extendable("erasure") ||
                 privacy_extendable("unlawful_processing"));
}

static struct privacy_request preq(const char *id, const char *kind)
{
    struct privacy_request p;
    memset(&p, 0, sizeof(p));
    kt_strlcpy(p.id, id, sizeof(p.id));
    p.kind = kind;
    p.received_on = "2025-12-26";
    p.deadline = "2026-01-21";
    p.channel = "letter";
    p.state = "open";
    p.created_at = 1;
    return p;
}

/* An extension needs a reasoned notice, is stored with it, moves the deadline by 5 working
 * days, once, for an open access or stop request; and may-send says a blocked customer is. */
static void an_extension_needs_its_reasons_and_a_block_stops_sending(void **state)
{
    struct store_conn *w;
    struct privacy_request a = preq("r_0000000000000000000a", "access"),
                           r = preq("r_0000000000000000000b", "rectification"), out;
    struct kt_err err;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_preq_insert(w, &a, NULL), KT_OK);
    assert_int_equal(store_preq_insert(w, &r, NULL), KT_OK);
    const char *blank[] = {NULL, "", " \t\r\n"};
    for (size_t i = 0; i < 3; i++) {
        kt_err_reset(&err);
        assert_int_equal(privacy_request_extend(w, a.id, blank[i], "k1", "rq", 5, &A, &out, &err),
                         KT_EINVAL);
        assert_string_equal(err.code, "extension_reason_required");
        assert_string_equal(err.field, "reason");
    }
    assert_int_equal(
        privacy_request_extend(w, a.id, "archive elsewhere", "k1", "rq", 5, &A, &out, NULL), KT_OK);
    assert_string_equal(out.deadline, "2026-01-28");
    assert_true(out.extended);
    assert_string_equal(out.extension_reason, "archive elsewhere");
    assert_int_equal(out.extended_at, 5);
    const char *ids[] = {a.id, r.id, "r_000000000000000000zz"};
    const char *codes[] = {"already_extended", "request_not_extendable", "request_not_found"};
    for (size_t i = 0; i < 3; i++) {
        kt_err_reset(&err);
        assert_int_not_equal(
            privacy_request_extend(w, ids[i], "why", NULL, NULL, 6, &A, &out, &err), KT_OK);
        assert_string_equal(err.code, codes[i]);
    }
    assert_int_equal(store_preq_close(w, r.id, "done", NULL, 7, NULL, NULL), KT_OK);
    kt_err_reset(&err);
    assert_int_equal(privacy_request_extend(w, r.id, "why", NULL, NULL, 8, &A, &out, &err),
                     KT_ECONFLICT);
    assert_string_equal(err.code, "request_closed");
    /* A blocked customer may be sent nothing, whatever else they agreed to. */
    struct customer cu;
    memset(&cu, 0, sizeof(cu));
    cu.ck = new_customer(w, "c_0000000000000000000b");
    const char *why = NULL;
    assert_int_equal(consent_may_send(w, &cu, "sms", "news", 10, &A, &why, NULL), KT_OK);
    assert_string_equal(why, "not_subscribed");
    struct customer_block b = {.ck = cu.ck,
                               .customer_id = "c_0000000000000000000b",
                               .reason = "accuracy_disputed",
                               .privacy_request_id = r.id,
                               .blocked_at = 9};
    kt_strlcpy(b.id, "b_0000000000000000000a", sizeof(b.id));
    assert_int_equal(store_block_insert(w, &b, NULL), KT_OK);
    assert_int_equal(consent_may_send(w, &cu, "sms", "news", 10, &A, &why, NULL), KT_OK);
    assert_string_equal(why, "blocked");
    store_write_end(w, KT_OK, NULL);
}

/* A refusal of an erased person's value names the field it came in, not the kind. */
static void suppression_names_the_field(void **state)
{
    (void)state;
    struct key_secret k = {{4, 2}};
    unsigned char h[32];
    suppress_hash(&k, "card", "OLD1234", h);
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_suppress_add(w, h, "card", "a_1", 1, NULL), KT_OK);
    suppress_hash(&k, "phone", "+79990000001", h);
    assert_int_equal(store_suppress_add(w, h, "phone", "a_1", 1, NULL), KT_OK);
    static const char *const docs[][2] = {
        {"{\"identifiers\": {\"card\": \"OLD1234\"}}", "identifiers.card"},
        {"{\"identifiers\": {\"card\": [\"NEW1\", \"old-1234\"]}}", "identifiers.card[1]"},
        {"{\"identifiers\": {\"phone\": \"+7 999 000-00-01\"}}", "identifiers.phone"},
        {"{\"profile\": {\"phone\": \"89990000001\"}, \"identifiers\": {\"phone\": "
         "\"+79990000001\"}}",
         "profile.phone"},
        {"{\"identifiers\": {\"card\": \"NEW1\"}}", NULL},
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_t *doc = json_loads(docs[i][0], 0, NULL);
        assert_non_null(doc);
        json_object_set_new(doc, "source", json_pack("{s:s}", "channel", "pos"));
        struct upsert_req req;
        struct kt_err err;
        kt_err_reset(&err);
        assert_int_equal(ident_decode(doc,
                                      &(struct ident_decode_opts){false, false, SCOPE_POS, NULL},
                                      NULL, 0, 10, &A, &req, &err),
                         KT_OK);
        const char *which = NULL, *field = NULL;
        assert_int_equal(suppress_check_at(w, &k, &req, false, 10, &which, &field, &err), KT_OK);
        if (docs[i][1] == NULL) {
            assert_null(field);
        } else {
            assert_non_null(field);
            assert_string_equal(field, docs[i][1]);
        }
        json_decref(doc);
    }
    store_write_end(w, KT_OK, NULL);
}

/* Both logs are chained under the installation secret's key: intact as written, every entry
 * with the caller's address; another secret's key finds them all wrong from the anchor on. The
 * queue of reads refuses new reads at its limit and never drops one. */
static void the_audit_log_is_chained_and_verified(void **state)
{
    struct store_conn *w, *rd;
    struct audit_verified v[2];
    audit_caller_begin("203.0.113.7");
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(audit_write(w, "k1", "consent", "c_a", NULL, "test", "rq", 1000 + i, NULL),
                         KT_OK);
    }
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    audit_queue_max_set(2);
    assert_true(audit_admit());
    audit_note("k1", "read", "c_a", 1u << PF_PHONE, "/v1/customers", NULL, "rq", 2000);
    audit_note("k1", "read", NULL, AUDIT_F_SEGMENTS, "/v1/segments/{id}/members", "s_x", "rq",
               2001);
    uint64_t refused = audit_refused_total();
    assert_false(audit_admit()); /* at the limit: the request is refused, nothing is dropped */
    assert_int_equal(audit_refused_total(), refused + 1);
    struct audit_tally t = audit_caller_tally();
    audit_caller_end();
    assert_int_equal(t.entries, 5);
    assert_false(t.nothing_read);
    assert_int_equal(audit_flush(T.s, NULL), KT_OK);
    assert_true(audit_admit());
    audit_queue_max_set(AUDIT_QUEUE_MAX);

    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(audit_verify(T.s, rd, true, v, NULL), KT_OK);
    for (int i = 0; i < 2; i++) {
        assert_true(v[i].intact);
        assert_int_equal(v[i].checked, i == 0 ? 3 : 2);
        assert_int_equal(v[i].chain.anchor_seq, 0);
        assert_true(v[i].chain.anchor_mac[0] != '\0'); /* sealed by the first entry */
    }
    struct audit_filter f = {NULL, NULL, NULL, 0, 0, 0, 10};
    struct audit_page p;
    assert_int_equal(audit_list(T.s, rd, &f, 0, 0, &A, &p, NULL), KT_OK);
    assert_int_equal(p.n, 5);
    for (size_t i = 0; i < p.n; i++) {
        assert_string_equal(p.items[i].ip, "203.0.113.7");
        assert_int_equal(strlen(p.items[i].hash), 64);
        assert_int_equal(p.items[i].seq, p.is_read[i] ? (int64_t)i - 2 : (int64_t)i + 1);
    }
    assert_string_equal(p.items[4].detail, "/v1/segments/{id}/members s_x");
    assert_string_equal(p.items[4].fields, "segments");

    audit_key_init(&(struct key_secret){{9, 9, 9}}); /* not the secret they were chained with */
    assert_int_equal(audit_verify(T.s, rd, true, v, NULL), KT_OK);
    assert_false(v[0].intact);
    assert_string_equal(v[0].problem, "anchor_mismatch");
    assert_false(v[1].intact);
    audit_key_init(&(struct key_secret){{1, 2, 3}});
    store_read_end(rd);
}

int main(void)
{
    audit_key_init(
        &(struct key_secret){{1, 2, 3}}); /* the audit log's entries are chained with it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(calendar_knows_the_holidays_and_transfers, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(deadlines_cross_the_new_year, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(tokens_are_signed, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(decoding_checks_purpose_channel_and_evidence, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(state_is_derived_from_the_events, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(suppression_names_the_field, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(unlawful_processing_has_two_deadlines, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(an_extension_needs_its_reasons_and_a_block_stops_sending,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(the_audit_log_is_chained_and_verified, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
