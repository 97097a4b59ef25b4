/*
 * policy_bench.c - one decision of the sending policy (issue 12: p99 under 1 ms), beside the raw
 * SQLite count query the caps need, timed the same way in the same run.
 *
 *   policy_bench --db PATH --messages N [--decisions 20000] [--runs 5]
 *
 * With --messages it first gives every customer already in the database (load_customers made
 * them) the pd_processing and e-mail ads consents and the `promo` e-mail subscription, and adds N
 * outbox rows spread over them and over the last 90 days (mostly sent marketing e-mails and
 * pushes, some transactional, failed, suppressed, capped), in large transactions. Then, --runs
 * times, it times --decisions decisions one by one for random customers:
 *
 *   decision    policy_decide for a marketing e-mail of topic promo: the customer, blocking,
 *               consents, subscription, the zone, quiet hours (--quiet-hours-email 21:00-09:00,
 *               at an instant that is day in every Russian zone), three cap rules
 *   no caps     the same decision without the rules (what the caps add)
 *   count       by hand: SELECT count(*) FROM outbox WHERE ck = ? AND sent_at >= ? AND kind =
 *               'marketing' (the caps' question, without the policy), prepared once, on its own
 *               connection
 *   no index    the decision again with the indexes outbox_sent and outbox_sending dropped
 *               (outbox_ck alone); they are made again at the end
 *
 * Each decision runs inside a write transaction of 32 (a claim's batch), as the sender asks it.
 * A first run is not counted (the key cache warming at open). It prints each run's p50 and p99,
 * of the wall clock and of the thread's CPU time, and their medians over the runs.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/num.h"
#include "cli/cli.h"
#include "deliver/policy.h"

#define DAY_MS   (86400LL * 1000)
#define BATCH    32
#define RUNS_MAX 50

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "policy_bench: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

/* This thread's CPU time: a decision whose wall time is far above it waited (the scheduler gave
 * the core to another process, or a read went to the disk). */
static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        die(db, sql);
    }
}

static int64_t customers(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT max(ck) FROM customers", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        die(db, "customers");
    }
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The consents and the subscription every customer needs to be sent a marketing e-mail. */
static void consents(sqlite3 *db, int64_t nc, int64_t now)
{
    sqlite3_stmt *ce, *se;
    exec(db, "BEGIN");
    exec(db, "INSERT OR IGNORE INTO consent_documents (key, version, purpose, title, body, "
             "sha256, published_at) VALUES ('bench-pd', 1, 'pd_processing', 'ПДн', 'Текст', "
             "'00', 0), ('bench-ads', 1, 'ads', 'Реклама', 'Текст', '00', 0); "
             "INSERT OR IGNORE INTO topics (key, title, channels, created_at, updated_at) "
             "VALUES ('promo', 'Акции', '[\"email\",\"push\"]', 0, 0)");
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO consent_events (ck, purpose, channel, action, at, "
                           "recorded_at, doc_key, doc_version, doc_sha256, source) VALUES (?1, "
                           "?2, ?3, 'grant', ?4, ?4, ?5, 1, '00', 'web')",
                           -1, &ce, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO subscription_events (ck, topic, channel, subscribed, at, "
                           "via, source) VALUES (?1, 'promo', 'email', 1, ?2, 'api', 'web')",
                           -1, &se, NULL) != SQLITE_OK) {
        die(db, "prepare consents");
    }
    int64_t at = now - 200 * DAY_MS;
    for (int64_t ck = 1; ck <= nc; ck++) {
        for (int i = 0; i < 2; i++) {
            sqlite3_bind_int64(ce, 1, ck);
            sqlite3_bind_text(ce, 2, i ? "ads" : "pd_processing", -1, SQLITE_STATIC);
            sqlite3_bind_text(ce, 3, i ? "email" : "", -1, SQLITE_STATIC);
            sqlite3_bind_int64(ce, 4, at);
            sqlite3_bind_text(ce, 5, i ? "bench-ads" : "bench-pd", -1, SQLITE_STATIC);
            if (sqlite3_step(ce) != SQLITE_DONE) {
                die(db, "consent");
            }
            sqlite3_reset(ce);
        }
        sqlite3_bind_int64(se, 1, ck);
        sqlite3_bind_int64(se, 2, at);
        if (sqlite3_step(se) != SQLITE_DONE) {
            die(db, "subscription");
        }
        sqlite3_reset(se);
    }
    sqlite3_finalize(ce);
    sqlite3_finalize(se);
    exec(db, "COMMIT");
}

