/*
 * main.c - the kartoteka command: wiring only. serve's flags and their KARTOTEKA_* environment
 * equivalents, opening the store, starting the server and the workers, signals; and the
 * dispatch of the operator's verbs, which live in cli/ (cli.h). Every verb answers --help.
 */
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "auth/keys.h"
#include "cli/cli.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/tz.h"
#include "base/num.h"
#include "http/lockout.h"
#include "http/server.h"
#include "pages/page.h"
#include "consent/consent.h"
#include "deliver/outbox.h"
#include "deliver/sms.h"
#include "import/worker.h"
#include "sched/sched.h"
#include "store/store.h"

#define DEFAULT_DB     "data/kartoteka.db"
#define DEFAULT_LISTEN "127.0.0.1:8080"
/* Enrolments per hour: a busy till enrols a few hundred customers a day, a script thousands an
 * hour; a key shared by many stores needs more (docs/operations.md). */
#define ENROL_PER_KEY_DEFAULT   "1000"
#define ENROL_PER_STORE_DEFAULT "200"

struct opts {
    const char *db;
    const char *db_read; /* --db-read: the analytic reads' replica (PostgreSQL), or NULL */
    const char *listen;
    const char *secret_file; /* NULL = <db>.secret */
    const char *master_file; /* --master-key-file; NULL = <db>.master */
    const char *sealed;      /* --sealed-fields; NULL = as the database says */
    int64_t key_cache;       /* --key-cache: opened data keys kept in memory */
    int64_t threads;
    int64_t analytics_threads; /* --analytics-threads; 0 = half the CPUs, at least 1 */
    int64_t max_body;
    int64_t busy_ms;
    int64_t db_max_size; /* --db-max-size, bytes; 0 = no cap */
    int64_t grace_ms;
    int64_t drain_ms;
    int64_t max_upload;
    int64_t rejects_days;   /* term of import reject lines */
    int64_t events_days;    /* term of raw behaviour events */
    int64_t messages_days;  /* term of sent and dead messages */
    int64_t max_conns;      /* 0 = the server's default, fitted to the open-file limit */
    int64_t max_conns_addr; /* 0 = no limit */
    int64_t head_ms;        /* deadline of a request's head; 0 = none */
    int64_t idle_ms;
    bool no_migrate;
    struct sms_opts sms;
    const char *sms_text;
    bool settable_clock; /* serve --settable-clock: benchmarks and tests only */
    const char *cors_origins;
    int64_t enrol_per_key;       /* enrolments per API key per hour, 0 = no limit */
    int64_t enrol_per_store;     /* enrolments per store per hour, 0 = no limit */
    const char *tls_cert;        /* serve --tls-cert: HTTPS */
    const char *tls_key;         /* serve --tls-key */
    bool insecure_http;          /* serve --insecure-http: plain HTTP beyond loopback */
    int64_t audit_queue_max;     /* reads queued for the audit log before reads are refused */
    struct lockout_conf lockout; /* --lockout-after, --lockout-window, --lockout-for */
    const char *channel[CLI_CHANNEL_FLAGS]; /* --smtp-*, --push-url as given */
    struct cli_channels channels;
};

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : def;
}

/* ---- serve's flags --------------------------------------------------------------------------- */

enum {
    OPT_DB = 1000,
    OPT_DB_READ,
    OPT_LISTEN,
    OPT_LOG,
    OPT_THREADS,
    OPT_ANALYTICS_THREADS,
    OPT_MAX_BODY,
    OPT_MAX_UPLOAD,
    OPT_BUSY,
    OPT_TIME_ZONE,
    OPT_DB_MAX_SIZE,
    OPT_SECRET,
    OPT_NO_MIGRATE,
    OPT_GRACE,
    OPT_SMS_URL,
    OPT_SMS_BODY,
    OPT_SMS_TEXT,
    OPT_SMS_TIMEOUT,
    OPT_SMS_ATTEMPTS,
    OPT_SMS_BACKOFF,
    OPT_SETTABLE_CLOCK,
    OPT_CORS,
    OPT_ENROL_KEY,
    OPT_ENROL_STORE,
    OPT_REJECTS_DAYS,
    OPT_EVENTS_DAYS,
    OPT_MESSAGES_DAYS,
    OPT_MAX_CONNS,
    OPT_MAX_CONNS_ADDR,
    OPT_HEAD_TIMEOUT,
    OPT_IDLE_TIMEOUT,
    OPT_DRAIN,
    OPT_SMS_SINK,
    OPT_MASTER_KEY,
    OPT_SEALED,
    OPT_KEY_CACHE,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_INSECURE_HTTP,
    OPT_AUDIT_QUEUE,
    OPT_LOCKOUT_AFTER,
    OPT_LOCKOUT_WINDOW,
    OPT_LOCKOUT_FOR,
    OPT_CHANNEL, /* the CLI_CHANNEL_FLAGS flags of cli_channel_flags, in order */
    OPT_HELP = OPT_CHANNEL + CLI_CHANNEL_FLAGS
};

