/*
 * keys.c - API key creation and verification (see keys.h). Comparisons of secrets are constant
 * time; the error for a bad key is the same whatever was wrong with it.
 */
#include "auth/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/id.h"

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

static bool from_hex(const char *hex, struct key_secret *out)
{
    size_t bin_len = 0;
    const char *end = NULL;
    if (sodium_hex2bin(out->k, sizeof(out->k), hex, strlen(hex), " \n\r\t", &bin_len, &end) != 0) {
        return false;
    }
    return bin_len == sizeof(out->k) && (end == NULL || *end == '\0');
}

static enum kt_rc secret_create(const char *path, struct key_secret *out, struct kt_err *err)
{
    randombytes_buf(out->k, sizeof(out->k));
    char hex[sizeof(out->k) * 2 + 1];
    sodium_bin2hex(hex, sizeof(hex), out->k, sizeof(out->k));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        kt_err_set(err, KT_EINTERNAL, "secret_file", NULL, "cannot create the secret file '%s'",
                   path);
        kt_err_detail(err, "%s", strerror(errno));
        return KT_EINTERNAL;
    }
    char line[sizeof(hex) + 1];
    kt_snprintf(line, sizeof(line), "%s\n", hex);
    size_t len = strlen(line);
    ssize_t w = write(fd, line, len);
    int rc = fsync(fd);
    close(fd);
    sodium_memzero(line, sizeof(line));
    sodium_memzero(hex, sizeof(hex));
    if (w != (ssize_t)len || rc != 0) {
        unlink(path);
        return kt_err_set(err, KT_EINTERNAL, "secret_file", NULL,
                          "cannot write the secret file '%s'", path);
    }
    return KT_OK;
}

enum kt_rc keys_secret_load(const char *path, const char *env_hex, struct key_secret *out,
                            bool *created, struct kt_err *err)
{
    *created = false;
    if (env_hex != NULL && env_hex[0] != '\0') {
        if (!from_hex(env_hex, out)) {
            return kt_err_set(err, KT_EINVAL, "bad_secret", NULL,
                              "KARTOTEKA_SECRET must be 64 hexadecimal digits");
        }
        return KT_OK;
    }
    FILE *f = fopen(path, "re");
    if (f == NULL && errno == ENOENT) {
        *created = true;
        return secret_create(path, out, err);
    }
    if (f == NULL) {
        kt_err_set(err, KT_EINTERNAL, "secret_file", NULL, "cannot read the secret file '%s'",
                   path);
        kt_err_detail(err, "%s", strerror(errno));
        return KT_EINTERNAL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
        fclose(f);
        return kt_err_set(err, KT_EINVAL, "secret_file", NULL,
                          "the secret file '%s' is readable by others; chmod 600 it", path);
    }
    char hex[160] = {0};
    size_t n = fread(hex, 1, sizeof(hex) - 1, f);
    fclose(f);
    hex[n] = '\0';
    bool ok = from_hex(hex, out);
    sodium_memzero(hex, sizeof(hex));
    if (!ok) {
        return kt_err_set(err, KT_EINVAL, "secret_file", NULL,
                          "the secret file '%s' does not hold 64 hexadecimal digits", path);
    }
    return KT_OK;
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
