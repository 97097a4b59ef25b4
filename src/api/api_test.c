/*
 * api_test.c - the route table against docs/openapi.json (both ways), and the decoding of
 * customer bodies.
 */
#include "helpers.h"

#include "api/api.h"
#include "base/embed.h"
#include "http/router.h"

extern const struct embedded_file docs_files[];
extern const size_t docs_files_count;

static json_t *openapi(void)
{
    for (size_t i = 0; i < docs_files_count; i++) {
        if (strcmp(docs_files[i].name, "openapi.json") == 0) {
            return json_loadb(docs_files[i].data, docs_files[i].len, 0, NULL);
        }
    }
    return NULL;
}

static void lower(char *s)
{
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            *s = (char)(*s + 32);
        }
    }
}

static void every_route_is_described(void **state)
{
    json_t *doc = openapi();
    assert_non_null(doc);
    json_t *paths = json_object_get(doc, "paths");
    for (size_t i = 0; i < api_routes_count; i++) {
        char m[16];
        kt_strlcpy(m, http_method_name(api_routes[i].method), sizeof(m));
        lower(m);
        json_t *op = json_object_get(json_object_get(paths, api_routes[i].pattern), m);
        if (op == NULL) {
            fail_msg("route %s %s is not in docs/openapi.json", m, api_routes[i].pattern);
        }
        bool public_ = api_routes[i].scopes == ROUTE_PUBLIC;
        json_t *security = json_object_get(op, "security");
        bool doc_public = security != NULL && json_array_size(security) == 0;
        if (api_routes[i].flags & ROUTE_SESSION) { /* no key: the console's session cookie */
            doc_public = json_array_size(security) == 1 &&
                         json_object_get(json_array_get(security, 0), "session") != NULL;
        }
        if (public_ != doc_public) {
            fail_msg("route %s %s: the description disagrees whether it needs a key", m,
                     api_routes[i].pattern);
        }
    }
    json_decref(doc);
}

static void every_description_is_a_route(void **state)
{
    json_t *doc = openapi();
    json_t *paths = json_object_get(doc, "paths");
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item)
    {
        const char *m;
        json_t *op;
        json_object_foreach(item, m, op)
        {
            if (strcmp(m, "parameters") == 0) {
                continue;
            }
            char up[16];
            kt_strlcpy(up, m, sizeof(up));
            for (char *p = up; *p; p++) {
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
            }
            bool found = false;
            for (size_t i = 0; i < api_routes_count; i++) {
                found = found || (strcmp(api_routes[i].pattern, path) == 0 &&
                                  strcmp(http_method_name(api_routes[i].method), up) == 0);
            }
            if (!found) {
                fail_msg("docs/openapi.json describes %s %s, which the server does not answer", up,
                         path);
            }
        }
    }
    json_decref(doc);
}

static enum kt_rc decode(const char *text, bool patch, enum key_scope scope, struct upsert_req *r,
                         struct kt_err *err)
{
    static const struct attr_def defs[] = {
        {"pets", "list", "enum", "[\"cat\",\"dog\",\"bird\",\"fish\"]", NULL, NULL, 1, 1},
        {"car_make", "string", NULL, NULL, NULL, NULL, 1, 1},
        {"children_birth_years", "list", "number", NULL, NULL, NULL, 1, 1},
    };
    kt_err_reset(err);
    json_t *body = http_json_parse(text, strlen(text), err);
    if (body == NULL) {
        return err->rc;
    }
    struct ident_decode_opts o = {patch, false, scope, NULL};
    enum kt_rc rc = ident_decode(body, &o, defs, 3, 1795000000000LL, &A, r, err);
    json_decref(body);
    return rc;
}

