/*
 * identity_test.c - identify-and-upsert, survivorship, conflicts, patch and merge, on a real
 * SQLite store.
 */
#include <stdio.h>

#include "helpers.h"

#include "base/clock.h"
#include "identity/identity.h"

static struct upsert_req req(const char *channel, int64_t observed_at)
{
    struct upsert_req r;
    memset(&r, 0, sizeof(r));
    r.src.channel = channel;
    r.src.observed_at = observed_at;
    r.src.request_id = "test";
    return r;
}

static void add_ident(struct upsert_req *r, const char *kind, const char *value)
{
    struct ident *ids = arena_alloc(&A, sizeof(*ids) * (r->n_idents + 1));
    if (r->n_idents) {
        memcpy(ids, r->idents, sizeof(*ids) * r->n_idents);
    }
    memset(&ids[r->n_idents], 0, sizeof(*ids));
    ids[r->n_idents].kind = kind;
    ids[r->n_idents].value = value;
    r->idents = ids;
    r->n_idents++;
}

/* Runs one upsert in its own transaction and expects success. */
static struct upsert_result upsert(const struct upsert_req *r, int64_t now)
{
    struct store_conn *w;
    struct upsert_result res;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    enum kt_rc rc = ident_upsert(w, r, now, &A, &res, &err);
    if (rc != KT_OK) {
        fail_msg("upsert failed: %s %s", err.code, err.detail);
    }
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    return res;
}

static bool has_warning(const struct upsert_result *res, const char *code, const char *field)
{
    for (size_t i = 0; i < res->n_warnings; i++) {
        if (strcmp(res->warnings[i].code, code) == 0 &&
            strcmp(res->warnings[i].field, field) == 0) {
            return true;
        }
    }
    return false;
}

static void creates_then_finds_by_any_identifier(void **state)
{
    struct upsert_req r = req("pos", 1000);
    r.val[PF_PHONE] = "+79161234567";
    r.val[PF_FIRST_NAME] = "Анна";
    add_ident(&r, "card", "2000000000015");
    struct upsert_result a = upsert(&r, 1000);
    assert_true(a.created);

    struct upsert_req r2 = req("web", 2000);
    add_ident(&r2, "card", "2000000000015");
    add_ident(&r2, "cookie", "ck-1");
    r2.val[PF_EMAIL] = "anna@example.com";
    struct upsert_result b = upsert(&r2, 2000);
    assert_false(b.created);
    assert_string_equal(a.cust.id, b.cust.id);
    assert_string_equal(b.cust.val[PF_FIRST_NAME], "Анна");
    assert_string_equal(b.cust.val[PF_EMAIL], "anna@example.com");

    struct upsert_req r3 = req("app", 3000);
    add_ident(&r3, "cookie", "ck-1"); /* the cookie attached above now finds her */
    struct upsert_result c = upsert(&r3, 3000);
    assert_false(c.created);
    assert_string_equal(a.cust.id, c.cust.id);
    assert_int_equal(c.n_conflicts, 0);
}

static void no_identifier_is_refused(void **state)
{
    struct upsert_req r = req("pos", 1000);
    r.val[PF_FIRST_NAME] = "Анна";
    struct store_conn *w;
    struct upsert_result res;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(ident_upsert(w, &r, 1000, &A, &res, &err), KT_EINVAL);
    assert_string_equal(err.code, "no_identifier");
    store_write_rollback(w);
}

static void verified_value_survives_unverified_change(void **state)
{
    struct upsert_req r = req("pos", 1000);
    r.val[PF_PHONE] = "+79161234567";
    r.val[PF_LAST_NAME] = "Иванова";
    r.verify = 1u << PF_LAST_NAME;
    upsert(&r, 1000);

    struct upsert_req r2 = req("web", 2000);
    r2.val[PF_PHONE] = "+79161234567";
    r2.val[PF_LAST_NAME] = "Петрова";
    struct upsert_result b = upsert(&r2, 2000);
    assert_string_equal(b.cust.val[PF_LAST_NAME], "Иванова");
    assert_true(has_warning(&b, "kept_verified", "profile.last_name"));

    struct upsert_req r3 = req("pos", 3000); /* a verified change does replace it */
    r3.val[PF_PHONE] = "+79161234567";
    r3.val[PF_LAST_NAME] = "Петрова";
    r3.verify = 1u << PF_LAST_NAME;
    struct upsert_result c = upsert(&r3, 3000);
    assert_string_equal(c.cust.val[PF_LAST_NAME], "Петрова");
    assert_int_equal(c.n_warnings, 0);
}

