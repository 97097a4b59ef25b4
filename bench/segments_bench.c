/*
 * segments_bench.c - the segment language's speed (issue 6: on 1,000,000 customers and
 * 20,000,000 events the title query in under 2 s, a profile-only segment in under 0.5 s), each
 * query beside the same query written by hand in SQL against the same SQLite file in the same
 * run.
 *
 *   segments_bench --db PATH --events N [--days 60] [--runs 3] [--now MS]
 *   segments_bench --db postgresql://... [--runs 3] [--now MS]
 *
 * With --events it first adds N synthetic events to the customers already in the database
 * (load_customers made them): the indexes are dropped, the rows inserted in large transactions,
 * the indexes built again (a sort, much faster than N random inserts). Then it times each query
 * --runs times through store_segment_preview and by hand, and prints the medians, and the
 * `now` the windows ended at. With a PostgreSQL URL (bench/pg_segments.sh: the same base copied
 * there) only the store's path is timed, at the --now the SQLite run printed, so that both count
 * the same window.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_db.h"
#include "base/clock.h"
#include "base/num.h"
#include "cli/cli.h"
#include "segment/segment.h"
#include "store/store.h"

#define DAY_MS (86400LL * 1000)

static void generate(sqlite3 *db, int64_t n, int64_t days, int64_t now)
{
    int64_t customers = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT max(ck) FROM customers", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        bench_die(db, "segments_bench", "customers");
    }
    customers = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (customers == 0) {
        fprintf(stderr, "segments_bench: load customers first (load_customers)\n");
        exit(1);
    }
    if (sqlite3_exec(db, "DROP INDEX IF EXISTS events_ck; DROP INDEX IF EXISTS events_anon;", NULL,
                     NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO events (ck, type, at, received_at, channel, props) "
                           "VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK) {
        bench_die(db, "segments_bench", "prepare");
    }
    /* Shares of a shop's traffic: most events are views. */
    static const struct {
        const char *type, *channel;
        int per_mille;
    } kinds[] = {{"page_view", "web", 480},     {"product_view", "web", 250},
                 {"cart_add", "web", 70},       {"search", "web", 50},
                 {"email_open", "email", 90},   {"email_click", "email", 40},
                 {"social_share", "social", 20}};
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    int64_t t0 = clock_mono_ns();
    for (int64_t i = 0; i < n; i++) {
        if (i % 100000 == 0 && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
            bench_die(db, "segments_bench", "begin");
        }
        uint64_t r = bench_rand(&seed);
        int pm = (int)(r % 1000), k = 0;
        while (pm >= kinds[k].per_mille && k < 6) {
            pm -= kinds[k].per_mille;
            k++;
        }
        /* a few customers do much: a power law over the base */
        uint64_t u = bench_rand(&seed) % 1000000;
        int64_t ck = 1 + (int64_t)((u * u / 1000000 * (uint64_t)customers) / 1000000);
        char props[64];
        snprintf(props, sizeof(props), "{\"sku\":\"A-%u\"}", (unsigned)(bench_rand(&seed) % 5000));
        sqlite3_bind_int64(st, 1, ck);
        sqlite3_bind_text(st, 2, kinds[k].type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now - (int64_t)(bench_rand(&seed) % (uint64_t)(days * DAY_MS)));
        sqlite3_bind_text(st, 4, kinds[k].channel, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, k == 1 || k == 2 ? props : NULL, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            bench_die(db, "segments_bench", "insert");
        }
        sqlite3_reset(st);
        if ((i + 1) % 100000 == 0 || i + 1 == n) {
            if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                bench_die(db, "segments_bench", "commit");
            }
        }
        if ((i + 1) % 2000000 == 0) {
            fprintf(stderr, "events: %lld / %lld\n", (long long)(i + 1), (long long)n);
        }
    }
    sqlite3_finalize(st);
    fprintf(stderr, "inserted %lld events in %.1f s; building the indexes\n", (long long)n,
            (double)(clock_mono_ns() - t0) / 1e9);
    if (sqlite3_exec(db,
                     "CREATE INDEX events_ck ON events (ck, type, at) WHERE ck IS NOT NULL; "
                     "CREATE INDEX events_anon ON events (anon_id, anon_kind) WHERE ck IS NULL; "
                     "ANALYZE;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        bench_die(db, "segments_bench", "index");
    }
    fprintf(stderr, "ready in %.1f s\n", (double)(clock_mono_ns() - t0) / 1e9);
}