static void a_full_body_decodes_to_standard_forms(void **state)
{
    arena_init(&A, 0);
    struct upsert_req r;
    struct kt_err err;
    assert_int_equal(
        decode(
            "{\"source\":{\"channel\":\"pos\",\"store\":\"S-1\"},"
            "\"profile\":{\"phone\":\"8 (916) 123-45-67\",\"email\":\"A@B.RU\",\"gender\":\"Ж\","
            "\"last_name\":\"  Иванова \",\"city\":\"\"},"
            "\"identifiers\":{\"card\":[\"1234 5678\",\"9999-0000\"],\"external\":{\"eshop\":"
            "\"u-1\"},\"telegram\":\"@Anna\"},"
            "\"attributes\":{\"pets\":[\"cat\",\"cat\",\"dog\"],\"children_birth_years\":[2015]},"
            "\"verified\":[\"phone\"]}",
            false, SCOPE_POS, &r, &err),
        KT_OK);
    assert_string_equal(r.val[PF_PHONE], "+79161234567");
    assert_string_equal(r.val[PF_EMAIL], "a@b.ru");
    assert_string_equal(r.val[PF_GENDER], "f");
    assert_string_equal(r.val[PF_LAST_NAME], "Иванова");
    assert_null(r.val[PF_CITY]); /* "" means not known */
    assert_int_equal(r.verify, 1u << PF_PHONE);
    assert_int_equal(r.n_idents, 4);
    assert_string_equal(r.idents[0].value, "12345678");
    assert_string_equal(r.idents[2].kind, "ext:eshop");
    assert_string_equal(r.idents[3].value, "anna");
    char *attrs = json_dumps(r.attrs, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(attrs, "{\"children_birth_years\":[2015],\"pets\":[\"cat\",\"dog\"]}");
    free(attrs);
    assert_true(r.src.observed_at == 1795000000000LL);
    arena_release(&A);
}

struct bad {
    const char *body;
    bool patch;
    enum key_scope scope;
    const char *code;
    const char *field;
};

static void bad_bodies_name_code_and_field(void **state)
{
    static const struct bad cases[] = {
        {"", false, SCOPE_POS, "empty_body", ""},
        {"{\"source\":", false, SCOPE_POS, "malformed_json", ""},
        {"[1,2]", false, SCOPE_POS, "body_not_object", ""},
        {"{\"a\":1,\"a\":2}", false, SCOPE_POS, "duplicate_key", ""},
        {"{\"profile\":{}}", false, SCOPE_POS, "missing_field", "source"},
        {"{\"source\":{}}", false, SCOPE_POS, "missing_field", "source.channel"},
        {"{\"source\":{\"channel\":\"fax\"}}", false, SCOPE_POS, "invalid_value", "source.channel"},
        {"{\"source\":{\"channel\":\"pos\"},\"nickname\":1}", false, SCOPE_POS, "unknown_field",
         "nickname"},
        {"{\"source\":{\"channel\":\"pos\"},\"profile\":{\"nick\":\"x\"}}", false, SCOPE_POS,
         "unknown_field", "profile.nick"},
        {"{\"source\":{\"channel\":\"pos\"},\"profile\":{\"first_name\":5}}", false, SCOPE_POS,
         "wrong_type", "profile.first_name"},
        {"{\"source\":{\"channel\":\"pos\"},\"profile\":{\"phone\":\"12345\"}}", false, SCOPE_POS,
         "invalid_phone", "profile.phone"},
        {"{\"source\":{\"channel\":\"pos\"},\"profile\":{\"email\":\"ivan@\"}}", false, SCOPE_POS,
         "invalid_email", "profile.email"},
        {"{\"source\":{\"channel\":\"pos\"},\"profile\":{\"birth_date\":\"1985-02-30\"}}", false,
         SCOPE_POS, "invalid_date", "profile.birth_date"},
        {"{\"source\":{\"channel\":\"pos\"},\"attributes\":{\"shoe_size\":42}}", false, SCOPE_POS,
         "undeclared_attribute", "attributes.shoe_size"},
        {"{\"source\":{\"channel\":\"pos\"},\"attributes\":{\"pets\":[\"cow\"]}}", false, SCOPE_POS,
         "invalid_value", "attributes.pets[0]"},
        {"{\"source\":{\"channel\":\"pos\"},\"attributes\":{\"car_make\":7}}", false, SCOPE_POS,
         "wrong_type", "attributes.car_make"},
        {"{\"source\":{\"channel\":\"pos\"},\"identifiers\":{\"icq\":\"1\"}}", false, SCOPE_POS,
         "unknown_field", "identifiers.icq"},
        {"{\"source\":{\"channel\":\"pos\"},\"identifiers\":{\"phone\":[\"+79161234567\",\"1\"]}}",
         false, SCOPE_POS, "invalid_phone", "identifiers.phone[1]"},
        {"{\"source\":{\"channel\":\"pos\"},\"identifiers\":{\"external\":{\"E Shop\":\"1\"}}}",
         false, SCOPE_POS, "invalid_value", "identifiers.external.E Shop"},
        {"{\"source\":{\"channel\":\"pos\"},\"verified\":[\"phone\"]}", false, SCOPE_POS,
         "verified_without_value", "verified[0]"},
        {"{\"source\":{\"channel\":\"web\"},\"profile\":{\"phone\":\"+79161234567\"},"
         "\"verified\":[\"phone\"]}",
         false, SCOPE_COLLECT, "verification_not_allowed", "verified"},
        {"{\"source\":{\"channel\":\"pos\"}}", false, SCOPE_COLLECT, "channel_not_allowed",
         "source.channel"},
        {"{\"source\":{\"channel\":\"pos\",\"at\":\"2099-01-01T00:00:00Z\"}}", false, SCOPE_POS,
         "invalid_time", "source.at"},
        {"{\"source\":{\"channel\":\"pos\"},\"attributes\":{\"car_make\":null}}", false, SCOPE_POS,
         NULL, NULL},
        {"{\"source\":{\"channel\":\"pos\"},\"profile\":{\"city\":null}}", true, SCOPE_POS, NULL,
         NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        arena_init(&A, 0);
        struct upsert_req r;
        struct kt_err err;
        enum kt_rc rc = decode(cases[i].body, cases[i].patch, cases[i].scope, &r, &err);
        if (cases[i].code == NULL) {
            assert_int_equal(rc, KT_OK);
        } else if (rc == KT_OK || strcmp(err.code, cases[i].code) != 0 ||
                   strcmp(err.field, cases[i].field) != 0) {
            fail_msg("case %zu: want %s at '%s', got %s at '%s'", i, cases[i].code, cases[i].field,
                     err.code, err.field);
        }
        arena_release(&A);
    }
}

static void parse_errors_carry_the_offset(void **state)
{
    struct kt_err err;
    kt_err_reset(&err);
    assert_null(http_json_parse("{\"a\": tru}", 10, &err));
    assert_string_equal(err.code, "malformed_json");
    assert_int_equal(err.rc, KT_EBADREQ);
    assert_true(err.offset >= 6 && err.offset <= 10);
    assert_non_null(strstr(err.msg, "at byte"));
    kt_err_reset(&err);
    assert_null(http_json_parse("{\"a\": \"\xff\"}", 10, &err));
    assert_string_equal(err.code, "invalid_utf8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_is_described),
        cmocka_unit_test(every_description_is_a_route),
        cmocka_unit_test(a_full_body_decodes_to_standard_forms),
        cmocka_unit_test(bad_bodies_name_code_and_field),
        cmocka_unit_test(parse_errors_carry_the_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
