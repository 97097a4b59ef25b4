/*
 * page_flags.c - serve's flags of the customer's pages (docs/pages.md, "Limits"; docs/
 * operations.md, "Behind a reverse proxy"): --limit-phone, --limit-addr, --limit-join-point and
 * --trusted-proxy, the tracking API's --track-user-system (docs/collect.md) and the wallet cards'
 * --wallet (docs/wallet.md), taken out of argv
 * before serve's own getopt sees the rest (as outbox_flags.c does), so that main.c keeps to its one
 * page of flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "identity/identity.h"
#include "pages/limits.h"
#include "wallet/wallet.h"

enum { F_PHONE, F_ADDR, F_JP, F_PROXY, F_USER, F_WALLET, F_N };

/* No default here: pages_limits_default's, and no proxy trusted. */

static const struct cli_flag flags[F_N] = {
    [F_PHONE] = {"limit-phone", "KARTOTEKA_LIMIT_PHONE", NULL},
    [F_ADDR] = {"limit-addr", "KARTOTEKA_LIMIT_ADDR", NULL},
    [F_JP] = {"limit-join-point", "KARTOTEKA_LIMIT_JOIN_POINT", NULL},
    [F_PROXY] = {"trusted-proxy", "KARTOTEKA_TRUSTED_PROXY", NULL},
    [F_USER] = {"track-user-system", "KARTOTEKA_TRACK_USER_SYSTEM", "shop"},
    [F_WALLET] = {"wallet", "KARTOTEKA_WALLET", NULL},
};

static int check(const char *verb, const char *const v[F_N], struct cli_pages *c)
{
    c->limits = pages_limits_default;
    struct pages_limit_rule *rules[] = {
        [F_PHONE] = c->limits.phone, [F_ADDR] = c->limits.addr, [F_JP] = c->limits.join_point};
    for (int f = F_PHONE; f <= F_JP; f++) {
        if (v[f] != NULL && !pages_limits_parse(v[f], rules[f])) {
            return cli_usage(verb, "--limit-phone, --limit-addr and --limit-join-point take "
                                   "COUNT/DURATION (s, m, h or d), two joined by a comma at most "
                                   "(3/10m,10/1d), or off");
        }
    }
    if (!cidr_list_parse(v[F_PROXY] != NULL ? v[F_PROXY] : "", &c->trusted)) {
        return cli_usage(verb, "--trusted-proxy takes addresses or networks (10.0.0.0/8, ::1), "
                               "16 at most, joined by commas");
    }
    c->track_user_system = v[F_USER];
    c->wallet_path = v[F_WALLET] != NULL && v[F_WALLET][0] != '\0' ? v[F_WALLET] : NULL;
    if (!ident_system_valid(c->track_user_system)) {
        return cli_usage(verb, "--track-user-system takes an external system's name: "
                               "[a-z0-9_-], 1-32 characters");
    }
    return 0;
}

int cli_page_flags(const char *verb, int *argc, char **argv, struct cli_pages *c)
{
    const char *v[F_N];
    memset(c, 0, sizeof(*c));
    if (cli_take_flags(verb, argc, argv, flags, F_N, v) != 0) {
        return 2;
    }
    return check(verb, v, c);
}

int cli_wallet_load(const char *verb, const char *path, struct wallet **out)
{
    struct kt_err err;
    kt_err_reset(&err);
    *out = NULL;
    if (path != NULL && path[0] != '\0' && wallet_load(path, out, &err) != KT_OK) {
        fprintf(stderr, "kartoteka %s: the wallet's configuration (--wallet) cannot be used: %s\n",
                verb, err.msg);
        return 2;
    }
    return 0;
}

int cli_pages_wallet(const char *verb, struct cli_pages *c)
{
    return cli_wallet_load(verb, c->wallet_path, &c->wallet);
}

void cli_pages_free(struct cli_pages *c)
{
    wallet_free(c->wallet);
    c->wallet = NULL;
}
