/*
 * campaign_bench.c - render + enqueue of a campaign (issue 12: to a 1,000,000-customer segment at
 * >= 20,000 messages/s, queued in under a minute), beside a raw SQLite insert of the same number
 * of rows of the same size in the same run.
 *
 *   campaign_bench --db PATH [--runs 3]
 *
 * The database holds the customers (load_customers made them, each with an e-mail). Each run
 * empties what the last one enqueued, creates and starts an e-mail campaign to "has email" with a
 * 1.5 KB HTML template that names the profile, the points and the store, then calls the job
 * (campaign_run_due) as the server's scheduler does until every member is enqueued: the audience
 * frozen (the query once, the keys written), each message rendered with msg_context_json, sealed
 * under its customer's key and written with its member row, CAMPAIGN_BATCH per transaction.
 *
 * The reference: the same number of outbox rows and member rows, their sealed columns random
 * bytes of the average length the run wrote, inserted by plain SQLite statements into tables of
 * the same shape and indexes in another file, with the same batch per transaction - no reads, no
 * render, no sealing. It prints each run and the medians.
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
#include "campaign/campaign.h"
#include "cli/cli.h"

#define BENCH_NAME "campaign_bench"
#include "bench.h"

#define RUNS_MAX 15

static const char html[] =
    "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"></head><body>\n"
    "<table width=\"600\" style=\"font-family:Arial,sans-serif\"><tr><td>\n"
    "<h1 style=\"font-size:22px;color:#222\">Здравствуйте, {{first_name | default: "
    "\"покупатель\"}}!</h1>\n"
    "<p style=\"font-size:15px;color:#444\">Весна пришла: с 1 по 15 марта скидка 15% на всё для "
    "сада и дачи, а на вашей карте {{points.balance | plural: \"балл\", \"балла\", "
    "\"баллов\"}}.</p>\n"
    "{{#points.next_expiry}}<p style=\"font-size:15px;color:#a00\">{{points}} из них сгорят "
    "{{date | date}} - успейте потратить.</p>{{/points.next_expiry}}\n"
    "<p><a href=\"https://shop.example/spring?c={{customer_id}}\" style=\"background:#2a7;"
    "color:#fff;padding:12px 24px;text-decoration:none\">Выбрать подарок</a></p>\n"
    "{{#store}}<p style=\"font-size:13px;color:#888\">Ваш магазин: {{title}}, {{city}}.</p>"
    "{{/store}}\n"
    "<p style=\"font-size:12px;color:#aaa\">Вы получили это письмо, потому что согласились "
    "получать новости и предложения. Отписаться можно по ссылке в заголовке письма.</p>\n"
    "</td></tr></table></body></html>\n";

/* public_url and the template, once. */
static void setup(struct store *s)
{
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "channel", "email", "subject",
                             "{{first_name | default: \"Покупатель\"}}, весна в саду: -15%", "html",
                             html, "text",
                             "Здравствуйте! Весенняя скидка 15% до 15 марта. Баллов на карте: "
                             "{{points.balance}}.");
    bench_template(s, "bench-spring", body);
    json_decref(body);
}

struct run {
    double freeze_s, total_s, ref_s;
    int64_t messages, control;
    double content_len, recipient_len;
};

