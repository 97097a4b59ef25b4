/*
 * deliver_cmd.c - `kartoteka deliver`: one message through a channel, without the outbox, for
 * operators checking their settings and for the end-to-end tests (docs/messages.md, "Channels").
 *
 *   kartoteka deliver test --channel email|push|webhook ...   send one test message
 *   kartoteka deliver sms-parts TEXT                          an SMS's length and parts
 *
 * The verb reads the same flags and environment the server's sender reads (--smtp-url,
 * KARTOTEKA_SMTP_USER, ...), so a test message that arrives says the server's will. It prints
 * the outcome as one JSON object; exit 0 when sent, 1 when not, 2 on bad usage. A hidden
 * --count N sends N copies over the pool and prints the rate (bench/smtp.sh).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/id.h"
#include "base/log.h"
#include "base/num.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "deliver/pace.h"
#include "deliver/sms.h"
#include "deliver/smtp.h"
#include "deliver/webhook.h"

static const char deliver_help[] =
    "usage: kartoteka deliver test --channel email --to ADDR --subject TEXT --text TEXT\n"
    "                              [--html HTML] [--to-name NAME] [--transactional]\n"
    "                              [--customer ID [--topic NAME] [--db PATH]] [--id ID]\n"
    "       kartoteka deliver test --channel push --to DEVICE_OR_CUSTOMER_ID --text TEXT\n"
    "                              [--title TEXT] [--id ID]\n"
    "       kartoteka deliver test --channel webhook --json BODY [--id ID]\n"
    "       kartoteka deliver sms-parts TEXT\n"
    "\n"
    "test: sends one message through a channel now, without the outbox, and prints the outcome\n"
    "as JSON: result sent, temporary or permanent, the server's code and reply. Exit 0 when it\n"
    "was sent, 1 when not, 2 on bad usage. A message that is not --transactional carries the\n"
    "one-click unsubscribe link of --customer (List-Unsubscribe, RFC 8058), made with the\n"
    "database's secret and its public_url (GET /v1/privacy/settings).\n"
    "sms-parts: the length of TEXT as an SMS, its parts and encoding (gsm7 or ucs2).\n"
    "\n"
    "  --id ID                  the message's id (Message-ID, Kartoteka-Message-Id); default a\n"
    "                           new one\n"
    "  --smtp-url URL           smtp://host:port or smtps://host:port (KARTOTEKA_SMTP_URL)\n"
    "  --smtp-from ADDR         the sender (KARTOTEKA_SMTP_FROM)\n"
    "  --smtp-from-name NAME    the sender's display name (KARTOTEKA_SMTP_FROM_NAME)\n"
    "  --smtp-starttls MODE     try, require or never (KARTOTEKA_SMTP_STARTTLS; default\n"
    "                           require with a user, try without)\n"
    "  --smtp-connections N     connections at once, 1-64 (KARTOTEKA_SMTP_CONNECTIONS, 8)\n"
    "  --smtp-timeout MS        one message, 1000-600000 (KARTOTEKA_SMTP_TIMEOUT, 30000)\n"
    "  --push-url URL           the push service's webhook (KARTOTEKA_PUSH_URL)\n"
    "  --webhook-url URL        the plain webhook's URL (KARTOTEKA_WEBHOOK_URL)\n"
    "  --webhook-timeout MS     one POST, 100-60000 (KARTOTEKA_WEBHOOK_TIMEOUT, 10000)\n"
    "  --email-rate N           e-mails per second at most, 0 = unlimited (KARTOTEKA_EMAIL_RATE,\n"
    "                           0); matters with --count\n"
    "  --db PATH                database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "\n"
    "SMTP credentials come from KARTOTEKA_SMTP_USER and KARTOTEKA_SMTP_PASSWORD, the webhooks'\n"
    "signing secret from KARTOTEKA_WEBHOOK_SECRET: from the environment only.\n";

struct dopts {
    const char *channel, *to, *to_name, *subject, *text, *html, *title, *json, *customer, *topic;
    const char *id, *db;
    bool transactional;
    int64_t count;
    const char *chan[CLI_CHANNEL_FLAGS]; /* the SMTP flags and --push-url as given */
    struct cli_channels ch;              /* settled by cli_channel_flags, as serve's */
    const char *webhook_url;
    int64_t webhook_timeout;
    int64_t email_rate; /* e-mails per second, 0 = unlimited */
};

static int dusage(const char *msg)
{
    return cli_usage("deliver", msg);
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : def;
}