static const struct option long_opts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"db-read", required_argument, NULL, OPT_DB_READ},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"log-level", required_argument, NULL, OPT_LOG},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"analytics-threads", required_argument, NULL, OPT_ANALYTICS_THREADS},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"max-upload", required_argument, NULL, OPT_MAX_UPLOAD},
    {"busy-timeout", required_argument, NULL, OPT_BUSY},
    {"time-zone", required_argument, NULL, OPT_TIME_ZONE},
    {"db-max-size", required_argument, NULL, OPT_DB_MAX_SIZE},
    {"secret-file", required_argument, NULL, OPT_SECRET},
    {"no-migrate", no_argument, NULL, OPT_NO_MIGRATE},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"sms-url", required_argument, NULL, OPT_SMS_URL},
    {"sms-body", required_argument, NULL, OPT_SMS_BODY},
    {"sms-text", required_argument, NULL, OPT_SMS_TEXT},
    {"sms-timeout", required_argument, NULL, OPT_SMS_TIMEOUT},
    {"sms-attempts", required_argument, NULL, OPT_SMS_ATTEMPTS},
    {"sms-backoff", required_argument, NULL, OPT_SMS_BACKOFF},
    {"settable-clock", no_argument, NULL, OPT_SETTABLE_CLOCK},
    {"cors-origins", required_argument, NULL, OPT_CORS},
    {"enrol-per-key", required_argument, NULL, OPT_ENROL_KEY},
    {"enrol-per-store", required_argument, NULL, OPT_ENROL_STORE},
    {"import-rejects-days", required_argument, NULL, OPT_REJECTS_DAYS},
    {"events-days", required_argument, NULL, OPT_EVENTS_DAYS},
    {"messages-days", required_argument, NULL, OPT_MESSAGES_DAYS},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNS},
    {"max-connections-per-address", required_argument, NULL, OPT_MAX_CONNS_ADDR},
    {"header-timeout", required_argument, NULL, OPT_HEAD_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"sms-sink", required_argument, NULL, OPT_SMS_SINK},
    {"master-key-file", required_argument, NULL, OPT_MASTER_KEY},
    {"sealed-fields", required_argument, NULL, OPT_SEALED},
    {"key-cache", required_argument, NULL, OPT_KEY_CACHE},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"lockout-after", required_argument, NULL, OPT_LOCKOUT_AFTER},
    {"lockout-window", required_argument, NULL, OPT_LOCKOUT_WINDOW},
    {"lockout-for", required_argument, NULL, OPT_LOCKOUT_FOR},
    {"insecure-http", no_argument, NULL, OPT_INSECURE_HTTP},
    {"audit-queue-max", required_argument, NULL, OPT_AUDIT_QUEUE},
    {"smtp-url", required_argument, NULL, OPT_CHANNEL},
    {"smtp-from", required_argument, NULL, OPT_CHANNEL + 1},
    {"smtp-from-name", required_argument, NULL, OPT_CHANNEL + 2},
    {"smtp-starttls", required_argument, NULL, OPT_CHANNEL + 3},
    {"smtp-connections", required_argument, NULL, OPT_CHANNEL + 4},
    {"smtp-timeout", required_argument, NULL, OPT_CHANNEL + 5},
    {"push-url", required_argument, NULL, OPT_CHANNEL + 6},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static bool number(const char *s, int64_t min, int64_t max, int64_t *out)
{
    return num_parse_cstr(s, min, max, out);
}

/* The connection flags of serve, as given (flag or environment), until checked. */
struct conn_flags {
    const char *max;      /* --max-connections; NULL = the server's default */
    const char *per_addr; /* --max-connections-per-address */
    const char *head;     /* --header-timeout */
    const char *idle;     /* --idle-timeout */
    const char *drain;    /* --drain */
};

