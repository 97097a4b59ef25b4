/*
 * privacy_cmd.c - `kartoteka privacy` (export, erase, block, unblock, requests, extend, acts,
 * audit from the command line; block, unblock and extend are block_cmd.c's)
 * and `kartoteka run-due`, which runs the due work once - every job the scheduler's table runs
 * on demand (sched/jobs.c) - then exits. The server's runner does the same on its clock; this
 * verb is for cron, operators and tests, which pass --now to see what would be due at another
 * moment.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/log.h"
#include "base/num.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "export/export.h"
#include "privacy/privacy.h"
#include "sched/sched.h"
#include "wallet/wallet.h"

static const char run_due_help[] =
    "usage: kartoteka run-due [--db PATH] [--now TIME] [--import-rejects-days N]\n"
    "                         [--events-days N] [--messages-days N]\n"
    "\n"
    "Runs the due work now, once - the jobs the server runs on its clock (docs/operations.md):\n"
    "erasures scheduled after a withdrawal of the pd_processing consent, and depersonalisation\n"
    "of customers inactive for longer than the retention period (GET/PUT\n"
    "/v1/privacy/settings), each with an act of destruction; acts of destruction 3 years old\n"
    "purged with their extracts (audited); loyalty points past their expiry\n"
    "written off and today's birthday bonuses given; event message ids past the idempotency\n"
    "window forgotten; reject lines of server imports, raw behaviour events (rolled up into\n"
    "daily counts) and sent SMS past their terms removed, each such run in the audit log.\n"
    "Prints what each job did. (Saved segments are refreshed by 'kartoteka segment refresh'.)\n"
    "\n"
    "  --now TIME   act as if it were TIME (RFC 3339), e.g. to check a schedule\n"
    "  --import-rejects-days N  the term of import reject lines, as the server's flag\n"
    "               (KARTOTEKA_IMPORT_REJECTS_DAYS, default 30; 1 to 3650)\n"
    "  --events-days N    the term of raw behaviour events, as the server's flag\n"
    "               (KARTOTEKA_EVENTS_DAYS, default 365; 1 to 3650)\n"
    "  --messages-days N  the term of sent and failed SMS, as the server's flag\n"
    "               (KARTOTEKA_MESSAGES_DAYS, default 90; 1 to 3650)\n"
    "  --wallet FILE  the wallet cards, as the server's flag (KARTOTEKA_WALLET): without it\n"
    "               the wallet passes are not refreshed\n"
    "  --db PATH    database file (KARTOTEKA_DB, default data/kartoteka.db)\n";

int cli_run_due(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'D'},
                                         {"now", required_argument, NULL, 'n'},
                                         {"import-rejects-days", required_argument, NULL, 'r'},
                                         {"events-days", required_argument, NULL, 'e'},
                                         {"messages-days", required_argument, NULL, 'm'},
                                         {"wallet", required_argument, NULL, 'w'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = cli_default_db(), *wallet_file = getenv("KARTOTEKA_WALLET");
    /* The three terms: flag, environment, default - as serve reads them. */
    struct term {
        const char *flag, *env, *text;
        int64_t days;
    } terms[] = {{"--import-rejects-days", "KARTOTEKA_IMPORT_REJECTS_DAYS", "30", 0},
                 {"--events-days", "KARTOTEKA_EVENTS_DAYS", "365", 0},
                 {"--messages-days", "KARTOTEKA_MESSAGES_DAYS", "90", 0}};
    for (size_t i = 0; i < 3; i++) {
        const char *env = getenv(terms[i].env);
        terms[i].text = env && env[0] ? env : terms[i].text;
    }
    int64_t now = clock_now_ms();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'D':
            db = optarg;
            break;
        case 'n':
            if (!time_parse_rfc3339(optarg, strlen(optarg), &now)) {
                fprintf(stderr, "kartoteka run-due: --now must be an RFC 3339 time\n"
                                "Try 'kartoteka run-due --help'.\n");
                return 2;
            }
            break;
        case 'r':
            terms[0].text = optarg;
            break;
        case 'e':
            terms[1].text = optarg;
            break;
        case 'm':
            terms[2].text = optarg;
            break;
        case 'w':
            wallet_file = optarg;
            break;
        case 'h':
            fputs(run_due_help, stdout);
            return 0;
        default:
            fprintf(stderr, "kartoteka run-due: unknown or incomplete option\n"
                            "Try 'kartoteka run-due --help'.\n");
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "kartoteka run-due: takes no arguments\nTry 'kartoteka run-due --help'.\n");
        return 2;
    }
    for (size_t i = 0; i < 3; i++) {
        if (!num_parse_cstr(terms[i].text, 1, 3650, &terms[i].days)) {
            fprintf(stderr,
                    "kartoteka run-due: %s must be a number of days from 1 to 3650\n"
                    "Try 'kartoteka run-due --help'.\n",
                    terms[i].flag);
            return 2;
        }
    }
    log_set_level(LOG_WARN);
    struct wallet *wallet = NULL;
    if (cli_wallet_load("run-due", wallet_file, &wallet) != 0) {
        return 2;
    }
    struct store *s = cli_open_store(db);
    struct key_secret k;
    if (s == NULL || cli_load_secret(s, db, &k) != 0) {
        store_close(s);
        wallet_free(wallet);
        return 1;
    }
    struct kt_err err;
    kt_err_reset(&err);
    struct sched_conf sc = {
        s,    &k,    PRIVACY_SYSTEM_NAME, terms[0].days, terms[1].days, terms[2].days, NULL,
        NULL, wallet};
    struct sched_report rep;
    enum kt_rc rc = sched_run_due(&sc, now, &rep, &err);
    store_close(s);
    wallet_free(wallet);
    audit_shutdown();
    sodium_memzero(&k, sizeof(k));
    struct buf line;
    buf_init(&line, 4096);
    sched_report_text(&rep, &line);
    printf("run-due: %s\n", buf_cstr(&line));
    buf_release(&line);
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka run-due: %s%s%s\n", err.msg, err.detail[0] ? " - " : "",
                err.detail);
        return 1;
    }
    return 0;
}

