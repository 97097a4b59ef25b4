/*
 * audit.c - the audit log: who read or changed whose data (IDs only, never values).
 *
 * A lookup at the cash desk must not wait for the single writer, so reads are queued in memory
 * under a mutex and written in one transaction per flush (every second by the worker, once more
 * at shutdown). A crash loses at most the reads of the last second; changes are never queued:
 * audit_write() records them in the transaction that makes them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "consent/consent.h"

#define QUEUE_MAX 200000 /* entries held before new reads are counted as dropped */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct audit_entry *queue; /* strings owned (malloc) */
static size_t n_queue, cap_queue;
static int64_t dropped;

static char *dup_or_null(const char *s)
{
    return s ? kt_strdup(s) : NULL;
}

void audit_note(const char *key_id, const char *action, const char *customer_id, const char *fields,
                const char *detail, const char *request_id, int64_t now)
{
    struct audit_entry e = {0,
                            now,
                            dup_or_null(key_id),
                            dup_or_null(action),
                            dup_or_null(customer_id),
                            dup_or_null(fields),
                            dup_or_null(detail),
                            dup_or_null(request_id)};
    pthread_mutex_lock(&mu);
    if (n_queue >= QUEUE_MAX) {
        dropped++;
        pthread_mutex_unlock(&mu);
        free((char *)e.key_id);
        free((char *)e.action);
        free((char *)e.customer_id);
        free((char *)e.fields);
        free((char *)e.detail);
        free((char *)e.request_id);
        return;
    }
    if (n_queue == cap_queue) {
        cap_queue = cap_queue ? cap_queue * 2 : 1024;
        queue = kt_realloc(queue, cap_queue * sizeof(*queue));
    }
    queue[n_queue++] = e;
    pthread_mutex_unlock(&mu);
}

static void free_entries(struct audit_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)e[i].key_id);
        free((char *)e[i].action);
        free((char *)e[i].customer_id);
        free((char *)e[i].fields);
        free((char *)e[i].detail);
        free((char *)e[i].request_id);
    }
    free(e);
}

enum kt_rc audit_flush(struct store *s, struct kt_err *err)
{
    pthread_mutex_lock(&mu);
    struct audit_entry *e = queue;
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
        free(e);
        return KT_OK;
    }
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc == KT_OK) {
        rc = store_audit_add(w, e, n, err);
        rc = store_write_end(w, rc, err);
    }
    if (rc != KT_OK) {
        /* Put them back in front, to be tried at the next flush. */
        pthread_mutex_lock(&mu);
        size_t total = n + n_queue;
        struct audit_entry *m = kt_malloc((total ? total : 1) * sizeof(*m));
        memcpy(m, e, n * sizeof(*m));
        if (n_queue > 0) {
            memcpy(m + n, queue, n_queue * sizeof(*m));
        }
        free(queue);
        free(e);
        queue = m;
        n_queue = cap_queue = total;
        pthread_mutex_unlock(&mu);
        return rc;
    }
    free_entries(e, n);
    return KT_OK;
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
    free_entries(queue, n_queue);
    queue = NULL;
    n_queue = cap_queue = 0;
    pthread_mutex_unlock(&mu);
}
