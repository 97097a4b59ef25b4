/*
 * intervals_bench.c - the learned intervals' speed and memory (issue 13, recipes 3 and 5): the
 * replenishment entry by SKU and by category and the lapse entry over a year of synthetic
 * receipts, each beside a reference in the same run - the purchase rows read by hand in SQL in
 * the order the computation needs (the floor: what reading them costs without computing).
 *
 *   intervals_bench --db PATH [--receipts N] [--runs 3]
 *
 * With --receipts it first adds N receipts of 1-3 lines to the customers already in the
 * database (load_customers made them): each customer has her own cycle (5-40 days) and three
 * favourite SKUs of 2,000 (in 50 categories), so repurchases are there to learn. The index on
 * purchases is dropped for the load and built again after.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_db.h"
#include "base/clock.h"
#include "base/num.h"
#include "cli/cli.h"
#include "segment/intervals.h"
#include "store/store.h"

#define DAY_MS (86400LL * 1000)

static int64_t one(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        bench_die(db, "intervals_bench", sql);
    }
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void generate(sqlite3 *db, int64_t n, int64_t now)
{
    int64_t customers = one(db, "SELECT max(ck) FROM customers");
    if (customers == 0) {
        fprintf(stderr, "intervals_bench: load customers first (load_customers)\n");
        exit(1);
    }
    sqlite3_stmt *p, *l;
    if (sqlite3_exec(db, "DROP INDEX IF EXISTS purchases_ck", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO purchases (id, store_id, receipt, ck, at, total, "
                           "points_earned, points_spent, program_version, body_hash, reply, "
                           "created_at) VALUES (?1, 'S-1', ?1, ?2, ?3, 10000, 0, 0, 1, x'00', "
                           "'{}', ?3)",
                           -1, &p, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO purchase_lines (purchase_id, n, sku, category, quantity, "
                           "price, discount, amount) VALUES (?1, ?2, ?3, ?4, 1000, 5000, 0, 5000)",
                           -1, &l, NULL) != SQLITE_OK) {
        bench_die(db, "intervals_bench", "prepare");
    }
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    int64_t t0 = clock_mono_ns(), lines = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i % 100000 == 0 && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
            bench_die(db, "intervals_bench", "begin");
        }
        /* a customer's receipts fall on her own cycle, with a day or two of noise */
        int64_t ck = 1 + (int64_t)(bench_rand(&seed) % (uint64_t)customers);
        uint64_t h = (uint64_t)ck * 0x9E3779B97F4A7C15ULL;
        int64_t cycle = 5 + (int64_t)(h % 36);
        int64_t k = (int64_t)(bench_rand(&seed) % (uint64_t)(365 / cycle + 1));
        int64_t at = now - (k * cycle + (int64_t)(bench_rand(&seed) % 3)) * DAY_MS -
                     (int64_t)(bench_rand(&seed) % (10 * 3600 * 1000));
        char id[24], sku[16], cat[8];
        snprintf(id, sizeof(id), "p%012lld", (long long)i);
        sqlite3_bind_text(p, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(p, 2, ck);
        sqlite3_bind_int64(p, 3, at);
        if (sqlite3_step(p) != SQLITE_DONE) {
            bench_die(db, "intervals_bench", "insert purchase");
        }
        sqlite3_reset(p);
        int nl = 1 + (int)(bench_rand(&seed) % 3);
        for (int j = 1; j <= nl; j++) {
            unsigned s = bench_rand(&seed) % 10 < 7 ? (unsigned)((h >> (8 * j)) % 2000)
                                                    : (unsigned)(bench_rand(&seed) % 2000);
            snprintf(sku, sizeof(sku), "S-%04u", s);
            snprintf(cat, sizeof(cat), "C-%02u", s % 50);
            sqlite3_bind_text(l, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(l, 2, j);
            sqlite3_bind_text(l, 3, sku, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(l, 4, cat, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(l) != SQLITE_DONE) {
                bench_die(db, "intervals_bench", "insert line");
            }
            sqlite3_reset(l);
            lines++;
        }
        if (((i + 1) % 100000 == 0 || i + 1 == n) &&
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            bench_die(db, "intervals_bench", "commit");
        }
    }
    sqlite3_finalize(p);
    sqlite3_finalize(l);
    if (sqlite3_exec(db,
                     "CREATE INDEX purchases_ck ON purchases (ck, at) WHERE ck IS NOT NULL; "
                     "ANALYZE;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        bench_die(db, "intervals_bench", "index");
    }
    fprintf(stderr, "%lld receipts, %lld lines in %.1f s\n", (long long)n, (long long)lines,
            (double)(clock_mono_ns() - t0) / 1e9);
}

/* The reference: the rows read by hand in the order the computation needs, counted. */
static double hand(sqlite3 *db, const char *key, int64_t *rows)
{
    char sql[400];
    snprintf(sql, sizeof(sql),
             "SELECT p.ck, %s, p.at FROM purchases p INDEXED BY purchases_ck %s WHERE p.ck IS "
             "NOT NULL ORDER BY p.ck, %s, p.at",
             key ? key : "''", key ? "CROSS JOIN purchase_lines l ON l.purchase_id = p.id" : "",
             key ? key : "p.at");
    sqlite3_stmt *st;
    int64_t t0 = clock_mono_ns();
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        bench_die(db, "intervals_bench", "hand prepare");
    }
    *rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        (*rows)++;
    }
    sqlite3_finalize(st);
    return (double)(clock_mono_ns() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    int64_t receipts = 0, runs = 3;
    const struct bench_num nums[] = {{"receipts", 0, 1000000000, &receipts},
                                     {"runs", 1, 100, &runs}};
    const char *path = bench_args(argc, argv, nums, 2,
                                  "usage: intervals_bench --db PATH [--receipts N] [--runs 3]\n");
    if (path == NULL) {
        return 2;
    }
    int64_t now = clock_now_ms();
    sqlite3 *db = bench_open("intervals_bench", path);
    if (receipts > 0) {
        generate(db, receipts, now);
    }
    struct store *s = cli_open_store_mode(path, 5000, 0, STORE_MIGRATE);
    if (s == NULL) {
        return 1;
    }
    static const struct {
        const char *name, *key;
        enum store_day_key by;
    } asks[] = {{"replenishment by sku", "l.sku", STORE_DAY_SKU},
                {"replenishment by category", "l.category", STORE_DAY_CATEGORY},
                {"lapse (factor 1.5)", NULL, STORE_DAY_RECEIPT}};
    int64_t today = intervals_today(now);
    printf("%-26s %10s %8s %12s %12s %6s\n", "ask (7 days from today)", "rows", "due",
           "kartoteka ms", "by hand ms", "ratio");
    for (size_t k = 0; k < 3; k++) {
        double mine[100], ref[100];
        int64_t rows = 0;
        size_t due = 0;
        for (int64_t run = 0; run < runs; run++) {
            struct arena a;
            arena_init(&a, 0);
            struct kt_err err;
            kt_err_reset(&err);
            struct store_conn *rd;
            struct interval_due *d;
            int64_t t0 = clock_mono_ns();
            enum kt_rc rc = store_read_begin_analytics(s, &rd, &err);
            if (rc == KT_OK) {
                rc = asks[k].by == STORE_DAY_RECEIPT
                         ? intervals_lapse_due(rd, now, today, today + 7, 150, &a, &d, &due, &err)
                         : intervals_replenish_due(rd, asks[k].by, now, today, today + 7, 0, &a, &d,
                                                   &due, &err);
                store_read_end(rd);
            }
            if (rc != KT_OK) {
                fprintf(stderr, "intervals_bench: %s\n", err.msg);
                return 1;
            }
            mine[run] = (double)(clock_mono_ns() - t0) / 1e6;
            arena_release(&a);
            ref[run] = hand(db, asks[k].key, &rows);
        }
        qsort(mine, (size_t)runs, sizeof(double), bench_cmp_d);
        qsort(ref, (size_t)runs, sizeof(double), bench_cmp_d);
        double m = mine[runs / 2], r = ref[runs / 2];
        printf("%-26s %10lld %8zu %12.0f %12.0f %6.2f\n", asks[k].name, (long long)rows, due, m, r,
               m / r);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("max resident set: %ld MiB\n", ru.ru_maxrss / 1024);
    store_close(s);
    sqlite3_close(db);
    return 0;
}