/* N outbox rows over the customers and the last 90 days. */
static void outbox(sqlite3 *db, int64_t nc, int64_t n, int64_t now)
{
    static const char *const states[] = {"sent", "sent", "sent", "sent",       "sent",   "sent",
                                         "sent", "sent", "sent", "suppressed", "capped", "failed"};
    static const char *const channels[] = {"email", "email", "email", "push", "push", "sms"};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO outbox (id, ck, channel, kind, topic, priority, state, "
                           "next_at, attempts, created_at, updated_at, sent_at) VALUES (?1, ?2, "
                           "?3, ?4, ?5, 0, ?6, ?7, 1, ?7, ?7, ?8)",
                           -1, &st, NULL) != SQLITE_OK) {
        die(db, "prepare outbox");
    }
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    int64_t t0 = clock_mono_ns();
    for (int64_t i = 0; i < n; i++) {
        if (i % 100000 == 0) {
            exec(db, i ? "COMMIT; BEGIN" : "BEGIN");
        }
        uint64_t r = next_rand(&seed);
        char id[40];
        snprintf(id, sizeof(id), "m_bench%012lld", (long long)i);
        const char *state = states[(r >> 8) % 12];
        int64_t at = now - (int64_t)((r >> 20) % (uint64_t)(90 * DAY_MS));
        bool marketing = (r >> 4) % 10 != 0;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, 1 + (int64_t)(r % (uint64_t)nc));
        sqlite3_bind_text(st, 3, channels[(r >> 12) % 6], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, marketing ? "marketing" : "transactional", -1, SQLITE_STATIC);
        if (marketing) {
            sqlite3_bind_text(st, 5, (r >> 16) % 3 ? "promo" : "news", -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 5);
        }
        sqlite3_bind_text(st, 6, state, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, at);
        if (strcmp(state, "sent") == 0) {
            sqlite3_bind_int64(st, 8, at);
        } else {
            sqlite3_bind_null(st, 8);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            die(db, "outbox");
        }
        sqlite3_reset(st);
    }
    exec(db, "COMMIT; ANALYZE");
    sqlite3_finalize(st);
    fprintf(stderr, "%lld outbox rows in %.1f s\n", (long long)n,
            (double)(clock_mono_ns() - t0) / 1e9);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p50 and p99 of `n` times (sorted in place). */
static void pcts(double *t, int64_t n, double *p50, double *p99)
{
    qsort(t, (size_t)n, sizeof(*t), cmp_d);
    *p50 = t[n / 2];
    *p99 = t[n * 99 / 100];
}

static double median(double *v, int64_t n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    return v[n / 2];
}

/* `n` decisions for random customers, each timed (wall in t, CPU in cpu); caps `k` (NULL:
 * none). */
static void decisions(struct store *s, const struct policy_conf *pc, struct policy_caps *k,
                      int64_t nc, int64_t n, int64_t now, uint64_t *seed, double *t, double *cpu)
{
    struct kt_err err;
    kt_err_reset(&err);
    int64_t sent = 0;
    for (int64_t i = 0; i < n; i += BATCH) {
        struct store_conn *w;
        struct arena a;
        arena_init(&a, 0);
        if (store_write_begin(s, &w, &err) != KT_OK ||
            (k != NULL && policy_caps_load(w, k, &err) != KT_OK)) { /* once a claim */
            fprintf(stderr, "policy_bench: %s\n", err.msg);
            exit(1);
        }
        for (int64_t j = i; j < i + BATCH && j < n; j++) {
            struct outbox_msg m = {.id = "m_bench",
                                   .ck = 1 + (int64_t)(next_rand(seed) % (uint64_t)nc),
                                   .channel = "email",
                                   .kind = "marketing",
                                   .topic = "promo",
                                   .recipient = "someone@example.org"};
            struct policy_decision d;
            int64_t c0 = cpu_ns(), t0 = clock_mono_ns();
            if (policy_decide(w, pc, k, &m, now, &a, &d, &err) != KT_OK) {
                fprintf(stderr, "policy_bench: %s\n", err.msg);
                exit(1);
            }
            t[j] = (double)(clock_mono_ns() - t0) / 1e6;
            cpu[j] = (double)(cpu_ns() - c0) / 1e6;
            sent += d.verdict == POLICY_SEND;
        }
        store_write_end(w, KT_OK, &err);
        arena_release(&a);
    }
    if (sent == 0) { /* a bench of refusals would measure the wrong path */
        fprintf(stderr, "policy_bench: no decision said send: the data are wrong\n");
        exit(1);
    }
}

