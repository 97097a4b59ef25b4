/*
 * raw_insert.c - the reference for the upsert benchmark: a plain C loop that inserts the rows
 * one POST /v1/customers writes for a new customer (the customer, its phone identifier, five
 * history rows) straight into SQLite, one transaction per customer, with the durability settings
 * the server uses (WAL, synchronous=NORMAL). No HTTP, no JSON, no lookups, no cleaning.
 *
 *   raw_insert --db PATH (a database made by `kartoteka migrate`) --count N [--prefix 917]
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/num.h"
#include "synth.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int rc, sqlite3 *db, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "raw_insert: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const char *path = NULL, *prefix = "917";
    long count = 0;
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"prefix", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            path = optarg;
        } else if (c == 'n') {
            int64_t n = 0;
            count = num_parse_cstr(optarg, 1, 100000000, &n) ? (long)n : 0;
        } else if (c == 'p') {
            prefix = optarg;
        }
    }
    if (path == NULL || count == 0) {
        fprintf(stderr, "usage: raw_insert --db PATH --count N [--prefix 917]\n");
        return 2;
    }
    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    check(sqlite3_exec(db,
                       "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                       "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;",
                       NULL, NULL, NULL),
          db, "pragmas");
    sqlite3_stmt *cust, *ident, *hist, *begin, *commit;
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO customers (id, created_at, updated_at, first_name, "
                             "first_name_at, last_name, last_name_at, phone, phone_at) "
                             "VALUES (?1, ?2, ?2, ?3, ?2, ?4, ?2, ?5, ?2)",
                             -1, &cust, NULL),
          db, "prepare");
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO identifiers (kind, value, ck, verified, created_at, "
                             "channel) VALUES ('phone', ?1, ?2, 0, ?3, 'pos')",
                             -1, &ident, NULL),
          db, "prepare");
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO history (ck, at, field, action, old_value, new_value, "
                             "channel, store_id, operator_id, request_id) "
                             "VALUES (?1, ?2, ?3, ?4, NULL, ?5, 'pos', 'S-1', NULL, 'bench')",
                             -1, &hist, NULL),
          db, "prepare");
    check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL), db, "prepare");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL), db, "prepare");
    double t0 = now_s();
    for (long i = 0; i < count; i++) {
        struct synth p;
        synth_make((uint64_t)i, prefix, &p);
        char id[48];
        snprintf(id, sizeof(id), "c_r%s%014ld", prefix, i);
        long long at = 1795000000000LL + i;
        check(sqlite3_step(begin), db, "begin");
        sqlite3_reset(begin);
        sqlite3_bind_text(cust, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(cust, 2, at);
        sqlite3_bind_text(cust, 3, p.first, -1, SQLITE_STATIC);
        sqlite3_bind_text(cust, 4, p.last, -1, SQLITE_STATIC);
        sqlite3_bind_text(cust, 5, p.phone, -1, SQLITE_STATIC);
        check(sqlite3_step(cust), db, "customer");
        sqlite3_reset(cust);
        long long ck = sqlite3_last_insert_rowid(db);
        sqlite3_bind_text(ident, 1, p.phone, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ident, 2, ck);
        sqlite3_bind_int64(ident, 3, at);
        check(sqlite3_step(ident), db, "identifier");
        sqlite3_reset(ident);
        const char *rows[5][3] = {{"customer", "create", id},
                                  {"profile.last_name", "set", p.last},
                                  {"profile.first_name", "set", p.first},
                                  {"profile.phone", "set", p.phone},
                                  {"identifiers.phone", "attach", p.phone}};
        for (int k = 0; k < 5; k++) {
            sqlite3_bind_int64(hist, 1, ck);
            sqlite3_bind_int64(hist, 2, at);
            sqlite3_bind_text(hist, 3, rows[k][0], -1, SQLITE_STATIC);
            sqlite3_bind_text(hist, 4, rows[k][1], -1, SQLITE_STATIC);
            sqlite3_bind_text(hist, 5, rows[k][2], -1, SQLITE_STATIC);
            check(sqlite3_step(hist), db, "history");
            sqlite3_reset(hist);
        }
        check(sqlite3_step(commit), db, "commit");
        sqlite3_reset(commit);
    }
    double secs = now_s() - t0;
    printf("raw inserted %ld customers in %.2f s: %.0f customers/s\n", count, secs,
           (double)count / secs);
    sqlite3_finalize(cust);
    sqlite3_finalize(ident);
    sqlite3_finalize(hist);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    return 0;
}
