/*
 * template_test.c - the template language: the Mustache behaviours we keep (cases written from
 * the spec's interpolation, sections, inverted and comments), the filters with Russian examples,
 * escaping, errors with their line and column, the limits, and the list of variables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "template/template.h"

#define NB "\xC2\xA0" /* the no-break space of money and plural */

/* Renders `text` against the JSON `ctx`; the result is malloc'd. */
static char *render_kind(enum template_kind kind, const char *text, const char *ctx,
                         struct template_warnings *w)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct template *t;
    if (template_compile(text, strlen(text), kind, &t, NULL, &err) != KT_OK) {
        fail_msg("'%s' does not compile: %s %s", text, err.code, err.msg);
    }
    json_error_t je;
    json_t *j = json_loads(ctx, JSON_DECODE_ANY, &je);
    assert_non_null(j);
    struct buf out;
    buf_init(&out, BUF_MAX_DEFAULT);
    assert_int_equal(template_render(t, j, &out, w, &err), KT_OK);
    json_decref(j);
    template_free(t);
    return buf_take(&out);
}

static void check_kind(enum template_kind kind, const char *text, const char *ctx, const char *want)
{
    char *got = render_kind(kind, text, ctx, NULL);
    if (strcmp(got, want) != 0) {
        fail_msg("'%s' with %s: got '%s', want '%s'", text, ctx, got, want);
    }
    free(got);
}

static void check_html(const char *text, const char *ctx, const char *want)
{
    check_kind(TEMPLATE_HTML, text, ctx, want);
}

static void check_text(const char *text, const char *ctx, const char *want)
{
    check_kind(TEMPLATE_TEXT, text, ctx, want);
}

/* Compiling `text` fails with `code` at `line`:`column`. */
static void check_error(const char *text, const char *code, int line, int column)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct template *t = (struct template *)&err; /* must be set to NULL */
    struct template_pos pos;
    assert_int_equal(template_compile(text, strlen(text), TEMPLATE_HTML, &t, &pos, &err),
                     KT_EINVAL);
    assert_null(t);
    if (strcmp(err.code, code) != 0 || pos.line != line || pos.column != column) {
        fail_msg("'%s': got %s at %d:%d (%s), want %s at %d:%d", text, err.code, pos.line,
                 pos.column, err.msg, code, line, column);
    }
    char where[48];
    kt_snprintf(where, sizeof(where), "line %d, column %d: ", line, column);
    assert_true(strncmp(err.msg, where, strlen(where)) == 0);
}

static void test_interpolation(void **state)
{
    (void)state;
    check_html("Привет, {Mustache}!\n", "{}", "Привет, {Mustache}!\n");
    check_html("Здравствуйте, {{name}}!\n", "{\"name\": \"Анна\"}", "Здравствуйте, Анна!\n");
    check_html("{{tpl}}: {{city}}", "{\"tpl\": \"{{city}}\", \"city\": \"Омск\"}",
               "{{city}}: Омск");
    check_html("{{n}} шт.", "{\"n\": 85}", "85 шт.");
    check_html("{{{n}}}/{{&n}}", "{\"n\": 85}", "85/85");
    check_html("{{k}} кг", "{\"k\": 1.21}", "1.21 кг");
    check_html("({{none}})({{{none}}})({{&none}})", "{\"none\": null}", "()()()");
    check_html("({{gone}})({{{gone}}})({{&gone}})", "{}", "()()()");
    check_html("{{store.city}} = {{#store}}{{city}}{{/store}}", "{\"store\": {\"city\": \"Тула\"}}",
               "Тула = Тула");
    check_html("{{a.b.c.d.e.name}}", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Пётр\"}}}}}}",
               "Пётр");
    check_html("[{{a.b.c}}]", "{\"a\": {}}", "[]");
    /* a broken chain does not fall back to an outer context */
    check_html("[{{a.b.c.name}}]", "{\"a\": {\"b\": {}}, \"c\": {\"name\": \"нет\"}}", "[]");
    check_html("{{#a}}{{b.c.name}}{{/a}}",
               "{\"a\": {\"b\": {\"c\": {\"name\": \"да\"}}}, \"b\": {\"c\": {\"name\": \"нет\"}}}",
               "да");
    check_html("[{{#a}}{{b.c}}{{/a}}]", "{\"a\": {\"b\": {}}, \"b\": {\"c\": \"нет\"}}", "[]");
    check_html("[{{a.b}}]", "{\"a.b\": \"нет\"}", "[]");
    check_html("{{a.b}}", "{\"a.b\": \"нет\", \"a\": {\"b\": \"да\"}}", "да");
    check_html("Привет, {{.}}!", "\"мир\"", "Привет, мир!");
    check_html("{{.}} км", "85", "85 км");
    check_html("| {{s}} |", "{\"s\": \"---\"}", "| --- |");
    check_html("  {{s}}\n", "{\"s\": \"---\"}", "  ---\n"); /* a variable never stands alone */
    check_html("|{{ s }}|{{{ s }}}|{{& s }}|", "{\"s\": \"---\"}", "|---|---|---|");
    check_html("{{t}}/{{f}}", "{\"t\": true, \"f\": false}", "true/false");
}

