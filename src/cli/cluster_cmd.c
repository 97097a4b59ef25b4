/*
 * cluster_cmd.c - `kartoteka cluster --k 6`: the customers clustered by behaviour, described in
 * words, stored as the trait "cluster" (docs/segments.md, "Clusters").
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/num.h"
#include "cli/cli.h"
#include "segment/clusters.h"

static const char cluster_help[] =
    "usage: kartoteka cluster --k N [--json] [--no-store] [--features-out FILE] [--now TIME]\n"
    "                         [--db PATH]\n"
    "\n"
    "Clusters every customer with receipts by behaviour - recency, frequency, money, online\n"
    "activity and its channels, shares of the biggest categories - with k-means++ over the\n"
    "standardised features, describes each cluster by what its centre stands out on, and\n"
    "stores each customer's cluster as the trait \"cluster\". The silhouette (-1..1, higher is\n"
    "better separated) helps to pick k: try a few.\n"
    "\n"
    "  --k N               clusters, 2-20 and at most the number of customers with\n"
    "                       receipts (fewer customers than k is an error)\n"
    "  --json              the whole result as JSON (the document of POST /v1/clusters)\n"
    "  --no-store          do not store the traits\n"
    "  --features-out F    also write the standardised features as CSV (one customer a line)\n"
    "  --now TIME          as of this time (RFC 3339)\n"
    "  --db PATH           database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "  --db-read URL       PostgreSQL: the replica the features are read from\n"
    "                       (KARTOTEKA_DB_READ; the traits are stored on --db)\n";

int cli_cluster(int argc, char **argv)
{
    static const struct option opts[] = {{"k", required_argument, NULL, 'k'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"no-store", no_argument, NULL, 'n'},
                                         {"features-out", required_argument, NULL, 'f'},
                                         {"now", required_argument, NULL, 't'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"db-read", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = cli_default_db(), *features = NULL, *db_read = NULL;
    int64_t k = 0, now = clock_now_ms();
    bool json = false, store = true;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (!num_parse_cstr(optarg, 2, 20, &k)) {
                k = -1;
            }
            break;
        case 'j':
            json = true;
            break;
        case 'n':
            store = false;
            break;
        case 'f':
            features = optarg;
            break;
        case 't':
            if (!time_parse_rfc3339(optarg, strlen(optarg), &now)) {
                fprintf(stderr, "kartoteka cluster: --now is an RFC 3339 time\n");
                return 2;
            }
            break;
        case 'd':
            db = optarg;
            break;
        case 'r':
            db_read = optarg;
            break;
        case 'h':
            fputs(cluster_help, stdout);
            return 0;
        default:
            fprintf(stderr, "kartoteka cluster: unknown option\nTry 'kartoteka cluster --help'.\n");
            return 2;
        }
    }
    if (k < 2 || optind != argc) {
        fprintf(stderr, "kartoteka cluster: --k N (2-20) is required, and no arguments\n"
                        "Try 'kartoteka cluster --help'.\n");
        return 2;
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
    json_t *o = cluster_run(s, (int)k, now, store, features, &a, &err);
    int code = 0;
    if (o == NULL) {
        fprintf(stderr, "kartoteka cluster: %s\n", err.msg);
        code = 1;
    } else if (json) {
        cli_print_json(o);
    } else {
        printf("%lld customers in %lld clusters: inertia %.1f, silhouette %.3f, %.0f ms\n\n",
               (long long)json_integer_value(json_object_get(o, "customers")), (long long)k,
               json_real_value(json_object_get(o, "inertia")),
               json_real_value(json_object_get(o, "silhouette")),
               json_real_value(json_object_get(o, "took_ms")));
        size_t i;
        json_t *cl;
        json_array_foreach(json_object_get(o, "clusters"), i, cl)
        {
            printf("  %2lld  %7lld  %s\n",
                   (long long)json_integer_value(json_object_get(cl, "cluster")),
                   (long long)json_integer_value(json_object_get(cl, "size")),
                   json_string_value(json_object_get(cl, "description")));
        }
        if (store) {
            printf("\nstored as the trait \"cluster\"\n");
        }
    }
    json_decref(o);
    arena_release(&a);
    store_close(s);
    return code;
}