static void newest_observation_wins(void **state)
{
    struct upsert_req r = req("pos", 5000);
    r.val[PF_PHONE] = "+79161234567";
    r.val[PF_CITY] = "Казань";
    upsert(&r, 5000);

    struct upsert_req old = req("paper", 1000); /* a paper form typed in late */
    old.val[PF_PHONE] = "+79161234567";
    old.val[PF_CITY] = "Москва";
    old.val[PF_FIRST_NAME] = "Анна";
    struct upsert_result b = upsert(&old, 6000);
    assert_string_equal(b.cust.val[PF_CITY], "Казань");
    assert_string_equal(b.cust.val[PF_FIRST_NAME], "Анна"); /* nothing newer: it fills the gap */
    assert_true(has_warning(&b, "kept_newer", "profile.city"));

    struct upsert_req nw = req("web", 7000);
    nw.val[PF_PHONE] = "+79161234567";
    nw.val[PF_CITY] = "Москва";
    struct upsert_result c = upsert(&nw, 7000);
    assert_string_equal(c.cust.val[PF_CITY], "Москва");
}

static void two_customers_give_a_conflict_not_a_merge(void **state)
{
    struct upsert_req a = req("pos", 1000);
    a.val[PF_PHONE] = "+79161111111";
    struct upsert_result ra = upsert(&a, 1000);
    struct upsert_req b = req("web", 1000);
    b.val[PF_EMAIL] = "b@example.com";
    struct upsert_result rb = upsert(&b, 1000);

    struct upsert_req both = req("app", 2000); /* card + phone of A, e-mail of B */
    both.val[PF_PHONE] = "+79161111111";
    both.val[PF_EMAIL] = "b@example.com";
    both.val[PF_FIRST_NAME] = "Вера";
    add_ident(&both, "card", "CARD-77");
    struct upsert_result r = upsert(&both, 2000);
    assert_string_equal(r.cust.id, ra.cust.id); /* phone is stronger than e-mail */
    assert_int_equal(r.n_conflicts, 1);
    assert_string_equal(r.conflicts[0].customer_id, rb.cust.id);
    assert_string_equal(r.conflicts[0].identifier, "email");
    assert_null(r.cust.val[PF_EMAIL]); /* B's e-mail is not copied into A */
    assert_string_equal(r.cust.val[PF_FIRST_NAME], "Вера");

    struct store_conn *rd;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    int64_t open = 0;
    assert_int_equal(store_merge_candidate_count(rd, r.cust.ck, &open, NULL), KT_OK);
    assert_true(open == 1);
    struct ident found;
    assert_int_equal(store_ident_find(rd, "card", "CARD-77", &A, &found, NULL, NULL), KT_OK);
    assert_true(found.ck == ra.cust.ck); /* the new card went to the best match */
    store_read_end(rd);
}

static void profile_paths_follow_field_names(void **state)
{
    (void)state;
    for (int f = 0; f < PF_COUNT; f++) {
        char want[64];
        snprintf(want, sizeof(want), "profile.%s", pf_names[f]);
        assert_string_equal(ident_profile_paths[f], want);
    }
}

static void history_records_each_change(void **state)
{
    struct upsert_req r = req("pos", 1000);
    r.src.store_id = "S-1";
    r.src.operator_id = "op-7";
    r.val[PF_PHONE] = "+79161234567";
    r.val[PF_CITY] = "Казань";
    r.val[PF_ADDRESS] = "ул. \"Мира\", 5\\2\t"; /* quotes, a backslash, a control character */
    struct upsert_result a = upsert(&r, 1000);
    struct upsert_req r2 = req("web", 2000);
    r2.val[PF_PHONE] = "+79161234567";
    r2.val[PF_CITY] = "Москва";
    upsert(&r2, 2000);

    struct store_conn *rd;
    struct history_entry *hs;
    size_t n;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_history_list(rd, a.cust.ck, 0, 100, &A, &hs, &n, NULL), KT_OK);
    store_read_end(rd);
    /* one "create" entry with every first value, then the change of city */
    assert_int_equal(n, 2);
    assert_string_equal(hs[0].action, "create");
    assert_string_equal(hs[0].store_id, "S-1");
    assert_string_equal(hs[0].operator_id, "op-7");
    json_t *first = json_loads(hs[0].new_value, 0, NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "profile"), "city")), "Казань");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "profile"), "address")),
        "ул. \"Мира\", 5\\2\t");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(first, "identifiers"), "phone"), 0)),
                        "+79161234567");
    json_decref(first);
    assert_string_equal(hs[1].field, "profile.city");
    assert_string_equal(hs[1].old_value, "Казань");
    assert_string_equal(hs[1].new_value, "Москва");
    assert_string_equal(hs[1].channel, "web");
}

