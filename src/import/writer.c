/*
 * writer.c - the importer's writer thread (see import.c): it takes the reader's batches from the
 * queue and applies each row as POST /v1/customers would - the suppression list and the
 * consent policy first, then ident_upsert() and the consent the row proves - in transactions
 * of `batch` rows, and writes the reject file's lines. What a transaction did reaches the
 * statistics and the reject file only at its commit, so both describe what is stored.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/num.h"
#include "consent/consent.h"
#include "import/import_int.h"
#include "import/rejects.h"
#include "quality/quality.h"

/* ---- the reject file ---------------------------------------------------------------------- */

static void csv_field(struct buf *b, const char *s, char delim)
{
    bool quote = strchr(s, delim) || strchr(s, '"') || strchr(s, '\n') || strchr(s, '\r');
    if (!quote) {
        buf_puts(b, s);
        return;
    }
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"') {
            buf_putc(b, '"');
        }
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

void import_reject_header(struct job *j)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "\xEF\xBB\xBF");
    for (size_t i = 0; i < j->n_cols; i++) {
        csv_field(&b, j->header[i], j->delim);
        buf_putc(&b, j->delim);
    }
    buf_printf(&b, "_row%c_status%c_reasons\r\n", j->delim, j->delim);
    j->reject_head = arena_strdup(&j->map_arena, buf_cstr(&b));
    buf_release(&b);
    if (j->rejects != NULL) {
        buf_puts(j->rejects, j->reject_head);
    }
}

static void reject_row(struct job *j, struct buf *out, const struct row *r)
{
    for (size_t i = 0; i < j->n_cols; i++) {
        csv_field(out, i < r->n_raw && !r->blank ? r->raw[i] : "", j->delim);
        buf_putc(out, j->delim);
    }
    buf_printf(out, "%lld%c%s%c", (long long)r->line, j->delim,
               r->out == R_REJECTED ? "rejected" : "partial", j->delim);
    csv_field(out, r->reasons ? r->reasons : "", j->delim);
    buf_puts(out, "\r\n");
}

/* ---- the writer thread -------------------------------------------------------------------- */

static const char *refusal_reasons(const struct upsert_req *req, struct arena *a)
{
    struct buf b;
    buf_init(&b, 4096);
    for (size_t i = 0; i < req->n_refused; i++) {
        const char *f = req->refused[i].field;
        const char *dot = strchr(f, '.');
        buf_printf(&b, "%s%s: %s", i ? "; " : "", dot ? dot + 1 : f, req->refused[i].reason);
    }
    char *s = arena_strdup(a, buf_cstr(&b));
    buf_release(&b);
    return s;
}

/*
 * The writer's open transaction. It spans hand-off batches until `o->batch` rows are in it or
 * the queue runs dry (the write lock is never held while waiting for the reader). What the rows
 * did is counted aside and reaches the job's statistics and reject file only at the commit, so
 * both always describe what is stored.
 */
struct txn {
    struct store_conn *w; /* NULL: none open */
    int64_t now;
    size_t rows;
    int64_t created, updated, unchanged, partial, rejected, suppressed, bytes_done;
    int64_t grants;   /* consent events recorded, for the audit entry at the commit */
    bool head_stored; /* the reject file's header is stored in this transaction */
    struct buf rejects;
};

/* Before a row is stored: its data must not be an erased person's, and under the strict policy
 * it must bring its consent evidence. `*reason` gets why it is rejected, or NULL. */
static enum kt_rc row_gate(struct job *j, struct txn *t, const struct row *r, const char **reason,
                           struct kt_err *err)
{
    const char *which = NULL;
    enum kt_rc rc = suppress_check(t->w, j->o->secret, &r->req, false, t->now, &which, err);
    if (rc == KT_OK && which != NULL) {
        *reason = "suppressed";
    } else if (rc == KT_OK && j->strict && r->paper_form == NULL && j->o->legal_basis == NULL) {
        *reason = "consent_required";
    }
    return rc;
}

