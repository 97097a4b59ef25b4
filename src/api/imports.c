/*
 * imports.c - /v1/imports: upload a CSV, follow the background job, fetch the reject file.
 * Admin keys only: an import writes many customers at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "consent/consent.h"
#include "import/worker.h"

static json_t *job_json(struct arena *a, const struct import_job *j)
{
    json_t *o =
        json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "id", j->id, "state",
                  j->state, "bytes_total", (json_int_t)j->bytes_total, "bytes_done",
                  (json_int_t)j->bytes_done, "rows", (json_int_t)j->rows_total, "created",
                  (json_int_t)j->created, "updated", (json_int_t)j->updated, "unchanged",
                  (json_int_t)j->unchanged, "partial", (json_int_t)j->partial, "rejected",
                  (json_int_t)j->rejected, "created_at", api_time(a, j->created_at));
    if (j->file_name) {
        json_object_set_new(o, "file_name", json_string(j->file_name));
    }
    if (j->started_at) {
        json_object_set_new(o, "started_at", json_string(api_time(a, j->started_at)));
    }
    if (j->finished_at) {
        json_object_set_new(o, "finished_at", json_string(api_time(a, j->finished_at)));
    }
    if (j->error) {
        json_object_set_new(o, "reason", json_string(j->error)); /* why it failed */
    }
    if (j->has_rejects) {
        json_object_set_new(o, "rejects_url",
                            json_string(arena_printf(a, "/v1/imports/%s/rejects", j->id)));
    }
    /* In every answer, not only the 202: a client polls the url the last answer gave. */
    json_object_set_new(o, "url", json_string(arena_printf(a, "/v1/imports/%s", j->id)));
    return o;
}

/* Options from the query string, as the JSON the worker reads. */
static enum kt_rc upload_options(struct http_req *r, json_t *o, struct kt_err *err)
{
    static const char *const text[] = {"map",      "encoding",    "store",
                                       "operator", "legal_basis", "consent_document"};
    for (size_t i = 0; i < 6; i++) {
        const char *v = http_req_query(r, text[i]);
        if (v != NULL && strlen(v) > 2000) {
            return kt_err_set(err, KT_EBADREQ, "bad_parameter", text[i], "'%s' is too long",
                              text[i]);
        }
        if (v != NULL) {
            json_object_set_new(o, text[i], json_string(v));
        }
    }
    const char *enc = http_req_query(r, "encoding");
    if (enc && strcmp(enc, "utf-8") && strcmp(enc, "utf-16") && strcmp(enc, "windows-1251")) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "encoding",
                          "encoding is utf-8, utf-16 or windows-1251");
    }
    const char *d = http_req_query(r, "delimiter");
    if (d != NULL) {
        const char *delim = strcmp(d, "tab") == 0                   ? "\t"
                            : strlen(d) == 1 && strchr(";,|", d[0]) ? d
                                                                    : NULL;
        if (delim == NULL) {
            kt_err_set(err, KT_EBADREQ, "bad_parameter", "delimiter",
                       "delimiter is ';', ',', '|' or tab");
            return KT_EBADREQ;
        }
        json_object_set_new(o, "delimiter", json_string(delim));
    }
    const char *t = http_req_query(r, "at");
    int64_t ms;
    if (t != NULL) {
        if (!time_parse_rfc3339(t, strlen(t), &ms)) {
            return kt_err_set(err, KT_EBADREQ, "bad_parameter", "at",
                              "at must be an RFC 3339 time");
        }
        const char *why = time_client_check(ms, clock_now_ms());
        if (why != NULL) {
            return kt_err_set(err, KT_EINVAL, "invalid_time", "at", "'at' %s", why);
        }
        json_object_set_new(o, "at", json_integer(ms));
    }
    return KT_OK;
}

static enum kt_rc save_upload(struct http_req *r, const char *path, struct kt_err *err)
{
    mkdir(r->app->imports_dir, 0700);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ssize_t w = fd >= 0 ? write(fd, r->body, r->body_len) : -1;
    int sync = fd >= 0 ? fsync(fd) : -1;
    if (fd >= 0) {
        close(fd);
    }
    if (w != (ssize_t)r->body_len || sync != 0) {
        unlink(path);
        kt_err_set(err, KT_EINTERNAL, "upload_failed", NULL, "the upload could not be saved");
        kt_err_detail(err, "%s", strerror(errno));
        return KT_EINTERNAL;
    }
    return KT_OK;
}

