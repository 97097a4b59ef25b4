/*
 * cli.h - the operator's verbs beyond serving (keys, migrate, import, report, privacy, ...).
 * main.c dispatches to them. Each answers --help, takes --db (KARTOTEKA_DB) and exits 0 on
 * success, 1 on failure, 2 on bad usage.
 */
#ifndef KT_CLI_CLI_H
#define KT_CLI_CLI_H

#include <stdbool.h>

int cli_import(int argc, char **argv);
int cli_report(int argc, char **argv);
/* The table of `report campaign ID` (report_campaign.c), from GET /v1/reports/campaigns/{id}'s
 * document. */
#include <jansson.h>
void cli_campaign_table(const json_t *rep);
/* The table of `kartoteka report journey KEY` (report_journey.c). */
void cli_journey_table(const json_t *rep);
/* The table of `report replenishment` and `report lapsed` (report_intervals.c), from GET
 * /v1/reports/replenishment's or /lapsed's document. */
void cli_intervals_table(const json_t *rep);
int cli_run_due(int argc, char **argv);
int cli_privacy(int argc, char **argv);
/* Parts of `kartoteka privacy` (block_cmd.c), called with its options parsed: block (or, with
 * `unblock`, lift the block with an outcome) a customer's data; extend a request's deadline with
 * its reasoned notice. 0, or 1 on a refusal or failure (printed). */
struct store;
int cli_privacy_block(struct store *s, const char *db, const char *customer_id, bool unblock,
                      const char *reason_or_outcome, const char *request, const char *note);
int cli_privacy_extend(struct store *s, const char *db, const char *request_id, const char *reason);
int cli_loyalty(int argc, char **argv);
int cli_cluster(int argc, char **argv);
int cli_segment(int argc, char **argv);
int cli_audience(int argc, char **argv); /* segment export-audience (audience_cmd.c) */
int cli_events(int argc, char **argv);
int cli_clean(int argc, char **argv);
int cli_keys(int argc, char **argv);
int cli_keys_rotate(int argc, char **argv); /* keys rotate-master (master_cmd.c) */
int cli_migrate(int argc, char **argv);
int cli_store(int argc, char **argv); /* store_cmd.c: store copy (SQLite into PostgreSQL) */
int cli_audit(int argc, char **argv);
int cli_dedup(int argc, char **argv); /* dedup_cmd.c: the duplicate matcher over a CSV */
/* dedup_base.c: dedup run|pairs|merge|reject|unmerge, the base's duplicates (argv[1] the verb) */
int cli_dedup_base(int argc, char **argv);
extern const char cli_dedup_base_help[];
int cli_deliver(int argc, char **argv); /* deliver_cmd.c: a test message through a channel */
extern const char cli_serve_help[];     /* serve_help.c */
int cli_users(int argc, char **argv);   /* users_cmd.c: the console's users */
int cli_wallet(int argc, char **argv);  /* wallet_cmd.c: the wallet cards' test kit, a pass */
/* Runs the verb named `verb` (verbs.c) with argv[0] the verb; -1 when there is no such verb. */
int cli_verb(const char *verb, int argc, char **argv);

/* Shared: the database path from --db or KARTOTEKA_DB, and opening it. */
#include "store/store.h"

struct store *cli_open_store(const char *db);

/* The keys a database is opened with (docs/privacy.md, "Encryption at rest"): each NULL or 0
 * takes its environment variable, then the default. */
struct cli_keys {
    const char *secret_file;      /* --secret-file, KARTOTEKA_SECRET_FILE, <db>.secret
                                     (KARTOTEKA_SECRET overrides the file) */
    const char *master_file;      /* --master-key-file, KARTOTEKA_MASTER_KEY_FILE, <db>.master
                                     (KARTOTEKA_MASTER_KEY overrides the file) */
    const char *sealed_fields;    /* --sealed-fields, KARTOTEKA_SEALED_FIELDS; else the
                                     database's own setting */
    int64_t key_cache;            /* --key-cache, opened data keys kept; 0 = the default */
    const char *next_master_file; /* keys rotate-master: the new master key */
    bool no_keys;                 /* a look at the schema version only (migrate --status) */
    bool warm;                    /* serve: warm the cache of data keys (store_opts.warm_keys) */
    const char *read_db;          /* serve's --db-read (KARTOTEKA_DB_READ): the analytic reads'
                                     replica; NULL = cli_db_read_use's, else the primary */
};
/* Loads the keys, makes the keyring and opens the database with it; prints why and returns
 * NULL when it cannot. `k` NULL: every key from the environment or its default. */
struct store *cli_open_store_keys(const char *db, int busy_ms, int64_t max_bytes,
                                  enum store_schema_mode mode, const struct cli_keys *k);
/* "city,birth_date" -> bits (1 << pf) in *out; -1 for a field that cannot be sealed. */
int cli_sealed_fields_parse(const char *text, int *out);
/* `max_bytes`: the --db-max-size cap (0 = none). */
struct store *cli_open_store_mode(const char *db, int busy_ms, int64_t max_bytes,
                                  enum store_schema_mode mode);
