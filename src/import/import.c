/*
 * import.c - CSV rows through the identity path (see import.h and docs/import.md).
 *
 * Two threads: the caller's reads and decodes rows (CSV, cleaning, attribute checks - most of
 * the CPU work) into batches; a writer thread applies each batch in one write transaction.
 * At most two batches wait between them, so memory stays bounded whatever the file size.
 * Here: the reader (rows to the customer documents the API would receive) and import_run; the
 * header's mapping is mapping.c's, the writer thread and the reject file writer.c's.
 */
#include "import/import.h"
#include "import/import_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/str.h"
#include "clean/clean.h"
#include "identity/attrs.h"
#include "import/csvin.h"
#include "consent/consent.h"
#include "quality/quality.h"

/* Rows the reader hands to the writer at a time; the writer's transactions may span several. */
#define HANDOFF_ROWS 1000

/* ---- the reader --------------------------------------------------------------------------- */

/* An attribute cell as JSON of its declared type: numbers and yes/no parsed, lists split. */
static json_t *attr_cell(const struct attr_def *d, const char *s)
{
    const char *type = strcmp(d->type, "list") == 0 ? d->items : d->type;
    if (strcmp(d->type, "list") == 0) {
        json_t *list = json_array();
        const char *p = s;
        while (*p != '\0') {
            size_t n = strcspn(p, ",;|");
            struct str item = str_trim(str_make(p, n));
            if (item.len > 0) {
                char tmp[256];
                size_t m = item.len < sizeof(tmp) - 1 ? item.len : sizeof(tmp) - 1;
                memcpy(tmp, item.p, m);
                tmp[m] = '\0';
                struct attr_def one = *d;
                one.type = d->items;
                json_array_append_new(list, attr_cell(&one, tmp));
            }
            p += n;
            while (*p == ',' || *p == ';' || *p == '|') {
                p++;
            }
        }
        return list;
    }
    if (strcmp(type, "number") == 0) {
        char *end = NULL;
        char tmp[64];
        kt_strlcpy(tmp, s, sizeof(tmp));
        for (char *q = tmp; *q; q++) {
            *q = *q == ',' ? '.' : *q; /* "1,5" from Russian Excel */
        }
        double v = strtod(tmp, &end);
        if (end != tmp && *end == '\0') {
            return v == (double)(long long)v ? json_integer((long long)v) : json_real(v);
        }
    }
    if (strcmp(type, "boolean") == 0) {
        static const char *const yes[] = {"да", "yes", "true", "1", "y", "д", "+"};
        static const char *const no[] = {"нет", "no", "false", "0", "n", "н", "-"};
        struct arena a;
        arena_init(&a, 256);
        const char *k = clean_fold(s, &a);
        json_t *v = NULL;
        for (size_t i = 0; i < 7 && v == NULL; i++) {
            v = strcmp(k, yes[i]) == 0 ? json_true() : strcmp(k, no[i]) == 0 ? json_false() : NULL;
        }
        arena_release(&a);
        if (v != NULL) {
            return v;
        }
    }
    return json_string(s);
}

/* A row as the customer document the API would receive. */
static json_t *row_document(struct job *j, const char **f, size_t n)
{
    json_t *doc = json_object(), *prof = json_object(), *ids = json_object();
    json_t *ext = json_object(), *attrs = json_object();
    for (size_t i = 0; i < n && i < j->n_cols; i++) {
        const struct column *c = &j->cols[i];
        if (f[i][0] == '\0' || c->t == T_IGNORE) {
            continue;
        }
        switch (c->t) {
        case T_PROFILE:
            json_object_set_new(prof, pf_names[c->pf], json_string(f[i]));
            break;
        case T_FULL_NAME:
            json_object_set_new(prof, "full_name", json_string(f[i]));
            break;
        case T_IDENT:
            json_object_set_new(ids, c->name, json_string(f[i]));
            break;
        case T_EXTERNAL:
            json_object_set_new(ext, c->name, json_string(f[i]));
            break;
        case T_ATTR:
            json_object_set_new(attrs, c->name, attr_cell(c->attr, f[i]));
            break;
        case T_IGNORE:
        case T_PAPER:
        case T_DOC:
            break; /* consent evidence: read by decode_row */
        }
    }
    if (json_object_size(ext) > 0) {
        json_object_set(ids, "external", ext);
    }
    json_object_set_new(doc, "profile", prof);
    json_object_set_new(doc, "identifiers", ids);
    json_object_set_new(doc, "attributes", attrs);
    json_decref(ext);
    return doc;
}

static void decode_row(struct job *j, struct batch *b, struct row *r, const char **f, size_t n)
{
    json_t *doc = row_document(j, f, n);
    struct ident_decode_opts o = {false, true, SCOPE_ADMIN, &j->o->src};
    struct kt_err err;
    kt_err_reset(&err);
    r->decoded =
        ident_decode(doc, &o, j->defs, j->n_defs, clock_now_ms(), &b->a, &r->req, &err) == KT_OK;
    json_decref(doc);
    for (size_t i = 0; i < n && i < j->n_cols; i++) {
        if (f[i][0] != '\0' && j->cols[i].t == T_PAPER) {
            r->paper_form = arena_strdup(&b->a, f[i]);
        } else if (f[i][0] != '\0' && j->cols[i].t == T_DOC) {
            r->document = arena_strdup(&b->a, f[i]);
        }
    }
    if (!r->decoded) {
        const char *dot = strchr(err.field, '.');
        r->reasons = arena_printf(&b->a, "%s: %s", dot ? dot + 1 : err.field, err.code);
    }
}

