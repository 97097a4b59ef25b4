/*
 * verbs.c - the operator's verbs by name (cli.h): main.c runs the one named on its command line
 * (serve, which is main.c's own, and version aside).
 */
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} verbs[] = {
    {"migrate", cli_migrate}, {"keys", cli_keys},       {"users", cli_users},
    {"import", cli_import},   {"report", cli_report},   {"privacy", cli_privacy},
    {"audit", cli_audit},     {"loyalty", cli_loyalty}, {"cluster", cli_cluster},
    {"segment", cli_segment}, {"deliver", cli_deliver}, {"events", cli_events},
    {"run-due", cli_run_due}, {"clean", cli_clean},     {"store", cli_store},
    {"dedup", cli_dedup},     {"wallet", cli_wallet},
};

int cli_verb(const char *verb, int argc, char **argv)
{
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(verbs[i].name, verb) == 0) {
            return verbs[i].run(argc, argv);
        }
    }
    return -1;
}
