/*
 * common.c - what the command-line verbs share: the database path and opening it, the secret,
 * how a failure and a bad usage are told.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "base/log.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "store/store.h"

const char *cli_default_db(void)
{
    const char *v = getenv("KARTOTEKA_DB");
    return v != NULL && v[0] != '\0' ? v : "data/kartoteka.db";
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

struct store *cli_open_store_mode(const char *db, int busy_ms, int64_t max_bytes,
                                  enum store_schema_mode mode)
{
    if (ensure_dir(db) != 0) {
        return NULL;
    }
    struct store_opts so = {db, busy_ms, 0, mode, max_bytes};
    struct store *s = NULL;
    struct kt_err err;
    kt_err_reset(&err);
    if (store_open(&so, &s, &err) != KT_OK) {
        fprintf(stderr, "kartoteka: cannot open the database: %s%s%s\n", err.msg,
                err.detail[0] ? " - " : "", err.detail);
        return NULL;
    }
    return s;
}

struct store *cli_open_store(const char *db)
{
    return cli_open_store_mode(db, 5000, 0, STORE_MIGRATE);
}

int cli_load_secret(struct store *s, const char *db, struct key_secret *out)
{
    char path[4200];
    const char *file = getenv("KARTOTEKA_SECRET_FILE");
    if (file != NULL && file[0] != '\0') {
        kt_strlcpy(path, file, sizeof(path));
    } else {
        kt_snprintf(path, sizeof(path), "%s.secret", db);
    }
    const char *env = getenv("KARTOTEKA_SECRET");
    bool created = false;
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    enum kt_rc rc = keys_secret_load(path, env && env[0] ? env : NULL, out, &created, &err);
    if (rc == KT_OK) {
        rc = store_write_begin(s, &w, &err);
        if (rc == KT_OK) {
            rc = keys_secret_check(w, out, &err);
            rc = store_write_end(w, rc, &err);
        }
    }
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka: the installation secret: %s%s%s\n", err.msg,
                err.detail[0] ? " - " : "", err.detail);
        return -1;
    }
    audit_key_init(out); /* the audit log's chain is keyed from it */
    return 0;
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

void cli_print_error(const char *what, const struct kt_err *err)
{
    fprintf(stderr, "kartoteka: %s: %s%s%s\n", what, err->msg, err->detail[0] ? " - " : "",
            err->detail);
}

int cli_load_secret_file(struct store *s, const char *db, const char *file,
                         struct key_secret *secret)
{
    char path[4200];
    if (file != NULL) {
        kt_strlcpy(path, file, sizeof(path));
    } else {
        kt_snprintf(path, sizeof(path), "%s.secret", db);
    }
    bool created = false;
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    if (keys_secret_load(path, getenv("KARTOTEKA_SECRET"), secret, &created, &err) != KT_OK) {
        cli_print_error("cannot load the key secret", &err);
        return -1;
    }
    if (created) {
        log_info("secret_created", "file=%s", path);
    }
    audit_key_init(secret); /* the audit log's chain is keyed from it */
    enum kt_rc rc = store_write_begin(s, &w, &err);
    if (rc == KT_OK) {
        rc = keys_secret_check(w, secret, &err);
        rc = store_write_end(w, rc, &err);
    }
    if (rc != KT_OK) {
        cli_print_error("the key secret does not fit", &err);
        return -1;
    }
    return 0;
}