static double hand(sqlite3 *db, const char *sql, int64_t now, int64_t *count)
{
    sqlite3_stmt *st;
    int64_t t0 = clock_mono_ns();
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        bench_die(db, "segments_bench", "hand prepare");
    }
    for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
        sqlite3_bind_int64(st, i, now - 30 * DAY_MS);
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        bench_die(db, "segments_bench", "hand");
    }
    *count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return (double)(clock_mono_ns() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    int64_t events = 0, days = 60, runs = 3, now = 0;
    const struct bench_num nums[] = {{"events", 0, 1000000000, &events},
                                     {"days", 1, 3650, &days},
                                     {"runs", 1, 100, &runs},
                                     {"now", 0, INT64_MAX, &now}};
    const char *path = bench_args(argc, argv, nums, 4,
                                  "usage: segments_bench --db PATH [--events N] [--days 60] "
                                  "[--runs 3] [--now MS]\n");
    if (path == NULL) {
        return 2;
    }
    now = now ? now : clock_now_ms();
    bool pg = strncmp(path, "postgres", 8) == 0;
    sqlite3 *db = pg ? NULL : bench_open("segments_bench", path);
    if (events > 0 && !pg) {
        generate(db, events, days, now);
    }
    /* the keys beside the database, as the server that runs on it next will load them */
    struct store *s = cli_open_store_mode(path, 5000, 0, STORE_MIGRATE);
    struct kt_err err;
    kt_err_reset(&err);
    if (s == NULL) {
        return 1;
    }
    static const struct {
        const char *name, *query, *sql;
    } q[] = {
        {"title: visited twice, opened more than one e-mail, shared a post",
         "events(page_view, last 30 days) >= 2 and events(email_open, last 30 days) > 1 and "
         "events(social_share, last 30 days) >= 1",
         "SELECT count(*) FROM (SELECT e.ck FROM events e JOIN customers c ON c.ck = e.ck "
         "WHERE e.ck IS NOT NULL AND e.type IN ('page_view', 'email_open', 'social_share') AND "
         "e.at >= ?1 AND c.merged_into IS NULL AND c.erased_at IS NULL GROUP BY e.ck HAVING "
         "sum(e.type = 'page_view') >= 2 AND sum(e.type = 'email_open') > 1 AND "
         "sum(e.type = 'social_share') >= 1)"},
        {"profile only: women of Moscow with an e-mail",
         "gender = \"f\" and city = \"Москва\" and has email",
         "SELECT count(*) FROM customers c WHERE c.merged_into IS NULL AND c.erased_at IS NULL "
         "AND c.gender = 'f' AND c.city = 'Москва' AND c.email IS NOT NULL"},
    };
    struct arena a;
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        double ours[100], theirs[100];
        int64_t n_ours = -1, n_hand = -1;
        for (int64_t r = 0; r < runs; r++) {
            arena_init(&a, 0);
            struct seg_node *tree;
            struct seg_error se;
            if (!segment_parse(q[i].query, &a, &tree, &se)) {
                fprintf(stderr, "segments_bench: %s\n", se.message);
                return 1;
            }
            struct store_conn *rd;
            const char **ids;
            size_t n_ids;
            int64_t t0 = clock_mono_ns();
            if (store_read_begin(s, &rd, &err) != KT_OK ||
                store_segment_preview(rd, segment_compile(tree, now, &a), 0, &a, &n_ours, &ids,
                                      &n_ids, &err) != KT_OK) {
                fprintf(stderr, "segments_bench: %s\n", err.msg);
                return 1;
            }
            store_read_end(rd);
            ours[r] = (double)(clock_mono_ns() - t0) / 1e6;
            arena_release(&a);
            theirs[r] = pg ? 0 : hand(db, q[i].sql, now, &n_hand);
        }
        qsort(ours, (size_t)runs, sizeof(double), bench_cmp_d);
        qsort(theirs, (size_t)runs, sizeof(double), bench_cmp_d);
        printf("RESULT backend=%s now=%lld query=\"%s\" count=%lld hand_count=%lld ms=%.1f "
               "hand_ms=%.1f ratio=%.2f\n",
               pg ? "pg" : "sqlite", (long long)now, q[i].name, (long long)n_ours,
               (long long)n_hand, ours[runs / 2], theirs[runs / 2],
               pg ? 0 : ours[runs / 2] / theirs[runs / 2]);
    }
    store_close(s);
    if (db != NULL) {
        sqlite3_close(db);
    }
    return 0;
}
