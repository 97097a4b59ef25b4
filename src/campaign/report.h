/*
 * report.h - what a campaign earned (docs/messages.md, "What a campaign earned"): per group of
 * its members the outcomes of the messages (sent, delivered, opened, clicked, bounced,
 * complained, unsubscribed, capped, suppressed, failed, queued), the conversions and revenue
 * attributed to them (a purchase within the conversion window after a message, last touch per
 * channel), and the uplift against the control group: the revenue per customer of every member
 * messaged or not (intention to treat) less the control group's, each within the window after
 * the member was enqueued or set aside, with a 95 % interval (Welch's, normal approximation).
 */
#ifndef KT_CAMPAIGN_REPORT_H
#define KT_CAMPAIGN_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

/* The uplift of a treated group against a control group, from each group's size, sum and sum of
 * squares of a per-customer amount. `ok` false when either group has fewer than 2 customers. */
struct campaign_uplift {
    bool ok;
    double treated_mean, control_mean; /* per customer */
    double difference;                 /* treated_mean - control_mean */
    double low, high;                  /* the 95 % interval of the difference */
};
struct campaign_uplift campaign_uplift_of(int64_t n_t, double sum_t, double sq_t, int64_t n_c,
                                          double sum_c, double sq_c);

/* The uplift as a report shows it: {treated_customers, control_customers,
 * treated_revenue_per_customer, control_revenue_per_customer, difference, difference_low,
 * difference_high, confidence} in kopecks, or null when a group has fewer than 2 customers. */
json_t *campaign_uplift_json(int64_t n_t, double sum_t, double sq_t, int64_t n_c, double sum_c,
                             double sq_c);

/* The report of campaign `id` as of `now` on the analytic read `rd` (GET
 * /v1/reports/campaigns/{id}, `kartoteka report campaign`); NULL with `err` set (404
 * campaign_not_found). */
json_t *campaign_report_doc(struct store_conn *rd, const char *id, int64_t now, struct arena *a,
                            struct kt_err *err);

#endif