static void test_escaping(void **state)
{
    (void)state;
    const char *ctx = "{\"x\": \"& \\\" < > '\"}";
    check_html("{{x}}", ctx, "&amp; &quot; &lt; &gt; &#39;");
    check_html("{{{x}}}", ctx, "& \" < > '");
    check_html("{{& x}}", ctx, "& \" < > '");
    check_html("{{.}}", "\"<b>\"", "&lt;b&gt;");
    check_text("{{x}}", ctx, "& \" < > '");
    check_html("{{#l}}({{.}}){{/l}}", "{\"l\": [\"&\", \"\\\"\", \"<\", \">\"]}",
               "(&amp;)(&quot;)(&lt;)(&gt;)");
    check_html("{{#l}}({{{.}}}){{/l}}", "{\"l\": [\"&\", \"<\"]}", "(&)(<)");
    /* a default's text and a filter's output are escaped as values are */
    check_html("{{x | default: \"<гость>\"}}", "{}", "&lt;гость&gt;");
    check_html("<a href=\"?q={{q}}\">", "{\"q\": \"\\\"><script>\"}",
               "<a href=\"?q=&quot;&gt;&lt;script&gt;\">");
}

static void test_sections(void **state)
{
    (void)state;
    check_html("\"{{#b}}да{{/b}}\"", "{\"b\": true}", "\"да\"");
    check_html("\"{{#b}}нет{{/b}}\"", "{\"b\": false}", "\"\"");
    check_html("\"{{#n}}нет{{/n}}\"", "{\"n\": null}", "\"\"");
    check_html("{{#c}}Привет, {{name}}.{{/c}}", "{\"c\": {\"name\": \"Олег\"}}", "Привет, Олег.");
    check_html("{{#sec}}{{a}}, {{b}}, {{c.d}}{{/sec}}",
               "{\"a\": \"ф\", \"b\": \"нет\", \"sec\": {\"b\": \"ы\"}, \"c\": {\"d\": \"в\"}}",
               "ф, ы, в");
    check_html("{{#foo}}{{.}} и {{foo}}{{/foo}}", "{\"foo\": \"бар\"}", "бар и бар");
    check_html("{{#tops}}{{#mids}}{{t.lo}}{{m}}.{{#bots}}{{t.up}}{{m}}{{b}}.{{/bots}}{{/mids}}"
               "{{/tops}}",
               "{\"tops\": [{\"t\": {\"up\": \"A\", \"lo\": \"a\"}, \"mids\": [{\"m\": \"1\", "
               "\"bots\": [{\"b\": \"x\"}, {\"b\": \"y\"}]}]}]}",
               "a1.A1x.A1y.");
    check_html("{{#l}}{{i}}{{/l}}", "{\"l\": [{\"i\": 1}, {\"i\": 2}, {\"i\": 3}]}", "123");
    check_html("[{{#l}}нет{{/l}}]", "{\"l\": []}", "[]");
    check_html("| A {{#b}}B {{#b}}C{{/b}} D{{/b}} E |", "{\"b\": true}", "| A B C D E |");
    check_html("| A {{#b}}B {{#b}}C{{/b}} D{{/b}} E |", "{\"b\": false}", "| A  E |");
    check_html("[{{#missing}}нет{{/missing}}]", "{}", "[]");
    check_html("{{#l}}({{.}}){{/l}}", "{\"l\": [1, 2, 3]}", "(1)(2)(3)");
    check_html("{{#l}}({{.}}){{/l}}", "{\"l\": [1.1, 2.2]}", "(1.1)(2.2)");
    check_html("{{#l}}({{#.}}{{.}}{{/.}}){{/l}}", "{\"l\": [[1, 2, 3], [\"a\", \"b\"]]}",
               "(123)(ab)");
    check_html("{{#.}}({{v}}){{/.}}", "[{\"v\": \"a\"}, {\"v\": \"b\"}]", "(a)(b)");
    check_html("{{#a.b.c}}да{{/a.b.c}}", "{\"a\": {\"b\": {\"c\": true}}}", "да");
    check_html("[{{#a.b.c}}нет{{/a.b.c}}]", "{\"a\": {\"b\": {\"c\": false}}}", "[]");
    check_html("[{{#a.b.c}}нет{{/a.b.c}}]", "{\"a\": {}}", "[]");
    /* mustache.js's truth: 0 and "" are false, {} is true */
    check_html("[{{#z}}нет{{/z}}{{#e}}нет{{/e}}{{#o}}да{{/o}}]",
               "{\"z\": 0, \"e\": \"\", \"o\": {}}", "[да]");
    check_html(" | {{#b}}\t|\t{{/b}} | \n", "{\"b\": true}", " | \t|\t | \n");
    check_html(" | {{#b}} {{! важно }}\n {{/b}} | \n", "{\"b\": true}", " |  \n  | \n");
    check_html(" {{#b}}ДА{{/b}}\n {{#b}}ХОРОШО{{/b}}\n", "{\"b\": true}", " ДА\n ХОРОШО\n");
    check_html("|{{# b }}={{/ b }}|", "{\"b\": true}", "|=|");
}

