/*
 * audit_keys.c - an API key created or revoked, with its entry in the audit log in the same
 * transaction: what `kartoteka keys create|revoke` and the settings screen's POST /v1/keys and
 * POST /v1/keys/{id}/revoke both do (consent.h). The entry names the key, its scope, expiry and
 * stores, never its secret; the caller who made the change is the entry's key (NULL: the CLI).
 */
#include <sodium.h>
#include <string.h>

#include "base/clock.h"
#include "consent/consent.h"

#define KEY_NAME_MAX 100

/* The audit entry of a creation: "create <id> <scope>[ expires <time>][ stores <json>]". */
static void create_detail(const struct api_key *k, char *out, size_t size)
{
    size_t len = kt_snprintf(out, size, "create %s %s", k->id, keys_scope_name(k->scope));
    if (k->expires_at != 0) {
        char t[40];
        time_format_rfc3339(k->expires_at, t, sizeof(t));
        len += kt_snprintf(out + len, size - len, " expires %s", t);
    }
    if (k->stores != NULL) {
        kt_snprintf(out + len, size - len, " stores %s", k->stores);
    }
}

enum kt_rc audit_key_create(struct store *s, const struct key_secret *sec,
                            const struct audit_key_new *k, int64_t now, char *token,
                            struct api_key *out, struct kt_err *err)
{
    if (k->name == NULL || k->name[0] == '\0' || strlen(k->name) > KEY_NAME_MAX) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "name",
                          "a key's name says what it is for, 1-%d bytes", KEY_NAME_MAX);
    }
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = keys_create_limited(w, sec, k->name, k->scope, &k->limits, now, token, out, err);
    if (rc == KT_OK) {
        char detail[6600];
        create_detail(out, detail, sizeof(detail));
        rc = audit_write(w, k->actor, "key", NULL, NULL, detail, k->request_id, now, err);
    }
    rc = store_write_end(w, rc, err);
    if (rc != KT_OK) {
        sodium_memzero(token, KEY_TOKEN_MAX);
    }
    return rc;
}

enum kt_rc audit_key_revoke(struct store *s, const char *id, const char *actor,
                            const char *request_id, int64_t now, struct kt_err *err)
{
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = store_key_revoke(w, id, now, err);
    if (rc == KT_OK) {
        char detail[64];
        kt_snprintf(detail, sizeof(detail), "revoke %s", id);
        rc = audit_write(w, actor, "key", NULL, NULL, detail, request_id, now, err);
    }
    return store_write_end(w, rc, err);
}
