/*
 * master_cmd.c - `kartoteka keys rotate-master`: every customer's data key rewrapped under a new
 * master key (docs/privacy.md, "Encryption at rest"; docs/operations.md, "The master key"). The
 * data itself is not rewritten: only the key store changes.
 *
 * Resumable: keys are rewrapped ROTATE_BATCH at a time, each batch its own transaction of the key
 * store, and a run interrupted at any point is finished by the same command again (the key store
 * remembers that a rotation is under way, and refuses a server the old key alone meanwhile). The
 * server must be stopped while it runs: it would make new keys under the old master key. Audited
 * (action `key`), like the API keys made from the command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "crypt/crypt.h"

#define ROTATE_BATCH 1000

static const char rotate_help[] =
    "usage: kartoteka keys rotate-master --new-key-file FILE [--db PATH]\n"
    "\n"
    "Rewraps every customer's data key in the key store (<db>.keys) under a new master key,\n"
    "1000 keys a transaction; the data in the database is not rewritten. Stop the server\n"
    "first. An interrupted run is finished by running the same command again; until then the\n"
    "server refuses to start (rotation_unfinished). Written to the audit log.\n"
    "\n"
    "When the master key was the file beside the database (<db>.master), that file then holds\n"
    "the new key; otherwise start the server with the new key from now on. Either way destroy\n"
    "the old key and FILE's other copies as your key procedure says (docs/operations.md).\n"
    "\n"
    "  --new-key-file FILE  the new master key: 64 hexadecimal digits, mode 0600 (make one with\n"
    "                       'head -c 32 /dev/urandom | xxd -p -c 64 > FILE; chmod 600 FILE')\n"
    "  --master-key-file F  the current master key (KARTOTEKA_MASTER_KEY_FILE, default\n"
    "                       <db>.master; KARTOTEKA_MASTER_KEY=<64 hex digits> overrides it)\n"
    "  --secret-file PATH   installation secret (KARTOTEKA_SECRET_FILE, default <db>.secret)\n"
    "  --db PATH            database file (KARTOTEKA_DB, default data/kartoteka.db)\n";

static int usage(const char *msg)
{
    fprintf(stderr,
            "kartoteka keys rotate-master: %s\nTry 'kartoteka keys rotate-master --help'.\n", msg);
    return 2;
}

/* The new key replaces the default key file in one rename: the file never holds half a key. */
static int replace_key_file(const char *path, const char *new_file)
{
    char tmp[4200], hex[160] = {0};
    kt_snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *f = fopen(new_file, "re");
    size_t n = f ? fread(hex, 1, sizeof(hex) - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && n > 0 && write(fd, hex, n) == (ssize_t)n && fsync(fd) == 0;
    if (fd >= 0) {
        close(fd);
    }
    sodium_memzero(hex, sizeof(hex));
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "kartoteka: cannot write the new key into '%s': %s\n", path,
                strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int audit(struct store *s, int64_t keys)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    char detail[96];
    kt_snprintf(detail, sizeof(detail), "rotate-master, %lld data keys rewrapped", (long long)keys);
    enum kt_rc rc = store_write_begin(s, &w, &err);
    if (rc == KT_OK) {
        rc = audit_write(w, NULL, "key", NULL, NULL, detail, NULL, clock_now_ms(), &err);
        rc = store_write_end(w, rc, &err);
    }
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka: the audit entry: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* Rewraps batch after batch until none is left; prints the progress of a big key store. */
static int rotate(struct store *s, int64_t *total)
{
    struct kt_err err;
    kt_err_reset(&err);
    int64_t did = 0, left = 1;
    *total = 0;
    while (left > 0) {
        if (store_keys_rotate(s, ROTATE_BATCH, &did, &left, &err) != KT_OK) {
            fprintf(stderr,
                    "kartoteka: the rotation stopped (run the command again to go on): "
                    "%s%s%s\n",
                    err.msg, err.detail[0] ? " - " : "", err.detail);
            return -1;
        }
        *total += did;
        if (left > 0 && *total % (100 * ROTATE_BATCH) == 0) {
            fprintf(stderr, "kartoteka: %lld data keys rewrapped, %lld left\n", (long long)*total,
                    (long long)left);
        }
    }
    return 0;
}

int cli_keys_rotate(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'D'},
                                         {"new-key-file", required_argument, NULL, 'n'},
                                         {"master-key-file", required_argument, NULL, 'm'},
                                         {"secret-file", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = cli_default_db();
    struct cli_keys k = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'D':
            db = optarg;
            break;
        case 'n':
            k.next_master_file = optarg;
            break;
        case 'm':
            k.master_file = optarg;
            break;
        case 's':
            k.secret_file = optarg;
            break;
        case 'h':
            fputs(rotate_help, stdout);
            return 0;
        default:
            return usage("unknown or incomplete option");
        }
    }
    if (optind != argc) {
        return usage("takes no arguments");
    }
    if (k.next_master_file == NULL) {
        return usage("--new-key-file names the new master key");
    }
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store_keys(db, 5000, 0, STORE_MIGRATE, &k);
    if (s == NULL) {
        return 1;
    }
    int64_t total = 0;
    int code = rotate(s, &total) == 0 && audit(s, total) == 0 ? 0 : 1;
    store_close(s);
    const char *env_key = getenv("KARTOTEKA_MASTER_KEY");
    const char *env_file = getenv("KARTOTEKA_MASTER_KEY_FILE");
    bool default_file = k.master_file == NULL && (env_key == NULL || env_key[0] == '\0') &&
                        (env_file == NULL || env_file[0] == '\0');
    char path[4200];
    kt_snprintf(path, sizeof(path), "%s.master", db);
    if (code == 0 && default_file && replace_key_file(path, k.next_master_file) != 0) {
        code = 1;
    }
    if (code == 0) {
        printf("rewrapped %lld data key%s under the new master key\n", (long long)total,
               total == 1 ? "" : "s");
        printf(default_file ? "'%s' holds the new key now; destroy the old key's other copies\n"
                            : "start the server with the new key from now on (--master-key-file "
                              "or KARTOTEKA_MASTER_KEY) and destroy the old one%s\n",
               default_file ? path : "");
    }
    return code;
}
