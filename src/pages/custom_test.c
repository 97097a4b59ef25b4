/*
 * custom_test.c - the retailer's own pages (pages/custom.h): every built-in page passes the
 * checks a retailer's version must pass; a script, an event handler, another host's asset, a
 * name the page does not hold, a page too heavy, an @import, a false logo are refused with the
 * place; a version is stored once per change and a reset brings the built-in back; the pages
 * render with the current version at once in this process, within PAGES_CHECK_MS of another's
 * write, and fall back to the built-in when a stored one fails with real values.
 */
#include <time.h>

#include "helpers.h"

#include "pages/custom.h"
#include "pages/page.h"

static const char *check(const char *name, const char *body, struct template_pos *pos)
{
    struct kt_err err;
    kt_err_reset(&err);
    *pos = (struct template_pos){-1, -1};
    enum kt_rc rc = pages_check(name, body, strlen(body), NULL, pos, &err);
    if (rc == KT_OK) {
        return NULL;
    }
    assert_string_equal(err.field, "body");
    return arena_strdup(&A, err.code);
}

static void the_built_in_pages_pass_their_own_checks(void **state)
{
    (void)state;
    const char *const *names;
    size_t n = pages_names(&names);
    assert_true(n >= 6);
    struct template_pos pos;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *text = pages_builtin(names[i], &len);
        if (strcmp(names[i], PAGES_LOGO) == 0) {
            assert_null(text);
            continue;
        }
        assert_non_null(text);
        assert_null(check(names[i], text, &pos));
    }
    assert_true(pages_name_known("questionnaire") && pages_name_known(PAGES_STYLE));
    assert_false(pages_name_known("questionnaire.html") || pages_name_known("nothing"));
}

static void what_a_page_may_not_hold_is_refused_with_its_place(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int line, column;
    } unsafe[] = {
        {"<h1>{{heading}}</h1>\n<SCRIPT src=\"/x.js\"></SCRIPT>", 2, 1},
        {"<p>{{text}}</p><iframe src=\"/p/x\"></iframe>", 1, 16},
        {"<p class=\"a\"\n   onmouseover='x()'>{{text}}</p>", 2, 4},
        {"<img alt=\"\" src=\"https://cdn.example/a.png\">", 1, 13},
        {"<img alt=\"\" src= //cdn.example/a.png>", 1, 13},
        {"<img alt=\"\" srcset=\"/a.png 1x, https://cdn.example/a.png 2x\">", 1, 13},
        {"<link rel=\"preload\" href=\"http://cdn.example/f.woff2\">", 1, 21},
        {"<a href=\"javascript:alert(1)\">{{text}}</a>", 1, 4},
        {"<form action=\"https://elsewhere.example/\"><button>Ок</button></form>", 1, 7},
        {"<meta http-equiv=\"refresh\" content=\"0;url=https://x.example\">", 1, 1},
        {"<style>@import \"https://cdn.example/a.css\";</style>", 1, 8},
        {"<p style=\"background:url( 'https://cdn.example/a.png')\">Ф</p>", 1, 22},
        {"<p title=\"unclosed>{{text}}</p>", 1, 10},
        {"<p {{text}}>x</p>", 1, 4},
        {"<p title={{text}}>x</p>", 1, 10},
        {"<{{heading}}>x</p>", 1, 2},
    };
    struct template_pos pos;
    for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
        const char *code = check("refused", unsafe[i].body, &pos);
        assert_non_null(code);
        assert_string_equal(code, "page_unsafe");
        assert_int_equal(pos.line, unsafe[i].line);
        assert_int_equal(pos.column, unsafe[i].column);
    }
    /* What may: a link to the retailer's site, a data: image, this server's paths, text with <. */
    assert_null(check("refused",
                      "<h1>{{heading}}</h1><p>2 < 3 {{text}}</p><!-- <script> -->\n"
                      "<a href=\"https://shop.example/\">Магазин</a>"
                      "<img alt=\"\" src=\"data:image/png;base64,iVBORw0K\">"
                      "<img alt=\"\" src=\"/p/logo\">{{#back}}<a href=\"{{back}}\">x</a>{{/back}}",
                      &pos));
    /* A template that does not compile: the template's own code and place. */
    assert_string_equal(check("refused", "<h1>{{heading}</h1>", &pos), "template_unclosed_tag");
    assert_int_equal(pos.line, 1);
    /* A name the page's values do not hold, at its place. */
    assert_string_equal(check("refused", "<h1>{{heading}}</h1>\n  {{card_number}}", &pos),
                        "page_unknown_variable");
    assert_int_equal(pos.line, 2);
    assert_int_equal(pos.column, 3);
    /* A layout that would show no page. */
    assert_string_equal(check("layout", "<!doctype html><title>{{title}}</title>", &pos),
                        "page_missing_variable");
    /* A layout keeps the tablet's refresh, whose address the server fills, and no other. */
    assert_null(check("layout",
                      "<!doctype html><meta http-equiv=\"refresh\" content=\"{{refresh}}\">"
                      "<title>{{title}}</title>{{{body}}}",
                      &pos));
    assert_string_equal(check("layout",
                              "<!doctype html><meta http-equiv=\"refresh\" content=\"0;url=/\">"
                              "<title>{{title}}</title>{{{body}}}",
                              &pos),
                        "page_unsafe");
    /* The questionnaire's names inside its lists are its own. */
    assert_null(check("questionnaire",
                      "{{#fields}}{{label}}{{#error}}{{error}}{{/error}}{{/fields}}", &pos));
    /* Too heavy with a sample of its values: the page's lists count three items. */
    struct buf heavy;
    buf_init(&heavy, 0);
    buf_printf(&heavy, "{{#fields}}");
    for (int i = 0; i < 700; i++) {
        buf_printf(&heavy, "<p>{{label}}</p>");
    }
    buf_printf(&heavy, "{{/fields}}");
    assert_string_equal(check("questionnaire", buf_cstr(&heavy), &pos), "page_too_large");
    assert_int_equal(pos.line, 0);
    buf_release(&heavy);
}

