/*
 * report_cmd.c - `kartoteka report quality`, `report rfm`, `report campaign ID`
 * (report_campaign.c), `report journey KEY` (report_journey.c), `report replenishment` and
 * `report lapsed` (report_intervals.c): a table for people, or with --json the same document the
 * API answers (GET /v1/reports/quality, /rfm, /campaigns/{id}, /journeys/{key}, /replenishment,
 * /lapsed).
 *
 * The format is the flag's alone, never a guess from whether stdout is a terminal: a script, a
 * pipe and a person get what the command line asks for (a table piped to `less` stays a table).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/num.h"
#include "base/tz.h"
#include "campaign/report.h"
#include "cli/cli.h"
#include "journey/report.h"
#include "quality/quality.h"
#include "segment/intervals.h"
#include "segment/rfm.h"

static const char report_help[] =
    "usage: kartoteka report quality [--json] [--db PATH]\n"
    "       kartoteka report rfm [--json] [--store] [--now TIME] [--db PATH]\n"
    "       kartoteka report campaign ID [--json] [--now TIME] [--db PATH]\n"
    "       kartoteka report journey KEY [--window-days N] [--json] [--db PATH]\n"
    "       kartoteka report replenishment [--by sku|category] [--starting-on DATE] [--days N]\n"
    "                                      [--days-before N] [--json] [--now TIME] [--db PATH]\n"
    "       kartoteka report lapsed [--factor X] [--starting-on DATE] [--days N] [--json]\n"
    "                               [--now TIME] [--db PATH]\n"
    "\n"
    "The quality of the whole base: completeness of every field and attribute, what cleaning\n"
    "made of the values, verification, duplicates, freshness, which channels, stores and\n"
    "cashiers bring bad data (last 90 days), cards per customer.\n"
    "\n"
    "rfm: recency, frequency and monetary scores 1-5 of every customer with receipts, by\n"
    "quintiles, and the groups (champions ... lost); with --store also saved as the traits\n"
    "rfm_score and rfm_group (docs/segments.md).\n"
    "\n"
    "campaign: what a campaign earned by group - sent, delivered, opened, clicked,\n"
    "unsubscribed, capped, bounced, converted and the revenue attributed to its messages (a\n"
    "purchase within the conversion window, last touch per channel), and the uplift of revenue\n"
    "per customer against the control group with its 95 % interval (docs/messages.md).\n"
    "\n"
    "journey: what a journey did and earned - its runs by state and exit, each step's outcomes\n"
    "with its messages (sent, capped, suppressed, pending), the purchases attributed to them\n"
    "(last touch within --window-days, 7 by default) and the uplift against its control group\n"
    "(docs/journeys.md, \"Reports\").\n"
    "\n"
    "replenishment: who runs out of what - the customers and SKUs (or categories) whose\n"
    "learned repurchase interval (her own median gap from three purchase days, else every\n"
    "customer's) runs out in the span, listed --days-before days ahead. lapsed: the customers\n"
    "whose days since their last purchase first exceed --factor x their usual gap in the span\n"
    "(docs/journeys.md, \"Learned intervals\").\n"
    "\n"
    "  --json      print the JSON document of GET /v1/reports/quality (or /rfm, /campaigns/ID)\n"
    "  --store     rfm: store the scores as traits\n"
    "  --now TIME  rfm, campaign, replenishment, lapsed: as of this time (RFC 3339)\n"
    "  --by sku|category    replenishment: what the interval is of (default sku)\n"
    "  --starting-on DATE   replenishment, lapsed: the span's first day, YYYY-MM-DD (default\n"
    "                       today on the installation's clock, KARTOTEKA_TIME_ZONE)\n"
    "  --days N             the span's length, 1-366 (default 7)\n"
    "  --days-before N      replenishment: list a row N days ahead of its due day, 0-365\n"
    "  --factor X           lapsed: 1-100, two decimals at most (default 2)\n"
    "  --window-days N      journey: the conversion window, 1-90 days (default 7)\n"
    "  --db PATH   database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "  --db-read URL  PostgreSQL: the replica the reports read (KARTOTEKA_DB_READ; rfm --store\n"
    "               writes on --db)\n";

static int64_t num(json_t *o, const char *path)
{
    json_t *v = json_object_get(o, path);
    return (int64_t)json_integer_value(v);
}

static void table(json_t *rep)
{
    int64_t total = num(rep, "customers");
    printf("Customers: %lld\n\n", (long long)total);
    json_t *fields = json_object_get(json_object_get(rep, "completeness"), "fields");
    json_t *validity = json_object_get(rep, "validity");
    printf("%-12s %10s %7s %10s %10s %10s %9s\n", "field", "filled", "share", "ok", "corrected",
           "suspicious", "refused");
    const char *key;
    json_t *v;
    json_object_foreach(fields, key, v)
    {
        json_t *q = json_object_get(validity, key);
        printf("%-12s %10lld %6.1f%% %10lld %10lld %10lld %9lld\n", key,
               (long long)num(v, "filled"), 100 * json_real_value(json_object_get(v, "share")),
               (long long)num(q, "ok"), (long long)num(q, "corrected"),
               (long long)num(q, "suspicious"), (long long)num(q, "refused"));
    }
    json_t *cp = json_object_get(json_object_get(rep, "completeness"), "complete_profile");
    printf("\ncomplete profile (phone verified, first name, birth date): %lld (%.1f%%)\n",
           (long long)num(cp, "count"), 100 * json_real_value(json_object_get(cp, "share")));
    json_t *ver = json_object_get(rep, "verification");
    printf("verified phones: %.1f%%, verified e-mails: %.1f%%, gender inferred: %lld\n",
           100 * json_real_value(json_object_get(json_object_get(ver, "phone"), "share")),
           100 * json_real_value(json_object_get(json_object_get(ver, "email"), "share")),
           (long long)num(ver, "gender_inferred"));
    printf("undeliverable (a hard bounce): %lld e-mails, %lld phones\n",
           (long long)num(json_object_get(ver, "email"), "undeliverable"),
           (long long)num(json_object_get(ver, "phone"), "undeliverable"));
    json_t *dup = json_object_get(rep, "duplicates");
    json_t *same = json_object_get(dup, "same_name_and_birth_date");
    json_t *shared = json_object_get(dup, "shared_identifiers");
    printf("duplicates: %lld groups (%lld customers) share name and birth date; %lld pairs "
           "share an identifier\n",
           (long long)num(same, "groups"), (long long)num(same, "customers"),
           (long long)num(shared, "open_pairs"));
    json_t *fr = json_object_get(rep, "freshness");
    printf("not updated for 12 / 24 / 36 months: %lld / %lld / %lld\n",
           (long long)num(fr, "not_updated_12_months"), (long long)num(fr, "not_updated_24_months"),
           (long long)num(fr, "not_updated_36_months"));
    json_t *src = json_object_get(rep, "sources");
    static const char *const groups[] = {"by_channel", "by_store", "by_operator"};
    for (int g = 0; g < 3; g++) {
        json_t *list = json_object_get(src, groups[g]);
        if (json_array_size(list) == 0) {
            continue;
        }
        printf("\nbad data %s (last 90 days, worst first):\n", groups[g] + 3);
        size_t i;
        json_array_foreach(list, i, v)
        {
            const char *name = json_string_value(json_object_get(v, g == 0 ? "channel" : "store"));
            const char *op = json_string_value(json_object_get(v, "operator"));
            printf("  %-14s %-10s requests %8lld  refused %5.1f%%  junk %5.1f%%\n", name,
                   op ? op : "", (long long)num(v, "requests"),
                   100 * json_real_value(json_object_get(v, "error_rate")),
                   100 * json_real_value(json_object_get(v, "junk_rate")));
            if (i == 9) {
                break;
            }
        }
    }
}

static int report_rfm(const char *db, int64_t now, bool json, bool store)
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
    struct store_conn *r;
    json_t *rep = NULL;
    int64_t stored = 0;
    enum kt_rc rc = store_read_begin_analytics(s, &r, &err);
    if (rc == KT_OK) {
        rep = rfm_report_doc(r, now, json, &a, &err);
        rc = rep ? KT_OK : err.rc;
        store_read_end(r);
    }
    if (rc == KT_OK && store) {
        rc = rfm_traits_store(s, now, &a, &stored, &err);
    }
    int code = 0;
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka report rfm: %s\n", err.msg);
        code = 1;
    } else if (json) {
        cli_print_json(rep);
    } else {
        printf("RFM as of %s: %lld customers with receipts\n\n",
               json_string_value(json_object_get(rep, "as_of")),
               (long long)json_integer_value(json_object_get(rep, "customers")));
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(rep, "groups"), key, v)
        {
            printf("  %-20s %8lld\n", key, (long long)json_integer_value(v));
        }
        if (store) {
            printf("\nstored as traits for %lld customers\n", (long long)stored);
        }
    }
    json_decref(rep);
    arena_release(&a);
    store_close(s);
    return code;
}

/* A report that is one document: quality, a campaign's, replenishment or lapsed. */
struct doc_ask {
    const char *kind;    /* "quality", "campaign", "journey", "replenishment", "lapsed" */
    const char *id;      /* the campaign's, the journey's */
    int64_t window_days; /* a journey's conversion window */
    int64_t now;
    struct intervals_ask iv; /* replenishment, lapsed */
};

