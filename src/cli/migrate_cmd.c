/*
 * migrate_cmd.c - `kartoteka migrate [--status]`: the database schema brought up to the version
 * this binary needs, one migration per transaction (store/migrations/), or only its version
 * told. serve migrates on start too, unless --no-migrate.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "store/store.h"

static const char migrate_help[] =
    "usage: kartoteka migrate [--db PATH] [--status]\n"
    "\n"
    "Brings the database schema up to the version this binary needs, one migration per\n"
    "transaction. With --status, only says which version the database is at.\n"
    "\n"
    "  --db PATH     database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "  --status      print the schema version and the number of pending migrations\n";

/* The flags migrate's help lists, after KARTOTEKA_DB. Returns 0 to go on, 1 when help was
 * printed, 2 on a bad flag. */
static int migrate_parse(int argc, char **argv, const char **db, bool *status)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"status", no_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    *db = cli_default_db();
    *status = false;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            *db = optarg;
            break;
        case 's':
            *status = true;
            break;
        case 'h':
            fputs(migrate_help, stdout);
            return 1;
        default:
            return cli_usage("migrate", "unknown or incomplete option");
        }
    }
    return 0;
}

int cli_migrate(int argc, char **argv)
{
    const char *db;
    bool status;
    int prc = migrate_parse(argc, argv, &db, &status);
    if (prc != 0) {
        return prc == 1 ? 0 : prc;
    }
    struct store *s = cli_open_store_mode(db, 5000, 0, STORE_AS_IS);
    struct kt_err err;
    kt_err_reset(&err);
    if (s == NULL) {
        return 1;
    }
    int have = 0, want = 0, applied = 0;
    if (!status && store_migrate(s, &applied, &err) != KT_OK) {
        cli_print_error("migration failed", &err);
        store_close(s);
        return 1;
    }
    if (!status) {
        printf("applied %d migration%s\n", applied, applied == 1 ? "" : "s");
    }
    if (store_schema_version(s, &have, &want, &err) != KT_OK) {
        cli_print_error("cannot read the schema version", &err);
        store_close(s);
        return 1;
    }
    printf("schema version %d of %d%s\n", have, want, have == want ? " (up to date)" : "");
    store_close(s);
    return 0;
}
