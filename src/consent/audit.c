/*
 * audit.c - the audit log: who read or changed whose data (IDs only, never values), from which
 * address, each entry chained to the one before by a keyed hash.
 *
 * A lookup at the cash desk must not wait for the single writer, nor pay for more than a copy,
 * so a read is queued in memory as a fixed-size record (no allocation, no formatting, no hashing
 * on the request's thread: a mutex held for a copy) and written in one transaction per flush (by
 * the scheduler every AUDIT_FLUSH_MS and once more at shutdown, by GET /v1/audit before it
 * answers), where the entries are numbered and hashed. A crash loses at most those reads; changes
 * are never queued: audit_write() records them in the transaction that makes them.
 *
 * Nothing queued is dropped. When the queue reaches its limit (the flush has been failing: a
 * stalled or full disk), audit_admit() refuses the reads that would add to it and the request
 * fails with 503 audit_busy, so no personal data is shown that the log would not hold.
 *
 * The chain (docs/privacy.md): hash = BLAKE2b-256, keyed with a key derived from the installation
 * secret, over the previous entry's hash and the entry's canonical content (below) with its seq;
 * the first entry after a log's anchor chains from the anchor's own keyed hash. Editing, deleting,
 * inserting or reordering an entry breaks the hash of that entry or of the next; without the
 * secret nobody can make the hashes agree again. audit_verify() walks both logs.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keys.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "consent/consent.h"

/* ---- the key and the hashes ---------------------------------------------------------------- */

/* Set once by audit_key_init() before any thread writes the log; read-only afterwards. */
static unsigned char chain_key[32];
static bool chain_key_ready;

void audit_key_init(const struct key_secret *secret)
{
    if (sodium_init() < 0) {
        abort(); /* as when memory runs out: nothing can be hashed */
    }
    /* A subkey of its own: the chain's key is not the key of the API keys' hashes. */
    crypto_kdf_derive_from_key(chain_key, sizeof(chain_key), 1, "ktaudit1", secret->k);
    chain_key_ready = true;
}

/* The canonical encoding of what a hash covers, gathered in a block and fed to BLAKE2b a block at
 * a time: a call per field (some thirty small updates an entry) cost more than the hashing. */
struct canon {
    crypto_generichash_state st;
    unsigned char b[512];
    size_t n;
};

static void canon_begin(struct canon *c)
{
    crypto_generichash_init(&c->st, chain_key, sizeof(chain_key), 32);
    c->n = 0;
}

static void canon_put(struct canon *c, const void *p, size_t len)
{
    if (c->n + len > sizeof(c->b)) {
        crypto_generichash_update(&c->st, c->b, c->n);
        c->n = 0;
    }
    if (len > sizeof(c->b)) {
        crypto_generichash_update(&c->st, p, len);
        return;
    }
    memcpy(c->b + c->n, p, len);
    c->n += len;
}

static void canon_end(struct canon *c, unsigned char out[32])
{
    crypto_generichash_update(&c->st, c->b, c->n);
    crypto_generichash_final(&c->st, out, 32);
}

static void put_i64(struct canon *c, int64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
    }
    canon_put(c, b, sizeof(b));
}

/* A text as 0 (NULL) or 1, its length in 4 bytes and its bytes: no two contents encode alike. */
static void put_text(struct canon *c, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    unsigned char head[5] = {s != NULL, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                             (unsigned char)(n >> 8), (unsigned char)n};
    canon_put(c, head, s != NULL ? sizeof(head) : 1);
    if (s != NULL) {
        canon_put(c, s, n);
    }
}

/* The hash of entry `e` of `log` after the hash `prev`: every column but the hash itself. */
static void entry_hash(const char *log, const unsigned char prev[32], const struct audit_entry *e,
                       unsigned char out[32])
{
    struct canon c;
    canon_begin(&c);
    put_text(&c, "kartoteka audit entry 1");
    put_text(&c, log);
    canon_put(&c, prev, 32);
    put_i64(&c, e->seq);
    put_i64(&c, e->at);
    const char *text[] = {e->key_id, e->action,     e->customer_id, e->fields,
                          e->detail, e->request_id, e->ip};
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
        put_text(&c, text[i]);
    }
    canon_end(&c, out);
}

