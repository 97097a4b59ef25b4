/*
 * claim_bench.c - the outbox's claim with a campaign's million messages queued: the due rows of
 * the four channels in priority order, 32 at a time (store_outbox_due, what the sender runs in
 * the write transaction of every batch), beside the one statement it replaced - the same rows
 * picked by `channel IN (...) ORDER BY priority DESC, next_at, rowid LIMIT 32` over the index,
 * which sorts every due row - in the same run, on the same file.
 *
 *   claim_bench --db PATH [--count 1000000] [--rounds 50]
 *
 * The file is a migrated database; the bench puts in one customer and COUNT queued e-mails of
 * priority 0 (a campaign), 1,000 held until tomorrow at priority 500 (quiet hours) and a
 * one-time code, then times ROUNDS claims of each kind (each in a transaction rolled back, so
 * every round sees the same queue) and prints the median and the worst.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/num.h"
#include "cli/cli.h"

#define ROUNDS_MAX 1000

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *ms, int n)
{
    qsort(ms, (size_t)n, sizeof(*ms), cmp);
    printf("%-44s median %9.3f ms   worst %9.3f ms\n", what, ms[n / 2], ms[n - 1]);
}

static void sql(sqlite3 *db, const char *text)
{
    char *msg = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "claim_bench: %s\n", msg ? msg : "?");
        exit(1);
    }
}

/* The queue, written with plain SQLite (the content is not read by the claim's order). */
static void fill(const char *path, int64_t count, int64_t now)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "claim_bench: cannot open %s\n", path);
        exit(1);
    }
    sql(db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = OFF; BEGIN; DELETE FROM outbox;"
            "INSERT OR IGNORE INTO customers (ck, id, created_at, updated_at) "
            "VALUES (1, 'c_bench', 0, 0)");
    sqlite3_prepare_v2(db,
                       "INSERT INTO outbox (id, ck, channel, kind, priority, state, next_at, "
                       "created_at, updated_at) VALUES (?1, 1, ?2, 'marketing', ?3, 'queued', "
                       "?4, ?4, ?4)",
                       -1, &st, NULL);
    char id[40];
    for (int64_t i = 0; i < count + 1001; i++) {
        bool held = i >= count && i < count + 1000, code = i == count + 1000;
        snprintf(id, sizeof(id), "m_%032llx", (unsigned long long)i);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, code ? "sms" : "email", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, code ? 1000 : held ? 500 : 0);
        sqlite3_bind_int64(st, 4, held ? now + 86400000 : code ? now - 1 : now - count + i);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "claim_bench: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sql(db, "COMMIT; ANALYZE");
    sqlite3_close(db);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"count", required_argument, NULL, 'c'},
                                         {"rounds", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int64_t count = 1000000, rounds = 50;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if ((c == 'c' && !num_parse_cstr(optarg, 1, 100000000, &count)) ||
            (c == 'r' && !num_parse_cstr(optarg, 1, ROUNDS_MAX, &rounds)) || c == '?') {
            fprintf(stderr, "usage: claim_bench --db PATH [--count N] [--rounds N]\n");
            return 2;
        }
        db = c == 'd' ? optarg : db;
    }
    if (db == NULL) {
        fprintf(stderr, "usage: claim_bench --db PATH [--count N] [--rounds N]\n");
        return 2;
    }
    log_set_level(LOG_WARN);
    int64_t now = clock_now_ms();
    fill(db, count, now);
    printf("%lld queued e-mails of a campaign, 1,000 held at a higher priority, one code\n\n",
           (long long)count);

    static double ms[ROUNDS_MAX];
    static const char *const channels[] = {"sms", "push", "webhook", "email", NULL};
    struct store *s = cli_open_store_mode(db, 60000, 0, STORE_MIGRATE);
    if (s == NULL) {
        return 1;
    }
    for (int64_t r = 0; r < rounds; r++) {
        struct arena a;
        arena_init(&a, 0);
        struct store_conn *w;
        struct outbox_msg *due;
        size_t n = 0;
        struct kt_err err;
        int64_t t0 = clock_mono_ns();
        if (store_write_begin(s, &w, &err) != KT_OK ||
            store_outbox_due(w, channels, now, 32, &a, &due, &n, &err) != KT_OK || n != 32 ||
            strcmp(due[0].channel, "sms") != 0) {
            fprintf(stderr, "claim_bench: the claim failed or found %zu\n", n);
            return 1;
        }
        ms[r] = (double)(clock_mono_ns() - t0) / 1e6;
        store_write_end(w, KT_ECONFLICT, NULL); /* rolled back: the same queue next round */
        arena_release(&a);
    }
    store_close(s);
    report("store_outbox_due (one priority at a time)", ms, (int)rounds);

    sqlite3 *raw;
    sqlite3_stmt *st;
    sqlite3_open(db, &raw);
    sqlite3_prepare_v2(raw,
                       "SELECT rowid FROM outbox WHERE state = 'queued' AND next_at <= ?1 AND "
                       "channel IN ('sms', 'push', 'webhook', 'email') ORDER BY priority DESC, "
                       "next_at, rowid LIMIT 32",
                       -1, &st, NULL);
    for (int64_t r = 0; r < rounds; r++) {
        int64_t t0 = clock_mono_ns();
        sqlite3_bind_int64(st, 1, now);
        int got = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            got++;
        }
        sqlite3_reset(st);
        ms[r] = (double)(clock_mono_ns() - t0) / 1e6;
        if (got != 32) {
            fprintf(stderr, "claim_bench: the reference found %d\n", got);
            return 1;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(raw);
    report("one statement, ORDER BY across the channels", ms, (int)rounds);
    return 0;
}