static void the_stylesheet_and_the_logo_are_checked(void **state)
{
    (void)state;
    struct template_pos pos;
    assert_null(check(PAGES_STYLE, "body { background: url(data:image/png;base64,AA==) }", &pos));
    assert_null(check(PAGES_STYLE, "h1 { background: url(\"/p/logo\") }", &pos));
    assert_string_equal(check(PAGES_STYLE, "a{}\n@IMPORT 'x.css';", &pos), "page_unsafe");
    assert_int_equal(pos.line, 2);
    assert_string_equal(check(PAGES_STYLE, "a { b: url(//cdn.example/f) }", &pos), "page_unsafe");
    assert_string_equal(check(PAGES_STYLE, "a{ color: red; }\xff", &pos), "template_invalid_utf8");
    char *big = arena_alloc(&A, PAGES_STYLE_MAX + 2);
    memset(big, ' ', PAGES_STYLE_MAX + 1);
    big[PAGES_STYLE_MAX + 1] = '\0';
    assert_string_equal(check(PAGES_STYLE, big, &pos), "page_too_large");

    struct kt_err err;
    kt_err_reset(&err);
    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert_int_equal(pages_check(PAGES_LOGO, png, sizeof(png) - 1, "image/png", &pos, &err), KT_OK);
    assert_int_equal(pages_check(PAGES_LOGO, "GIF89a", 6, "image/png", &pos, &err), KT_EINVAL);
    assert_string_equal(err.code, "logo_invalid");
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">"
                              "<circle r=\"4\" fill=\"#c00\"/></svg>";
    kt_err_reset(&err);
    assert_int_equal(pages_check(PAGES_LOGO, svg, strlen(svg), "image/svg+xml", &pos, &err), KT_OK);
    static const char bad_svg[] = "<svg><image href=\"https://x.example/a.png\"/></svg>";
    assert_int_equal(pages_check(PAGES_LOGO, bad_svg, strlen(bad_svg), "image/svg+xml", &pos, &err),
                     KT_EINVAL);
    assert_string_equal(err.code, "page_unsafe");
    kt_err_reset(&err);
    assert_int_equal(pages_check(PAGES_LOGO, svg, strlen(svg), "image/gif", &pos, &err), KT_EMEDIA);
    /* A NUL inside a tag (valid UTF-8, so an SVG may hold one) is passed over, not looped on. */
    static const char nul_svg[] = "<svg \0 onload=\"x()\"></svg>";
    kt_err_reset(&err);
    assert_int_equal(
        pages_check(PAGES_LOGO, nul_svg, sizeof(nul_svg) - 1, "image/svg+xml", &pos, &err),
        KT_EINVAL);
    assert_string_equal(err.code, "page_unsafe");
}

