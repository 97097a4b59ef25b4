/*
 * page_test.c - the pages' kit: a form's token spent once (a replay, another form's token, an
 * altered one, an expired one and none are refused, each with its code), and a page rendered in
 * the layout with its values escaped, light enough for a cheap phone; a form's body decoded as
 * browsers encode it, and the bodies a browser never sends refused.
 */
#include "helpers.h"

#include "pages/csrf.h"
#include "pages/form.h"
#include "pages/page.h"

#define NOW 1780000000000LL

static const struct key_secret K = {{5}}, OTHER = {{6}};

static enum kt_rc spend(const struct key_secret *k, const char *form, const char *token,
                        int64_t now, const char **code)
{
    struct store_conn *w = wbegin();
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = pages_csrf_spend(w, k, form, token, now, &err);
    *code = rc == KT_OK ? "" : arena_strdup(&A, err.code);
    wcommit(w);
    return rc;
}

static void a_form_token_is_spent_once(void **state)
{
    (void)state;
    const char *code;
    const char *t = pages_csrf_token(&K, "join", NOW, &A);
    assert_int_equal(spend(&K, "join", t, NOW + 1000, &code), KT_OK);
    assert_int_equal(spend(&K, "join", t, NOW + 2000, &code), KT_EFORBIDDEN);
    assert_string_equal(code, "csrf_replayed");
    /* Another form's token, another installation's, an altered one, none. */
    const char *u = pages_csrf_token(&K, "prefs", NOW, &A);
    assert_int_equal(spend(&K, "join", u, NOW, &code), KT_EFORBIDDEN);
    assert_string_equal(code, "csrf_invalid");
    const char *v = pages_csrf_token(&OTHER, "join", NOW, &A);
    assert_int_equal(spend(&K, "join", v, NOW, &code), KT_EFORBIDDEN);
    assert_string_equal(code, "csrf_invalid");
    char *altered = arena_strdup(&A, pages_csrf_token(&K, "join", NOW, &A));
    altered[10] = altered[10] == 'A' ? 'B' : 'A';
    assert_int_equal(spend(&K, "join", altered, NOW, &code), KT_EFORBIDDEN);
    assert_string_equal(code, "csrf_invalid");
    assert_int_equal(spend(&K, "join", "", NOW, &code), KT_EFORBIDDEN);
    assert_int_equal(spend(&K, "join", NULL, NOW, &code), KT_EFORBIDDEN);
    /* Expired: a form left open longer than its life. */
    const char *old = pages_csrf_token(&K, "join", NOW, &A);
    assert_int_equal(spend(&K, "join", old, NOW + PAGES_FORM_TTL_MS + 1, &code), KT_EFORBIDDEN);
    assert_string_equal(code, "csrf_expired");
    /* Two fresh tokens of one form are two submissions; spent nonces past their life go. */
    assert_int_equal(spend(&K, "prefs", u, NOW, &code), KT_OK);
    assert_int_equal(test_count("SELECT count(*) FROM form_tokens"), 2);
    const char *later = pages_csrf_token(&K, "join", NOW + 3 * PAGES_FORM_TTL_MS, &A);
    assert_int_equal(spend(&K, "join", later, NOW + 3 * PAGES_FORM_TTL_MS, &code), KT_OK);
    assert_int_equal(test_count("SELECT count(*) FROM form_tokens"), 1);
}

static void a_page_is_rendered_in_the_layout(void **state)
{
    (void)state;
    json_t *ctx = json_pack("{s:s, s:s, s:s}", "heading", "Ссылка <устарела>", "text",
                            "Откройте \"страницу\" & попробуйте снова", "back", "/j/ABCD2345");
    const char *html = NULL;
    size_t len = 0;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(pages_render("refused", "Ошибка", ctx, &A, &html, &len, &err), KT_OK);
    json_decref(ctx);
    assert_int_equal(strlen(html), len);
    assert_non_null(strstr(html, "<html lang=\"ru\">"));
    assert_non_null(strstr(html, "<title>Ошибка</title>"));
    assert_non_null(strstr(html, "<link rel=\"stylesheet\" href=\"/p/style.css?v="));
    assert_non_null(strstr(html, "<h1>Ссылка &lt;устарела&gt;</h1>"));
    assert_non_null(strstr(html, "Откройте &quot;страницу&quot; &amp; попробуйте снова"));
    assert_non_null(strstr(html, "<a href=\"/j/ABCD2345\">"));
    assert_null(strstr(html, "<script"));
    struct pages_asset css;
    assert_true(pages_asset(PAGES_STYLE, &A, &css));
    assert_true(len + css.len < 8 * 1024); /* far under 50 KB */
    assert_true(css.len > 100);
    assert_false(pages_asset(PAGES_LOGO, &A, &css)); /* none stored */
    assert_int_equal(pages_render("nothing", "x", NULL, &A, &html, &len, &err), KT_EINTERNAL);
}

static const char *parse(const char *body, struct pages_form *f)
{
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = pages_form_parse(body, strlen(body), &A, f, &err);
    return rc == KT_OK ? NULL : arena_strdup(&A, err.code);
}

static void a_form_body_is_decoded_as_browsers_encode_it(void **state)
{
    (void)state;
    struct pages_form f;
    /* What Chromium sends for first_name=Анна Мария, email=a+b@example.ru, an empty box. */
    assert_null(parse("first_name=%D0%90%D0%BD%D0%BD%D0%B0+%D0%9C%D0%B0%D1%80%D0%B8%D1%8F&"
                      "email=a%2Bb%40example.ru&website=&&agree",
                      &f));
    assert_int_equal(f.n, 4);
    assert_string_equal(pages_form_get(&f, "first_name"), "Анна Мария");
    assert_string_equal(pages_form_get(&f, "email"), "a+b@example.ru");
    assert_string_equal(pages_form_get(&f, "website"), "");
    assert_string_equal(pages_form_get(&f, "agree"), "");
    assert_null(pages_form_get(&f, "phone"));
    assert_null(parse("", &f));
    assert_int_equal(f.n, 0);
    /* What no browser sends: refused whole. */
    const char *bad[] = {"a=%", "a=%4", "a=%G1", "a=%00", "a=%D0", "%ZZ=1", "a=%FF%FE"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *code = parse(bad[i], &f);
        assert_non_null(code);
        assert_string_equal(code, "bad_form");
    }
    struct buf many;
    buf_init(&many, 1024);
    for (int i = 0; i <= PAGES_FORM_FIELDS_MAX; i++) {
        buf_printf(&many, "f%d=1&", i);
    }
    assert_string_equal(parse(buf_cstr(&many), &f), "bad_form");
    buf_release(&many);
    char *long_value = arena_alloc(&A, PAGES_FORM_VALUE_MAX + 8);
    memcpy(long_value, "a=", 2);
    memset(long_value + 2, 'x', PAGES_FORM_VALUE_MAX + 1);
    long_value[PAGES_FORM_VALUE_MAX + 3] = '\0';
    assert_string_equal(parse(long_value, &f), "bad_form");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_form_token_is_spent_once, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(a_page_is_rendered_in_the_layout, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_form_body_is_decoded_as_browsers_encode_it, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
