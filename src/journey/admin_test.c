/*
 * admin_test.c - a journey's versions and moves on a real store: a new journey is version 1 and
 * a draft; the same document again (its keys in another order, other spacing) is no new
 * version; a changed one is version 2; a refused document stores nothing; start makes the latest
 * version live and sets started_at once; the moves a state does not allow are 409
 * journey_state; an archived journey takes no new version; each save and move is audited.
 */
#include "helpers.h"

#include "consent/consent.h"
#include "journey/admin.h"

static const struct key_secret K = {{9}};

static const char *const V1 =
    "{\"name\": \"Корзина\", \"entry\": {\"event\": {\"type\": \"cart_add\"}, \"key\": \"cart\"},"
    " \"steps\": [{\"wait\": {\"hours\": 1}}, {\"send\": {\"template\": \"cart-reminder\","
    " \"topic\": \"promo\"}}]}";
/* V1 with its keys in another order and no spaces */
static const char *const V1_AGAIN =
    "{\"steps\":[{\"wait\":{\"hours\":1}},{\"send\":{\"topic\":\"promo\",\"template\":"
    "\"cart-reminder\"}}],\"entry\":{\"key\":\"cart\",\"event\":{\"type\":\"cart_add\"}},"
    "\"name\":\"Корзина\"}";
static const char *const V2 =
    "{\"name\": \"Корзина\", \"entry\": {\"event\": {\"type\": \"cart_add\"}, \"key\": \"cart\"},"
    " \"steps\": [{\"wait\": {\"hours\": 2}}, {\"send\": {\"template\": \"cart-reminder\","
    " \"topic\": \"promo\"}}]}";

static void fixtures(void)
{
    audit_key_init(&K);
    struct store_conn *w = wbegin();
    test_template(w, "cart-reminder", "Корзина", "Вы кое-что забыли.");
    struct topic promo = {"promo", "Акции", NULL, "[\"email\"]", 1000, 1000};
    assert_int_equal(store_topic_put(w, &promo, NULL), KT_OK);
    wcommit(w);
}

static enum kt_rc save(const char *text, int64_t now, struct journey_row *j, bool *created,
                       bool *added, struct kt_err *err)
{
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    struct journey_actor who = {"k1", "r1"};
    kt_err_reset(err);
    enum kt_rc rc = journey_save(T.s, "cart", body, &who, now, &A, j, NULL, created, added, err);
    json_decref(body);
    return rc;
}