/* The anchor's keyed hash: where the chain starts, over what the anchor records. */
static void anchor_hash(const char *log, const struct audit_chain *ch, unsigned char out[32])
{
    struct canon c;
    canon_begin(&c);
    put_text(&c, "kartoteka audit anchor 1");
    put_text(&c, log);
    put_i64(&c, ch->anchor_seq);
    put_i64(&c, ch->anchor_rows);
    put_i64(&c, ch->anchor_at);
    canon_end(&c, out);
}

static bool hex32(const char *hex, unsigned char out[32])
{
    size_t n = 0;
    return hex != NULL && strlen(hex) == 64 &&
           sodium_hex2bin(out, 32, hex, 64, NULL, &n, NULL) == 0 && n == 32;
}

static enum kt_rc no_key(struct kt_err *err)
{
    kt_err_set(err, KT_EINTERNAL, "internal", NULL, "internal error");
    kt_err_detail(err, "the audit log's key is not loaded (audit_key_init)");
    return KT_EINTERNAL;
}

struct seal_ctx {
    const char *log;
    struct arena *a; /* the hashes' text */
};

/* store_audit_seal_fn: numbers and hashes e[0..n) after the chain's head, inside the store's
 * transaction. A head whose hash is not a hash (someone edited it) is chained from zeros and
 * logged, so the changes go on being written; audit_verify() names that entry. */
static enum kt_rc seal(void *ctx, struct audit_chain *ch, struct audit_entry *e, size_t n,
                       struct kt_err *err)
{
    struct seal_ctx *x = ctx;
    if (!chain_key_ready) {
        return no_key(err);
    }
    unsigned char prev[32], h[32];
    anchor_hash(x->log, ch, prev);
    if (ch->anchor_mac[0] == '\0') {
        sodium_bin2hex(ch->anchor_mac, sizeof(ch->anchor_mac), prev, sizeof(prev));
    }
    if (ch->last_seq != ch->anchor_seq && !hex32(ch->last_hash, prev)) {
        memset(prev, 0, sizeof(prev));
        log_error("audit_chain_broken", "log=%s seq=%lld", x->log, (long long)ch->last_seq);
    }
    for (size_t i = 0; i < n; i++) {
        e[i].seq = ++ch->last_seq;
        entry_hash(x->log, prev, &e[i], h);
        char *hex = arena_alloc(x->a, AUDIT_HASH_HEX);
        sodium_bin2hex(hex, AUDIT_HASH_HEX, h, sizeof(h));
        e[i].hash = hex;
        memcpy(prev, h, sizeof(prev));
    }
    if (n > 0) {
        kt_strlcpy(ch->last_hash, e[n - 1].hash, sizeof(ch->last_hash));
    }
    return KT_OK;
}

/* ---- the caller ---------------------------------------------------------------------------- */

/* The request this thread is serving, between audit_caller_begin() and _end(). */
static _Thread_local struct {
    bool on;
    char ip[AUDIT_IP_MAX];
    struct audit_tally tally;
} caller;

void audit_caller_begin(const char *ip)
{
    caller.on = true;
    kt_strlcpy(caller.ip, ip ? ip : "", sizeof(caller.ip));
    caller.tally = (struct audit_tally){0, false};
}

struct audit_tally audit_caller_tally(void)
{
    return caller.tally;
}

void audit_caller_end(void)
{
    caller.on = false;
    caller.ip[0] = '\0';
}

void audit_nothing_read(void)
{
    caller.tally.nothing_read = true;
}

static const char *caller_ip(void)
{
    return caller.on && caller.ip[0] ? caller.ip : NULL;
}

/* ---- the queue of reads -------------------------------------------------------------------- */

