/*
 * users_test.c - the console's users and sessions (issue 15): an e-mail found by its tag in any
 * case and kept sealed, never in clear; the password as Argon2id, checked right and wrong, an
 * unknown user checked against a made-up hash; roles and stores together; a change ending the
 * sessions; sessions by the hash of their id, idle and absolute ends, rotation ending the old
 * one, the CSRF token bound to the session and compared whole; the role -> scope table.
 */
#include <pthread.h>

#include "helpers.h"

#include "auth/roles.h"
#include "auth/session.h"
#include "auth/users.h"

static struct key_secret K = {{'u', 's', 'e', 'r', 's'}};
static const struct session_conf CONF = {30 * 60000, 12 * 3600000};

static struct user create(const char *email, const char *role, const char *stores, enum kt_rc want,
                          const char *code)
{
    struct user u;
    struct kt_err err;
    kt_err_reset(&err);
    struct user_new in = {email, "correct horse battery", role, stores};
    struct store_conn *w = wbegin();
    assert_int_equal(users_create(w, &K, &in, 1000, &A, &u, &err), want);
    assert_int_equal(store_write_end(w, want, NULL), want == KT_OK ? KT_OK : want);
    if (code != NULL) {
        assert_string_equal(err.code, code);
    }
    return u;
}

static void users_are_found_by_tag_and_sealed(void **state)
{
    (void)state;
    struct user u = create("Ann.Lee@Example.COM", "admin", NULL, KT_OK, NULL);
    assert_true(id_valid(u.row.id, "u_") || strncmp(u.row.id, "u_", 2) == 0);
    assert_int_equal(strlen(u.row.id), 22);
    assert_string_equal(u.email, "ann.lee@example.com");
    /* nothing of the address in clear in the file */
    assert_int_equal(test_count("SELECT count(*) FROM users WHERE email LIKE '%example%' "
                                "OR CAST(email_tag AS TEXT) LIKE '%example%'"),
                     0);
    assert_int_equal(test_count("SELECT count(*) FROM users WHERE pw_hash LIKE '$argon2id$%'"), 1);
    create("ann.lee@example.com", "marketer", NULL, KT_ECONFLICT, "email_taken");

    struct store_conn *r = rbegin();
    struct user got;
    bool found = false;
    assert_int_equal(users_find(r, &K, "ANN.LEE@example.com", &A, &got, &found, NULL), KT_OK);
    assert_true(found);
    assert_string_equal(got.row.id, u.row.id);
    assert_string_equal(got.role->name, "admin");
    assert_int_equal(users_find(r, &K, "nobody@example.com", &A, &got, &found, NULL), KT_OK);
    assert_false(found);
    assert_int_equal(users_find(r, &K, "not an address", &A, &got, &found, NULL), KT_OK);
    assert_false(found);
    /* another installation's secret opens nothing */
    struct key_secret other = K;
    other.k[0] ^= 1;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(users_get(r, &other, u.row.id, &A, &got, &found, &err), KT_EINTERNAL);
    store_read_end(r);
}