/* ---- kartoteka privacy ------------------------------------------------------------------ */

static const char privacy_help[] =
    "usage: kartoteka privacy <command> [options]\n"
    "\n"
    "The data-protection officer's verbs (the same as the API's, docs/privacy.md):\n"
    "\n"
    "  export CUSTOMER_ID            everything held about the customer, as JSON\n"
    "  erase CUSTOMER_ID [--reason R] [--operator OP] [--request REQUEST_ID]\n"
    "        [--by NAME --position POSITION]...\n"
    "                                depersonalise and write an act of destruction;\n"
    "                                R: request (default), withdrawal, retention, unlawful;\n"
    "                                --by and --position, in pairs (up to 10), name who\n"
    "                                destroyed the data (full name, position) for the act;\n"
    "                                without them the act names the settings' responsible\n"
    "                                person\n"
    "  block CUSTOMER_ID --reason R --request REQUEST_ID [--note TEXT]\n"
    "                                block the customer's data while a dispute is checked\n"
    "                                (152-FZ art. 21): kept, used for nothing; R:\n"
    "                                accuracy_disputed, unlawful_processing, subject_request\n"
    "  unblock CUSTOMER_ID --outcome O [--note TEXT]\n"
    "                                lift the block; O: rectified, accurate, lawful,\n"
    "                                made_lawful\n"
    "  requests [--overdue]          the requests register with deadlines\n"
    "  extend REQUEST_ID --reason TEXT\n"
    "                                extend an access or stop request by 5 working days;\n"
    "                                TEXT is the reasoned notice sent to the subject\n"
    "  acts                          the acts of destruction\n"
    "  act ACT_ID [--format F]       one act: text (default; printable, to sign by hand),\n"
    "                                json (as the API shows it) or document (the canonical\n"
    "                                bytes to sign with a qualified e-signature; its SHA-256\n"
    "                                is the act's document_sha256)\n"
    "  audit [--customer ID] [--key KEY_ID] [--action A] [--limit N]\n"
    "                                the audit log, newest last\n"
    "\n"
    "  --db PATH    database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "Reads and changes made here are written to the audit log without an API key.\n";

struct popts {
    const char *db, *reason, *operator_id, *request, *customer, *key, *action, *format, *outcome,
        *note;
    bool overdue;
    int64_t limit;
    struct act_person persons[ACT_PERSONS_MAX]; /* --by/--position, in pairs */
    size_t n_by, n_position;
};

static int pusage(const char *msg)
{
    fprintf(stderr, "kartoteka privacy: %s\nTry 'kartoteka privacy --help'.\n", msg);
    return 2;
}

static int perr(const char *what, const struct kt_err *err)
{
    fprintf(stderr, "kartoteka privacy %s: %s%s%s\n", what, err->msg, err->detail[0] ? " - " : "",
            err->detail);
    return 1;
}