struct queued {
    int64_t at;
    const char *action; /* static */
    const char *detail; /* static (a route pattern) or NULL */
    uint32_t fields;    /* AUDIT_F_* */
    char key_id[24];    /* an API key's id, or a console user's (struct api_key.id) */
    char customer_id[ID_MAX];
    char object[ID_MAX]; /* what a read of many customers read, or "" */
    char request_id[40];
    char ip[AUDIT_IP_MAX];
};

/* The queue is a list of fixed-size blocks: appending never moves what is queued. (A growing
 * array copied up to tens of megabytes under the mutex when it doubled, and every request waited:
 * 2 ms of lookup p99.) */
#define BLOCK_ENTRIES 4096

struct block {
    struct block *next;
    size_t n;
    struct queued e[BLOCK_ENTRIES];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct block *head, *tail;                  /* guarded by mu */
static _Atomic size_t n_queue;                     /* entries in all blocks; written under mu */
static _Atomic size_t queue_max = AUDIT_QUEUE_MAX; /* set before serving */
static _Atomic uint64_t refused;                   /* reads refused by audit_admit() */
/* One flush at a time, so the log of reads holds the entries in the queue's order. */
static pthread_mutex_t flush_mu = PTHREAD_MUTEX_INITIALIZER;

void audit_queue_max_set(size_t n)
{
    atomic_store(&queue_max, n > 0 ? n : 1);
}

bool audit_admit(void)
{
    if (atomic_load_explicit(&n_queue, memory_order_relaxed) <
        atomic_load_explicit(&queue_max, memory_order_relaxed)) {
        return true;
    }
    atomic_fetch_add_explicit(&refused, 1, memory_order_relaxed);
    return false;
}

uint64_t audit_refused_total(void)
{
    return atomic_load_explicit(&refused, memory_order_relaxed);
}

static struct queued *queue_slot(void)
{
    if (tail == NULL || tail->n == BLOCK_ENTRIES) {
        struct block *b = kt_malloc(sizeof(*b));
        b->next = NULL;
        b->n = 0;
        if (tail != NULL) {
            tail->next = b;
        } else {
            head = b;
        }
        tail = b;
    }
    atomic_fetch_add_explicit(&n_queue, 1, memory_order_relaxed);
    return &tail->e[tail->n++];
}

void audit_note(const char *key_id, const char *action, const char *customer_id, uint32_t fields,
                const char *detail, const char *object, const char *request_id, int64_t now)
{
    const char *ip = caller_ip();
    if (caller.on) {
        caller.tally.entries++;
    }
    pthread_mutex_lock(&mu);
    struct queued *q = queue_slot();
    q->at = now;
    q->action = action;
    q->detail = detail;
    q->fields = fields;
    kt_strlcpy(q->key_id, key_id ? key_id : "", sizeof(q->key_id));
    kt_strlcpy(q->customer_id, customer_id ? customer_id : "", sizeof(q->customer_id));
    kt_strlcpy(q->object, object ? object : "", sizeof(q->object));
    kt_strlcpy(q->request_id, request_id ? request_id : "", sizeof(q->request_id));
    kt_strlcpy(q->ip, ip ? ip : "", sizeof(q->ip));
    pthread_mutex_unlock(&mu);
}

size_t audit_queued(void)
{
    return atomic_load(&n_queue);
}

const char *audit_fields_text(uint32_t fields, struct arena *a)
{
    static const char *const extra[] = {"identifiers", "attributes", "consents", "history",
                                        "purchases",   "points",     "cards",    "subscriptions",
                                        "events",      "segments",   "traits",   "rejects",
                                        "requests",    "acts",       "blocks",   "messages"};
    struct buf b;
    buf_init(&b, 128);
    for (int f = 0; f < PF_COUNT; f++) {
        if (fields & (1u << f)) {
            buf_printf(&b, "%s%s", b.len ? "," : "", pf_names[f]);
        }
    }
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        if (fields & (AUDIT_F_IDENTIFIERS << i)) {
            buf_printf(&b, "%s%s", b.len ? "," : "", extra[i]);
        }
    }
    if (fields & AUDIT_F_JOURNEYS) {
        buf_printf(&b, "%s%s", b.len ? "," : "", "journeys");
    }
    const char *s = b.len ? arena_strdup(a, buf_cstr(&b)) : NULL;
    buf_release(&b);
    return s;
}