enum kt_rc api_imports_create(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {
        "map",       "delimiter",   "encoding",         "store", "operator", "at",
        "file_name", "legal_basis", "consent_document", NULL};
    json_t *opts = api_own(r->arena, json_object());
    struct import_job j;
    memset(&j, 0, sizeof(j));
    struct store_conn *w;
    if (http_req_query_only(r, allowed, err) != KT_OK || upload_options(r, opts, err) != KT_OK) {
        return err->rc;
    }
    if (r->body_len == 0) {
        return kt_err_set(err, KT_EBADREQ, "empty_body", NULL, "the upload is empty");
    }
    id_new(j.id, sizeof(j.id), "i_");
    j.state = "queued";
    const char *name = http_req_query(r, "file_name");
    j.file_name = name && strlen(name) <= 200 ? name : NULL;
    j.path = arena_printf(r->arena, "%s/%s.csv", r->app->imports_dir, j.id);
    char *text = json_dumps(opts, JSON_COMPACT);
    j.options = arena_strdup(r->arena, text);
    free(text);
    j.bytes_total = (int64_t)r->body_len;
    j.created_at = clock_now_ms();
    if (save_upload(r, j.path, err) != KT_OK ||
        store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_import_insert(w, &j, err);
    if ((rc = store_write_end(w, rc, err)) != KT_OK) {
        unlink(j.path);
        return err->rc;
    }
    if (r->app->imports != NULL) {
        import_worker_wake(r->app->imports);
    }
    http_reply_json(r, 202, job_json(r->arena, &j));
    return KT_OK;
}

static bool get_job(struct http_req *r, struct import_job *j, struct kt_err *err)
{
    struct store_conn *rd;
    if (!id_valid(r->params[0], "i_")) {
        kt_err_set(err, KT_ENOTFOUND, "import_not_found", "id", "import not found");
        return false;
    }
    return http_req_reader(r, &rd, err) == KT_OK &&
           store_import_get(rd, r->params[0], r->arena, j, err) == KT_OK;
}

enum kt_rc api_imports_get(struct http_req *r, struct kt_err *err)
{
    struct import_job j;
    if (!get_job(r, &j, err)) {
        return err->rc;
    }
    http_reply_json(r, 200, job_json(r->arena, &j));
    return KT_OK;
}

enum kt_rc api_imports_rejects(struct http_req *r, struct kt_err *err)
{
    struct import_job j;
    if (!get_job(r, &j, err)) {
        return err->rc;
    }
    /* The lines kept: those of erased people are gone, and all of them after their term. */
    struct buf file;
    buf_init(&file, (size_t)1 << 30); /* a reply is built in memory; rows are at most that */
    struct store_conn *rd;
    int64_t rows = 0;
    bool finished = strcmp(j.state, "done") == 0 || strcmp(j.state, "failed") == 0;
    if (finished && http_req_reader(r, &rd, err) == KT_OK) {
        store_reject_file(rd, j.id, &file, &rows, err);
    }
    if (err->rc == KT_OK && file.failed) {
        kt_err_set(err, KT_EINTERNAL, "internal", NULL, "internal error");
        kt_err_detail(err, "reject file of %s over %zu bytes", j.id, file.max);
    }
    if (err->rc == KT_OK && rows == 0) {
        kt_err_set(err, KT_ENOTFOUND, "no_rejects", NULL,
                   !finished                    ? "the import has not finished"
                   : j.partial + j.rejected > 0 ? "the rejected rows expired or were erased"
                                                : "every row was imported whole");
    }
    if (err->rc == KT_OK) { /* raw rows of people who may be nobody's customer: one entry */
        api_audit_bulk(r, AUDIT_F_REJECTS, j.id);
        http_reply_text(r, 200, "text/csv; charset=utf-8", buf_cstr(&file), file.len);
    }
    buf_release(&file);
    return err->rc;
}

enum kt_rc api_imports_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", NULL};
    int limit;
    struct store_conn *rd;
    struct import_job *jobs;
    size_t n;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 50, 200, &limit, err) != KT_OK || http_req_reader(r, &rd, err) != KT_OK ||
        store_import_list(rd, limit, r->arena, &jobs, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, job_json(r->arena, &jobs[i]));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}