/* After a row is stored: the consent it proves, or consent_pending for a new customer. */
static enum kt_rc row_consent(struct job *j, struct txn *t, struct batch *b, const struct row *r,
                              const struct upsert_result *res, struct kt_err *err)
{
    struct consent_actor who = {"import", j->o->src.store_id,   j->o->src.operator_id,
                                NULL,     j->o->src.request_id, res->cust.id,
                                true};
    if (r->paper_form == NULL && j->o->legal_basis == NULL) {
        return res->created ? consent_mark_pending(t->w, res->cust.ck, &who, t->now, err) : KT_OK;
    }
    struct consent_input in;
    memset(&in, 0, sizeof(in));
    in.purpose = "pd_processing";
    in.channel = "";
    in.granted = true;
    in.at = r->req.src.observed_at ? r->req.src.observed_at : t->now;
    in.paper_form = r->paper_form;
    in.legal_basis = r->paper_form ? NULL : j->o->legal_basis;
    const char *doc = r->document ? r->document : j->o->consent_document;
    if (doc != NULL) {
        const char *at = strchr(doc, '@');
        int64_t v = 0;
        in.doc_key = at ? arena_strndup(&b->a, doc, (size_t)(at - doc)) : doc;
        if (at && !num_parse_cstr(at + 1, 1, INT32_MAX, &v)) {
            return kt_err_set(err, KT_EINVAL, "invalid_document", "consent_document",
                              "the consent document is written key@version");
        }
        in.doc_version = v;
    }
    /* Only a new grant is recorded: importing the same file again changes nothing. */
    if (!res->created) {
        struct consent_state *cs;
        size_t n;
        enum kt_rc rc = consent_states(t->w, res->cust.ck, t->now, &b->a, &cs, &n, err);
        if (rc != KT_OK) {
            return rc;
        }
        if (strcmp(consent_find(cs, n, "pd_processing", "")->state, "given") == 0) {
            return KT_OK;
        }
    }
    t->grants++;
    return consent_record(t->w, res->cust.ck, &in, 1, &who, t->now, NULL, err);
}

static void apply_row(struct job *j, struct txn *t, struct batch *b, struct row *r,
                      struct kt_err *err, enum kt_rc *rc)
{
    if (!r->decoded) {
        r->out = R_REJECTED;
        intake_record(&j->o->src, NULL, true, t->now);
        return;
    }
    struct upsert_result res;
    struct kt_err e2;
    kt_err_reset(&e2);
    const char *gate = NULL;
    enum kt_rc urc = row_gate(j, t, r, &gate, &e2);
    if (urc == KT_OK && gate != NULL) {
        r->out = R_REJECTED;
        r->reasons = gate;
        /* An erased person's data does not come back through the reject file either. */
        r->blank = strcmp(gate, "suppressed") == 0;
        t->suppressed += r->blank;
        intake_record(&r->req.src, &r->req, true, t->now);
        return;
    }
    if (urc == KT_OK) {
        urc = ident_upsert(t->w, &r->req, t->now, &b->a, &res, &e2);
    }
    if (urc == KT_OK) {
        urc = row_consent(j, t, b, r, &res, &e2);
    }
    if (urc == KT_EINVAL) {
        /* refused before anything was written (no identifier left, say) */
        r->out = R_REJECTED;
        r->reasons =
            arena_printf(&b->a, "%s%s%s", r->req.n_refused ? refusal_reasons(&r->req, &b->a) : "",
                         r->req.n_refused ? "; " : "", e2.code);
        intake_record(&r->req.src, &r->req, true, t->now);
        return;
    }
    if (urc != KT_OK) {
        *rc = kt_err_copy(err, &e2);
        return;
    }
    intake_record(&r->req.src, &r->req, false, t->now);
    t->created += res.created;
    t->updated += !res.created && res.changed;
    t->unchanged += !res.created && !res.changed;
    if (r->req.n_refused > 0) {
        r->out = R_PARTIAL;
        r->reasons = refusal_reasons(&r->req, &b->a);
    } else {
        r->out = res.created ? R_CREATED : res.changed ? R_UPDATED : R_UNCHANGED;
    }
}

/* A row for the reject file: into the transaction's part of it (published at the commit) and,
 * for a server job, stored with the keyed hashes of what it carries, so that an erasure finds
 * it (import/rejects.h). */
static enum kt_rc keep_reject(struct job *j, struct txn *t, struct batch *b, const struct row *r,
                              struct kt_err *err)
{
    size_t start = t->rejects.len;
    reject_row(j, &t->rejects, r);
    const char *id = j->o->reject_import_id;
    if (id == NULL) {
        return KT_OK;
    }
    enum kt_rc rc = KT_OK;
    if (!t->head_stored) {
        struct import_reject h = {id, IMPORT_REJECT_HEADER, t->now, j->reject_head, NULL, 0};
        rc = store_reject_add(t->w, &h, err);
        t->head_stored = rc == KT_OK;
    }
    struct import_reject line = {
        id,     r->line,
        t->now, arena_strndup(&b->a, buf_cstr(&t->rejects) + start, t->rejects.len - start),
        NULL,   0};
    if (!r->blank) {
        unsigned char(*keys)[32] = NULL;
        import_reject_keys(j->o->secret, r->decoded ? &r->req : NULL, r->raw, r->n_raw, j->kinds,
                           j->n_cols, &b->a, &keys, &line.n_keys);
        line.keys = (const unsigned char(*)[32])keys;
    }
    return rc == KT_OK ? store_reject_add(t->w, &line, err) : rc;
}

