/*
 * report_journey.c - the table of `kartoteka report journey KEY`: what a journey did and earned
 * (journey/report.c's document, which report_cmd.c reads and --json prints as it is).
 */
#include <stdio.h>

#include "cli/cli.h"

static long long num(const json_t *o, const char *name)
{
    return (long long)json_integer_value(json_object_get(o, name));
}

static const char *str(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s != NULL ? s : "";
}

/* Kopecks as roubles with two decimals. */
static void money(char *out, size_t cap, long long k)
{
    snprintf(out, cap, "%s%lld.%02lld", k < 0 ? "-" : "", (k < 0 ? -k : k) / 100,
             (k < 0 ? -k : k) % 100);
}

void cli_journey_table(const json_t *rep)
{
    const json_t *runs = json_object_get(rep, "runs");
    printf("journey %s \"%s\" (%s, version %lld), conversion window %lld days\n\n",
           str(rep, "journey"), str(rep, "name"), str(rep, "state"), num(rep, "version"),
           num(rep, "window_days"));
    printf("runs: %lld entered, %lld in the control group; %lld active, %lld waiting, %lld done, "
           "%lld exited\n",
           num(runs, "entered"), num(runs, "control"), num(runs, "active"), num(runs, "waiting"),
           num(runs, "done"), num(runs, "exited"));
    const char *exit;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(runs, "by_exit"), exit, v)
    {
        printf("  exited by %-20s %lld\n", exit, (long long)json_integer_value(v));
    }
    printf("\n%-20s %-22s %8s %8s %8s %8s %8s %9s %12s\n", "step", "outcome", "count", "sent",
           "capped", "suppr", "pending", "converted", "revenue");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(rep, "steps"), i, s)
    {
        char rev[32];
        money(rev, sizeof(rev), num(s, "revenue"));
        printf("%-20s %-22s %8lld %8lld %8lld %8lld %8lld %9lld %12s\n", str(s, "step"),
               str(s, "outcome"), num(s, "count"), num(s, "sent"), num(s, "capped"),
               num(s, "suppressed"), num(s, "pending"), num(s, "converted"), rev);
    }
    json_t *g;
    printf("\n");
    json_array_foreach(json_object_get(rep, "groups"), i, g)
    {
        char rev[32];
        money(rev, sizeof(rev), num(g, "revenue"));
        printf("%-8s %8lld runs, %8lld bought within the window, %12s\n", str(g, "group"),
               num(g, "runs"), num(g, "buyers"), rev);
    }
    const json_t *u = json_object_get(rep, "uplift");
    if (!json_is_object(u)) {
        printf("no uplift: the journey has no control group of two or more runs\n");
        return;
    }
    char d[32], lo[32], hi[32];
    money(d, sizeof(d), num(u, "difference"));
    money(lo, sizeof(lo), num(u, "difference_low"));
    money(hi, sizeof(hi), num(u, "difference_high"));
    printf("uplift: %s per run (95 %% interval %s .. %s)\n", d, lo, hi);
}
