/*
 * clusters.c - customers clustered by behaviour (docs/segments.md, "Clusters"), for
 * POST /v1/clusters and `kartoteka cluster`: the features read from the store, k-means++
 * (cluster.c holds the arithmetic), each cluster described in words, and the trait "cluster"
 * stored.
 *
 * Features of every live customer with receipts: log(1 + days since the latest receipt),
 * log(1 + receipts), log(1 + roubles spent less refunds), log(1 + events of 90 days), the
 * shares of those events by channel (web, app, email, social) and the shares of the money by
 * the five biggest purchase categories of the base. Standardised; k-means++ (ten starts, a fixed
 * seed); each cluster described by the features its centre stands out on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "segment/cluster.h"
#include "segment/clusters.h"

#define DAY_MS     (86400LL * 1000)
#define CATEGORIES 5
#define BASE_FEATS 8
#define RESTARTS   10
#define SEED       20261124ULL
#define SIL_SAMPLE 2000

static const char *const base_names[BASE_FEATS] = {"recency", "receipts", "money", "events_90d",
                                                   "web",     "app",      "email", "social"};
/* What a centre far above / below the mean on a feature says, in a marketer's words. */
static const char *const high_words[BASE_FEATS] = {"long since the last purchase",
                                                   "buy often",
                                                   "spend much",
                                                   "very active online",
                                                   "mostly on the web",
                                                   "mostly in the app",
                                                   "mostly by e-mail",
                                                   "share on social"};
static const char *const low_words[BASE_FEATS] = {
    "bought recently", "buy rarely", "spend little", "rarely online", "", "", "", ""};

static size_t find_ck(const struct rfm_row *rows, size_t n, int64_t ck)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rows[mid].ck < ck) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && rows[lo].ck == ck ? lo : n;
}

static int cmp_money(const void *a, const void *b)
{
    const struct feature_row *x = a, *y = b;
    return (x->value < y->value) - (x->value > y->value);
}

/* The CATEGORIES biggest categories of the base by money, biggest first, into f->categories. */
static void top_categories(const struct feature_row *cat, size_t n_cat, struct arena *a,
                           struct cluster_features *f)
{
    struct feature_row *totals = arena_zalloc(a, (n_cat ? n_cat : 1) * sizeof(*totals));
    size_t n_tot = 0;
    for (size_t i = 0; i < n_cat; i++) {
        size_t t = 0;
        while (t < n_tot && strcmp(totals[t].name, cat[i].name) != 0) {
            t++;
        }
        if (t == n_tot) {
            totals[n_tot++] = (struct feature_row){0, cat[i].name, 0};
        }
        totals[t].value += cat[i].value;
    }
    qsort(totals, n_tot, sizeof(*totals), cmp_money);
    f->n_categories = n_tot < CATEGORIES ? n_tot : CATEGORIES;
    f->categories = arena_zalloc(a, (f->n_categories ? f->n_categories : 1) * sizeof(char *));
    for (size_t t = 0; t < f->n_categories; t++) {
        f->categories[t] = totals[t].name;
    }
}