static void conn_flags_env(struct conn_flags *f)
{
    f->max = env_or("KARTOTEKA_MAX_CONNECTIONS", NULL);
    f->per_addr = env_or("KARTOTEKA_MAX_CONNECTIONS_PER_ADDRESS", "256");
    f->head = env_or("KARTOTEKA_HEADER_TIMEOUT", "10000");
    f->idle = env_or("KARTOTEKA_IDLE_TIMEOUT", "30000");
    f->drain = env_or("KARTOTEKA_DRAIN", "5000");
}

static int conn_flags_check(const char *verb, const struct conn_flags *f, struct opts *o)
{
    if (f->max != NULL && !number(f->max, 16, 1048576, &o->max_conns)) {
        return cli_usage(verb, "--max-connections must be a number from 16 to 1048576");
    }
    if (!number(f->per_addr, 0, 1048576, &o->max_conns_addr)) {
        return cli_usage(verb, "--max-connections-per-address must be a number from 0 (no "
                               "limit) to 1048576");
    }
    if (!number(f->head, 0, 600000, &o->head_ms)) {
        return cli_usage(verb, "--header-timeout must be milliseconds from 0 (none) to 600000");
    }
    if (!number(f->idle, 1000, 3600000, &o->idle_ms)) {
        return cli_usage(verb, "--idle-timeout must be milliseconds from 1000 to 3600000");
    }
    if (!number(f->drain, 0, 600000, &o->drain_ms)) {
        return cli_usage(verb, "--drain must be milliseconds from 0 to 600000");
    }
    return 0;
}

