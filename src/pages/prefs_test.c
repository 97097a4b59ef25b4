/*
 * prefs_test.c - the preferences page on a real store (prefs.c, prefs_rights.c): a save changes
 * only the boxes she changed, never one changed elsewhere meanwhile, nor one she was not offered;
 * "all" turns every topic off and withdraws each given ads consent, not the pd_processing one; a
 * spent, foreign or missing form token and a filled honeypot change nothing; "what we hold"
 * shows her data with the contacts masked; an erasure request gets the register's deadline and
 * a second one is refused while it is open; the masks themselves.
 */
#include "helpers.h"

#include "consent/consent.h"
#include "pages/prefs.h"

#define NOW 1780000000000LL

static const struct key_secret K = {{7}};

static struct customer cu;

/* A topic `key` sent by `channels` (a JSON array). */
static void topic(struct store_conn *w, const char *key, const char *title, const char *channels)
{
    struct topic t = {key, title, NULL, channels, NOW, NOW};
    assert_int_equal(store_topic_put(w, &t, NULL), KT_OK);
}

/* Her consents: pd_processing, and ads by each channel of `ads` (NULL-terminated). */
static void consents(struct store_conn *w, const char *const *ads)
{
    struct consent_actor who = {"web", NULL, NULL, NULL, "rid-test", cu.id, false};
    struct consent_doc d = {"pd", 0, "pd_processing", "ПДн", "Согласие.", NULL, 0, false, 0};
    struct consent_doc ad = {"ads", 0, "ads", "Реклама", "Согласие на рекламу.", NULL, 0, false, 0};
    assert_int_equal(consent_doc_publish(w, &d, NOW, &A, NULL), KT_OK);
    assert_int_equal(consent_doc_publish(w, &ad, NOW, &A, NULL), KT_OK);
    struct consent_input pd = {.purpose = "pd_processing",
                               .channel = "",
                               .granted = true,
                               .at = NOW,
                               .doc_key = "pd",
                               .form_id = "f-test"};
    assert_int_equal(consent_record(w, cu.ck, &pd, 1, &who, NOW, NULL, NULL), KT_OK);
    for (; *ads != NULL; ads++) {
        struct consent_input in = {.purpose = "ads",
                                   .channel = *ads,
                                   .granted = true,
                                   .at = NOW,
                                   .doc_key = "ads",
                                   .form_id = "f-test"};
        assert_int_equal(consent_record(w, cu.ck, &in, 1, &who, NOW, NULL, NULL), KT_OK);
    }
}

static void subscribe(struct store_conn *w, const char *t, const char *ch, bool on)
{
    struct consent_actor who = {"api", NULL, NULL, NULL, "rid-test", cu.id, false};
    int changed;
    assert_int_equal(subs_set(w, cu.ck, t, ch, on, "api", &who, NOW, &changed, NULL), KT_OK);
}

/* Promo by sms and email, pets by email; ads consent by email only; subscribed to pets. */
static int world(void **state)
{
    store_setup(state);
    audit_key_init(&K); /* the changes are audited */
    struct store_conn *w = wbegin();
    memset(&cu, 0, sizeof(cu));
    id_new(cu.id, sizeof(cu.id), "c_");
    cu.created_at = cu.updated_at = NOW;
    cu.val[PF_FIRST_NAME] = "Вера";
    cu.val[PF_PHONE] = "+79161234567";
    cu.val[PF_EMAIL] = "vera@example.org";
    assert_int_equal(store_customer_insert(w, &cu, NULL), KT_OK);
    topic(w, "promo", "Акции", "[\"sms\", \"email\"]");
    topic(w, "pets", "Для питомцев", "[\"email\"]");
    consents(w, (const char *const[]){"email", NULL});
    subscribe(w, "pets", "email", true);
    wcommit(w);
    return 0;
}

/* Her subscription `t` by `ch` now. */
static bool on(const char *t, const char *ch)
{
    struct store_conn *r = rbegin();
    struct sub_state *s;
    size_t n;
    bool v = false;
    assert_int_equal(subs_states(r, cu.ck, NOW, &A, &s, &n, NULL), KT_OK);
    for (size_t i = 0; i < n; i++) {
        v = v || (strcmp(s[i].topic, t) == 0 && strcmp(s[i].channel, ch) == 0 && s[i].subscribed);
    }
    store_read_end(r);
    return v;
}

static const char *ads_state(const char *ch)
{
    struct store_conn *r = rbegin();
    struct consent_state *s;
    size_t n;
    assert_int_equal(consent_states(r, cu.ck, NOW, &A, &s, &n, NULL), KT_OK);
    const char *v =
        arena_strdup(&A, consent_find(s, n, strcmp(ch, "") ? "ads" : "pd_processing", ch)->state);
    store_read_end(r);
    return v;
}

/* The preferences page's context now. */
static json_t *view(void)
{
    struct store_conn *r = rbegin();
    json_t *ctx = NULL;
    assert_int_equal(pages_prefs_view(r, &K, &cu, "/u/T", NULL, NOW, &A, &ctx, NULL), KT_OK);
    store_read_end(r);
    return ctx;
}

