/*
 * intake.c - the in-memory tally of intake statistics (see quality.h). Guarded by one mutex;
 * the tally is small (one entry per source and day).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "quality/quality.h"

struct tally {
    struct intake_row r; /* strings owned (kt_strdup) */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct tally *tallies; /* guarded by mu */
static size_t n_tallies, cap_tallies;
static int64_t last_flush; /* ms; guarded by mu */

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static struct tally *find(int64_t day, const char *channel, const char *store, const char *op)
{
    for (size_t i = 0; i < n_tallies; i++) {
        struct intake_row *r = &tallies[i].r;
        if (r->day == day && strcmp(r->channel, channel) == 0 && strcmp(r->store_id, store) == 0 &&
            strcmp(r->operator_id, op) == 0) {
            return &tallies[i];
        }
    }
    if (n_tallies == cap_tallies) {
        cap_tallies = cap_tallies ? cap_tallies * 2 : 16;
        tallies = kt_realloc(tallies, sizeof(*tallies) * cap_tallies);
    }
    struct tally *t = &tallies[n_tallies++];
    memset(t, 0, sizeof(*t));
    t->r.day = day;
    t->r.channel = kt_strdup(channel);
    t->r.store_id = kt_strdup(store);
    t->r.operator_id = kt_strdup(op);
    return t;
}

static void add(const struct intake_row *in)
{
    struct tally *t = find(in->day, in->channel, or_empty(in->store_id), or_empty(in->operator_id));
    t->r.requests += in->requests;
    t->r.refused += in->refused;
    t->r.ok += in->ok;
    t->r.corrected += in->corrected;
    t->r.suspicious += in->suspicious;
    t->r.invalid += in->invalid;
}

void intake_record(const struct ident_source *src, const struct upsert_req *req, bool refused,
                   int64_t now)
{
    struct intake_row r;
    memset(&r, 0, sizeof(r));
    r.day = now / 86400000;
    r.channel = src && src->channel ? src->channel : "unknown";
    r.store_id = src ? src->store_id : NULL;
    r.operator_id = src ? src->operator_id : NULL;
    r.requests = 1;
    r.refused = refused;
    if (req != NULL) {
        for (int f = 0; f < PF_COUNT; f++) {
            if (req->val[f] == NULL) {
                continue;
            }
            switch (quality_get(req->quality, f)) {
            case QUALITY_CORRECTED:
                r.corrected++;
                break;
            case QUALITY_SUSPICIOUS:
                r.suspicious++;
                break;
            default:
                r.ok++;
            }
        }
        r.ok += (int64_t)req->n_idents;
        r.invalid += (int64_t)req->n_refused;
    } else if (refused) {
        r.invalid = 1;
    }
    pthread_mutex_lock(&mu);
    add(&r);
    pthread_mutex_unlock(&mu);
}

static void free_all(struct tally *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)t[i].r.channel);
        free((char *)t[i].r.store_id);
        free((char *)t[i].r.operator_id);
    }
    free(t);
}

enum kt_rc intake_flush(struct store_conn *w, bool force, int64_t now, struct kt_err *err)
{
    pthread_mutex_lock(&mu);
    if ((!force && now - last_flush < 2000) || n_tallies == 0) {
        pthread_mutex_unlock(&mu);
        return KT_OK;
    }
    struct tally *t = tallies;
    size_t n = n_tallies;
    tallies = NULL;
    n_tallies = cap_tallies = 0;
    last_flush = now;
    pthread_mutex_unlock(&mu);
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; i < n && rc == KT_OK; i++) {
        rc = store_intake_add(w, &t[i].r, err);
    }
    if (rc != KT_OK) {
        /* The transaction will roll back: keep the counts for the next flush. */
        pthread_mutex_lock(&mu);
        for (size_t i = 0; i < n; i++) {
            add(&t[i].r);
        }
        pthread_mutex_unlock(&mu);
    }
    free_all(t, n);
    return rc;
}

enum kt_rc intake_flush_store(struct store *s, int64_t now, struct kt_err *err)
{
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc == KT_OK) {
        rc = intake_flush(w, true, now, err);
        rc = store_write_end(w, rc, err);
    }
    return rc;
}

void intake_reset(void)
{
    pthread_mutex_lock(&mu);
    free_all(tallies, n_tallies);
    tallies = NULL;
    n_tallies = cap_tallies = 0;
    last_flush = 0;
    pthread_mutex_unlock(&mu);
}