/* Events of 90 days, and their shares by channel (columns 3-7). */
static void channel_features(const struct rfm_row *rows, const struct feature_row *ch, size_t n_ch,
                             struct cluster_features *f)
{
    size_t n = f->n, d = f->d;
    double *x = f->x, *events = calloc(n, sizeof(double));
    for (size_t i = 0; i < n_ch; i++) {
        size_t r = find_ck(rows, n, ch[i].ck);
        if (r == n) {
            continue;
        }
        events[r] += (double)ch[i].value;
        for (size_t j = 0; j < 4; j++) {
            if (strcmp(ch[i].name, base_names[4 + j]) == 0) {
                x[r * d + 4 + j] += (double)ch[i].value;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        x[i * d + 3] = log1p(events[i]);
        for (size_t j = 4; j < BASE_FEATS && events[i] > 0; j++) {
            x[i * d + j] /= events[i];
        }
    }
    free(events);
}

void cluster_features(const struct rfm_row *rows, size_t n, const struct feature_row *ch,
                      size_t n_ch, const struct feature_row *cat, size_t n_cat, int64_t now,
                      struct arena *a, struct cluster_features *f)
{
    memset(f, 0, sizeof(*f));
    top_categories(cat, n_cat, a, f);
    size_t cats = f->n_categories, d = BASE_FEATS + cats;
    f->n = n;
    f->d = d;
    f->x = calloc(n * d, sizeof(double));
    f->names = arena_zalloc(a, d * sizeof(char *));
    for (size_t j = 0; j < d; j++) {
        f->names[j] = j < BASE_FEATS
                          ? base_names[j]
                          : arena_printf(a, "category %s", f->categories[j - BASE_FEATS]);
    }
    double *x = f->x;
    for (size_t i = 0; i < n; i++) {
        x[i * d + 0] = log1p((double)((now - rows[i].last_at) / DAY_MS));
        x[i * d + 1] = log1p((double)rows[i].count);
        x[i * d + 2] = log1p((double)(rows[i].money > 0 ? rows[i].money : 0) / 100.0);
    }
    channel_features(rows, ch, n_ch, f);
    for (size_t i = 0; i < n_cat; i++) {
        size_t r = find_ck(rows, n, cat[i].ck);
        for (size_t t = 0; r < n && t < cats; t++) {
            if (strcmp(f->categories[t], cat[i].name) == 0 && rows[r].money > 0) {
                x[r * d + BASE_FEATS + t] = (double)cat[i].value / (double)rows[r].money;
            }
        }
    }
}

void cluster_features_release(struct cluster_features *f)
{
    free(f->x);
    f->x = NULL;
}

const char *cluster_describe(const struct cluster_features *f, const double *centre,
                             struct arena *a)
{
    /* the (up to) three features it stands out on most, half a deviation at least */
    struct buf words;
    buf_init(&words, 1024);
    bool used[64] = {false};
    size_t d = f->d;
    for (int w = 0; w < 3; w++) {
        size_t best = d;
        for (size_t j = 0; j < d && j < 64; j++) {
            if (!used[j] && fabs(centre[j]) >= 0.5 &&
                (best == d || fabs(centre[j]) > fabs(centre[best]))) {
                best = j;
            }
        }
        if (best == d) {
            break;
        }
        used[best] = true;
        const char *word =
            best >= BASE_FEATS
                ? (centre[best] > 0 ? arena_printf(a, "buy %s", f->categories[best - BASE_FEATS])
                                    : "")
            : centre[best] > 0 ? high_words[best]
                               : low_words[best];
        if (word[0] != '\0') {
            buf_printf(&words, "%s%s", words.len ? ", " : "", word);
        }
    }
    const char *out = arena_strdup(a, words.len ? buf_cstr(&words) : "close to the average");
    buf_release(&words);
    return out;
}

/* The rows, their events by channel of 90 days and their money by category, on one analytic
 * snapshot. */
static enum kt_rc read_rows(struct store *s, int64_t now, struct arena *a, struct rfm_row **rows,
                            size_t *n, struct feature_row **ch, size_t *n_ch,
                            struct feature_row **cat, size_t *n_cat, struct kt_err *err)
{
    struct store_conn *c;
    enum kt_rc rc = store_read_begin_analytics(s, &c, err);
    if (rc == KT_OK) {
        rc = store_rfm_rows(c, now, a, rows, n, err);
        if (rc == KT_OK) {
            rc = store_cluster_channels(c, now - 90 * DAY_MS, a, ch, n_ch, err);
        }
        if (rc == KT_OK) {
            rc = store_cluster_categories(c, a, cat, n_cat, err);
        }
        store_read_end(c);
    }
    return rc;
}

/* k within 1..n, in the words of the help and the API's range when there are too few. */
static enum kt_rc check_k(int k, size_t n, struct kt_err *err)
{
    if (k >= 1 && (size_t)k > n) {
        return kt_err_set(
            err, KT_EINVAL, "invalid_value", "k",
            "k is 2-20 and at most the number of customers with receipts, which is %zu", n);
    }
    if ((size_t)k > n || k < 1) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "k",
                          "k is 1-%zu: no more clusters than customers", n);
    }
    return KT_OK;
}

