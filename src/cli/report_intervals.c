/*
 * report_intervals.c - the tables of `kartoteka report replenishment` and `report lapsed`: who
 * runs out of what, who stays away (segment/intervals_report.c's documents, which report_cmd.c
 * reads and --json prints as they are).
 */
#include <stdio.h>

#include "cli/cli.h"

static const char *str(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "";
}

static long long num(const json_t *o, const char *name)
{
    return (long long)json_integer_value(json_object_get(o, name));
}

void cli_intervals_table(const json_t *rep)
{
    const char *by = str(rep, "by");
    bool lapsed = *by == '\0';
    if (lapsed) {
        printf("lapsed: %lld customers past %.2f x their usual gap in the %lld days from %s (as "
               "of %s)\n\n",
               num(rep, "count"), json_real_value(json_object_get(rep, "factor")), num(rep, "days"),
               str(rep, "starting_on"), str(rep, "as_of"));
        printf("%-24s %-10s %5s %8s %-10s %-10s\n", "customer", "bought on", "days", "gap", "basis",
               "lapsed on");
    } else {
        printf("replenishment by %s: %lld due in the %lld days from %s, %lld days ahead (as of "
               "%s)\n\n",
               by, num(rep, "count"), num(rep, "days"), str(rep, "starting_on"),
               num(rep, "days_before"), str(rep, "as_of"));
        printf("%-24s %-20s %-10s %5s %8s %-10s %-10s\n", "customer", by, "bought on", "days",
               "interval", "basis", "due on");
    }
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(rep, "items"), i, x)
    {
        if (lapsed) {
            printf("%-24s %-10s %5lld %8lld %-10s %-10s\n", str(x, "customer_id"),
                   str(x, "bought_on"), num(x, "days_bought"), num(x, "gap_days"), str(x, "basis"),
                   str(x, "lapsed_on"));
        } else {
            printf("%-24s %-20s %-10s %5lld %8lld %-10s %-10s\n", str(x, "customer_id"), str(x, by),
                   str(x, "bought_on"), num(x, "days_bought"), num(x, "interval_days"),
                   str(x, "basis"), str(x, "due_on"));
        }
    }
}