/* One campaign from create to every member enqueued. */
static void campaign(struct store *s, const struct key_secret *k, struct run *out)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct arena a;
    arena_init(&a, 0);
    struct seg_error se;
    struct campaign cp;
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "bench", "channel", "email",
                             "topic", "promo", "query", "has email", "template", "bench-spring");
    int64_t t0 = clock_mono_ns(), n[2] = {0, 0};
    if (campaign_create(s, body, NULL, clock_now_ms(), &a, &cp, &se, &err) != KT_OK ||
        campaign_act(s, cp.id, "start", NULL, clock_now_ms(), &a, &cp, &err) != KT_OK) {
        bench_die("campaign", &err);
    }
    while (cp.audience < 0) { /* the freeze alone: a run's budget is spent by it */
        struct store_conn *rd;
        if (campaign_run_due(s, k, clock_now_ms(), 50, n, &err) != KT_OK ||
            store_read_begin(s, &rd, &err) != KT_OK) {
            bench_die("freeze", &err);
        }
        enum kt_rc rc = store_campaign_get(rd, cp.id, &a, &cp, NULL, &err);
        store_read_end(rd);
        if (rc != KT_OK) {
            bench_die("campaign_get", &err);
        }
    }
    out->freeze_s = (double)(clock_mono_ns() - t0) / 1e9;
    for (;;) {
        struct store_conn *rd;
        if (campaign_run_due(s, k, clock_now_ms(), 60000, n, &err) != KT_OK ||
            store_read_begin(s, &rd, &err) != KT_OK) {
            bench_die("enqueue", &err);
        }
        enum kt_rc rc = store_campaign_get(rd, cp.id, &a, &cp, NULL, &err);
        store_read_end(rd);
        if (rc != KT_OK) {
            bench_die("campaign_get", &err);
        }
        if (cp.audience >= 0 && cp.enqueued + cp.control >= cp.audience) {
            break;
        }
    }
    out->total_s = (double)(clock_mono_ns() - t0) / 1e9;
    out->messages = cp.enqueued;
    out->control = cp.control;
    json_decref(body);
    arena_release(&a);
}

