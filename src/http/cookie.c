/*
 * cookie.c - the console's session as the server sees it (http.h: http_session,
 * http_set_session_cookie): the kt_session cookie resolved to its session, the CSRF header of a
 * change checked, the session's last use kept, and the cookie set and cleared.
 */
#include <microhttpd.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "http/server_int.h"

const char *http_req_cookie(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->impl, MHD_COOKIE_KIND, name);
}

/* Writes the session's last use (at most once a minute): a failure is logged, not the
 * request's - the session then ends a minute early at worst. */
static void touch(struct http_req *r, const struct session *s, int64_t now)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    http_req_reader_end(r); /* a thread ends its read snapshot before it begins a write */
    enum kt_rc rc = store_write_begin(r->app->store, &w, &err);
    if (rc == KT_OK) {
        rc = store_session_touch(w, s->row.hash, now, &err);
        rc = store_write_end(w, rc, &err);
    }
    if (rc != KT_OK) {
        log_warn("session_touch", "code=%s", err.code);
    }
}

enum kt_rc http_session(struct http_req *r, bool needed_ok, struct session *out, struct kt_err *err)
{
    const char *cookie = http_req_cookie(r, SESSION_COOKIE);
    if (cookie == NULL) {
        return kt_err_set(err, KT_EAUTH, "no_session", NULL,
                          "no session: log in with POST /v1/session");
    }
    int64_t now = clock_now_ms();
    struct store_conn *rd;
    enum kt_rc rc = http_req_reader(r, &rd, err);
    if (rc == KT_OK) {
        rc =
            session_resolve(rd, &r->app->secret, &r->app->session, cookie, now, r->arena, out, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (!needed_ok && strcmp(out->row.factor, "needed") == 0) {
        return kt_err_set(err, KT_EAUTH, "second_factor_needed", NULL,
                          "the session needs its second factor: POST /v1/session/totp");
    }
    if (r->method != HTTP_GET &&
        session_csrf_check(out, http_req_header(r, "X-CSRF-Token"), err) != KT_OK) {
        return err->rc;
    }
    if (session_needs_touch(out, now)) {
        touch(r, out, now);
    } else if (r->method != HTTP_GET) {
        http_req_reader_end(r); /* a handler that writes must not hold a snapshot */
    }
    r->session = out;
    return KT_OK;
}

void http_set_session_cookie(struct http_req *r, const char *value)
{
    r->set_cookie =
        arena_printf(r->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", SESSION_COOKIE,
                     value != NULL ? value : "", value != NULL ? "" : "; Max-Age=0",
                     r->app->cookie_plain ? "" : "; Secure");
}
