/*
 * report.c - the quality report: the counts of store_quality() turned into shares, rates and
 * rankings. What "complete" means is the loyalty programme's default spend gate (phone verified,
 * first name, birth date); consent joins it when consent is recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "quality/quality.h"

#define MIN_VOLUME 20 /* a source with fewer requests is not ranked: its rates mean little */

static double share(int64_t part, int64_t whole)
{
    return whole > 0 ? (double)(part * 10000 / whole) / 10000.0 : 0.0;
}

static int64_t refused_for(const struct quality_data *q, const char *field)
{
    for (size_t i = 0; i < q->n_refused; i++) {
        if (strcmp(q->refused[i].key, field) == 0) {
            return q->refused[i].n;
        }
    }
    return 0;
}

static json_t *fields_json(const struct quality_data *q, struct arena *a, json_t **validity)
{
    json_t *fields = json_object();
    *validity = json_object();
    for (int f = 0; f < PF_COUNT; f++) {
        json_object_set_new(fields, pf_names[f],
                            json_pack("{s:I, s:f}", "filled", (json_int_t)q->filled[f], "share",
                                      share(q->filled[f], q->customers)));
        int64_t bad = q->corrected[f] + q->suspicious[f];
        json_object_set_new(
            *validity, pf_names[f],
            json_pack("{s:I, s:I, s:I, s:I}", "ok", (json_int_t)(q->filled[f] - bad), "corrected",
                      (json_int_t)q->corrected[f], "suspicious", (json_int_t)q->suspicious[f],
                      "refused",
                      (json_int_t)refused_for(q, arena_printf(a, "profile.%s", pf_names[f]))));
    }
    return fields;
}

struct agg {
    const char *key;
    int64_t requests, refused, values, fixed, junk; /* junk: suspicious + invalid */
};

static void sum_into(struct agg *g, const struct intake_row *r)
{
    g->requests += r->requests;
    g->refused += r->refused;
    g->values += r->ok + r->corrected + r->suspicious + r->invalid;
    g->fixed += r->corrected;
    g->junk += r->suspicious + r->invalid;
}

static void add_to(struct agg **list, size_t *n, size_t *cap, struct arena *a, const char *key,
                   const struct intake_row *r)
{
    size_t i = 0;
    while (i < *n && strcmp((*list)[i].key, key) != 0) {
        i++;
    }
    if (i == *n) {
        struct agg *g = arena_push(a, list, n, cap, sizeof(*g));
        g->key = key;
    }
    sum_into(&(*list)[i], r);
}

static int by_junk(const void *x, const void *y)
{
    const struct agg *a = x, *b = y;
    double ra = a->values ? (double)a->junk / (double)a->values : 0;
    double rb = b->values ? (double)b->junk / (double)b->values : 0;
    return ra < rb ? 1 : ra > rb ? -1 : strcmp(a->key, b->key);
}

/* The key a row counts under when sources are grouped by channel (0), store (1) or operator (2);
 * NULL when the row has no store or operator (counted under its channel only). */
static const char *source_key(const struct intake_row *r, int by, struct arena *a)
{
    const char *key = by == 0 ? r->channel : by == 1 ? r->store_id : r->operator_id;
    if (by > 0 && key[0] == '\0') {
        return NULL;
    }
    return by == 2 ? arena_printf(a, "%s|%s", r->store_id, key) : key;
}

/* A group's counts and rates into `o`. */
static json_t *agg_json(json_t *o, const struct agg *g)
{
    json_object_update_new(
        o,
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "requests", (json_int_t)g->requests,
                  "refused", (json_int_t)g->refused, "values", (json_int_t)g->values, "corrected",
                  (json_int_t)g->fixed, "suspicious_or_invalid", (json_int_t)g->junk, "error_rate",
                  share(g->refused, g->requests), "junk_rate", share(g->junk, g->values)));
    return o;
}

/* A source's name members: channel, store, or store and operator. */
static json_t *source_json(const char *key, int by)
{
    json_t *o = json_object();
    if (by == 2) {
        const char *bar = strchr(key, '|');
        json_object_set_new(o, "store", json_stringn(key, (size_t)(bar - key)));
        json_object_set_new(o, "operator", json_string(bar + 1));
    } else {
        json_object_set_new(o, by == 0 ? "channel" : "store", json_string(key));
    }
    return o;
}

/* Sources of `rows` grouped by `by`, worst first; those with fewer than MIN_VOLUME requests (but
 * channels) left out. */