static json_t *build(struct store_conn *rd, const struct doc_ask *q, struct arena *a,
                     struct kt_err *err)
{
    if (strcmp(q->kind, "campaign") == 0) {
        return campaign_report_doc(rd, q->id, q->now, a, err);
    }
    if (strcmp(q->kind, "journey") == 0) {
        return journey_report_doc(rd, q->id, q->window_days, a, err);
    }
    if (strcmp(q->kind, "quality") != 0) {
        return intervals_report_doc(rd, &q->iv, q->now, a, err);
    }
    json_t *rep = NULL;
    return quality_report(rd, q->now, a, &rep, err) == KT_OK ? rep : NULL;
}

/* The document on an analytic read, printed as JSON or as its table. 0, or 1 when it cannot. */
static int report_doc(const char *db, const struct doc_ask *q, bool json)
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
    struct store_conn *r;
    json_t *rep = NULL;
    if (store_read_begin_analytics(s, &r, &err) == KT_OK) {
        rep = build(r, q, &a, &err);
        store_read_end(r);
    }
    int code = 0;
    if (rep == NULL) {
        fprintf(stderr, "kartoteka report: %s\n", err.msg);
        code = 1;
    } else if (json) {
        cli_print_json(rep);
    } else if (strcmp(q->kind, "campaign") == 0) {
        cli_campaign_table(rep);
    } else if (strcmp(q->kind, "journey") == 0) {
        cli_journey_table(rep);
    } else if (strcmp(q->kind, "quality") != 0) {
        cli_intervals_table(rep);
    } else {
        table(rep);
    }
    json_decref(rep);
    arena_release(&a);
    store_close(s);
    return code;
}