/* Environment first, then flags. Returns 0 to go on, 1 when help was printed, 2 on a bad flag. */
static int parse(const char *verb, const char *help, int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    o->db = env_or("KARTOTEKA_DB", DEFAULT_DB);
    o->db_read = env_or("KARTOTEKA_DB_READ", NULL);
    o->listen = env_or("KARTOTEKA_LISTEN", DEFAULT_LISTEN);
    o->secret_file = env_or("KARTOTEKA_SECRET_FILE", NULL);
    o->master_file = env_or("KARTOTEKA_MASTER_KEY_FILE", NULL);
    o->sealed = env_or("KARTOTEKA_SEALED_FIELDS", NULL);
    const char *key_cache = env_or("KARTOTEKA_KEY_CACHE", "0");
    const char *level = env_or("KARTOTEKA_LOG_LEVEL", "info");
    const char *threads = env_or("KARTOTEKA_THREADS", "0");
    const char *analytics = env_or("KARTOTEKA_ANALYTICS_THREADS", "0");
    const char *max_body = env_or("KARTOTEKA_MAX_BODY", "1048576");
    const char *busy = env_or("KARTOTEKA_BUSY_TIMEOUT", "5000");
    const char *time_zone = env_or("KARTOTEKA_TIME_ZONE", TZ_DEFAULT_NAME);
    const char *db_max_size = env_or("KARTOTEKA_DB_MAX_SIZE", "0");
    const char *grace = env_or("KARTOTEKA_GRACE", "10000");
    const char *max_upload = env_or("KARTOTEKA_MAX_UPLOAD", "268435456");
    const char *rejects_days = env_or("KARTOTEKA_IMPORT_REJECTS_DAYS", "30");
    const char *events_days = env_or("KARTOTEKA_EVENTS_DAYS", "365");
    const char *messages_days = env_or("KARTOTEKA_MESSAGES_DAYS", "90");
    o->sms.url = env_or("KARTOTEKA_SMS_URL", NULL);
    o->sms.sink = env_or("KARTOTEKA_SMS_SINK", NULL);
    o->cors_origins = env_or("KARTOTEKA_CORS_ORIGINS", "");
    o->tls_cert = env_or("KARTOTEKA_TLS_CERT", NULL);
    o->tls_key = env_or("KARTOTEKA_TLS_KEY", NULL);
    const char *insecure = env_or("KARTOTEKA_INSECURE_HTTP", "0");
    o->sms.body = env_or("KARTOTEKA_SMS_BODY", SMS_BODY_DEFAULT);
    o->sms.auth = env_or("KARTOTEKA_SMS_AUTH", NULL); /* a secret: environment only */
    o->sms_text = env_or("KARTOTEKA_SMS_TEXT", "Код подтверждения: {{code}}. Ваша карта {{card}}");
    const char *sms_timeout = env_or("KARTOTEKA_SMS_TIMEOUT", "5000");
    const char *sms_attempts = env_or("KARTOTEKA_SMS_ATTEMPTS", "8");
    const char *sms_backoff = env_or("KARTOTEKA_SMS_BACKOFF", "2000");
    const char *enrol_key = env_or("KARTOTEKA_ENROL_PER_KEY", ENROL_PER_KEY_DEFAULT);
    const char *enrol_store = env_or("KARTOTEKA_ENROL_PER_STORE", ENROL_PER_STORE_DEFAULT);
    const char *audit_queue = env_or("KARTOTEKA_AUDIT_QUEUE_MAX", "500000");
    const char *lockout[3] = {env_or("KARTOTEKA_LOCKOUT_AFTER", "10"),
                              env_or("KARTOTEKA_LOCKOUT_WINDOW", "300"),
                              env_or("KARTOTEKA_LOCKOUT_FOR", "900")};
    struct conn_flags cf;
    conn_flags_env(&cf);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            o->db = optarg;
            break;
        case OPT_DB_READ:
            o->db_read = optarg;
            break;
        case OPT_LISTEN:
            o->listen = optarg;
            break;
        case OPT_LOG:
            level = optarg;
            break;
        case OPT_THREADS:
            threads = optarg;
            break;
        case OPT_ANALYTICS_THREADS:
            analytics = optarg;
            break;
        case OPT_MAX_BODY:
            max_body = optarg;
            break;
        case OPT_DB_MAX_SIZE:
            db_max_size = optarg;
            break;
        case OPT_BUSY:
            busy = optarg;
            break;
        case OPT_TIME_ZONE:
            time_zone = optarg;
            break;
        case OPT_SECRET:
            o->secret_file = optarg;
            break;
        case OPT_NO_MIGRATE:
            o->no_migrate = true;
            break;
        case OPT_MAX_UPLOAD:
            max_upload = optarg;
            break;
        case OPT_GRACE:
            grace = optarg;
            break;
        case OPT_SMS_URL:
            o->sms.url = optarg;
            break;
        case OPT_SMS_BODY:
            o->sms.body = optarg;
            break;
        case OPT_SMS_TEXT:
            o->sms_text = optarg;
            break;
        case OPT_SMS_TIMEOUT:
            sms_timeout = optarg;
            break;
        case OPT_SMS_ATTEMPTS:
            sms_attempts = optarg;
            break;
        case OPT_SMS_BACKOFF:
            sms_backoff = optarg;
            break;
        case OPT_SETTABLE_CLOCK:
            o->settable_clock = true;
            break;
        case OPT_CORS:
            o->cors_origins = optarg;
            break;
        case OPT_ENROL_KEY:
            enrol_key = optarg;
            break;
        case OPT_ENROL_STORE:
            enrol_store = optarg;
            break;
        case OPT_REJECTS_DAYS:
            rejects_days = optarg;
            break;
        case OPT_EVENTS_DAYS:
            events_days = optarg;
            break;
        case OPT_MESSAGES_DAYS:
            messages_days = optarg;
            break;
        case OPT_MAX_CONNS:
            cf.max = optarg;
            break;
        case OPT_MAX_CONNS_ADDR:
            cf.per_addr = optarg;
            break;
        case OPT_HEAD_TIMEOUT:
            cf.head = optarg;
            break;
        case OPT_IDLE_TIMEOUT:
            cf.idle = optarg;
            break;
        case OPT_DRAIN:
            cf.drain = optarg;
            break;
        case OPT_SMS_SINK:
            o->sms.sink = optarg;
            break;
        case OPT_MASTER_KEY:
            o->master_file = optarg;
            break;
        case OPT_SEALED:
            o->sealed = optarg;
            break;
        case OPT_KEY_CACHE:
            key_cache = optarg;
            break;
        case OPT_TLS_CERT:
            o->tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            o->tls_key = optarg;
            break;
        case OPT_INSECURE_HTTP:
            insecure = "1";
            break;
        case OPT_AUDIT_QUEUE:
            audit_queue = optarg;
            break;
        case OPT_LOCKOUT_AFTER:
        case OPT_LOCKOUT_WINDOW:
        case OPT_LOCKOUT_FOR:
            lockout[c - OPT_LOCKOUT_AFTER] = optarg;
            break;
        case OPT_HELP:
            fputs(help, stdout);
            return 1;
        default:
            if (c >= OPT_CHANNEL && c < OPT_CHANNEL + CLI_CHANNEL_FLAGS) {
                o->channel[c - OPT_CHANNEL] = optarg;
                break;
            }
            return cli_usage(verb, "unknown or incomplete option");
        }
    }
    if (cli_channel_flags(verb, o->channel, &o->channels) != 0) {
        return 2;
    }
    if (strcmp(insecure, "0") != 0 && strcmp(insecure, "1") != 0) {
        return cli_usage(verb, "KARTOTEKA_INSECURE_HTTP must be 0 or 1");
    }
    o->insecure_http = strcmp(insecure, "1") == 0;
    enum log_level lvl;
    if (!log_level_parse(level, &lvl)) {
        return cli_usage(verb, "--log-level must be debug, info, warn or error");
    }
    log_set_level(lvl);
    if (!number(threads, 0, 256, &o->threads)) {
        return cli_usage(verb, "--threads must be a number from 0 (automatic) to 256");
    }
    if (!number(analytics, 0, 64, &o->analytics_threads)) {
        return cli_usage(verb, "--analytics-threads must be a number from 0 (automatic) to 64");
    }
    if (!number(max_body, 1024, (int64_t)1 << 30, &o->max_body)) {
        return cli_usage(verb, "--max-body must be a byte count from 1024 to 1073741824");
    }
    if (!number(busy, 1, 600000, &o->busy_ms)) {
        return cli_usage(verb, "--busy-timeout must be milliseconds from 1 to 600000");
    }
    /* Before any thread starts: the zone is read by them all afterwards (base/tz.h). */
    if (tz_set_default(time_zone, NULL) != KT_OK) {
        return cli_usage(verb, "--time-zone must be an IANA time zone such as Europe/Moscow");
    }
    if (!number(db_max_size, 0, (int64_t)1 << 46, &o->db_max_size) ||
        (o->db_max_size > 0 && o->db_max_size < (1 << 20))) {
        return cli_usage(verb, "--db-max-size must be a byte count from 1048576, or 0 (no cap)");
    }
    if (!number(max_upload, 1024, (int64_t)1 << 34, &o->max_upload)) {
        return cli_usage(verb, "--max-upload must be a byte count from 1024 to 17179869184");
    }
    if (!number(grace, 0, 600000, &o->grace_ms)) {
        return cli_usage(verb, "--grace must be milliseconds from 0 to 600000");
    }
    if (!number(rejects_days, 1, 3650, &o->rejects_days)) {
        return cli_usage(verb, "--import-rejects-days must be a number of days from 1 to 3650");
    }
    if (!number(events_days, 1, 3650, &o->events_days)) {
        return cli_usage(verb, "--events-days must be a number of days from 1 to 3650");
    }
    if (!number(messages_days, 1, 3650, &o->messages_days)) {
        return cli_usage(verb, "--messages-days must be a number of days from 1 to 3650");
    }
    int sealed_bits = 0;
    if (o->sealed != NULL && cli_sealed_fields_parse(o->sealed, &sealed_bits) != 0) {
        return cli_usage(verb, "--sealed-fields takes city, birth_date and gender, "
                               "comma-separated, or none");
    }
    if (!number(key_cache, 0, 1 << 26, &o->key_cache) ||
        (o->key_cache > 0 && o->key_cache < 1024)) {
        return cli_usage(verb, "--key-cache must be 0 (fitted) or a number of keys from 1024 to "
                               "67108864");
    }
    if (!number(sms_timeout, 100, 60000, &o->sms.timeout_ms)) {
        return cli_usage(verb, "--sms-timeout must be milliseconds from 100 to 60000");
    }
    if (!number(sms_attempts, 1, 100, &o->sms.max_attempts)) {
        return cli_usage(verb, "--sms-attempts must be a number from 1 to 100");
    }
    if (!number(sms_backoff, 10, 600000, &o->sms.backoff_ms)) {
        return cli_usage(verb, "--sms-backoff must be milliseconds from 10 to 600000");
    }
    if (!number(enrol_key, 0, 1000000, &o->enrol_per_key) ||
        !number(enrol_store, 0, 1000000, &o->enrol_per_store)) {
        return cli_usage(verb, "--enrol-per-key and --enrol-per-store must be enrolments per "
                               "hour from 0 (no limit) to 1000000");
    }
    if (!number(audit_queue, 1, 100000000, &o->audit_queue_max)) {
        return cli_usage(verb, "--audit-queue-max must be a number of entries from 1 to "
                               "100000000");
    }
    int64_t after, window_s, for_s;
    if (!number(lockout[0], 0, 1000000, &after) || !number(lockout[1], 1, 86400, &window_s) ||
        !number(lockout[2], 1, 86400, &for_s)) {
        return cli_usage(verb, "--lockout-after must be a number of wrong keys (0: never lock), "
                               "--lockout-window and --lockout-for seconds from 1 to 86400");
    }
    o->lockout = (struct lockout_conf){(int)after, window_s * 1000, for_s * 1000};
    if (o->sms.url != NULL && strncmp(o->sms.url, "http://", 7) != 0 &&
        strncmp(o->sms.url, "https://", 8) != 0) {
        return cli_usage(verb, "--sms-url must be an http:// or https:// URL");
    }
    if (o->sms.url != NULL && o->sms.sink != NULL) { /* refused here before any thread */
        return cli_usage(verb, "--sms-sink is for development without a gateway: not with "
                               "--sms-url");
    }
    return conn_flags_check(verb, &cf, o);
}

