/*
 * channel_flags.c - serve's flags of the message channels (docs/messages.md, "Channels";
 * docs/operations.md): the SMTP server and the push service's webhook, each flag with its
 * KARTOTEKA_* environment equivalent under it. The credentials and the webhook's secret come
 * from the environment only. `kartoteka deliver test` reads the same words (deliver_cmd.c).
 */
#include <stdlib.h>

#include "base/num.h"
#include "cli/cli.h"

static const char *const env_names[CLI_CHANNEL_FLAGS] = {
    "KARTOTEKA_SMTP_URL",      "KARTOTEKA_SMTP_FROM",        "KARTOTEKA_SMTP_FROM_NAME",
    "KARTOTEKA_SMTP_STARTTLS", "KARTOTEKA_SMTP_CONNECTIONS", "KARTOTEKA_SMTP_TIMEOUT",
    "KARTOTEKA_PUSH_URL",
};

static const char *given_or_env(const char *const *given, int i, const char *def)
{
    const char *v = given[i] != NULL ? given[i] : getenv(env_names[i]);
    return v != NULL && v[0] != '\0' ? v : def;
}

int cli_channel_flags(const char *verb, const char *const *given, struct cli_channels *out)
{
    int64_t conns;
    out->smtp = (struct smtp_opts){0};
    out->smtp.url = given_or_env(given, 0, NULL);
    out->smtp.from = given_or_env(given, 1, NULL);
    out->smtp.from_name = given_or_env(given, 2, NULL);
    out->smtp.user = getenv("KARTOTEKA_SMTP_USER");
    out->smtp.password = getenv("KARTOTEKA_SMTP_PASSWORD");
    out->push_url = given_or_env(given, 6, NULL);
    out->webhook_secret = getenv("KARTOTEKA_WEBHOOK_SECRET");
    const char *tls = given_or_env(given, 3, NULL);
    out->smtp.starttls = SMTP_STARTTLS_DEFAULT;
    if (tls != NULL && !smtp_starttls_parse(tls, &out->smtp.starttls)) {
        return cli_usage(verb, "--smtp-starttls must be try, require or never");
    }
    if (!num_parse_cstr(given_or_env(given, 4, "8"), 1, 64, &conns)) {
        return cli_usage(verb, "--smtp-connections must be a number from 1 to 64");
    }
    out->smtp.connections = (int)conns;
    if (!num_parse_cstr(given_or_env(given, 5, "30000"), 1000, 600000, &out->smtp.timeout_ms)) {
        return cli_usage(verb, "--smtp-timeout must be milliseconds from 1000 to 600000");
    }
    if (out->smtp.url != NULL && out->smtp.from == NULL) {
        return cli_usage(verb, "--smtp-url needs --smtp-from, the sender's address");
    }
    return 0;
}
