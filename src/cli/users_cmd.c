/*
 * users_cmd.c - `kartoteka users create|reset|disable|enable|list`: the people who use the
 * console (docs/console.md, "People and sessions"). Usable while the server runs: each verb is
 * one write transaction, written to the audit log in it (action "user", never the e-mail).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/users.h"
#include "base/clock.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "store/store.h"

static const char users_help[] =
    "usage: kartoteka users create --email E --role ROLE [--stores LIST] [--password-stdin]\n"
    "       kartoteka users reset USER [--password-stdin] [--totp]\n"
    "       kartoteka users disable USER\n"
    "       kartoteka users enable USER\n"
    "       kartoteka users list\n"
    "\n"
    "The people who log in to the console at /admin (docs/console.md). USER is a user's id\n"
    "(u_...) or e-mail. A password is printed on standard output, one line, when Kartoteka\n"
    "makes it (create and reset without --password-stdin); it is shown only then. Reset, disable,\n"
    "a new role or new stores end the user's sessions at once. Every change is written to the\n"
    "audit log. Roles: admin (everything), marketer (admin without keys, users and privacy\n"
    "settings), analyst (read-only, phones and e-mails masked), store_manager (their stores'\n"
    "customers and reports; needs --stores), dpo (the privacy routes).\n"
    "\n"
    "  --email E         the user's e-mail (at most 128 bytes); they log in with it\n"
    "  --role ROLE       admin, marketer, analyst, store_manager or dpo\n"
    "  --stores LIST     store_manager only: store codes separated by commas (S-12,S-14)\n"
    "  --password-stdin  read the password from the first line of standard input (10-512\n"
    "                    bytes) instead of making one\n"
    "  --totp            reset: forget the user's TOTP secret (a lost phone); they enrol again\n"
    "  --db PATH         database file (KARTOTEKA_DB, default data/kartoteka.db)\n"
    "  --secret-file PATH   installation secret (KARTOTEKA_SECRET_FILE, default <db>.secret)\n";

struct users_opts {
    const char *db, *secret_file, *email, *role, *stores;
    bool password_stdin, totp;
};

static int users_parse(int argc, char **argv, struct users_opts *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"secret-file", required_argument, NULL, 'f'},
                                         {"email", required_argument, NULL, 'e'},
                                         {"role", required_argument, NULL, 'r'},
                                         {"stores", required_argument, NULL, 's'},
                                         {"password-stdin", no_argument, NULL, 'p'},
                                         {"totp", no_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    *o = (struct users_opts){.db = cli_default_db()};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->db = optarg;
            break;
        case 'f':
            o->secret_file = optarg;
            break;
        case 'e':
            o->email = optarg;
            break;
        case 'r':
            o->role = optarg;
            break;
        case 's':
            o->stores = optarg;
            break;
        case 'p':
            o->password_stdin = true;
            break;
        case 't':
            o->totp = true;
            break;
        case 'h':
            fputs(users_help, stdout);
            return 1;
        default:
            return cli_usage("users", "unknown or incomplete option");
        }
    }
    return 0;
}

/* The password: the first line of standard input, or a new one (printed after the commit). */
static int password_get(bool from_stdin, char *buf, size_t size, bool *made)
{
    *made = !from_stdin;
    if (!from_stdin) {
        users_password_new(buf);
        return 0;
    }
    if (fgets(buf, (int)size, stdin) == NULL) {
        return cli_usage("users", "--password-stdin: no line on standard input");
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* The user named by `who` (an id or an e-mail) in the write transaction `w`. */
static enum kt_rc user_named(struct store_conn *w, const struct key_secret *k, const char *who,
                             struct arena *a, struct user *u, struct kt_err *err)
{
    bool found = false;
    enum kt_rc rc = strchr(who, '@') != NULL ? users_find(w, k, who, a, u, &found, err)
                                             : users_get(w, k, who, a, u, &found, err);
    if (rc == KT_OK && !found) {
        rc = kt_err_set(err, KT_ENOTFOUND, "user_not_found", NULL, "no such user");
    }
    return rc;
}

/* One change in one transaction, audited: create (who NULL) or a change of `who`. */
static int users_write(const struct users_opts *o, const char *verb, const char *who,
                       const struct user_new *in, struct user_change *ch)
{
    struct store *s = cli_open_store(o->db);
    if (s == NULL) {
        return 1;
    }
    struct key_secret secret;
    if (cli_load_secret_file(s, o->db, o->secret_file, &secret) != 0) {
        store_close(s);
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    struct user u;
    int64_t now = clock_now_ms();
    enum kt_rc rc = store_write_begin(s, &w, &err);
    if (rc == KT_OK) {
        if (who == NULL) {
            rc = users_create(w, &secret, in, now, &a, &u, &err);
        } else if ((rc = user_named(w, &secret, who, &a, &u, &err)) == KT_OK) {
            rc = users_change(w, &secret, u.row.id, ch, now, &a, &u, &err);
        }
        if (rc == KT_OK) {
            rc = audit_write(w, NULL, "user", NULL, NULL, users_audit_detail(verb, &u, &a), NULL,
                             now, &err);
        }
        rc = store_write_end(w, rc, &err);
    }
    sodium_memzero(&secret, sizeof(secret));
    if (rc == KT_OK) {
        fprintf(stderr, "%s user %s (%s)\n", verb, u.row.id, u.row.role);
    } else {
        char what[64];
        kt_snprintf(what, sizeof(what), "cannot %s the user", verb);
        cli_print_error(what, &err);
    }
    arena_release(&a);
    store_close(s);
    return rc == KT_OK ? 0 : 1;
}

static int users_create_cmd(const struct users_opts *o)
{
    if (o->email == NULL || o->role == NULL) {
        return cli_usage("users create", "--email and --role are required");
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct user_new in = {o->email, NULL, o->role, NULL};
    if (o->stores != NULL && keys_stores_parse(o->stores, &a, &in.stores, &err) != KT_OK) {
        arena_release(&a);
        return cli_usage("users create", err.msg);
    }
    char pw[USER_PASSWORD_MAX + 2];
    bool made;
    int code = password_get(o->password_stdin, pw, sizeof(pw), &made);
    in.password = pw;
    if (code == 0) {
        code = users_write(o, "create", NULL, &in, NULL);
    }
    if (code == 0 && made) {
        printf("%s\n", pw);
    }
    sodium_memzero(pw, sizeof(pw));
    arena_release(&a);
    return code;
}

static int users_reset_cmd(const struct users_opts *o, const char *who)
{
    char pw[USER_PASSWORD_MAX + 2];
    bool made;
    int code = password_get(o->password_stdin, pw, sizeof(pw), &made);
    struct user_change ch = {NULL, NULL, false, -1, pw, o->totp};
    if (code == 0) {
        code = users_write(o, "reset", who, NULL, &ch);
    }
    if (code == 0 && made) {
        printf("%s\n", pw);
    }
    sodium_memzero(pw, sizeof(pw));
    return code;
}

static int users_list_cmd(const struct users_opts *o)
{
    struct store *s = cli_open_store(o->db);
    struct key_secret secret;
    if (s == NULL || cli_load_secret_file(s, o->db, o->secret_file, &secret) != 0) {
        store_close(s);
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct user *us = NULL;
    size_t n = 0;
    enum kt_rc rc = store_read_begin(s, &rd, &err);
    if (rc == KT_OK) {
        rc = users_list(rd, &secret, &a, &us, &n, &err);
        store_read_end(rd);
    }
    sodium_memzero(&secret, sizeof(secret));
    if (rc == KT_OK) {
        printf("%-23s %-14s %-5s %-25s %-20s %s\n", "ID", "ROLE", "TOTP", "DISABLED", "STORES",
               "EMAIL");
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        char d[40] = "-";
        if (us[i].row.disabled_at != 0) {
            time_format_rfc3339(us[i].row.disabled_at, d, sizeof(d));
        }
        printf("%-23s %-14s %-5s %-25s %-20s %s\n", us[i].row.id, us[i].row.role,
               us[i].row.totp_on ? "yes" : "no", d, us[i].row.stores ? us[i].row.stores : "-",
               us[i].email);
    }
    if (rc != KT_OK) {
        cli_print_error("cannot list the users", &err);
    }
    arena_release(&a);
    store_close(s);
    return rc == KT_OK ? 0 : 1;
}

int cli_users(int argc, char **argv)
{
    struct users_opts o;
    int prc = users_parse(argc, argv, &o);
    if (prc != 0) {
        return prc == 1 ? 0 : prc;
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    const char *who = optind + 1 < argc ? argv[optind + 1] : NULL;
    int extra = argc - optind - (who != NULL ? 2 : 1);
    if (sub == NULL) {
        return cli_usage("users", "create, reset, disable, enable or list");
    }
    if (strcmp(sub, "create") == 0 && who == NULL) {
        return users_create_cmd(&o);
    }
    if (strcmp(sub, "list") == 0 && who == NULL) {
        return users_list_cmd(&o);
    }
    if (who == NULL || extra > 0) {
        return cli_usage("users", "reset, disable and enable take one USER (an id or e-mail)");
    }
    if (strcmp(sub, "reset") == 0) {
        return users_reset_cmd(&o, who);
    }
    struct user_change ch = {NULL, NULL, false, -1, NULL, false};
    if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0) {
        ch.disabled = sub[0] == 'd';
        return users_write(&o, sub, who, NULL, &ch);
    }
    return cli_usage("users", "create, reset, disable, enable or list");
}