static void patch_refuses_anothers_identifier(void **state)
{
    struct upsert_req a = req("pos", 1000);
    a.val[PF_PHONE] = "+79161111111";
    struct upsert_result ra = upsert(&a, 1000);
    struct upsert_req b = req("pos", 1000);
    b.val[PF_PHONE] = "+79162222222";
    upsert(&b, 1000);

    struct upsert_req p = req("call_center", 2000);
    p.val[PF_PHONE] = "+79162222222";
    struct store_conn *w;
    struct upsert_result res;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(ident_patch(w, ra.cust.id, &p, 2000, &A, &res, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "identifier_conflict");
    assert_string_equal(err.field, "profile.phone");
    store_write_rollback(w);
}

static void merge_combines_by_survivorship(void **state)
{
    struct upsert_req a = req("pos", 1000);
    a.val[PF_PHONE] = "+79161111111";
    a.val[PF_CITY] = "Казань";
    a.val[PF_FIRST_NAME] = "Анна";
    struct upsert_result ra = upsert(&a, 1000);
    struct upsert_req b = req("web", 3000);
    b.val[PF_EMAIL] = "anna@example.com";
    b.val[PF_CITY] = "Москва"; /* newer */
    b.val[PF_FIRST_NAME] = "Аня";
    b.val[PF_BIRTH_DATE] = "1990-01-02";
    b.verify = 0;
    struct upsert_result rb = upsert(&b, 3000);

    struct ident_source src = {"admin", NULL, "dpo", 4000, "rid"};
    struct store_conn *w;
    struct customer out;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(ident_merge(w, ra.cust.id, ra.cust.id, &src, 4000, &A, &out, &err), KT_EINVAL);
    assert_string_equal(err.code, "merge_self");
    kt_err_reset(&err);
    assert_int_equal(ident_merge(w, ra.cust.id, rb.cust.id, &src, 4000, &A, &out, &err), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    assert_string_equal(out.id, ra.cust.id);
    assert_string_equal(out.val[PF_CITY], "Москва");
    assert_string_equal(out.val[PF_FIRST_NAME], "Аня");
    assert_string_equal(out.val[PF_BIRTH_DATE], "1990-01-02");
    assert_string_equal(out.val[PF_PHONE], "+79161111111");
    assert_true(out.created_at == 1000);

    /* the e-mail now finds the survivor; the old id answers with it */
    struct upsert_req r = req("web", 5000);
    r.val[PF_EMAIL] = "anna@example.com";
    struct upsert_result rr = upsert(&r, 5000);
    assert_string_equal(rr.cust.id, ra.cust.id);
    struct store_conn *rd;
    struct customer got;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_customer_get_by_id(rd, rb.cust.id, &A, &got, NULL, NULL), KT_OK);
    assert_string_equal(got.id, ra.cust.id);
    store_read_end(rd);
    /* merging the old id again is merging a customer into itself */
    kt_err_reset(&err);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(ident_merge(w, ra.cust.id, rb.cust.id, &src, 6000, &A, &out, &err), KT_EINVAL);
    store_write_rollback(w);
}

static void attributes_follow_newest_and_clear(void **state)
{
    struct upsert_req r = req("tablet", 1000);
    r.val[PF_PHONE] = "+79161234567";
    r.attrs = json_pack("{s:[s], s:s}", "pets", "cat", "car_make", "Lada");
    struct upsert_result a = upsert(&r, 1000);
    json_decref(r.attrs);
    assert_string_equal(a.cust.attrs, "{\"car_make\":\"Lada\",\"pets\":[\"cat\"]}");

    struct upsert_req old = req("paper", 500);
    old.val[PF_PHONE] = "+79161234567";
    old.attrs = json_pack("{s:[s]}", "pets", "dog");
    struct upsert_result b = upsert(&old, 2000);
    json_decref(old.attrs);
    assert_true(has_warning(&b, "kept_newer", "attributes.pets"));

    struct upsert_req p = req("pos", 3000);
    p.attrs = json_pack("{s:n}", "car_make");
    struct store_conn *w;
    struct upsert_result res;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(ident_patch(w, a.cust.id, &p, 3000, &A, &res, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    json_decref(p.attrs);
    assert_string_equal(res.cust.attrs, "{\"pets\":[\"cat\"]}");
}

/* The one erased check: the same code, status and field wherever it is raised, the caller's
 * hint after the fact. */
static void an_erased_customer_takes_no_data(void **state)
{
    (void)state;
    struct customer live = {.id = "c_1", .erased_at = 0}, gone = {.id = "c_2", .erased_at = 7};
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(ident_live(&live, "id", NULL, &err), KT_OK);
    assert_int_equal(err.rc, KT_OK);
    assert_int_equal(ident_live(&gone, "customer", "post it without them", &err), KT_EGONE);
    assert_string_equal(err.code, "customer_erased");
    assert_string_equal(err.field, "customer");
    assert_string_equal(err.msg, "the customer was erased; post it without them");
    kt_err_reset(&err);
    assert_int_equal(ident_live(&gone, "id", NULL, &err), KT_EGONE);
    assert_string_equal(err.msg, "the customer was erased");
}

/* A block lets no upsert, patch or merge through, refused before anything is written; the DPO's
 * rectification is the one change it takes. */
static void a_blocked_customer_takes_no_data_but_the_rectification(void **state)
{
    struct upsert_req a = req("pos", 1000), o = req("pos", 1000);
    a.val[PF_PHONE] = "+79162222222";
    o.val[PF_PHONE] = "+79163333333";
    struct upsert_result ra = upsert(&a, 1000), ro = upsert(&o, 1000);
    struct customer_block b = {.ck = ra.cust.ck,
                               .customer_id = ra.cust.id,
                               .reason = "accuracy_disputed",
                               .privacy_request_id = "r_x",
                               .blocked_at = 1500};
    kt_strlcpy(b.id, "b_0000000000000000000a", sizeof(b.id));
    struct store_conn *w;
    struct upsert_result res;
    struct customer out;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_block_insert(w, &b, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);

    a.val[PF_CITY] = "Тверь";
    a.src.observed_at = 2000;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(ident_upsert(w, &a, 2000, &A, &res, &err), KT_ELOCKED);
    assert_string_equal(err.code, "customer_blocked");
    kt_err_reset(&err);
    assert_int_equal(ident_patch(w, ra.cust.id, &a, 2000, &A, &res, &err), KT_ELOCKED);
    assert_string_equal(err.field, "id");
    kt_err_reset(&err);
    struct ident_source src = {"admin", NULL, "dpo", 2000, "rid"};
    assert_int_equal(ident_merge(w, ro.cust.id, ra.cust.id, &src, 2000, &A, &out, &err),
                     KT_ELOCKED);
    assert_string_equal(err.field, "from");
    kt_err_reset(&err);
    assert_int_equal(ident_merge(w, ra.cust.id, ro.cust.id, &src, 2000, &A, &out, &err),
                     KT_ELOCKED);
    assert_string_equal(err.field, "id");
    store_write_rollback(w);

    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    a.rectification = true;
    assert_int_equal(ident_patch(w, ra.cust.id, &a, 2000, &A, &res, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    assert_string_equal(res.cust.val[PF_CITY], "Тверь");
    assert_int_equal(upsert(&o, 3000).cust.ck, ro.cust.ck); /* the neighbour goes on */
}

int main(void)
{
#define T_(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        T_(creates_then_finds_by_any_identifier),
        T_(no_identifier_is_refused),
        T_(verified_value_survives_unverified_change),
        T_(newest_observation_wins),
        T_(a_blocked_customer_takes_no_data_but_the_rectification),
        T_(two_customers_give_a_conflict_not_a_merge),
        T_(history_records_each_change),
        T_(patch_refuses_anothers_identifier),
        T_(merge_combines_by_survivorship),
        T_(attributes_follow_newest_and_clear),
        cmocka_unit_test(profile_paths_follow_field_names),
        cmocka_unit_test(an_erased_customer_takes_no_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
