/*
 * limits_bench.c - what the pages' limits add to a join submission (docs/pages.md, "Limits"): the
 * three uses of one submission (its phone, its address, its join point) counted by
 * pages_limit_take in one write transaction, beside the same transaction empty, the same
 * statements by hand on a connection of raw SQLite, and its three inserts alone (what a window's
 * lookup adds), in the same run, on the same file.
 *
 *   limits_bench --db PATH [--rows 1000000] [--uses 20000] [--runs 5]
 *
 * The file is a migrated database; the bench first puts ROWS uses of other keys into page_limits
 * with plain SQLite (a day of a busy installation: random tags over the last 24 hours), then,
 * RUNS times, times USES submissions of each kind - a new phone and address each, one of 1,000
 * join points (under its 300 an hour) - and prints each run's submissions per second and their
 * medians. The defaults of the limits are in force.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "bench_db.h"
#include "cli/cli.h"
#include "pages/limits.h"

#define PROG     "limits_bench"
#define RUNS_MAX 20
#define DAY_MS   (86400LL * 1000)

static void fill(const char *path, int64_t rows, int64_t now)
{
    sqlite3 *db = bench_open(PROG, path);
    sqlite3_stmt *st;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO page_limits (kind, tag, at, until) VALUES ('phone', ?1, "
                           "?2, ?2 + 86400000)",
                           -1, &st, NULL) != SQLITE_OK) {
        bench_die(db, PROG, "fill");
    }
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (int64_t i = 0; i < rows; i++) {
        uint64_t tag[4] = {bench_rand(&seed), bench_rand(&seed), bench_rand(&seed),
                           bench_rand(&seed)};
        sqlite3_bind_blob(st, 1, tag, sizeof(tag), SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now - (int64_t)(bench_rand(&seed) % DAY_MS));
        if (sqlite3_step(st) != SQLITE_DONE) {
            bench_die(db, PROG, "fill");
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        bench_die(db, PROG, "commit");
    }
    sqlite3_close(db);
}

/* The keys of submission `i` of run `run`. */
static void keys_of(int64_t run, int64_t i, char phone[16], char addr[24], char jp[12])
{
    snprintf(phone, 16, "7999%07lld", (long long)((run * 1000000 + i) % 10000000));
    snprintf(addr, 24, "10.%lld.%lld.%lld", (long long)run, (long long)(i / 256 % 256),
             (long long)(i % 256));
    snprintf(jp, 12, "JP%06lld", (long long)(i % 1000));
}

static void fail(const struct kt_err *err)
{
    fprintf(stderr, PROG ": %s %s %s\n", err->code, err->msg, err->detail);
    exit(1);
}

/* USES submissions through pages_limit_take (takes) or empty transactions: per second. */
static double store_run(struct store *s, const struct key_secret *k, int64_t run, int64_t uses,
                        int64_t now, bool takes)
{
    static const char *const kinds[] = {"phone", "addr", "join_point"};
    int64_t t0 = clock_mono_ns();
    for (int64_t i = 0; i < uses; i++) {
        char phone[16], addr[24], jp[12];
        const char *key[3] = {phone, addr, jp};
        keys_of(run, i, phone, addr, jp);
        struct store_conn *w;
        struct kt_err err;
        kt_err_reset(&err);
        enum kt_rc rc = store_write_begin(s, &w, &err);
        for (int j = 0; takes && rc == KT_OK && j < 3; j++) {
            rc = pages_limit_take(w, k, kinds[j], key[j], now + i, &err);
        }
        if (rc != KT_OK || store_write_end(w, rc, &err) != KT_OK) {
            fail(&err);
        }
    }
    return (double)uses * 1e9 / (double)(clock_mono_ns() - t0);
}