/* A header row that cannot be read fails the file: its names decide where every value goes. */
static enum kt_rc header_bad(const struct csvin_bad *bad, struct kt_err *err)
{
    return kt_err_set(err, KT_EINVAL, bad->code, "file",
                      strcmp(bad->code, "nul_byte") == 0
                          ? "the header row holds a NUL byte in column %zu"
                          : "the header row holds a byte that is not UTF-8 in column %zu (is the "
                            "encoding right? say --encoding)",
                      bad->column + 1);
}

static bool on_row(void *arg, const char **fields, size_t n, size_t row_end,
                   const struct csvin_bad *bad)
{
    struct job *j = arg;
    j->line++;
    if (j->cols == NULL) {
        struct kt_err err;
        kt_err_reset(&err);
        if ((bad != NULL ? header_bad(bad, &err) : import_map_header(j, fields, n, &err)) !=
            KT_OK) {
            pthread_mutex_lock(&j->mu);
            j->failed = true;
            j->err = err;
            pthread_mutex_unlock(&j->mu);
            return false;
        }
        return true;
    }
    if (j->cur == NULL) {
        j->cur = kt_calloc(1, sizeof(*j->cur));
        arena_init(&j->cur->a, 64 * 1024);
    }
    struct batch *b = j->cur;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->rows = kt_realloc(b->rows, sizeof(*b->rows) * b->cap);
    }
    struct row *r = &b->rows[b->n++];
    memset(r, 0, sizeof(*r));
    r->line = j->line;
    r->raw = arena_alloc(&b->a, sizeof(*r->raw) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        r->raw[i] = arena_strdup(&b->a, fields[i]);
    }
    r->n_raw = n;
    if (bad != NULL) {
        /* Refused as a whole, never decoded: a value cut at a NUL or garbled by a bad byte would
         * be stored as something the file did not say. */
        r->reasons = arena_printf(&b->a, "%s: %s",
                                  bad->column < j->n_cols
                                      ? j->header[bad->column]
                                      : arena_printf(&b->a, "column %zu", bad->column + 1),
                                  bad->code);
    } else {
        decode_row(j, b, r, fields, n);
    }
    /* progress in bytes of the file as given (the UTF-8 text may be longer) */
    b->bytes_done = (int64_t)((double)row_end * (double)j->st->bytes_total / (double)j->text_len);
    return b->n < HANDOFF_ROWS || import_push(j);
}

static enum kt_rc load_defs(struct job *j, struct kt_err *err)
{
    struct store_conn *r;
    enum kt_rc rc = store_read_begin(j->s, &r, err);
    if (rc == KT_OK) {
        rc = store_attr_list(r, &j->map_arena, &j->defs, &j->n_defs, err);
        store_read_end(r);
    }
    return rc;
}

static enum kt_rc load_policy(struct job *j, struct kt_err *err)
{
    struct store_conn *r;
    struct privacy_settings ps;
    enum kt_rc rc = store_read_begin(j->s, &r, err);
    if (rc == KT_OK) {
        rc = privacy_settings_get(r, &j->map_arena, &ps, err);
        store_read_end(r);
    }
    j->strict = rc == KT_OK && ps.strict;
    return rc;
}

enum kt_rc import_run(struct store *s, const char *data, size_t len, const struct import_opts *o,
                      struct buf *rejects, struct import_stats *st, import_progress_fn progress,
                      void *arg, struct kt_err *err)
{
    memset(st, 0, sizeof(*st));
    st->bytes_total = (int64_t)len;
    char *text = NULL;
    size_t tlen = 0;
    enum kt_rc rc = csvin_to_utf8(data, len, o->encoding, &text, &tlen, &st->encoding, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct job j;
    memset(&j, 0, sizeof(j));
    j.s = s;
    j.o = o;
    j.st = st;
    j.rejects = rejects;
    j.progress = progress;
    j.arg = arg;
    j.text_len = tlen ? tlen : 1;
    j.delim = o->delimiter ? o->delimiter : csvin_detect_delimiter(text, tlen);
    st->delimiter = j.delim;
    kt_err_reset(&j.err);
    arena_init(&j.map_arena, 0);
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.cv, NULL);
    rc = load_defs(&j, err);
    if (rc == KT_OK) {
        rc = load_policy(&j, err);
    }
    pthread_t th;
    if (rc == KT_OK && pthread_create(&th, NULL, import_writer, &j) != 0) {
        rc = kt_err_set(err, KT_EINTERNAL, "internal", NULL, "cannot start the import writer");
    }
    if (rc == KT_OK) {
        struct kt_err perr;
        kt_err_reset(&perr);
        enum kt_rc prc = csvin_parse(text, tlen, j.delim, on_row, &j, &perr);
        if (prc == KT_OK && j.cur != NULL) {
            import_push(&j);
        }
        pthread_mutex_lock(&j.mu);
        j.done = true;
        pthread_cond_broadcast(&j.cv);
        pthread_mutex_unlock(&j.mu);
        pthread_join(th, NULL);
        if (j.cur != NULL) {
            import_batch_free(j.cur);
        }
        if (!j.failed) {
            /* The tally of the last batches goes to the store now, not at some later write. */
            struct store_conn *w;
            struct kt_err ferr;
            kt_err_reset(&ferr);
            if (store_write_begin(s, &w, &ferr) == KT_OK) {
                store_write_end(w, intake_flush(w, true, clock_now_ms(), &ferr), &ferr);
            }
        }
        if (prc != KT_OK) {
            rc = kt_err_copy(err, &perr);
        } else if (j.failed) {
            rc = kt_err_copy(err, &j.err);
        } else if (j.cols == NULL) {
            rc = kt_err_set(err, KT_EINVAL, "empty_file", NULL, "the file holds no header row");
        }
    }
    pthread_mutex_destroy(&j.mu);
    pthread_cond_destroy(&j.cv);
    arena_release(&j.map_arena);
    free(text);
    return rc;
}
