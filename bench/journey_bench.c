/*
 * journey_bench.c - the journey engine's figures of issue 13 (docs/journeys.md), each beside a
 * raw SQLite reference in the same run, on a database of customers load_customers made.
 *
 *   journey_bench --db PATH --mode steps|send|birthday [--count N] [--runs 3]
 *
 * steps: N runs of a journey of split -> branch -> split -> branch -> wait (no message, no
 *   outside call: four steps each, then the wait) are stored due; the job (journey_run_due, the
 *   scheduler's function) is called until nothing is due, and steps/s is the journey_steps rows
 *   it wrote over that time. The reference: the same rows written again by plain statements
 *   from memory - the steps' INSERTs and the run's UPDATE, JOURNEY_BATCH runs per transaction,
 *   the engine's own statements - without the due read, the documents, the conditions.
 * send: the same with a journey of one e-mail send (a 1.5 KB HTML template, rendered with the
 *   customer's context, sealed, enqueued to the outbox), then the end: two steps a run, one
 *   message. The reference writes the same steps, outbox rows (the engine's sealed bytes) and
 *   run updates.
 * birthday: a journey whose entry is {"date": {"field": "birthday", "days_before": 7, "at":
 *   "10:00"}} is started and the job's first run is timed (its date pass reads every customer
 *   with a birth date in chunks and enters those whose birthday is in 7 days in their own zone,
 *   then their runs take their first step). The reference: one plain SQLite scan of the same
 *   customers' birth dates with the month-day filter of the three days the pass looks at.
 *
 * Before each run what the last one wrote is deleted; it prints each run and the medians.
 */
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/num.h"
#include "cli/cli.h"
#include "journey/journey.h"
#include "journey/run.h"

#define BENCH_NAME "journey_bench"
#include "bench.h"

#define RUNS_MAX 15
#define KEY      "bench"
/* 2026-12-03 12:00 UTC: 10:00 has passed in every Russian zone */
#define BDAY_NOW 1796299200000LL

static const char steps_doc[] =
    "{\"name\":\"bench\",\"entry\":{\"event\":{\"type\":\"sign_up\"}},\"steps\":["
    "{\"id\":\"s1\",\"split\":[{\"percent\":50,\"next\":\"b1\"},{\"percent\":50,\"next\":\"b2\"}]},"
    "{\"id\":\"b1\",\"branch\":{\"if\":\"gender = \\\"f\\\"\",\"then\":\"s2\",\"otherwise\":"
    "\"s2\"}},"
    "{\"id\":\"b2\",\"branch\":{\"if\":\"city = \\\"Москва\\\"\",\"then\":\"s2\",\"otherwise\":"
    "\"s2\"}},"
    "{\"id\":\"s2\",\"split\":[{\"percent\":50,\"next\":\"b3\"},{\"percent\":50,\"next\":\"b4\"}]},"
    "{\"id\":\"b3\",\"branch\":{\"if\":\"has email\",\"then\":\"w\",\"otherwise\":\"w\"}},"
    "{\"id\":\"b4\",\"branch\":{\"if\":\"gender = \\\"m\\\"\",\"then\":\"w\",\"otherwise\":"
    "\"w\"}},"
    "{\"id\":\"w\",\"wait\":{\"days\":1}}]}";

static const char send_doc[] =
    "{\"name\":\"bench\",\"entry\":{\"event\":{\"type\":\"sign_up\"}},\"steps\":["
    "{\"id\":\"mail\",\"send\":{\"template\":\"bench-journey\",\"topic\":\"promo\"}}]}";

static const char bday_doc[] =
    "{\"name\":\"bench\",\"entry\":{\"date\":{\"field\":\"birthday\",\"days_before\":7,\"at\":"
    "\"10:00\"}},\"reentry\":{\"after_days\":300},\"steps\":[{\"id\":\"w\",\"wait\":{\"days\":"
    "1}},{\"id\":\"end\",\"exit\":{\"name\":\"done\"}}]}";

