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
    "usage: kartoteka migrate [--db PATH] [--status] [--sealed-fields LIST]\n"
    "\n"
    "Brings the database schema up to the version this binary needs, one migration per\n"
    "transaction, then seals what an older database holds in clear (migration 0013), 1000\n"
    "rows a transaction with its progress on stderr; interrupted, it goes on where it stopped\n"
    "when run again. With --status, only says which version the database is at.\n"
    "\n"
    "  --db PATH     database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "  --status      print the schema version and the number of pending migrations\n"
    "  --secret-file PATH   installation secret (KARTOTEKA_SECRET_FILE, default <db>.secret)\n"
    "  --master-key-file PATH  the master key that seals every customer's data key\n"
    "                       (KARTOTEKA_MASTER_KEY_FILE, default <db>.master, made with the key\n"
    "                       store on the first start; KARTOTEKA_MASTER_KEY=<64 hex digits>\n"
    "                       overrides the file). Keep it off the machine of the backups\n"
    "  --sealed-fields LIST  which of city, birth_date, gender are also sealed at rest,\n"
    "                       comma-separated, or none (KARTOTEKA_SEALED_FIELDS; default: as\n"
    "                       the database says, none when new). Sealed fields cannot be\n"
    "                       compared in segments; a change reseals the base\n";

/* The flags migrate's help lists, after their environment (cli_open_store_keys reads it for
 * the keys). Returns 0 to go on, 1 when help was printed, 2 on a bad flag. */
static int migrate_parse(int argc, char **argv, const char **db, bool *status, struct cli_keys *k)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"status", no_argument, NULL, 's'},
                                         {"secret-file", required_argument, NULL, 'f'},
                                         {"master-key-file", required_argument, NULL, 'm'},
                                         {"sealed-fields", required_argument, NULL, 'S'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    *db = cli_default_db();
    *status = false;
    *k = (struct cli_keys){0};
    optind = 1;
    int c, bits = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            *db = optarg;
            break;
        case 's':
            *status = true;
            break;
        case 'f':
            k->secret_file = optarg;
            break;
        case 'm':
            k->master_file = optarg;
            break;
        case 'S':
            if (cli_sealed_fields_parse(optarg, &bits) != 0) {
                return cli_usage("migrate", "--sealed-fields takes city, birth_date and gender, "
                                            "comma-separated, or none");
            }
            k->sealed_fields = optarg;
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
    struct cli_keys k;
    int prc = migrate_parse(argc, argv, &db, &status, &k);
    if (prc != 0) {
        return prc == 1 ? 0 : prc;
    }
    k.no_keys = status; /* a look at the version needs no key */
    struct store *s = cli_open_store_keys(db, 5000, 0, STORE_AS_IS, &k);
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
