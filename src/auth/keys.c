/*
 * keys.c - API key creation and verification (see keys.h). Comparisons of secrets are constant
 * time; the error for a bad key is the same whatever was wrong with it, and an expiry is told only
 * to whoever holds the secret. The store list of a limited key is kept as a JSON array so the
 * store's query can read it as it is (json_each).
 */
#include "auth/keys.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/id.h"
#include "crypt/crypt.h"

#define KEY_ID_CHARS     12
#define KEY_SECRET_CHARS 32

static const struct {
    enum key_scope scope;
    const char *name;
} scope_names[] = {
    {SCOPE_ADMIN, "admin"},       {SCOPE_POS, "pos"},         {SCOPE_COLLECT, "collect"},
    {SCOPE_DPO, "dpo"},           {SCOPE_AUDITOR, "auditor"}, {SCOPE_DELIVERIES, "deliveries"},
    {SCOPE_MARKETER, "marketer"}, {SCOPE_ANALYST, "analyst"}, {SCOPE_MANAGER, "store_manager"}};

#define N_SCOPES (sizeof(scope_names) / sizeof(scope_names[0]))

const char *keys_scope_name(enum key_scope scope)
{
    for (size_t i = 0; i < N_SCOPES; i++) {
        if (scope_names[i].scope == scope) {
            return scope_names[i].name;
        }
    }
    return "collect";
}

bool keys_scope_parse(const char *s, enum key_scope *out)
{
    for (size_t i = 0; i < N_SCOPES; i++) {
        if (strcmp(s, scope_names[i].name) == 0) {
            *out = scope_names[i].scope;
            return true;
        }
    }
    return false;
}

enum kt_rc keys_secret_load(const char *path, const char *env_hex, struct key_secret *out,
                            bool *created, struct kt_err *err)
{
    struct crypt_key_src src = {.env_hex = env_hex,
                                .env_name = "KARTOTEKA_SECRET",
                                .path = path,
                                .file_word = "secret file",
                                .code_file = "secret_file",
                                .code_env = "bad_secret",
                                .create = true};
    return crypt_key_load(&src, out->k, created, err);
}

const char *keys_outbox_id(const struct key_secret *k, const char *origin, struct arena *a)
{
    static const char ctx[] = "kartoteka/outbox/v1:";
    unsigned char h[KEYS_OUTBOX_ID_HEX / 2];
    crypto_generichash_state st;
    crypto_generichash_init(&st, k->k, sizeof(k->k), sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)ctx, sizeof(ctx) - 1);
    crypto_generichash_update(&st, (const unsigned char *)origin, strlen(origin));
    crypto_generichash_final(&st, h, sizeof(h));
    char hex[KEYS_OUTBOX_ID_HEX + 1];
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    return arena_printf(a, "m_%s", hex);
}

void keys_tag(const struct key_secret *k, const char *context, const char *value,
              unsigned char out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, k->k, sizeof(k->k), 32);
    crypto_generichash_update(&st, (const unsigned char *)context, strlen(context));
    crypto_generichash_update(&st, (const unsigned char *)value, strlen(value));
    crypto_generichash_final(&st, out, 32);
}

static void check_value(const struct key_secret *s, char hex[65])
{
    static const unsigned char label[] = "kartoteka key secret check v1";
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), label, sizeof(label) - 1, s->k, sizeof(s->k));
    sodium_bin2hex(hex, 65, h, sizeof(h));
}

enum kt_rc keys_secret_check(struct store_conn *w, const struct key_secret *s, struct kt_err *err)
{
    char want[65];
    check_value(s, want);
    struct arena a;
    arena_init(&a, 256);
    const char *have = NULL;
    bool set;
    enum kt_rc rc = store_meta_get(w, "key_secret_check", &a, &have, &set, err);
    if (rc == KT_OK && !set) {
        rc = store_meta_put(w, "key_secret_check", want, err);
    } else if (rc == KT_OK && strcmp(have, want) != 0) {
        rc = kt_err_set(err, KT_EINVAL, "secret_mismatch", NULL,
                        "the secret file does not belong to this database: its API keys would "
                        "all be refused; restore the original secret file or KARTOTEKA_SECRET");
    }
    arena_release(&a);
    return rc;
}

static void hash_secret(const struct key_secret *s, const char *secret, size_t len,
                        unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)secret, len, s->k, sizeof(s->k));
}

enum kt_rc keys_create(struct store_conn *w, const struct key_secret *s, const char *name,
                       enum key_scope scope, int64_t now, char *token, struct api_key *out,
                       struct kt_err *err)
{
    return keys_create_limited(w, s, name, scope, NULL, now, token, out, err);
}

static enum kt_rc limits_ok(enum key_scope scope, const struct key_limits *lim, int64_t now,
                            struct kt_err *err)
{
    if (lim->expires_at != 0 && lim->expires_at <= now) {
        return kt_err_set(err, KT_EINVAL, "bad_expiry", "expires_at",
                          "a key's expiry must lie in the future");
    }
    return keys_stores_fit(scope, lim->stores != NULL, err);
}