/* The campaign benchmark's kind of e-mail: 1.5 KB of HTML naming the profile and the points. */
static const char html[] =
    "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"></head><body>\n"
    "<table width=\"600\" style=\"font-family:Arial,sans-serif\"><tr><td>\n"
    "<h1 style=\"font-size:22px;color:#222\">{{first_name | default: \"Покупатель\"}}, вы "
    "кое-что забыли</h1>\n"
    "<p style=\"font-size:15px;color:#444\">Товары в корзине ждут вас ещё три дня, а на вашей "
    "карте {{points.balance | plural: \"балл\", \"балла\", \"баллов\"}}.</p>\n"
    "<p><a href=\"https://shop.example/cart?c={{customer_id}}\" style=\"background:#2a7;"
    "color:#fff;padding:12px 24px;text-decoration:none\">Вернуться к корзине</a></p>\n"
    "{{#store}}<p style=\"font-size:13px;color:#888\">Ваш магазин: {{title}}, {{city}}.</p>"
    "{{/store}}\n"
    "<p style=\"font-size:12px;color:#aaa\">Вы получили это письмо, потому что согласились "
    "получать новости и предложения. Отписаться можно по ссылке в заголовке письма.</p>\n"
    "</td></tr></table></body></html>\n";

static sqlite3_stmt *prepare(sqlite3 *db, const char *text)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "journey_bench: %s: %s\n", text, sqlite3_errmsg(db));
        exit(1);
    }
    return st;
}

/* public_url and the e-mail template, once. */
static void setup(struct store *s)
{
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "channel", "email", "subject",
                             "{{first_name | default: \"Покупатель\"}}, корзина ждёт", "html", html,
                             "text", "Товары в корзине ждут вас. Баллов: {{points.balance}}.");
    bench_template(s, "bench-journey", body);
    json_decref(body);
}

/* What the last run wrote goes; the journey is stored as version 1 and started. */
static void fresh(struct store *s, sqlite3 *raw, const char *doc, int64_t now)
{
    bench_sql(raw, "DELETE FROM outbox WHERE journey_run IS NOT NULL; DELETE FROM journey_steps;"
                   "DELETE FROM journey_runs; DELETE FROM journey_versions; DELETE FROM journeys;"
                   "DELETE FROM journey_cursors; PRAGMA wal_checkpoint(TRUNCATE);");
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    struct journey_version v = {KEY, 1, doc, now, NULL};
    struct journey_row j = {KEY, "bench", "active", 1, 1, now, now, now};
    if (store_write_begin(s, &w, &err) != KT_OK) {
        bench_die("journey", &err);
    }
    enum kt_rc rc = store_journey_put(w, &j, &err);
    rc = rc == KT_OK ? store_journey_version_add(w, &v, &err) : rc;
    if (store_write_end(w, rc, &err) != KT_OK) {
        bench_die("journey", &err);
    }
}

/* `count` runs at step 0 due at `now` (the first customers by ck), through the store. */
static int64_t make_runs(struct store *s, sqlite3 *raw, int64_t count, int64_t now)
{
    sqlite3_stmt *st = prepare(raw, "SELECT ck FROM customers WHERE merged_into IS NULL AND "
                                    "erased_at IS NULL ORDER BY ck LIMIT ?1");
    sqlite3_bind_int64(st, 1, count);
    struct kt_err err;
    kt_err_reset(&err);
    int64_t made = 0;
    for (bool more = true; more;) {
        struct store_conn *w;
        if (store_write_begin(s, &w, &err) != KT_OK) {
            bench_die("runs", &err);
        }
        enum kt_rc rc = KT_OK;
        for (int i = 0; rc == KT_OK && i < JOURNEY_BATCH; i++) {
            if (sqlite3_step(st) != SQLITE_ROW) {
                more = false;
                break;
            }
            struct journey_run r = {.journey = KEY,
                                    .version = 1,
                                    .ck = sqlite3_column_int64(st, 0),
                                    .entry_key = "",
                                    .visit = 1,
                                    .state = "active",
                                    .due_at = now - 1000,
                                    .since_at = now - 1000,
                                    .entered_at = now - 1000,
                                    .updated_at = now - 1000};
            bool created = false;
            rc = store_journey_run_add(w, &r, &created, &err);
            made += created;
        }
        if (store_write_end(w, rc, &err) != KT_OK) {
            bench_die("runs", &err);
        }
    }
    sqlite3_finalize(st);
    return made;
}

