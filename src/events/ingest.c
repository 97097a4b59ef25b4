/*
 * ingest.c - a batch of decoded events into the store (see events.h).
 *
 * Who an event is about is looked up once per distinct identifier in the batch (a small hash
 * table): a shop's batch repeats the same cookies many times. The identifiers are looked up all
 * at once before the events are placed, and the events placed are stored together
 * (store_events_add_many): on PostgreSQL a few round trips a batch, not three an event. An event
 * that links a cookie to a customer first stores those placed before it under that cookie, so
 * that its adoption finds them.
 */
#include <sodium.h>
#include <string.h>

#include "events/events.h"

struct slot {
    const char *kind, *value;
    int64_t ck; /* 0: nobody */
    bool used;
    char block; /* whether ck is blocked: 0 not asked yet, 1 no, 2 yes */
};

struct cache {
    struct slot *slots;
    size_t mask;
};

static uint64_t fnv(const char *kind, const char *value)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = kind; *p; p++) {
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    }
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *p = value; *p; p++) {
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    }
    return h;
}

static struct slot *slot_of(struct cache *c, const char *kind, const char *value)
{
    for (size_t i = fnv(kind, value) & c->mask;; i = (i + 1) & c->mask) {
        struct slot *s = &c->slots[i];
        if (!s->used || (strcmp(s->kind, kind) == 0 && strcmp(s->value, value) == 0)) {
            return s;
        }
    }
}

/* The customer an identifier names now (0: nobody); erased customers are nobody. */
static enum kt_rc resolve(struct store_conn *w, struct cache *c, const char *kind,
                          const char *value, struct arena *a, int64_t *ck, struct kt_err *err)
{
    struct slot *s = slot_of(c, kind, value);
    if (s->used) {
        *ck = s->ck;
        return KT_OK;
    }
    enum kt_rc rc;
    bool found = false;
    *ck = 0;
    if (strcmp(kind, "id") == 0) {
        struct customer cu;
        rc = store_customer_get_by_id(w, value, a, &cu, &found, err);
        *ck = rc == KT_OK && found && cu.erased_at == 0 ? cu.ck : 0;
    } else {
        struct ident id;
        rc = store_ident_find(w, kind, value, a, &id, &found, err);
        *ck = rc == KT_OK && found ? id.ck : 0;
    }
    if (rc != KT_OK) {
        return rc;
    }
    *s = (struct slot){kind, value, *ck, true, 0};
    return KT_OK;
}

/* Every identifier of the batch but customer ids, looked up at once into the cache. */
static enum kt_rc prefetch(struct store_conn *w, struct cache *c, const struct event_in *in,
                           size_t n, const struct event_result *res, struct arena *a,
                           struct kt_err *err)
{
    const char **kinds = arena_alloc(a, 2 * n * sizeof(*kinds) + 1);
    const char **values = arena_alloc(a, 2 * n * sizeof(*values) + 1);
    struct slot **slots = arena_alloc(a, 2 * n * sizeof(*slots) + 1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k[2] = {in[i].kind, in[i].anon_kind}, *v[2] = {in[i].value, in[i].anon_value};
        for (int j = 0; j < 2 && res[i].status != EVENT_REFUSED; j++) {
            if (k[j] == NULL || strcmp(k[j], "id") == 0) {
                continue;
            }
            struct slot *s = slot_of(c, k[j], v[j]);
            if (!s->used) {
                *s = (struct slot){k[j], v[j], 0, true, 0};
                kinds[m] = k[j];
                values[m] = v[j];
                slots[m++] = s;
            }
        }
    }
    int64_t *cks = arena_alloc(a, m * sizeof(*cks) + 1);
    enum kt_rc rc = m > 0 ? store_idents_owners(w, kinds, values, m, cks, err) : KT_OK;
    for (size_t i = 0; rc == KT_OK && i < m; i++) {
        slots[i]->ck = cks[i];
    }
    return rc;
}

/* The events of the batch (in, res) placed and not yet stored: in[at[0..n)]. */
struct pending {
    struct event_in *in;
    struct event_result *res;
    size_t *at, n;
    struct event *e;
    bool *dup;
};

