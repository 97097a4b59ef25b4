/*
 * dedup_base.c - `kartoteka dedup run|pairs|merge|reject|unmerge`: the fuzzy duplicates of the
 * base (quality/duplicates.h, docs/dedup.md). `run` finds them (a progress bar on a terminal),
 * `pairs` lists the review queue, `merge` and `reject` decide a pair, `unmerge` takes a merge
 * back - the same work as the API's, audited as "cli".
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/num.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "identity/identity.h"
#include "quality/duplicates.h"

const char cli_dedup_base_help[] =
    "usage: kartoteka dedup run [--db DB] [--json] [--auto-merge P]\n"
    "       kartoteka dedup pairs [--db DB] [--state open|merged|rejected|vetoed] [--limit N]\n"
    "       kartoteka dedup merge PAIR [--into CUSTOMER] [--db DB]\n"
    "       kartoteka dedup reject PAIR [--note TEXT] [--db DB]\n"
    "       kartoteka dedup unmerge CUSTOMER [--db DB]\n"
    "\n"
    "run      finds the fuzzy duplicates among the live customers and queues them for review\n"
    "         (a pair decided before keeps its decision); prints what it found. With\n"
    "         --auto-merge P (0.99 to 1) it then merges every open pair of at least that\n"
    "         probability, each audited and journalled (unmerge takes it back); off unless given\n"
    "pairs    the queue, strongest pair first, as JSON lines with each pair's explanation\n"
    "merge    merges a pair: --into (one of its two customers; default the older) survives\n"
    "reject   two people: the pair is never proposed again\n"
    "unmerge  takes back the newest merge of CUSTOMER (the id it had before it was merged)\n"
    "\n"
    "  --db DB     the database (KARTOTEKA_DB, else ./data/kartoteka.db)\n";

static void progress(double done, void *arg)
{
    (void)arg;
    if (isatty(STDERR_FILENO)) {
        fprintf(stderr, "\rdedup run: %3d%%", (int)(done * 100));
        if (done >= 1.0) {
            fputc('\n', stderr);
        }
    }
}

static int fail(const char *what, const struct kt_err *err)
{
    cli_print_error(what, err);
    return 1;
}

static int run(struct store *s, const char *db, bool json, double auto_merge)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct dup_run_stats st;
    if (dup_run(s, clock_now_ms(), progress, NULL, &st, &err) != KT_OK) {
        return fail("dedup run", &err);
    }
    size_t merged = 0, skipped = 0;
    if (auto_merge > 0) {
        struct key_secret k; /* the audit's chain is keyed by the installation secret */
        if (cli_load_secret(s, db, &k) != 0) {
            return 1;
        }
        sodium_memzero(&k, sizeof(k));
        if (dup_auto_merge(s, auto_merge, clock_now_ms(), &merged, &skipped, &err) != KT_OK) {
            return fail("dedup run --auto-merge", &err);
        }
    }
    if (json) {
        json_t *doc =
            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "customers", (json_int_t)st.customers,
                      "candidates", (json_int_t)st.candidates, "pairs", (json_int_t)st.pairs,
                      "added", (json_int_t)st.added, "vetoed", (json_int_t)st.vetoed, "auto_merged",
                      (json_int_t)merged, "auto_skipped", (json_int_t)skipped);
        cli_print_json(doc);
        json_decref(doc);
    } else {
        printf("dedup run: %zu customers, %zu candidate pairs, %zu judged one person: %zu new in "
               "the queue (%zu of them stopped by a verified phone, e-mail or birth date)\n",
               st.customers, st.candidates, st.pairs, st.added, st.vetoed);
        if (auto_merge > 0) {
            printf("dedup run: %zu pairs merged automatically (probability >= %g), %zu left for "
                   "review\n",
                   merged, auto_merge, skipped);
        }
    }
    return 0;
}

