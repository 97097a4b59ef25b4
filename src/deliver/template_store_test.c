/*
 * template_store_test.c - stored templates on a real store: versions (the same body again adds
 * nothing), a refused part with its place, the unknown variables, and the context a template
 * renders against (profile, attributes, traits, points with the expiry in local time), rendered.
 */
#include "helpers.h"

#include "base/id.h"
#include "deliver/template_store.h"
#include "store/store.h"

#define NOW    1767225600000LL /* 2026-01-01T00:00:00Z */
#define EXPIRY 1774303200000LL /* 2026-03-23T22:00:00Z: the 24th in Moscow */

static json_t *body_of(const char *json)
{
    json_t *b = json_loads(json, 0, NULL);
    assert_non_null(b);
    return b;
}

/* Decodes and saves `json` as template `name`; returns the version and whether it was added. */
static int64_t save(const char *name, const char *json, bool *added)
{
    struct msg_tpl t;
    struct template_pos pos;
    struct store_conn *w;
    json_t *b = body_of(json);
    assert_int_equal(msg_tpl_decode(name, b, &A, &t, &pos, NULL), KT_OK);
    t.row.created_at = NOW;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(msg_tpl_save(w, &t.row, &A, added, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    msg_tpl_release(&t);
    json_decref(b);
    return t.row.version;
}

static void versions_are_added_only_on_a_change(void **state)
{
    (void)state;
    bool added;
    const char *v1 = "{\"channel\": \"sms\", \"text\": \"Привет, {{first_name}}\"}";
    assert_int_equal(save("hi", v1, &added), 1);
    assert_true(added);
    assert_int_equal(save("hi", v1, &added), 1);
    assert_false(added);
    assert_int_equal(save("hi", "{\"channel\": \"sms\", \"text\": \"Пока\"}", &added), 2);
    assert_true(added);
    /* Another channel with the same text is a change too. */
    assert_int_equal(
        save("hi", "{\"channel\": \"push\", \"title\": \"Пока\", \"body\": \"x\"}", &added), 3);
    assert_int_equal(save("other", v1, &added), 1);

    struct store_conn *rd;
    struct msg_template row, *list;
    size_t n;
    bool found;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(store_template_get(rd, "hi", 0, &A, &row, NULL, NULL), KT_OK);
    assert_int_equal(row.version, 3);
    assert_string_equal(row.channel, "push");
    assert_int_equal(store_template_get(rd, "hi", 1, &A, &row, NULL, NULL), KT_OK);
    assert_string_equal(row.parts, "{\"text\":\"Привет, {{first_name}}\"}");
    assert_int_equal(store_template_get(rd, "hi", 4, &A, &row, &found, NULL), KT_OK);
    assert_false(found);
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_template_get(rd, "nope", 0, &A, &row, NULL, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "template_not_found");
    assert_int_equal(store_template_list(rd, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "hi");
    assert_int_equal(list[0].version, 3);
    assert_string_equal(list[1].name, "other");
    store_read_end(rd);
}

static void a_refused_part_says_where(void **state)
{
    (void)state;
    struct msg_tpl t;
    struct template_pos pos;
    struct kt_err err;
    kt_err_reset(&err);
    json_t *b = body_of("{\"channel\": \"email\", \"subject\": \"ok\", "
                        "\"html\": \"<p>\\n  {{#cart}}{{name}}</p>\"}");
    assert_int_equal(msg_tpl_decode("x", b, &A, &t, &pos, &err), KT_EINVAL);
    assert_string_equal(err.code, "template_unclosed_section");
    assert_string_equal(err.field, "html");
    assert_int_equal(pos.line, 2);
    assert_int_equal(pos.column, 3);
    assert_int_equal(t.n, 0); /* the subject compiled before it is freed */
    json_decref(b);
}

static void unknown_variables_are_listed(void **state)
{
    (void)state;
    struct store_conn *w;
    struct attr_def d = {.name = "pet", .type = "string", .created_at = NOW, .updated_at = NOW};
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_attr_put(w, &d, NULL), KT_OK);
    struct msg_tpl t;
    struct template_pos pos;
    json_t *b = body_of("{\"channel\": \"push\", \"title\": \"{{first_name}} {{attributes.pet}}\","
                        " \"body\": \"{{#points}}{{balance}}{{/points}}{{#context.cart}}{{sku}}"
                        "{{/context.cart}}{{attributes.size}}{{store.city}}{{nope}}\"}");
    assert_int_equal(msg_tpl_decode("u", b, &A, &t, &pos, NULL), KT_OK);
    json_t *unknown;
    assert_int_equal(msg_tpl_unknown_vars(w, &t, &A, &unknown, NULL), KT_OK);
    store_write_end(w, KT_OK, NULL);
    char *s = json_dumps(unknown, JSON_COMPACT);
    assert_string_equal(s, "[{\"field\":\"body\",\"name\":\"attributes.size\",\"line\":1,"
                           "\"column\":75},{\"field\":\"body\",\"name\":\"nope\",\"line\":1,"
                           "\"column\":108}]");
    free(s);
    json_decref(unknown);
    msg_tpl_release(&t);
    json_decref(b);
}

/* A customer with a first name, an attribute, a trait and 21 points that expire at EXPIRY. */
static int64_t customer(struct customer *c)
{
    struct store_conn *w;
    memset(c, 0, sizeof(*c));
    id_new(c->id, sizeof(c->id), "c_");
    c->created_at = c->updated_at = NOW - 1000;
    c->val[PF_FIRST_NAME] = "Мария";
    c->at[PF_FIRST_NAME] = NOW - 1000;
    c->attrs = "{\"pet\":\"кот\"}";
    c->attrs_at = "{\"pet\":1000}";
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(store_customer_insert(w, c, NULL), KT_OK);
    struct ledger_entry e = {.ck = c->ck,
                             .kind = "bonus",
                             .points = 21,
                             .at = NOW - 1000,
                             .available_at = NOW - 1000,
                             .expires_at = EXPIRY,
                             .reason = "t"};
    assert_int_equal(store_ledger_add(w, &e, NULL), KT_OK);
    struct trait tr = {"favourite_category", "Молоко", NOW - 1000};
    assert_int_equal(store_trait_put(w, c->ck, &tr, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    return c->ck;
}

static void the_context_and_a_render(void **state)
{
    (void)state;
    struct customer c;
    customer(&c);
    struct store_conn *rd;
    json_t *ctx, *own = body_of("{\"discount\": 123450}");
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(msg_context_json(rd, &c, own, NULL, NOW, &A, &ctx, NULL), KT_OK);
    store_read_end(rd);
    json_decref(own);
    char *s = json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS);
    char want[512];
    kt_snprintf(want, sizeof(want),
                "{\"attributes\":{\"pet\":\"кот\"},\"context\":{\"discount\":123450},"
                "\"customer_id\":\"%s\",\"first_name\":\"Мария\",\"points\":{\"balance\":21,"
                "\"next_expiry\":{\"date\":\"2026-03-24\",\"points\":21},\"pending\":0},"
                "\"traits\":{\"favourite_category\":\"Молоко\"}}",
                c.id);
    assert_string_equal(s, want);
    free(s);

    struct msg_tpl t;
    struct template_pos pos;
    json_t *b = body_of("{\"channel\": \"sms\", \"text\": \"{{first_name}}, у вас {{points.balance"
                        " | plural: \\\"балл\\\", \\\"балла\\\", \\\"баллов\\\"}} до "
                        "{{points.next_expiry.date | date}}, скидка {{context.discount | money}}"
                        " {{missing}}\"}");
    assert_int_equal(msg_tpl_decode("r", b, &A, &t, &pos, NULL), KT_OK);
    json_t *out;
    assert_int_equal(msg_tpl_render_json(&t, ctx, &A, &out, NULL), KT_OK);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "parts"), "text")),
                        "Мария, у вас 21\u00a0балл до 24 марта, скидка "
                        "1\u00a0234,50\u00a0₽ ");
    json_t *sms = json_object_get(out, "sms");
    assert_int_equal(json_integer_value(json_object_get(sms, "parts")), 1);
    assert_string_equal(json_string_value(json_object_get(sms, "encoding")), "ucs2");
    json_t *w = json_array_get(json_object_get(out, "warnings"), 0);
    assert_string_equal(json_string_value(json_object_get(w, "code")), "missing_value");
    assert_string_equal(json_string_value(json_object_get(w, "name")), "missing");
    json_decref(out);
    msg_tpl_release(&t);
    json_decref(b);
    json_decref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(versions_are_added_only_on_a_change, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_refused_part_says_where, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(unknown_variables_are_listed, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(the_context_and_a_render, store_setup, store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
