/*
 * audit.c - the audit log: who read or changed whose data (IDs only, never values).
 *
 * A lookup at the cash desk must not wait for the single writer, nor pay for more than a copy,
 * so a read is queued in memory as a fixed-size record (no allocation, no formatting on the
 * request's thread) and written in one transaction per flush (by the worker every
 * AUDIT_FLUSH_MS or AUDIT_FLUSH_ENTRIES, by GET /v1/audit before it answers, once more at
 * shutdown). A crash loses at most those reads; changes are never queued: audit_write()
 * records them in the transaction that makes them.
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

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct queued *queue;
static size_t n_queue, cap_queue;
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
    if (n_queue == cap_queue) {
        cap_queue = cap_queue ? cap_queue * 2 : 4096;
        queue = kt_realloc(queue, cap_queue * sizeof(*queue));
    }
    struct queued *q = &queue[n_queue++];
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

enum kt_rc audit_flush(struct store *s, struct kt_err *err)
{
    pthread_mutex_lock(&mu);
    struct queued *q = queue;
    size_t n = n_queue;
    int64_t lost = dropped;
    queue = NULL;
    n_queue = cap_queue = 0;
    dropped = 0;
    pthread_mutex_unlock(&mu);
    if (lost > 0) {
        log_error("audit_dropped", "entries=%lld", (long long)lost);
    }
    if (n == 0) {
        free(q);
        return KT_OK;
    }
    struct arena a;
    arena_init(&a, 0);
    struct audit_entry *e = kt_malloc(n * sizeof(*e));
    for (size_t i = 0; i < n; i++) {
        e[i] = (struct audit_entry){0,
                                    q[i].at,
                                    q[i].key_id[0] ? q[i].key_id : NULL,
                                    q[i].action,
                                    q[i].customer_id[0] ? q[i].customer_id : NULL,
                                    audit_fields_text(q[i].fields, &a),
                                    q[i].detail,
                                    q[i].request_id[0] ? q[i].request_id : NULL};
    }
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc == KT_OK) {
        rc = store_audit_add(w, e, n, err);
        rc = store_write_end(w, rc, err);
    }
    free(e);
    arena_release(&a);
    if (rc != KT_OK) {
        /* Put them back in front, to be tried at the next flush. */
        pthread_mutex_lock(&mu);
        size_t total = n + n_queue;
        struct queued *m = kt_malloc(total * sizeof(*m));
        memcpy(m, q, n * sizeof(*m));
        if (n_queue > 0) {
            memcpy(m + n, queue, n_queue * sizeof(*m));
        }
        free(queue);
        queue = m;
        n_queue = cap_queue = total;
        pthread_mutex_unlock(&mu);
    }
    free(q);
    return rc;
}

enum kt_rc audit_write(struct store_conn *w, const char *key_id, const char *action,
                       const char *customer_id, const char *fields, const char *detail,
                       const char *request_id, int64_t now, struct kt_err *err)
{
    struct audit_entry e = {0, now, key_id, action, customer_id, fields, detail, request_id};
    return store_audit_add(w, &e, 1, err);
}

void audit_shutdown(void)
{
    pthread_mutex_lock(&mu);
    free(queue);
    queue = NULL;
    n_queue = cap_queue = 0;
    pthread_mutex_unlock(&mu);
}