static void test_inverted(void **state)
{
    (void)state;
    check_html("\"{{^b}}да{{/b}}\"", "{\"b\": false}", "\"да\"");
    check_html("\"{{^b}}нет{{/b}}\"", "{\"b\": true}", "\"\"");
    check_html("\"{{^n}}да{{/n}}\"", "{\"n\": null}", "\"да\"");
    check_html("\"{{^c}}нет{{/c}}\"", "{\"c\": {\"name\": \"Олег\"}}", "\"\"");
    check_html("\"{{^l}}{{n}}{{/l}}\"", "{\"l\": [{\"n\": 1}]}", "\"\"");
    check_html("\"{{^l}}пусто{{/l}}\"", "{\"l\": []}", "\"пусто\"");
    check_html("{{^b}}\n* раз\n{{/b}}\n* {{two}}\n{{^b}}\n* три\n{{/b}}\n",
               "{\"b\": false, \"two\": \"два\"}", "* раз\n* два\n* три\n");
    check_html("| A {{^b}}B {{^b}}C{{/b}} D{{/b}} E |", "{\"b\": false}", "| A B C D E |");
    check_html("| A {{^b}}B {{^b}}C{{/b}} D{{/b}} E |", "{\"b\": true}", "| A  E |");
    check_html("[{{^missing}}нет ключа{{/missing}}]", "{}", "[нет ключа]");
    check_html("[{{^a.b.c}}нет{{/a.b.c}}]", "{\"a\": {\"b\": {\"c\": true}}}", "[]");
    check_html("[{{^a.b.c}}да{{/a.b.c}}]", "{\"a\": {}}", "[да]");
    check_html("|{{^ b }}={{/ b }}|", "{\"b\": false}", "|=|");
}

