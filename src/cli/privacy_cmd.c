/*
 * privacy_cmd.c - `kartoteka run-due`: runs the privacy work that is due (erasures scheduled after
 * a withdrawal of consent, depersonalisation after the retention period) once, then exits. The
 * server's worker does the same every minute; this verb is for cron, operators and tests, which
 * pass --now to see what would be due at another moment.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "consent/consent.h"

static const char run_due_help[] =
    "usage: kartoteka run-due [--db PATH] [--now TIME]\n"
    "\n"
    "Runs the privacy work that is due now, once: erasures scheduled after a withdrawal of\n"
    "the pd_processing consent, and depersonalisation of customers inactive for longer than the\n"
    "retention period (GET/PUT /v1/privacy/settings). Each erasure writes an act of\n"
    "destruction. Prints how many customers were erased.\n"
    "\n"
    "  --now TIME   act as if it were TIME (RFC 3339), e.g. to check a schedule\n"
    "  --db PATH    database file (KARTOTEKA_DB, default data/kartoteka.db)\n";

int cli_run_due(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'D'},
                                         {"now", required_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = cli_default_db();
    int64_t now = clock_now_ms();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'D':
            db = optarg;
            break;
        case 'n':
            if (!time_parse_rfc3339(optarg, strlen(optarg), &now)) {
                fprintf(stderr, "kartoteka run-due: --now must be an RFC 3339 time\n"
                                "Try 'kartoteka run-due --help'.\n");
                return 2;
            }
            break;
        case 'h':
            fputs(run_due_help, stdout);
            return 0;
        default:
            fprintf(stderr, "kartoteka run-due: unknown or incomplete option\n"
                            "Try 'kartoteka run-due --help'.\n");
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "kartoteka run-due: takes no arguments\nTry 'kartoteka run-due --help'.\n");
        return 2;
    }
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store(db);
    struct key_secret k;
    if (s == NULL || cli_load_secret(s, db, &k) != 0) {
        store_close(s);
        return 1;
    }
    struct kt_err err;
    kt_err_reset(&err);
    int erased = 0;
    enum kt_rc rc = privacy_run_due(s, &k, now, "Kartoteka " KT_VERSION, &erased, &err);
    if (rc == KT_OK) {
        rc = audit_flush(s, &err);
    }
    store_close(s);
    audit_shutdown();
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka run-due: %s%s%s (erased %d before it)\n", err.msg,
                err.detail[0] ? " - " : "", err.detail, erased);
        return 1;
    }
    printf("run-due: erased %d customer%s\n", erased, erased == 1 ? "" : "s");
    return 0;
}
