/*
 * session_flags.c - serve's flags of the console's sessions (docs/console.md, "People and
 * sessions"): how long a session lives idle and at most, and the login lock-outs per e-mail and
 * per client address; taken out of argv before serve's own getopt sees the rest (as
 * page_flags.c does).
 */
#include <string.h>

#include "base/num.h"
#include "cli/cli.h"

enum { F_IDLE, F_MAX, F_EMAIL, F_ADDR, F_WINDOW, F_N };

static const struct cli_flag flags[F_N] = {
    [F_IDLE] = {"session-idle", "KARTOTEKA_SESSION_IDLE", "1800"},
    [F_MAX] = {"session-max", "KARTOTEKA_SESSION_MAX", "43200"},
    [F_EMAIL] = {"login-lockout-email", "KARTOTEKA_LOGIN_LOCKOUT_EMAIL", "5"},
    [F_ADDR] = {"login-lockout-addr", "KARTOTEKA_LOGIN_LOCKOUT_ADDR", "20"},
    [F_WINDOW] = {"login-lockout-window", "KARTOTEKA_LOGIN_LOCKOUT_WINDOW", "900"},
};

int cli_session_flags(const char *verb, int *argc, char **argv, struct cli_sessions *c)
{
    const char *v[F_N];
    memset(c, 0, sizeof(*c));
    if (cli_take_flags(verb, argc, argv, flags, F_N, v) != 0) {
        return 2;
    }
    int64_t idle, max, email, addr, window;
    if (!num_parse_cstr(v[F_IDLE], 60, 86400, &idle) ||
        !num_parse_cstr(v[F_MAX], 60, 604800, &max)) {
        return cli_usage(verb, "--session-idle must be seconds from 60 to 86400, --session-max "
                               "seconds from 60 to 604800");
    }
    if (!num_parse_cstr(v[F_EMAIL], 0, 1000000, &email) ||
        !num_parse_cstr(v[F_ADDR], 0, 1000000, &addr) ||
        !num_parse_cstr(v[F_WINDOW], 1, 86400, &window)) {
        return cli_usage(verb, "--login-lockout-email and --login-lockout-addr must be counts "
                               "(0: never lock), --login-lockout-window seconds from 1 to 86400");
    }
    c->idle_ms = idle * 1000;
    c->max_ms = max * 1000;
    c->by_email = (int)email;
    c->by_addr = (int)addr;
    c->window_ms = c->lock_ms = window * 1000;
    return 0;
}
