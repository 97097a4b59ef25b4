/*
 * keys_cmd.c - `kartoteka keys create|list|revoke`: the API keys. A key is printed once, when it
 * is created; the database keeps its keyed hash (auth/keys.h). Creating and revoking are written
 * to the audit log in the transaction that makes them.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "store/store.h"

static const char keys_help[] =
    "usage: kartoteka keys create --scope admin|pos|collect --name TEXT\n"
    "       kartoteka keys list\n"
    "       kartoteka keys revoke KEY_ID\n"
    "       kartoteka keys rotate-master --new-key-file FILE   (see its --help)\n"
    "\n"
    "Manages API keys. A key is shown once, when it is created; the database keeps only a\n"
    "keyed hash of it. Scopes: admin (everything), pos (cash desks and shop backends: read and\n"
    "write customers), collect (web pages and apps: create and update, never read).\n"
    "Revoking takes effect on the next request.\n"
    "\n"
    "  --db PATH     database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "  --secret-file PATH   installation secret (KARTOTEKA_SECRET_FILE, default <db>.secret)\n"
    "  --master-key-file PATH   master key (KARTOTEKA_MASTER_KEY_FILE, default <db>.master)\n";

/* The flags keys' help lists, after their environment. */
struct keys_opts {
    const char *db;          /* --db, KARTOTEKA_DB */
    const char *secret_file; /* --secret-file, KARTOTEKA_SECRET_FILE; NULL = <db>.secret */
    const char *scope;       /* create: --scope */
    const char *name;        /* create: --name */
    const char *master_file; /* --master-key-file; NULL = the environment, then <db>.master */
};

/* Returns 0 to go on, 1 when help was printed, 2 on a bad flag. */
static int keys_parse(int argc, char **argv, struct keys_opts *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"secret-file", required_argument, NULL, 'f'},
                                         {"scope", required_argument, NULL, 's'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"master-key-file", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *file = getenv("KARTOTEKA_SECRET_FILE");
    *o = (struct keys_opts){cli_default_db(), file != NULL && file[0] != '\0' ? file : NULL, NULL,
                            NULL, NULL};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->db = optarg;
            break;
        case 'f':
            o->secret_file = optarg;
            break;
        case 's':
            o->scope = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'm':
            o->master_file = optarg;
            break;
        case 'h':
            fputs(keys_help, stdout);
            return 1;
        default:
            return cli_usage("keys", "unknown or incomplete option");
        }
    }
    return 0;
}

static int keys_create_cmd(struct store *s, const struct keys_opts *o)
{
    enum key_scope scope;
    if (o->scope == NULL || !keys_scope_parse(o->scope, &scope)) {
        return cli_usage("keys create", "--scope must be admin, pos or collect");
    }
    if (o->name == NULL || o->name[0] == '\0' || strlen(o->name) > 100) {
        return cli_usage("keys create", "--name must say what the key is for (1-100 bytes)");
    }
    struct key_secret secret;
    if (cli_load_secret_file(s, o->db, o->secret_file, &secret) != 0) {
        return 1;
    }
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    struct api_key key;
    char token[KEY_TOKEN_MAX];
    enum kt_rc rc = store_write_begin(s, &w, &err);
    if (rc == KT_OK) {
        rc = keys_create(w, &secret, o->name, scope, clock_now_ms(), token, &key, &err);
        if (rc == KT_OK) {
            char detail[64];
            kt_snprintf(detail, sizeof(detail), "create %s %s", key.id, keys_scope_name(scope));
            rc = audit_write(w, NULL, "key", NULL, NULL, detail, NULL, clock_now_ms(), &err);
        }
        rc = store_write_end(w, rc, &err);
    }
    sodium_memzero(&secret, sizeof(secret));
    if (rc != KT_OK) {
        cli_print_error("cannot create the key", &err);
        return 1;
    }
    printf("%s\n", token);
    fprintf(stderr, "created key %s (scope %s); it is shown only this once\n", key.id,
            keys_scope_name(scope));
    return 0;
}

static int keys_list_cmd(struct store *s)
{
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct api_key *keys;
    size_t n = 0;
    enum kt_rc rc = store_read_begin(s, &rd, &err);
    if (rc == KT_OK) {
        rc = store_key_list(rd, &a, &keys, &n, &err);
        store_read_end(rd);
    }
    if (rc != KT_OK) {
        cli_print_error("cannot list keys", &err);
        arena_release(&a);
        return 1;
    }
    printf("%-14s %-8s %-25s %-25s %s\n", "ID", "SCOPE", "CREATED", "REVOKED", "NAME");
    for (size_t i = 0; i < n; i++) {
        char c[40], r[40] = "-";
        time_format_rfc3339(keys[i].created_at, c, sizeof(c));
        if (keys[i].revoked_at) {
            time_format_rfc3339(keys[i].revoked_at, r, sizeof(r));
        }
        printf("%-14s %-8s %-25s %-25s %s\n", keys[i].id, keys_scope_name(keys[i].scope), c, r,
               keys[i].name);
    }
    arena_release(&a);
    return 0;
}

static int keys_revoke_cmd(struct store *s, const struct keys_opts *o, const char *id)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    struct key_secret secret; /* the audit entry of the revocation is chained with its key */
    if (cli_load_secret_file(s, o->db, o->secret_file, &secret) != 0) {
        return 1;
    }
    sodium_memzero(&secret, sizeof(secret));
    enum kt_rc rc = store_write_begin(s, &w, &err);
    if (rc == KT_OK) {
        rc = store_key_revoke(w, id, clock_now_ms(), &err);
        if (rc == KT_OK) {
            char detail[64];
            kt_snprintf(detail, sizeof(detail), "revoke %s", id);
            rc = audit_write(w, NULL, "key", NULL, NULL, detail, NULL, clock_now_ms(), &err);
        }
        rc = store_write_end(w, rc, &err);
    }
    if (rc == KT_ENOTFOUND) {
        fprintf(stderr, "kartoteka keys revoke: no active key '%s'\n", id);
        return 1;
    }
    if (rc != KT_OK) {
        cli_print_error("cannot revoke the key", &err);
        return 1;
    }
    printf("revoked %s\n", id);
    return 0;
}

int cli_keys(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "rotate-master") == 0) { /* flags of its own */
        return cli_keys_rotate(argc - 1, argv + 1);
    }
    struct keys_opts o;
    int prc = keys_parse(argc, argv, &o);
    if (prc != 0) {
        return prc == 1 ? 0 : prc;
    }
    if (optind >= argc) {
        return cli_usage("keys", "say create, list or revoke");
    }
    const char *sub = argv[optind];
    if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0) {
        return cli_usage("keys", "the subcommands are create, list and revoke");
    }
    if (strcmp(sub, "revoke") == 0 && optind + 2 != argc) {
        return cli_usage("keys", "revoke takes one key id");
    }
    if (strcmp(sub, "revoke") != 0 && optind + 1 != argc) {
        return cli_usage("keys", "too many arguments");
    }
    const struct cli_keys k = {.secret_file = o.secret_file, .master_file = o.master_file};
    struct store *s = cli_open_store_keys(o.db, 5000, 0, STORE_MIGRATE, &k);
    if (s == NULL) {
        return 1;
    }
    int code;
    if (strcmp(sub, "create") == 0) {
        code = keys_create_cmd(s, &o);
    } else if (strcmp(sub, "list") == 0) {
        code = keys_list_cmd(s);
    } else {
        code = keys_revoke_cmd(s, &o, argv[optind + 1]);
    }
    store_close(s);
    return code;
}