static void test_comments(void **state)
{
    (void)state;
    check_html("12345{{! комментарий }}67890", "{}", "1234567890");
    check_html("12345{{!\n  в несколько\n  строк\n}}67890\n", "{}", "1234567890\n");
    check_html("12345 {{! }} 67890", "{}", "12345  67890");
    check_html("  12 {{! 34 }}\n", "{}", "  12 \n");
    check_html(">{{! comment }}<", "{\"! comment\": 1, \"comment\": 4}", "><");
}

static void test_standalone_lines(void **state)
{
    (void)state;
    check_html("Начало.\n{{! коммент }}\nКонец.\n", "{}", "Начало.\nКонец.\n");
    check_html("Начало.\n  {{! коммент }}\nКонец.\n", "{}", "Начало.\nКонец.\n");
    check_html("|\r\n{{! c }}\r\n|", "{}", "|\r\n|");
    check_html("  {{! c }}\n!", "{}", "!");
    check_html("!\n  {{! c }}", "{}", "!\n");
    check_html("Начало.\n{{!\nмного\n}}\nКонец.\n", "{}", "Начало.\nКонец.\n");
    check_html("Начало.\n  {{!\n    много\n  }}\nКонец.\n", "{}", "Начало.\nКонец.\n");
    check_html("| Это\n{{#b}}\n|\n{{/b}}\n| строка\n", "{\"b\": true}", "| Это\n|\n| строка\n");
    check_html("| Это\n  {{#b}}\n|\n  {{/b}}\n| строка\n", "{\"b\": true}", "| Это\n|\n| строка\n");
    check_html("|\r\n{{#b}}\r\n{{/b}}\r\n|", "{\"b\": true}", "|\r\n|");
    check_html("  {{#b}}\n#{{/b}}\n/", "{\"b\": true}", "#\n/");
    check_html("#{{#b}}\n/\n  {{/b}}", "{\"b\": true}", "#\n/\n");
    check_html("| Это\n{{^b}}\n|\n{{/b}}\n| строка\n", "{\"b\": false}", "| Это\n|\n| строка\n");
    check_html("  {{^b}}\n^{{/b}}\n/", "{\"b\": false}", "^\n/");
    check_html("^{{^b}}\n/\n  {{/b}}", "{\"b\": false}", "^\n/\n");
    /* a list of lines, the way an e-mail lists a cart */
    check_text("Ваш заказ:\n{{#lines}}\n- {{name}}\n{{/lines}}\nСпасибо!\n",
               "{\"lines\": [{\"name\": \"чай\"}, {\"name\": \"сахар\"}]}",
               "Ваш заказ:\n- чай\n- сахар\nСпасибо!\n");
}

static void test_money(void **state)
{
    (void)state;
    check_text("{{m | money}}", "{\"m\": 0}", "0" NB "₽");
    check_text("{{m | money}}", "{\"m\": 5}", "0,05" NB "₽");
    check_text("{{m | money}}", "{\"m\": 123450}", "1" NB "234,50" NB "₽");
    check_text("{{m | money}}", "{\"m\": -123450}", "-1" NB "234,50" NB "₽");
    check_text("{{m | money}}", "{\"m\": 123400}", "1" NB "234" NB "₽");
    check_text("{{m | money: \"kopecks\"}}", "{\"m\": 123400}", "1" NB "234,00" NB "₽");
    check_text("{{m | money}}", "{\"m\": 99900}", "999" NB "₽");
    check_text("{{m | money}}", "{\"m\": 123456789012}",
               "1" NB "234" NB "567" NB "890,12" NB "₽");
    check_text("{{m | money}}", "{\"m\": -9223372036854775808}",
               "-92" NB "233" NB "720" NB "368" NB "547" NB "758,08" NB "₽");
    check_text("{{m | money}}", "{\"m\": \"150\"}", "1,50" NB "₽"); /* an attribute's text */
    /* a real is no money: warned, nothing shown */
    struct template_warnings w;
    char *got = render_kind(TEMPLATE_TEXT, "[{{m | money}}]", "{\"m\": 1.5}", &w);
    assert_string_equal(got, "[]");
    assert_int_equal(w.n, 1);
    assert_string_equal(w.w[0].code, "not_a_number");
    assert_int_equal(w.w[0].column, 2); /* the name is the template's, freed by now */
    free(got);
}