static struct store *open_store(const struct opts *o, enum store_schema_mode mode)
{
    struct cli_keys k = {.secret_file = o->secret_file,
                         .master_file = o->master_file,
                         .sealed_fields = o->sealed,
                         .key_cache = o->key_cache,
                         .warm = true,
                         .read_db = o->db_read};
    return cli_open_store_keys(o->db, (int)o->busy_ms, o->db_max_size, mode, &k);
}

/* ---- serve ------------------------------------------------------------------------------------
 */

static int first_key(struct store *s, const struct key_secret *secret, uint16_t port,
                     const char *listen, bool https)
{
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    struct api_key *keys, key;
    size_t n = 0;
    char token[KEY_TOKEN_MAX] = "";
    enum kt_rc rc = store_write_begin(s, &w, &err);
    if (rc == KT_OK) {
        rc = store_key_list(w, &a, &keys, &n, &err);
        if (rc == KT_OK && n == 0) {
            rc = keys_create(w, secret, "first admin key", SCOPE_ADMIN, clock_now_ms(), token, &key,
                             &err);
        }
        rc = store_write_end(w, rc, &err);
    }
    arena_release(&a);
    if (rc != KT_OK) {
        cli_print_error("cannot create the first key", &err);
        return -1;
    }
    if (token[0] != '\0') {
        char host[128];
        kt_strlcpy(host, listen, sizeof(host));
        char *colon = strrchr(host, ':');
        if (colon) {
            *colon = '\0';
        }
        if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0) {
            kt_strlcpy(host, "127.0.0.1", sizeof(host));
        }
        printf("\nNo API key existed, so Kartoteka created an admin key. It is shown only this "
               "once; keep it safe:\n\n    %s\n\nTry it:\n\n"
               "    curl -s -H 'Authorization: Bearer %s' %s://%s:%u/v1/customers\n\n",
               token, token, https ? "https" : "http", host, (unsigned)port);
        fflush(stdout);
    }
    return 0;
}

