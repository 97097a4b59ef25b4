/*
 * outbox_flags.c - serve's flags of the outbox's sender (docs/operations.md, "Channels:
 * e-mail, push, webhooks"): --email-rate, --sms-rate, --push-rate, --webhook-rate,
 * --webhook-url, --sms-sender, --outbox-retry, --outbox-lease and --quiet-hours-*, taken out of
 * argv before serve's own getopt sees the rest, so that main.c keeps to its one page of flags. The
 * channels' own flags (--smtp-*, --push-url) are channel_flags.c's, shared with the templates' test
 * send.
 */
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "cli/cli.h"
#include "deliver/outbox.h"
#include "deliver/pace.h"
#include "deliver/policy.h"

enum {
    F_RATE,
    F_SRATE,
    F_PRATE,
    F_WRATE,
    F_WURL,
    F_SENDER,
    F_RETRY,
    F_LEASE,
    F_QSMS,
    F_QPUSH,
    F_QEMAIL,
    F_N
};

static const struct cli_flag flags[F_N] = {
    [F_RATE] = {"email-rate", "KARTOTEKA_EMAIL_RATE", "0"},
    [F_SRATE] = {"sms-rate", "KARTOTEKA_SMS_RATE", "0"},
    [F_PRATE] = {"push-rate", "KARTOTEKA_PUSH_RATE", "0"},
    [F_WRATE] = {"webhook-rate", "KARTOTEKA_WEBHOOK_RATE", "0"},
    [F_WURL] = {"webhook-url", "KARTOTEKA_WEBHOOK_URL", NULL},
    [F_SENDER] = {"sms-sender", "KARTOTEKA_SMS_SENDER", NULL},
    [F_RETRY] = {"outbox-retry", "KARTOTEKA_OUTBOX_RETRY", "30000"},
    [F_LEASE] = {"outbox-lease", "KARTOTEKA_OUTBOX_LEASE", NULL},
    [F_QSMS] = {"quiet-hours-sms", "KARTOTEKA_QUIET_HOURS_SMS", "21:00-09:00"},
    [F_QPUSH] = {"quiet-hours-push", "KARTOTEKA_QUIET_HOURS_PUSH", "21:00-09:00"},
    [F_QEMAIL] = {"quiet-hours-email", "KARTOTEKA_QUIET_HOURS_EMAIL", "none"},
};

static int check(const char *verb, const char *const v[F_N], struct outbox_conf *c)
{
    if (!num_parse_cstr(v[F_RATE], 0, PACE_MAX_RATE, &c->email_rate) ||
        !num_parse_cstr(v[F_SRATE], 0, PACE_MAX_RATE, &c->sms_rate) ||
        !num_parse_cstr(v[F_PRATE], 0, PACE_MAX_RATE, &c->push_rate) ||
        !num_parse_cstr(v[F_WRATE], 0, PACE_MAX_RATE, &c->webhook_rate)) {
        return cli_usage(verb, "--email-rate, --sms-rate, --push-rate and --webhook-rate must be "
                               "messages per second from 0 (unlimited) to 1000000");
    }
    c->webhook_url = v[F_WURL];
    if (c->webhook_url != NULL && strncmp(c->webhook_url, "http://", 7) != 0 &&
        strncmp(c->webhook_url, "https://", 8) != 0) {
        return cli_usage(verb, "--webhook-url must be an http:// or https:// URL");
    }
    c->sms_sender = v[F_SENDER];
    if (c->sms_sender != NULL && (c->sms_sender[0] == '\0' || strlen(c->sms_sender) > 64)) {
        return cli_usage(verb, "--sms-sender must be a name of 1 to 64 bytes");
    }
    if (!num_parse_cstr(v[F_RETRY], 100, 3600000, &c->retry_ms)) {
        return cli_usage(verb, "--outbox-retry must be milliseconds from 100 to 3600000");
    }
    /* 0 here: the default, which main.c chooses by the store (outbox.h, OUTBOX_LEASE_MS) */
    if (v[F_LEASE] != NULL && !num_parse_cstr(v[F_LEASE], 1000, 86400000, &c->lease_ms)) {
        return cli_usage(verb, "--outbox-lease must be milliseconds from 1000 to 86400000");
    }
    if (!policy_window_parse(v[F_QSMS], &c->policy.sms) ||
        !policy_window_parse(v[F_QPUSH], &c->policy.push) ||
        !policy_window_parse(v[F_QEMAIL], &c->policy.email)) {
        return cli_usage(verb, "--quiet-hours-sms, --quiet-hours-push and --quiet-hours-email "
                               "must be HH:MM-HH:MM (local time, two different times) or none");
    }
    return 0;
}

int cli_outbox_flags(const char *verb, int *argc, char **argv, struct outbox_conf *c)
{
    const char *v[F_N];
    memset(c, 0, sizeof(*c));
    if (cli_take_flags(verb, argc, argv, flags, F_N, v) != 0) {
        return 2;
    }
    return check(verb, v, c);
}
