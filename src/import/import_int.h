/*
 * import_int.h - what the parts of the importer share (import.h is its interface): a column's
 * target, a row, a batch of rows and the job. import.c reads rows into batches, mapping.c maps
 * the header, writer.c applies the batches on the writer thread.
 *
 * Threads: the reader (the caller of import_run) owns `cur` and the mapping, which is written
 * once, from the header, before the writer sees a batch; the queue and the failure are guarded
 * by `mu`.
 */
#ifndef KT_IMPORT_IMPORT_INT_H
#define KT_IMPORT_IMPORT_INT_H

#include <pthread.h>

#include "identity/attrs.h"
#include "import/import.h"

/* ---- mapping ------------------------------------------------------------------------------ */

enum target { T_IGNORE, T_PROFILE, T_FULL_NAME, T_IDENT, T_EXTERNAL, T_ATTR, T_PAPER, T_DOC };

struct column {
    enum target t;
    int pf;           /* T_PROFILE */
    const char *name; /* identifier kind, external system or attribute name */
    const struct attr_def *attr;
};

/* ---- batches ------------------------------------------------------------------------------ */

enum outcome { R_PENDING, R_CREATED, R_UPDATED, R_UNCHANGED, R_PARTIAL, R_REJECTED };

struct row {
    int64_t line;     /* row number in the file, header = 1 */
    const char **raw; /* the fields as read, for the reject file */
    size_t n_raw;
    bool decoded;
    struct upsert_req req;
    const char *reasons; /* "phone: too_short; birth_date: under_14" */
    enum outcome out;
    bool blank;             /* suppressed: the reject file keeps none of its values */
    const char *paper_form; /* consent evidence of the row, or NULL */
    const char *document;   /* "key@version" of the row, or NULL */
};

struct batch {
    struct arena a;
    struct row *rows;
    size_t n, cap;
    int64_t bytes_done;
    struct batch *next;
};

struct job {
    struct store *s;
    const struct import_opts *o;
    struct import_stats *st;
    struct buf *rejects;
    import_progress_fn progress;
    void *arg;
    char delim;
    size_t text_len; /* bytes of UTF-8 text */
    /* mapping, from the header */
    struct arena map_arena;
    struct column *cols;
    const char **header;
    const char **kinds;      /* per column: "phone", "email", "card" or NULL (for reject keys) */
    const char *reject_head; /* the reject file's header line, BOM and CRLF included */
    size_t n_cols;
    struct attr_def *defs;
    size_t n_defs;
    int64_t line;
    struct batch *cur;
    /* the queue, guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *head, *tail;
    int queued;
    bool strict; /* the retailer's consent policy, read at the start */
    bool done;   /* the reader has finished */
    bool failed; /* the writer hit an error; err holds it */
    struct kt_err err;
};

/* mapping.c: maps the header row `fields` onto targets (j->cols, j->header, j->kinds and the
 * reject file's header); fails on a bad --map and on a file without an identifier column. */
enum kt_rc import_map_header(struct job *j, const char **fields, size_t n, struct kt_err *err);

/* writer.c: the reject file's header line, into j->reject_head and the caller's reject
 * buffer. */
void import_reject_header(struct job *j);

/* writer.c: the writer thread's body; `arg` is the job. Runs until the reader is done and the
 * queue is empty, or a batch fails (j->failed, j->err). */
void *import_writer(void *arg);

/* writer.c: hands j->cur to the writer (see the function). */
bool import_push(struct job *j);

/* writer.c: a batch and its rows freed. */
void import_batch_free(struct batch *b);

#endif