static enum kt_rc flush(struct store_conn *w, struct pending *p, struct kt_err *err)
{
    for (size_t i = 0; i < p->n; i++) {
        p->e[i] = p->in[p->at[i]].e;
    }
    enum kt_rc rc = p->n > 0 ? store_events_add_many(w, p->e, p->n, p->dup, err) : KT_OK;
    for (size_t i = 0; rc == KT_OK && i < p->n; i++) {
        p->res[p->at[i]].status = p->dup[i] ? EVENT_DUPLICATE : EVENT_STORED;
    }
    p->n = 0;
    return rc;
}

/* Whether ck, whom the identifier names, is blocked: asked once a batch. */
static enum kt_rc blocked_of(struct store_conn *w, struct cache *c, const char *kind,
                             const char *value, int64_t ck, bool *blocked, struct kt_err *err)
{
    struct slot *s = slot_of(c, kind, value);
    if (s->used && s->ck == ck && s->block != 0) {
        *blocked = s->block == 2;
        return KT_OK;
    }
    enum kt_rc rc = store_block_in_force(w, ck, blocked, err);
    if (rc == KT_OK && s->used && s->ck == ck) {
        s->block = *blocked ? 2 : 1;
    }
    return rc;
}

/* Whether an event placed and not yet stored is kept under the id a link is about to adopt. */
static bool waits_for(const struct pending *p, const char *kind, const char *value)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct event *e = &p->in[p->at[i]].e;
        if (e->ck == 0 && e->anon_kind != NULL && strcmp(e->anon_kind, kind) == 0 &&
            strcmp(e->anon_id, value) == 0) {
            return true;
        }
    }
    return false;
}

static int64_t message_hash(const struct key_secret *k, const char *id)
{
    unsigned char h[8];
    crypto_generichash(h, sizeof(h), (const unsigned char *)id, strlen(id), k->k, sizeof(k->k));
    int64_t v;
    memcpy(&v, h, sizeof(v));
    return v != 0 ? v : 1;
}

/* Decides whom event `x` is about: `x->e.ck`, or the anonymous id it is kept under. An identifier
 * that names nobody is refused or left out, as `unknown` says. */
static enum kt_rc place(struct store_conn *w, struct cache *c, struct event_in *x,
                        enum event_unknown unknown, int64_t now, struct arena *a,
                        struct event_result *res, struct pending *p, struct kt_err *err)
{
    int64_t ck = 0, anon = 0;
    bool blocked = false;
    enum kt_rc rc = x->kind != NULL ? resolve(w, c, x->kind, x->value, a, &ck, err) : KT_OK;
    if (rc == KT_OK && ck != 0) {
        rc = blocked_of(w, c, x->kind, x->value, ck, &blocked, err);
    }
    if (rc == KT_OK && blocked && unknown == EVENT_REFUSE) { /* 152-FZ art. 21 */
        res->status = EVENT_REFUSED;
        kt_err_set(&res->err, KT_ELOCKED, "customer_blocked",
                   arena_printf(a, "%s%scustomer.%s", x->path, x->path[0] ? "." : "", x->kind),
                   "the customer's data is blocked while a dispute is checked (152-FZ art. 21) "
                   "and may not be used");
        return KT_OK;
    }
    if (rc == KT_OK && x->kind != NULL && (ck == 0 || blocked)) { /* a public key is not told */
        if (unknown == EVENT_REFUSE) {
            res->status = EVENT_REFUSED;
            kt_err_set(&res->err, KT_EINVAL, "customer_not_found",
                       arena_printf(a, "%s%scustomer.%s", x->path, x->path[0] ? "." : "", x->kind),
                       "no customer has that %s; send the profile first, or a cookie alone",
                       x->kind);
            return KT_OK;
        }
        /* Personal data of someone who is no customer, with no consent: not kept, not even
         * hashed. The event goes on as if it had been sent without it. */
        res->unmatched = true;
        x->kind = x->value = NULL;
    }
    if (rc == KT_OK && x->anon_kind != NULL) {
        rc = resolve(w, c, x->anon_kind, x->anon_value, a, &anon, err);
    }
    blocked = false;
    if (rc == KT_OK && x->kind == NULL && anon != 0) { /* a blocked customer's browser: kept as
                                                          an anonymous one's, not theirs */
        rc = blocked_of(w, c, x->anon_kind, x->anon_value, anon, &blocked, err);
        anon = blocked ? 0 : anon;
    }
    if (rc == KT_OK && x->kind != NULL && x->anon_kind != NULL && anon == 0) {
        /* The event links a browser or an app to the customer: the id becomes the
         * customer's, and what it did anonymously before becomes theirs too. */
        int64_t adopted, owner = 0;
        if (waits_for(p, x->anon_kind, x->anon_value)) {
            rc = flush(w, p, err);
        }
        rc = rc == KT_OK ? events_link(w, x->anon_kind, x->anon_value, ck, x->e.channel, now,
                                       &adopted, &owner, err)
                         : rc;
        if (rc == KT_OK) { /* the id is the customer's now, or was somebody's already */
            struct slot *s = slot_of(c, x->anon_kind, x->anon_value);
            s->ck = owner;
            s->block = owner == ck ? 1 : 0; /* ck was just found not blocked */
        }
    }
    x->e.ck = x->kind != NULL ? ck : anon;
    if (x->e.ck == 0) {
        x->e.anon_kind = x->anon_kind;
        x->e.anon_id = x->anon_value;
    }
    return rc;
}

