/*
 * privacy_test.c - the act of destruction (act.c, act_input.c, act_keep.c) on a real SQLite
 * store: the categories come from what the customer had, a draft without the operator and its
 * completion from the settings, the document's canonical bytes, the term of 3 calendar years,
 * the purge only after it (and the schema refusing any other delete), the INN and OGRN check
 * digits, and a signature that is not a CMS or not of the document refused.
 */
#include "helpers.h"

#include "base/clock.h"
#include "base/id.h"

#include "consent/consent.h"
#include "identity/identity.h"
#include "privacy/privacy.h"

#define NOW   1795000000000LL /* 2026-11-18T11:06:40Z */
#define PHONE "+79161234567"

static const struct key_secret K = {{9, 1, 9}};

static int64_t customer(const char *phone)
{
    struct store_conn *w;
    struct customer cu;
    memset(&cu, 0, sizeof(cu));
    id_new(cu.id, sizeof(cu.id), "c_");
    cu.val[PF_PHONE] = phone;
    cu.at[PF_PHONE] = NOW;
    cu.val[PF_FIRST_NAME] = "Вера";
    cu.at[PF_FIRST_NAME] = NOW;
    cu.attrs = "{}";
    cu.attrs_at = "{}";
    cu.created_at = cu.updated_at = NOW;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_customer_insert(w, &cu, NULL), KT_OK);
    struct ident id = {"phone", phone, cu.ck, false, NOW, "pos"};
    assert_int_equal(store_ident_insert(w, &id, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    return cu.ck;
}

static void settings(const char *name, const char *address, const char *who)
{
    struct store_conn *w;
    struct privacy_settings ps;
    int64_t n;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(privacy_settings_get(w, &A, &ps, NULL), KT_OK);
    ps.operator_name = name;
    ps.operator_address = address;
    ps.responsible_name = who;
    ps.responsible_position = who ? "DPO" : NULL;
    assert_int_equal(privacy_settings_put(w, &ps, NULL), KT_OK);
    assert_int_equal(privacy_acts_complete(w, &ps, NULL, NOW + 5, &A, &n, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
}

static struct destruction_act erase(int64_t ck, const struct act_person *p, size_t n)
{
    struct store_conn *w;
    struct destruction_act act;
    struct erase_opts o = {"request", "k1", NULL, NULL, PRIVACY_SYSTEM_NAME, p, n};
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(privacy_erase(T.s, w, &K, ck, &o, NOW, &A, &act, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    return act;
}

static struct destruction_act act_get(const char *id)
{
    struct store_conn *rd;
    struct destruction_act x;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_act_get(rd, id, &A, &x, NULL), KT_OK);
    store_read_end(rd);
    return x;
}

static void an_act_lists_what_the_customer_had_and_who_destroyed(void **state)
{
    (void)state;
    settings("ООО «Ромашка»", "Москва", NULL);
    const struct act_person p[] = {{"Иванова Мария Петровна", "DPO"}};
    struct destruction_act act = erase(customer(PHONE), p, 1);
    assert_non_null(act.document);
    assert_non_null(strstr(act.categories, "\"profile.phone\""));
    assert_non_null(strstr(act.categories, "\"profile.first_name\""));
    assert_non_null(strstr(act.categories, "\"identifiers.phone\""));
    assert_null(strstr(act.categories, "profile.email"));     /* never had one */
    assert_null(strstr(act.categories, "events.properties")); /* nor events */
    assert_string_equal(act.destroyed_by, "[{\"name\":\"Иванова Мария Петровна\",\"position\":"
                                          "\"DPO\"}]");
    struct destruction_act x = act_get(act.id);
    assert_string_equal(x.document, act.document);
    assert_string_equal(x.document_sha256, act.document_sha256);
    assert_string_equal(x.method, "secure_delete_wal_key_shred"); /* its data key destroyed */
    assert_non_null(strstr(x.categories, "\"data_key\""));
    /* Canonical: keys sorted, no spaces; nothing of the person in it. */
    assert_true(strncmp(x.document, "{\"at\":\"2026-11-18T11:06:40.000Z\",\"categories\":", 46) ==
                0);
    assert_null(strstr(x.document, "79161234567"));
    assert_null(strstr(x.document, "Вера"));
    assert_null(strstr(x.document, ": "));
}

static void a_draft_waits_for_the_settings_and_is_completed_once(void **state)
{
    (void)state;
    struct destruction_act act = erase(customer(PHONE), NULL, 0);
    assert_null(act.document);
    assert_null(act.data_operator);
    struct privacy_settings ps;
    memset(&ps, 0, sizeof(ps));
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(privacy_act_ready(&act, &ps, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "operator_unknown");
    assert_string_equal(err.field, "data_operator.name");
    settings("ООО «Ромашка»", "Москва", NULL); /* still nobody named */
    assert_null(act_get(act.id).document);
    settings("ООО «Ромашка»", "Москва", "Петров Пётр Петрович");
    struct destruction_act x = act_get(act.id);
    assert_non_null(x.document);
    assert_int_equal(x.completed_at, NOW + 5);
    assert_non_null(strstr(x.destroyed_by, "Петров Пётр Петрович"));
    /* A later change of the settings does not touch it. */
    settings("ООО «Другая»", "Тверь", "Сидоров");
    assert_string_equal(act_get(act.id).document, x.document);
}

static void the_term_is_three_calendar_years(void **state)
{
    (void)state;
    int64_t t;
    assert_true(time_parse_rfc3339("2026-11-18T11:06:40Z", 20, &t));
    int64_t want;
    assert_true(time_parse_rfc3339("2029-11-18T11:06:40Z", 20, &want));
    assert_int_equal(privacy_act_expiry(t), want);
    assert_true(time_parse_rfc3339("2028-02-29T23:00:00Z", 20, &t)); /* a leap day */
    assert_true(time_parse_rfc3339("2031-03-01T23:00:00Z", 20, &want));
    assert_int_equal(privacy_act_expiry(t), want);
    assert_true(time_parse_rfc3339("2027-06-01T00:00:00Z", 20, &t)); /* over 29 Feb 2028 */
    assert_true(time_parse_rfc3339("2030-06-01T00:00:00Z", 20, &want));
    assert_int_equal(privacy_act_expiry(t), want);
}

static void an_act_is_purged_only_after_its_term(void **state)
{
    (void)state;
    settings("ООО «Ромашка»", "Москва", "Петров");
    struct destruction_act act = erase(customer(PHONE), NULL, 0);
    int64_t n = -1;
    assert_int_equal(privacy_acts_purge(T.s, act.expires_at - 1, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    /* Nothing but the purge deletes it: not a delete, nor a purge before the term. */
    struct store_conn *w;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_not_equal(store_act_purge(w, act.id, act.expires_at - 1, &err), KT_OK);
    store_write_rollback(w);
    assert_int_equal(privacy_acts_purge(T.s, act.expires_at, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    struct store_conn *rd;
    struct destruction_act x;
    kt_err_reset(&err);
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_act_get(rd, act.id, &A, &x, &err), KT_ENOTFOUND);
    struct audit_filter f = {NULL, NULL, "act_purge", 0, 0, 0, 10};
    struct audit_page pg;
    assert_int_equal(audit_list(T.s, rd, &f, 0, 0, &A, &pg, NULL), KT_OK);
    store_read_end(rd);
    assert_int_equal(pg.n, 1);
    assert_string_equal(pg.items[0].customer_id, act.customer_id);
}

static void inn_and_ogrn_check_digits(void **state)
{
    (void)state;
    assert_true(privacy_inn_valid("7707083893")); /* an organisation */
    assert_false(privacy_inn_valid("7707083894"));
    assert_true(privacy_inn_valid("500100732259")); /* an individual */
    assert_false(privacy_inn_valid("500100732258"));
    assert_false(privacy_inn_valid("77070838"));
    assert_false(privacy_inn_valid("77070838a3"));
    assert_true(privacy_ogrn_valid("1027700132195")); /* OGRN */
    assert_false(privacy_ogrn_valid("1027700132194"));
    assert_true(privacy_ogrn_valid("304500116000157")); /* OGRNIP */
    assert_false(privacy_ogrn_valid("304500116000158"));
    assert_false(privacy_ogrn_valid(""));
}

static void a_signature_must_be_a_cms_of_the_document(void **state)
{
    (void)state;
    settings("ООО «Ромашка»", "Москва", "Петров");
    struct destruction_act act = erase(customer(PHONE), NULL, 0), out;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(privacy_act_sign(T.s, act.id, "garbage", 7, NULL, NOW, &A, &out, &err),
                     KT_EINVAL);
    assert_string_equal(err.code, "invalid_signature");
    kt_err_reset(&err);
    assert_int_equal(
        privacy_act_sign(T.s, "a_00000000000000000000", "x", 1, NULL, NOW, &A, &out, &err),
        KT_ENOTFOUND);
    assert_int_equal(act_get(act.id).signed_at, 0);
}

int main(void)
{
    audit_key_init(&K); /* the audit log's entries are chained with it */
#define S_(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        S_(an_act_lists_what_the_customer_had_and_who_destroyed),
        S_(a_draft_waits_for_the_settings_and_is_completed_once),
        cmocka_unit_test(the_term_is_three_calendar_years),
        S_(an_act_is_purged_only_after_its_term),
        cmocka_unit_test(inn_and_ogrn_check_digits),
        S_(a_signature_must_be_a_cms_of_the_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