/* The reference: `n` outbox rows and member rows of the run's sizes, plain inserts. */
static double reference(const char *path, int64_t n, int content_len, int recipient_len)
{
    sqlite3 *db;
    remove(path);
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "campaign_bench: cannot open %s\n", path);
        exit(1);
    }
    bench_sql(
        db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            "CREATE TABLE outbox (id TEXT PRIMARY KEY, ck INTEGER NOT NULL, channel TEXT NOT NULL,"
            " kind TEXT NOT NULL, topic TEXT, priority INTEGER NOT NULL DEFAULT 0, recipient BLOB,"
            " content BLOB, state TEXT NOT NULL DEFAULT 'queued', next_at INTEGER NOT NULL,"
            " attempts INTEGER NOT NULL DEFAULT 0, reply_code INTEGER, reply_text TEXT,"
            " reason TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
            " sent_at INTEGER, campaign_id TEXT);"
            "CREATE INDEX outbox_claim ON outbox (channel, priority DESC, next_at) WHERE state = "
            "'queued';"
            "CREATE INDEX outbox_ck ON outbox (ck);"
            "CREATE INDEX outbox_campaign ON outbox (campaign_id, state) WHERE campaign_id IS NOT "
            "NULL;"
            "CREATE TABLE campaign_members (campaign_id TEXT NOT NULL, ck INTEGER NOT NULL, grp "
            "TEXT NOT NULL, message_id TEXT, at INTEGER NOT NULL, PRIMARY KEY (campaign_id, ck))"
            " WITHOUT ROWID;");
    sqlite3_stmt *o, *m;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO outbox (id, ck, channel, kind, topic, recipient, content, "
                           "next_at, created_at, updated_at, campaign_id) VALUES (?1, ?2, 'email', "
                           "'marketing', 'promo', ?3, ?4, ?5, ?5, ?5, 'cmp_ref') ON CONFLICT (id) "
                           "DO NOTHING",
                           -1, &o, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO campaign_members VALUES ('cmp_ref', ?1, 'a', ?2, ?3) ON "
                           "CONFLICT DO NOTHING",
                           -1, &m, NULL) != SQLITE_OK) {
        fprintf(stderr, "campaign_bench: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    unsigned char *content = malloc((size_t)content_len), *rcpt = malloc((size_t)recipient_len);
    int64_t t0 = clock_mono_ns(), now = clock_now_ms();
    for (int64_t i = 0; i < n; i++) {
        if (i % CAMPAIGN_BATCH == 0) {
            bench_sql(db, "BEGIN");
        }
        unsigned char h[16];
        char id[2 + 33] = "m_";
        randombytes_buf(h, sizeof(h)); /* a keyed hash's ids are as scattered */
        sodium_bin2hex(id + 2, sizeof(id) - 2, h, sizeof(h));
        randombytes_buf(content, (size_t)content_len); /* sealed bytes do not compress */
        randombytes_buf(rcpt, (size_t)recipient_len);
        sqlite3_bind_text(o, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(o, 2, i + 1);
        sqlite3_bind_blob(o, 3, rcpt, recipient_len, SQLITE_STATIC);
        sqlite3_bind_blob(o, 4, content, content_len, SQLITE_STATIC);
        sqlite3_bind_int64(o, 5, now);
        sqlite3_bind_int64(m, 1, i + 1);
        sqlite3_bind_text(m, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(m, 3, now);
        if (sqlite3_step(o) != SQLITE_DONE || sqlite3_step(m) != SQLITE_DONE) {
            fprintf(stderr, "campaign_bench: insert: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(o);
        sqlite3_reset(m);
        if (i % CAMPAIGN_BATCH == CAMPAIGN_BATCH - 1 || i == n - 1) {
            bench_sql(db, "COMMIT");
        }
    }
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    sqlite3_finalize(o);
    sqlite3_finalize(m);
    sqlite3_close(db);
    free(content);
    free(rcpt);
    return secs;
}

int main(int argc, char **argv)
{
    const char *db = NULL;
    int64_t runs = 3;
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"runs", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (!(c == 'r' && num_parse_cstr(optarg, 1, RUNS_MAX, &runs))) {
            db = NULL;
            break;
        }
    }
    if (db == NULL || sodium_init() < 0) {
        fprintf(stderr, "usage: campaign_bench --db PATH [--runs N]\n");
        return 2;
    }
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store_mode(db, 60000, 0, STORE_MIGRATE);
    struct key_secret k;
    if (s == NULL || cli_load_secret(s, db, &k) != 0) {
        return 1;
    }
    audit_key_init(&k); /* the campaign's create and start are audited */
    setup(s);
    sqlite3 *raw;
    if (sqlite3_open(db, &raw) != SQLITE_OK) {
        return 1;
    }
    sqlite3_busy_timeout(raw, 60000);
    char ref_path[4096];
    kt_snprintf(ref_path, sizeof(ref_path), "%s.reference", db);
    double rate[RUNS_MAX], ref_rate[RUNS_MAX], ratio[RUNS_MAX], total[RUNS_MAX];
    for (int i = 0; i < runs; i++) {
        /* what the last run enqueued goes, so each run writes into the same database */
        bench_sql(raw,
                  "DELETE FROM outbox WHERE campaign_id IS NOT NULL; DELETE FROM campaign_members;"
                  "DELETE FROM campaign_audience; PRAGMA wal_checkpoint(TRUNCATE);");
        struct run r = {0};
        campaign(s, &k, &r);
        r.content_len = (double)bench_one_int(raw, "SELECT avg(length(content)) FROM outbox WHERE "
                                                   "campaign_id IS NOT NULL");
        r.recipient_len =
            (double)bench_one_int(raw, "SELECT avg(length(recipient)) FROM outbox WHERE "
                                       "campaign_id IS NOT NULL");
        r.ref_s = reference(ref_path, r.messages, (int)r.content_len, (int)r.recipient_len);
        rate[i] = (double)r.messages / r.total_s;
        ref_rate[i] = (double)r.messages / r.ref_s;
        ratio[i] = rate[i] / ref_rate[i];
        total[i] = r.total_s;
        printf("run %d: %lld messages (+%lld control) in %.1f s (freeze %.1f s): %.0f messages/s;"
               " reference %.1f s: %.0f rows/s; %.2f of the reference; content %.0f B sealed\n",
               i + 1, (long long)r.messages, (long long)r.control, r.total_s, r.freeze_s, rate[i],
               r.ref_s, ref_rate[i], ratio[i], r.content_len);
        fflush(stdout);
    }
    printf("median of %lld: %.0f messages/s (%.1f s), reference %.0f rows/s, %.2f of it\n",
           (long long)runs, bench_median(rate, (int)runs), bench_median(total, (int)runs),
           bench_median(ref_rate, (int)runs), bench_median(ratio, (int)runs));
    remove(ref_path);
    sqlite3_close(raw);
    store_close(s);
    return 0;
}