static void roles_and_stores_go_together(void **state)
{
    (void)state;
    create("a@example.com", "root", NULL, KT_EINVAL, "bad_role");
    create("b@example.com", "store_manager", NULL, KT_EINVAL, "bad_stores");
    create("c@example.com", "analyst", "[\"S-1\"]", KT_EINVAL, "bad_stores");
    create("not-an-email", "admin", NULL, KT_EINVAL, "bad_email");
    struct user m = create("d@example.com", "store_manager", "[\"S-1\",\"S-2\"]", KT_OK, NULL);
    assert_int_equal(m.role->scope, SCOPE_MANAGER);
    assert_int_equal(role_find("admin")->scope, SCOPE_ADMIN);
    assert_int_equal(role_find("marketer")->scope, SCOPE_MARKETER);
    assert_int_equal(role_find("analyst")->scope, SCOPE_ANALYST);
    assert_int_equal(role_find("dpo")->scope, SCOPE_DPO);
    assert_null(role_find("pos"));
    struct user_new shortpw = {"e@example.com", "short", "admin", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    struct user u;
    struct store_conn *w = wbegin();
    assert_int_equal(users_create(w, &K, &shortpw, 1, &A, &u, &err), KT_EINVAL);
    assert_string_equal(err.code, "bad_password");
    store_write_end(w, KT_EINVAL, NULL);
}

static void passwords_are_checked(void **state)
{
    (void)state;
    struct user u = create("p@example.com", "admin", NULL, KT_OK, NULL);
    assert_true(users_password_check(u.row.pw_hash, "correct horse battery"));
    assert_false(users_password_check(u.row.pw_hash, "correct horse batterY"));
    assert_false(users_password_check(u.row.pw_hash, ""));
    assert_false(users_password_check(NULL, "correct horse battery"));
    char pw[USER_PASSWORD_GEN + 1], pw2[USER_PASSWORD_GEN + 1];
    users_password_new(pw);
    users_password_new(pw2);
    assert_int_equal(strlen(pw), USER_PASSWORD_GEN);
    assert_string_not_equal(pw, pw2);
}

/* Twelve logins at once: never more than USERS_HASHING Argon2id computations run together, and
 * every check still answers right. Before the gate, the peak was the number of threads. */
struct racer {
    const char *hash;
    bool ok;
};

static void *race_check(void *arg)
{
    struct racer *r = arg;
    r->ok = users_password_check(r->hash, "correct horse battery");
    return NULL;
}

static void hashing_is_gated(void **state)
{
    (void)state;
    struct user u = create("g@example.com", "admin", NULL, KT_OK, NULL);
    pthread_t t[12];
    struct racer r[12];
    for (size_t i = 0; i < 12; i++) {
        r[i] = (struct racer){u.row.pw_hash, false};
        assert_int_equal(pthread_create(&t[i], NULL, race_check, &r[i]), 0);
    }
    for (size_t i = 0; i < 12; i++) {
        pthread_join(t[i], NULL);
        assert_true(r[i].ok);
    }
    assert_true(users_hashing_peak() >= 1);
    assert_true(users_hashing_peak() <= USERS_HASHING);
}

static void sessions_live_and_end(void **state)
{
    (void)state;
    struct user u = create("s@example.com", "store_manager", "[\"S-1\"]", KT_OK, NULL);
    char c1[SESSION_ID_CHARS + 1], c2[SESSION_ID_CHARS + 1];
    struct session s1, s2, got;
    struct store_conn *w = wbegin();
    int64_t t0 = 1000000;
    assert_int_equal(
        session_start(w, &K, &CONF, u.row.id, "none", "fixed-by-attacker", t0, 0, c1, &s1, NULL),
        KT_OK);
    wcommit(w);
    assert_int_equal(strlen(c1), SESSION_ID_CHARS);
    assert_int_equal(s1.row.expires_at, t0 + CONF.max_ms);
    assert_int_equal(s1.idle_expires_at, t0 + CONF.idle_ms);
    /* only the hash is kept */
    assert_int_equal(test_count("SELECT count(*) FROM sessions"), 1);

    struct store_conn *r = rbegin();
    struct kt_err err;
    assert_int_equal(session_resolve(r, &K, &CONF, c1, t0 + 1000, &A, &got, NULL), KT_OK);
    assert_string_equal(got.user.row.id, u.row.id);
    assert_string_equal(got.csrf, s1.csrf);
    kt_err_reset(&err);
    assert_int_equal(session_resolve(r, &K, &CONF, c1, t0 + CONF.idle_ms, &A, &got, &err),
                     KT_EAUTH);
    assert_string_equal(err.code, "session_expired");
    kt_err_reset(&err);
    assert_int_equal(session_resolve(r, &K, &CONF, "x", t0, &A, &got, &err), KT_EAUTH);
    assert_string_equal(err.code, "no_session");
    store_read_end(r);

    /* the synthetic key: the user's id, the role's scope, the user's stores */
    struct api_key k;
    s1.user = u; /* session_start leaves the user to its caller */
    session_as_key(&s1, &k);
    assert_string_equal(k.id, u.row.id);
    assert_int_equal(k.scope, SCOPE_MANAGER);
    assert_string_equal(k.stores, "[\"S-1\"]");

    /* CSRF: missing, wrong (even one character), right */
    kt_err_reset(&err);
    assert_int_equal(session_csrf_check(&s1, NULL, &err), KT_EFORBIDDEN);
    assert_string_equal(err.code, "csrf_missing");
    char bad[SESSION_CSRF_CHARS + 1];
    kt_strlcpy(bad, s1.csrf, sizeof(bad));
    bad[5] = bad[5] == 'A' ? 'B' : 'A';
    kt_err_reset(&err);
    assert_int_equal(session_csrf_check(&s1, bad, &err), KT_EFORBIDDEN);
    assert_string_equal(err.code, "csrf_wrong");
    assert_int_equal(session_csrf_check(&s1, s1.csrf, NULL), KT_OK);

    /* touching keeps it alive past the first idle end; the absolute end still holds */
    w = wbegin();
    assert_int_equal(store_session_touch(w, s1.row.hash, t0 + CONF.idle_ms - 1, NULL), KT_OK);
    wcommit(w);
    r = rbegin();
    assert_int_equal(session_resolve(r, &K, &CONF, c1, t0 + CONF.idle_ms + 1, &A, &got, NULL),
                     KT_OK);
    kt_err_reset(&err);
    assert_int_equal(session_resolve(r, &K, &CONF, c1, t0 + CONF.max_ms, &A, &got, &err), KT_EAUTH);
    store_read_end(r);

    /* rotation: the new session ends the old cookie's, keeping its absolute end */
    w = wbegin();
    assert_int_equal(session_start(w, &K, &CONF, u.row.id, "passed", c1, t0 + 5000,
                                   s1.row.expires_at, c2, &s2, NULL),
                     KT_OK);
    wcommit(w);
    assert_string_not_equal(c1, c2);
    assert_string_not_equal(s1.csrf, s2.csrf);
    assert_int_equal(s2.row.expires_at, s1.row.expires_at);
    r = rbegin();
    kt_err_reset(&err);
    assert_int_equal(session_resolve(r, &K, &CONF, c1, t0 + 6000, &A, &got, &err), KT_EAUTH);
    assert_string_equal(err.code, "no_session");
    assert_int_equal(session_resolve(r, &K, &CONF, c2, t0 + 6000, &A, &got, NULL), KT_OK);
    store_read_end(r);

    /* disabling ends every session of the user at once */
    struct user_change ch = {NULL, NULL, false, 1, NULL, false};
    struct user after;
    w = wbegin();
    assert_int_equal(users_change(w, &K, u.row.id, &ch, t0 + 7000, &A, &after, NULL), KT_OK);
    wcommit(w);
    assert_int_not_equal(after.row.disabled_at, 0);
    assert_int_equal(test_count("SELECT count(*) FROM sessions"), 0);
    r = rbegin();
    kt_err_reset(&err);
    assert_int_equal(session_resolve(r, &K, &CONF, c2, t0 + 8000, &A, &got, &err), KT_EAUTH);
    store_read_end(r);
}

static void wrong_passwords_are_counted_by_tag(void **state)
{
    (void)state;
    struct user u = create("f@example.com", "dpo", NULL, KT_OK, NULL);
    unsigned char none[32] = {0};
    struct store_conn *w = wbegin();
    assert_int_equal(store_user_failed(w, u.row.email_tag, 5, NULL), KT_OK);
    assert_int_equal(store_user_failed(w, u.row.email_tag, 6, NULL), KT_OK);
    assert_int_equal(store_user_failed(w, none, 7, NULL), KT_OK); /* nobody: nothing */
    wcommit(w);
    assert_int_equal(test_count("SELECT failed FROM users"), 2);
    assert_int_equal(test_count("SELECT failed_at FROM users"), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(users_are_found_by_tag_and_sealed, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(roles_and_stores_go_together, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(passwords_are_checked, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(hashing_is_gated, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(sessions_live_and_end, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(wrong_passwords_are_counted_by_tag, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