static void versions(void **state)
{
    (void)state;
    fixtures();
    struct journey_row j;
    struct kt_err err;
    bool created, added;
    assert_int_equal(save(V1, 1000, &j, &created, &added, &err), KT_OK);
    assert_true(created);
    assert_true(added);
    assert_int_equal(j.version, 1);
    assert_string_equal(j.state, "draft");
    assert_int_equal(j.live_version, 0);
    assert_int_equal(j.created_at, 1000);
    assert_string_equal(j.name, "Корзина");

    assert_int_equal(save(V1_AGAIN, 2000, &j, &created, &added, &err), KT_OK);
    assert_false(created);
    assert_false(added);
    assert_int_equal(j.version, 1);
    assert_int_equal(j.updated_at, 1000);

    assert_int_equal(save(V2, 3000, &j, &created, &added, &err), KT_OK);
    assert_false(created);
    assert_true(added);
    assert_int_equal(j.version, 2);
    assert_int_equal(j.created_at, 1000);
    assert_int_equal(j.updated_at, 3000);
    assert_int_equal(test_count("SELECT count(*) FROM journey_versions"), 2);

    /* refused: nothing stored, the path of the bad node */
    assert_int_equal(
        save("{\"name\": \"x\", \"entry\": {\"event\": {\"type\": \"cart_add\"}},"
             " \"steps\": [{\"send\": {\"template\": \"gone\", \"topic\": \"promo\"}}]}",
             4000, &j, &created, &added, &err),
        KT_EINVAL);
    assert_string_equal(err.code, "template_not_found");
    assert_string_equal(err.field, "steps[0].send.template");
    assert_int_equal(test_count("SELECT count(*) FROM journey_versions"), 2);
    assert_int_equal(test_count("SELECT version FROM journeys WHERE key = 'cart'"), 2);

    /* the stored document is the canonical text of the body */
    struct store_conn *r = rbegin();
    struct journey_version v;
    assert_int_equal(store_journey_version_get(r, "cart", 1, &A, &v, NULL, NULL), KT_OK);
    store_read_end(r);
    json_t *body = json_loads(V1, 0, NULL);
    assert_string_equal(v.doc, journey_doc_canonical(body, &A));
    json_decref(body);
    assert_string_equal(v.key_id, "k1");
    /* a version decoded as the engine reads it */
    struct journey_doc d;
    r = rbegin();
    assert_int_equal(journey_doc_load(r, "cart", 1, &A, &d, NULL), KT_OK);
    assert_int_equal(d.steps[0].duration_ms, 3600000);
    assert_int_equal(journey_doc_load(r, "cart", 0, &A, &d, NULL), KT_OK);
    assert_int_equal(d.steps[0].duration_ms, 7200000);
    kt_err_reset(&err);
    assert_int_equal(journey_doc_load(r, "cart", 3, &A, &d, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "journey_not_found");
    store_read_end(r);
    assert_int_equal(test_count("SELECT count(*) FROM audit WHERE action = 'journey'"), 2);

    json_t *badkey = json_loads(V1, 0, NULL);
    kt_err_reset(&err);
    assert_int_equal(
        journey_save(T.s, "Cart!", badkey, NULL, 5000, &A, &j, NULL, &created, &added, &err),
        KT_EINVAL);
    assert_string_equal(err.field, "key");
    json_decref(badkey);
}

static void act(const char *action, int64_t now, enum kt_rc want, const char *state)
{
    struct journey_row j;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(journey_act(T.s, "cart", action, NULL, now, &A, &j, &err), want);
    if (want != KT_OK) {
        assert_string_equal(err.code, "journey_state");
    }
    struct store_conn *r = rbegin();
    assert_int_equal(store_journey_get(r, "cart", &A, &j, NULL, NULL), KT_OK);
    store_read_end(r);
    assert_string_equal(j.state, state);
}

static void moves(void **state)
{
    (void)state;
    fixtures();
    struct journey_row j;
    struct kt_err err;
    bool created, added;
    assert_int_equal(save(V1, 1000, &j, &created, &added, &err), KT_OK);
    act("pause", 1100, KT_ECONFLICT, "draft");
    act("start", 1200, KT_OK, "active");
    act("start", 1250, KT_ECONFLICT, "active");
    assert_int_equal(test_count("SELECT live_version FROM journeys"), 1);
    assert_int_equal(test_count("SELECT started_at FROM journeys"), 1200);
    /* a new version is not live until the next start */
    assert_int_equal(save(V2, 1300, &j, &created, &added, &err), KT_OK);
    assert_string_equal(j.state, "active");
    assert_int_equal(test_count("SELECT live_version FROM journeys"), 1);
    act("pause", 1400, KT_OK, "paused");
    act("pause", 1450, KT_ECONFLICT, "paused");
    act("start", 1500, KT_OK, "active");
    assert_int_equal(test_count("SELECT live_version FROM journeys"), 2);
    assert_int_equal(test_count("SELECT started_at FROM journeys"), 1200);
    act("archive", 1600, KT_OK, "archived");
    act("archive", 1650, KT_ECONFLICT, "archived");
    act("start", 1700, KT_ECONFLICT, "archived");
    assert_int_equal(save(V1, 1800, &j, &created, &added, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "journey_state");
    assert_int_equal(test_count("SELECT count(*) FROM journey_versions"), 2);
    /* two saves and four moves */
    assert_int_equal(test_count("SELECT count(*) FROM audit WHERE action = 'journey'"), 6);
    kt_err_reset(&err);
    assert_int_equal(journey_act(T.s, "nobody", "start", NULL, 1900, &A, &j, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "journey_not_found");
}

int main(void)
{
#define CASE(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        CASE(versions),
        CASE(moves),
    };
#undef CASE
    return cmocka_run_group_tests(tests, NULL, NULL);
}
