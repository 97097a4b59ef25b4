/*
 * segment_cmd.c - `kartoteka segment`: the segment language at the console (docs/segments.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "segment/saved.h"

static const char segment_help[] =
    "usage: kartoteka segment <command> [options]\n"
    "\n"
    "  preview QUERY            how many customers the query finds, and the first ten\n"
    "  list                     the saved segments with their sizes\n"
    "  refresh                  recompute every trait, then every saved segment\n"
    "  members NAME             the members of a saved segment now, as CSV\n"
    "  export-audience NAME --format yandex|vk-phone|vk-email [--out FILE]\n"
    "                           the members whose consent allows it, as an ad platform's\n"
    "                           audience file (hashed); see export-audience --help\n"
    "\n"
    "  --db PATH    database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "  --db-read URL  PostgreSQL: the replica the queries read (KARTOTEKA_DB_READ; refresh\n"
    "               writes on --db)\n"
    "A query that does not parse is shown with a caret under the spot.\n";

static int susage(const char *msg)
{
    fprintf(stderr, "kartoteka segment: %s\nTry 'kartoteka segment --help'.\n", msg);
    return 2;
}

static int preview(struct store *s, const char *query, struct arena *a)
{
    struct seg_node *tree;
    struct seg_error se;
    if (!segment_parse(query, a, &tree, &se)) {
        fprintf(stderr, "kartoteka segment: line %d, column %d: %s\n%s\n", se.line, se.column,
                se.message, se.caret);
        return 1;
    }
    struct store_conn *rd;
    struct kt_err err;
    kt_err_reset(&err);
    int64_t count;
    const char **ids;
    size_t n;
    if (store_read_begin_analytics(s, &rd, &err) != KT_OK) {
        fprintf(stderr, "kartoteka segment: %s\n", err.msg);
        return 1;
    }
    enum kt_rc rc = store_segment_preview(rd, segment_compile(tree, clock_now_ms(), a), 10, a,
                                          &count, &ids, &n, &err);
    store_read_end(rd);
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka segment: %s\n", err.msg);
        return 1;
    }
    printf("%lld customers\n", (long long)count);
    for (size_t i = 0; i < n; i++) {
        printf("  %s\n", ids[i]);
    }
    return 0;
}

int cli_segment(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "export-audience") == 0) { /* options of its own */
        return cli_audience(argc - 1, argv + 1);
    }
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"db-read", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = cli_default_db(), *db_read = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'r') {
            db_read = optarg;
        } else if (c == 'h') {
            fputs(segment_help, stdout);
            return 0;
        } else {
            return susage("unknown option");
        }
    }
    if (optind >= argc) {
        return susage("which command? (preview, list, refresh, members)");
    }
    const char *cmd = argv[optind], *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    bool needs = strcmp(cmd, "preview") == 0 || strcmp(cmd, "members") == 0;
    if (needs != (arg != NULL) || optind + 2 < argc) {
        return susage(needs ? "this command takes one argument" : "too many arguments");
    }
    log_set_level(LOG_WARN);
    cli_db_read_use(db_read);
    struct store *s = cli_open_store(db);
    if (s == NULL) {
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    int code = 0;
    struct store_conn *rd = NULL;
    if (strcmp(cmd, "preview") == 0) {
        code = preview(s, arg, &a);
    } else if (strcmp(cmd, "refresh") == 0) {
        int64_t traits = 0, segments = 0;
        if (traits_refresh_all(s, clock_now_ms(), &traits, &err) != KT_OK ||
            segments_refresh_all(s, clock_now_ms(), &segments, &err) != KT_OK) {
            fprintf(stderr, "kartoteka segment refresh: %s\n", err.msg);
            code = 1;
        } else {
            printf("refreshed %lld traits and %lld segments\n", (long long)traits,
                   (long long)segments);
        }
    } else if (strcmp(cmd, "list") == 0 || strcmp(cmd, "members") == 0) {
        struct segment *sg;
        size_t n;
        if (store_read_begin_analytics(s, &rd, &err) != KT_OK) {
            code = 1;
        } else if (strcmp(cmd, "list") == 0) {
            if (store_segment_list(rd, &a, &sg, &n, &err) != KT_OK) {
                code = 1;
            }
            for (size_t i = 0; code == 0 && i < n; i++) {
                printf("%-24s %10lld  %s\n", sg[i].name, (long long)sg[i].size, sg[i].query);
            }
        } else {
            struct segment one;
            struct segment_member *m;
            int64_t after = 0;
            if (store_segment_get(rd, arg, &a, &one, &err) != KT_OK) {
                code = 1;
            } else {
                puts("customer_id,entered_at");
                do {
                    if (store_segment_members(rd, one.id, after, 10000, &a, &m, &n, &err) !=
                        KT_OK) {
                        code = 1;
                        break;
                    }
                    for (size_t i = 0; i < n; i++) {
                        char t[32];
                        printf("%s,%s\n", m[i].customer_id,
                               time_format_rfc3339(m[i].entered_at, t, sizeof(t)));
                        after = m[i].ck;
                    }
                } while (n == 10000);
            }
        }
        store_read_end(rd);
        if (code != 0) {
            fprintf(stderr, "kartoteka segment %s: %s\n", cmd, err.msg);
        }
    } else {
        code = susage("unknown command");
    }
    arena_release(&a);
    store_close(s);
    return code;
}