static void add(struct pages_form *f, const char *name, const char *value)
{
    f->name[f->n] = name;
    f->value[f->n++] = value;
}

static enum kt_rc submit(const struct pages_form *f, struct pages_prefs_result *out,
                         const char **code)
{
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc =
        pages_prefs_submit(T.s, &K, cu.id, f, "192.0.2.1", "rid", NOW + 1000, &A, out, &err);
    *code = arena_strdup(&A, err.code);
    return rc;
}

static void a_save_changes_only_what_she_changed(void **state)
{
    (void)state;
    json_t *ctx = view();
    const char *shown = json_string_value(json_object_get(ctx, "shown"));
    /* The SMS box is shown disabled (no ads consent by SMS) and is not hers to save. */
    assert_string_equal(shown, "pets:email=1 promo:email=0"); /* topics by key */
    assert_true(json_is_true(json_object_get(ctx, "any")));
    json_t *cell = json_array_get(
        json_object_get(json_array_get(json_object_get(ctx, "topics"), 1), "cells"), 0);
    assert_string_equal(json_string_value(json_object_get(cell, "value")), "promo:sms");
    assert_true(json_is_true(json_object_get(cell, "disabled")));
    /* Meanwhile the till unsubscribes pets - she did not touch that box. */
    struct store_conn *w = wbegin();
    subscribe(w, "pets", "email", false);
    wcommit(w);
    /* She ticks promo by e-mail, and by SMS through a forged box: only the first counts. */
    struct pages_form f = {0};
    add(&f, "csrf", json_string_value(json_object_get(ctx, "csrf")));
    add(&f, "action", "save");
    add(&f, "shown", shown);
    add(&f, "s", "promo:email");
    add(&f, "s", "pets:email");
    add(&f, "s", "promo:sms");
    struct pages_prefs_result out;
    const char *code;
    assert_int_equal(submit(&f, &out, &code), KT_OK);
    assert_string_equal(out.done, "saved");
    assert_int_equal(out.subscribed, 1);
    assert_int_equal(out.unsubscribed, 0);
    assert_true(on("promo", "email"));
    assert_false(on("pets", "email")); /* the till's change stands */
    assert_false(on("promo", "sms"));
    /* The same form again: its token is spent, nothing changes. */
    f.value[3] = "pets:email";
    assert_int_equal(submit(&f, &out, &code), KT_EFORBIDDEN);
    assert_string_equal(code, "csrf_replayed");
    assert_true(on("promo", "email"));
    json_decref(ctx);
}

static void all_withdraws_each_ads_consent_and_keeps_pd(void **state)
{
    (void)state;
    json_t *ctx = view();
    struct pages_form f = {0};
    /* Another form's token (the erasure's), then none: refused. */
    struct store_conn *r = rbegin();
    json_t *e = NULL;
    assert_int_equal(pages_erase_view(r, &K, &cu, "/u/T", NULL, false, false, NOW, &A, &e, NULL),
                     KT_OK);
    store_read_end(r);
    add(&f, "csrf", json_string_value(json_object_get(json_object_get(e, "form"), "csrf")));
    add(&f, "action", "all");
    struct pages_prefs_result out;
    const char *code;
    assert_int_equal(submit(&f, &out, &code), KT_EFORBIDDEN);
    assert_string_equal(code, "csrf_invalid");
    f.value[0] = NULL;
    assert_int_equal(submit(&f, &out, &code), KT_EFORBIDDEN);
    assert_true(on("pets", "email"));
    /* A robot fills the honeypot: thanked, nothing done. */
    f.value[0] = json_string_value(json_object_get(ctx, "csrf"));
    add(&f, "website", "http://spam.example");
    assert_int_equal(submit(&f, &out, &code), KT_OK);
    assert_true(on("pets", "email"));
    assert_string_equal(ads_state("email"), "given");
    /* Her own "all". */
    f.n = 2;
    f.value[0] = json_string_value(json_object_get(ctx, "csrf_all"));
    assert_int_equal(submit(&f, &out, &code), KT_OK);
    assert_string_equal(out.done, "all");
    assert_int_equal(out.unsubscribed, 1);
    assert_int_equal(out.withdrawn, 1);
    assert_false(on("pets", "email"));
    assert_string_equal(ads_state("email"), "withdrawn");
    assert_string_equal(ads_state("sms"), "not_given");
    assert_string_equal(ads_state(""), "given"); /* pd_processing: not an erasure */
    assert_int_equal(test_count("SELECT count(*) FROM audit WHERE action = 'unsubscribe' AND "
                                "key_id IS NULL"),
                     1);
    json_decref(ctx);
    json_decref(e);
}

