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
#include "base/num.h"
#include "http/server.h"
#include "consent/consent.h"
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
    int64_t max_conns;      /* 0 = the server's default, fitted to the open-file limit */
    int64_t max_conns_addr; /* 0 = no limit */
    int64_t head_ms;        /* deadline of a request's head; 0 = none */
    int64_t idle_ms;
    bool no_migrate;
    struct sms_opts sms;
    const char *sms_text;
    bool settable_clock; /* serve --settable-clock: benchmarks and tests only */
    const char *cors_origins;
    int64_t enrol_per_key;   /* enrolments per API key per hour, 0 = no limit */
    int64_t enrol_per_store; /* enrolments per store per hour, 0 = no limit */
    const char *tls_cert;    /* serve --tls-cert: HTTPS */
    const char *tls_key;     /* serve --tls-key */
    bool insecure_http;      /* serve --insecure-http: plain HTTP beyond loopback */
    int64_t audit_queue_max; /* reads queued for the audit log before reads are refused */
};

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : def;
}

/* ---- serve's flags --------------------------------------------------------------------------- */

enum {
    OPT_DB = 1000,
    OPT_LISTEN,
    OPT_LOG,
    OPT_THREADS,
    OPT_ANALYTICS_THREADS,
    OPT_MAX_BODY,
    OPT_MAX_UPLOAD,
    OPT_BUSY,
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
    OPT_HELP
};

static const struct option long_opts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"log-level", required_argument, NULL, OPT_LOG},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"analytics-threads", required_argument, NULL, OPT_ANALYTICS_THREADS},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"max-upload", required_argument, NULL, OPT_MAX_UPLOAD},
    {"busy-timeout", required_argument, NULL, OPT_BUSY},
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
    {"insecure-http", no_argument, NULL, OPT_INSECURE_HTTP},
    {"audit-queue-max", required_argument, NULL, OPT_AUDIT_QUEUE},
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
    const char *db_max_size = env_or("KARTOTEKA_DB_MAX_SIZE", "0");
    const char *grace = env_or("KARTOTEKA_GRACE", "10000");
    const char *max_upload = env_or("KARTOTEKA_MAX_UPLOAD", "268435456");
    const char *rejects_days = env_or("KARTOTEKA_IMPORT_REJECTS_DAYS", "30");
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
    struct conn_flags cf;
    conn_flags_env(&cf);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            o->db = optarg;
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
        case OPT_HELP:
            fputs(help, stdout);
            return 1;
        default:
            return cli_usage(verb, "unknown or incomplete option");
        }
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
    if (o->sms.url != NULL && strncmp(o->sms.url, "http://", 7) != 0 &&
        strncmp(o->sms.url, "https://", 8) != 0) {
        return cli_usage(verb, "--sms-url must be an http:// or https:// URL");
    }
    if (o->sms.url != NULL && o->sms.sink != NULL) {
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
                         .warm = true};
    return cli_open_store_keys(o->db, (int)o->busy_ms, o->db_max_size, mode, &k);
}

/* ---- serve ------------------------------------------------------------------------------------
 */