static struct page_version save(const char *name, const char *body, bool *added)
{
    struct page_version v = {0, name, 0, body, body ? strlen(body) : 0, NULL, 1000, "k1"};
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w = wbegin();
    assert_int_equal(pages_save(w, &v, &A, added, &err), KT_OK);
    wcommit(w);
    return v;
}

static const char *render(const char *name, const json_t *ctx)
{
    const char *html = NULL;
    size_t len = 0;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(pages_render(name, "Т", ctx, &A, &html, &len, &err), KT_OK);
    return html;
}

static void versions_are_stored_and_rendered(void **state)
{
    (void)state;
    bool added;
    json_t *ctx = json_pack("{s:s, s:s}", "heading", "Заголовок", "text", "Текст");
    pages_use_store(T.s);
    assert_non_null(strstr(render("refused", ctx), "<h1>Заголовок</h1>"));

    /* The first version, then the same again: one version; a change: the next. */
    struct page_version v = save("refused", "<h2 class=\"x\">{{heading}}</h2>", &added);
    assert_true(added);
    assert_int_equal(v.version, 1);
    v = save("refused", "<h2 class=\"x\">{{heading}}</h2>", &added);
    assert_false(added);
    assert_int_equal(v.version, 1);
    pages_changed();
    assert_non_null(strstr(render("refused", ctx), "<h2 class=\"x\">Заголовок</h2>"));

    /* Another server's write (no pages_changed here): seen within PAGES_CHECK_MS. */
    v = save("refused", "<h3>{{heading}}</h3>", &added);
    assert_int_equal(v.version, 2);
    struct timespec ts = {PAGES_CHECK_MS / 1000, (PAGES_CHECK_MS % 1000) * 1000000L + 50000000L};
    nanosleep(&ts, NULL);
    assert_non_null(strstr(render("refused", ctx), "<h3>Заголовок</h3>"));

    /* The stylesheet: its tag in the page's address changes with it. */
    struct pages_asset css;
    assert_true(pages_asset(PAGES_STYLE, &A, &css));
    const char *before = css.etag;
    save(PAGES_STYLE, ".brand { color: #8a1c1c; }", &added);
    pages_changed();
    assert_true(pages_asset(PAGES_STYLE, &A, &css));
    assert_string_equal(css.data, ".brand { color: #8a1c1c; }");
    assert_string_not_equal(css.etag, before);
    char link[64];
    kt_snprintf(link, sizeof(link), "/p/style.css?v=%.16s\"", css.etag + 1);
    assert_non_null(strstr(render("refused", ctx), link));

    /* A version too heavy with the real values: the built-in is served. */
    struct buf heavy;
    buf_init(&heavy, 0);
    for (int i = 0; i < 600; i++) {
        buf_printf(&heavy, "<p>{{text}}</p>");
    }
    save("refused", buf_cstr(&heavy), &added);
    buf_release(&heavy);
    pages_changed();
    json_t *big = json_pack("{s:s, s:s}", "heading", "Заголовок", "text",
                            "длинный текст длинный текст длинный текст длинный текст длинный");
    assert_non_null(strstr(render("refused", big), "<h1>Заголовок</h1>"));
    json_decref(big);

    /* A reset: the built-in again, a version of its own; a second reset adds nothing. */
    v = save("refused", NULL, &added);
    assert_true(added);
    assert_int_equal(v.version, 4);
    v = save("refused", NULL, &added);
    assert_false(added);
    assert_int_equal(v.version, 4);
    pages_changed();
    assert_non_null(strstr(render("refused", ctx), "<h1>Заголовок</h1>"));

    /* The list: the latest of each name; the store's seq moved with every version. */
    struct store_conn *rd = rbegin();
    struct page_version *list;
    size_t n;
    int64_t seq = 0;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_page_list(rd, &A, &list, &n, &err), KT_OK);
    assert_int_equal(store_page_seq(rd, &seq, &err), KT_OK);
    store_read_end(rd);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "refused");
    assert_null(list[0].body);
    assert_string_equal(list[1].name, PAGES_STYLE);
    assert_int_equal(seq, 5);
    json_decref(ctx);
    pages_use_store(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_built_in_pages_pass_their_own_checks, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(what_a_page_may_not_hold_is_refused_with_its_place,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(the_stylesheet_and_the_logo_are_checked, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(versions_are_stored_and_rendered, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