enum {
    O_CHANNEL = 1000,
    O_TO,
    O_TO_NAME,
    O_SUBJECT,
    O_TEXT,
    O_HTML,
    O_TITLE,
    O_JSON,
    O_CUSTOMER,
    O_TOPIC,
    O_ID,
    O_DB,
    O_TRANSACTIONAL,
    O_COUNT,
    O_SMTP_URL,
    O_SMTP_FROM,
    O_SMTP_FROM_NAME,
    O_SMTP_STARTTLS,
    O_SMTP_CONNS,
    O_SMTP_TIMEOUT,
    O_PUSH_URL,
    O_WEBHOOK_URL,
    O_WEBHOOK_TIMEOUT,
    O_EMAIL_RATE,
    O_HELP
};

static const struct option long_opts[] = {
    {"channel", required_argument, NULL, O_CHANNEL},
    {"to", required_argument, NULL, O_TO},
    {"to-name", required_argument, NULL, O_TO_NAME},
    {"subject", required_argument, NULL, O_SUBJECT},
    {"text", required_argument, NULL, O_TEXT},
    {"html", required_argument, NULL, O_HTML},
    {"title", required_argument, NULL, O_TITLE},
    {"json", required_argument, NULL, O_JSON},
    {"customer", required_argument, NULL, O_CUSTOMER},
    {"topic", required_argument, NULL, O_TOPIC},
    {"id", required_argument, NULL, O_ID},
    {"db", required_argument, NULL, O_DB},
    {"transactional", no_argument, NULL, O_TRANSACTIONAL},
    {"count", required_argument, NULL, O_COUNT},
    {"smtp-url", required_argument, NULL, O_SMTP_URL},
    {"smtp-from", required_argument, NULL, O_SMTP_FROM},
    {"smtp-from-name", required_argument, NULL, O_SMTP_FROM_NAME},
    {"smtp-starttls", required_argument, NULL, O_SMTP_STARTTLS},
    {"smtp-connections", required_argument, NULL, O_SMTP_CONNS},
    {"smtp-timeout", required_argument, NULL, O_SMTP_TIMEOUT},
    {"push-url", required_argument, NULL, O_PUSH_URL},
    {"webhook-url", required_argument, NULL, O_WEBHOOK_URL},
    {"webhook-timeout", required_argument, NULL, O_WEBHOOK_TIMEOUT},
    {"email-rate", required_argument, NULL, O_EMAIL_RATE},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

/* Where each flag's text goes; numbers and words are checked after. */
static const char **slot(struct dopts *o, const char **nums, int c)
{
    switch (c) {
    case O_CHANNEL:
        return &o->channel;
    case O_TO:
        return &o->to;
    case O_TO_NAME:
        return &o->to_name;
    case O_SUBJECT:
        return &o->subject;
    case O_TEXT:
        return &o->text;
    case O_HTML:
        return &o->html;
    case O_TITLE:
        return &o->title;
    case O_JSON:
        return &o->json;
    case O_CUSTOMER:
        return &o->customer;
    case O_TOPIC:
        return &o->topic;
    case O_ID:
        return &o->id;
    case O_DB:
        return &o->db;
    case O_COUNT:
        return &nums[0];
    case O_SMTP_URL:
    case O_SMTP_FROM:
    case O_SMTP_FROM_NAME:
    case O_SMTP_STARTTLS:
    case O_SMTP_CONNS:
    case O_SMTP_TIMEOUT:
    case O_PUSH_URL:
        return &o->chan[c - O_SMTP_URL]; /* cli_channel_flags' order */
    case O_WEBHOOK_URL:
        return &o->webhook_url;
    case O_WEBHOOK_TIMEOUT:
        return &nums[1];
    case O_EMAIL_RATE:
        return &nums[2];
    default:
        return NULL;
    }
}

/* 0 after --help, 2 on bad usage, -1 to go on. */
static int parse(int argc, char **argv, struct dopts *o, const char **nums)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        const char **to = slot(o, nums, c);
        if (c == O_HELP) {
            fputs(deliver_help, stdout);
            return 0;
        }
        if (c == O_TRANSACTIONAL) {
            o->transactional = true;
        } else if (to != NULL) {
            *to = optarg;
        } else {
            return dusage("unknown or incomplete option");
        }
    }
    return -1;
}

/* The environment under the flags, then the numbers and words checked. -1 when all is well. */
static int settle(struct dopts *o, const char **nums)
{
    int rc = cli_channel_flags("deliver", o->chan, &o->ch);
    if (rc != 0) {
        return rc;
    }
    o->webhook_url = o->webhook_url ? o->webhook_url : getenv("KARTOTEKA_WEBHOOK_URL");
    const char *wtmo = nums[1] ? nums[1] : env_or("KARTOTEKA_WEBHOOK_TIMEOUT", "10000");
    if (!num_parse_cstr(wtmo, 100, 60000, &o->webhook_timeout)) {
        return dusage("--webhook-timeout must be milliseconds from 100 to 60000");
    }
    const char *rate = nums[2] ? nums[2] : env_or("KARTOTEKA_EMAIL_RATE", "0");
    if (!num_parse_cstr(rate, 0, PACE_MAX_RATE, &o->email_rate)) {
        return dusage("--email-rate must be e-mails per second from 0 (unlimited) to 1000000");
    }
    o->count = 1;
    if (nums[0] != NULL && !num_parse_cstr(nums[0], 1, 10000000, &o->count)) {
        return dusage("--count must be a number from 1 to 10000000");
    }
    return -1;
}