static void free_blocks(struct block *b)
{
    while (b != NULL) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
}

static const char *opt(const char *s)
{
    return s[0] ? s : NULL;
}

/* The entries of the taken blocks, their texts in `a`. */
static struct audit_entry *entries_of(const struct block *taken, size_t n, struct arena *a)
{
    struct audit_entry *e = kt_malloc((n ? n : 1) * sizeof(*e));
    size_t k = 0;
    for (const struct block *b = taken; b != NULL; b = b->next) {
        for (size_t i = 0; i < b->n; i++) {
            const struct queued *q = &b->e[i];
            const char *detail = q->object[0] && q->detail
                                     ? arena_printf(a, "%s %s", q->detail, q->object)
                                     : q->detail;
            e[k++] = (struct audit_entry){0,
                                          q->at,
                                          opt(q->key_id),
                                          q->action,
                                          opt(q->customer_id),
                                          audit_fields_text(q->fields, a),
                                          detail,
                                          opt(q->request_id),
                                          opt(q->ip),
                                          NULL};
        }
    }
    return e;
}

enum kt_rc audit_flush(struct store *s, struct kt_err *err)
{
    pthread_mutex_lock(&flush_mu);
    pthread_mutex_lock(&mu);
    struct block *taken = head, *taken_tail = tail;
    size_t n = atomic_load(&n_queue);
    head = tail = NULL;
    pthread_mutex_unlock(&mu); /* n_queue keeps counting them until they are written */
    enum kt_rc rc = KT_OK;
    if (n > 0) {
        struct arena a;
        arena_init(&a, 0);
        struct audit_entry *e = entries_of(taken, n, &a);
        struct seal_ctx x = {"reads", &a};
        rc = store_reads_add(s, e, n, seal, &x, err);
        free(e);
        arena_release(&a);
    }
    pthread_mutex_lock(&mu);
    if (rc != KT_OK) { /* put them back in front, to be tried at the next flush */
        taken_tail->next = head;
        if (tail == NULL) {
            tail = taken_tail;
        }
        head = taken;
        taken = NULL;
    } else {
        atomic_fetch_sub(&n_queue, n);
    }
    pthread_mutex_unlock(&mu);
    pthread_mutex_unlock(&flush_mu);
    free_blocks(taken);
    return rc;
}

enum kt_rc audit_write(struct store_conn *w, const char *key_id, const char *action,
                       const char *customer_id, const char *fields, const char *detail,
                       const char *request_id, int64_t now, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 256);
    struct audit_entry e = {0,      now,    key_id,     action,      customer_id,
                            fields, detail, request_id, caller_ip(), NULL};
    struct seal_ctx x = {"changes", &a};
    enum kt_rc rc = store_audit_add(w, &e, 1, seal, &x, err);
    arena_release(&a);
    if (rc == KT_OK && caller.on) {
        caller.tally.entries++;
    }
    return rc;
}

/* Keys whose expiry has come and is not in the log: one entry each, in the transaction that
 * marks it recorded, so a restart neither loses nor repeats one. */
enum kt_rc audit_keys_expired(struct store *s, int64_t now, int64_t *n, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *w;
    struct api_key *keys;
    size_t k = 0;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        arena_release(&a);
        return rc;
    }
    rc = store_key_expired_unaudited(w, now, 500, &a, &keys, &k, err);
    for (size_t i = 0; rc == KT_OK && i < k; i++) {
        char detail[96], at[40];
        time_format_rfc3339(keys[i].expires_at, at, sizeof(at));
        kt_snprintf(detail, sizeof(detail), "expire %s %s at %s", keys[i].id,
                    keys_scope_name(keys[i].scope), at);
        rc = audit_write(w, NULL, "key", NULL, NULL, detail, NULL, now, err);
        if (rc == KT_OK) {
            rc = store_key_expiry_audited(w, keys[i].id, now, err);
        }
    }
    rc = store_write_end(w, rc, err);
    *n += rc == KT_OK ? (int64_t)k : 0;
    arena_release(&a);
    return rc;
}

