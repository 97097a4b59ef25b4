/*
 * common.c - what the command-line verbs share: the database path and opening it, the secret,
 * how a failure and a bad usage are told.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "base/num.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "crypt/crypt.h"
#include "store/store.h"

const char *cli_default_db(void)
{
    const char *v = getenv("KARTOTEKA_DB");
    return v != NULL && v[0] != '\0' ? v : "data/kartoteka.db";
}

/* Set once, by the verb's thread, before it opens a store (cli_db_read_use). */
static const char *db_read;

void cli_db_read_use(const char *flag)
{
    const char *v = flag != NULL ? flag : getenv("KARTOTEKA_DB_READ");
    db_read = v != NULL && v[0] != '\0' ? v : NULL;
}

/* Creates the database's directory when it is missing (one level, as `make run` needs). */
static int ensure_dir(const char *db)
{
    const char *slash = strrchr(db, '/');
    if (slash == NULL || slash == db) {
        return 0;
    }
    char dir[4096];
    if ((size_t)(slash - db) >= sizeof(dir)) {
        return -1;
    }
    memcpy(dir, db, (size_t)(slash - db));
    dir[slash - db] = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "kartoteka: cannot create the directory '%s': %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* The value of a flag, else of its environment variable, else NULL. */
static const char *flag_or_env(const char *flag, const char *env)
{
    const char *v = flag != NULL ? flag : getenv(env);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* A key file beside the database ("<db>.master") unless one is named. */
static void key_path(const char *named, const char *db, const char *ext, char *out, size_t cap)
{
    if (named != NULL) {
        kt_strlcpy(out, named, cap);
    } else {
        kt_snprintf(out, cap, "%s%s", db, ext);
    }
}

int cli_sealed_fields_parse(const char *text, int *out)
{
    *out = 0;
    if (strcmp(text, "none") == 0 || text[0] == '\0') {
        return 0;
    }
    char buf[128];
    kt_strlcpy(buf, text, sizeof(buf));
    for (char *save = NULL, *f = strtok_r(buf, ",", &save); f != NULL;
         f = strtok_r(NULL, ",", &save)) {
        int pf = pf_lookup(f);
        if (pf < 0 || ((1u << pf) & STORE_SEALABLE) == 0) {
            return -1;
        }
        *out |= 1 << pf;
    }
    return 0;
}

/* Loads the master key and the installation secret as the flags and the environment say, and
 * makes the keyring. The master key file is made only with the key store: a database whose key
 * store exists never gets a new master key by accident. `made` gets the path of a master key
 * file this call made (empty when none), for the caller to take back if the open fails. */
static struct crypt *load_keyring(const char *db, const struct cli_keys *k, char made[4200],
                                  struct kt_err *err)
{
    made[0] = '\0';
    char mpath[4200], spath[4200], kspath[4200];
    bool pg = store_is_pg(db);
    if (pg && ((flag_or_env(k->master_file, "KARTOTEKA_MASTER_KEY_FILE") == NULL &&
                flag_or_env(NULL, "KARTOTEKA_MASTER_KEY") == NULL) ||
               (flag_or_env(k->secret_file, "KARTOTEKA_SECRET_FILE") == NULL &&
                flag_or_env(NULL, "KARTOTEKA_SECRET") == NULL))) {
        kt_err_set(err, KT_EINVAL, "keys_not_named", NULL,
                   "with a PostgreSQL database, name the master key and the installation secret "
                   "(--master-key-file and --secret-file, or KARTOTEKA_MASTER_KEY_FILE and "
                   "KARTOTEKA_SECRET_FILE): every server over it must use the same two");
        return NULL;
    }
    key_path(flag_or_env(k->master_file, "KARTOTEKA_MASTER_KEY_FILE"), db, ".master", mpath,
             sizeof(mpath));
    key_path(flag_or_env(k->secret_file, "KARTOTEKA_SECRET_FILE"), db, ".secret", spath,
             sizeof(spath));
    kt_snprintf(kspath, sizeof(kspath), "%s.keys", db); /* SQLite's; PostgreSQL's is a database */
    struct crypt_key_src msrc = {.env_hex = flag_or_env(NULL, "KARTOTEKA_MASTER_KEY"),
                                 .env_name = "KARTOTEKA_MASTER_KEY",
                                 .path = mpath,
                                 .file_word = "master key file",
                                 .code_file = "master_key_file",
                                 .code_env = "bad_master_key",
                                 .create = pg || access(kspath, F_OK) != 0};
    unsigned char master[CRYPT_KEY_BYTES], next[CRYPT_KEY_BYTES];
    struct key_secret secret;
    bool created = false, screated = false, ncreated = false;
    enum kt_rc rc = crypt_key_load(&msrc, master, &created, err);
    if (rc == KT_OK) {
        rc =
            keys_secret_load(spath, flag_or_env(NULL, "KARTOTEKA_SECRET"), &secret, &screated, err);
    }
    if (rc == KT_OK) {
        audit_key_init(&secret); /* every verb that opens the store can write the audit log */
    }
    if (rc == KT_OK && k->next_master_file != NULL) {
        struct crypt_key_src nsrc = {.env_name = "--new-key-file",
                                     .path = k->next_master_file,
                                     .file_word = "new master key file",
                                     .code_file = "master_key_file",
                                     .code_env = "bad_master_key",
                                     .create = false};
        rc = crypt_key_load(&nsrc, next, &ncreated, err);
    }
    int64_t cache = k->key_cache;
    const char *env_cache = flag_or_env(NULL, "KARTOTEKA_KEY_CACHE");
    if (cache == 0 && env_cache != NULL &&
        (!num_parse_cstr(env_cache, 0, 1 << 26, &cache) || (cache > 0 && cache < 1024))) {
        rc = kt_err_set(err, KT_EINVAL, "bad_key_cache", NULL,
                        "KARTOTEKA_KEY_CACHE must be 0 (fitted) or a number of keys from 1024 to "
                        "67108864");
    }
    struct crypt *c = NULL;
    if (rc == KT_OK) {
        struct crypt_opts co = {master, secret.k, (size_t)cache};
        c = crypt_new(&co);
        if (k->next_master_file != NULL) {
            crypt_set_next(c, next);
        }
    }
    if (created) {
        kt_strlcpy(made, mpath, 4200);
    }
    if (screated && !pg && access(kspath, F_OK) == 0) {
        /* a new secret beside an existing key store cannot fit its indexes: the open that
         * follows refuses it (secret_mismatch), and the file must not stay to confuse the next */
        unlink(spath);
    }
    sodium_memzero(master, sizeof(master));
    sodium_memzero(next, sizeof(next));
    sodium_memzero(&secret, sizeof(secret));
    return c;
}

struct store *cli_open_store_keys(const char *db, int busy_ms, int64_t max_bytes,
                                  enum store_schema_mode mode, const struct cli_keys *k)
{
    static const struct cli_keys none;
    if (!store_is_pg(db) && ensure_dir(db) != 0) {
        return NULL;
    }
    k = k ? k : &none;
    struct kt_err err;
    kt_err_reset(&err);
    struct store_opts so = {
        db, busy_ms, 0, mode, max_bytes, NULL, -1, k->warm, k->read_db ? k->read_db : db_read};
    const char *sealed = flag_or_env(k->sealed_fields, "KARTOTEKA_SEALED_FIELDS");
    if (sealed != NULL && cli_sealed_fields_parse(sealed, &so.sealed_fields) != 0) {
        fprintf(stderr, "kartoteka: --sealed-fields (KARTOTEKA_SEALED_FIELDS) takes city, "
                        "birth_date and gender, comma-separated, or none\n");
        return NULL;
    }
    char made[4200] = "";
    if (!k->no_keys) {
        so.crypt = load_keyring(db, k, made, &err);
        if (so.crypt == NULL && made[0] != '\0') {
            unlink(made);
        }
        if (so.crypt == NULL) {
            fprintf(stderr, "kartoteka: the keys: %s%s%s\n", err.msg, err.detail[0] ? " - " : "",
                    err.detail);
            return NULL;
        }
    }
    struct store *s = NULL;
    if (store_open(&so, &s, &err) != KT_OK) {
        fprintf(stderr, "kartoteka: cannot open the database: %s%s%s\n", err.msg,
                err.detail[0] ? " - " : "", err.detail);
        if (made[0] != '\0') {
            unlink(made); /* a new master key only goes with the key store it started */
        }
        return NULL;
    }
    if (made[0] != '\0') {
        log_info("master_key_created", "file=%s", made);
    }
    return s;
}

struct store *cli_open_store_mode(const char *db, int busy_ms, int64_t max_bytes,
                                  enum store_schema_mode mode)
{
    return cli_open_store_keys(db, busy_ms, max_bytes, mode, NULL);
}

struct store *cli_open_store(const char *db)
{
    return cli_open_store_mode(db, 5000, 0, STORE_MIGRATE);
}

int cli_load_secret(struct store *s, const char *db, struct key_secret *out)
{
    return cli_load_secret_file(s, db, NULL, out);
}

void cli_print_json(const json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    puts(text ? text : "null");
    free(text);
}

int cli_usage(const char *verb, const char *msg)
{
    fprintf(stderr, "kartoteka %s: %s\nTry 'kartoteka %s --help'.\n", verb, msg, verb);
    return 2;
}

/* The index of the flag argv[i] names ("--name VALUE" or "--name=VALUE") among `flags`, or -1;
 * *value (NULL when the value is missing) and *used (argv items) set. */
static int flag_of(int argc, char **argv, int i, const struct cli_flag *flags, int n,
                   const char **value, int *used)
{
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) {
        return -1;
    }
    for (int f = 0; f < n; f++) {
        size_t len = strlen(flags[f].flag);
        if (strncmp(a + 2, flags[f].flag, len) != 0) {
            continue;
        }
        if (a[2 + len] == '=') {
            *value = a + 3 + len;
            *used = 1;
            return f;
        }
        if (a[2 + len] == '\0') {
            *value = i + 1 < argc ? argv[i + 1] : NULL;
            *used = 2;
            return f;
        }
    }
    return -1;
}

int cli_take_flags(const char *verb, int *argc, char **argv, const struct cli_flag *flags, int n,
                   const char **v)
{
    for (int f = 0; f < n; f++) {
        const char *e = getenv(flags[f].env);
        v[f] = e != NULL && e[0] != '\0' ? e : flags[f].def;
    }
    int out = 1; /* argv[0] stays */
    for (int i = 1; i < *argc;) {
        const char *value = NULL;
        int used = 1, f = flag_of(*argc, argv, i, flags, n, &value, &used);
        if (f < 0) {
            argv[out++] = argv[i++];
            continue;
        }
        if (value == NULL) {
            char msg[96];
            snprintf(msg, sizeof(msg), "--%s needs a value", flags[f].flag);
            return cli_usage(verb, msg);
        }
        v[f] = value;
        i += used;
    }
    argv[out] = NULL;
    *argc = out;
    return 0;
}

void cli_print_error(const char *what, const struct kt_err *err)
{
    fprintf(stderr, "kartoteka: %s: %s%s%s\n", what, err->msg, err->detail[0] ? " - " : "",
            err->detail);
}

int cli_load_secret_file(struct store *s, const char *db, const char *file,
                         struct key_secret *secret)
{
    char path[4200];
    file = file != NULL ? file : flag_or_env(NULL, "KARTOTEKA_SECRET_FILE");
    if (file != NULL) {
        kt_strlcpy(path, file, sizeof(path));
    } else {
        kt_snprintf(path, sizeof(path), "%s.secret", db);
    }
    const char *env = getenv("KARTOTEKA_SECRET");
    bool created = false;
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    enum kt_rc rc = keys_secret_load(path, env && env[0] ? env : NULL, secret, &created, &err);
    if (rc == KT_OK && created) {
        log_info("secret_created", "file=%s", path);
    }
    if (rc == KT_OK) {
        rc = store_write_begin(s, &w, &err);
        if (rc == KT_OK) {
            rc = keys_secret_check(w, secret, &err);
            rc = store_write_end(w, rc, &err);
        }
    }
    if (rc != KT_OK) {
        cli_print_error("the installation secret", &err);
        return -1;
    }
    audit_key_init(secret); /* the audit log's chain is keyed from it */
    return 0;
}