static int p_export(struct store *s, const char *db, const char *id)
{
    struct key_secret k; /* the audit entry of the export is chained with a key derived from it */
    if (cli_load_secret(s, db, &k) != 0) {
        return 1;
    }
    sodium_memzero(&k, sizeof(k));
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct customer cu;
    json_t *doc = NULL;
    int64_t now = clock_now_ms();
    if (store_read_begin(s, &rd, &err) == KT_OK) {
        if (store_customer_get_by_id(rd, id, &a, &cu, NULL, &err) == KT_OK) {
            doc = export_customer_doc(rd, &cu, now, &a, &err);
        }
        store_read_end(rd);
    }
    struct store_conn *w;
    if (doc != NULL && store_write_begin(s, &w, &err) == KT_OK) {
        store_write_end(w, audit_write(w, NULL, "export", cu.id, NULL, "cli", NULL, now, &err),
                        &err);
    }
    int code = doc ? 0 : perr("export", &err);
    if (doc) {
        cli_print_json(doc);
    }
    json_decref(doc);
    arena_release(&a);
    return code;
}

static int p_erase(struct store *s, const char *db, const char *id, const struct popts *o)
{
    struct key_secret k;
    if (cli_load_secret(s, db, &k) != 0) {
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct act_person persons[ACT_PERSONS_MAX];
    for (size_t i = 0; i < o->n_by; i++) { /* as the API cleans them: the act is signed */
        if (privacy_text_clean(o->persons[i].name, 200, "--by", &a, &persons[i].name, &err) !=
                KT_OK ||
            privacy_text_clean(o->persons[i].position, 200, "--position", &a, &persons[i].position,
                               &err) != KT_OK) {
            sodium_memzero(&k, sizeof(k));
            arena_release(&a);
            return pusage(err.msg);
        }
    }
    struct erase_opts eo = {o->reason ? o->reason : "request",
                            NULL,
                            o->operator_id,
                            o->request,
                            PRIVACY_SYSTEM_NAME,
                            persons,
                            o->n_by};
    struct destruction_act act;
    bool wiped;
    enum kt_rc rc = privacy_erase_customer(s, &k, id, &eo, clock_now_ms(), &a, &act, &wiped, &err);
    sodium_memzero(&k, sizeof(k));
    if (rc != KT_OK) {
        arena_release(&a);
        return perr("erase", &err);
    }
    printf("erased %s: act %s (%s)%s\n", act.customer_id, act.id, act.categories,
           wiped ? "" : "; the WAL could not be truncated now, the checkpointer will restart it");
    if (act.document == NULL) {
        printf("act %s is a draft: %s%s%s; it is completed when the privacy settings are\n", act.id,
               act.data_operator ? "" : "the operator (data_operator) is not set",
               act.data_operator || act.destroyed_by ? "" : " and ",
               act.destroyed_by ? "" : "nobody is named (--by, or responsible_person)");
    }
    arena_release(&a);
    return 0;
}

static int p_requests(struct store *s, bool overdue)
{
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    int64_t today = cal_day_of(clock_now_ms());
    const char *after = NULL;
    enum kt_rc rc = store_read_begin(s, &rd, &err);
    if (rc == KT_OK) {
        printf("%-22s %-13s %-11s %-11s %-7s %-22s %s\n", "ID", "KIND", "RECEIVED", "DEADLINE",
               "STATE", "CUSTOMER", "");
        for (;;) {
            struct privacy_request *p;
            size_t n;
            rc = store_preq_list(rd, overdue, cal_format(today, &a), after, 500, &a, &p, &n, &err);
            for (size_t i = 0; rc == KT_OK && i < n; i++) {
                int64_t dl = 0;
                cal_parse(p[i].deadline, &dl);
                bool late = strcmp(p[i].state, "open") == 0 && dl < today;
                printf("%-22s %-13s %-11s %-11s %-7s %-22s %s%s\n", p[i].id, p[i].kind,
                       p[i].received_on, p[i].deadline, p[i].state,
                       p[i].customer_id ? p[i].customer_id : "-", late ? "OVERDUE" : "",
                       p[i].provisional ? " (provisional deadline)" : "");
            }
            if (rc != KT_OK || n < 500) {
                break;
            }
            after = arena_strdup(&a, p[n - 1].id);
        }
        store_read_end(rd);
    }
    arena_release(&a);
    return rc == KT_OK ? 0 : perr("requests", &err);
}

/* One act in the --format asked: text and document only when it is complete. */
static enum kt_rc p_act(struct store_conn *rd, const char *id, const char *fmt, struct arena *a,
                        struct kt_err *err)
{
    struct destruction_act x;
    struct privacy_settings ps;
    enum kt_rc rc = store_act_get(rd, id, a, &x, err);
    if (rc == KT_OK) {
        rc = privacy_settings_get(rd, a, &ps, err);
    }
    if (rc == KT_OK && strcmp(fmt, "json") == 0) {
        json_t *j = privacy_act_json(&x, a);
        cli_print_json(j);
        json_decref(j);
        return KT_OK;
    }
    if (rc == KT_OK) {
        rc = privacy_act_ready(&x, &ps, err);
    }
    if (rc == KT_OK && strcmp(fmt, "document") == 0) {
        fwrite(x.document, 1, strlen(x.document), stdout); /* the bytes, nothing added */
    } else if (rc == KT_OK) {
        struct buf b;
        buf_init(&b, 8192);
        privacy_act_text(&b, &x, a);
        fwrite(buf_cstr(&b), 1, b.len, stdout);
        buf_release(&b);
    }
    return rc;
}

static int p_acts(struct store *s, const char *id, const char *fmt)
{
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd = NULL;
    enum kt_rc rc = store_read_begin(s, &rd, &err);
    bool opened = rc == KT_OK;
    if (rc == KT_OK && id != NULL) {
        rc = p_act(rd, id, fmt ? fmt : "text", &a, &err);
    } else if (rc == KT_OK) {
        printf("%-22s %-25s %-22s %s\n", "ID", "AT", "CUSTOMER", "REASON");
        const char *after = NULL;
        for (;;) {
            struct destruction_act *x;
            size_t n;
            rc = store_act_list(rd, after, 500, &a, &x, &n, &err);
            for (size_t i = 0; rc == KT_OK && i < n; i++) {
                char t[40];
                printf("%-22s %-25s %-22s %s\n", x[i].id, time_format_rfc3339(x[i].at, t, 40),
                       x[i].customer_id, x[i].reason);
            }
            if (rc != KT_OK || n < 500) {
                break;
            }
            after = arena_strdup(&a, x[n - 1].id);
        }
    }
    if (opened) {
        store_read_end(rd);
    }
    arena_release(&a);
    return rc == KT_OK ? 0 : perr("acts", &err);
}

static int p_audit(struct store *s, const struct popts *o)
{
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct audit_filter f = {o->customer, o->key, o->action, 0, 0, 0, (int)o->limit};
    struct audit_page p = {NULL, NULL, 0, 0, 0, false};
    enum kt_rc rc = store_read_begin(s, &rd, &err);
    if (rc == KT_OK) {
        rc = audit_list(s, rd, &f, 0, 0, &a, &p, &err);
        store_read_end(rd);
    }
    for (size_t i = 0; rc == KT_OK && i < p.n; i++) {
        const struct audit_entry *e = &p.items[i];
        char t[40];
        printf("%s  %-11s %-13s %-22s %-15s %s  %s\n", time_format_rfc3339(e->at, t, 40), e->action,
               e->key_id ? e->key_id : "-", e->customer_id ? e->customer_id : "-",
               e->ip ? e->ip : "-", e->fields ? e->fields : "", e->detail ? e->detail : "");
    }
    arena_release(&a);
    return rc == KT_OK ? 0 : perr("audit", &err);
}

/* The flags each verb takes: --reason is erase's word, block's reason or extend's notice;
 * --outcome only unblock's; --note block's and unblock's. 2 (usage printed) when they do not fit.
 */
static int usage_of_blocking(const char *sub, const struct popts *o)
{
    static const char *const reasons[] = {"request", "withdrawal", "retention", "unlawful", NULL};
    bool erase = strcmp(sub, "erase") == 0, block = strcmp(sub, "block") == 0;
    bool unblock = strcmp(sub, "unblock") == 0, extend = strcmp(sub, "extend") == 0;
    bool ok = !o->reason || !erase;
    for (const char *const *r = reasons; !ok && *r; r++) {
        ok = strcmp(o->reason, *r) == 0;
    }
    if (!ok) {
        return pusage("--reason is request, withdrawal, retention or unlawful");
    }
    if ((block || extend) && o->reason == NULL) {
        return pusage(block ? "block needs --reason and --request"
                            : "extend needs --reason: the reasoned notice sent to the subject");
    }
    if (block && o->request == NULL) {
        return pusage("block needs --request: the privacy request it answers");
    }
    if (unblock && (o->outcome == NULL || o->reason != NULL)) {
        return pusage("unblock takes --outcome (and --note), not --reason");
    }
    if ((o->outcome && !unblock) || (o->note && !block && !unblock)) {
        return pusage("--outcome is unblock's, --note block's and unblock's");
    }
    return 0;
}

int cli_privacy(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'D'},       {"reason", required_argument, NULL, 'r'},
        {"operator", required_argument, NULL, 'o'}, {"request", required_argument, NULL, 'q'},
        {"overdue", no_argument, NULL, 'O'},        {"customer", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},      {"action", required_argument, NULL, 'a'},
        {"limit", required_argument, NULL, 'l'},    {"by", required_argument, NULL, 'b'},
        {"position", required_argument, NULL, 'p'}, {"format", required_argument, NULL, 'f'},
        {"outcome", required_argument, NULL, 'u'},  {"note", required_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    struct popts o = {.db = cli_default_db(), .limit = 1000};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'D':
            o.db = optarg;
            break;
        case 'r':
            o.reason = optarg;
            break;
        case 'o':
            o.operator_id = optarg;
            break;
        case 'q':
            o.request = optarg;
            break;
        case 'O':
            o.overdue = true;
            break;
        case 'c':
            o.customer = optarg;
            break;
        case 'k':
            o.key = optarg;
            break;
        case 'a':
            o.action = optarg;
            break;
        case 'l':
            if (!num_parse_cstr(optarg, 1, 100000, &o.limit)) {
                return pusage("--limit is a number from 1 to 100000");
            }
            break;
        case 'u':
            o.outcome = optarg;
            break;
        case 'N':
            o.note = optarg;
            break;
        case 'b':
        case 'p':
            if ((c == 'b' ? o.n_by : o.n_position) == ACT_PERSONS_MAX) {
                return pusage("at most 10 persons: --by and --position, in pairs");
            }
            if (c == 'b') {
                o.persons[o.n_by++].name = optarg;
            } else {
                o.persons[o.n_position++].position = optarg;
            }
            break;
        case 'f':
            o.format = optarg;
            break;
        case 'h':
            fputs(privacy_help, stdout);
            return 0;
        default:
            return pusage("unknown or incomplete option");
        }
    }
    if (optind >= argc) {
        return pusage("say what: export, erase, block, unblock, requests, extend, acts, act or "
                      "audit");
    }
    const char *sub = argv[optind];
    int args = argc - optind - 1;
    const char *arg = args > 0 ? argv[optind + 1] : NULL;
    bool blocking = strcmp(sub, "block") == 0 || strcmp(sub, "unblock") == 0;
    bool takes_id = strcmp(sub, "export") == 0 || strcmp(sub, "erase") == 0 ||
                    strcmp(sub, "act") == 0 || blocking || strcmp(sub, "extend") == 0;
    bool known = takes_id || strcmp(sub, "requests") == 0 || strcmp(sub, "acts") == 0 ||
                 strcmp(sub, "audit") == 0;
    if (!known) {
        return pusage("the commands are export, erase, block, unblock, requests, extend, acts, "
                      "act and audit");
    }
    if (args != (takes_id ? 1 : 0)) {
        return pusage(takes_id ? "name one id" : "takes no arguments");
    }
    const char *prefix = strcmp(sub, "act") == 0 ? "a_" : strcmp(sub, "extend") == 0 ? "r_" : "c_";
    if (takes_id && !id_valid(arg, prefix)) {
        return pusage(prefix[0] == 'a'   ? "an act id looks like a_..."
                      : prefix[0] == 'r' ? "a request id looks like r_..."
                                         : "a customer id looks like c_...");
    }
    int bad = usage_of_blocking(sub, &o);
    if (bad != 0) {
        return bad;
    }
    if (o.request && !id_valid(o.request, "r_")) {
        return pusage("--request names a privacy request (r_...)");
    }
    if (o.n_by != o.n_position) {
        return pusage("--by and --position go in pairs: a full name and a position each");
    }
    if (o.format && strcmp(o.format, "text") && strcmp(o.format, "json") &&
        strcmp(o.format, "document")) {
        return pusage("--format is text, json or document");
    }
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store(o.db);
    if (s == NULL) {
        return 1;
    }
    int code;
    if (strcmp(sub, "export") == 0) {
        code = p_export(s, o.db, arg);
    } else if (strcmp(sub, "erase") == 0) {
        code = p_erase(s, o.db, arg, &o);
    } else if (blocking) {
        code = cli_privacy_block(s, o.db, arg, strcmp(sub, "unblock") == 0,
                                 o.outcome ? o.outcome : o.reason, o.request, o.note);
    } else if (strcmp(sub, "extend") == 0) {
        code = cli_privacy_extend(s, o.db, arg, o.reason);
    } else if (strcmp(sub, "requests") == 0) {
        code = p_requests(s, o.overdue);
    } else if (strcmp(sub, "acts") == 0 || strcmp(sub, "act") == 0) {
        code = p_acts(s, arg, o.format);
    } else {
        code = p_audit(s, &o);
    }
    store_close(s);
    audit_shutdown();
    return code;
}