/* The same three lookups and inserts by hand (or the inserts alone): per second. */
static double raw_run(sqlite3 *db, const struct key_secret *k, int64_t run, int64_t uses,
                      int64_t now, bool lookups)
{
    static const char *const ctx[] = {
        "page-limit:phone:", "page-limit:addr:", "page-limit:join_point:"};
    static const int64_t count[] = {3, 20, 300}, window[] = {600000, 3600000, 3600000};
    sqlite3_stmt *nth, *add;
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce((SELECT at FROM page_limits WHERE tag = ?1 AND at >= "
                           "?2 ORDER BY at DESC LIMIT 1 OFFSET ?3), 0)",
                           -1, &nth, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO page_limits (kind, tag, at, until) VALUES (?1, ?2, "
                           "?3, ?4)",
                           -1, &add, NULL) != SQLITE_OK) {
        bench_die(db, PROG, "prepare");
    }
    int64_t t0 = clock_mono_ns();
    for (int64_t i = 0; i < uses; i++) {
        char phone[16], addr[24], jp[12];
        const char *key[3] = {phone, addr, jp};
        keys_of(run + (lookups ? 100 : 200), i, phone, addr, jp);
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (int j = 0; j < 3; j++) {
            unsigned char tag[32];
            keys_tag(k, ctx[j], key[j], tag);
            sqlite3_bind_blob(nth, 1, tag, 32, SQLITE_STATIC);
            sqlite3_bind_int64(nth, 2, now + i - window[j] + 1);
            sqlite3_bind_int64(nth, 3, count[j] - 1);
            if (lookups && (sqlite3_step(nth) != SQLITE_ROW || sqlite3_column_int64(nth, 0) != 0)) {
                bench_die(db, PROG, "nth");
            }
            sqlite3_reset(nth);
            sqlite3_bind_text(add, 1, ctx[j] + 11, -1, SQLITE_STATIC);
            sqlite3_bind_blob(add, 2, tag, 32, SQLITE_STATIC);
            sqlite3_bind_int64(add, 3, now + i);
            sqlite3_bind_int64(add, 4, now + i + (j == 0 ? DAY_MS : window[j]));
            if (sqlite3_step(add) != SQLITE_DONE) {
                bench_die(db, PROG, "add");
            }
            sqlite3_reset(add);
        }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            bench_die(db, PROG, "commit");
        }
    }
    double per_s = (double)uses * 1e9 / (double)(clock_mono_ns() - t0);
    sqlite3_finalize(nth);
    sqlite3_finalize(add);
    return per_s;
}

int main(int argc, char **argv)
{
    int64_t rows = 1000000, uses = 20000, runs = 5;
    const struct bench_num nums[] = {
        {"rows", 0, 100000000, &rows}, {"uses", 1, 10000000, &uses}, {"runs", 1, RUNS_MAX, &runs}};
    const char *path = bench_args(argc, argv, nums, 3,
                                  "usage: limits_bench --db PATH [--rows N] [--uses N] "
                                  "[--runs N]\n");
    if (path == NULL || sodium_init() < 0) {
        return 2;
    }
    int64_t now = clock_now_ms();
    fill(path, rows, now);
    struct store *s = cli_open_store_mode(path, 5000, 0, STORE_MIGRATE);
    struct key_secret k;
    if (s == NULL || cli_load_secret(s, path, &k) != 0) {
        fprintf(stderr, PROG ": cannot open the store\n");
        return 1;
    }
    sqlite3 *db = bench_open(PROG, path);
    sqlite3_exec(db, "PRAGMA busy_timeout = 5000", NULL, NULL, NULL);
    double r[4][RUNS_MAX];
    printf("%lld rows before, %lld submissions (3 uses each) a run, %lld runs\n", (long long)rows,
           (long long)uses, (long long)runs);
    for (int64_t i = 0; i < runs; i++) {
        r[0][i] = store_run(s, &k, i, uses, now, true);
        r[1][i] = store_run(s, &k, i, uses, now, false);
        r[2][i] = raw_run(db, &k, i, uses, now, true);
        r[3][i] = raw_run(db, &k, i, uses, now, false);
        printf("run %lld: takes %7.0f/s  empty %7.0f/s  raw %7.0f/s  raw inserts only %7.0f/s\n",
               (long long)i + 1, r[0][i], r[1][i], r[2][i], r[3][i]);
    }
    static const char *const names[] = {"three takes (pages_limit_take)", "empty transaction",
                                        "raw SQLite, same statements", "raw SQLite, inserts only"};
    for (int j = 0; j < 4; j++) {
        qsort(r[j], (size_t)runs, sizeof(double), bench_cmp_d);
        double m = r[j][runs / 2];
        printf("%-32s median %9.0f submissions/s (%.1f us each)\n", names[j], m, 1e6 / m);
    }
    sqlite3_close(db);
    store_close(s);
    return 0;
}