static struct agg *ranked(const struct intake_row *rows, size_t n_rows, int by, struct arena *a,
                          size_t *n)
{
    struct agg *list = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const char *key = source_key(&rows[i], by, a);
        if (key != NULL) {
            add_to(&list, n, &cap, a, key, &rows[i]);
        }
    }
    if (*n > 1) {
        qsort(list, *n, sizeof(*list), by_junk);
    }
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        if (by == 0 || list[i].requests >= MIN_VOLUME) {
            list[kept++] = list[i];
        }
    }
    *n = kept;
    return list;
}

/* Sources grouped by one of channel (0), store (1), operator (2), worst first. */
static json_t *sources(const struct quality_data *q, int by, struct arena *a)
{
    size_t n;
    struct agg *list = ranked(q->intake, q->n_intake, by, a, &n);
    json_t *out = json_array();
    for (size_t i = 0; i < n && i < 50; i++) {
        json_array_append_new(out, agg_json(source_json(list[i].key, by), &list[i]));
    }
    return out;
}

/* The open pairs of the duplicates' queue by where the newer customer came from. */
static json_t *fuzzy(struct store_conn *r, struct arena *a, struct kt_err *err)
{
    static const char *const names[3] = {"channel", "store", "operator"};
    json_t *o = json_object();
    int64_t open = 0;
    for (int by = 0; by < 3; by++) {
        struct quality_count *rows = NULL;
        size_t n = 0;
        if (store_dup_pair_sources(r, by, by == 0 ? 1000 : 20, a, &rows, &n, err) != KT_OK) {
            json_decref(o);
            return NULL;
        }
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++) {
            open += by == 0 ? rows[i].n : 0;
            json_array_append_new(list, json_pack("{s:s, s:I}", names[by], rows[i].key, "pairs",
                                                  (json_int_t)rows[i].n));
        }
        json_object_set_new(o, by == 0 ? "by_channel" : by == 1 ? "by_store" : "by_operator", list);
    }
    json_object_set_new(o, "open_pairs", json_integer(open));
    return o;
}

static json_t *duplicates(const struct quality_data *q)
{
    json_t *largest = json_array();
    for (size_t i = 0; i < q->n_dup_samples; i++) {
        json_t *ids = json_array();
        const char *p = q->dup_samples[i].key;
        while (*p != '\0' && json_array_size(ids) < 20) {
            size_t n = strcspn(p, ",");
            json_array_append_new(ids, json_stringn(p, n));
            p += n + (p[n] == ',');
        }
        json_array_append_new(
            largest,
            json_pack("{s:I, s:o}", "size", (json_int_t)q->dup_samples[i].n, "customer_ids", ids));
    }
    return json_pack("{s:{s:I, s:I}, s:{s:I, s:I, s:o}}", "shared_identifiers", "open_pairs",
                     (json_int_t)q->candidates_open, "customers",
                     (json_int_t)q->candidates_customers, "same_name_and_birth_date", "groups",
                     (json_int_t)q->dup_groups, "customers", (json_int_t)q->dup_customers,
                     "largest", largest);
}

static json_t *cards(const struct quality_data *q)
{
    json_t *o = json_pack("{s:i, s:i}", "1", 0, "2", 0);
    int64_t with = 0, three = 0;
    for (size_t i = 0; i < q->n_cards; i++) {
        with += q->cards[i].n;
        if (strcmp(q->cards[i].key, "1") == 0 || strcmp(q->cards[i].key, "2") == 0) {
            json_object_set_new(o, q->cards[i].key, json_integer(q->cards[i].n));
        } else {
            three += q->cards[i].n;
        }
    }
    json_object_set_new(o, "0", json_integer(q->customers - with));
    json_object_set_new(o, "3+", json_integer(three));
    return o;
}

