/*
 * raw_insert.c - the references of the benchmarks: plain C loops inserting straight into
 * SQLite, with the durability settings the server uses (WAL, synchronous=NORMAL). No HTTP, no
 * JSON, no CSV, no lookups, no cleaning.
 *
 *   --mode upsert (default): the rows one POST /v1/customers writes for a new customer with a
 *   phone and two names - the customer, its phone identifier, one history row, the "pending"
 *   consent event of a cash-desk profile - one transaction per customer.
 *   --mode import: the rows an import writes for a new customer of gen_csv's file - the customer
 *   with seven fields and its name key, phone, e-mail and card identifiers, one history row, the
 *   consent event granted under the file's legal basis - --batch rows per transaction (default
 * 100,000, as `kartoteka import` commits).
 *
 *   --mode purchase: the rows one POST /v1/purchases writes for a known customer - the purchase
 *   with its stored reply, two lines, the earn entry of the ledger - one transaction per
 *   receipt (no lookups: the customer is taken by its key).
 *
 *   --mode events: the rows one event of POST /v1/events/batch writes for an anonymous visitor -
 *   its message id's hash and the event with its properties - 1,000 events per transaction, as
 *   a batch commits (no lookups: the visitor's cookie is not looked for).
 *
 *   raw_insert --db PATH (a database made by `kartoteka migrate`) --count N [--prefix 917]
 *              [--mode upsert|import|purchase|events] [--batch N]
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

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    check(sqlite3_prepare_v2(db, sql, -1, &st, NULL), db, "prepare");
    return st;
}

static void step(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
    check(sqlite3_step(st), db, what);
    sqlite3_reset(st);
}

static void raw_purchases(sqlite3 *db, int64_t count, const char *prefix)
{
    sqlite3_stmt *pur =
        prep(db, "INSERT INTO purchases (id, store_id, receipt, ck, at, total, points_earned, "
                 "points_spent, program_version, body_hash, reply, created_at, key_id) VALUES (?1, "
                 "'S-raw', ?2, ?3, ?4, 23470, 1, 0, 0, zeroblob(32), ?5, ?4, 'bench')");
    sqlite3_stmt *line = prep(
        db, "INSERT INTO purchase_lines (purchase_id, n, sku, name, category, quantity, price, "
            "discount, amount) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)");
    sqlite3_stmt *earn = prep(
        db, "INSERT INTO points_ledger (ck, kind, points, at, available_at, expires_at, "
            "purchase_id, program_version, key_id, request_id) "
            "VALUES (?1, 'earn', 1, ?2, ?2 + 1209600000, ?2 + 32918400000, ?3, 0, 'bench', 'r')");
    sqlite3_stmt *begin = prep(db, "BEGIN IMMEDIATE");
    sqlite3_stmt *commit = prep(db, "COMMIT");
    double t0 = now_s();
    for (int64_t i = 0; i < count; i++) {
        char id[48], receipt[48], reply[400];
        snprintf(id, sizeof(id), "p_r%s%014lld", prefix, (long long)i);
        snprintf(receipt, sizeof(receipt), "%s-%lld", prefix, (long long)i);
        long long at = 1795000000000LL + i, ck = i % 1000 + 1;
        snprintf(reply, sizeof(reply),
                 "{\"purchase_id\":\"%s\",\"store\":\"S-raw\",\"receipt\":\"%s\","
                 "\"at\":\"2026-11-24T10:00:00.000Z\",\"total\":23470,\"program_version\":0,"
                 "\"customer_id\":\"c_06fm2wqe3dv9kf6a3cna\",\"points\":{\"earned\":1,"
                 "\"spent\":0,\"available\":0,\"pending\":1,"
                 "\"earned_available_at\":\"2026-12-08T10:00:00.000Z\"}}",
                 id, receipt);
        step(db, begin, "begin");
        sqlite3_bind_text(pur, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(pur, 2, receipt, -1, SQLITE_STATIC);
        sqlite3_bind_int64(pur, 3, ck);
        sqlite3_bind_int64(pur, 4, at);
        sqlite3_bind_text(pur, 5, reply, -1, SQLITE_STATIC);
        step(db, pur, "purchase");
        static const struct {
            const char *sku, *name, *category;
            int q, price, amount;
        } lines[] = {{"M-1", "Молоко", "Молочное", 2000, 8990, 17980},
                     {"B-7", "Хлеб", NULL, 1000, 5490, 5490}};
        for (int k = 0; k < 2; k++) {
            sqlite3_bind_text(line, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_int(line, 2, k + 1);
            sqlite3_bind_text(line, 3, lines[k].sku, -1, SQLITE_STATIC);
            sqlite3_bind_text(line, 4, lines[k].name, -1, SQLITE_STATIC);
            if (lines[k].category) {
                sqlite3_bind_text(line, 5, lines[k].category, -1, SQLITE_STATIC);
            } else {
                sqlite3_bind_null(line, 5);
            }
            sqlite3_bind_int(line, 6, lines[k].q);
            sqlite3_bind_int(line, 7, lines[k].price);
            sqlite3_bind_int(line, 8, lines[k].amount);
            step(db, line, "line");
        }
        sqlite3_bind_int64(earn, 1, ck);
        sqlite3_bind_int64(earn, 2, at);
        sqlite3_bind_text(earn, 3, id, -1, SQLITE_STATIC);
        step(db, earn, "earn");
        step(db, commit, "commit");
    }
    double secs = now_s() - t0;
    printf("raw inserted %lld customers in %.2f s: %.0f customers/s (receipts)\n", (long long)count,
           secs, (double)count / secs);
    sqlite3_finalize(pur);
    sqlite3_finalize(line);
    sqlite3_finalize(earn);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
}

static void raw_events(sqlite3 *db, int64_t count, const char *prefix, int64_t per_txn)
{
    sqlite3_stmt *id = prep(db, "INSERT OR IGNORE INTO event_ids (h, received_at) VALUES (?1, ?2)");
    sqlite3_stmt *ev =
        prep(db, "INSERT INTO events (ck, anon_kind, anon_id, type, at, received_at, channel, "
                 "props) VALUES (NULL, 'cookie', ?1, ?2, ?3, ?3, 'web', ?4)");
    sqlite3_stmt *begin = prep(db, "BEGIN IMMEDIATE");
    sqlite3_stmt *commit = prep(db, "COMMIT");
    static const char *const types[] = {"page_view", "product_view", "cart_add"};
    uint64_t seed = strtoull(prefix, NULL, 10) * 0x9E3779B97F4A7C15ULL;
    double t0 = now_s();
    for (int64_t i = 0; i < count; i++) {
        if (i % per_txn == 0) {
            step(db, begin, "begin");
        }
        uint64_t h = (seed + (uint64_t)i) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
        char cookie[32], props[160];
        snprintf(cookie, sizeof(cookie), "c%llu", (unsigned long long)(h % 200000));
        int t = (int)(i % 3);
        unsigned long long item = h % 5000;
        if (t == 0) {
            snprintf(props, sizeof(props), "{\"url\":\"https://shop.example/p/%llu\"}", item);
        } else if (t == 1) {
            snprintf(props, sizeof(props), "{\"sku\":\"A-%llu\"}", item);
        } else {
            snprintf(props, sizeof(props), "{\"sku\":\"A-%llu\",\"quantity\":1,\"price\":12990}",
                     item);
        }
        long long at = 1795000000000LL + i;
        sqlite3_bind_int64(id, 1, (sqlite3_int64)h);
        sqlite3_bind_int64(id, 2, at);
        step(db, id, "event id");
        sqlite3_bind_text(ev, 1, cookie, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ev, 2, types[t], -1, SQLITE_STATIC);
        sqlite3_bind_int64(ev, 3, at);
        sqlite3_bind_text(ev, 4, props, -1, SQLITE_TRANSIENT);
        step(db, ev, "event");
        if ((i + 1) % per_txn == 0 || i + 1 == count) {
            step(db, commit, "commit");
        }
    }
    double secs = now_s() - t0;
    printf("raw inserted %lld events in %.2f s: %.0f events/s\n", (long long)count, secs,
           (double)count / secs);
    sqlite3_finalize(id);
    sqlite3_finalize(ev);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *prefix = "917", *mode = "upsert";
    int64_t count = 0, batch = 100000;
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},    {"batch", required_argument, NULL, 'b'},
        {"count", required_argument, NULL, 'n'}, {"prefix", required_argument, NULL, 'p'},
        {"mode", required_argument, NULL, 'm'},  {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            path = optarg;
        } else if (c == 'n' && !num_parse_cstr(optarg, 1, 100000000, &count)) {
            count = 0;
        } else if (c == 'b' && !num_parse_cstr(optarg, 1, 10000000, &batch)) {
            count = 0;
        } else if (c == 'p') {
            prefix = optarg;
        } else if (c == 'm') {
            mode = optarg;
        }
    }
    bool import = strcmp(mode, "import") == 0, purchase = strcmp(mode, "purchase") == 0;
    bool events = strcmp(mode, "events") == 0;
    if (path == NULL || count == 0 ||
        (!import && !purchase && !events && strcmp(mode, "upsert") != 0)) {
        fprintf(stderr, "usage: raw_insert --db PATH --count N [--prefix 917] "
                        "[--mode upsert|import|purchase|events] [--batch N]\n");
        return 2;
    }
    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    sqlite3_busy_timeout(db, 10000); /* the server beside it may be checkpointing */
    check(sqlite3_exec(db,
                       "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                       "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384; "
                       "PRAGMA secure_delete=ON;",
                       NULL, NULL, NULL),
          db, "pragmas");
    check(sqlite3_exec(db, getenv("RAW_PRAGMA") ? getenv("RAW_PRAGMA") : "", NULL, NULL, NULL), db,
          "pragmas");
    if (events) {
        raw_events(db, count, prefix, batch == 100000 ? 1000 : batch); /* a batch request's */
        sqlite3_close(db);
        return 0;
    }
    if (purchase) {
        raw_purchases(db, count, prefix);
        sqlite3_close(db);
        return 0;
    }
    sqlite3_stmt *cust = prep(
        db, "INSERT INTO customers (id, created_at, updated_at, last_name, last_name_at, "
            "first_name, first_name_at, gender, gender_at, birth_date, birth_date_at, email, "
            "email_at, phone, phone_at, city, city_at, name_key) VALUES (?1, ?2, ?2, ?3, ?2, ?4, "
            "?2, ?5, ?2, ?6, ?2, ?7, ?2, ?8, ?2, ?9, ?2, ?10)");
    sqlite3_stmt *ident =
        prep(db, "INSERT INTO identifiers (kind, value, ck, verified, created_at, "
                 "channel) VALUES (?1, ?2, ?3, 0, ?4, 'pos')");
    sqlite3_stmt *hist =
        prep(db, "INSERT INTO history (ck, at, field, action, old_value, new_value, channel, "
                 "store_id, operator_id, request_id) "
                 "VALUES (?1, ?2, 'customer', 'create', NULL, ?3, 'pos', 'S-1', NULL, 'bench')");
    sqlite3_stmt *consent = prep(
        db, "INSERT INTO consent_events (ck, purpose, channel, action, at, recorded_at, source, "
            "store_id, legal_basis, request_id) VALUES (?1, 'pd_processing', '', ?3, ?2, ?2, ?4, "
            "?5, ?6, 'bench')");
    sqlite3_stmt *begin = prep(db, "BEGIN IMMEDIATE");
    sqlite3_stmt *commit = prep(db, "COMMIT");
    int64_t per_txn = import ? batch : 1;
    double t0 = now_s();
    for (int64_t i = 0; i < count; i++) {
        struct synth p;
        synth_make((uint64_t)i, prefix, &p);
        char id[48], snapshot[512];
        snprintf(id, sizeof(id), "c_r%s%014lld", prefix, (long long)i);
        long long at = 1795000000000LL + i;
        if (i % per_txn == 0) {
            step(db, begin, "begin");
        }
        sqlite3_bind_text(cust, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(cust, 2, at);
        sqlite3_bind_text(cust, 3, p.last, -1, SQLITE_STATIC);
        sqlite3_bind_text(cust, 4, p.first, -1, SQLITE_STATIC);
        const char *more[] = {p.gender, p.birth, p.email, p.phone, p.city};
        for (int k = 0; k < 5; k++) {
            if (import || k == 3) {
                sqlite3_bind_text(cust, 5 + k, more[k], -1, SQLITE_STATIC);
            } else {
                sqlite3_bind_null(cust, 5 + k);
            }
        }
        char name_key[128];
        snprintf(name_key, sizeof(name_key), "%s %s -", p.last, p.first);
        sqlite3_bind_text(cust, 10, name_key, -1, SQLITE_TRANSIENT);
        step(db, cust, "customer");
        long long ck = sqlite3_last_insert_rowid(db);
        const char *kinds[][2] = {{"phone", p.phone}, {"email", p.email}, {"card", p.card}};
        for (int k = 0; k < (import ? 3 : 1); k++) {
            sqlite3_bind_text(ident, 1, kinds[k][0], -1, SQLITE_STATIC);
            sqlite3_bind_text(ident, 2, kinds[k][1], -1, SQLITE_STATIC);
            sqlite3_bind_int64(ident, 3, ck);
            sqlite3_bind_int64(ident, 4, at);
            step(db, ident, "identifier");
        }
        /* the "create" history entry, as identity.c writes it */
        if (import) {
            snprintf(snapshot, sizeof(snapshot),
                     "{\"id\":\"%s\",\"profile\":{\"last_name\":\"%s\",\"first_name\":\"%s\","
                     "\"gender\":\"%s\",\"birth_date\":\"%s\",\"email\":\"%s\",\"phone\":\"%s\","
                     "\"city\":\"%s\"},\"identifiers\":{\"phone\":[\"%s\"],\"email\":[\"%s\"],"
                     "\"card\":[\"%s\"]}}",
                     id, p.last, p.first, p.gender, p.birth, p.email, p.phone, p.city, p.phone,
                     p.email, p.card);
        } else {
            snprintf(snapshot, sizeof(snapshot),
                     "{\"id\":\"%s\",\"profile\":{\"last_name\":\"%s\",\"first_name\":\"%s\","
                     "\"phone\":\"%s\"},\"identifiers\":{\"phone\":[\"%s\"]}}",
                     id, p.last, p.first, p.phone, p.phone);
        }
        sqlite3_bind_int64(hist, 1, ck);
        sqlite3_bind_int64(hist, 2, at);
        sqlite3_bind_text(hist, 3, snapshot, -1, SQLITE_STATIC);
        step(db, hist, "history");
        sqlite3_bind_int64(consent, 1, ck);
        sqlite3_bind_int64(consent, 2, at);
        sqlite3_bind_text(consent, 3, import ? "grant" : "pending", -1, SQLITE_STATIC);
        sqlite3_bind_text(consent, 4, import ? "import" : "pos", -1, SQLITE_STATIC);
        if (import) {
            sqlite3_bind_null(consent, 5);
            sqlite3_bind_text(consent, 6, "synthetic benchmark rows", -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_text(consent, 5, "S-1", -1, SQLITE_STATIC);
            sqlite3_bind_null(consent, 6);
        }
        step(db, consent, "consent");
        if ((i + 1) % per_txn == 0 || i + 1 == count) {
            step(db, commit, "commit");
        }
    }
    double secs = now_s() - t0;
    printf("raw inserted %lld customers in %.2f s: %.0f customers/s\n", (long long)count, secs,
           (double)count / secs);
    sqlite3_finalize(cust);
    sqlite3_finalize(ident);
    sqlite3_finalize(hist);
    sqlite3_finalize(consent);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    return 0;
}