/* replenishment or lapsed: the ask from the flags (by, starting-on, days, days-before, factor). */
static int report_intervals(const char *db, const char *kind, const char *const iv[5], int64_t now,
                            bool json)
{
    struct doc_ask q = {.kind = kind, .now = now};
    struct kt_err err;
    kt_err_reset(&err);
    const char *zone = getenv("KARTOTEKA_TIME_ZONE"); /* the days are serve's */
    if (zone != NULL && tz_set_default(zone, NULL) != KT_OK) {
        fprintf(stderr, "kartoteka report: KARTOTEKA_TIME_ZONE is not an IANA time zone\n");
        return 2;
    }
    if (intervals_ask_parse(strcmp(kind, "lapsed") == 0, iv[0], iv[1], iv[2], iv[3], iv[4],
                            intervals_today(now), &q.iv, &err) != KT_OK) {
        fprintf(stderr, "kartoteka report: --%s: %s\n",
                strcmp(err.field, "starting_on") == 0   ? "starting-on"
                : strcmp(err.field, "days_before") == 0 ? "days-before"
                                                        : err.field,
                err.msg);
        return 2;
    }
    return report_doc(db, &q, json);
}

int cli_report(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"store", no_argument, NULL, 's'},
                                         {"now", required_argument, NULL, 'n'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"db-read", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"by", required_argument, NULL, 'b'},
                                         {"starting-on", required_argument, NULL, 'o'},
                                         {"days", required_argument, NULL, 'D'},
                                         {"days-before", required_argument, NULL, 'B'},
                                         {"factor", required_argument, NULL, 'f'},
                                         {"window-days", required_argument, NULL, 'w'},
                                         {NULL, 0, NULL, 0}};
    const char *iv[5] = {NULL}; /* by, starting-on, days, days-before, factor */
    const char *db = cli_default_db(), *db_read = NULL;
    bool json = false, store = false;
    int64_t now = clock_now_ms(), window = JOURNEY_WINDOW_DAYS;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j') {
            json = true;
        } else if (c == 's') {
            store = true;
        } else if (c == 'n') {
            if (!time_parse_rfc3339(optarg, strlen(optarg), &now)) {
                fprintf(stderr, "kartoteka report: --now is an RFC 3339 time\n");
                return 2;
            }
        } else if (c == 'd') {
            db = optarg;
        } else if (c == 'r') {
            db_read = optarg;
        } else if (c == 'w') {
            if (!num_parse_cstr(optarg, 1, 90, &window)) {
                fprintf(stderr, "kartoteka report: --window-days is a number from 1 to 90\n");
                return 2;
            }
        } else if (c && strchr("boDBf", c)) {
            iv[strchr("boDBf", c) - "boDBf"] = optarg;
        } else if (c == 'h') {
            fputs(report_help, stdout);
            return 0;
        } else {
            fprintf(stderr, "kartoteka report: unknown option\nTry 'kartoteka report --help'.\n");
            return 2;
        }
    }
    cli_db_read_use(db_read);
    if (optind + 2 == argc && strcmp(argv[optind], "campaign") == 0) {
        return report_doc(
            db, &(struct doc_ask){.kind = "campaign", .id = argv[optind + 1], .now = now}, json);
    }
    if (optind + 1 == argc && strcmp(argv[optind], "campaign") == 0) {
        fprintf(stderr, "kartoteka report: say which campaign: report campaign ID\n");
        return 2;
    }
    if (optind + 2 == argc && strcmp(argv[optind], "journey") == 0) {
        return report_doc(
            db,
            &(struct doc_ask){
                .kind = "journey", .id = argv[optind + 1], .now = now, .window_days = window},
            json);
    }
    if (optind + 1 == argc && strcmp(argv[optind], "journey") == 0) {
        fprintf(stderr, "kartoteka report: say which journey: report journey KEY\n");
        return 2;
    }
    bool lapsed = optind + 1 == argc && strcmp(argv[optind], "lapsed") == 0;
    if (lapsed || (optind + 1 == argc && strcmp(argv[optind], "replenishment") == 0)) {
        return report_intervals(db, argv[optind], iv, now, json);
    }
    bool rfm = optind + 1 == argc && strcmp(argv[optind], "rfm") == 0;
    if (optind + 1 != argc || (!rfm && strcmp(argv[optind], "quality") != 0)) {
        fprintf(stderr, "kartoteka report: say which report: quality, rfm, campaign ID, "
                        "journey KEY, replenishment or lapsed\n");
        return 2;
    }
    if (rfm) {
        return report_rfm(db, now, json, store);
    }
    return report_doc(db, &(struct doc_ask){.kind = "quality", .now = now}, json);
}
