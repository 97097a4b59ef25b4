/*
 * store_cmd.c - `kartoteka store copy --from FILE.db --to postgres://...`: an SQLite installation
 * copied whole into a fresh PostgreSQL database (store_copy, store.h; docs/scale.md), resumable,
 * verified table by table at the end.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "events/events.h"
#include "store/store.h"

static const char store_help[] =
    "usage: kartoteka store copy --from FILE.db --to postgresql://HOST/NAME [--batch N]\n"
    "\n"
    "Copies an SQLite installation whole into a fresh PostgreSQL database: every table of the\n"
    "database, the key store (<db>.keys: the wrapped keys as they are, so the same master key\n"
    "opens them) and the log of reads (<db>.reads). Stop the server first. The target is\n"
    "migrated to the same schema version on open; it must hold no data. Each batch of rows is a\n"
    "transaction with the copy's resume point in the target: run again after an interruption\n"
    "and it goes on where it stopped. At the end every table is counted and checksummed on both\n"
    "sides; exit 0 when they match, 1 naming the table that does not.\n"
    "\n"
    "Both databases take the same keys: the source's (default <FILE>.master and <FILE>.secret\n"
    "beside it); serve the copy with the same two named (--master-key-file, --secret-file).\n"
    "\n"
    "  --from PATH          the SQLite database file (at this binary's schema version: run\n"
    "                       'kartoteka migrate' on it first)\n"
    "  --to URL             the PostgreSQL database (postgres://... or postgresql://...); its key\n"
    "                       store is <NAME>_keys on the same server\n"
    "  --batch N            rows per transaction (default 10000)\n"
    "  --master-key-file PATH  the master key (KARTOTEKA_MASTER_KEY_FILE, default <FILE>.master;\n"
    "                       KARTOTEKA_MASTER_KEY=<64 hex digits> overrides the file)\n"
    "  --secret-file PATH   the installation secret (KARTOTEKA_SECRET_FILE, default\n"
    "                       <FILE>.secret; KARTOTEKA_SECRET overrides the file)\n";

struct progress {
    bool tty;
    int64_t t0;      /* ns */
    int64_t rows;    /* rows copied by this run, tables done */
    int64_t tables;  /* tables verified */
    char table[128]; /* the table the bar is on */
};

static void show(void *arg, const char *table, int64_t done, int64_t total, bool verified)
{
    struct progress *p = arg;
    double secs = (double)(clock_mono_ns() - p->t0) / 1e9;
    if (verified) {
        p->tables++;
        if (p->tty) {
            fprintf(stderr, "\rverified %-40s %lld rows            ", table, (long long)done);
        }
        return;
    }
    bool finished = done >= total;
    if (p->tty) {
        double frac = total > 0 ? (double)done / (double)total : 1.0;
        char bar[31];
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++) {
            bar[i] = i < fill ? '#' : '.';
        }
        bar[30] = '\0';
        fprintf(stderr, "\r%-28.28s [%s] %3.0f%%  %lld of %lld rows   ", table, bar, frac * 100,
                (long long)done, (long long)total);
        if (finished) {
            fputc('\n', stderr);
        }
    } else if (finished) {
        fprintf(stderr, "store copy: %s: %lld rows (%.1f s)\n", table, (long long)done, secs);
    }
    if (finished) {
        p->rows += done;
    }
    kt_strlcpy(p->table, table, sizeof(p->table));
}

/* `flag`, else the environment's `env`, else `db` + `suffix` (in buf). */
static const char *key_file(const char *flag, const char *env, const char *db, const char *suffix,
                            char *buf, size_t cap)
{
    const char *e = getenv(env);
    if (flag != NULL) {
        return flag;
    }
    if (e != NULL && e[0] != '\0') {
        return e;
    }
    snprintf(buf, cap, "%s%s", db, suffix);
    return buf;
}