enum kt_rc audit_subjects(struct store *s, const struct reads_filter *f, int64_t *subjects,
                          int64_t *bulk, struct kt_err *err)
{
    enum kt_rc rc = audit_flush(s, err); /* the reads still queued are in the window too */
    return rc == KT_OK ? store_reads_subjects(s, f, subjects, bulk, err) : rc;
}

enum kt_rc audit_list(struct store *s, struct store_conn *c, const struct audit_filter *f,
                      int64_t after_changes, int64_t after_reads, struct arena *a,
                      struct audit_page *out, struct kt_err *err)
{
    struct audit_filter fc = *f, fr = *f;
    fc.after_seq = after_changes;
    fr.after_seq = after_reads;
    struct audit_entry *ch, *rd;
    size_t n_ch, n_rd;
    enum kt_rc rc = store_audit_list(c, &fc, a, &ch, &n_ch, err);
    if (rc == KT_OK) {
        rc = store_reads_list(s, &fr, a, &rd, &n_rd, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    /* Both are in their own order of recording; merged by time, changes first on a tie. */
    size_t want = (size_t)f->limit, i = 0, j = 0;
    out->items = arena_alloc(a, (want ? want : 1) * sizeof(*out->items));
    out->is_read = arena_alloc(a, (want ? want : 1) * sizeof(*out->is_read));
    out->n = 0;
    while (out->n < want && (i < n_ch || j < n_rd)) {
        bool take_read = i == n_ch || (j < n_rd && rd[j].at < ch[i].at);
        out->is_read[out->n] = take_read;
        out->items[out->n++] = take_read ? rd[j++] : ch[i++];
    }
    out->next_changes = i > 0 ? ch[i - 1].seq : after_changes;
    out->next_reads = j > 0 ? rd[j - 1].seq : after_reads;
    out->more = i < n_ch || j < n_rd || n_ch == want || n_rd == want;
    return KT_OK;
}

/* ---- verification -------------------------------------------------------------------------- */

#define VERIFY_PAGE 5000

static bool bad(struct audit_verified *v, int64_t seq, const char *problem)
{
    v->intact = false;
    v->bad_seq = seq;
    v->problem = problem;
    return false;
}

/* The anchor: present, sealed once anything is chained, sealed with this key over what it says,
 * and the entries before it as many as it says. `prev` gets the chain's first link. */
static bool check_anchor(struct audit_verified *v, unsigned char prev[32])
{
    const struct audit_chain *ch = &v->chain;
    unsigned char stored[32];
    anchor_hash(v->log, ch, prev);
    if (ch->anchor_at == 0) {
        return bad(v, ch->anchor_seq, "anchor_missing");
    }
    if (ch->anchor_mac[0] == '\0') {
        return ch->last_seq == ch->anchor_seq || bad(v, ch->anchor_seq, "anchor_unsealed");
    }
    if (!hex32(ch->anchor_mac, stored) || sodium_memcmp(stored, prev, 32) != 0) {
        return bad(v, ch->anchor_seq, "anchor_mismatch");
    }
    if (ch->legacy_rows != ch->anchor_rows) {
        return bad(v, ch->anchor_seq, "entries_before_anchor_changed");
    }
    return true;
}

/* One page of entries, in seq order, after `prev` and `*next` expected. */
static bool check_entries(struct audit_verified *v, const struct audit_entry *e, size_t n,
                          unsigned char prev[32], int64_t *next)
{
    unsigned char h[32], stored[32];
    for (size_t i = 0; i < n; i++, (*next)++) {
        if (e[i].seq != *next) {
            return bad(v, *next, "missing");
        }
        entry_hash(v->log, prev, &e[i], h);
        if (!hex32(e[i].hash, stored) || sodium_memcmp(stored, h, 32) != 0) {
            return bad(v, e[i].seq, "hash_mismatch");
        }
        memcpy(prev, h, 32);
        v->checked++;
    }
    return true;
}

/* The entries of one log after its anchor, a page at a time. */
static enum kt_rc walk(struct store *s, struct store_conn *c, struct audit_verified *v,
                       unsigned char prev[32], struct kt_err *err)
{
    bool reads = strcmp(v->log, "reads") == 0;
    struct audit_filter f = {NULL, NULL, NULL, 0, 0, v->chain.anchor_seq, VERIFY_PAGE};
    int64_t next = v->chain.anchor_seq + 1;
    struct arena a;
    arena_init(&a, 0);
    enum kt_rc rc = KT_OK;
    for (bool more = true; rc == KT_OK && more && v->intact;) {
        struct audit_entry *e = NULL;
        size_t n = 0;
        arena_release(&a);
        rc = reads ? store_reads_list(s, &f, &a, &e, &n, err)
                   : store_audit_list(c, &f, &a, &e, &n, err);
        if (rc == KT_OK && check_entries(v, e, n, prev, &next) && n > 0) {
            f.after_seq = e[n - 1].seq;
        }
        more = n == VERIFY_PAGE;
    }
    arena_release(&a);
    return rc;
}

enum kt_rc audit_open(struct store *s, struct kt_err *err)
{
    struct audit_chain ch;
    return store_reads_chain(s, &ch, err);
}

enum kt_rc audit_verify(struct store *s, struct store_conn *c, bool reads_present,
                        struct audit_verified out[2], struct kt_err *err)
{
    if (!chain_key_ready) {
        return no_key(err);
    }
    enum kt_rc rc = KT_OK;
    for (int i = 0; rc == KT_OK && i < 2; i++) {
        struct audit_verified *v = &out[i];
        memset(v, 0, sizeof(*v));
        v->log = i == 0 ? "changes" : "reads";
        v->intact = true;
        if (i == 1 && !reads_present) {
            bad(v, 0, "log_missing");
            break;
        }
        rc = i == 0 ? store_audit_chain(c, &v->chain, err) : store_reads_chain(s, &v->chain, err);
        unsigned char prev[32];
        if (rc == KT_OK && check_anchor(v, prev)) {
            rc = walk(s, c, v, prev, err);
        }
    }
    return rc;
}

json_t *audit_verified_json(const struct audit_verified v[2])
{
    json_t *logs = json_array();
    bool intact = true;
    for (int i = 0; i < 2; i++) {
        const struct audit_chain *ch = &v[i].chain;
        intact = intact && v[i].intact;
        json_t *anchor =
            json_pack("{s:I, s:I, s:b}", "seq", (json_int_t)ch->anchor_seq, "count",
                      (json_int_t)ch->anchor_rows, "sealed", ch->anchor_mac[0] != '\0');
        json_t *newest = json_pack("{s:I, s:s?}", "seq", (json_int_t)ch->last_seq, "hash",
                                   ch->last_hash[0] ? ch->last_hash : NULL);
        json_t *first_bad = v[i].intact ? json_null()
                                        : json_pack("{s:I, s:s}", "seq", (json_int_t)v[i].bad_seq,
                                                    "reason", v[i].problem);
        json_array_append_new(logs,
                              json_pack("{s:s, s:b, s:I, s:o, s:o, s:o}", "log", v[i].log, "intact",
                                        v[i].intact, "checked", (json_int_t)v[i].checked, "anchor",
                                        anchor, "head", newest, "first_bad", first_bad));
    }
    return json_pack("{s:b, s:o}", "intact", intact, "logs", logs);
}

void audit_shutdown(void)
{
    pthread_mutex_lock(&mu);
    free_blocks(head);
    head = tail = NULL;
    atomic_store(&n_queue, 0);
    pthread_mutex_unlock(&mu);
}
