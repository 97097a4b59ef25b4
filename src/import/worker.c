/*
 * worker.c - runs import jobs in the background (see worker.h).
 */
#include "import/worker.h"

#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/ticker.h"
#include "import/import.h"

#define POLL_MS 5000 /* a job queued by another process (or a lost wake) waits at most this */

struct import_worker {
    struct store *s;
    struct key_secret secret; /* keys the suppression list */
    struct ticker *th;        /* a pass runs the queued jobs, at every tick and wake */
    atomic_bool stop;         /* set by import_worker_stop(); read between batches */
};

struct run_ctx {
    struct import_worker *w;
    struct import_job *job;
    int64_t last; /* ms of the last progress write */
};

static void save(struct store *s, const struct import_job *job)
{
    struct store_conn *c;
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = store_write_begin(s, &c, &err);
    if (rc == KT_OK) {
        rc = store_import_update(c, job, &err);
        rc = store_write_end(c, rc, &err);
    }
    if (rc != KT_OK) {
        log_warn("import_progress", "import=%s code=%s", job->id, err.code);
    }
}

static void copy_stats(struct import_job *job, const struct import_stats *st)
{
    job->bytes_done = st->bytes_done;
    job->rows_total = st->rows;
    job->created = st->created;
    job->updated = st->updated;
    job->unchanged = st->unchanged;
    job->partial = st->partial;
    job->rejected = st->rejected;
}

static void progress(void *arg, const struct import_stats *st)
{
    struct run_ctx *rc = arg;
    int64_t now = clock_now_ms();
    copy_stats(rc->job, st);
    if (now - rc->last >= 1000) {
        rc->last = now;
        save(rc->w->s, rc->job);
    }
}

/* A job run again from the start (after a shutdown) writes its reject lines anew. */
static enum kt_rc clear_rejects(struct store *s, const char *id, struct kt_err *err)
{
    struct store_conn *c;
    enum kt_rc rc = store_write_begin(s, &c, err);
    if (rc == KT_OK) {
        rc = store_write_end(c, store_reject_clear(c, id, err), err);
    }
    return rc;
}

static const char *opt(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void run_job(struct import_worker *w, struct import_job *job, struct arena *a)
{
    json_t *o = json_loads(job->options ? job->options : "{}", 0, NULL);
    struct import_opts io;
    memset(&io, 0, sizeof(io));
    io.map = opt(o, "map");
    io.encoding = opt(o, "encoding");
    const char *d = opt(o, "delimiter");
    io.delimiter = d && d[0] ? d[0] : 0;
    io.src.channel = "import";
    io.src.store_id = opt(o, "store");
    io.src.operator_id = opt(o, "operator");
    io.src.request_id = job->id;
    io.src.observed_at = json_integer_value(json_object_get(o, "at"));
    io.legal_basis = opt(o, "legal_basis");
    io.consent_document = opt(o, "consent_document");
    io.secret = &w->secret;
    io.reject_import_id = job->id;
    io.batch = 1000; /* short transactions: the API keeps answering during a big import */
    io.stop = &w->stop;
    job->state = "running";
    job->started_at = clock_now_ms();
    save(w->s, job);
    log_info("import_started", "import=%s bytes=%lld", job->id, (long long)job->bytes_total);

    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = KT_OK;
    int fd = open(job->path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    const char *data = NULL;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        rc = kt_err_set(&err, KT_EINTERNAL, "upload_lost", NULL, "the uploaded file is gone");
    } else {
        data = sb.st_size ? mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : "";
        rc = data == MAP_FAILED ? kt_err_set(&err, KT_EINTERNAL, "upload_lost", NULL,
                                             "the uploaded file cannot be read")
                                : KT_OK;
    }
    if (fd >= 0) {
        close(fd);
    }
    struct import_stats st;
    memset(&st, 0, sizeof(st));
    struct run_ctx ctx = {w, job, 0};
    if (rc == KT_OK) {
        rc = clear_rejects(w->s, job->id, &err);
    }
    if (rc == KT_OK) {
        rc = import_run(w->s, data, (size_t)sb.st_size, &io, NULL, &st, progress, &ctx, &err);
        if (sb.st_size) {
            munmap((void *)data, (size_t)sb.st_size);
        }
    }
    copy_stats(job, &st);
    if (atomic_load(&w->stop)) {
        log_info("import_interrupted", "import=%s rows=%lld", job->id, (long long)st.rows);
        save(w->s, job); /* stays "running": the next start runs it again */
    } else {
        job->state = rc == KT_OK ? "done" : "failed";
        job->error = rc == KT_OK ? NULL : arena_strdup(a, err.msg);
        job->finished_at = clock_now_ms();
        save(w->s, job);
        unlink(job->path);
        log_info("import_finished", "import=%s state=%s rows=%lld created=%lld rejected=%lld",
                 job->id, job->state, (long long)st.rows, (long long)st.created,
                 (long long)st.rejected);
    }
    json_decref(o);
}

/* The next job to run, if any. */
static bool next_job(struct import_worker *w, struct arena *a, struct import_job *job)
{
    struct store_conn *r;
    struct kt_err err;
    kt_err_reset(&err);
    if (store_read_begin(w->s, &r, &err) != KT_OK) {
        return false;
    }
    enum kt_rc rc = store_import_next(r, a, job, &err);
    store_read_end(r);
    return rc == KT_OK;
}

/* One pass of the worker's thread: the queued jobs, one after another, until none is left or the
 * worker stops. */
static void pass(void *arg)
{
    struct import_worker *w = arg;
    while (!atomic_load(&w->stop)) {
        struct arena a;
        arena_init(&a, 0);
        struct import_job job;
        bool found = next_job(w, &a, &job);
        if (found) {
            run_job(w, &job, &a);
        }
        arena_release(&a);
        if (!found) {
            return;
        }
    }
}

enum kt_rc import_worker_start(struct store *s, const struct key_secret *secret,
                               struct import_worker **out, struct kt_err *err)
{
    struct import_worker *w = kt_calloc(1, sizeof(*w));
    w->s = s;
    w->secret = *secret;
    atomic_init(&w->stop, false);
    struct ticker_opts o = {"kt-import", POLL_MS, 0, pass, w};
    enum kt_rc rc = ticker_start(&o, &w->th, err);
    if (rc != KT_OK) {
        sodium_memzero(&w->secret, sizeof(w->secret));
        free(w);
        return rc;
    }
    ticker_wake(w->th); /* a job a shutdown interrupted runs again at once */
    *out = w;
    return KT_OK;
}

void import_worker_wake(struct import_worker *w)
{
    ticker_wake(w->th);
}

void import_worker_stop(struct import_worker *w)
{
    if (w == NULL) {
        return;
    }
    atomic_store(&w->stop, true); /* the running job stops after its current batch */
    ticker_stop(w->th);
    sodium_memzero(&w->secret, sizeof(w->secret));
    free(w);
}