/* Applies a batch inside the open transaction (opening one if needed). */
static enum kt_rc apply_batch(struct job *j, struct txn *t, struct batch *b, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    if (t->w == NULL) {
        rc = store_write_begin(j->s, &t->w, err);
        if (rc != KT_OK) {
            t->w = NULL;
            return rc;
        }
        t->now = clock_now_ms();
        t->head_stored = false;
    }
    for (size_t i = 0; i < b->n && rc == KT_OK; i++) {
        struct row *r = &b->rows[i];
        apply_row(j, t, b, r, err, &rc);
        t->partial += r->out == R_PARTIAL;
        t->rejected += r->out == R_REJECTED;
        if (rc == KT_OK && (r->out == R_PARTIAL || r->out == R_REJECTED)) {
            rc = keep_reject(j, t, b, r, err);
        }
    }
    t->rows += b->n;
    t->bytes_done = b->bytes_done;
    if (rc != KT_OK) {
        store_write_rollback(t->w);
        t->w = NULL;
    }
    return rc;
}

/* Commits the open transaction and publishes what it did. */
static enum kt_rc commit(struct job *j, struct txn *t, struct kt_err *err)
{
    if (t->w == NULL) {
        return KT_OK;
    }
    enum kt_rc rc = intake_flush(t->w, false, t->now, err);
    if (rc == KT_OK && t->grants > 0) {
        /* One audit entry for the transaction's grants; each grant is its own consent event
         * (with the import's request id), and acts of destruction extract those too. */
        char detail[160];
        kt_snprintf(detail, sizeof(detail), "import: %lld pd_processing grants (%s)",
                    (long long)t->grants, j->o->legal_basis ? "legal basis" : "paper forms");
        rc = audit_write(t->w, NULL, "consent", NULL, "pd_processing", detail, j->o->src.request_id,
                         t->now, err);
    }
    rc = store_write_end(t->w, rc, err);
    t->w = NULL;
    t->grants = 0;
    if (rc != KT_OK) {
        return rc;
    }
    struct import_stats *st = j->st;
    st->rows += (int64_t)t->rows;
    st->created += t->created;
    st->updated += t->updated;
    st->unchanged += t->unchanged;
    st->partial += t->partial;
    st->rejected += t->rejected;
    st->suppressed += t->suppressed;
    st->bytes_done = t->bytes_done;
    if (j->rejects != NULL) {
        buf_append(j->rejects, buf_cstr(&t->rejects), t->rejects.len);
    }
    buf_reset(&t->rejects);
    t->rows = 0;
    t->created = t->updated = t->unchanged = t->partial = t->rejected = t->suppressed = 0;
    if (j->progress != NULL) {
        j->progress(j->arg, st);
    }
    return KT_OK;
}

void import_batch_free(struct batch *b)
{
    arena_release(&b->a);
    free(b->rows);
    free(b);
}

static void writer_failed(struct job *j, const struct kt_err *err)
{
    pthread_mutex_lock(&j->mu);
    j->failed = true;
    j->err = *err;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

void *import_writer(void *arg)
{
    struct job *j = arg;
    struct txn t;
    memset(&t, 0, sizeof(t));
    buf_init(&t.rejects, 0);
    size_t per_txn = j->o->batch > 0 ? (size_t)j->o->batch : 2000;
    bool failed = false;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        if (j->head == NULL && t.w != NULL) {
            /* nothing queued: commit rather than hold the write lock while the reader works */
            pthread_mutex_unlock(&j->mu);
            struct kt_err err;
            kt_err_reset(&err);
            if (commit(j, &t, &err) != KT_OK) {
                writer_failed(j, &err);
                failed = true;
            }
            continue;
        }
        while (j->head == NULL && !j->done) {
            pthread_cond_wait(&j->cv, &j->mu);
        }
        struct batch *b = j->head;
        if (b == NULL) {
            pthread_mutex_unlock(&j->mu);
            break;
        }
        j->head = b->next;
        if (j->head == NULL) {
            j->tail = NULL;
        }
        j->queued--;
        failed = failed || j->failed;
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
        struct kt_err err;
        kt_err_reset(&err);
        if (!failed && (apply_batch(j, &t, b, &err) != KT_OK ||
                        (t.rows >= per_txn && commit(j, &t, &err) != KT_OK))) {
            writer_failed(j, &err);
            failed = true;
        }
        import_batch_free(b);
    }
    if (t.w != NULL) {
        store_write_rollback(t.w); /* only after a failure: a clean end commits when idle */
    }
    buf_release(&t.rejects);
    return NULL;
}

/* Hands the current batch to the writer, waiting while two are queued. False when the writer
 * failed or the job was asked to stop. */
bool import_push(struct job *j)
{
    struct batch *b = j->cur;
    j->cur = NULL;
    if (b == NULL) {
        return true;
    }
    pthread_mutex_lock(&j->mu);
    while (j->queued >= 2 && !j->failed) {
        pthread_cond_wait(&j->cv, &j->mu);
    }
    bool ok = !j->failed;
    if (ok) {
        if (j->tail) {
            j->tail->next = b;
        } else {
            j->head = b;
        }
        j->tail = b;
        j->queued++;
        pthread_cond_broadcast(&j->cv);
    }
    pthread_mutex_unlock(&j->mu);
    if (!ok) {
        import_batch_free(b);
    }
    return ok && !(j->o->stop && atomic_load(j->o->stop));
}