static int pairs(struct store *s, const char *state, int limit)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *rd;
    struct dup_pair *ps = NULL;
    size_t n = 0;
    if (store_read_begin(s, &rd, &err) != KT_OK) {
        arena_release(&a);
        return fail("dedup pairs", &err);
    }
    enum kt_rc rc = store_dup_pair_list(rd, state, 0, NULL, limit, &a, &ps, &n, &err);
    store_read_end(rd);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        printf("{\"id\": \"%s\", \"customers\": [\"%s\", \"%s\"], \"weight\": %.2f, "
               "\"probability\": %.4f, \"state\": \"%s\", \"explanation\": %s}\n",
               ps[i].id, ps[i].id_a, ps[i].id_b, ps[i].weight, ps[i].prob, ps[i].state,
               ps[i].explanation);
    }
    arena_release(&a);
    return rc == KT_OK ? 0 : fail("dedup pairs", &err);
}

/* merge, reject, unmerge: one audited write. */
static int decide(struct store *s, const char *db, const char *verb, const char *id,
                  const char *arg)
{
    struct key_secret k; /* the audit's chain is keyed by the installation secret */
    if (cli_load_secret(s, db, &k) != 0) {
        return 1;
    }
    sodium_memzero(&k, sizeof(k));
    struct kt_err err;
    kt_err_reset(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *w;
    int64_t now = clock_now_ms();
    struct dup_actor by = {NULL, NULL};
    struct customer cu, other;
    struct dup_pair p;
    enum kt_rc rc = store_write_begin(s, &w, &err);
    if (rc == KT_OK) {
        if (strcmp(verb, "merge") == 0) {
            rc = dup_merge(w, id, arg, &by, now, &a, &cu, &err);
        } else if (strcmp(verb, "reject") == 0) {
            rc = dup_reject(w, id, arg, &by, now, &a, &p, &err);
        } else {
            rc = ident_unmerge(w, id, now, &a, &cu, &other, &err);
            rc = rc == KT_OK
                     ? audit_write(w, NULL, "unmerge", cu.id, NULL,
                                   arena_printf(&a, "cli: took back the merge into %s", other.id),
                                   NULL, now, &err)
                     : rc;
        }
        rc = store_write_end(w, rc, &err);
    }
    if (rc == KT_OK) {
        printf("dedup %s: %s done\n", verb, id);
    }
    arena_release(&a);
    return rc == KT_OK ? 0 : fail(verb, &err);
}

int cli_dedup_base(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"state", required_argument, NULL, 's'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"into", required_argument, NULL, 'i'},
                                         {"note", required_argument, NULL, 'n'},
                                         {"auto-merge", required_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *verb = argv[1], *db = cli_default_db(), *state = "open", *into = NULL, *note = NULL;
    bool json = false;
    int limit = 100, c;
    double auto_merge = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 's':
            state = optarg;
            break;
        case 'l': {
            int64_t v;
            if (!num_parse_cstr(optarg, 1, 100000, &v)) {
                return cli_usage("dedup", "--limit is a number from 1 to 100000");
            }
            limit = (int)v;
            break;
        }
        case 'i':
            into = optarg;
            break;
        case 'n':
            note = optarg;
            break;
        case 'a': {
            char *end = NULL;
            auto_merge = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || auto_merge < 0.99 || auto_merge > 1) {
                return cli_usage("dedup", "--auto-merge is a probability from 0.99 to 1");
            }
            break;
        }
        case 'h':
            fputs(cli_dedup_base_help, stdout);
            return 0;
        default:
            return cli_usage("dedup", "unknown option");
        }
    }
    bool one =
        strcmp(verb, "merge") == 0 || strcmp(verb, "reject") == 0 || strcmp(verb, "unmerge") == 0;
    bool known_state = strcmp(state, "open") == 0 || strcmp(state, "merged") == 0 ||
                       strcmp(state, "rejected") == 0 || strcmp(state, "vetoed") == 0;
    if (!known_state) {
        return cli_usage("dedup", "--state is one of open, merged, rejected, vetoed");
    }
    if ((one && optind != argc - 1) || (!one && optind != argc) || limit < 1) {
        return cli_usage("dedup", one ? "say one id" : "no argument after the options");
    }
    struct store *s = cli_open_store(db);
    if (s == NULL) {
        return 1;
    }
    int code = strcmp(verb, "run") == 0 ? run(s, db, json, auto_merge)
               : strcmp(verb, "pairs") == 0
                   ? pairs(s, state, limit)
                   : decide(s, db, verb, argv[optind], strcmp(verb, "merge") == 0 ? into : note);
    store_close(s);
    return code;
}
