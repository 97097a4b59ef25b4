/*
 * enqueue.c - the job `campaign_enqueue` (campaign.h): a due scheduled campaign started, a
 * started one's audience frozen, its members enqueued in batches, and a campaign whose members
 * are all handled and whose messages have all left the queue marked done.
 *
 * A batch is read and rendered on a read transaction, then written in one write transaction
 * that first checks the campaign is still running with the cursor where the batch began: a pause
 * or a cancel between the two, or another run of the job (a second process, an on-demand run)
 * that went first, discards the batch unwritten. Each message's outbox id is the keyed hash of
 * "campaign:<id>:<ck>" and each member's row is keyed by campaign and customer, so even a batch
 * written twice makes no second message.
 */
#include <pthread.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "campaign/campaign.h"
#include "consent/consent.h"
#include "deliver/outbox.h"
#include "deliver/template_store.h"
#include "segment/saved.h"

#define FREEZE_CHUNK 10000 /* audience keys written per transaction */
#define NS_PER_MS    1000000LL

/* What a run keeps across the batches of one campaign: its templates compiled once. */
struct run {
    struct store *s;
    const struct key_secret *secret;
    int64_t now;
    struct campaign cp;
    struct msg_tpl tpl[CAMPAIGN_VARIANTS_MAX];
    size_t n_tpl;
    const char *public_url; /* or NULL; an e-mail campaign's is checked at its start */
    struct arena *keep;     /* what lives as long as the run: the campaign, the templates */
};

struct item {
    struct campaign_member m;
    struct outbox_msg msg; /* msg.id NULL: nothing to enqueue */
    bool no_address;       /* recorded suppressed "no_address" */
};

static void run_release(struct run *r)
{
    for (size_t i = 0; i < r->n_tpl; i++) {
        msg_tpl_release(&r->tpl[i]);
    }
    r->n_tpl = 0;
}

/* ---- the audience frozen --------------------------------------------------------------------- */

