/*
 * report.h - what a journey did and earned (GET /v1/reports/journeys/{key}, `kartoteka report
 * journey KEY`; docs/journeys.md, "Reports"): its runs by state and exit, each step by outcome
 * with the states of the messages it sent and the purchases attributed to them (last touch per
 * channel within the window after sending, as a campaign's), and the uplift against the
 * control group held out at entry (revenue per run within the window after entry, intention to
 * treat, with a 95 % interval).
 */
#ifndef KT_JOURNEY_REPORT_H
#define KT_JOURNEY_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#define JOURNEY_WINDOW_DAYS 7 /* the report's conversion window by default; 1..90 */

/* The report of journey `key` on the analytic read `rd`; NULL with `err` set (404
 * journey_not_found). */
json_t *journey_report_doc(struct store_conn *rd, const char *key, int64_t window_days,
                           struct arena *a, struct kt_err *err);

#endif
