/*
 * audit_cmd.c - `kartoteka audit verify`: the audit log's chains of hashes checked, for a DPO or
 * an inspector, on the live database or on a copy (docs/privacy.md, "The audit log").
 *
 * It never changes what it checks: the database is opened without migrating it, and a missing
 * secret is an error, not a reason to make a new one (which would then "prove" nothing).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "cli/cli.h"
#include "consent/consent.h"

static const char audit_help[] =
    "usage: kartoteka audit verify [--db PATH] [--json]\n"
    "\n"
    "Checks the audit log's chains of hashes: every entry of the log of changes (in the\n"
    "database) and of the log of reads (<db>.reads) against the hash of the entry before it\n"
    "and its own content. An entry edited, deleted, inserted or moved is found, and the first\n"
    "one of each log is named. The hashes are keyed from the installation secret\n"
    "(KARTOTEKA_SECRET, KARTOTEKA_SECRET_FILE or <db>.secret), so nobody with only the\n"
    "database can make them agree again; keep the head it prints (seq and hash) elsewhere to\n"
    "find a log cut at its end. Reads a server still holds in memory (a second's) are not in\n"
    "the file yet.\n"
    "\n"
    "Exit status: 0 both logs intact, 1 a log is not (or the check could not run), 2 bad usage.\n"
    "\n"
    "  --db PATH   database file (KARTOTEKA_DB, default data/kartoteka.db); a copy is checked\n"
    "              the same way, with its <copy>.reads beside it\n"
    "  --json      print the result as GET /v1/audit/verify answers it\n";

static int ausage(const char *msg)
{
    fprintf(stderr, "kartoteka audit: %s\nTry 'kartoteka audit --help'.\n", msg);
    return 2;
}

static const char *problem_text(const char *p)
{
    static const char *const words[][2] = {
        {"missing", "the entry is missing: deleted, or the entries were renumbered"},
        {"hash_mismatch", "the entry does not match its hash: edited, moved or inserted"},
        {"anchor_missing", "the chain's anchor is missing"},
        {"anchor_unsealed", "the chain's anchor lost its seal"},
        {"anchor_mismatch", "the chain's anchor was edited"},
        {"entries_before_anchor_changed", "entries older than the chain were added or removed"},
        {"log_missing", "the file is missing (a served database has one from its first start)"},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcmp(p, words[i][0]) == 0) {
            return words[i][1];
        }
    }
    return p;
}

static void print_text(const struct audit_verified v[2])
{
    for (int i = 0; i < 2; i++) {
        const struct audit_chain *ch = &v[i].chain;
        if (v[i].intact) {
            printf("%-7s intact: %lld entries chained after the anchor at seq %lld (%lld entries "
                   "before it); head %lld %s\n",
                   v[i].log, (long long)v[i].checked, (long long)ch->anchor_seq,
                   (long long)ch->anchor_rows, (long long)ch->last_seq,
                   ch->last_hash[0] ? ch->last_hash : "-");
        } else {
            printf("%-7s NOT INTACT at seq %lld: %s (%s); %lld entries before it verified\n",
                   v[i].log, (long long)v[i].bad_seq, problem_text(v[i].problem), v[i].problem,
                   (long long)v[i].checked);
        }
    }
}

/* The secret must exist: one made now would not be the one the log was chained with. */
static int secret_present(const char *db)
{
    const char *env = getenv("KARTOTEKA_SECRET");
    const char *file = getenv("KARTOTEKA_SECRET_FILE");
    char path[4200];
    struct stat st;
    if (env != NULL && env[0] != '\0') {
        return 0;
    }
    if (file != NULL && file[0] != '\0') {
        kt_strlcpy(path, file, sizeof(path));
    } else {
        kt_snprintf(path, sizeof(path), "%s.secret", db);
    }
    if (stat(path, &st) != 0) {
        fprintf(stderr,
                "kartoteka audit: no installation secret at '%s' (KARTOTEKA_SECRET_FILE, "
                "KARTOTEKA_SECRET): the chain cannot be checked without it\n",
                path);
        return -1;
    }
    return 0;
}

static int verify(const char *db, bool json)
{
    struct stat st;
    if (!store_is_pg(db) && stat(db, &st) != 0) { /* a PostgreSQL database answers at open */
        fprintf(stderr, "kartoteka audit: no database at '%s'\n", db);
        return 1;
    }
    if (secret_present(db) != 0) {
        return 1;
    }
    char reads[4200];
    kt_snprintf(reads, sizeof(reads), "%s.reads", db);
    /* opening SQLite's would make an empty one; PostgreSQL's is a table of the database */
    bool reads_present = store_is_pg(db) || stat(reads, &st) == 0;
    /* Without the data keys: the logs hold ids only, and a copy is checked without its key
     * store or master key. Opened as it is, so its version is checked here. */
    const struct cli_keys nokeys = {.no_keys = true};
    struct store *s = cli_open_store_keys(db, 5000, 0, STORE_AS_IS, &nokeys);
    struct key_secret k;
    struct kt_err err;
    kt_err_reset(&err);
    int have = 0, want = 0;
    if (s != NULL && (store_schema_version(s, &have, &want, &err) != KT_OK || have != want)) {
        fprintf(stderr,
                "kartoteka audit: the database schema is at version %d, this binary "
                "needs %d\n",
                have, want);
        store_close(s);
        return 1;
    }
    if (s == NULL || cli_load_secret(s, db, &k) != 0) {
        store_close(s);
        return 1;
    }
    struct audit_verified v[2];
    struct store_conn *rd;
    enum kt_rc rc = store_read_begin(s, &rd, &err);
    if (rc == KT_OK) {
        rc = audit_verify(s, rd, reads_present, v, &err);
        store_read_end(rd);
    }
    store_close(s);
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka audit verify: %s%s%s\n", err.msg, err.detail[0] ? " - " : "",
                err.detail);
        return 1;
    }
    if (json) {
        json_t *doc = audit_verified_json(v);
        cli_print_json(doc);
        json_decref(doc);
    } else {
        print_text(v);
    }
    return v[0].intact && v[1].intact ? 0 : 1;
}

int cli_audit(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'D'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = cli_default_db();
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'D':
            db = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(audit_help, stdout);
            return 0;
        default:
            return ausage("unknown or incomplete option");
        }
    }
    if (optind >= argc || strcmp(argv[optind], "verify") != 0) {
        return ausage(optind >= argc ? "say what to do: verify" : "unknown command");
    }
    if (optind + 1 < argc) {
        return ausage("verify takes no arguments");
    }
    log_set_level(LOG_WARN);
    return verify(db, json);
}
