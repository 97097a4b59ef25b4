/*
 * keys.c - /v1/keys: the API keys for the console's settings screen (issue 15, part 3), admin
 * only. A list shows what `kartoteka keys list` shows - never a secret nor its hash; a creation
 * answers the plain key once; a revocation takes effect on the next request. Creating and
 * revoking are the CLI's own functions (consent/audit_keys.c), audited the same way, the entry
 * naming the caller's key.
 */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"

#define KEYS_PAGE_MAX 1000

static json_t *time_or_null(struct arena *a, int64_t ms)
{
    return ms != 0 ? json_string(api_time(a, ms)) : json_null();
}

static json_t *key_json(struct arena *a, const struct api_key *k)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", k->id, "name", k->name, "scope",
                          keys_scope_name(k->scope), "created_at", api_time(a, k->created_at));
    json_object_set_new(o, "stores", k->stores ? json_loads(k->stores, 0, NULL) : json_null());
    json_object_set_new(o, "expires_at", time_or_null(a, k->expires_at));
    json_object_set_new(o, "revoked_at", time_or_null(a, k->revoked_at));
    return o;
}

/* GET /v1/keys?limit=&cursor= -> {items, next_cursor}, oldest first. */
enum kt_rc api_keys_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    struct store_conn *rd;
    struct api_key *keys;
    size_t n = 0;
    int limit;
    int64_t from = 0;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 100, KEYS_PAGE_MAX, &limit, err) != KT_OK ||
        api_cursor_num(r, "keys", "", &from, err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK ||
        store_key_list(rd, r->arena, &keys, &n, err) != KT_OK) {
        return err->rc;
    }
    if (from < 0) {
        return api_bad_cursor(err);
    }
    json_t *items = json_array();
    size_t i = (size_t)from;
    for (; i < n && json_array_size(items) < (size_t)limit; i++) {
        json_array_append_new(items, key_json(r->arena, &keys[i]));
    }
    const char *next = i < n ? arena_printf(r->arena, "%zu", i) : NULL;
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o}", "items", items, "next_cursor",
                              api_next_cursor(r, "keys", "", next)));
    return KT_OK;
}

/* The body's stores, ["S-12", "S-14"], as the JSON text a key keeps (keys_stores_parse's rules:
 * 1-100 codes of 1-64 bytes, none twice; a comma is refused, as the CLI's list cannot hold one). */
static enum kt_rc body_stores(const json_t *body, struct arena *a, const char **out,
                              struct kt_err *err)
{
    const json_t *arr = NULL;
    *out = NULL;
    if (jsonx_array(body, "", "stores", 1, 100, 0, &arr, err) != KT_OK) {
        return err->rc;
    }
    if (arr == NULL) {
        return KT_OK;
    }
    struct buf list;
    buf_init(&list, 0);
    enum kt_rc rc = KT_OK;
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        char field[32];
        const char *code;
        kt_snprintf(field, sizeof(field), "stores[%zu]", i);
        rc = jsonx_str_at(v, field, 64, JSONX_REQUIRED, a, &code, err);
        if (rc == KT_OK && strchr(code, ',') != NULL) {
            rc = kt_err_set(err, KT_EINVAL, "bad_stores", field, "a store code has no comma");
        }
        if (rc != KT_OK) {
            break;
        }
        buf_printf(&list, "%s%s", i ? "," : "", code);
    }
    if (rc == KT_OK) {
        rc = keys_stores_parse(buf_cstr(&list), a, out, err);
    }
    buf_release(&list);
    return rc;
}

/* POST /v1/keys {name, scope, expires_at?, stores?} -> 201 {key's members, token}. */
enum kt_rc api_keys_create(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"name", "scope", "expires_at", "stores", NULL};
    static const char *const scopes[] = {"admin",         "pos",        "collect",  "dpo",
                                         "auditor",       "deliveries", "marketer", "analyst",
                                         "store_manager", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    int64_t now = clock_now_ms();
    struct audit_key_new k = {.actor = r->key->id, .request_id = r->rid};
    const char *scope, *expires = NULL;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "name", 100, JSONX_REQUIRED, r->arena, &k.name, err) != KT_OK ||
        jsonx_enum(body, "", "scope", scopes, JSONX_REQUIRED, &scope, err) != KT_OK ||
        jsonx_str(body, "", "expires_at", 64, 0, r->arena, &expires, err) != KT_OK ||
        body_stores(body, r->arena, &k.limits.stores, err) != KT_OK) {
        return err->rc;
    }
    /* Not jsonx_time: its window ends minutes after now, and an expiry lies ahead (any time
     * after now: auth/keys.c refuses a past one, bad_expiry). */
    if (expires != NULL && !time_parse_rfc3339(expires, strlen(expires), &k.limits.expires_at)) {
        return kt_err_set(err, KT_EINVAL, "invalid_time", "expires_at",
                          "expires_at is an RFC 3339 time");
    }
    (void)keys_scope_parse(scope, &k.scope); /* one of the words above */
    if (keys_stores_fit(k.scope, k.limits.stores != NULL, err) != KT_OK) {
        return err->rc;
    }
    http_req_reader_end(r);
    char token[KEY_TOKEN_MAX];
    struct api_key key;
    if (audit_key_create(r->app->store, &r->app->secret, &k, now, token, &key, err) != KT_OK) {
        return err->rc;
    }
    json_t *o = key_json(r->arena, &key);
    json_object_set_new(o, "token", json_string(token));
    sodium_memzero(token, sizeof(token));
    http_reply_json(r, 201, o);
    return KT_OK;
}

/* POST /v1/keys/{id}/revoke -> 200 the key, revoked; 404 key_not_found when no active key has
 * that id (revoked already, or none). */
enum kt_rc api_keys_revoke(struct http_req *r, struct kt_err *err)
{
    const char *id = r->params[0];
    http_req_reader_end(r);
    if (audit_key_revoke(r->app->store, id, r->key->id, r->rid, clock_now_ms(), err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *rd;
    struct api_key key;
    bool found = false;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_key_get(rd, id, r->arena, &key, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) { /* revoked a moment ago: only a bug of the store gets here */
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the key revoked is gone");
    }
    http_reply_json(r, 200, key_json(r->arena, &key));
    return KT_OK;
}
