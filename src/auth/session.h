/*
 * session.h - the console's sessions (issue 15, docs/console.md "People and sessions").
 *
 * A session is a row (0033_sessions.sql), not a signed cookie, so a logout or a disabled user
 * ends it at once. Its id is 256 random bits, sent as the cookie `kt_session` (43 base64url
 * characters); the row keeps only the id's keyed tag. The CSRF token is another keyed tag of the
 * id, so it is bound to the session and never stored. A session ends when idle longer than
 * `idle_ms` or `max_ms` after it began, whichever comes first. A new session is made at login and
 * again when the second factor passes (the old one deleted), so a cookie fixed before login never
 * becomes a logged-in one.
 */
#ifndef KT_AUTH_SESSION_H
#define KT_AUTH_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "auth/users.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#define SESSION_COOKIE     "kt_session"
#define SESSION_ID_CHARS   43 /* base64url of 32 bytes */
#define SESSION_CSRF_CHARS 43
#define SESSION_TOUCH_MS   60000 /* last_at is written at most once a minute */

struct session_conf {
    int64_t idle_ms; /* idle this long: ended (default 30 min) */
    int64_t max_ms;  /* this long after login: ended (default 12 h) */
};

/* A session as a caller sees one: its row, its user and the times and token it answers with. */
struct session {
    struct session_row row;
    struct user user;
    int64_t idle_expires_at; /* ms */
    char csrf[SESSION_CSRF_CHARS + 1];
};

/* Starts a session of `user_id` at `now` with `factor` ("none", "needed", "passed") and ends the
 * one of `old_cookie` (NULL or anything: none) in the same transaction; the cookie's value in
 * `cookie`; the row, times and CSRF token in `out` (its user is the caller's to fill). Sessions
 * past their times are deleted first. `expires_at` 0: now + max_ms, else that end is kept (the
 * second factor does not lengthen a session). */
enum kt_rc session_start(struct store_conn *w, const struct key_secret *k,
                         const struct session_conf *conf, const char *user_id, const char *factor,
                         const char *old_cookie, int64_t now, int64_t expires_at,
                         char cookie[SESSION_ID_CHARS + 1], struct session *out,
                         struct kt_err *err);

/* The session of `cookie` at `now` with its user (opened): KT_EAUTH no_session for none (or an
 * unknown, ended or disabled user's), session_expired for one past its times. */
enum kt_rc session_resolve(struct store_conn *c, const struct key_secret *k,
                           const struct session_conf *conf, const char *cookie, int64_t now,
                           struct arena *a, struct session *out, struct kt_err *err);

/* Whether last_at should be written (SESSION_TOUCH_MS passed). */
bool session_needs_touch(const struct session *s, int64_t now);

/* Ends the session of `cookie` (nothing when there is none). */
enum kt_rc session_end(struct store_conn *w, const struct key_secret *k, const char *cookie,
                       struct kt_err *err);

/* The CSRF header checked against the session's token, in constant time: KT_EFORBIDDEN
 * csrf_missing (no header) or csrf_wrong. */
enum kt_rc session_csrf_check(const struct session *s, const char *header, struct kt_err *err);

/* The session as the scope and stores of a caller (roles.h): a synthetic key whose id is the
 * user's, so routes, scopes, store limits and the audit log work as for an API key. */
void session_as_key(const struct session *s, struct api_key *out);

#endif