static const char serve_help[] =
    "usage: kartoteka serve [options]\n"
    "\n"
    "Starts the HTTP API on an embedded SQLite database, migrating it first.\n"
    "On the very first start (no API key exists) an admin key is created and printed once.\n"
    "SIGTERM stops it gracefully: /readyz answers 503 for --drain while requests are still\n"
    "served, then new connections are refused, requests in flight finish (up to --grace) and\n"
    "the database closes. SIGINT (Ctrl-C) does the same without the drain.\n"
    "\n"
    "  --db PATH            database file (KARTOTEKA_DB, default " DEFAULT_DB ")\n"
    "  --listen HOST:PORT   address to listen on (KARTOTEKA_LISTEN, default " DEFAULT_LISTEN ";\n"
    "                       port 0 picks a free port, logged as event=listening)\n"
    "  --log-level LEVEL    debug, info, warn or error (KARTOTEKA_LOG_LEVEL, default info)\n"
    "  --threads N          HTTP worker threads, 0 = one per CPU, at least 2\n"
    "                       (KARTOTEKA_THREADS)\n"
    "  --analytics-threads N  threads for segments, reports, RFM, clusters and exports, which\n"
    "                       never run on an HTTP worker; 0 = half the CPUs, at least 1\n"
    "                       (KARTOTEKA_ANALYTICS_THREADS)\n"
    "  --max-body BYTES     largest request body (KARTOTEKA_MAX_BODY, default 1048576)\n"
    "  --max-upload BYTES   largest CSV for POST /v1/imports (KARTOTEKA_MAX_UPLOAD,\n"
    "                       default 268435456)\n"
    "  --import-rejects-days N  how long the reject lines of POST /v1/imports are kept: they\n"
    "                       hold raw rows of people's data (KARTOTEKA_IMPORT_REJECTS_DAYS,\n"
    "                       default 30; 1 to 3650)\n"
    "  --busy-timeout MS    wait for a locked database before answering 503\n"
    "                       (KARTOTEKA_BUSY_TIMEOUT, default 5000)\n"
    "  --db-max-size BYTES  let the database grow no further: writes then answer 507\n"
    "                       storage_full and /readyz 503 (KARTOTEKA_DB_MAX_SIZE, default 0 =\n"
    "                       as far as the disk allows)\n"
    "  --grace MS           how long shutdown waits for requests in flight\n"
    "                       (KARTOTEKA_GRACE, default 10000)\n"
    "  --drain MS           after SIGTERM, how long /readyz answers 503 while requests are\n"
    "                       still served, before the listener closes (KARTOTEKA_DRAIN,\n"
    "                       default 5000; SIGINT or a second signal skips it)\n"
    "  --secret-file PATH   installation secret that keys API key hashes\n"
    "                       (KARTOTEKA_SECRET_FILE, default <db>.secret;\n"
    "                       KARTOTEKA_SECRET=<64 hex digits> overrides the file)\n"
    "  --no-migrate         refuse to start on an old schema instead of migrating it\n"
    "  --master-key-file PATH  the master key that seals every customer's data key\n"
    "                       (KARTOTEKA_MASTER_KEY_FILE, default <db>.master, made with the key\n"
    "                       store on the first start; KARTOTEKA_MASTER_KEY=<64 hex digits>\n"
    "                       overrides the file). Keep it off the machine of the backups\n"
    "  --sealed-fields LIST  which of city, birth_date, gender are also sealed at rest,\n"
    "                       comma-separated, or none (KARTOTEKA_SEALED_FIELDS; default: as\n"
    "                       the database says, none when new). Sealed fields cannot be\n"
    "                       compared in segments; a change reseals the base at start\n"
    "  --key-cache N        opened data keys kept in memory, 40 bytes each; the server opens\n"
    "                       the newest into it at start (KARTOTEKA_KEY_CACHE, default 0: twice\n"
    "                       the customers there are, at least 65536; else 1024 to 67108864)\n"
    "  --audit-queue-max N  reads of personal data waiting in memory for the log of reads;\n"
    "                       at N (its writes are failing) such reads are refused with 503\n"
    "                       audit_busy rather than served unlogged (KARTOTEKA_AUDIT_QUEUE_MAX,\n"
    "                       default 500000, about 100 MB)\n"
    "\n"
    "TLS (docs/operations.md):\n"
    "  --tls-cert PATH      PEM certificate chain, leaf first: serve HTTPS (TLS 1.2 and 1.3)\n"
    "                       with HSTS (KARTOTEKA_TLS_CERT); restart to load a renewed one\n"
    "  --tls-key PATH       its PEM private key, unencrypted, mode 600 (KARTOTEKA_TLS_KEY)\n"
    "  --insecure-http      serve plain HTTP on an address beyond loopback, because a proxy in\n"
    "                       front terminates TLS (KARTOTEKA_INSECURE_HTTP=1); without it, or\n"
    "                       a certificate, such an address refuses to start\n"
    "\n"
    "Connections (docs/operations.md):\n"
    "  --max-connections N  open connections at once (KARTOTEKA_MAX_CONNECTIONS, default 4096,\n"
    "                       lowered with a warning when the open-file limit cannot be raised\n"
    "                       that far; a number given here that does not fit refuses to start)\n"
    "  --max-connections-per-address N\n"
    "                       open connections from one client address; more are closed at once\n"
    "                       (KARTOTEKA_MAX_CONNECTIONS_PER_ADDRESS, default 256, 0 = no limit:\n"
    "                       behind a reverse proxy every client has the proxy's address)\n"
    "  --header-timeout MS  a request's line and headers must arrive within this, counted from\n"
    "                       the connection or the request's first byte; slower clients are\n"
    "                       disconnected (KARTOTEKA_HEADER_TIMEOUT, default 10000, 0 = none)\n"
    "  --idle-timeout MS    a connection that sends nothing for this long is closed, between\n"
    "                       keep-alive requests or inside a body (KARTOTEKA_IDLE_TIMEOUT,\n"
    "                       default 30000, whole seconds)\n"
    "\n"
    "SMS (one-time codes of the loyalty enrolment; docs/loyalty.md):\n"
    "  --sms-url URL        the SMS gateway's webhook (KARTOTEKA_SMS_URL); without it codes\n"
    "                       wait in the outbox. KARTOTEKA_SMS_AUTH sets an Authorization header\n"
    "  --sms-body TEMPLATE  JSON body with {{phone}}, {{text}}, {{id}} (KARTOTEKA_SMS_BODY,\n"
    "                       default " SMS_BODY_DEFAULT ")\n"
    "  --sms-text TEMPLATE  the message, with {{code}} and {{card}} (KARTOTEKA_SMS_TEXT)\n"
    "  --sms-timeout MS     per try (KARTOTEKA_SMS_TIMEOUT, default 5000)\n"
    "  --sms-attempts N     tries before a message is dead (KARTOTEKA_SMS_ATTEMPTS, default 8)\n"
    "  --sms-backoff MS     first wait before a retry, doubling (KARTOTEKA_SMS_BACKOFF,\n"
    "                       default 2000)\n"
    "  --sms-sink FILE      development only: every SMS (one-time codes included) is appended\n"
    "                       to FILE as a JSON line, or printed on stdout for '-', instead of\n"
    "                       going to a gateway (KARTOTEKA_SMS_SINK; default none). Never in\n"
    "                       production: the file holds phones and codes\n"
    "  --cors-origins LIST  web origins whose pages may send events from the browser, comma-\n"
    "                       separated: https://shop.example,https://m.shop.example\n"
    "                       (KARTOTEKA_CORS_ORIGINS; default none)\n"
    "  --settable-clock     let an admin key set the server's clock, which then stands still\n"
    "                       (PUT /v1/system/clock);\n"
    "                       for replays of old data and tests, never in production\n"
    "\n"
    "Enrolment limits (POST /v1/pos/enroll that creates a customer or issues a card, and a\n"
    "replacement card; past them 429 enrol_rate_limited with Retry-After; 0 = no limit;\n"
    "docs/loyalty.md):\n"
    "  --enrol-per-key N    per API key per hour (KARTOTEKA_ENROL_PER_KEY, default\n"
    "                       " ENROL_PER_KEY_DEFAULT "; a key shared by many stores needs more)\n"
    "  --enrol-per-store N  per store named by the cash desk per hour\n"
    "                       (KARTOTEKA_ENROL_PER_STORE, default " ENROL_PER_STORE_DEFAULT ")\n";

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
    int prc = parse("serve", serve_help, argc, argv, &o);
    if (prc != 0) {
        return prc == 1 ? 0 : prc;
    }
    if (optind < argc) {
        return cli_usage("serve", "takes no arguments");
    }
    /* Signals are taken by this thread only: block them before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct store *s = open_store(&o, o.no_migrate ? STORE_REFUSE_OLD : STORE_MIGRATE);
    if (s == NULL) {
        return 1;
    }
    audit_queue_max_set((size_t)o.audit_queue_max);
    struct kt_app app;
    memset(&app, 0, sizeof(app));
    app.store = s;
    app.max_body = (size_t)o.max_body;
    app.started_at = clock_now_ms();
    app.routes = api_routes;
    app.n_routes = api_routes_count;
    app.max_upload = (size_t)o.max_upload;
    char imports_dir[4200];
    kt_snprintf(imports_dir, sizeof(imports_dir), "%s.imports", o.db);
    app.imports_dir = imports_dir;
    struct http_server *srv = NULL;
    struct kt_err err;
    kt_err_reset(&err);
    int code = 1;
    if (cli_load_secret_file(s, o.db, o.secret_file, &app.secret) != 0) {
        goto out;
    }
    /* The log of reads exists from the first start, so `audit verify` can tell one removed; one
     * that cannot be opened is not fatal: reads then wait, and are refused once too many do. */
    if (audit_open(s, &err) != KT_OK) {
        cli_print_error("the log of reads cannot be opened", &err);
        kt_err_reset(&err);
    }
    /* The runner first: a request to run the due work may come as soon as the server listens. */
    struct sched_conf sc = {s, &app.secret, PRIVACY_SYSTEM_NAME, o.rejects_days};
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
                                  o.insecure_http};
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
    if (first_key(s, &app.secret, http_server_port(srv), o.listen, o.tls_cert != NULL) != 0 ||
        import_worker_start(s, &app.secret, &app.imports, &err) != KT_OK ||
        sms_sender_start(s, &o.sms, &app.sms, &err) != KT_OK) {
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
    sms_sender_stop(app.sms);        /* what is not sent stays queued */
    log_info("stopped", "unfinished_requests=%d", left);
    code = left == 0 ? 0 : 1;
out:
    sodium_memzero(&app.secret, sizeof(app.secret));
    store_close(s);
    audit_shutdown();
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
    "  keys      create, list and revoke API keys\n"
    "  import    import customers from a CSV file\n"
    "  report    the quality report of the base, RFM\n"
    "  cluster   customers clustered by behaviour (k-means++)\n"
    "  segment   the segment language: preview a query, saved segments, their members\n"
    "  events    import behaviour events from JSON lines; how many of each type\n"
    "  privacy   export, erase, requests, acts of destruction, the audit log\n"
    "  audit     verify the audit log's chains of hashes (an edited, deleted or moved entry)\n"
    "  loyalty   the programme, points, receipts, the loyalty report, card batches\n"
    "  run-due   run the due work once (erasures after withdrawals, retention, points\n"
    "            expiry, birthday bonuses)\n"
    "  clean     show what Kartoteka makes of a value (phone, e-mail, name, date, city)\n"
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
    if (strcmp(verb, "migrate") == 0) {
        return cli_migrate(argc - 1, argv + 1);
    }
    if (strcmp(verb, "keys") == 0) {
        return cli_keys(argc - 1, argv + 1);
    }
    if (strcmp(verb, "import") == 0) {
        return cli_import(argc - 1, argv + 1);
    }
    if (strcmp(verb, "report") == 0) {
        return cli_report(argc - 1, argv + 1);
    }
    if (strcmp(verb, "privacy") == 0) {
        return cli_privacy(argc - 1, argv + 1);
    }
    if (strcmp(verb, "audit") == 0) {
        return cli_audit(argc - 1, argv + 1);
    }
    if (strcmp(verb, "loyalty") == 0) {
        return cli_loyalty(argc - 1, argv + 1);
    }
    if (strcmp(verb, "cluster") == 0) {
        return cli_cluster(argc - 1, argv + 1);
    }
    if (strcmp(verb, "segment") == 0) {
        return cli_segment(argc - 1, argv + 1);
    }
    if (strcmp(verb, "events") == 0) {
        return cli_events(argc - 1, argv + 1);
    }
    if (strcmp(verb, "run-due") == 0) {
        return cli_run_due(argc - 1, argv + 1);
    }
    if (strcmp(verb, "clean") == 0) {
        return cli_clean(argc - 1, argv + 1);
    }
    if (strcmp(verb, "version") == 0 || strcmp(verb, "--version") == 0) {
        printf("kartoteka %s\n", KT_VERSION);
        return 0;
    }
    fprintf(stderr, "kartoteka: unknown command '%s'\n%s", verb, main_help);
    return 2;
}