/* The job called as the scheduler calls it, until a call takes no step; the seconds it took. */
static double job(struct store *s, const struct key_secret *k, int64_t now, int64_t *steps,
                  int64_t *entered)
{
    struct journey_conf c = {s, k, NULL};
    struct kt_err err;
    kt_err_reset(&err);
    int64_t t0 = clock_mono_ns();
    *steps = *entered = 0;
    for (;;) {
        int64_t n[2] = {0, 0};
        if (journey_run_due(&c, now, 600000, n, &err) != KT_OK) {
            bench_die("journey_run_due", &err);
        }
        *steps += n[0];
        *entered += n[1];
        if (n[0] == 0) {
            break;
        }
    }
    return (double)(clock_mono_ns() - t0) / 1e9;
}

/* ---- the reference: the same rows by plain statements ------------------------------------ */

/* Rows read into memory, every column a copy. */
struct rows {
    int cols;
    size_t n, cap;
    sqlite3_value **v; /* n * cols */
};

static void rows_read(sqlite3 *db, const char *text, struct rows *r)
{
    sqlite3_stmt *st = prepare(db, text);
    *r = (struct rows){.cols = sqlite3_column_count(st)};
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 4096;
            r->v = realloc(r->v, r->cap * (size_t)r->cols * sizeof(*r->v));
            if (r->v == NULL) {
                exit(1);
            }
        }
        for (int c = 0; c < r->cols; c++) {
            r->v[r->n * (size_t)r->cols + (size_t)c] =
                sqlite3_value_dup(sqlite3_column_value(st, c));
        }
        r->n++;
    }
    sqlite3_finalize(st);
}

static void rows_free(struct rows *r)
{
    for (size_t i = 0; i < r->n * (size_t)r->cols; i++) {
        sqlite3_value_free(r->v[i]);
    }
    free(r->v);
}

