/*
 * loyalty_cmd.c - `kartoteka loyalty`: the programme's verbs for an operator at the server's
 * console, the same as the API's (docs/loyalty.md), working on the database directly.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "loyalty/cards.h"
#include "loyalty/ledger.h"
#include "loyalty/program.h"
#include "loyalty/purchase.h"

static const char loyalty_help[] =
    "usage: kartoteka loyalty <command> [options]\n"
    "\n"
    "The loyalty programme (docs/loyalty.md):\n"
    "\n"
    "  program [--set FILE]          the programme in force, as JSON; with --set, check FILE\n"
    "                                (a programme document) and publish it as the next version\n"
    "  points CUSTOMER_ID            the balance and every ledger entry\n"
    "  purchases CUSTOMER_ID [--limit N]\n"
    "                                the customer's receipts, newest first\n"
    "  report [--since TIME] [--until TIME]\n"
    "                                points issued, spent, expired, the liability, receipts\n"
    "  cards-batch --batch NAME --count N\n"
    "                                issue N physical cards (1-10000); prints their numbers\n"
    "\n"
    "  --db PATH    database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "Changes made here are written to the audit log without an API key.\n";

static int lusage(const char *msg)
{
    fprintf(stderr, "kartoteka loyalty: %s\nTry 'kartoteka loyalty --help'.\n", msg);
    return 2;
}

static int lerr(const char *what, const struct kt_err *err)
{
    fprintf(stderr, "kartoteka loyalty %s: %s%s%s\n", what, err->msg, err->detail[0] ? " - " : "",
            err->detail);
    return 1;
}

static void print(json_t *doc)
{
    cli_print_json(doc);
    json_decref(doc);
}

struct lopts {
    const char *db, *set, *batch;
    int64_t since, until, count, limit;
};

/* Runs `fn` on a read snapshot and prints what it gives. */
static int show(struct store *s, const char *what,
                json_t *(*fn)(struct store_conn *, const char *, const struct lopts *,
                              struct arena *, struct kt_err *),
                const char *arg, const struct lopts *o)
{
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    json_t *doc = NULL;
    if (store_read_begin_analytics(s, &rd, &err) == KT_OK) {
        doc = fn(rd, arg, o, &a, &err);
        store_read_end(rd);
    }
    int code = doc ? 0 : lerr(what, &err);
    if (doc) {
        print(doc);
    }
    arena_release(&a);
    return code;
}

static json_t *program_doc(struct store_conn *rd, const char *arg, const struct lopts *o,
                           struct arena *a, struct kt_err *err)
{
    (void)arg;
    (void)o;
    struct loyalty_rules r;
    int64_t at;
    if (loyalty_program_get(rd, a, &r, &at, err) != KT_OK) {
        return NULL;
    }
    json_t *doc =
        json_pack("{s:I, s:o}", "version", (json_int_t)r.version, "rules", loyalty_rules_json(&r));
    json_object_set_new(doc, "published_at", at ? json_string(time_rfc3339(a, at)) : json_null());
    return doc;
}

static json_t *points_doc(struct store_conn *rd, const char *id, const struct lopts *o,
                          struct arena *a, struct kt_err *err)
{
    (void)o;
    struct customer cu;
    struct ledger_entry *e;
    size_t n;
    if (store_customer_get_by_id(rd, id, a, &cu, NULL, err) != KT_OK ||
        store_ledger_list(rd, cu.ck, a, &e, &n, err) != KT_OK) {
        return NULL;
    }
    struct points_balance b;
    loyalty_balance(e, n, clock_now_ms(), &b);
    return json_pack("{s:o, s:o}", "balance", loyalty_balance_json(a, cu.id, &b), "history",
                     loyalty_ledger_json(a, e, n));
}

static json_t *purchases_doc(struct store_conn *rd, const char *id, const struct lopts *o,
                             struct arena *a, struct kt_err *err)
{
    struct customer cu;
    struct purchase *p;
    size_t n;
    if (store_customer_get_by_id(rd, id, a, &cu, NULL, err) != KT_OK ||
        store_purchase_list(rd, cu.ck, 0, NULL, (int)o->limit, a, &p, &n, err) != KT_OK) {
        return NULL;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, purchase_json(a, NULL, &p[i], NULL, 0));
    }
    return json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items);
}

static json_t *report_doc(struct store_conn *rd, const char *arg, const struct lopts *o,
                          struct arena *a, struct kt_err *err)
{
    (void)arg;
    return loyalty_report_doc(rd, o->since, o->until, a, err);
}

