/*
 * outbox_flags.c - serve's flags of the outbox's channels (docs/operations.md, "Channels:
 * e-mail, push, webhooks"), taken out of argv before serve's own getopt sees the rest, so that
 * main.c keeps to its one page of flags. The environment lies under the flags; credentials and
 * the signing secret come from the environment only.
 */
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "cli/cli.h"
#include "deliver/outbox.h"
#include "deliver/pace.h"

enum { F_URL, F_FROM, F_FROM_NAME, F_STARTTLS, F_CONNS, F_TIMEOUT, F_PUSH, F_RATE, F_RETRY, F_N };

static const struct {
    const char *flag, *env, *def;
} flags[F_N] = {
    [F_URL] = {"smtp-url", "KARTOTEKA_SMTP_URL", NULL},
    [F_FROM] = {"smtp-from", "KARTOTEKA_SMTP_FROM", NULL},
    [F_FROM_NAME] = {"smtp-from-name", "KARTOTEKA_SMTP_FROM_NAME", NULL},
    [F_STARTTLS] = {"smtp-starttls", "KARTOTEKA_SMTP_STARTTLS", NULL},
    [F_CONNS] = {"smtp-connections", "KARTOTEKA_SMTP_CONNECTIONS", "8"},
    [F_TIMEOUT] = {"smtp-timeout", "KARTOTEKA_SMTP_TIMEOUT", "30000"},
    [F_PUSH] = {"push-url", "KARTOTEKA_PUSH_URL", NULL},
    [F_RATE] = {"email-rate", "KARTOTEKA_EMAIL_RATE", "0"},
    [F_RETRY] = {"outbox-retry", "KARTOTEKA_OUTBOX_RETRY", "30000"},
};

/* The flag argv[i] names ("--name VALUE" or "--name=VALUE"), or F_N; *value and *used set. */
static int match(int argc, char **argv, int i, const char **value, int *used)
{
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) {
        return F_N;
    }
    for (int f = 0; f < F_N; f++) {
        size_t len = strlen(flags[f].flag);
        if (strncmp(a + 2, flags[f].flag, len) != 0) {
            continue;
        }
        if (a[2 + len] == '=') {
            *value = a + 3 + len;
            *used = 1;
            return f;
        }
        if (a[2 + len] == '\0') {
            *value = i + 1 < argc ? argv[i + 1] : NULL;
            *used = 2;
            return f;
        }
    }
    return F_N;
}

static int check(const char *verb, const char *const v[F_N], struct outbox_conf *c)
{
    int64_t conns = 0;
    c->smtp.url = v[F_URL];
    c->smtp.from = v[F_FROM];
    c->smtp.from_name = v[F_FROM_NAME];
    c->smtp.user = getenv("KARTOTEKA_SMTP_USER");
    c->smtp.password = getenv("KARTOTEKA_SMTP_PASSWORD");
    c->push_url = v[F_PUSH];
    c->webhook_secret = getenv("KARTOTEKA_WEBHOOK_SECRET");
    c->smtp.starttls = SMTP_STARTTLS_DEFAULT;
    if (v[F_STARTTLS] != NULL && !smtp_starttls_parse(v[F_STARTTLS], &c->smtp.starttls)) {
        return cli_usage(verb, "--smtp-starttls must be try, require or never");
    }
    if (!num_parse_cstr(v[F_CONNS], 1, 64, &conns)) {
        return cli_usage(verb, "--smtp-connections must be a number from 1 to 64");
    }
    c->smtp.connections = (int)conns;
    if (!num_parse_cstr(v[F_TIMEOUT], 1000, 600000, &c->smtp.timeout_ms)) {
        return cli_usage(verb, "--smtp-timeout must be milliseconds from 1000 to 600000");
    }
    if (!num_parse_cstr(v[F_RATE], 0, PACE_MAX_RATE, &c->email_rate)) {
        return cli_usage(verb, "--email-rate must be e-mails per second from 0 (unlimited) to "
                               "1000000");
    }
    if (!num_parse_cstr(v[F_RETRY], 100, 3600000, &c->retry_ms)) {
        return cli_usage(verb, "--outbox-retry must be milliseconds from 100 to 3600000");
    }
    if (c->smtp.url != NULL && c->smtp.from == NULL) {
        return cli_usage(verb, "--smtp-url needs --smtp-from");
    }
    if (c->push_url != NULL && strncmp(c->push_url, "http://", 7) != 0 &&
        strncmp(c->push_url, "https://", 8) != 0) {
        return cli_usage(verb, "--push-url must be an http:// or https:// URL");
    }
    return 0;
}

int cli_outbox_flags(const char *verb, int *argc, char **argv, struct outbox_conf *c)
{
    const char *v[F_N];
    memset(c, 0, sizeof(*c));
    for (int f = 0; f < F_N; f++) {
        const char *e = getenv(flags[f].env);
        v[f] = e != NULL && e[0] != '\0' ? e : flags[f].def;
    }
    int out = 1; /* argv[0] stays */
    for (int i = 1; i < *argc;) {
        const char *value = NULL;
        int used = 1, f = match(*argc, argv, i, &value, &used);
        if (f == F_N) {
            argv[out++] = argv[i++];
            continue;
        }
        if (value == NULL) {
            return cli_usage(verb, "a channel flag needs a value");
        }
        v[f] = value;
        i += used;
    }
    argv[out] = NULL;
    *argc = out;
    return check(verb, v, c);
}