enum kt_rc quality_report(struct store_conn *r, int64_t now, struct arena *a, json_t **out,
                          struct kt_err *err)
{
    struct quality_data q;
    enum kt_rc rc = store_quality(r, now, now / 86400000 - 90, a, &q, err);
    if (rc != KT_OK) {
        return rc;
    }
    json_t *fuzzy_pairs = fuzzy(r, a, err);
    if (fuzzy_pairs == NULL) {
        return err->rc;
    }
    json_t *validity;
    json_t *fields = fields_json(&q, a, &validity);
    json_t *attrs = json_object();
    for (size_t i = 0; i < q.n_attrs; i++) {
        json_object_set_new(attrs, q.attrs[i].key,
                            json_pack("{s:I, s:f}", "filled", (json_int_t)q.attrs[i].n, "share",
                                      share(q.attrs[i].n, q.customers)));
    }
    char ts[40];
    *out = json_pack(
        "{s:s, s:I, s:{s:o, s:o, s:{s:I, s:f, s:[sss]}}, s:o, s:{s:{s:I, s:I, s:f, s:I}, "
        "s:{s:I, s:I, s:f, s:I}, s:I}, s:o, s:{s:I, s:I, s:I}, s:{s:i, s:o, s:o, s:o}, s:o}",
        "generated_at", time_format_rfc3339(now, ts, sizeof(ts)), "customers",
        (json_int_t)q.customers, "completeness", "fields", fields, "attributes", attrs,
        "complete_profile", "count", (json_int_t)q.complete, "share",
        share(q.complete, q.customers), "requires", "phone verified", "first_name", "birth_date",
        "validity", validity, "verification", "phone", "filled", (json_int_t)q.filled[PF_PHONE],
        "verified", (json_int_t)q.phone_verified, "share",
        share(q.phone_verified, q.filled[PF_PHONE]), "undeliverable",
        (json_int_t)q.phone_undeliverable, "email", "filled", (json_int_t)q.filled[PF_EMAIL],
        "verified", (json_int_t)q.email_verified, "share",
        share(q.email_verified, q.filled[PF_EMAIL]), "undeliverable",
        (json_int_t)q.email_undeliverable, "gender_inferred", (json_int_t)q.gender_inferred,
        "duplicates", duplicates(&q), "freshness", "not_updated_12_months", (json_int_t)q.stale[0],
        "not_updated_24_months", (json_int_t)q.stale[1], "not_updated_36_months",
        (json_int_t)q.stale[2], "sources", "days", 90, "by_channel", sources(&q, 0, a), "by_store",
        sources(&q, 1, a), "by_operator", sources(&q, 2, a), "cards_per_customer", cards(&q));
    if (*out != NULL) {
        json_object_set_new(json_object_get(*out, "duplicates"), "fuzzy", fuzzy_pairs);
    } else {
        json_decref(fuzzy_pairs);
    }
    return *out ? KT_OK : kt_err_set(err, KT_EINTERNAL, "internal", NULL, "report encoding");
}

/* One source's days: rows in day order (`keys` their sources' keys), those of `key` summed per
 * day. */
static json_t *source_days(const struct intake_row *rows, const char *const *keys, size_t n_rows,
                           const char *key, struct arena *a)
{
    json_t *days = json_array();
    struct agg day = {0};
    int64_t cur = -1;
    for (size_t i = 0; i <= n_rows; i++) {
        if (i < n_rows && (keys[i] == NULL || strcmp(keys[i], key) != 0)) {
            continue;
        }
        if (cur >= 0 && (i == n_rows || rows[i].day != cur)) {
            json_array_append_new(
                days, agg_json(json_pack("{s:s}", "since", time_rfc3339(a, cur * 86400000)), &day));
            memset(&day, 0, sizeof(day));
        }
        if (i < n_rows) {
            cur = rows[i].day;
            sum_into(&day, &rows[i]);
        }
    }
    return days;
}

enum kt_rc quality_daily(struct store_conn *r, int64_t since_day, int64_t until_day, int by,
                         int limit, struct arena *a, json_t **out, struct kt_err *err)
{
    static const char *const names[] = {"channel", "store", "operator"};
    struct intake_row *rows;
    size_t n_rows, n;
    enum kt_rc rc = store_intake_daily(r, since_day, until_day, a, &rows, &n_rows, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct agg *list = ranked(rows, n_rows, by, a, &n);
    const char **keys = arena_alloc(a, (n_rows + 1) * sizeof(*keys));
    for (size_t i = 0; i < n_rows; i++) {
        keys[i] = source_key(&rows[i], by, a);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n && i < (size_t)limit; i++) {
        json_t *o = agg_json(source_json(list[i].key, by), &list[i]);
        json_object_set_new(o, "series", source_days(rows, keys, n_rows, list[i].key, a));
        json_array_append_new(items, o);
    }
    *out =
        json_pack("{s:s, s:s, s:s, s:I, s:o}", "by", names[by], "since",
                  time_rfc3339(a, since_day * 86400000), "until",
                  time_rfc3339(a, until_day * 86400000), "count", (json_int_t)n, "sources", items);
    return *out ? KT_OK : kt_err_set(err, KT_EINTERNAL, "internal", NULL, "report encoding");
}
