/*
 * worker.c - runs import jobs in the background (see worker.h).
 */
#include "import/worker.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "import/import.h"

struct import_worker {
    struct store *s;
    struct key_secret secret; /* keys the suppression list */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool wake;        /* guarded by mu */
    atomic_bool stop; /* read between batches */
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
    io.src.observed_at = json_integer_value(json_object_get(o, "observed_at"));
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

static void *loop(void *arg)
{
    struct import_worker *w = arg;
    pthread_setname_np(pthread_self(), "kt-import");
    while (!atomic_load(&w->stop)) {
        struct arena a;
        arena_init(&a, 0);
        struct import_job job;
        if (next_job(w, &a, &job)) {
            run_job(w, &job, &a);
            arena_release(&a);
            continue;
        }
        arena_release(&a);
        pthread_mutex_lock(&w->mu);
        if (!w->wake && !atomic_load(&w->stop)) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 5;
            pthread_cond_timedwait(&w->cv, &w->mu, &until);
        }
        w->wake = false;
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

enum kt_rc import_worker_start(struct store *s, const struct key_secret *secret,
                               struct import_worker **out, struct kt_err *err)
{
    struct import_worker *w = kt_calloc(1, sizeof(*w));
    w->s = s;
    w->secret = *secret;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->th, NULL, loop, w) != 0) {
        free(w);
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "cannot start the import worker");
    }
    *out = w;
    return KT_OK;
}

void import_worker_wake(struct import_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->wake = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void import_worker_stop(struct import_worker *w)
{
    if (w == NULL) {
        return;
    }
    atomic_store(&w->stop, true);
    import_worker_wake(w);
    pthread_join(w->th, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