/* Row `i` bound to `st` (column c to parameter c + 1) and stepped. */
static void put(sqlite3 *db, sqlite3_stmt *st, const struct rows *r, size_t i)
{
    for (int c = 0; c < r->cols; c++) {
        sqlite3_bind_value(st, c + 1, r->v[i * (size_t)r->cols + (size_t)c]);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        fprintf(stderr, "journey_bench: reference: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(st);
}

/* What the engine wrote, kept, deleted (the runs put back at step 0), then written again run by
 * run - its steps, its messages, its UPDATE - JOURNEY_BATCH runs per transaction: the seconds. */
static double reference(sqlite3 *db)
{
    struct rows runs, steps, out;
    rows_read(db,
              "SELECT id, step, visit, state, due_at, since_at, updated_at, finished_at, exit, "
              "ctx FROM journey_runs ORDER BY id",
              &runs);
    rows_read(db, "SELECT * FROM journey_steps ORDER BY run, visit", &steps);
    rows_read(db, "SELECT * FROM outbox WHERE journey_run IS NOT NULL ORDER BY journey_run", &out);
    int out_run = -1; /* the outbox's journey_run column */
    sqlite3_stmt *q = prepare(db, "SELECT * FROM outbox LIMIT 0");
    for (int c = 0; c < sqlite3_column_count(q); c++) {
        out_run = strcmp(sqlite3_column_name(q, c), "journey_run") == 0 ? c : out_run;
    }
    char ins[512] = "INSERT INTO outbox VALUES (?";
    size_t len = strlen(ins);
    for (int c = 1; c < sqlite3_column_count(q) && len + 4 < sizeof(ins); c++, len += 3) {
        memcpy(ins + len, ", ?", 4);
    }
    kt_snprintf(ins + len, sizeof(ins) - len, ")");
    sqlite3_finalize(q);
    bench_sql(db, "DELETE FROM outbox WHERE journey_run IS NOT NULL; DELETE FROM journey_steps;"
                  "UPDATE journey_runs SET step = 0, visit = 1, state = 'active', due_at = 0, "
                  "finished_at = NULL, exit = NULL; PRAGMA wal_checkpoint(TRUNCATE);");
    sqlite3_stmt *up =
        prepare(db, "UPDATE journey_runs SET step = ?2, visit = ?3, state = ?4, "
                    "due_at = nullif(?5, 0), since_at = ?6, updated_at = ?7, "
                    "finished_at = nullif(?8, 0), exit = ?9, ctx = ?10 WHERE id = ?1");
    sqlite3_stmt *st = prepare(db, "INSERT INTO journey_steps VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    sqlite3_stmt *ob = prepare(db, ins);
    int64_t t0 = clock_mono_ns();
    size_t k = 0, m = 0;
    for (size_t i = 0; i < runs.n; i++) {
        int64_t id = sqlite3_value_int64(runs.v[i * (size_t)runs.cols]);
        if (i % JOURNEY_BATCH == 0) {
            bench_sql(db, "BEGIN IMMEDIATE");
        }
        for (; k < steps.n && sqlite3_value_int64(steps.v[k * (size_t)steps.cols]) == id; k++) {
            put(db, st, &steps, k);
        }
        for (; m < out.n && sqlite3_value_int64(out.v[m * (size_t)out.cols + out_run]) == id; m++) {
            put(db, ob, &out, m);
        }
        put(db, up, &runs, i);
        if (i % JOURNEY_BATCH == JOURNEY_BATCH - 1 || i == runs.n - 1) {
            bench_sql(db, "COMMIT");
        }
    }
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    sqlite3_finalize(up);
    sqlite3_finalize(st);
    sqlite3_finalize(ob);
    rows_free(&runs);
    rows_free(&steps);
    rows_free(&out);
    return secs;
}

/* The birthday pass's reference: one scan of the birth dates of the customers it reads, the
 * three month-days around today + 7 (UTC) kept: the rows it keeps. */
static double scan(sqlite3 *db, int64_t now, int64_t *kept)
{
    char md[3][6];
    for (int i = 0; i < 3; i++) {
        int64_t y;
        unsigned mo, d;
        civil_from_days(now / 86400000LL + 6 + i, &y, &mo, &d);
        kt_snprintf(md[i], sizeof(md[i]), "%02u-%02u", mo, d);
    }
    sqlite3_stmt *st = prepare(db, "SELECT ck, birth_date FROM customers WHERE birth_date IS NOT "
                                   "NULL AND merged_into IS NULL AND erased_at IS NULL AND "
                                   "substr(birth_date, 6, 5) IN (?1, ?2, ?3)");
    for (int i = 0; i < 3; i++) {
        sqlite3_bind_text(st, i + 1, md[i], -1, SQLITE_STATIC);
    }
    int64_t t0 = clock_mono_ns();
    *kept = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        *kept += sqlite3_column_int64(st, 0) > 0 && sqlite3_column_bytes(st, 1) == 10;
    }
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    sqlite3_finalize(st);
    return secs;
}

int main(int argc, char **argv)
{
    const char *db = NULL, *mode = NULL;
    int64_t runs = 3, count = 100000;
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"mode", required_argument, NULL, 'm'},
                                         {"runs", required_argument, NULL, 'r'},
                                         {"count", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'm') {
            mode = optarg;
        } else if (!(c == 'r' && num_parse_cstr(optarg, 1, RUNS_MAX, &runs)) &&
                   !(c == 'n' && num_parse_cstr(optarg, 1, 10000000, &count))) {
            db = NULL;
            break;
        }
    }
    bool steps_mode = mode != NULL && strcmp(mode, "steps") == 0;
    bool send_mode = mode != NULL && strcmp(mode, "send") == 0;
    bool bday_mode = mode != NULL && strcmp(mode, "birthday") == 0;
    if (db == NULL || !(steps_mode || send_mode || bday_mode) || sodium_init() < 0) {
        fprintf(stderr, "usage: journey_bench --db PATH --mode steps|send|birthday [--count N] "
                        "[--runs N]\n");
        return 2;
    }
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store_mode(db, 60000, 0, STORE_MIGRATE);
    struct key_secret k;
    if (s == NULL || cli_load_secret(s, db, &k) != 0) {
        return 1;
    }
    setup(s);
    sqlite3 *raw;
    if (sqlite3_open(db, &raw) != SQLITE_OK) {
        return 1;
    }
    sqlite3_busy_timeout(raw, 60000);
    bench_sql(raw,
              "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
              "PRAGMA cache_size = -16384; PRAGMA secure_delete = ON;");
    double rate[RUNS_MAX], ref_rate[RUNS_MAX], ratio[RUNS_MAX], secs[RUNS_MAX];
    for (int i = 0; i < runs; i++) {
        int64_t steps = 0, entered = 0, made = 0;
        if (bday_mode) {
            fresh(s, raw, bday_doc, BDAY_NOW);
            double t = job(s, &k, BDAY_NOW, &steps, &entered);
            int64_t kept = 0;
            double ref = scan(raw, BDAY_NOW, &kept);
            secs[i] = t;
            ref_rate[i] = ref;
            ratio[i] = t / ref;
            printf("run %d: first run of the job %.2f s: %lld entered, %lld steps; reference scan "
                   "%.2f s (%lld birth dates on the 3 days); %.1f x the scan\n",
                   i + 1, t, (long long)entered, (long long)steps, ref, (long long)kept, ratio[i]);
            fflush(stdout);
            continue;
        }
        int64_t now = clock_now_ms();
        fresh(s, raw, steps_mode ? steps_doc : send_doc, now);
        made = make_runs(s, raw, count, now);
        bench_sql(raw, "PRAGMA wal_checkpoint(TRUNCATE)");
        double t = job(s, &k, now, &steps, &entered);
        int64_t rows = bench_one_int(raw, "SELECT count(*) FROM journey_steps");
        int64_t sent =
            bench_one_int(raw, "SELECT count(*) FROM outbox WHERE journey_run IS NOT NULL "
                               "AND state = 'queued'");
        int64_t content = bench_one_int(raw, "SELECT avg(length(content)) FROM outbox WHERE "
                                             "journey_run IS NOT NULL");
        double ref = reference(raw);
        rate[i] = (double)rows / t;
        ref_rate[i] = (double)rows / ref;
        ratio[i] = rate[i] / ref_rate[i];
        secs[i] = t;
        printf("run %d: %lld runs, %lld steps (%lld rows, job says %lld), %lld e-mails queued "
               "(%lld B sealed) in %.2f s: %.0f steps/s, %.0f runs/s; reference %.2f s: %.0f "
               "steps/s; %.2f of the reference\n",
               i + 1, (long long)made, (long long)rows, (long long)rows, (long long)steps,
               (long long)sent, (long long)content, t, rate[i], (double)made / t, ref, ref_rate[i],
               ratio[i]);
        fflush(stdout);
    }
    if (bday_mode) {
        printf("median of %lld: first run of the job %.2f s, reference scan %.2f s, %.1f x\n",
               (long long)runs, bench_median(secs, (int)runs), bench_median(ref_rate, (int)runs),
               bench_median(ratio, (int)runs));
    } else {
        printf("median of %lld: %.0f steps/s (%.2f s), reference %.0f steps/s, %.2f of it\n",
               (long long)runs, bench_median(rate, (int)runs), bench_median(secs, (int)runs),
               bench_median(ref_rate, (int)runs), bench_median(ratio, (int)runs));
    }
    sqlite3_close(raw);
    store_close(s);
    return 0;
}