/* The keys of the audience now, on an analytic read (never the query inside a write). */
static enum kt_rc evaluate(struct run *r, struct arena *a, int64_t **cks, size_t *n,
                           struct kt_err *err)
{
    struct store_conn *rd;
    const char *query = r->cp.query;
    struct seg_node *tree;
    struct seg_error se;
    if (store_read_begin_analytics(r->s, &rd, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = KT_OK;
    if (r->cp.segment_id != NULL) {
        struct segment sg;
        rc = store_segment_get(rd, r->cp.segment_id, a, &sg, err);
        query = rc == KT_OK ? sg.query : NULL;
    }
    if (rc == KT_OK && !segment_parse(query, a, &tree, &se)) {
        rc = kt_err_set(err, KT_EINTERNAL, "bad_stored_query", "query",
                        "the campaign's query no longer parses: %s", se.message);
    }
    if (rc == KT_OK) {
        rc = store_segment_eval(rd, segment_compile(tree, r->now, a), a, cks, n, err);
    }
    store_read_end(rd);
    return rc;
}

/* A write transaction on the campaign, still in `state` with its cursor at `cursor` (`cur` as it
 * is now): *go false when it is not - a pause, a cancel or another run moved it - and then the
 * transaction is already rolled back. */
static enum kt_rc begin_if(struct run *r, const char *state, int64_t cursor, struct arena *a,
                           struct store_conn **w, struct campaign *cur, bool *go,
                           struct kt_err *err)
{
    *go = false;
    if (store_write_begin(r->s, w, err) != KT_OK) {
        return err->rc;
    }
    if (store_campaign_get(*w, r->cp.id, a, cur, NULL, err) != KT_OK) {
        store_write_rollback(*w);
        return err->rc;
    }
    *go = strcmp(cur->state, state) == 0 && cur->cursor_ck == cursor;
    if (!*go) {
        store_write_rollback(*w);
    }
    return KT_OK;
}

/* Evaluates the audience once and writes it in chunks; the last transaction records its size.
 * A freeze a crash cut short is started again from nothing (nothing was enqueued yet). */
static enum kt_rc freeze(struct run *r, struct arena *a, struct kt_err *err)
{
    int64_t *cks = NULL;
    size_t n = 0;
    if (evaluate(r, a, &cks, &n, err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *w;
    struct campaign cur;
    bool go;
    for (size_t i = 0; i == 0 || i < n; i += FREEZE_CHUNK) {
        if (begin_if(r, "running", 0, a, &w, &cur, &go, err) != KT_OK) {
            return err->rc;
        }
        if (!go || cur.audience >= 0) { /* moved, or frozen by another run */
            if (go) {
                store_write_rollback(w);
            }
            return KT_OK;
        }
        enum kt_rc rc = i == 0 ? store_campaign_audience_clear(w, r->cp.id, err) : KT_OK;
        size_t k = n - i < FREEZE_CHUNK ? n - i : FREEZE_CHUNK;
        rc = rc == KT_OK && k > 0 ? store_campaign_audience_add(w, r->cp.id, cks + i, k, err) : rc;
        if (rc == KT_OK && i + FREEZE_CHUNK >= n) {
            cur.audience = (int64_t)n;
            cur.started_at = cur.updated_at = r->now;
            rc = store_campaign_update(w, &cur, err);
            r->cp = cur;
        }
        if (store_write_end(w, rc, err) != KT_OK) {
            return err->rc;
        }
    }
    log_info("campaign_frozen", "campaign=%s audience=%zu", r->cp.id, n);
    return KT_OK;
}

/* ---- one batch ------------------------------------------------------------------------------- */

static const struct msg_tpl *tpl_of(const struct run *r, const char *grp)
{
    for (size_t i = 0; i < r->n_tpl; i++) {
        if (strcmp(r->cp.variants[i].name, grp) == 0) {
            return &r->tpl[i];
        }
    }
    return NULL;
}

/* Compiles each variant's template version, once per run (in the run's arena). */
static enum kt_rc prepare(struct run *r, struct store_conn *rd, struct kt_err *err)
{
    struct arena *a = r->keep;
    if (r->n_tpl == r->cp.n_variants) {
        return KT_OK;
    }
    struct privacy_settings ps; /* public_url: an e-mail's unsubscribe link, her wallet's */
    if (privacy_settings_get(rd, a, &ps, err) != KT_OK) {
        return err->rc;
    }
    r->public_url = ps.public_url != NULL && ps.public_url[0] != '\0' ? ps.public_url : NULL;
    if (strcmp(r->cp.channel, "email") == 0 && r->public_url == NULL) {
        return kt_err_set(err, KT_EINVAL, "public_url_required", "channel",
                          "public_url was unset after the campaign started");
    }
    for (; r->n_tpl < r->cp.n_variants; r->n_tpl++) {
        const struct campaign_variant *v = &r->cp.variants[r->n_tpl];
        struct msg_template *row = arena_alloc(a, sizeof(*row));
        if (store_template_get(rd, v->template, v->version, a, row, NULL, err) != KT_OK ||
            msg_tpl_compile(row, &r->tpl[r->n_tpl], err) != KT_OK) {
            return err->rc;
        }
    }
    return KT_OK;
}

static const char *part(const json_t *parts, const char *name)
{
    return json_string_value(json_object_get(parts, name));
}

/* The message of a variant's member: rendered for her now, to her address now. */
static enum kt_rc compose(struct run *r, struct store_conn *rd, const struct customer *cu,
                          struct item *it, struct arena *a, struct kt_err *err)
{
    json_t *ctx = NULL, *out = NULL;
    struct msg_links links = {r->secret, r->public_url};
    enum kt_rc rc = msg_context_json(rd, cu, NULL, &links, r->now, a, &ctx, err);
    rc = rc == KT_OK ? msg_tpl_render_json(tpl_of(r, it->m.grp), ctx, a, &out, err) : rc;
    if (rc == KT_OK) {
        const json_t *p = json_object_get(out, "parts");
        bool email = strcmp(r->cp.channel, "email") == 0;
        const char *unsub =
            email ? smtp_unsubscribe_url(r->secret, r->public_url, cu->id, r->cp.topic, a) : NULL;
        it->msg.content =
            outbox_content(r->cp.channel, cu->id, part(p, "subject"), part(p, "text"),
                           part(p, "html"), part(p, "title"), part(p, "body"), unsub, a);
        it->msg.recipient = email ? cu->val[PF_EMAIL] : NULL;
        it->no_address = email && it->msg.recipient == NULL;
    }
    json_decref(out);
    json_decref(ctx);
    return rc;
}

/* Reads the next batch after the cursor and makes its items; *n 0 when the audience is done. */
static enum kt_rc read_batch(struct run *r, int64_t from, struct arena *a, struct item **items,
                             size_t *n, int64_t *last, struct kt_err *err)
{
    struct store_conn *rd;
    int64_t *cks = NULL;
    if (store_read_begin(r->s, &rd, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = prepare(r, rd, err);
    rc = rc == KT_OK
             ? store_campaign_audience_next(rd, r->cp.id, from, CAMPAIGN_BATCH, a, &cks, n, err)
             : rc;
    *items = rc == KT_OK ? arena_alloc(a, (*n + 1) * sizeof(**items)) : NULL;
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        struct item *it = &(*items)[i];
        struct customer cu;
        bool found = false;
        *it = (struct item){.m = {cks[i], campaign_group(&r->cp, cks[i]), NULL, r->now}};
        *last = cks[i];
        if (strcmp(it->m.grp, "control") == 0) {
            continue;
        }
        rc = store_customer_get(rd, cks[i], a, &cu, &found, err);
        if (rc != KT_OK || !found || cu.merged_into != 0 || cu.erased_at != 0) {
            it->m.grp = NULL; /* gone since the freeze: left out */
            continue;
        }
        const char *origin = arena_printf(a, "campaign:%s:%lld", r->cp.id, (long long)cks[i]);
        it->msg = (struct outbox_msg){.id = outbox_id(r->secret, origin, a),
                                      .ck = cks[i],
                                      .channel = r->cp.channel,
                                      .kind = "marketing",
                                      .topic = r->cp.topic,
                                      .state = "queued",
                                      .next_at = r->now,
                                      .created_at = r->now,
                                      .updated_at = r->now,
                                      .campaign_id = r->cp.id};
        it->m.message_id = it->msg.id;
        rc = compose(r, rd, &cu, it, a, err);
    }
    store_read_end(rd);
    return rc;
}

static enum kt_rc write_item(struct store_conn *w, const char *id, struct item *it,
                             int64_t counts[2], struct kt_err *err)
{
    bool created = false;
    if (it->m.grp == NULL) {
        return KT_OK;
    }
    if (it->msg.id != NULL) {
        if (store_outbox_add(w, &it->msg, &created, err) != KT_OK) {
            return err->rc;
        }
        counts[0] += created;
        if (created && it->no_address) {
            it->msg.state = "suppressed";
            it->msg.reason = "no_address";
            if (store_outbox_update(w, &it->msg, err) != KT_OK) {
                return err->rc;
            }
        }
    }
    if (store_campaign_member_add(w, id, &it->m, &created, err) != KT_OK) {
        return err->rc;
    }
    counts[1] += created && it->msg.id == NULL;
    return KT_OK;
}

/* A batch read and rendered, waiting to be written: its members after `from`, up to `last`. */
struct pending {
    struct run *r;
    struct arena a;
    struct item *items;
    size_t k;
    int64_t from, last;
    enum kt_rc rc;
    struct kt_err err;
};

static void *read_pending(void *arg)
{
    struct pending *p = arg;
    kt_err_reset(&p->err);
    p->k = 0;
    p->last = p->from;
    p->rc = read_batch(p->r, p->from, &p->a, &p->items, &p->k, &p->last, &p->err);
    return NULL;
}

/* Writes a batch: *more false when the campaign has nothing left to enqueue (or stopped
 * running, and then nothing is written). */
static enum kt_rc write_batch(struct run *r, struct pending *p, int64_t n[2], bool *more,
                              struct kt_err *err)
{
    int64_t counts[2] = {0, 0};
    struct store_conn *w;
    struct campaign cur;
    bool go;
    *more = false;
    if (begin_if(r, "running", p->from, &p->a, &w, &cur, &go, err) != KT_OK || !go) {
        return go ? err->rc : KT_OK;
    }
    enum kt_rc rc = KT_OK;
    if (p->k == 0) { /* every member handled: done once none of its messages waits */
        int64_t waiting = 0;
        rc = store_campaign_outbox_waiting(w, r->cp.id, &waiting, err);
        if (rc == KT_OK && waiting == 0) {
            cur.state = "done";
            cur.finished_at = cur.updated_at = r->now;
            rc = store_campaign_audience_clear(w, r->cp.id, err);
            rc = rc == KT_OK ? store_campaign_update(w, &cur, err) : rc;
        }
        return store_write_end(w, rc, err);
    }
    for (size_t i = 0; rc == KT_OK && i < p->k; i++) {
        rc = write_item(w, r->cp.id, &p->items[i], counts, err);
    }
    if (rc == KT_OK) {
        cur.cursor_ck = p->last;
        cur.enqueued += counts[0];
        cur.control += counts[1];
        cur.updated_at = r->now;
        rc = store_campaign_update(w, &cur, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    n[0] += counts[0];
    n[1] += counts[1];
    r->cp.cursor_ck = p->last;
    *more = true;
    return KT_OK;
}

/* The batches until the budget is spent, pipelined: while one is written on this thread, the
 * next is read and rendered on another (a read transaction of its own; the templates are compiled
 * by the first read, then only read). A write that finds the campaign moved ends the run, and
 * the batch read ahead is dropped unwritten. */
static enum kt_rc enqueue(struct run *r, int64_t deadline, int64_t n[2], struct kt_err *err)
{
    struct pending slot[2] = {{.r = r, .from = r->cp.cursor_ck}, {.r = r}};
    struct pending *cur = &slot[0], *next = &slot[1];
    arena_init(&slot[0].a, 0);
    arena_init(&slot[1].a, 0);
    read_pending(cur);
    enum kt_rc rc = cur->rc;
    if (rc != KT_OK) {
        *err = cur->err;
    }
    bool more = rc == KT_OK;
    while (more) {
        pthread_t th;
        bool ahead = cur->k > 0 && clock_mono_ns() < deadline, started = false;
        if (ahead) {
            arena_release(&next->a);
            next->from = cur->last;
            started = pthread_create(&th, NULL, read_pending, next) == 0;
        }
        rc = write_batch(r, cur, n, &more, err);
        if (started) {
            pthread_join(th, NULL);
        }
        if (rc != KT_OK || !more || !ahead) {
            break;
        }
        if (!started) {
            read_pending(next);
        }
        if (next->rc != KT_OK) {
            *err = next->err;
            rc = next->rc;
            break;
        }
        struct pending *t = cur;
        cur = next;
        next = t;
    }
    arena_release(&slot[0].a);
    arena_release(&slot[1].a);
    return rc;
}

/* ---- the job --------------------------------------------------------------------------------- */

/* A due scheduled campaign becomes running. */
static enum kt_rc start_due(struct run *r, struct arena *a, struct kt_err *err)
{
    struct store_conn *w;
    struct campaign cur;
    bool go;
    if (begin_if(r, "scheduled", r->cp.cursor_ck, a, &w, &cur, &go, err) != KT_OK || !go) {
        return go ? err->rc : KT_OK;
    }
    cur.state = "running";
    cur.updated_at = r->now;
    enum kt_rc rc = store_campaign_update(w, &cur, err);
    if (store_write_end(w, rc, err) == KT_OK) {
        r->cp = cur;
    }
    return err->rc;
}

/* The campaign as the last commit has it. */
static enum kt_rc load(struct run *r, const char *id, struct arena *a, struct kt_err *err)
{
    struct store_conn *rd;
    if (store_read_begin(r->s, &rd, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_campaign_get(rd, id, a, &r->cp, NULL, err);
    store_read_end(rd);
    return rc;
}

static enum kt_rc run_one(struct run *r, const char *id, int64_t deadline, int64_t n[2],
                          struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    r->keep = &a;
    enum kt_rc rc = load(r, id, &a, err);
    if (rc == KT_OK && strcmp(r->cp.state, "scheduled") == 0) {
        rc = start_due(r, &a, err);
    }
    if (rc == KT_OK && strcmp(r->cp.state, "running") == 0 && r->cp.audience < 0) {
        rc = freeze(r, &a, err);
    }
    if (rc == KT_OK && strcmp(r->cp.state, "running") == 0 && r->cp.audience >= 0 &&
        clock_mono_ns() < deadline) {
        rc = enqueue(r, deadline, n, err);
    }
    run_release(r);
    arena_release(&a);
    return rc;
}

enum kt_rc campaign_run_due(struct store *s, const struct key_secret *secret, int64_t now,
                            int64_t budget_ms, int64_t n[2], struct kt_err *err)
{
    struct kt_err own; /* a caller may pass none */
    if (err == NULL) {
        kt_err_reset(&own);
        err = &own;
    }
    int64_t deadline = clock_mono_ns() + budget_ms * NS_PER_MS;
    struct arena a;
    arena_init(&a, 0);
    const char **ids = NULL;
    size_t k = 0;
    struct store_conn *rd;
    enum kt_rc rc = store_read_begin(s, &rd, err);
    if (rc == KT_OK) {
        rc = store_campaign_live(rd, now, &a, &ids, &k, err);
        store_read_end(rd);
    }
    for (size_t i = 0; rc == KT_OK && i < k && clock_mono_ns() < deadline; i++) {
        struct run r = {.s = s, .secret = secret, .now = now};
        rc = run_one(&r, ids[i], deadline, n, err);
        if (rc != KT_OK) { /* one campaign's failure does not stop the others */
            log_warn("campaign_enqueue", "campaign=%s code=%s", ids[i], err->code);
            kt_err_reset(err);
            rc = KT_OK;
        }
    }
    arena_release(&a);
    return rc;
}
