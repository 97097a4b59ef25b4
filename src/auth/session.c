/*
 * session.c - the console's sessions (see session.h).
 */
#include "auth/session.h"

#include <sodium.h>
#include <string.h>

#define ID_CTX   "kartoteka/session:"
#define CSRF_CTX "kartoteka/csrf:"
#define B64      sodium_base64_VARIANT_URLSAFE_NO_PADDING

static bool cookie_shape(const char *cookie)
{
    if (cookie == NULL || strlen(cookie) != SESSION_ID_CHARS) {
        return false;
    }
    for (const char *p = cookie; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_')) {
            return false;
        }
    }
    return true;
}

static void csrf_of(const struct key_secret *k, const char *cookie,
                    char out[SESSION_CSRF_CHARS + 1])
{
    unsigned char t[32];
    keys_tag(k, CSRF_CTX, cookie, t);
    sodium_bin2base64(out, SESSION_CSRF_CHARS + 1, t, sizeof(t), B64);
}

/* When the session ends if nothing more comes: idle, or its absolute end if sooner. */
static void idle_end(struct session *s, const struct session_conf *conf)
{
    s->idle_expires_at = s->row.last_at + conf->idle_ms;
    if (s->idle_expires_at > s->row.expires_at) {
        s->idle_expires_at = s->row.expires_at;
    }
}

enum kt_rc session_start(struct store_conn *w, const struct key_secret *k,
                         const struct session_conf *conf, const char *user_id, const char *factor,
                         const char *old_cookie, int64_t now, int64_t expires_at,
                         char cookie[SESSION_ID_CHARS + 1], struct session *out, struct kt_err *err)
{
    enum kt_rc rc = store_session_expire(w, now, now - conf->idle_ms, err);
    if (rc == KT_OK && cookie_shape(old_cookie)) {
        rc = session_end(w, k, old_cookie, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    unsigned char id[32];
    randombytes_buf(id, sizeof(id));
    sodium_bin2base64(cookie, SESSION_ID_CHARS + 1, id, sizeof(id), B64);
    sodium_memzero(id, sizeof(id));
    memset(out, 0, sizeof(*out));
    struct session_row *row = &out->row;
    keys_tag(k, ID_CTX, cookie, row->hash);
    kt_strlcpy(row->user_id, user_id, sizeof(row->user_id));
    row->factor = factor;
    row->created_at = row->last_at = now;
    row->expires_at = expires_at != 0 ? expires_at : now + conf->max_ms;
    idle_end(out, conf);
    csrf_of(k, cookie, out->csrf);
    return store_session_insert(w, row, err);
}

enum kt_rc session_resolve(struct store_conn *c, const struct key_secret *k,
                           const struct session_conf *conf, const char *cookie, int64_t now,
                           struct arena *a, struct session *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    bool found = false;
    enum kt_rc rc = KT_OK;
    if (cookie_shape(cookie)) {
        unsigned char hash[32];
        keys_tag(k, ID_CTX, cookie, hash);
        rc = store_session_get(c, hash, a, &out->row, &found, err);
    }
    if (rc == KT_OK && found) {
        rc = users_get(c, k, out->row.user_id, a, &out->user, &found, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (!found || out->user.row.disabled_at != 0) {
        return kt_err_set(err, KT_EAUTH, "no_session", NULL,
                          "no session: log in with POST /v1/session");
    }
    idle_end(out, conf);
    if (now >= out->idle_expires_at) {
        return kt_err_set(err, KT_EAUTH, "session_expired", NULL,
                          "the session has expired; log in again");
    }
    csrf_of(k, cookie, out->csrf);
    return KT_OK;
}

bool session_needs_touch(const struct session *s, int64_t now)
{
    return now - s->row.last_at >= SESSION_TOUCH_MS;
}

enum kt_rc session_end(struct store_conn *w, const struct key_secret *k, const char *cookie,
                       struct kt_err *err)
{
    if (!cookie_shape(cookie)) {
        return KT_OK;
    }
    unsigned char hash[32];
    keys_tag(k, ID_CTX, cookie, hash);
    return store_session_end(w, hash, err);
}

enum kt_rc session_csrf_check(const struct session *s, const char *header, struct kt_err *err)
{
    if (header == NULL || header[0] == '\0') {
        return kt_err_set(err, KT_EFORBIDDEN, "csrf_missing", NULL,
                          "a change made with the session cookie needs the header "
                          "'X-CSRF-Token: <csrf_token>'");
    }
    if (strlen(header) != SESSION_CSRF_CHARS ||
        sodium_memcmp(header, s->csrf, SESSION_CSRF_CHARS) != 0) {
        return kt_err_set(err, KT_EFORBIDDEN, "csrf_wrong", NULL,
                          "X-CSRF-Token is not this session's csrf_token");
    }
    return KT_OK;
}

void session_as_key(const struct session *s, struct api_key *out)
{
    memset(out, 0, sizeof(*out));
    kt_strlcpy(out->id, s->user.row.id, sizeof(out->id));
    out->name = "session";
    out->scope = s->user.role->scope;
    out->created_at = s->row.created_at;
    out->expires_at = s->row.expires_at;
    out->stores = s->user.role->stores ? s->user.row.stores : NULL;
}
