/*
 * keys.c - API key creation and verification (see keys.h). Comparisons of secrets are constant
 * time; the error for a bad key is the same whatever was wrong with it.
 */
#include "auth/keys.h"

#include <sodium.h>
#include <string.h>

#include "base/id.h"
#include "crypt/crypt.h"

#define KEY_ID_CHARS     12
#define KEY_SECRET_CHARS 32

const char *keys_scope_name(enum key_scope scope)
{
    switch (scope) {
    case SCOPE_ADMIN:
        return "admin";
    case SCOPE_POS:
        return "pos";
    case SCOPE_COLLECT:
        return "collect";
    }
    return "collect";
}

bool keys_scope_parse(const char *s, enum key_scope *out)
{
    static const enum key_scope all[] = {SCOPE_ADMIN, SCOPE_POS, SCOPE_COLLECT};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(s, keys_scope_name(all[i])) == 0) {
            *out = all[i];
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
    char secret[KEY_SECRET_CHARS + 1];
    memset(out, 0, sizeof(*out));
    id_random_text(out->id, KEY_ID_CHARS);
    id_random_text(secret, KEY_SECRET_CHARS);
    out->name = name;
    out->scope = scope;
    out->created_at = now;
    hash_secret(s, secret, KEY_SECRET_CHARS, out->hash);
    enum kt_rc rc = store_key_insert(w, out, err);
    if (rc == KT_OK) {
        kt_snprintf(token, KEY_TOKEN_MAX, "kt_%s_%s", out->id, secret);
    }
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

static enum kt_rc bad_key(struct kt_err *err)
{
    return kt_err_set(err, KT_EAUTH, "invalid_key", NULL, "the API key is not valid");
}

enum kt_rc keys_verify(struct store_conn *r, const struct key_secret *s, const char *token,
                       size_t len, struct arena *a, struct api_key *out, struct kt_err *err)
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
    return KT_OK;
}