static void print_result(const char *id, const char *channel, const struct deliver_result *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "id", id, "channel", channel, "result",
                          deliver_class_name(r->cls), "code", r->code, "reply", r->text);
    if (r->retry_after_ms >= 0) {
        json_object_set_new(o, "retry_after_ms", json_integer(r->retry_after_ms));
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    puts(line);
    free(line);
    json_decref(o);
}

/* The unsubscribe link of --customer, from the database's secret and public_url. */
static const char *unsub_link(const struct dopts *o, struct arena *a)
{
    const char *db = o->db ? o->db : cli_default_db();
    struct store *s = cli_open_store(db);
    struct key_secret k;
    if (s == NULL || cli_load_secret(s, db, &k) != 0) {
        store_close(s);
        return NULL;
    }
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct privacy_settings ps;
    const char *url = NULL;
    if (store_read_begin(s, &rd, &err) == KT_OK) {
        if (privacy_settings_get(rd, a, &ps, &err) == KT_OK && ps.public_url && ps.public_url[0]) {
            url = smtp_unsubscribe_url(&k, ps.public_url, o->customer, o->topic, a);
        }
        store_read_end(rd);
    }
    if (err.rc != KT_OK) {
        cli_print_error("cannot read the settings", &err);
    } else if (url == NULL) {
        fprintf(stderr, "kartoteka deliver: the unsubscribe link needs the public_url setting "
                        "(PUT /v1/privacy/settings)\n");
    }
    sodium_memzero(&k, sizeof(k));
    store_close(s);
    return url;
}

/* --count N: N copies, ids ID-1..ID-N, in batches over the pool; prints the rate. */
static int email_many(struct smtp_pool *p, const struct email *m, int64_t count, int64_t rate)
{
    enum { BATCH = 512 };
    struct email *ms = calloc(BATCH, sizeof(*ms));
    struct deliver_result *rs = calloc(BATCH, sizeof(*rs));
    char(*ids)[ID_MAX + 16] = calloc(BATCH, sizeof(*ids));
    int64_t done[3] = {0, 0, 0}, t0 = (clock_mono_ns() / 1000000);
    struct pace pc;
    pace_init(&pc, (double)rate);
    for (int64_t i = 0; i < count;) {
        size_t n = 0;
        for (; n < BATCH && i < count; n++, i++) {
            int64_t wait = pace_take(&pc, clock_mono_ns() / 1000000);
            if (wait > 0 && n > 0) {
                break; /* send what may go now, then wait for the next token */
            }
            for (; wait > 0; wait = pace_take(&pc, clock_mono_ns() / 1000000)) {
                struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
                nanosleep(&ts, NULL);
            }
            ms[n] = *m;
            snprintf(ids[n], sizeof(ids[n]), "%s-%lld", m->id, (long long)i + 1);
            ms[n].id = ids[n];
        }
        smtp_send(p, ms, n, clock_now_ms(), rs);
        for (size_t j = 0; j < n; j++) {
            done[rs[j].cls]++;
        }
    }
    double secs = (double)((clock_mono_ns() / 1000000) - t0) / 1000.0;
    printf("{\"count\": %lld, \"sent\": %lld, \"temporary\": %lld, \"permanent\": %lld, "
           "\"seconds\": %.3f, \"per_second\": %.1f}\n",
           (long long)count, (long long)done[DELIVER_SENT], (long long)done[DELIVER_TEMPORARY],
           (long long)done[DELIVER_PERMANENT], secs, secs > 0 ? (double)count / secs : 0.0);
    free(ms);
    free(rs);
    free(ids);
    return done[DELIVER_SENT] == count ? 0 : 1;
}

