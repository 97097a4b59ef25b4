/*
 * keys_cmd.c - `kartoteka keys create|list|revoke`: the API keys. A key is printed once, when it
 * is created; the database keeps its keyed hash (auth/keys.h). Creating and revoking are written
 * to the audit log in the transaction that makes them, with the key's scope, expiry and stores;
 * its expiry is written there when it comes (consent/audit.c, audit_keys_expired).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "base/num.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "store/store.h"

static const char keys_help[] =
    "usage: kartoteka keys create --scope SCOPE --name TEXT [--expires WHEN] [--stores LIST]\n"
    "       kartoteka keys list\n"
    "       kartoteka keys revoke KEY_ID\n"
    "       kartoteka keys rotate-master --new-key-file FILE   (see its --help)\n"
    "\n"
    "Manages API keys. A key is shown once, when it is created; the database keeps only a\n"
    "keyed hash of it. Scopes: admin (everything), pos (cash desks and shop backends: read and\n"
    "write customers), collect (web pages and apps: create and update, never read), dpo (the\n"
    "data-protection officer: consents, requests, exports, erasures, acts, the audit log; no\n"
    "segments, campaigns or loyalty), auditor (the audit log and its check, read-only),\n"
    "deliveries (an e-mail or SMS provider's delivery callbacks, nothing else), and the\n"
    "console's roles: marketer (admin without API keys, users, the privacy settings, the\n"
    "clock and the DPO's work), analyst (read-only, phones and e-mails masked in every\n"
    "reply, no exports), store_manager (read-only, its stores' customers only; needs\n"
    "--stores).\n"
    "The routes of each: docs/api.md, \"Scopes by route\". Revoking takes effect on the next\n"
    "request.\n"
    "\n"
    "  --scope SCOPE   admin, marketer, analyst, store_manager, pos, collect, dpo,\n"
    "                  auditor or deliveries\n"
    "  --name TEXT     what the key is for (1-100 bytes)\n"
    "  --expires WHEN  the key is refused from then on (401 key_expired): an RFC 3339 time\n"
    "                  (2027-01-01T00:00:00+03:00) or a term from now (90d, 12h, 30m, 45s);\n"
    "                  default never\n"
    "  --stores LIST   pos and store_manager keys only (store_manager: required): store\n"
    "                  codes separated by commas (S-12,S-14); the key\n"
    "                  sees only customers who were in one of them (a purchase there, or\n"
    "                  their data written with it as the source's store) and writes only for\n"
    "                  them (docs/privacy.md, \"Roles and scopes\"); default every store\n"
    "  --db PATH     database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "  --secret-file PATH   installation secret (KARTOTEKA_SECRET_FILE, default <db>.secret)\n"
    "  --master-key-file PATH   master key (KARTOTEKA_MASTER_KEY_FILE, default <db>.master)\n";

/* The flags keys' help lists, after their environment. */
struct keys_opts {
    const char *db;          /* --db, KARTOTEKA_DB */
    const char *secret_file; /* --secret-file, KARTOTEKA_SECRET_FILE; NULL = <db>.secret */
    const char *scope;       /* create: --scope */
    const char *name;        /* create: --name */
    const char *expires;     /* create: --expires */
    const char *stores;      /* create: --stores */
    const char *master_file; /* --master-key-file; NULL = the environment, then <db>.master */
};

