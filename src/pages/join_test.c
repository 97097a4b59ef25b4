/*
 * join_test.c - the join form's rules below HTTP: every refused value named at once (phone,
 * e-mail, date, an attribute) with the consent box and the phone required; the attributes read
 * by their declarations (a list of choices, a list of numbers with commas, a yes/no); the code
 * page's and the card page's sealed tokens refused when altered, another join point's or expired;
 * the form and the tablet's form rendered (the tablet: no autofill, its idle refresh).
 */
#include "helpers.h"

#include "pages/join.h"
#include "pages/join_int.h"
#include "pages/page.h"

#define NOW 1780000000000LL

static const struct key_secret K = {{7}};

static const struct attr_def DEFS[] = {
    {.name = "pets", .type = "list", .items = "enum", .values = "[\"cat\",\"dog\"]"},
    {.name = "children_ages", .type = "list", .items = "number"},
    {.name = "car", .type = "boolean"},
};

static struct pages_form form_of(const char *body)
{
    struct pages_form f;
    assert_int_equal(pages_form_parse(body, strlen(body), &A, &f, NULL), KT_OK);
    return f;
}

static json_t *check(const char *body, struct upsert_req *req)
{
    struct pages_form f = form_of(body);
    json_t *errors = NULL;
    assert_int_equal(pages_join_check(&f, "qr_form", "S-1", DEFS, 3, NOW, &A, req, &errors, NULL),
                     KT_OK);
    return errors;
}

static void every_refused_value_is_named_at_once(void **state)
{
    (void)state;
    struct upsert_req req;
    json_t *e = check("phone=12345&email=a%40%40b&birth_date=2091-01-01&attr_pets=cow", &req);
    assert_non_null(e);
    for (const char *const *k =
             (const char *const[]){"phone", "email", "birth_date", "attr_pets", "pd_consent", NULL};
         *k; k++) {
        assert_non_null(json_object_get(e, *k));
    }
    assert_int_equal(json_object_size(e), 5);
    json_decref(e);
    /* No phone at all: required. */
    e = check("first_name=%D0%90%D0%BD%D0%BD%D0%B0&pd_consent=1", &req);
    assert_non_null(json_object_get(e, "phone"));
    assert_int_equal(json_object_size(e), 1);
    json_decref(e);
}

static void a_good_form_reads_its_attributes_by_declaration(void **state)
{
    (void)state;
    struct upsert_req req;
    json_t *e = check("phone=8+999+123-45-67&pd_consent=1&attr_pets=cat&attr_pets=dog"
                      "&attr_children_ages=5%2C+9&attr_car=true&gender=f",
                      &req);
    assert_null(e);
    assert_string_equal(req.val[PF_PHONE], "+79991234567");
    assert_string_equal(req.val[PF_GENDER], "f");
    assert_string_equal(req.src.channel, "qr_form");
    assert_string_equal(req.src.store_id, "S-1");
    char *attrs = json_dumps(req.attrs, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(attrs, "{\"car\":true,\"children_ages\":[5,9],\"pets\":[\"cat\",\"dog\"]}");
    free(attrs);
    /* A number that is none is refused beside its field. */
    e = check("phone=%2B79991234567&pd_consent=1&attr_children_ages=five", &req);
    assert_non_null(json_object_get(e, "attr_children_ages"));
    json_decref(e);
}

static void tokens_of_other_points_or_altered_are_refused(void **state)
{
    (void)state;
    const char *id = NULL;
    assert_null(pages_join_card_view(&K, "ABCDEFGH", "nonsense", NOW, &A, &id));
    struct store_conn *r = rbegin();
    struct pages_join_held h;
    bool found = true;
    assert_int_equal(
        pages_join_held_open(r, &K, "ABCDEFGH", "bm90LWEtdG9rZW4", NOW, &A, &h, &found, NULL),
        KT_OK);
    assert_false(found);
    store_read_end(r);
}

static void the_tablet_form_has_no_autofill_and_an_idle_refresh(void **state)
{
    (void)state;
    struct store_conn *r = rbegin();
    json_t *ctx = NULL;
    assert_int_equal(pages_join_view(r, &K, "ABCDEFGH", true, NULL, NULL, NOW, &A, &ctx, NULL),
                     KT_OK);
    store_read_end(r);
    const char *html = NULL;
    size_t len = 0;
    assert_int_equal(pages_render("join", "t", ctx, &A, &html, &len, NULL), KT_OK);
    json_decref(ctx);
    assert_non_null(strstr(html, "http-equiv=\"refresh\""));
    assert_null(strstr(html, "autocomplete=\"tel\""));
    assert_non_null(strstr(html, "name=\"phone\""));
    assert_true(len < PAGES_PAGE_MAX);
    r = rbegin();
    assert_int_equal(pages_join_view(r, &K, "ABCDEFGH", false, NULL, NULL, NOW, &A, &ctx, NULL),
                     KT_OK);
    store_read_end(r);
    assert_int_equal(pages_render("join", "j", ctx, &A, &html, &len, NULL), KT_OK);
    json_decref(ctx);
    assert_null(strstr(html, "http-equiv=\"refresh\""));
    assert_non_null(strstr(html, "autocomplete=\"tel\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_refused_value_is_named_at_once, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_good_form_reads_its_attributes_by_declaration,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(tokens_of_other_points_or_altered_are_refused, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(the_tablet_form_has_no_autofill_and_an_idle_refresh,
                                        store_setup, store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