const char *cli_default_db(void);
/* The verbs that run analytics (segment, report, cluster) take --db-read like serve: `flag` (NULL
 * when not given) or KARTOTEKA_DB_READ names the replica every store this process opens after it
 * reads its analytics from (store_opts.read_path). Other verbs never call it, so the variable set
 * for the servers does not stop them opening an SQLite file. */
void cli_db_read_use(const char *flag);

/* Prints a JSON document indented on standard output (the --json of every verb). */
#include <jansson.h>
void cli_print_json(const json_t *doc);

/* Loads the installation secret and checks it against the database: KARTOTEKA_SECRET, else
 * the file `file` (serve's and `keys`' --secret-file), else KARTOTEKA_SECRET_FILE's, else
 * <db>.secret; a secret it created is logged. Prints why as "the installation secret: ..." and
 * returns -1 when it cannot, else 0. cli_load_secret is it with no --secret-file. */
#include "auth/keys.h"
int cli_load_secret(struct store *s, const char *db, struct key_secret *out);
int cli_load_secret_file(struct store *s, const char *db, const char *file,
                         struct key_secret *secret);

/* serve's message channels (channel_flags.c): --smtp-url, --smtp-from, --smtp-from-name,
 * --smtp-starttls, --smtp-connections, --smtp-timeout, --push-url, in this order in `given` (NULL:
 * the flag was not given, the environment's KARTOTEKA_* or the default is taken). 0, or 2 after
 * printing the bad usage. */
#include "deliver/smtp.h"
#define CLI_CHANNEL_FLAGS 7
struct cli_channels {
    struct smtp_opts smtp;      /* smtp.url NULL: no SMTP server */
    const char *push_url;       /* or NULL */
    const char *webhook_secret; /* KARTOTEKA_WEBHOOK_SECRET, or NULL */
};
int cli_channel_flags(const char *verb, const char *const *given, struct cli_channels *out);

/* Bad usage: "kartoteka VERB: MSG" and where help is, on standard error; returns 2, the exit
 * code of bad usage. */
int cli_usage(const char *verb, const char *msg);

/* A failure: "kartoteka: WHAT: the error's message - its detail" on standard error. */
void cli_print_error(const char *what, const struct kt_err *err);

/* serve's flags of the outbox's sender (outbox_flags.c): --email-rate and --outbox-retry taken
 * out of argv (argc shrinks) into `c`, the environment under them; the channels themselves are
 * cli_channel_flags'. 0 to go on, 2 on a bad value. */
struct outbox_conf;
int cli_outbox_flags(const char *verb, int *argc, char **argv, struct outbox_conf *c);

/* serve's flags of the console's sessions (session_flags.c): --session-idle, --session-max and
 * the login lock-outs, taken out of argv (argc shrinks), the environment under them. 0 to go on,
 * 2 on a bad value. Counts of 0 never lock. */
struct cli_sessions {
    int64_t idle_ms, max_ms;
    int by_email, by_addr;      /* wrong logins that lock an e-mail, an address */
    int64_t window_ms, lock_ms; /* counted within, locked for */
};
int cli_session_flags(const char *verb, int *argc, char **argv, struct cli_sessions *c);

/* A flag of serve that a file of its own takes: its name without "--", its environment variable
 * and its default (NULL: not set). */
struct cli_flag {
    const char *flag, *env, *def;
};
/* Flags taken out of argv before serve's getopt sees the rest (argc shrinks): v[f] is the value
 * of the last "--flag VALUE" or "--flag=VALUE" of flags[f], else its environment variable when
 * set and not empty, else its default. 0, or 2 after printing a flag without its value. */
int cli_take_flags(const char *verb, int *argc, char **argv, const struct cli_flag *flags, int n,
                   const char **v);

/* serve's flags of the customer's pages (page_flags.c): --limit-phone, --limit-addr,
 * --limit-join-point (pages/limits.h; the defaults unless given), --trusted-proxy and the
 * tracking API's --track-user-system, the environment under them. 0 to go on, 2 on a bad value. */
#include "base/cidr.h"
#include "pages/limits.h"
struct wallet;

struct cli_pages {
    struct pages_limits limits; /* to put in force with pages_limits_set */
    const char
        *track_user_system;   /* the tracking API's userId is ext:<this> (--track-user-system) */
    struct cidr_list trusted; /* whose X-Forwarded-For the server believes */
    const char *wallet_path;  /* --wallet FILE, or NULL */
    struct wallet *wallet;    /* the wallet cards, once cli_pages_wallet loaded them, or NULL */
};
/* Takes the flags out of argv; 2 after saying what is wrong. cli_pages_wallet loads and checks
 * the wallet's file (2 after saying what is wrong in it), the last of a verb's checks;
 * cli_pages_free lets it go. */
int cli_page_flags(const char *verb, int *argc, char **argv, struct cli_pages *c);
int cli_pages_wallet(const char *verb, struct cli_pages *c);
/* The wallet's file at `path` (NULL or "": none, *out NULL) loaded and checked for `verb` (serve,
 * run-due, wallet pass): 2 after saying what is wrong in it. */
int cli_wallet_load(const char *verb, const char *path, struct wallet **out);
void cli_pages_free(struct cli_pages *c);

#endif