/* "All" is offered while anything is left to stop: an ads consent without any subscription too. */
static void all_is_offered_while_a_consent_is_given(void **state)
{
    (void)state;
    struct store_conn *w = wbegin();
    subscribe(w, "pets", "email", false);
    wcommit(w);
    json_t *ctx = view();
    assert_true(json_is_true(json_object_get(ctx, "any")));
    json_decref(ctx);
    struct pages_form f = {0};
    ctx = view();
    add(&f, "csrf", json_string_value(json_object_get(ctx, "csrf_all")));
    add(&f, "action", "all");
    struct pages_prefs_result out;
    const char *code;
    assert_int_equal(submit(&f, &out, &code), KT_OK);
    assert_int_equal(out.withdrawn, 1);
    json_decref(ctx);
    ctx = view();
    assert_false(json_is_true(json_object_get(ctx, "any")));
    json_decref(ctx);
}

static void one_click_stops_what_the_token_names(void **state)
{
    (void)state;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(pages_prefs_one_click(T.s, cu.id, "pets", "email", "rid", NOW, &err), KT_OK);
    assert_false(on("pets", "email"));
    assert_string_equal(ads_state("email"), "given"); /* one topic: the consent stays */
    /* A topic that is gone: nothing left to stop, still 200 for the mail client. */
    assert_int_equal(pages_prefs_one_click(T.s, cu.id, "gone", "email", "rid", NOW, &err), KT_OK);
}

static void what_we_hold_is_her_data_masked(void **state)
{
    (void)state;
    struct store_conn *r = rbegin();
    json_t *ctx = NULL;
    assert_int_equal(pages_prefs_held(r, &cu, "/u/T", NOW, &A, &ctx, NULL), KT_OK);
    store_read_end(r);
    char *s = json_dumps(ctx, 0);
    assert_non_null(strstr(s, "\"label\": \"Имя\", \"value\": \"Вера\""));
    assert_non_null(strstr(s, "+7 *** ***-45-67"));
    assert_non_null(strstr(s, "v***@example.org"));
    assert_null(strstr(s, "+79161234567"));
    assert_null(strstr(s, "vera@example.org"));
    assert_non_null(strstr(s, "\"label\": \"Для питомцев\", \"channel\": \"эл. почта\""));
    assert_non_null(strstr(s, "\"label\": \"Реклама (эл. почта)\", \"state\": \"дано\""));
    assert_int_equal(json_integer_value(json_object_get(ctx, "purchase_count")), 0);
    free(s);
    json_decref(ctx);
}

static enum kt_rc erase(const char *csrf, bool confirm, struct pages_erase_result *out)
{
    struct pages_form f = {0};
    add(&f, "csrf", csrf);
    if (confirm) {
        add(&f, "confirm", "1");
    }
    return pages_erase_submit(T.s, &K, cu.id, &f, "rid", NOW, &A, out, NULL);
}

static const char *erase_token(void)
{
    struct store_conn *r = rbegin();
    json_t *e = NULL;
    assert_int_equal(pages_erase_view(r, &K, &cu, "/u/T", NULL, false, false, NOW, &A, &e, NULL),
                     KT_OK);
    store_read_end(r);
    json_t *form = json_object_get(e, "form");
    const char *t =
        form ? arena_strdup(&A, json_string_value(json_object_get(form, "csrf"))) : NULL;
    json_decref(e);
    return t;
}

static void an_erasure_request_has_the_registers_deadline_one_at_a_time(void **state)
{
    (void)state;
    struct pages_erase_result out;
    assert_int_equal(erase(erase_token(), false, &out), KT_OK);
    assert_non_null(out.error); /* the box not ticked: nothing registered */
    assert_int_equal(test_count("SELECT count(*) FROM privacy_requests"), 0);
    const char *a = erase_token(), *b = erase_token();
    assert_int_equal(erase(a, true, &out), KT_OK);
    assert_null(out.error);
    assert_false(out.already);
    char first[ID_MAX];
    kt_strlcpy(first, out.id, sizeof(first));
    struct store_conn *r = rbegin();
    struct privacy_request p;
    assert_int_equal(store_preq_get(r, first, &A, &p, NULL, NULL), KT_OK);
    store_read_end(r);
    int64_t due = 0;
    bool prov = false;
    assert_true(privacy_deadline("erasure", cal_day_of(NOW), false, &due, &prov));
    assert_string_equal(p.deadline, cal_format(due, &A));
    assert_string_equal(p.kind, "erasure");
    assert_string_equal(p.channel, "web");
    assert_string_equal(p.customer_id, cu.id);
    assert_null(p.key_id);
    /* The second tab's form: no second request, the open one named. */
    assert_int_equal(erase(b, true, &out), KT_OK);
    assert_true(out.already);
    assert_string_equal(out.id, first);
    assert_int_equal(test_count("SELECT count(*) FROM privacy_requests"), 1);
    assert_null(erase_token()); /* the page shows the request, no form */
    assert_int_equal(test_count("SELECT count(*) FROM audit WHERE action = 'request'"), 1);
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, world, store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        CASE(a_save_changes_only_what_she_changed),
        CASE(all_withdraws_each_ads_consent_and_keeps_pd),
        CASE(all_is_offered_while_a_consent_is_given),
        CASE(one_click_stops_what_the_token_names),
        CASE(what_we_hold_is_her_data_masked),
        CASE(an_erasure_request_has_the_registers_deadline_one_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