static void test_plural(void **state)
{
    (void)state;
    const char *t = "{{p | plural: \"балл\", \"балла\", \"баллов\"}}";
    static const struct {
        const char *ctx, *want;
    } cases[] = {
        {"{\"p\": 1}", "1" NB "балл"},       {"{\"p\": 2}", "2" NB "балла"},
        {"{\"p\": 4}", "4" NB "балла"},      {"{\"p\": 5}", "5" NB "баллов"},
        {"{\"p\": 0}", "0" NB "баллов"},     {"{\"p\": 11}", "11" NB "баллов"},
        {"{\"p\": 12}", "12" NB "баллов"},   {"{\"p\": 14}", "14" NB "баллов"},
        {"{\"p\": 21}", "21" NB "балл"},     {"{\"p\": 22}", "22" NB "балла"},
        {"{\"p\": 101}", "101" NB "балл"},   {"{\"p\": 111}", "111" NB "баллов"},
        {"{\"p\": 112}", "112" NB "баллов"}, {"{\"p\": 1001}", "1" NB "001" NB "балл"},
        {"{\"p\": -1}", "-1" NB "балл"},     {"{\"p\": \"3\"}", "3" NB "балла"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_text(t, cases[i].ctx, cases[i].want);
    }
    check_text("{{n | plural: \"день\", \"дня\", \"дней\"}}", "{\"n\": 3}", "3" NB "дня");
    check_text("{{n | plural: \"\\\"а\\\"\", \"б\", \"в\"}}", "{\"n\": 1}", "1" NB "\"а\"");
}

static void test_date(void **state)
{
    (void)state;
    check_text("{{d | date}}", "{\"d\": \"2025-03-24\"}", "24 марта");
    check_text("{{d | date: \"year\"}}", "{\"d\": \"2025-03-24\"}", "24 марта 2025");
    check_text("{{d | date}}", "{\"d\": \"2025-01-01T09:30:00+03:00\"}", "1 января");
    check_text("{{d | date}}", "{\"d\": \"2024-02-29T23:59:59.123Z\"}", "29 февраля");
    check_text("{{d | date}}", "{\"d\": \"2025-12-31 10:00:00+10:00\"}", "31 декабря");
    check_text("{{d | date}}", "{\"d\": \"2025-05-09\"}", "9 мая");
    static const char *bad[] = {"{\"d\": \"2025-02-29\"}",
                                "{\"d\": \"2025-13-01\"}",
                                "{\"d\": \"2025-04-31\"}",
                                "{\"d\": \"24.03.2025\"}",
                                "{\"d\": \"2025-03-24T25:00:00Z\"}",
                                "{\"d\": \"2025-03-24T10:00\"}",
                                "{\"d\": \"2025-03-24garbage\"}",
                                "{\"d\": 20250324}",
                                "{\"d\": \"+025-03-24\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct template_warnings w;
        char *got = render_kind(TEMPLATE_TEXT, "[{{d | date}}]", bad[i], &w);
        if (strcmp(got, "[]") != 0 || w.n != 1 || strcmp(w.w[0].code, "not_a_date") != 0) {
            fail_msg("%s: got '%s' with %zu warnings", bad[i], got, w.n);
        }
        free(got);
    }
}

static void test_default_upper_lower(void **state)
{
    (void)state;
    const char *t = "Здравствуйте, {{first_name | default: \"покупатель\"}}!";
    check_text(t, "{}", "Здравствуйте, покупатель!");
    check_text(t, "{\"first_name\": null}", "Здравствуйте, покупатель!");
    check_text(t, "{\"first_name\": \"\"}", "Здравствуйте, покупатель!");
    check_text(t, "{\"first_name\": \"Мария\"}", "Здравствуйте, Мария!");
    check_text("{{n | default: \"нет\"}}", "{\"n\": 0}", "0");
    check_text("{{name | upper}}", "{\"name\": \"ёлка straße\"}", "ЁЛКА STRASSE");
    check_text("{{name | lower}}", "{\"name\": \"ЁЛКА ДЛЯ Вас\"}", "ёлка для вас");
    check_text("{{name | default: \"гость\" | upper}}", "{}", "ГОСТЬ");
    check_text("{{m | money | upper}}", "{\"m\": 100}", "1" NB "₽");
    /* a long text goes past the filter's stack buffer */
    struct buf ctx, want;
    buf_init(&ctx, BUF_MAX_DEFAULT);
    buf_init(&want, BUF_MAX_DEFAULT);
    buf_puts(&ctx, "{\"s\": \"");
    for (int i = 0; i < 1000; i++) {
        buf_puts(&ctx, "я");
        buf_puts(&want, "Я");
    }
    buf_puts(&ctx, "\"}");
    check_text("{{s | upper}}", buf_cstr(&ctx), buf_cstr(&want));
    buf_release(&ctx);
    buf_release(&want);
}

static void test_errors_say_where(void **state)
{
    (void)state;
    check_error("Привет, {{name", "template_unclosed_tag", 1, 9);
    check_error("a\nb {{{x}}", "template_unclosed_tag", 2, 3);
    check_error("строка\n  {{#items}}\n{{name}}\n", "template_unclosed_section", 2, 3);
    check_error("{{#a}}\n{{#b}}\n{{/a}}", "template_mismatched_section", 3, 1);
    check_error("x\n\n  {{/a}}", "template_unexpected_close", 3, 3);
    check_error("{{name | moneys}}", "template_unknown_filter", 1, 10);
    check_error("ок\n{{a|money|shout}}", "template_unknown_filter", 2, 11);
    check_error("{{p | plural: \"балл\", \"балла\"}}", "template_filter_arguments", 1, 7);
    check_error("{{p | plural: балл}}", "template_filter_arguments", 1, 15);
    check_error("{{p | default: \"x}}", "template_filter_arguments", 1, 16);
    check_error("{{m | money: \"евро\"}}", "template_filter_arguments", 1, 7);
    check_error("{{m | upper: \"x\"}}", "template_filter_arguments", 1, 7);
    check_error("{{}}", "template_syntax", 1, 3);
    check_error("{{a b}}", "template_syntax", 1, 5);
    check_error("{{a |}}", "template_syntax", 1, 6);
    check_error("{{#a | upper}}{{/a}}", "template_syntax", 1, 6);
    check_error("{{a..b}}", "template_bad_name", 1, 4);
    check_error("{{.a}}", "template_bad_name", 1, 3);
    check_error("{{> footer}}", "template_unsupported", 1, 1);
    check_error("ё{{=<% %>=}}", "template_unsupported", 1, 2);
    check_error("ok\n\xD0", "template_invalid_utf8", 2, 1);
    check_error("ok\xC0\xAF", "template_invalid_utf8", 1, 3);
    check_error("{{a}}\n\t{{b | date: \"month\"}}", "template_filter_arguments", 2, 8);
}

static void test_limits(void **state)
{
    (void)state;
    struct kt_err err;
    struct template *t;
    /* too long a text */
    size_t n = TEMPLATE_TEXT_MAX + 1;
    char *big = malloc(n);
    memset(big, 'a', n);
    kt_err_reset(&err);
    assert_int_equal(template_compile(big, n, TEMPLATE_TEXT, &t, NULL, &err), KT_EINVAL);
    assert_string_equal(err.code, "template_too_long");
    free(big);
    /* too deep */
    char deep[(TEMPLATE_DEPTH_MAX + 1) * 6 + 1];
    for (int i = 0; i <= TEMPLATE_DEPTH_MAX; i++) {
        memcpy(deep + i * 6, "{{#a}}", 6);
    }
    deep[(TEMPLATE_DEPTH_MAX + 1) * 6] = '\0';
    check_error(deep, "template_too_deep", 1, TEMPLATE_DEPTH_MAX * 6 + 1);
    /* output: a list of 2,000 items times 1 KiB of text */
    char body[1100] = "{{#l}}";
    memset(body + 6, 'x', 1024);
    memcpy(body + 6 + 1024, "{{/l}}", 7);
    kt_err_reset(&err);
    assert_int_equal(template_compile(body, strlen(body), TEMPLATE_TEXT, &t, NULL, &err), KT_OK);
    json_t *l = json_array();
    for (int i = 0; i < 2000; i++) {
        json_array_append_new(l, json_true());
    }
    json_t *ctx = json_pack("{s:o}", "l", l);
    struct buf out;
    buf_init(&out, BUF_MAX_DEFAULT);
    assert_int_equal(template_render(t, ctx, &out, NULL, &err), KT_EINVAL);
    assert_string_equal(err.code, "template_output_too_long");
    template_free(t);
    /* work: nested lists that print nothing */
    const char *spin = "{{#l}}{{#l}}{{#l}}{{! nothing }}{{/l}}{{/l}}{{/l}}";
    assert_int_equal(template_compile(spin, strlen(spin), TEMPLATE_TEXT, &t, NULL, &err), KT_OK);
    buf_reset(&out);
    kt_err_reset(&err);
    assert_int_equal(template_render(t, ctx, &out, NULL, &err), KT_EINVAL);
    assert_string_equal(err.code, "template_too_much_work");
    template_free(t);
    json_decref(ctx);
    buf_release(&out);
}

static void test_vars_and_warnings(void **state)
{
    (void)state;
    const char *text = "{{first_name | default: \"покупатель\"}}, {{store.city}}\n"
                       "{{#lines}}{{name}} {{price | money}}{{/lines}}{{^lines}}пусто{{/lines}}\n"
                       "{{store.city}} {{.}} {{#lines}}{{name}}{{/lines}} {{balance}}";
    struct kt_err err;
    kt_err_reset(&err);
    struct template *t;
    assert_int_equal(template_compile(text, strlen(text), TEMPLATE_HTML, &t, NULL, &err), KT_OK);
    const struct template_var *v;
    size_t n = template_vars(t, &v);
    assert_int_equal(n, 6);
    assert_string_equal(v[0].name, "first_name");
    assert_null(v[0].section);
    assert_string_equal(v[1].name, "store.city");
    assert_int_equal(v[1].column, 41);
    assert_string_equal(v[2].name, "lines");
    assert_int_equal(v[2].line, 2);
    assert_string_equal(v[3].name, "name");
    assert_string_equal(v[3].section, "lines");
    assert_string_equal(v[4].name, "price");
    assert_string_equal(v[5].name, "balance");
    json_t *ctx = json_pack("{s:[{s:s},{s:s,s:i}], s:{}}", "lines", "name", "чай", "name", "кофе",
                            "price", 1000, "store");
    struct buf out;
    buf_init(&out, BUF_MAX_DEFAULT);
    struct template_warnings w;
    assert_int_equal(template_render(t, ctx, &out, &w, &err), KT_OK);
    /* price missing in the first line; store.city twice, '.' (an object) once, balance */
    assert_int_equal(w.n, 5);
    assert_string_equal(w.w[0].name, "store.city");
    assert_string_equal(w.w[0].code, "missing_value");
    assert_string_equal(w.w[1].name, "price");
    assert_int_equal(w.w[1].line, 2);
    assert_string_equal(w.w[3].name, ".");
    assert_string_equal(w.w[3].code, "not_text");
    assert_string_equal(w.w[4].name, "balance");
    /* rendering again starts afresh and gives the same text */
    char *first = buf_take(&out);
    assert_int_equal(template_render(t, ctx, &out, &w, &err), KT_OK);
    assert_string_equal(buf_cstr(&out), first);
    assert_int_equal(w.n, 5);
    free(first);
    buf_release(&out);
    json_decref(ctx);
    template_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interpolation),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_inverted),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_standalone_lines),
        cmocka_unit_test(test_money),
        cmocka_unit_test(test_plural),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_default_upper_lower),
        cmocka_unit_test(test_errors_say_where),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_vars_and_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