static int email(const struct dopts *o)
{
    if (o->to == NULL || o->subject == NULL || o->text == NULL) {
        return dusage("an e-mail needs --to, --subject and --text");
    }
    if (o->ch.smtp.url == NULL || o->ch.smtp.from == NULL) {
        return dusage("an e-mail needs --smtp-url and --smtp-from (or KARTOTEKA_SMTP_URL and "
                      "KARTOTEKA_SMTP_FROM)");
    }
    if (!o->transactional && o->customer == NULL) {
        return dusage("a message that is not --transactional needs --customer for its "
                      "unsubscribe link");
    }
    struct arena a;
    arena_init(&a, 0);
    int code = 1;
    struct kt_err err;
    kt_err_reset(&err);
    struct email m = {o->id, o->to, o->to_name, o->subject, o->text, o->html, NULL};
    struct smtp_pool *p = NULL;
    if (!o->transactional && (m.unsubscribe_url = unsub_link(o, &a)) == NULL) {
        goto out;
    }
    if ((p = smtp_pool_new(&o->ch.smtp, &err)) == NULL) {
        cli_print_error("cannot send e-mail", &err);
        code = 2;
        goto out;
    }
    if (o->count > 1) {
        code = email_many(p, &m, o->count, o->email_rate);
        goto out;
    }
    struct deliver_result r;
    smtp_send(p, &m, 1, clock_now_ms(), &r);
    print_result(o->id, "email", &r);
    code = r.cls == DELIVER_SENT ? 0 : 1;
out:
    smtp_pool_free(p);
    arena_release(&a);
    return code;
}

static int webhook(const struct dopts *o, bool push)
{
    const char *url = push ? o->ch.push_url : o->webhook_url;
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        return dusage(push ? "push needs --push-url (or KARTOTEKA_PUSH_URL), http:// or https://"
                           : "a webhook needs --webhook-url (or KARTOTEKA_WEBHOOK_URL), "
                             "http:// or https://");
    }
    json_t *body = NULL;
    if (push) {
        if (o->to == NULL || o->text == NULL) {
            return dusage("push needs --to and --text");
        }
        body = json_pack("{s:s, s:s, s:s, s:s}", "id", o->id, "channel", "push", "to", o->to,
                         "text", o->text);
        if (o->title != NULL) {
            json_object_set_new(body, "title", json_string(o->title));
        }
    } else {
        body = o->json != NULL ? json_loads(o->json, 0, NULL) : NULL;
        if (!json_is_object(body)) { /* a macro: its argument is read twice */
            json_decref(body);
            return dusage("a webhook needs --json with a JSON object");
        }
    }
    if (body == NULL) {
        return dusage("the text is not UTF-8");
    }
    struct kt_err err;
    kt_err_reset(&err);
    struct webhook_opts wo = {o->ch.webhook_secret, o->webhook_timeout, false};
    struct webhook *w = webhook_new(&wo, &err);
    if (w == NULL) {
        json_decref(body);
        cli_print_error("cannot post", &err);
        return 2;
    }
    char *text = json_dumps(body, JSON_COMPACT);
    struct deliver_result r;
    webhook_post(w, url, o->id, text, strlen(text), clock_now_ms(), &r);
    print_result(o->id, push ? "push" : "webhook", &r);
    free(text);
    json_decref(body);
    webhook_free(w);
    return r.cls == DELIVER_SENT ? 0 : 1;
}

static int parts(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(deliver_help, stdout);
        return 0;
    }
    if (argc != 2) {
        return dusage("sms-parts takes one TEXT");
    }
    int chars, n;
    enum sms_encoding enc;
    sms_parts(argv[1], &chars, &n, &enc);
    printf("{\"chars\": %d, \"parts\": %d, \"encoding\": \"%s\"}\n", chars, n,
           sms_encoding_name(enc));
    return 0;
}

int cli_deliver(int argc, char **argv)
{
    if (argc < 2) {
        return dusage("which: test or sms-parts?");
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(deliver_help, stdout);
        return 0;
    }
    if (strcmp(argv[1], "sms-parts") == 0) {
        return parts(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "test") != 0) {
        return dusage("unknown command; test or sms-parts");
    }
    struct dopts o = {0};
    const char *nums[3] = {NULL, NULL, NULL}; /* --count, --webhook-timeout, --email-rate */
    int rc = parse(argc - 1, argv + 1, &o, nums);
    if (rc >= 0) {
        return rc;
    }
    if (optind != argc - 1) {
        return dusage("test takes no arguments, only options");
    }
    if ((rc = settle(&o, nums)) >= 0) {
        return rc;
    }
    char id[ID_MAX];
    if (o.id == NULL) {
        id_new(id, sizeof(id), "m_");
        o.id = id;
    }
    log_set_level(LOG_WARN);
    if (o.channel == NULL) {
        return dusage("--channel must be email, push or webhook");
    }
    if (strcmp(o.channel, "email") == 0) {
        return email(&o);
    }
    if (strcmp(o.channel, "push") == 0 || strcmp(o.channel, "webhook") == 0) {
        return webhook(&o, strcmp(o.channel, "push") == 0);
    }
    return dusage("--channel must be email, push or webhook");
}