enum kt_rc keys_stores_fit(enum key_scope scope, bool has_stores, struct kt_err *err)
{
    /* A pos key reads and writes customers by store, a store manager's key reads them and must
     * name its stores; an admin or dpo key limited to stores would need every report, segment and
     * register filtered, which nothing here does. */
    if (has_stores && scope != SCOPE_POS && scope != SCOPE_MANAGER) {
        return kt_err_set(err, KT_EINVAL, "bad_stores", "stores",
                          "only a pos or store_manager key may be limited to stores");
    }
    if (!has_stores && scope == SCOPE_MANAGER) {
        return kt_err_set(err, KT_EINVAL, "bad_stores", "stores",
                          "a store_manager key must be limited to its stores");
    }
    return KT_OK;
}

enum kt_rc keys_create_limited(struct store_conn *w, const struct key_secret *s, const char *name,
                               enum key_scope scope, const struct key_limits *lim, int64_t now,
                               char *token, struct api_key *out, struct kt_err *err)
{
    static const struct key_limits none = {0, NULL};
    lim = lim != NULL ? lim : &none;
    if (limits_ok(scope, lim, now, err) != KT_OK) {
        return err ? err->rc : KT_EINVAL;
    }
    char secret[KEY_SECRET_CHARS + 1];
    memset(out, 0, sizeof(*out));
    id_random_text(out->id, KEY_ID_CHARS);
    id_random_text(secret, KEY_SECRET_CHARS);
    out->name = name;
    out->scope = scope;
    out->created_at = now;
    out->expires_at = lim->expires_at;
    out->stores = lim->stores;
    hash_secret(s, secret, KEY_SECRET_CHARS, out->hash);
    enum kt_rc rc = store_key_insert(w, out, err);
    if (rc == KT_OK) {
        kt_snprintf(token, KEY_TOKEN_MAX, "kt_%s_%s", out->id, secret);
    }
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

#define STORES_MAX     100
#define STORE_CODE_MAX 64 /* as a source's store (docs/api.md) */

static bool store_code_ok(const char *p, size_t n)
{
    if (n == 0 || n > STORE_CODE_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f) {
            return false;
        }
    }
    return true;
}

enum kt_rc keys_stores_parse(const char *list, struct arena *a, const char **json,
                             struct kt_err *err)
{
    json_t *arr = json_array();
    enum kt_rc rc = KT_OK;
    for (const char *p = list;; p++) {
        size_t n = strcspn(p, ",");
        json_t *code = json_stringn(p, n); /* NULL when not UTF-8 */
        bool twice = false;
        for (size_t i = 0; code != NULL && i < json_array_size(arr); i++) {
            twice = twice || json_equal(json_array_get(arr, i), code);
        }
        if (code == NULL || !store_code_ok(p, n) || twice || json_array_size(arr) == STORES_MAX) {
            json_decref(code);
            rc = kt_err_set(err, KT_EINVAL, "bad_stores", "stores",
                            "stores are 1-%d codes of 1-%d bytes separated by commas, none twice",
                            STORES_MAX, STORE_CODE_MAX);
            break;
        }
        json_array_append_new(arr, code);
        p += n;
        if (*p == '\0') {
            break;
        }
    }
    if (rc == KT_OK) {
        char *text = json_dumps(arr, JSON_COMPACT);
        *json = arena_strdup(a, text);
        free(text);
    }
    json_decref(arr);
    return rc;
}

bool keys_store_allowed(const struct api_key *k, const char *store)
{
    if (k->stores == NULL) {
        return true;
    }
    if (store == NULL) {
        return false;
    }
    json_t *arr = json_loads(k->stores, 0, NULL);
    bool ok = false;
    for (size_t i = 0; !ok && i < json_array_size(arr); i++) {
        const char *code = json_string_value(json_array_get(arr, i));
        ok = code != NULL && strcmp(code, store) == 0;
    }
    json_decref(arr);
    return ok;
}

static enum kt_rc bad_key(struct kt_err *err)
{
    return kt_err_set(err, KT_EAUTH, "invalid_key", NULL, "the API key is not valid");
}

enum kt_rc keys_verify(struct store_conn *r, const struct key_secret *s, const char *token,
                       size_t len, struct arena *a, struct api_key *out, struct kt_err *err)
{
    return keys_verify_at(r, s, token, len, clock_now_ms(), a, out, err);
}

enum kt_rc keys_verify_at(struct store_conn *r, const struct key_secret *s, const char *token,
                          size_t len, int64_t now, struct arena *a, struct api_key *out,
                          struct kt_err *err)
{
    /* kt_ + id + _ + secret */
    if (len != 3 + KEY_ID_CHARS + 1 + KEY_SECRET_CHARS || memcmp(token, "kt_", 3) != 0 ||
        token[3 + KEY_ID_CHARS] != '_') {
        return bad_key(err);
    }
    char id[KEY_ID_CHARS + 1];
    memcpy(id, token + 3, KEY_ID_CHARS);
    id[KEY_ID_CHARS] = '\0';
    bool found;
    enum kt_rc rc = store_key_get(r, id, a, out, &found, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!found) {
        return bad_key(err);
    }
    unsigned char h[32];
    hash_secret(s, token + 4 + KEY_ID_CHARS, KEY_SECRET_CHARS, h);
    if (sodium_memcmp(h, out->hash, sizeof(h)) != 0 || out->revoked_at != 0) {
        return bad_key(err);
    }
    if (out->expires_at != 0 && now >= out->expires_at) {
        return kt_err_set(err, KT_EAUTH, "key_expired", NULL,
                          "the API key expired; ask for a new one");
    }
    return KT_OK;
}