/* The standardised matrix as CSV, for a comparison with another tool. */
static enum kt_rc write_features(const char *path, const struct cluster_features *f,
                                 struct kt_err *err)
{
    FILE *out = fopen(path, "w");
    for (size_t i = 0; out != NULL && i < f->n; i++) {
        for (size_t j = 0; j < f->d; j++) {
            fprintf(out, "%s%.17g", j ? "," : "", f->x[i * f->d + j]);
        }
        fputc('\n', out);
    }
    if (out == NULL || fclose(out) != 0) {
        return kt_err_set(err, KT_EINVAL, "cannot_write", "features_out", "cannot write the file");
    }
    return KT_OK;
}

/* Each customer's cluster as the trait "cluster", in transactions of a thousand customers. */
static enum kt_rc store_labels(struct store *s, const struct rfm_row *rows, size_t n,
                               const int *labels, int64_t now, struct arena *a, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    struct store_conn *c;
    for (size_t i = 0; rc == KT_OK && i < n; i += 1000) {
        if ((rc = store_write_begin(s, &c, err)) != KT_OK) {
            break;
        }
        for (size_t r = i; rc == KT_OK && r < n && r < i + 1000; r++) {
            struct trait t = {"cluster", arena_printf(a, "%d", labels[r] + 1), now};
            rc = store_trait_put(c, rows[r].ck, &t, err);
        }
        rc = store_write_end(c, rc, err);
    }
    return rc;
}

/* The clusters: each one's number, size, description and centre (new reference). */
static json_t *clusters_json(const struct cluster_features *f, const struct kmeans_result *km,
                             int k, struct arena *a)
{
    json_t *clusters = json_array();
    for (int m = 0; m < k; m++) {
        const double *cen = km->centroids + (size_t)m * f->d;
        json_t *centre = json_object();
        for (size_t j = 0; j < f->d; j++) {
            json_object_set_new(centre, f->names[j], json_real(round(cen[j] * 1000) / 1000));
        }
        json_array_append_new(clusters, json_pack("{s:i, s:I, s:s, s:o}", "cluster", m + 1, "size",
                                                  (json_int_t)km->sizes[m], "description",
                                                  cluster_describe(f, cen, a), "centre", centre));
    }
    return clusters;
}

json_t *cluster_run(struct store *s, int k, int64_t now, bool store_traits,
                    const char *features_out, struct arena *a, struct kt_err *err)
{
    int64_t t0 = clock_mono_ns();
    struct rfm_row *rows = NULL;
    struct feature_row *ch = NULL, *cat = NULL;
    size_t n = 0, n_ch = 0, n_cat = 0;
    if (read_rows(s, now, a, &rows, &n, &ch, &n_ch, &cat, &n_cat, err) != KT_OK ||
        check_k(k, n, err) != KT_OK) {
        return NULL;
    }
    struct cluster_features f;
    cluster_features(rows, n, ch, n_ch, cat, n_cat, now, a, &f);
    cluster_standardise(f.x, n, f.d);
    if (features_out != NULL && write_features(features_out, &f, err) != KT_OK) {
        cluster_features_release(&f);
        return NULL;
    }
    struct kmeans_result km;
    kmeans(f.x, n, f.d, k, RESTARTS, SEED, &km);
    double sil = cluster_silhouette(f.x, n, f.d, km.labels, k, SIL_SAMPLE, SEED);
    double took = (double)(clock_mono_ns() - t0) / 1e6;
    json_t *names = json_array();
    for (size_t j = 0; j < f.d; j++) {
        json_array_append_new(names, json_string(f.names[j]));
    }
    json_t *clusters = clusters_json(&f, &km, k, a);
    enum kt_rc rc = store_traits ? store_labels(s, rows, n, km.labels, now, a, err) : KT_OK;
    json_t *o = json_pack("{s:i, s:I, s:o, s:f, s:i, s:f, s:f, s:b, s:o}", "k", k, "customers",
                          (json_int_t)n, "features", names, "inertia", km.inertia, "iterations",
                          km.iterations, "silhouette", sil, "took_ms", took, "stored",
                          store_traits && rc == KT_OK, "clusters", clusters);
    kmeans_free(&km);
    cluster_features_release(&f);
    if (rc != KT_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}