/* The drain after SIGTERM: /readyz answers 503, so a load balancer stops sending clients here,
 * while requests still arrive and are served. A second signal ends it at once. SIGINT skips it: a
 * person pressing Ctrl-C wants the server gone, an orchestrator sends SIGTERM. */
static void drain(struct http_server *srv, const sigset_t *sigs, int64_t ms)
{
    if (ms <= 0) {
        return;
    }
    http_server_drain(srv);
    int64_t end = clock_mono_ns() + ms * 1000000;
    for (int64_t left = ms * 1000000; left > 0; left = end - clock_mono_ns()) {
        struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
        int sig = sigtimedwait(sigs, NULL, &ts);
        if (sig > 0) {
            log_info("drain_cut_short", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
            return;
        }
    }
    log_info("drained", "ms=%lld", (long long)ms);
}

static int cmd_serve(int argc, char **argv)
{
    struct opts o;
    struct outbox_conf oc;  /* the sender's flags, out of argv before parse(); channels after */
    struct cli_pages pc;    /* the pages' limits and trusted proxies, out of argv as well */
    struct cli_sessions ss; /* the console's sessions and login lock-outs, out of argv too */
    struct outbox_sender *ob = NULL;
    if (cli_outbox_flags("serve", &argc, argv, &oc) != 0 ||
        cli_page_flags("serve", &argc, argv, &pc) != 0 ||
        cli_session_flags("serve", &argc, argv, &ss) != 0) {
        return 2;
    }
    int prc = parse("serve", cli_serve_help, argc, argv, &o);
    if (prc != 0) {
        return prc == 1 ? 0 : prc;
    }
    if (optind < argc) {
        return cli_usage("serve", "takes no arguments");
    }
    if (!store_is_pg(o.db) && oc.lease_ms != 0) {
        return cli_usage("serve", "--outbox-lease is for servers sharing a PostgreSQL database; "
                                  "on SQLite a start takes back every message left sending");
    }
    sigset_t sigs; /* signals are taken by this thread only: blocked before any thread starts */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (cli_pages_wallet("serve", &pc) != 0) { /* last of the checks: nothing to free before */
        return 2;
    }
    struct store *s = open_store(&o, o.no_migrate ? STORE_REFUSE_OLD : STORE_MIGRATE);
    if (s == NULL) {
        cli_pages_free(&pc);
        return 1;
    }
    audit_queue_max_set((size_t)o.audit_queue_max);
    struct kt_app app = {.store = s, .wallet = pc.wallet};
    pages_use_store(s); /* the retailer's own pages (docs/pages.md) */
    app.max_body = (size_t)o.max_body;
    app.started_at = clock_now_ms();
    app.routes = api_routes;
    app.n_routes = api_routes_count;
    app.max_upload = (size_t)o.max_upload;
    app.lockout = lockout_new(&o.lockout);
    app.session = (struct session_conf){ss.idle_ms, ss.max_ms};
    app.login_email = lockout_new(&(struct lockout_conf){ss.by_email, ss.window_ms, ss.lock_ms});
    app.login_addr = lockout_new(&(struct lockout_conf){ss.by_addr, ss.window_ms, ss.lock_ms});
    /* uploads wait beside the database, or in KARTOTEKA_IMPORTS_DIR (docs/scale.md) */
    char imports_dir[4200];
    const char *idir = getenv("KARTOTEKA_IMPORTS_DIR");
    if (idir != NULL && idir[0] != '\0') {
        kt_strlcpy(imports_dir, idir, sizeof(imports_dir));
    } else {
        kt_snprintf(imports_dir, sizeof(imports_dir), "%s.imports",
                    store_is_pg(o.db) ? "kartoteka" : o.db);
    }
    app.imports_dir = imports_dir;
    struct http_server *srv = NULL;
    struct kt_err err;
    kt_err_reset(&err);
    int code = 1;
    if (cli_load_secret_file(s, o.db, o.secret_file, &app.secret) != 0) {
        goto out;
    }
    /* The log of reads from the first start (for `audit verify`); a failure is not fatal. */
    if (audit_open(s, &err) != KT_OK) {
        cli_print_error("the log of reads cannot be opened", &err);
        kt_err_reset(&err);
    }
    /* The runner first: a request to run the due work may come as soon as the server listens. */
    int64_t recovered = 0; /* rows a crash left in `sending` (deliver/outbox.h) */
    oc.smtp = o.channels.smtp;
    oc.push_url = o.channels.push_url;
    oc.webhook_secret = o.channels.webhook_secret;
    oc.sms = o.sms;          /* the one-time codes' gateway is the SMS channel's */
    oc.secret = &app.secret; /* signs the pixel and links of marketing e-mails */
    if (store_is_pg(o.db) && oc.lease_ms == 0) { /* several servers may share it */
        oc.lease_ms = OUTBOX_LEASE_MS;
    }
    if (outbox_sender_new(&oc, &ob, &err) != KT_OK ||
        outbox_recover(s, clock_now_ms(), oc.lease_ms, &recovered, &err) != KT_OK) {
        cli_print_error("cannot start the outbox", &err);
        goto out;
    }
    if (recovered > 0) { /* at-least-once: these may have reached the receiver (outbox.h) */
        log_warn("outbox_recovered", "messages=%lld", (long long)recovered);
    }
    app.trusted = pc.trusted;
    app.track_user_system = pc.track_user_system;
    pages_limits_set(&pc.limits); /* before the threads start: read-only after */
    struct sched_conf sc = {
        s,  &app.secret,   PRIVACY_SYSTEM_NAME, o.rejects_days, o.events_days, o.messages_days,
        ob, oc.sms_sender, .wallet = pc.wallet};
    if (sched_start(&sc, &app.sched, &err) != KT_OK) {
        cli_print_error("cannot start the scheduler", &err);
        goto out;
    }
    struct http_server_opts ho = {o.listen,
                                  (unsigned)o.threads,
                                  (unsigned)o.max_conns,
                                  (unsigned)o.max_conns_addr,
                                  (unsigned)o.head_ms,
                                  (unsigned)o.idle_ms,
                                  (unsigned)o.analytics_threads,
                                  o.tls_cert,
                                  o.tls_key,
                                  o.insecure_http,
                                  store_is_pg(o.db)};
    if (http_server_start(&ho, &app, &srv, &err) != KT_OK) {
        cli_print_error("cannot start the server", &err);
        sched_stop(app.sched);
        goto out;
    }
    app.sms_text = o.sms_text;
    app.settable_clock = o.settable_clock;
    app.cors_origins = o.cors_origins;
    app.enrol_per_key = o.enrol_per_key;
    app.enrol_per_store = o.enrol_per_store;
    app.smtp = o.channels.smtp;
    app.push_url = o.channels.push_url;
    app.webhook_secret = o.channels.webhook_secret;
    app.sms_sink = o.sms.sink != NULL;
    app.sms_sender = oc.sms_sender;
    app.policy = oc.policy;
    if (first_key(s, &app.secret, http_server_port(srv), o.listen, o.tls_cert != NULL) != 0 ||
        import_worker_start(s, &app.secret, &app.imports, &err) != KT_OK) {
        cli_print_error("cannot start the workers", &err);
        http_server_stop(srv, 0);
        import_worker_stop(app.imports);
        sched_stop(app.sched);
        goto out;
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    int64_t drain_ms = sig == SIGTERM ? o.drain_ms : 0;
    log_info("shutdown", "signal=%s drain_ms=%lld grace_ms=%lld",
             sig == SIGINT ? "SIGINT" : "SIGTERM", (long long)drain_ms, (long long)o.grace_ms);
    drain(srv, &sigs, drain_ms);
    int left = http_server_stop(srv, (int)o.grace_ms);
    import_worker_stop(app.imports); /* after its current batch; it resumes on the next start */
    sched_stop(app.sched);           /* after its current job; writes what is queued in memory */
    log_info("stopped", "unfinished_requests=%d", left);
    code = left == 0 ? 0 : 1;
out:
    sodium_memzero(&app.secret, sizeof(app.secret));
    outbox_sender_free(ob); /* after the runner, its one user */
    store_close(s);
    audit_shutdown();
    lockout_free(app.lockout);
    lockout_free(app.login_email);
    lockout_free(app.login_addr);
    cli_pages_free(&pc);
    return code;
}

/* ---- the command -------------------------------------------------------------------------------
 */

static const char main_help[] =
    "usage: kartoteka <command> [options]\n"
    "\n"
    "Kartoteka: customer data platform and loyalty engine for retail chains.\n"
    "\n"
    "commands:\n"
    "  serve     run the HTTP API\n"
    "  migrate   bring the database schema up to date\n"
    "  store     copy an SQLite installation into PostgreSQL (store copy)\n"
    "  keys      create, list and revoke API keys\n"
    "  users     the console's users: create, reset a password, disable, list\n"
    "  import    import customers from a CSV file\n"
    "  dedup     find the records of one person in a CSV (dedup csv)\n"
    "  report    the quality report of the base, RFM\n"
    "  cluster   customers clustered by behaviour (k-means++)\n"
    "  segment   the segment language: preview a query, saved segments, their members\n"
    "  events    import behaviour events from JSON lines; how many of each type\n"
    "  privacy   export, erase, requests, acts of destruction, the audit log\n"
    "  audit     verify the audit log's chains of hashes (an edited, deleted or moved entry)\n"
    "  loyalty   the programme, points, receipts, the loyalty report, card batches\n"
    "  run-due   run the due work once (erasures, retention, points expiry, wallet passes)\n"
    "  wallet    wallet cards: a test kit to try them with, a customer's pass\n"
    "  clean     show what Kartoteka makes of a value (phone, e-mail, name, date, city)\n"
    "  deliver   send a test message through a channel (e-mail, push, webhook); SMS parts\n"
    "  version   print the version\n"
    "\n"
    "'kartoteka <command> --help' tells more about each.\n";

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "kartoteka: libsodium failed to start\n");
        return 1;
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(main_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "serve") == 0) {
        return cmd_serve(argc - 1, argv + 1);
    }
    int vrc = cli_verb(verb, argc - 1, argv + 1);
    if (vrc >= 0) {
        return vrc;
    }
    if (strcmp(verb, "version") == 0 || strcmp(verb, "--version") == 0) {
        printf("kartoteka %s\n", KT_VERSION);
        return 0;
    }
    fprintf(stderr, "kartoteka: unknown command '%s'\n%s", verb, main_help);
    return 2;
}