enum kt_rc events_ingest(struct store_conn *w, const struct key_secret *k, struct event_in *in,
                         size_t n, enum event_unknown unknown, int64_t now, struct arena *a,
                         struct event_result *res, struct kt_err *err)
{
    size_t size = 16;
    while (size < 4 * n) {
        size *= 2;
    }
    struct cache c = {arena_zalloc(a, size * sizeof(struct slot)), size - 1};
    struct pending p = {in,
                        res,
                        arena_alloc(a, n * sizeof(size_t) + 1),
                        0,
                        arena_alloc(a, n * sizeof(struct event) + 1),
                        arena_alloc(a, n * sizeof(bool) + 1)};
    enum kt_rc rc = prefetch(w, &c, in, n, res, a, err);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct event_in *x = &in[i];
        if (res[i].status == EVENT_REFUSED) {
            continue;
        }
        rc = place(w, &c, x, unknown, now, a, &res[i], &p, err);
        if (rc != KT_OK || res[i].status == EVENT_REFUSED) {
            continue;
        }
        x->e.msg_hash = x->message_id ? message_hash(k, x->message_id) : 0;
        p.at[p.n++] = i;
    }
    return rc == KT_OK ? flush(w, &p, err) : rc;
}

enum kt_rc events_add_own(struct store_conn *w, int64_t ck, const char *type, const char *channel,
                          const char *props, int64_t at, int64_t now, bool *stored,
                          struct kt_err *err)
{
    bool blocked = false, dup = false;
    *stored = false;
    enum kt_rc rc = store_block_in_force(w, ck, &blocked, err);
    if (rc != KT_OK || blocked) {
        return rc;
    }
    struct event e = {
        .ck = ck, .type = type, .at = at, .received_at = now, .channel = channel, .props = props};
    rc = store_event_add(w, &e, &dup, err);
    *stored = rc == KT_OK && !dup;
    return rc;
}

/* The purge's slices of the hashes: each a short write, the tills' writes going first between
 * them. Whole, the purge read every id under the writer: 0.9 s for 5,000,000 (BENCHMARKS.md). */
#define PURGE_SLICES 64

enum kt_rc events_forget_ids(struct store *s, int64_t now, int64_t *n, struct kt_err *err)
{
    *n = 0;
    enum kt_rc rc = KT_OK;
    for (int i = 0; rc == KT_OK && i < PURGE_SLICES; i++) {
        struct store_conn *w;
        int64_t k = 0;
        rc = store_write_begin_bulk(s, &w, err);
        if (rc == KT_OK) {
            rc = store_event_ids_purge(w, now - EVENTS_WINDOW_MS, i, PURGE_SLICES, &k, err);
            rc = store_write_end(w, rc, err);
            *n += rc == KT_OK ? k : 0;
        }
    }
    return rc;
}

enum kt_rc events_link(struct store_conn *w, const char *kind, const char *value, int64_t ck,
                       const char *channel, int64_t now, int64_t *adopted, int64_t *owner,
                       struct kt_err *err)
{
    struct ident have;
    struct arena a;
    arena_init(&a, 512);
    bool held;
    *adopted = 0;
    enum kt_rc rc = store_ident_find(w, kind, value, &a, &have, &held, err);
    arena_release(&a);
    if (owner != NULL) {
        *owner = rc == KT_OK && held ? have.ck : ck;
    }
    if (rc != KT_OK || held) {
        return rc; /* held: somebody's already */
    }
    struct ident id = {kind, value, ck, false, now, channel};
    rc = store_ident_insert(w, &id, err);
    return rc == KT_OK ? store_events_adopt(w, kind, value, ck, adopted, err) : rc;
}