/* Returns 0 to go on, 1 when help was printed, 2 on a bad flag. */
static int keys_parse(int argc, char **argv, struct keys_opts *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"secret-file", required_argument, NULL, 'f'},
                                         {"scope", required_argument, NULL, 's'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"expires", required_argument, NULL, 'e'},
                                         {"stores", required_argument, NULL, 't'},
                                         {"master-key-file", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    *o = (struct keys_opts){.db = cli_default_db()}; /* no --secret-file: cli_load_secret_file's */
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
        case 'e':
            o->expires = optarg;
            break;
        case 't':
            o->stores = optarg;
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

/* --expires: an RFC 3339 time, or a term from `now` ("90d", "12h", "30m", "45s"). */
static bool expiry_parse(const char *v, int64_t now, int64_t *out)
{
    size_t n = strlen(v);
    if (time_parse_rfc3339(v, n, out)) {
        return true;
    }
    static const struct {
        char unit;
        int64_t ms;
    } units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
    int64_t count;
    for (size_t i = 0; n >= 2 && i < sizeof(units) / sizeof(units[0]); i++) {
        if (v[n - 1] == units[i].unit &&
            num_parse_i64(v, n - 1, 1, 3650 * 86400000LL / units[i].ms, &count)) {
            *out = now + count * units[i].ms;
            return true;
        }
    }
    return false;
}

/* The create's limits from its flags; 0 to go on, else the exit code (usage printed). */
static int create_limits(const struct keys_opts *o, enum key_scope scope, int64_t now,
                         struct arena *a, struct key_limits *lim)
{
    *lim = (struct key_limits){0, NULL};
    if (o->expires != NULL &&
        (!expiry_parse(o->expires, now, &lim->expires_at) || lim->expires_at <= now)) {
        return cli_usage("keys create", "--expires must be a future RFC 3339 time or a term "
                                        "such as 90d, 12h, 30m or 45s");
    }
    struct kt_err err;
    kt_err_reset(&err);
    if (o->stores != NULL && keys_stores_parse(o->stores, a, &lim->stores, &err) != KT_OK) {
        return cli_usage("keys create", err.msg);
    }
    if (keys_stores_fit(scope, lim->stores != NULL, &err) != KT_OK) {
        return cli_usage("keys create",
                         lim->stores != NULL
                             ? "--stores is for pos keys only, and store_manager keys"
                             : "a store_manager key needs --stores");
    }
    return 0;
}

static int keys_create_cmd(struct store *s, const struct keys_opts *o)
{
    enum key_scope scope;
    if (o->scope == NULL || !keys_scope_parse(o->scope, &scope)) {
        return cli_usage("keys create",
                         "--scope must be admin, marketer, analyst, store_manager, pos, "
                         "collect, dpo, auditor or deliveries");
    }
    struct arena a;
    arena_init(&a, 0);
    int64_t now = clock_now_ms();
    struct key_limits lim;
    int code = create_limits(o, scope, now, &a, &lim);
    struct key_secret secret;
    if (code != 0 || cli_load_secret_file(s, o->db, o->secret_file, &secret) != 0) {
        arena_release(&a);
        return code != 0 ? code : 1;
    }
    struct kt_err err;
    kt_err_reset(&err);
    struct api_key key;
    char token[KEY_TOKEN_MAX];
    const struct audit_key_new k = {.name = o->name, .scope = scope, .limits = lim};
    enum kt_rc rc = audit_key_create(s, &secret, &k, now, token, &key, &err);
    sodium_memzero(&secret, sizeof(secret));
    arena_release(&a);
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
    printf("%-14s %-13s %-25s %-25s %-25s %-20s %s\n", "ID", "SCOPE", "CREATED", "REVOKED",
           "EXPIRES", "STORES", "NAME");
    for (size_t i = 0; i < n; i++) {
        char c[40], r[40] = "-", e[40] = "-";
        time_format_rfc3339(keys[i].created_at, c, sizeof(c));
        if (keys[i].revoked_at) {
            time_format_rfc3339(keys[i].revoked_at, r, sizeof(r));
        }
        if (keys[i].expires_at) {
            time_format_rfc3339(keys[i].expires_at, e, sizeof(e));
        }
        printf("%-14s %-13s %-25s %-25s %-25s %-20s %s\n", keys[i].id,
               keys_scope_name(keys[i].scope), c, r, e, keys[i].stores ? keys[i].stores : "-",
               keys[i].name);
    }
    arena_release(&a);
    return 0;
}

static int keys_revoke_cmd(struct store *s, const struct keys_opts *o, const char *id)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct key_secret secret; /* the audit entry of the revocation is chained with its key */
    if (cli_load_secret_file(s, o->db, o->secret_file, &secret) != 0) {
        return 1;
    }
    sodium_memzero(&secret, sizeof(secret));
    enum kt_rc rc = audit_key_revoke(s, id, NULL, NULL, clock_now_ms(), &err);
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
