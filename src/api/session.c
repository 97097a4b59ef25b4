/*
 * session.c - the console's session routes (docs/console.md, "People and sessions"; docs/api.md):
 * POST /v1/session logs in, GET shows the session, DELETE logs out. They need no key: the cookie
 * is the credential (http/cookie.c). A login is refused alike for an unknown e-mail, a wrong
 * password and a disabled user (401 wrong_credentials), each after one Argon2id check, and
 * counted against the e-mail and the client's address (429 locked_out past the limits).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/session.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/log.h"
#include "consent/consent.h"
#include "http/lockout.h"

#define WHO_CHARS 40 /* the lock-out's key of an e-mail: hex of 20 bytes of its tag */

json_t *api_user_json(const struct user *u)
{
    json_t *stores = u->row.stores != NULL ? json_loads(u->row.stores, 0, NULL) : NULL;
    return json_pack("{s:s, s:s, s:s, s:o, s:b}", "id", u->row.id, "email", u->email, "role",
                     u->row.role, "stores", stores != NULL ? stores : json_null(), "totp",
                     u->row.totp_on);
}

/* The Session object of the session API. */
static json_t *session_json(struct http_req *r, const struct session *s)
{
    return json_pack("{s:o, s:s, s:s, s:s, s:s}", "user", api_user_json(&s->user), "second_factor",
                     s->row.factor, "csrf_token", s->csrf, "idle_expires_at",
                     api_time(r->arena, s->idle_expires_at), "expires_at",
                     api_time(r->arena, s->row.expires_at));
}

/* A login's e-mail as the lock-out counts it: its tag (of the address's match form, or of what
 * was sent when it is none), in hex. */
static void login_who(struct http_req *r, const char *email, unsigned char tag[32], bool *valid,
                      char who[WHO_CHARS + 1])
{
    const char *display;
    struct kt_err ignored;
    kt_err_reset(&ignored);
    *valid = users_email_tag(&r->app->secret, email, r->arena, tag, &display, &ignored) == KT_OK;
    if (!*valid) {
        keys_tag(&r->app->secret, "kartoteka/login-other:", email, tag);
    }
    sodium_bin2hex(who, WHO_CHARS + 1, tag, WHO_CHARS / 2);
}

/* A wrong login: counted against the user of `tag` (none: the same statement changes nothing),
 * the e-mail and the address; a lock that begins is logged and audited (the address, never the
 * e-mail). */
static void login_failed(struct http_req *r, const unsigned char tag[32], const char *who,
                         int64_t mono)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(r->app->store, &w, &err);
    if (rc == KT_OK) {
        rc = store_user_failed(w, tag, clock_now_ms(), &err);
        rc = store_write_end(w, rc, &err);
    }
    if (rc != KT_OK) {
        log_warn("login_failed_count", "code=%s", err.code);
    }
    bool by_email = lockout_fail(r->app->login_email, who, mono);
    bool by_addr = lockout_fail(r->app->login_addr, r->ip, mono);
    if (by_email || by_addr) {
        log_warn("login_lockout", "ip=%s by=%s", r->ip, by_addr ? "address" : "email");
        audit_note(NULL, "lockout", NULL, 0,
                   by_addr ? "wrong logins from this address: locked out"
                           : "wrong logins for one e-mail: it is locked out",
                   NULL, r->rid, clock_now_ms());
    }
}

/* Seconds until this address and this e-mail may log in again; 0 when they may now. */
static int login_wait(struct http_req *r, const char *who, int64_t mono)
{
    int a = lockout_wait(r->app->login_addr, r->ip, mono);
    int e = lockout_wait(r->app->login_email, who, mono);
    return a > e ? a : e;
}

/* Begins the session of `u` (ending the request's old one) and replies it with its cookie. */
static enum kt_rc session_begin(struct http_req *r, const struct user *u, const char *factor,
                                int64_t expires_at, const char *verb, struct kt_err *err)
{
    struct session *s = arena_alloc(r->arena, sizeof(*s));
    char cookie[SESSION_ID_CHARS + 1];
    int64_t now = clock_now_ms();
    struct store_conn *w;
    http_req_reader_end(r);
    enum kt_rc rc = store_write_begin(r->app->store, &w, err);
    if (rc == KT_OK) {
        rc = session_start(w, &r->app->secret, &r->app->session, u->row.id, factor,
                           http_req_cookie(r, SESSION_COOKIE), now, expires_at, cookie, s, err);
        if (rc == KT_OK && u->row.failed != 0) {
            struct user_row row = u->row;
            row.failed = 0;
            rc = store_user_update(w, &row, err);
        }
        if (rc == KT_OK) {
            rc = audit_write(w, u->row.id, "session", NULL, NULL,
                             arena_printf(r->arena, "%s %s", verb, u->row.id), r->rid, now, err);
        }
        rc = store_write_end(w, rc, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    s->user = *u;
    http_set_session_cookie(r, cookie);
    sodium_memzero(cookie, sizeof(cookie));
    http_reply_json(r, 200, session_json(r, s));
    return KT_OK;
}

enum kt_rc api_session_login(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"email", "password", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *email = NULL, *password = NULL;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "email", 320, JSONX_REQUIRED, r->arena, &email, err) != KT_OK ||
        jsonx_str(body, "", "password", USER_PASSWORD_MAX, JSONX_REQUIRED, r->arena, &password,
                  err) != KT_OK) {
        return err->rc;
    }
    int64_t mono = clock_mono_ns() / 1000000;
    unsigned char tag[32];
    char who[WHO_CHARS + 1];
    bool valid;
    login_who(r, email, tag, &valid, who);
    int wait = login_wait(r, who, mono);
    if (wait > 0) { /* the right password too: a guesser who hits learns nothing while locked */
        return kt_err_limit(err, wait, "locked_out", NULL, "too many wrong logins; retry later");
    }
    struct store_conn *rd;
    struct user_row row;
    bool found = false;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        (valid && store_user_by_tag(rd, tag, r->arena, &row, &found, err) != KT_OK)) {
        return err->rc;
    }
    http_req_reader_end(r);
    bool ok = users_password_check(found ? row.pw_hash : NULL, password);
    struct user u;
    if (!ok || row.disabled_at != 0 || users_open(&r->app->secret, &row, r->arena, &u, err)) {
        if (err->rc != KT_OK) {
            return err->rc;
        }
        login_failed(r, tag, who, mono);
        return kt_err_set(err, KT_EAUTH, "wrong_credentials", NULL,
                          "the e-mail or the password is wrong");
    }
    return session_begin(r, &u, u.row.totp_on ? "needed" : "none", 0, "login", err);
}

enum kt_rc api_session_get(struct http_req *r, struct kt_err *err)
{
    struct session *s = arena_alloc(r->arena, sizeof(*s));
    if (http_session(r, true, s, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, session_json(r, s));
    return KT_OK;
}

enum kt_rc api_session_delete(struct http_req *r, struct kt_err *err)
{
    struct session *s = arena_alloc(r->arena, sizeof(*s));
    if (http_session(r, true, s, err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(r->app->store, &w, err);
    if (rc == KT_OK) {
        rc = session_end(w, &r->app->secret, http_req_cookie(r, SESSION_COOKIE), err);
        if (rc == KT_OK) {
            rc = audit_write(w, s->user.row.id, "session", NULL, NULL,
                             arena_printf(r->arena, "logout %s", s->user.row.id), r->rid,
                             clock_now_ms(), err);
        }
        rc = store_write_end(w, rc, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    http_set_session_cookie(r, NULL);
    http_reply_text(r, 204, "text/plain", "", 0);
    return KT_OK;
}
