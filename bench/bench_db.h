/*
 * bench_db.h - what the benchmarks that load a SQLite file by hand share: stopping on a SQLite
 * error, a fast deterministic random stream, the order of doubles for a median, and the file
 * opened as the loaders want it (WAL, no fsync per commit, a 16 MiB cache), and their command
 * line: --db PATH and whole numbers.
 */
#ifndef KT_BENCH_DB_H
#define KT_BENCH_DB_H

#include <getopt.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/num.h"

static inline void bench_die(sqlite3 *db, const char *prog, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, sqlite3_errmsg(db));
    exit(1);
}

/* xorshift64: the same stream from the same seed (not 0). */
static inline uint64_t bench_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static inline int bench_cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline sqlite3 *bench_open(const char *prog, const char *path)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        bench_die(db, prog, "open");
    }
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;",
                 NULL, NULL, NULL);
    return db;
}

/* A whole-number option: --NAME N, N from lo to hi, into *v (which holds its default). */
struct bench_num {
    const char *name;
    int64_t lo, hi, *v;
};

/* --db PATH and the numbers: the path, or NULL when it is missing or an option is wrong (then
 * `usage` is printed). */
static inline const char *bench_args(int argc, char **argv, const struct bench_num *nums, size_t n,
                                     const char *usage)
{
    struct option opts[16] = {{"db", required_argument, NULL, 0}};
    for (size_t i = 0; i < n && i < 14; i++) {
        opts[i + 1] = (struct option){nums[i].name, required_argument, NULL, (int)i + 1};
    }
    const char *path = NULL;
    bool bad = n > 14;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 0) {
            path = optarg;
        } else if (c < 1 || c > (int)n ||
                   !num_parse_cstr(optarg, nums[c - 1].lo, nums[c - 1].hi, nums[c - 1].v)) {
            bad = true;
        }
    }
    if (bad || path == NULL) {
        fputs(usage, stderr);
        return NULL;
    }
    return path;
}

#endif
