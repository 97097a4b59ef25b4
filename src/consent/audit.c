/*
 * audit.c - the audit log: who read or changed whose data (IDs only, never values).
 *
 * A lookup at the cash desk must not wait for the single writer, nor pay for more than a copy,
 * so a read is queued in memory as a fixed-size record (no allocation, no formatting on the
 * request's thread) and written in one transaction per flush (by the scheduler every
 * AUDIT_FLUSH_MS and once more at shutdown, by GET /v1/audit before it answers). A crash loses at
 * most those reads; changes are never queued: audit_write() records them in the transaction that
 * makes them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "consent/consent.h"

#define QUEUE_MAX 500000 /* reads held before new ones are counted as dropped */

struct queued {
    int64_t at;
    const char *action; /* static */
    const char *detail; /* static (a route pattern) or NULL */
    uint32_t fields;    /* AUDIT_F_* */
    char key_id[16];
    char customer_id[ID_MAX];
    char request_id[40];
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
static struct block *head, *tail; /* guarded by mu */
static size_t n_queue;            /* entries in all blocks */
static int64_t dropped;

void audit_note(const char *key_id, const char *action, const char *customer_id, uint32_t fields,
                const char *detail, const char *request_id, int64_t now)
{
    pthread_mutex_lock(&mu);
    if (n_queue >= QUEUE_MAX) {
        dropped++;
        pthread_mutex_unlock(&mu);
        return;
    }
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
    struct queued *q = &tail->e[tail->n++];
    n_queue++;
    q->at = now;
    q->action = action;
    q->detail = detail;
    q->fields = fields;
    kt_strlcpy(q->key_id, key_id ? key_id : "", sizeof(q->key_id));
    kt_strlcpy(q->customer_id, customer_id ? customer_id : "", sizeof(q->customer_id));
    kt_strlcpy(q->request_id, request_id ? request_id : "", sizeof(q->request_id));
    pthread_mutex_unlock(&mu);
}

size_t audit_queued(void)
{
    pthread_mutex_lock(&mu);
    size_t n = n_queue;
    pthread_mutex_unlock(&mu);
    return n;
}

const char *audit_fields_text(uint32_t fields, struct arena *a)
{
    static const char *const extra[] = {"identifiers", "attributes", "consents", "history"};
    struct buf b;
    buf_init(&b, 128);
    for (int f = 0; f < PF_COUNT; f++) {
        if (fields & (1u << f)) {
            buf_printf(&b, "%s%s", b.len ? "," : "", pf_names[f]);
        }
    }
    for (int i = 0; i < 4; i++) {
        if (fields & (AUDIT_F_IDENTIFIERS << i)) {
            buf_printf(&b, "%s%s", b.len ? "," : "", extra[i]);
        }
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

enum kt_rc audit_flush(struct store *s, struct kt_err *err)
{
    pthread_mutex_lock(&mu);
    struct block *taken = head, *taken_tail = tail;
    size_t n = n_queue;
    int64_t lost = dropped;
    head = tail = NULL;
    n_queue = 0;
    dropped = 0;
    pthread_mutex_unlock(&mu);
    if (lost > 0) {
        log_error("audit_dropped", "entries=%lld", (long long)lost);
    }
    if (n == 0) {
        free_blocks(taken);
        return KT_OK;
    }
    struct arena a;
    arena_init(&a, 0);
    struct audit_entry *e = kt_malloc(n * sizeof(*e));
    size_t k = 0;
    for (struct block *b = taken; b != NULL; b = b->next) {
        for (size_t i = 0; i < b->n; i++) {
            const struct queued *q = &b->e[i];
            e[k++] = (struct audit_entry){0,
                                          q->at,
                                          q->key_id[0] ? q->key_id : NULL,
                                          q->action,
                                          q->customer_id[0] ? q->customer_id : NULL,
                                          audit_fields_text(q->fields, &a),
                                          q->detail,
                                          q->request_id[0] ? q->request_id : NULL};
        }
    }
    enum kt_rc rc = store_reads_add(s, e, k, err);
    free(e);
    arena_release(&a);
    if (rc != KT_OK) {
        /* Put them back in front, to be tried at the next flush. */
        pthread_mutex_lock(&mu);
        taken_tail->next = head;
        if (tail == NULL) {
            tail = taken_tail;
        }
        head = taken;
        n_queue += n;
        pthread_mutex_unlock(&mu);
        return rc;
    }
    free_blocks(taken);
    return KT_OK;
}

enum kt_rc audit_write(struct store_conn *w, const char *key_id, const char *action,
                       const char *customer_id, const char *fields, const char *detail,
                       const char *request_id, int64_t now, struct kt_err *err)
{
    struct audit_entry e = {0, now, key_id, action, customer_id, fields, detail, request_id};
    return store_audit_add(w, &e, 1, err);
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

void audit_shutdown(void)
{
    pthread_mutex_lock(&mu);
    free_blocks(head);
    head = tail = NULL;
    n_queue = 0;
    pthread_mutex_unlock(&mu);
}
