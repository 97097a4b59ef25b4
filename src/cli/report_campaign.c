/*
 * report_campaign.c - the table of `kartoteka report campaign ID`: what a campaign earned
 * (campaign/report.c's document, which report_cmd.c reads and --json prints as it is).
 */
#include <stdio.h>

#include "cli/cli.h"

static long long num(const json_t *o, const char *name)
{
    return (long long)json_integer_value(json_object_get(o, name));
}

/* Kopecks as roubles with two decimals and a sign. */
static void money(char *out, size_t cap, long long k)
{
    snprintf(out, cap, "%s%lld.%02lld", k < 0 ? "-" : "", (k < 0 ? -k : k) / 100,
             (k < 0 ? -k : k) % 100);
}

static void row(const char *name, const json_t *g)
{
    char rev[32];
    money(rev, sizeof(rev), num(g, "revenue"));
    printf("%-10s %9lld %9lld %9lld %8lld %8lld %8lld %7lld %7lld %9lld %12s\n", name,
           num(g, "members"), num(g, "sent"), num(g, "delivered"), num(g, "opened"),
           num(g, "clicked"), num(g, "unsubscribed"), num(g, "capped"), num(g, "bounced"),
           num(g, "converted"), rev);
}

void cli_campaign_table(const json_t *rep)
{
    printf("campaign %s \"%s\" (%s, %s), conversion window %lld days, as of %s%s\n\n",
           json_string_value(json_object_get(rep, "id")),
           json_string_value(json_object_get(rep, "name")),
           json_string_value(json_object_get(rep, "channel")),
           json_string_value(json_object_get(rep, "state")), num(rep, "conversion_window_days"),
           json_string_value(json_object_get(rep, "as_of")),
           json_is_true(json_object_get(rep, "final")) ? " (final)" : " (not final)");
    printf("%-10s %9s %9s %9s %8s %8s %8s %7s %7s %9s %12s\n", "group", "members", "sent",
           "delivered", "opened", "clicked", "unsubscr", "capped", "bounced", "converted",
           "revenue");
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(rep, "groups"), i, g)
    {
        row(json_string_value(json_object_get(g, "group")), g);
    }
    row("total", json_object_get(rep, "totals"));
    const json_t *u = json_object_get(rep, "uplift");
    if (!json_is_object(u)) {
        printf("\nno uplift: the campaign has no control group of two or more customers\n");
        return;
    }
    char t[32], c[32], d[32], lo[32], hi[32];
    money(t, sizeof(t), num(u, "treated_revenue_per_customer"));
    money(c, sizeof(c), num(u, "control_revenue_per_customer"));
    money(d, sizeof(d), num(u, "difference"));
    money(lo, sizeof(lo), num(u, "difference_low"));
    money(hi, sizeof(hi), num(u, "difference_high"));
    printf("\nrevenue per customer within the window: %s (%lld customers) against %s in the "
           "control group (%lld)\nuplift %s per customer, 95%% interval %s to %s\n",
           t, num(u, "treated_customers"), c, num(u, "control_customers"), d, lo, hi);
}
