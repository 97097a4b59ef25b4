/*
 * load_customers.c - fills a database with synthetic customers through the real identity path
 * (clean -> identify -> survivorship -> store), in transactions of --batch customers, with a
 * progress line. Used by bench/run.sh to build the 1,000,000-customer base.
 *
 *   load_customers --db PATH --count N [--batch 1000] [--prefix 916] [--shuffle]
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/num.h"
#include "clean/clean.h"
#include "cli/cli.h"
#include "identity/identity.h"
#include "synth.h"

static int load_one(struct store_conn *w, uint64_t i, const char *prefix, int64_t now,
                    struct arena *a)
{
    struct synth p;
    synth_make(i, prefix, &p);
    struct upsert_req r;
    memset(&r, 0, sizeof(r));
    r.src.channel = "import";
    r.src.observed_at = now;
    struct clean_phone ph;
    clean_phone(p.phone, strlen(p.phone), a, &ph);
    struct clean_email em;
    clean_email(p.email, strlen(p.email), a, &em);
    r.val[PF_PHONE] = ph.out.value;
    r.val[PF_EMAIL] = em.display;
    r.val[PF_LAST_NAME] = p.last;
    r.val[PF_FIRST_NAME] = p.first;
    r.val[PF_GENDER] = p.gender;
    r.val[PF_BIRTH_DATE] = p.birth;
    r.val[PF_CITY] = p.city;
    struct ident card = {"card", p.card, 0, false, 0, NULL};
    r.idents = &card;
    r.n_idents = 1;
    struct upsert_result res;
    struct kt_err err;
    kt_err_reset(&err);
    if (ident_upsert(w, &r, now, a, &res, &err) != KT_OK) {
        fprintf(stderr, "load: customer %llu: %s %s\n", (unsigned long long)i, err.code,
                err.detail);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *db = NULL, *prefix = "916";
    bool shuffle = false;
    int64_t count = 0, batch = 1000;
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},    {"count", required_argument, NULL, 'n'},
        {"batch", required_argument, NULL, 'b'}, {"prefix", required_argument, NULL, 'p'},
        {"shuffle", no_argument, NULL, 's'},     {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'n' && num_parse_cstr(optarg, 1, 9999999, &count)) {
        } else if (c == 'b' && num_parse_cstr(optarg, 1, 100000, &batch)) {
        } else if (c == 'p' && strlen(optarg) == 3) {
            prefix = optarg;
        } else if (c == 's') {
            shuffle = true;
        } else {
            fprintf(stderr, "usage: load_customers --db PATH --count N [--batch N] [--shuffle] "
                            "[--prefix 3DIGITS]\n");
            return 2;
        }
    }
    if (db == NULL || count == 0 || sodium_init() < 0) {
        fprintf(stderr, "usage: load_customers --db PATH --count N [--batch N]\n");
        return 2;
    }
    log_set_level(LOG_WARN);
    /* the keys beside the database, as the server that runs on it next will load them */
    struct store *s = cli_open_store_mode(db, 60000, 0, STORE_MIGRATE);
    struct kt_err err;
    kt_err_reset(&err);
    if (s == NULL) {
        return 1;
    }
    int64_t t0 = clock_mono_ns();
    double last_report = 0;
    bool tty = isatty(2);
    int rc = 0;
    for (int64_t i = 0; i < count && rc == 0; i += batch) {
        struct store_conn *w = NULL;
        struct arena a;
        arena_init(&a, 1 << 16);
        enum kt_rc r = store_write_begin(s, &w, &err);
        int64_t now = clock_now_ms();
        for (int64_t k = i; r == KT_OK && k < i + batch && k < count; k++) {
            /* --shuffle: the same people in an order a real file has, not by phone: a multiplier
             * prime to the count is a bijection of [0, count), and Knuth's 2654435761 (a prime)
             * scatters neighbours across the whole range (999983 = -17 mod 10^6 kept them close) */
            uint64_t who = shuffle ? (uint64_t)k * 2654435761u % (uint64_t)count : (uint64_t)k;
            if (load_one(w, who, prefix, now, &a) != 0) {
                r = KT_EINTERNAL;
            }
        }
        if (w != NULL) {
            r = store_write_end(w, r, &err);
        }
        arena_release(&a);
        rc = r == KT_OK ? 0 : 1;
        int64_t done = i + batch < count ? i + batch : count;
        double secs = (double)(clock_mono_ns() - t0) / 1e9;
        if (secs - last_report >= 1.0 || done == count) {
            /* A progress line each second: redrawn in place on a terminal, one per line in a
             * log. */
            fprintf(stderr, "%sload: %lld / %lld customers (%.0f%%), %.0f/s%s", tty ? "\r" : "",
                    (long long)done, (long long)count, 100.0 * (double)done / (double)count,
                    (double)done / secs, tty ? "   " : "\n");
            last_report = secs;
        }
    }
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    if (tty) {
        fprintf(stderr, "\n");
    }
    printf("loaded %lld customers in %.1f s: %.0f customers/s\n", (long long)count, secs,
           (double)count / secs);
    store_close(s);
    return rc;
}