static int program_set(struct store *s, const char *db, const char *path)
{
    struct key_secret k; /* the audit entry of the change is chained with a key derived from it */
    if (cli_load_secret(s, db, &k) != 0) {
        return 1;
    }
    sodium_memzero(&k, sizeof(k));
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (doc == NULL) {
        fprintf(stderr, "kartoteka loyalty program: %s: %s (line %d)\n", path, je.text, je.line);
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct loyalty_rules r;
    enum kt_rc rc = loyalty_program_set(s, doc, NULL, NULL, "cli", clock_now_ms(), &a, &r, &err);
    json_decref(doc);
    int code = 0;
    if (rc != KT_OK) {
        code = err.field[0]
                   ? (fprintf(stderr, "kartoteka loyalty program: %s: %s\n", err.field, err.msg), 1)
                   : lerr("program", &err);
    } else {
        printf("published version %lld\n", (long long)r.version);
    }
    arena_release(&a);
    return code;
}

static int cards_batch(struct store *s, const struct lopts *o)
{
    if (o->batch == NULL || strlen(o->batch) == 0 || strlen(o->batch) > 64) {
        return lusage("cards-batch needs --batch NAME (1-64 bytes)");
    }
    if (o->count < 1 || o->count > CARD_BATCH_MAX) {
        return lusage("cards-batch needs --count N, 1-10000");
    }
    struct key_secret k; /* numbers on the suppression list are skipped: it is keyed */
    if (cli_load_secret(s, o->db, &k) != 0) {
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct card *cs = NULL;
    enum kt_rc rc = card_batch_print(s, &k, o->batch, o->count, NULL, NULL, "cli", clock_now_ms(),
                                     &a, &cs, &err);
    for (int64_t i = 0; rc == KT_OK && i < o->count; i++) {
        puts(cs[i].number);
    }
    sodium_memzero(&k, sizeof(k));
    arena_release(&a);
    return rc == KT_OK ? 0 : lerr("cards-batch", &err);
}

int cli_loyalty(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'D'},
                                         {"set", required_argument, NULL, 's'},
                                         {"since", required_argument, NULL, 'S'},
                                         {"until", required_argument, NULL, 'U'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"count", required_argument, NULL, 'c'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct lopts o = {cli_default_db(), NULL, NULL, INT64_MIN, clock_now_ms() + 1, 0, 50};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'D':
            o.db = optarg;
            break;
        case 's':
            o.set = optarg;
            break;
        case 'S':
        case 'U':
            if (!time_parse_rfc3339(optarg, strlen(optarg), c == 'S' ? &o.since : &o.until)) {
                return lusage("--since and --until are RFC 3339 times");
            }
            break;
        case 'b':
            o.batch = optarg;
            break;
        case 'c':
            o.count = strtoll(optarg, NULL, 10);
            break;
        case 'l':
            o.limit = strtoll(optarg, NULL, 10);
            if (o.limit < 1 || o.limit > 10000) {
                return lusage("--limit is 1-10000");
            }
            break;
        case 'h':
            fputs(loyalty_help, stdout);
            return 0;
        default:
            return lusage("unknown or incomplete option");
        }
    }
    if (optind >= argc) {
        return lusage("which command? (program, points, purchases, report, cards-batch)");
    }
    const char *cmd = argv[optind];
    const char *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    bool needs_id = strcmp(cmd, "points") == 0 || strcmp(cmd, "purchases") == 0;
    if (needs_id != (arg != NULL) || optind + 2 < argc) {
        return lusage(needs_id ? "this command takes one customer id" : "too many arguments");
    }
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store(o.db);
    if (s == NULL) {
        return 1;
    }
    int code;
    if (strcmp(cmd, "program") == 0) {
        code = o.set ? program_set(s, o.db, o.set) : show(s, "program", program_doc, NULL, &o);
    } else if (strcmp(cmd, "points") == 0) {
        code = show(s, "points", points_doc, arg, &o);
    } else if (strcmp(cmd, "purchases") == 0) {
        code = show(s, "purchases", purchases_doc, arg, &o);
    } else if (strcmp(cmd, "report") == 0) {
        code = show(s, "report", report_doc, NULL, &o);
    } else if (strcmp(cmd, "cards-batch") == 0) {
        code = cards_batch(s, &o);
    } else {
        code = lusage("unknown command");
    }
    store_close(s);
    return code;
}