static int copy_parse(int argc, char **argv, const char **from, const char **to, int *batch,
                      struct cli_keys *k)
{
    static const struct option opts[] = {{"from", required_argument, NULL, 'F'},
                                         {"to", required_argument, NULL, 'T'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"secret-file", required_argument, NULL, 'f'},
                                         {"master-key-file", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    char *end = NULL;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'F':
            *from = optarg;
            break;
        case 'T':
            *to = optarg;
            break;
        case 'b':
            *batch = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || *batch < 1 || *batch > 1000000) {
                return cli_usage("store", "--batch must be a number of rows from 1 to 1000000");
            }
            break;
        case 'f':
            k->secret_file = optarg;
            break;
        case 'm':
            k->master_file = optarg;
            break;
        case 'h':
            fputs(store_help, stdout);
            return 1;
        default:
            return cli_usage("store", "unknown or incomplete option");
        }
    }
    if (*from == NULL || *to == NULL) {
        return cli_usage("store", "copy needs --from FILE.db and --to postgresql://...");
    }
    if (store_is_pg(*from) || !store_is_pg(*to)) {
        return cli_usage("store",
                         "copy goes from an SQLite file (--from) to a PostgreSQL URL (--to)");
    }
    if (access(*from, R_OK) != 0) {
        fprintf(stderr, "kartoteka store: cannot read '%s'\n", *from);
        return 2;
    }
    return 0;
}

static int copy(int argc, char **argv)
{
    const char *from = NULL, *to = NULL;
    int batch = 10000;
    struct cli_keys k = {0};
    int prc = copy_parse(argc, argv, &from, &to, &batch, &k);
    if (prc != 0) {
        return prc == 1 ? 0 : prc;
    }
    char mbuf[4200], sbuf[4200];
    k.master_file =
        key_file(k.master_file, "KARTOTEKA_MASTER_KEY_FILE", from, ".master", mbuf, sizeof(mbuf));
    k.secret_file =
        key_file(k.secret_file, "KARTOTEKA_SECRET_FILE", from, ".secret", sbuf, sizeof(sbuf));
    if (getenv("KARTOTEKA_MASTER_KEY") == NULL && access(k.master_file, R_OK) != 0) {
        fprintf(stderr, "kartoteka store: no master key at '%s' (--master-key-file)\n",
                k.master_file);
        return 1;
    }
    struct store *src = cli_open_store_keys(from, 5000, 0, STORE_REFUSE_OLD, &k);
    if (src == NULL) {
        return 1;
    }
    struct store *dst = cli_open_store_keys(to, 5000, 0, STORE_MIGRATE, &k);
    if (dst == NULL) {
        store_close(src);
        return 1;
    }
    struct progress p = {isatty(2) != 0, clock_mono_ns(), 0, 0, ""};
    struct store_copy_opts o = {batch, show, &p};
    struct kt_err err;
    kt_err_reset(&err);
    /* The newest events' ids and cookies, in SQLite's memory alone, into their tables first:
     * PostgreSQL keeps one level (docs/events.md, "Speed"). */
    int64_t merged;
    enum kt_rc rc = events_merge(src, 1, 0, &merged, &err);
    if (rc == KT_OK) {
        rc = store_copy(src, dst, &o, &err);
    }
    if (p.tty) {
        fputc('\n', stderr);
    }
    store_close(dst);
    store_close(src);
    if (rc != KT_OK) {
        cli_print_error("the copy failed", &err);
        return 1;
    }
    double secs = (double)(clock_mono_ns() - p.t0) / 1e9;
    printf("copied %lld rows in %.1f s (%.0f rows/s); %lld tables verified\n", (long long)p.rows,
           secs, secs > 0 ? (double)p.rows / secs : 0, (long long)p.tables);
    return 0;
}

int cli_store(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(store_help, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "copy") != 0) {
        return cli_usage("store", "the subcommand is copy");
    }
    return copy(argc - 1, argv + 1);
}
