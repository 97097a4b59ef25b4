/*
 * events_cmd.c - `kartoteka events`: behaviour events at the console (docs/events.md).
 *
 *   kartoteka events import FILE   events from a file, one JSON object a line (JSON Lines), in
 *                                  batches of 1,000 as POST /v1/events/batch would take them
 *   kartoteka events report        how many of each type were received
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "events/events.h"

static const char events_help[] =
    "usage: kartoteka events import FILE [--db PATH]\n"
    "       kartoteka events report [--db PATH]\n"
    "\n"
    "import: behaviour events from FILE (or - for standard input), one JSON event a line, in\n"
    "batches of 1,000; each refused line is reported with its number and why, the rest stored.\n"
    "report: how many events of each type were received.\n"
    "\n"
    "  --db PATH    database file (KARTOTEKA_DB, default data/kartoteka.db)\n";

static int eusage(const char *msg)
{
    fprintf(stderr, "kartoteka events: %s\nTry 'kartoteka events --help'.\n", msg);
    return 2;
}

/* Decodes and stores lines[0..n) (line numbers from `first`); counts what became of them. */
static enum kt_rc batch(struct store *s, const struct key_secret *k, json_t **lines, size_t n,
                        size_t first, size_t counts[3], struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    int64_t now = clock_now_ms();
    struct store_conn *rd;
    struct event_types types;
    struct event_in *in = arena_zalloc(&a, n * sizeof(*in));
    struct event_result *res = arena_zalloc(&a, n * sizeof(*res));
    enum kt_rc rc = store_read_begin(s, &rd, err);
    if (rc == KT_OK) {
        rc = event_types_load(rd, &a, &types, err);
        store_read_end(rd);
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        kt_err_reset(&res[i].err);
        if (lines[i] == NULL) {
            kt_err_set(&res[i].err, KT_EINVAL, "bad_json", NULL, "the line is not a JSON object");
            res[i].status = EVENT_REFUSED;
        } else if (event_decode(lines[i], &types, now, "", &a, &in[i], &res[i].err) != KT_OK) {
            res[i].status = EVENT_REFUSED;
        }
    }
    if (rc == KT_OK) {
        rc = events_ingest_grouped(s, k, in, n, EVENT_REFUSE, now, &a, res,
                                   err); /* an operator may know */
    }
    int64_t merged;
    struct kt_err merr;
    kt_err_reset(&merr);
    /* No scheduler here: the import keeps its level 0 within bounds itself. The batch is stored
     * whatever the merge does: a failed one is said, and left to the next batch or the server. */
    if (rc == KT_OK && events_merge_due(s, &merged, &merr) != KT_OK) {
        fprintf(stderr, "kartoteka events import: the merge of the message ids waits: %s\n",
                merr.msg);
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        counts[res[i].status]++;
        if (res[i].status == EVENT_REFUSED) {
            fprintf(stderr, "line %zu: %s%s%s: %s\n", first + i, res[i].err.code,
                    res[i].err.field[0] ? " " : "", res[i].err.field, res[i].err.msg);
        }
    }
    arena_release(&a);
    return rc;
}

static int import(const char *db, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "kartoteka events import: cannot open %s\n", path);
        return 1;
    }
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store(db);
    struct key_secret k;
    if (s == NULL || cli_load_secret(s, db, &k) != 0) {
        store_close(s);
        if (f != stdin) {
            fclose(f);
        }
        return 1;
    }
    json_t *lines[EVENTS_BATCH_MAX];
    size_t n = 0, line = 0, first = 1, counts[3] = {0, 0, 0};
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = KT_OK;
    while (rc == KT_OK && (len = getline(&buf, &cap, f)) >= 0) {
        line++;
        if (len <= 1) {
            continue; /* blank */
        }
        json_t *v = json_loadb(buf, (size_t)len, 0, NULL);
        lines[n++] = json_is_object(v) ? v : (json_decref(v), NULL);
        if (n == EVENTS_BATCH_MAX) {
            rc = batch(s, &k, lines, n, first, counts, &err);
            for (size_t i = 0; i < n; i++) {
                json_decref(lines[i]);
            }
            n = 0;
            first = line + 1;
        }
    }
    if (rc == KT_OK && n > 0) {
        rc = batch(s, &k, lines, n, first, counts, &err);
    }
    for (size_t i = 0; i < n; i++) {
        json_decref(lines[i]);
    }
    free(buf);
    if (f != stdin) {
        fclose(f);
    }
    store_close(s);
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka events import: %s\n", err.msg);
        return 1;
    }
    printf("events: %zu stored, %zu duplicates, %zu refused\n", counts[EVENT_STORED],
           counts[EVENT_DUPLICATE], counts[EVENT_REFUSED]);
    return counts[EVENT_REFUSED] > 0 ? 1 : 0;
}

static int report(const char *db)
{
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store(db);
    if (s == NULL) {
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    const char **types;
    int64_t *counts;
    size_t n = 0;
    enum kt_rc rc = store_read_begin_analytics(s, &rd, &err);
    if (rc == KT_OK) {
        rc = store_event_counts(rd, INT64_MIN, INT64_MAX, &a, &types, &counts, &n, &err);
        store_read_end(rd);
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        printf("%-20s %12lld\n", types[i], (long long)counts[i]);
    }
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka events report: %s\n", err.msg);
    }
    arena_release(&a);
    store_close(s);
    return rc == KT_OK ? 0 : 1;
}

int cli_events(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *db = cli_default_db();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'h') {
            fputs(events_help, stdout);
            return 0;
        } else {
            return eusage("unknown option");
        }
    }
    if (optind < argc && strcmp(argv[optind], "import") == 0 && optind + 2 == argc) {
        return import(db, argv[optind + 1]);
    }
    if (optind < argc && strcmp(argv[optind], "report") == 0 && optind + 1 == argc) {
        return report(db);
    }
    return eusage("say import FILE or report");
}
