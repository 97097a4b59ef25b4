/*
 * rfm.h - recency, frequency and monetary scores, 1-5, and the groups marketers name by them
 * (docs/segments.md, "RFM").
 *
 * A score is by quintiles, ties kept together, each measure counted from the end where its ties
 * pile up. Recency (whole days since the latest receipt, fewer is better) from the best end:
 * 5 - floor(5 x (customers strictly more recent) / customers), so the most recent day scores 5.
 * Frequency (receipts) and monetary (totals less refunds) from the worst end: 1 + floor(5 x
 * (customers strictly below) / customers), so one-time buyers score 1.
 */
#ifndef KT_SEGMENT_RFM_H
#define KT_SEGMENT_RFM_H

#include <jansson.h>
#include <stdbool.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/model.h"
#include "store/store.h"

struct rfm_score {
    int r, f, m;
    int64_t days; /* since the latest receipt */
    const char *group;
};

/* The groups, in the order reports list them. */
extern const char *const rfm_groups[];
#define RFM_GROUPS 11

/* Scores every row as of `now` (out has n entries). */
void rfm_score(const struct rfm_row *rows, size_t n, int64_t now, struct rfm_score *out);

/* The group of a recency and frequency score. */
const char *rfm_group(int r, int f);

/* ---- over the store (rfm_report.c) ------------------------------------------------------- */

/* The report as of `now` on a read connection: {"as_of", "customers", "groups", "scores_1_to_5"}
 * and, with `customers`, every customer's scores in "items" (new reference; NULL with err set). */
json_t *rfm_report_doc(struct store_conn *rd, int64_t now, bool customers, struct arena *a,
                       struct kt_err *err);
/* Stores every customer's scores as the traits rfm_score and rfm_group: read on an analytic
 * snapshot, written in transactions of a thousand customers. `stored` counts the customers. */
enum kt_rc rfm_traits_store(struct store *s, int64_t now, struct arena *a, int64_t *stored,
                            struct kt_err *err);

#endif
