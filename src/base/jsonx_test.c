/*
 * jsonx_test.c - the one decoder rule: each mistake gets its one code and the member's path.
 */
#include "helpers.h"

#include "base/clock.h"
#include "base/jsonx.h"

#define NOW 1795000000000LL /* 2026-11-18T11:06:40Z */

struct fx {
    struct arena a;
    struct kt_err err;
    json_t *doc;
};

static void load(struct fx *x, const char *text)
{
    arena_init(&x->a, 0);
    kt_err_reset(&x->err);
    x->doc = json_loads(text, 0, NULL);
    assert_non_null(x->doc);
}

static void done(struct fx *x)
{
    json_decref(x->doc);
    arena_release(&x->a);
}

/* The code and field of the error `rc` came with, as "code field". */
static const char *said(struct fx *x, enum kt_rc rc)
{
    if (rc == KT_OK) {
        return "ok";
    }
    assert_int_equal(rc, KT_EINVAL);
    return arena_printf(&x->a, "%s %s", x->err.code, x->err.field);
}

static void strings_by_presence_type_and_length(void **state)
{
    struct fx x;
    load(&x, "{\"a\": \"abc\", \"n\": 5, \"e\": \"\", \"z\": null, \"l\": \"abcdef\"}");
    const char *s = "untouched";
    assert_string_equal(said(&x, jsonx_str(x.doc, "", "a", 3, 0, &x.a, &s, &x.err)), "ok");
    assert_string_equal(s, "abc");
    s = "untouched";
    assert_string_equal(said(&x, jsonx_str(x.doc, "", "missing", 3, 0, &x.a, &s, &x.err)), "ok");
    assert_string_equal(said(&x, jsonx_str(x.doc, "", "z", 3, 0, &x.a, &s, &x.err)), "ok");
    assert_string_equal(s, "untouched"); /* absent and null leave the default */
    struct {
        const char *name;
        unsigned flags;
        const char *want;
    } cases[] = {
        {"missing", JSONX_REQUIRED, "missing_field p.missing"},
        {"z", JSONX_REQUIRED, "missing_field p.z"},
        {"n", 0, "wrong_type p.n"},
        {"l", 0, "too_long p.l"},
        {"e", 0, "invalid_value p.e"},
        {"e", JSONX_EMPTY_OK, "ok"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kt_err_reset(&x.err);
        enum kt_rc rc = jsonx_str(x.doc, "p", cases[i].name, 5, cases[i].flags, &x.a, &s, &x.err);
        assert_string_equal(said(&x, rc), cases[i].want);
    }
    done(&x);
}

static void integers_booleans_and_words(void **state)
{
    struct fx x;
    load(&x, "{\"i\": 7, \"neg\": -1, \"r\": 1.0, \"s\": \"7\", \"b\": true, \"w\": \"pending\","
             " \"x\": \"other\"}");
    int64_t n = 0;
    assert_string_equal(said(&x, jsonx_int(x.doc, "", "i", 1, 10, 0, &n, &x.err)), "ok");
    assert_int_equal(n, 7);
    const char *want[] = {"invalid_value neg", "wrong_type r", "wrong_type s"};
    const char *names[] = {"neg", "r", "s"};
    for (size_t i = 0; i < 3; i++) {
        kt_err_reset(&x.err);
        assert_string_equal(said(&x, jsonx_int(x.doc, "", names[i], 1, 10, 0, &n, &x.err)),
                            want[i]);
    }
    assert_int_equal(n, 7);
    bool b = false;
    kt_err_reset(&x.err);
    assert_string_equal(said(&x, jsonx_bool(x.doc, "", "b", 0, &b, &x.err)), "ok");
    assert_true(b);
    assert_string_equal(said(&x, jsonx_bool(x.doc, "", "i", 0, &b, &x.err)), "wrong_type i");
    static const char *const words[] = {"strict", "pending", NULL};
    const char *w = NULL;
    kt_err_reset(&x.err);
    assert_string_equal(said(&x, jsonx_enum(x.doc, "", "w", words, 0, &w, &x.err)), "ok");
    assert_ptr_equal(w, words[1]);
    assert_string_equal(said(&x, jsonx_enum(x.doc, "", "x", words, 0, &w, &x.err)),
                        "invalid_value x");
    assert_non_null(strstr(x.err.msg, "strict, pending"));
    kt_err_reset(&x.err);
    assert_string_equal(said(&x, jsonx_enum(x.doc, "", "i", words, 0, &w, &x.err)), "wrong_type i");
    done(&x);
}

static void arrays_and_objects(void **state)
{
    struct fx x;
    load(&x, "{\"a\": [1, 2, 3], \"e\": [], \"o\": {\"k\": 1, \"typo\": 2}, \"s\": \"x\"}");
    const json_t *v = NULL;
    assert_string_equal(said(&x, jsonx_array(x.doc, "", "a", 1, 3, 0, &v, &x.err)), "ok");
    assert_string_equal(said(&x, jsonx_array(x.doc, "", "a", 1, 2, 0, &v, &x.err)), "too_many a");
    kt_err_reset(&x.err);
    assert_string_equal(said(&x, jsonx_array(x.doc, "", "e", 1, 2, 0, &v, &x.err)),
                        "invalid_value e");
    kt_err_reset(&x.err);
    assert_string_equal(said(&x, jsonx_array(x.doc, "", "s", 1, 2, 0, &v, &x.err)), "wrong_type s");
    static const char *const known[] = {"k", NULL};
    kt_err_reset(&x.err);
    assert_string_equal(said(&x, jsonx_object(x.doc, "top", "o", known, 0, &x.a, &v, &x.err)),
                        "unknown_field top.o.typo");
    kt_err_reset(&x.err);
    assert_string_equal(said(&x, jsonx_object(x.doc, "", "o", NULL, 0, &x.a, &v, &x.err)), "ok");
    assert_string_equal(said(&x, jsonx_object(x.doc, "", "s", NULL, 0, &x.a, &v, &x.err)),
                        "wrong_type s");
    done(&x);
}

static void client_times_have_a_plausible_window(void **state)
{
    struct fx x;
    load(&x, "{\"ok\": \"2026-11-18T10:00:00+03:00\", \"y1\": \"0001-01-01T00:00:00Z\","
             " \"y1900\": \"1900-01-01T00:00:00Z\", \"y2000\": \"2000-01-01T00:00:00Z\","
             " \"late\": \"1999-12-31T23:59:59.999Z\", \"soon\": \"2026-11-18T11:10:00Z\","
             " \"far\": \"2026-11-18T11:12:00Z\", \"junk\": \"yesterday\", \"n\": 5}");
    int64_t t = 0;
    struct {
        const char *name;
        const char *want;
    } cases[] = {
        {"ok", "ok"},
        {"y2000", "ok"},
        {"soon", "ok"}, /* NOW is 11:06:40Z: a till clock 3 minutes fast */
        {"y1", "invalid_time at.y1"},
        {"y1900", "invalid_time at.y1900"},
        {"late", "invalid_time at.late"},
        {"far", "invalid_time at.far"},
        {"junk", "invalid_time at.junk"},
        {"n", "wrong_type at.n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kt_err_reset(&x.err);
        enum kt_rc rc = jsonx_time(x.doc, "at", cases[i].name, NOW, 0, &t, &x.err);
        assert_string_equal(said(&x, rc), cases[i].want);
    }
    assert_null(time_client_check(TIME_CLIENT_MIN_MS, NOW));
    assert_non_null(time_client_check(NOW + TIME_CLIENT_SKEW_MS + 1, NOW));
    done(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strings_by_presence_type_and_length),
        cmocka_unit_test(integers_booleans_and_words),
        cmocka_unit_test(arrays_and_objects),
        cmocka_unit_test(client_times_have_a_plausible_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
