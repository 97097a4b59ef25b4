/*
 * report.c - what a campaign earned (report.h; docs/messages.md, "What a campaign earned").
 * The store counts by group (campaign_report); this adds the totals of the messaged groups, the
 * uplift against the control group and the document both the API and the CLI give.
 */
#include "campaign/report.h"

#include <math.h>
#include <string.h>

#include "base/clock.h"

#define DAY_MS 86400000LL
#define Z95    1.959963984540054 /* the normal quantile of 97.5 % */

struct campaign_uplift campaign_uplift_of(int64_t n_t, double sum_t, double sq_t, int64_t n_c,
                                          double sum_c, double sq_c)
{
    struct campaign_uplift u = {0};
    if (n_t < 2 || n_c < 2) {
        return u;
    }
    u.ok = true;
    u.treated_mean = sum_t / (double)n_t;
    u.control_mean = sum_c / (double)n_c;
    /* The sample variances from the sums; never below 0 for rounding. */
    double var_t =
        fmax(0, (sq_t - (double)n_t * u.treated_mean * u.treated_mean) / (double)(n_t - 1));
    double var_c =
        fmax(0, (sq_c - (double)n_c * u.control_mean * u.control_mean) / (double)(n_c - 1));
    double se = sqrt(var_t / (double)n_t + var_c / (double)n_c);
    u.difference = u.treated_mean - u.control_mean;
    u.low = u.difference - Z95 * se;
    u.high = u.difference + Z95 * se;
    return u;
}

static json_t *counts(const struct campaign_report_group *g)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I}",
                     "members", (json_int_t)g->members, "sent", (json_int_t)g->sent, "delivered",
                     (json_int_t)g->delivered, "opened", (json_int_t)g->opened, "clicked",
                     (json_int_t)g->clicked, "bounced", (json_int_t)g->bounced, "complained",
                     (json_int_t)g->complained, "unsubscribed", (json_int_t)g->unsubscribed,
                     "capped", (json_int_t)g->capped, "suppressed", (json_int_t)g->suppressed,
                     "failed", (json_int_t)g->failed, "queued", (json_int_t)g->pending, "converted",
                     (json_int_t)g->converted, "revenue", (json_int_t)g->revenue, "buyers",
                     (json_int_t)g->buyers, "window_revenue", (json_int_t)g->window_revenue);
}

static void add(struct campaign_report_group *t, const struct campaign_report_group *g)
{
    t->members += g->members;
    t->sent += g->sent;
    t->delivered += g->delivered;
    t->opened += g->opened;
    t->clicked += g->clicked;
    t->bounced += g->bounced;
    t->complained += g->complained;
    t->unsubscribed += g->unsubscribed;
    t->capped += g->capped;
    t->suppressed += g->suppressed;
    t->failed += g->failed;
    t->pending += g->pending;
    t->converted += g->converted;
    t->revenue += g->revenue;
    t->buyers += g->buyers;
    t->window_revenue += g->window_revenue;
    t->window_revenue_sq += g->window_revenue_sq;
    t->last_at = g->last_at > t->last_at ? g->last_at : t->last_at;
}

static json_int_t kopecks(double v)
{
    return (json_int_t)llround(v);
}

json_t *campaign_uplift_json(int64_t n_t, double sum_t, double sq_t, int64_t n_c, double sum_c,
                             double sq_c)
{
    struct campaign_uplift u = campaign_uplift_of(n_t, sum_t, sq_t, n_c, sum_c, sq_c);
    if (!u.ok) {
        return json_null();
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "treated_customers",
                     (json_int_t)n_t, "control_customers", (json_int_t)n_c,
                     "treated_revenue_per_customer", kopecks(u.treated_mean),
                     "control_revenue_per_customer", kopecks(u.control_mean), "difference",
                     kopecks(u.difference), "difference_low", kopecks(u.low), "difference_high",
                     kopecks(u.high), "confidence", 0.95);
}

static json_t *uplift_doc(const struct campaign_report_group *t,
                          const struct campaign_report_group *c)
{
    if (c == NULL) {
        return json_null();
    }
    return campaign_uplift_json(t->members, (double)t->window_revenue, t->window_revenue_sq,
                                c->members, (double)c->window_revenue, c->window_revenue_sq);
}

json_t *campaign_report_doc(struct store_conn *rd, const char *id, int64_t now, struct arena *a,
                            struct kt_err *err)
{
    struct campaign cp;
    if (store_campaign_get(rd, id, a, &cp, NULL, err) != KT_OK) {
        return NULL;
    }
    int64_t window_ms = cp.window_days * DAY_MS;
    struct campaign_report_group *g = NULL;
    size_t n = 0;
    if (store_campaign_report(rd, id, window_ms, a, &g, &n, err) != KT_OK) {
        return NULL;
    }
    struct campaign_report_group total = {.grp = "total"};
    const struct campaign_report_group *control = NULL;
    int64_t last_at = 0;
    json_t *groups = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = counts(&g[i]);
        json_object_set_new(o, "group", json_string(g[i].grp));
        json_array_append_new(groups, o);
        last_at = g[i].last_at > last_at ? g[i].last_at : last_at;
        if (strcmp(g[i].grp, "control") == 0) {
            control = &g[i];
        } else {
            add(&total, &g[i]);
        }
    }
    /* Final once every member is handled and the last one's window has passed. */
    bool handled = strcmp(cp.state, "done") == 0 || strcmp(cp.state, "cancelled") == 0;
    int64_t ends = n > 0 ? last_at + window_ms : 0;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:o, s:b, s:o, s:o, s:o}", "id", cp.id,
                            "name", cp.name, "state", cp.state, "channel", cp.channel,
                            "conversion_window_days", (json_int_t)cp.window_days, "as_of",
                            time_rfc3339(a, now), "conversion_window_ends_at",
                            ends > 0 ? json_string(time_rfc3339(a, ends)) : json_null(), "final",
                            handled && ends > 0 && now >= ends, "groups", groups, "totals",
                            counts(&total), "uplift", uplift_doc(&total, control));
    return doc;
}
