/*
 * tracking_test.c - Segment messages mapped onto events and customers: the e-commerce names and
 * their properties (roubles to kopecks, the product id as the sku), a name of no type kept as
 * `track`, the client's clock corrected from sentAt, the mobile SDKs' channel, identify's traits
 * onto the profile, and what is refused.
 */
#include "helpers.h"

#include "base/clock.h"
#include "events/tracking.h"

static json_t *J(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

#define T0 1764842400000LL /* 2025-12-04T10:00:00Z */

/* What each test maps with: no custom type, one declared attribute, userId as ext:shop, the
 * request received at T0. */
struct fx {
    struct arena a;
    struct track_ctx c;
    struct track_out o;
    struct kt_err err;
};

static int fx_setup(void **state)
{
    static struct event_types none = {NULL, 0};
    static const char *const attrs[] = {"pets"};
    struct fx *f = calloc(1, sizeof(*f));
    arena_init(&f->a, 0);
    f->c = (struct track_ctx){&none, attrs, 1, "shop", T0, NULL};
    kt_err_reset(&f->err);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    arena_release(&f->a);
    free(f);
    return 0;
}

/* The mapped document's member at a path of object names ("properties.price"), as compact JSON. */
static char *at(const struct track_out *o, const char *p1, const char *p2)
{
    const json_t *v = json_object_get(o->doc, p1);
    v = p2 ? json_object_get(v, p2) : v;
    assert_non_null(v);
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void expect(const struct track_out *o, const char *p1, const char *p2, const char *want)
{
    char *got = at(o, p1, p2);
    assert_string_equal(got, want);
    free(got);
}

static void calls_are_named_in_full_or_by_their_letter(void **state)
{
    (void)state;
    enum track_call c;
    assert_true(track_call_parse("identify", &c) && c == TRACK_IDENTIFY);
    assert_true(track_call_parse("i", &c) && c == TRACK_IDENTIFY);
    assert_true(track_call_parse("s", &c) && c == TRACK_SCREEN);
    assert_true(track_call_parse("alias", &c) && c == TRACK_ALIAS);
    assert_false(track_call_parse("tr", &c));
    assert_false(track_call_parse("", &c));
    assert_false(track_call_parse(NULL, &c));
}

static void ecommerce_names_map_onto_the_standard_types(void **state)
{
    struct fx *f = *state;
    json_t *m = J("{\"userId\":\"u-1\",\"anonymousId\":\"a-1\",\"event\":\"Product Added\","
                  "\"messageId\":\"m-1\",\"properties\":{\"product_id\":\"A-1\",\"price\":129.9,"
                  "\"name\":\"x\"},\"context\":{\"page\":{\"url\":\"https://s.example/p\"},"
                  "\"campaign\":{\"source\":\"vk\"}}}");
    assert_int_equal(track_map(m, TRACK_TRACK, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    assert_int_equal(f->o.kind, TRACK_AS_EVENT);
    expect(&f->o, "type", NULL, "\"cart_add\"");
    expect(&f->o, "channel", NULL, "\"web\"");
    expect(&f->o, "message_id", NULL, "\"m-1\"");
    /* a userId also stands as its own anonymous id, until its identify links it */
    expect(&f->o, "customer", NULL, "{\"ext:shop\":\"u-1\",\"cookie\":\"user:u-1\"}");
    expect(&f->o, "properties", NULL,
           "{\"sku\":\"A-1\",\"price\":12990,\"quantity\":1,\"url\":\"https://s.example/p\","
           "\"utm_source\":\"vk\"}");
    assert_int_equal(f->o.dropped, 1); /* the name: cart_add has no place for it */
    json_decref(m);

    m = J("{\"anonymousId\":\"a\",\"event\":\"Order Completed\",\"properties\":{\"order_id\":"
          "\"o-1\",\"total\":0.1,\"products\":[{},{},{}],\"tax\":\"x\"}}");
    assert_int_equal(track_map(m, TRACK_TRACK, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    expect(&f->o, "type", NULL, "\"order_completed\"");
    expect(&f->o, "properties", NULL, "{\"order_id\":\"o-1\",\"total\":10,\"items\":3}");
    json_decref(m);
}

static void other_names_are_kept_as_track(void **state)
{
    struct fx *f = *state;
    json_t *m = J("{\"anonymousId\":\"a\",\"event\":\"Wishlist Shared\",\"properties\":{\"n\":2,"
                  "\"ok\":true,\"deep\":{\"x\":1},\"list\":[1]}}");
    assert_int_equal(track_map(m, TRACK_TRACK, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    expect(&f->o, "type", NULL, "\"track\"");
    expect(&f->o, "properties", NULL, "{\"event\":\"Wishlist Shared\",\"n\":2,\"ok\":true}");
    assert_int_equal(f->o.dropped, 2); /* an object and an array are no property's value */
    json_decref(m);
    /* the open type keeps 32 properties, the name among them; the rest are left out */
    json_t *many = json_object();
    for (int i = 0; i < 40; i++) {
        char k[8];
        snprintf(k, sizeof(k), "p%02d", i);
        json_object_set_new(many, k, json_integer(i));
    }
    m = json_pack("{s:s, s:s, s:o}", "anonymousId", "a", "event", "Many", "properties", many);
    assert_int_equal(track_map(m, TRACK_TRACK, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    assert_int_equal(json_object_size(json_object_get(f->o.doc, "properties")), 32);
    assert_int_equal(f->o.dropped, 9);
    json_decref(m);
    /* generic: a Product Added without a price goes to `track` with all it said */
    m = J("{\"anonymousId\":\"a\",\"event\":\"Product Added\",\"properties\":{\"sku\":\"S\"}}");
    assert_int_equal(track_map(m, TRACK_TRACK, true, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    expect(&f->o, "properties", NULL, "{\"event\":\"Product Added\",\"sku\":\"S\"}");
    json_decref(m);
}

static void the_clients_clock_is_corrected(void **state)
{
    struct fx *f = *state;
    /* the client's clock is an hour fast; it happened a minute before it was sent */
    json_t *m = J("{\"anonymousId\":\"a\",\"event\":\"X\",\"timestamp\":"
                  "\"2025-12-04T10:59:00Z\",\"sentAt\":\"2025-12-04T11:00:00Z\"}");
    assert_int_equal(track_map(m, TRACK_TRACK, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    expect(&f->o, "at", NULL, "\"2025-12-04T09:59:00.000Z\"");
    json_decref(m);
    /* the batch's sentAt when the message has none; originalTimestamp before timestamp */
    json_t *sent = json_string("2025-12-04T10:00:30+00:00");
    f->c.batch_sent_at = sent;
    m = J("{\"anonymousId\":\"a\",\"event\":\"X\",\"timestamp\":\"2025-12-04T10:00:00Z\","
          "\"originalTimestamp\":\"2025-12-04T10:00:10Z\"}");
    assert_int_equal(track_map(m, TRACK_TRACK, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    expect(&f->o, "at", NULL, "\"2025-12-04T09:59:40.000Z\"");
    json_decref(m);
    /* without a sentAt the timestamp as it is; without a timestamp the arrival */
    f->c.batch_sent_at = NULL;
    m = J("{\"anonymousId\":\"a\",\"event\":\"X\",\"timestamp\":\"2025-12-04T08:00:00Z\"}");
    assert_int_equal(track_map(m, TRACK_TRACK, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    expect(&f->o, "at", NULL, "\"2025-12-04T08:00:00.000Z\"");
    json_decref(m);
    m = J("{\"anonymousId\":\"a\",\"event\":\"X\",\"sentAt\":\"nonsense\","
          "\"timestamp\":\"2025-12-04T08:00:00Z\"}");
    assert_int_equal(track_map(m, TRACK_TRACK, false, &f->c, "batch[2]", &f->a, &f->o, &f->err),
                     KT_EINVAL);
    assert_string_equal(f->err.code, "invalid_time");
    assert_string_equal(f->err.field, "batch[2].sentAt");
    json_decref(m);
    json_decref(sent);
}

static void identify_goes_to_the_profile(void **state)
{
    struct fx *f = *state;
    json_t *m = J("{\"userId\":42,\"anonymousId\":\"d-1\",\"timestamp\":\"2025-12-04T09:00:00Z\","
                  "\"context\":{\"library\":{\"name\":\"analytics-android\"}},"
                  "\"traits\":{\"name\":\"Иванова Анна\",\"email\":\"a@example.org\","
                  "\"birthday\":\"1990-04-01T00:00:00.000Z\",\"pets\":[\"cat\"],"
                  "\"address\":{\"city\":\"Тула\",\"street\":\"Ленина, 1\"},\"plan\":\"gold\"}}");
    assert_int_equal(track_map(m, TRACK_IDENTIFY, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    assert_int_equal(f->o.kind, TRACK_AS_CUSTOMER);
    expect(&f->o, "source", NULL, "{\"channel\":\"app\",\"at\":\"2025-12-04T09:00:00.000Z\"}");
    expect(&f->o, "identifiers", NULL,
           "{\"external\":{\"shop\":\"42\"},\"device\":\"d-1\",\"cookie\":[\"user:42\"]}");
    expect(&f->o, "profile", NULL,
           "{\"email\":\"a@example.org\",\"birth_date\":\"1990-04-01\",\"city\":\"Тула\","
           "\"address\":\"Ленина, 1\",\"full_name\":\"Иванова Анна\"}");
    expect(&f->o, "attributes", NULL, "{\"pets\":[\"cat\"]}");
    assert_int_equal(f->o.dropped, 1); /* plan: not an attribute the retailer declared */
    json_decref(m);
    /* an app's alias: the previous id is the device its events were kept under */
    m = J("{\"userId\":\"u\",\"previousId\":\"d-0\",\"context\":{\"library\":{\"name\":"
          "\"analytics-ios\"}}}");
    assert_int_equal(track_map(m, TRACK_ALIAS, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    expect(&f->o, "identifiers", NULL,
           "{\"external\":{\"shop\":\"u\"},\"device\":\"d-0\",\"cookie\":[\"user:u\"]}");
    json_decref(m);
}

static void what_makes_no_message_is_refused(void **state)
{
    struct fx *f = *state;
    static const struct {
        enum track_call call;
        const char *json, *code, *field;
    } cases[] = {
        {TRACK_TRACK, "{\"event\":\"X\"}", "missing_field", "m.userId"},
        {TRACK_TRACK, "{\"userId\":\"u\"}", "missing_field", "m.event"},
        {TRACK_TRACK, "{\"userId\":\"u\",\"event\":7}", "invalid_value", "m.event"},
        {TRACK_ALIAS, "{\"userId\":\"u\"}", "missing_field", "m.previousId"},
        {TRACK_PAGE, "{\"userId\":\"u\",\"timestamp\":5}", "invalid_time", "m.timestamp"},
        {TRACK_IDENTIFY, "{\"userId\":\"u\",\"traits\":[]}", "wrong_type", "m.traits"},
        {TRACK_SCREEN, "{\"userId\":\"u\",\"messageId\":\"\"}", "invalid_value", "m.messageId"},
        {TRACK_GROUP, "{\"groupId\":\"g\"}", "missing_field", "m.userId"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *m = J(cases[i].json);
        kt_err_reset(&f->err);
        assert_int_equal(track_map(m, cases[i].call, false, &f->c, "m", &f->a, &f->o, &f->err),
                         KT_EINVAL);
        assert_string_equal(f->err.code, cases[i].code);
        assert_string_equal(f->err.field, cases[i].field);
        json_decref(m);
    }
    json_t *m = J("{\"userId\":\"u\",\"groupId\":\"g\"}");
    assert_int_equal(track_map(m, TRACK_GROUP, false, &f->c, "", &f->a, &f->o, &f->err), KT_OK);
    assert_int_equal(f->o.kind, TRACK_AS_NOTHING);
    json_decref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calls_are_named_in_full_or_by_their_letter),
        cmocka_unit_test_setup_teardown(ecommerce_names_map_onto_the_standard_types, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(other_names_are_kept_as_track, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(the_clients_clock_is_corrected, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(identify_goes_to_the_profile, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(what_makes_no_message_is_refused, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