/* The caps' count by hand, prepared once, timed per query. */
static void counts(sqlite3 *db, int64_t nc, int64_t n, int64_t now, uint64_t *seed, double *t,
                   double *cpu)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db,
            "SELECT count(*) FROM outbox WHERE ck = ?1 AND sent_at >= ?2 AND kind = 'marketing'",
            -1, &st, NULL) != SQLITE_OK) {
        die(db, "prepare count");
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t c0 = cpu_ns(), t0 = clock_mono_ns();
        sqlite3_bind_int64(st, 1, 1 + (int64_t)(next_rand(seed) % (uint64_t)nc));
        sqlite3_bind_int64(st, 2, now - 7 * DAY_MS);
        if (sqlite3_step(st) != SQLITE_ROW) {
            die(db, "count");
        }
        sqlite3_reset(st);
        t[i] = (double)(clock_mono_ns() - t0) / 1e6;
        cpu[i] = (double)(cpu_ns() - c0) / 1e6;
    }
    sqlite3_finalize(st);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int64_t messages = 0, n = 20000, runs = 5;
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"messages", required_argument, NULL, 'm'},
                                         {"decisions", required_argument, NULL, 'n'},
                                         {"runs", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            path = optarg;
        } else if ((c == 'm' && !num_parse_cstr(optarg, 0, 1000000000, &messages)) ||
                   (c == 'n' && !num_parse_cstr(optarg, 100, 10000000, &n)) ||
                   (c == 'r' && !num_parse_cstr(optarg, 1, RUNS_MAX, &runs)) || c == '?') {
            path = NULL;
            break;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: policy_bench --db PATH [--messages N] [--decisions 20000] "
                        "[--runs 5]\n");
        return 2;
    }
    /* Thursday 10:30 in Moscow: day in every Russian zone, so quiet hours hold no one back */
    int64_t now = (days_from_civil(2026, 12, 3) * 86400 + 7 * 3600 + 1800) * 1000;
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        die(db, "open");
    }
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;");
    int64_t nc = customers(db);
    if (nc == 0) {
        fprintf(stderr, "policy_bench: load customers first (load_customers)\n");
        return 1;
    }
    if (messages > 0) {
        consents(db, nc, now);
        outbox(db, nc, messages, now);
    }
    struct store *s = cli_open_store_mode(path, 5000, 0, STORE_MIGRATE);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    struct cap_rule rules[] = {{3, "days", 1, "email", NULL},
                               {5, "weeks", 1, NULL, NULL},
                               {2, "hours", 24, NULL, "promo"}};
    if (s == NULL || store_write_begin(s, &w, &err) != KT_OK ||
        store_write_end(w, store_caps_put(w, rules, 3, now, &err), &err) != KT_OK) {
        fprintf(stderr, "policy_bench: %s\n", s ? err.msg : "cannot open the store");
        return 1;
    }
    struct policy_conf pc;
    policy_conf_default(&pc);
    policy_window_parse("21:00-09:00", &pc.email);
    struct policy_caps k;
    policy_caps_init(&k);
    double *t = malloc((size_t)n * sizeof(*t)), *cpu = malloc((size_t)n * sizeof(*cpu));
    static const char *const names[] = {"decision (consent, quiet hours, 3 caps)",
                                        "decision without caps", "count by hand (raw SQLite)",
                                        "decision, caps indexes dropped"};
    double p50[4][RUNS_MAX], p99[4][RUNS_MAX], c50[4][RUNS_MAX], c99[4][RUNS_MAX];
    uint64_t seed = 0x2545F4914F6CDD1DULL;
    printf("%lld customers, %lld decisions a run, %lld runs\n", (long long)nc, (long long)n,
           (long long)runs);
    /* not counted: the store's key cache warms in a thread of its own at open (as a server's
     * first seconds); this run waits it out and fills SQLite's page cache */
    decisions(s, &pc, &k, nc, n, now, &seed, t, cpu);
    for (int v = 0; v < 4; v++) {
        if (v == 3) {
            exec(db, "DROP INDEX IF EXISTS outbox_sent; DROP INDEX IF EXISTS outbox_sending");
        }
        for (int64_t r = 0; r < runs; r++) {
            if (v == 2) {
                counts(db, nc, n, now, &seed, t, cpu);
            } else {
                decisions(s, &pc, v == 1 ? NULL : &k, nc, n, now, &seed, t, cpu);
            }
            pcts(t, n, &p50[v][r], &p99[v][r]);
            pcts(cpu, n, &c50[v][r], &c99[v][r]);
            printf("  %-42s run %lld: p50 %.3f ms, p99 %.3f ms (CPU p50 %.3f, p99 %.3f)\n",
                   names[v], (long long)r + 1, p50[v][r], p99[v][r], c50[v][r], c99[v][r]);
        }
    }
    exec(db, "CREATE INDEX IF NOT EXISTS outbox_sent ON outbox (ck, sent_at, channel, topic, kind) "
             "WHERE kind = 'marketing' AND sent_at IS NOT NULL; CREATE INDEX IF NOT EXISTS "
             "outbox_sending ON outbox (ck) WHERE state = 'sending'");
    printf("medians over the runs:\n");
    for (int v = 0; v < 4; v++) {
        printf("  %-42s p50 %.3f ms, p99 %.3f ms (CPU p50 %.3f, p99 %.3f)\n", names[v],
               median(p50[v], runs), median(p99[v], runs), median(c50[v], runs),
               median(c99[v], runs));
    }
    free(t);
    free(cpu);
    policy_caps_free(&k);
    store_close(s);
    sqlite3_close(db);
    return 0;
}
