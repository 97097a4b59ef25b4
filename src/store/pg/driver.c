/*
 * driver.c - libpq as the SQL layer's driver (sql_int.h).
 *
 * A statement's text is the layer's, with ?N placeholders (and ?, numbered after the highest
 * seen, as SQLite does); it is rewritten to $N once, at prepare. A statement kept for the
 * connection's life is prepared on the server by name (PQprepare), one round trip once; one made
 * for a call is sent with its values (PQexecParams). Values are bound as text - PostgreSQL infers
 * each parameter's type from where it stands - and blobs in binary; rows come back as text, bytea
 * unescaped on demand. A step runs the statement at its first call and walks the rows it gave.
 *
 * Failures are told apart by SQLSTATE: integrity violations and a trigger's refusal are
 * SQL_CONSTRAINT (what SQLite says for both), lock and serialization failures SQL_BUSY, a lost
 * server PG_UNAVAILABLE; the message stays on the connection for pg_fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "store/pg/pg_int.h"

#define BYTEAOID   17
#define BOOLOID    16
#define INT8OID    20
#define INT2OID    21
#define INT4OID    23
#define OIDOID     26
#define FLOAT4OID  700
#define FLOAT8OID  701
#define NUMERICOID 1700
#define TEXTOID    25

struct pg_stmt {
    struct sql_stmt base;
    char name[16]; /* "" for a statement of one call */
    char *text;    /* owned: the text with $N */
    int nparams;   /* the highest $N */
    Oid *types;    /* owned: 0 (inferred), or text for a number the text never names */
    char **vals;   /* owned: each value's bytes, NULL for NULL */
    int *lens;     /* owned */
    int *fmts;     /* owned: 1 for a blob */
    PGresult *res; /* the rows of the last run */
    int row;       /* the row a step is on; -1 before the first */
    bool ran;      /* run since the last reset */
    bool one_row;  /* an INSERT of one row that SQLite would fail on a duplicate (see insert) */
    unsigned char **blobs; /* unescaped bytea of the current row, per column; owned */
    size_t *blen;
    int ncols;
};

static struct pg_conn *conn_of(struct sql_stmt *st)
{
    return (struct pg_conn *)st->conn;
}

static void set_error(struct pg_conn *c, const PGresult *res)
{
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    free(c->errmsg);
    c->errmsg = kt_strdup(msg && *msg ? msg : "unknown failure");
    size_t n = strlen(c->errmsg);
    while (n > 0 && (c->errmsg[n - 1] == '\n' || c->errmsg[n - 1] == ' ')) {
        c->errmsg[--n] = '\0';
    }
    kt_strlcpy(c->sqlstate, state ? state : "", sizeof(c->sqlstate));
}

/* The layer's code for the failure just recorded. A failure without a SQLSTATE is libpq's own,
 * not the server's: a connection lost (libpq may still call it CONNECTION_OK - a server killed
 * under a statement, `pg_ctl -m immediate`, said "server closed the connection unexpectedly"
 * so) or out of step; either way the connection is not to be used again. */
static int classify(struct pg_conn *c)
{
    const char *s = c->sqlstate;
    if (PQstatus(c->pg) != CONNECTION_OK || s[0] == '\0' || strncmp(s, "08", 2) == 0 ||
        strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0) {
        c->broken = true;
        return PG_UNAVAILABLE;
    }
    if (strncmp(s, "23", 2) == 0 || strcmp(s, "P0001") == 0) {
        return SQL_CONSTRAINT;
    }
    if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0 ||
        strcmp(s, "57014") == 0) {
        return SQL_BUSY;
    }
    return SQL_ERROR;
}

enum kt_rc pg_unavailable(struct kt_err *err, int retry_after, const char *what, const char *msg)
{
    if (err != NULL && err->rc == KT_OK) {
        kt_err_set(err, KT_EBUSY, "store_unavailable", NULL,
                   "the database cannot be reached; retry shortly");
        err->retry_after = retry_after;
        kt_err_detail(err, "%s: %s", what, msg);
    }
    return KT_EBUSY;
}

enum kt_rc pg_fail(struct pg_conn *c, int rc, const char *what, struct kt_err *err)
{
    const char *msg = c && c->errmsg ? c->errmsg : "unknown failure";
    if (rc == PG_UNAVAILABLE) { /* the connection is dropped; the next call makes a new one */
        return pg_unavailable(err, 1, what, msg);
    }
    if (rc == SQL_BUSY) {
        kt_err_set(err, KT_EBUSY, "store_busy", NULL, "the database is busy; retry shortly");
        kt_err_detail(err, "%s: %s", what, msg);
        return KT_EBUSY;
    }
    if (c != NULL && strcmp(c->sqlstate, "53100") == 0) {
        kt_err_set(err, KT_ESPACE, "storage_full", NULL,
                   "the database's disk is full; nothing was written, retry once space is freed");
        if (err != NULL) {
            err->retry_after = 30;
        }
        kt_err_detail(err, "%s: %s", what, msg);
        return KT_ESPACE;
    }
    kt_err_set(err, KT_ESTORE, "store_error", NULL, "the database failed");
    kt_err_detail(err, "%s: %s [%s]", what, msg, c ? c->sqlstate : "");
    return KT_ESTORE;
}

int pg_exec(struct pg_conn *c, const char *text)
{
    PGresult *res = PQexec(c->pg, text);
    ExecStatusType t = PQresultStatus(res);
    int rc = SQL_OK;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        set_error(c, res);
        rc = classify(c);
    }
    PQclear(res);
    return rc;
}

/* ---- text: ?N into $N ------------------------------------------------------------------------ */

/* The text with its placeholders numbered for PostgreSQL, and the highest number; quoted strings,
 * quoted names and comments are copied as they are. */
static char *rewrite(const char *in, int *nparams)
{
    size_t n = strlen(in);
    char *out = kt_malloc(n * 2 + 16);
    size_t o = 0;
    int high = 0;
    for (size_t i = 0; i < n;) {
        char ch = in[i];
        if (ch == '\'' || ch == '"') {
            out[o++] = in[i++];
            while (i < n) {
                out[o++] = in[i];
                if (in[i++] == ch) {
                    if (i < n && in[i] == ch) { /* a doubled quote stays inside */
                        out[o++] = in[i++];
                        continue;
                    }
                    break;
                }
            }
        } else if (ch == '-' && i + 1 < n && in[i + 1] == '-') {
            while (i < n && in[i] != '\n') {
                out[o++] = in[i++];
            }
        } else if (ch == '/' && i + 1 < n && in[i + 1] == '*') {
            const char *end = strstr(in + i + 2, "*/");
            size_t stop = end ? (size_t)(end - in) + 2 : n;
            while (i < stop) {
                out[o++] = in[i++];
            }
        } else if (ch == '?') {
            i++;
            int num = 0;
            bool digits = false;
            while (i < n && in[i] >= '0' && in[i] <= '9' && num < 100000) {
                num = num * 10 + (in[i++] - '0');
                digits = true;
            }
            if (!digits) {
                num = high + 1;
            }
            high = num > high ? num : high;
            o += (size_t)snprintf(out + o, 16, "$%d", num);
        } else {
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
    *nparams = high;
    return out;
}

/*
 * An INSERT of one row (VALUES, no ON CONFLICT of its own) gets ON CONFLICT DO NOTHING, and a run
 * that inserted nothing is the duplicate SQLite would have refused: SQL_CONSTRAINT, as there, but
 * with the transaction still usable - PostgreSQL would otherwise abort the whole transaction on
 * the failed statement, where SQLite undoes the statement alone and the operations go on (a
 * duplicate identifier is found, then its holder read). Other violations (NOT NULL, CHECK, a
 * foreign key, a trigger's refusal) still fail the transaction: they are bugs or refusals, and
 * the caller rolls back.
 */
static char *insert_one(char *text, bool *one_row)
{
    *one_row = false;
    if (strncmp(text, "INSERT INTO ", 12) != 0 || strstr(text, " VALUES (") == NULL ||
        strstr(text, "ON CONFLICT") != NULL || strstr(text, "SELECT") != NULL ||
        strstr(text, "), (") != NULL || strstr(text, "),(") != NULL) {
        return text;
    }
    const char *ret = strstr(text, " RETURNING ");
    size_t at = ret ? (size_t)(ret - text) : strlen(text);
    static const char clause[] = " ON CONFLICT DO NOTHING";
    char *out = kt_malloc(strlen(text) + sizeof(clause));
    memcpy(out, text, at);
    memcpy(out + at, clause, sizeof(clause) - 1);
    kt_strlcpy(out + at + sizeof(clause) - 1, text + at, strlen(text) - at + 1);
    free(text);
    *one_row = true;
    return out;
}

/* The types of the parameters: 0 (inferred) for those the text names, text for a number it skips
 * (a value bound for one dialect's text only), which PostgreSQL could not type. */
static Oid *param_types(const char *text, int nparams)
{
    Oid *t = kt_calloc((size_t)nparams + 1, sizeof(*t));
    for (int i = 1; i <= nparams; i++) {
        char pat[16];
        int len = snprintf(pat, sizeof(pat), "$%d", i);
        bool named = false;
        for (const char *p = strstr(text, pat); p != NULL && !named; p = strstr(p + 1, pat)) {
            char next = p[len];
            named = next < '0' || next > '9';
        }
        t[i - 1] = named ? 0 : TEXTOID;
    }
    return t;
}

/* ---- statements ---------------------------------------------------------------------------- */

static void free_blobs(struct pg_stmt *st)
{
    for (int i = 0; st->blobs != NULL && i < st->ncols; i++) {
        PQfreemem(st->blobs[i]);
        st->blobs[i] = NULL;
    }
}

static void drop_result(struct pg_stmt *st)
{
    free_blobs(st);
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    st->ran = false;
}

static int d_prepare(struct sql_conn *base, const char *text, bool persistent,
                     struct sql_stmt **out)
{
    struct pg_conn *c = (struct pg_conn *)base;
    struct pg_stmt *st = kt_calloc(1, sizeof(*st));
    st->base.drv = &pg_driver;
    st->base.conn = base;
    st->text = insert_one(rewrite(text, &st->nparams), &st->one_row);
    st->types = param_types(st->text, st->nparams);
    size_t np = (size_t)st->nparams + 1;
    st->vals = kt_calloc(np, sizeof(*st->vals));
    st->lens = kt_calloc(np, sizeof(*st->lens));
    st->fmts = kt_calloc(np, sizeof(*st->fmts));
    st->row = -1;
    if (persistent) {
        snprintf(st->name, sizeof(st->name), "k%u", c->next_name++);
        PGresult *res = PQprepare(c->pg, st->name, st->text, st->nparams, st->types);
        int rc = SQL_OK;
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            set_error(c, res);
            rc = classify(c);
        }
        PQclear(res);
        if (rc != SQL_OK) {
            log_debug("pg_prepare_failed", "sqlstate=%s statement=\"%.120s\"", c->sqlstate,
                      st->text);
        }
        if (rc != SQL_OK) {
            st->name[0] = '\0';
            pg_driver.finalize(&st->base);
            *out = NULL;
            return rc;
        }
    }
    *out = &st->base;
    return SQL_OK;
}

static void clear_values(struct pg_stmt *st)
{
    for (int i = 0; i < st->nparams; i++) {
        free(st->vals[i]);
        st->vals[i] = NULL;
        st->lens[i] = 0;
        st->fmts[i] = 0;
    }
}

static void d_finalize(struct sql_stmt *base)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    drop_result(st);
    clear_values(st);
    struct pg_conn *c = conn_of(base);
    if (st->name[0] != '\0' && c != NULL && c->pg != NULL && !c->broken &&
        PQstatus(c->pg) == CONNECTION_OK) {
        char text[48];
        snprintf(text, sizeof(text), "DEALLOCATE %s", st->name);
        PQclear(PQexec(c->pg, text));
    }
    free(st->blobs);
    free(st->blen);
    free(st->vals);
    free(st->lens);
    free(st->fmts);
    free(st->types);
    free(st->text);
    free(st);
}

static void d_reset(struct sql_stmt *base)
{
    drop_result((struct pg_stmt *)base);
}

static void d_clear(struct sql_stmt *base)
{
    clear_values((struct pg_stmt *)base);
}

/* Parameter i (from 1) takes a copy of n bytes; a number past the text's is ignored. */
static void put(struct pg_stmt *st, int i, const void *p, size_t n, int fmt)
{
    if (i < 1 || i > st->nparams) {
        return;
    }
    free(st->vals[i - 1]);
    st->vals[i - 1] = NULL;
    if (p != NULL) {
        char *v = kt_malloc(n + 1);
        memcpy(v, p, n);
        v[n] = '\0';
        st->vals[i - 1] = v;
    }
    st->lens[i - 1] = (int)n;
    st->fmts[i - 1] = fmt;
}

static void d_bind_i64(struct sql_stmt *base, int i, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof(t), "%lld", (long long)v);
    put((struct pg_stmt *)base, i, t, (size_t)n, 0);
}

static void d_bind_double(struct sql_stmt *base, int i, double v)
{
    char t[40];
    int n = snprintf(t, sizeof(t), "%.17g", v);
    put((struct pg_stmt *)base, i, t, (size_t)n, 0);
}

static void d_bind_null(struct sql_stmt *base, int i)
{
    put((struct pg_stmt *)base, i, NULL, 0, 0);
}

static void d_bind_text(struct sql_stmt *base, int i, const char *s, int n, int life)
{
    (void)life; /* always copied */
    put((struct pg_stmt *)base, i, s, s == NULL ? 0 : n < 0 ? strlen(s) : (size_t)n, 0);
}

static void d_bind_blob(struct sql_stmt *base, int i, const void *p, int n, int life)
{
    (void)life;
    put((struct pg_stmt *)base, i, p, p == NULL ? 0 : (size_t)n, 1);
}

/* Runs the statement with its values; SQL_OK, or the failure's code. */
static int run(struct pg_stmt *st)
{
    struct pg_conn *c = conn_of(&st->base);
    PGresult *res = st->name[0] != '\0'
                        ? PQexecPrepared(c->pg, st->name, st->nparams,
                                         (const char *const *)st->vals, st->lens, st->fmts, 0)
                        : PQexecParams(c->pg, st->text, st->nparams, st->types,
                                       (const char *const *)st->vals, st->lens, st->fmts, 0);
    ExecStatusType t = PQresultStatus(res);
    st->ran = true;
    if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK) {
        set_error(c, res);
        PQclear(res);
        /* the statement's text, never its values: they may be personal data */
        log_debug("pg_statement_failed", "sqlstate=%s statement=\"%.120s\"", c->sqlstate, st->text);
        return classify(c);
    }
    const char *tuples = PQcmdTuples(res);
    c->changes = tuples && *tuples ? strtoll(tuples, NULL, 10) : 0;
    if (st->one_row && c->changes == 0) {
        PQclear(res);
        free(c->errmsg);
        c->errmsg = kt_strdup("duplicate key: the row exists already");
        kt_strlcpy(c->sqlstate, "23505", sizeof(c->sqlstate));
        return SQL_CONSTRAINT;
    }
    st->res = res;
    int cols = PQnfields(res);
    if (cols > st->ncols) {
        free_blobs(st);
        free(st->blobs);
        free(st->blen);
        st->blobs = kt_calloc((size_t)cols, sizeof(*st->blobs));
        st->blen = kt_calloc((size_t)cols, sizeof(*st->blen));
        st->ncols = cols;
    }
    return SQL_OK;
}

static int d_step(struct sql_stmt *base)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (!st->ran) {
        int rc = run(st);
        if (rc != SQL_OK) {
            return rc;
        }
    }
    if (st->res == NULL) {
        return SQL_DONE;
    }
    free_blobs(st);
    st->row++;
    return st->row < PQntuples(st->res) ? SQL_ROW : SQL_DONE;
}

static bool have(struct pg_stmt *st, int i)
{
    return st->res != NULL && st->row >= 0 && st->row < PQntuples(st->res) && i >= 0 &&
           i < PQnfields(st->res);
}

static int d_col_type(struct sql_stmt *base, int i)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (!have(st, i) || PQgetisnull(st->res, st->row, i)) {
        return SQL_NULL;
    }
    switch (PQftype(st->res, i)) {
    case BYTEAOID:
        return SQL_BLOB;
    case INT8OID:
    case INT4OID:
    case INT2OID:
    case BOOLOID:
    case OIDOID:
        return SQL_INTEGER;
    case FLOAT4OID:
    case FLOAT8OID:
    case NUMERICOID:
        return SQL_FLOAT;
    default:
        return SQL_TEXT;
    }
}

static const char *value(struct pg_stmt *st, int i)
{
    return have(st, i) && !PQgetisnull(st->res, st->row, i) ? PQgetvalue(st->res, st->row, i)
                                                            : NULL;
}

static int64_t d_col_i64(struct sql_stmt *base, int i)
{
    const char *v = value((struct pg_stmt *)base, i);
    if (v == NULL) {
        return 0;
    }
    if (v[0] == 't' && v[1] == '\0') {
        return 1;
    }
    if (v[0] == 'f' && v[1] == '\0') {
        return 0;
    }
    if (strchr(v, '.') != NULL || strchr(v, 'e') != NULL) {
        return (int64_t)strtod(v, NULL);
    }
    return strtoll(v, NULL, 10);
}

static double d_col_double(struct sql_stmt *base, int i)
{
    const char *v = value((struct pg_stmt *)base, i);
    return v == NULL ? 0 : strtod(v, NULL);
}

static const char *d_col_text(struct sql_stmt *base, int i)
{
    return value((struct pg_stmt *)base, i);
}

/* A bytea column's bytes, unescaped once per row. */
static const unsigned char *bytes_of(struct pg_stmt *st, int i, size_t *len)
{
    const char *v = value(st, i);
    *len = 0;
    if (v == NULL) {
        return NULL;
    }
    if (PQftype(st->res, i) != BYTEAOID) {
        *len = (size_t)PQgetlength(st->res, st->row, i);
        return (const unsigned char *)v;
    }
    if (st->blobs[i] == NULL) {
        st->blobs[i] = PQunescapeBytea((const unsigned char *)v, &st->blen[i]);
    }
    *len = st->blen[i];
    return st->blobs[i];
}

static const void *d_col_blob(struct sql_stmt *base, int i)
{
    size_t n;
    return bytes_of((struct pg_stmt *)base, i, &n);
}

static int d_col_bytes(struct sql_stmt *base, int i)
{
    size_t n;
    bytes_of((struct pg_stmt *)base, i, &n);
    return (int)n;
}

static int64_t d_changes(struct sql_conn *c)
{
    return ((struct pg_conn *)c)->changes;
}

static enum kt_rc d_fail(struct sql_conn *c, int rc, const char *what, struct kt_err *err)
{
    return pg_fail((struct pg_conn *)c, rc, what, err);
}

static const char *d_errmsg(struct sql_conn *c)
{
    const char *m = ((struct pg_conn *)c)->errmsg;
    return m ? m : "";
}

static int d_exec(struct sql_conn *c, const char *text)
{
    return pg_exec((struct pg_conn *)c, text);
}

/* COPY's rows in one message stream: the statement, the data (libpq cuts it as it likes), the
 * end, and the statement's result. A failure of the data is the server's, told at the end. */
static int d_copy_in(struct sql_conn *base, const char *text, const char *data, size_t len,
                     int64_t *rows)
{
    struct pg_conn *c = (struct pg_conn *)base;
    *rows = 0;
    PGresult *res = PQexec(c->pg, text);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        set_error(c, res);
        PQclear(res);
        return classify(c);
    }
    PQclear(res);
    bool sent = true;
    for (size_t off = 0; sent && off < len;) {
        int n = len - off > 1 << 20 ? 1 << 20 : (int)(len - off);
        sent = PQputCopyData(c->pg, data + off, n) == 1; /* a blocking connection: 1 or -1 */
        off += (size_t)n;
    }
    if (PQputCopyEnd(c->pg, sent ? NULL : "the data could not be sent") != 1) {
        set_error(c, NULL);
        return classify(c);
    }
    int rc = SQL_OK;
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            *rows = strtoll(PQcmdTuples(res), NULL, 10);
        } else if (rc == SQL_OK) {
            set_error(c, res);
            rc = classify(c);
        }
        PQclear(res);
    }
    c->changes = *rows;
    return rc;
}

/* Known once the statement ran (its first step). */
static int d_col_count(struct sql_stmt *base)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    return st->res != NULL ? PQnfields(st->res) : 0;
}

static const char *d_col_name(struct sql_stmt *base, int i)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    return st->res != NULL && i >= 0 && i < PQnfields(st->res) ? PQfname(st->res, i) : NULL;
}

const struct sql_driver pg_driver = {
    .dialect = SQL_PG,
    .prepare = d_prepare,
    .finalize = d_finalize,
    .reset = d_reset,
    .clear = d_clear,
    .bind_i64 = d_bind_i64,
    .bind_double = d_bind_double,
    .bind_null = d_bind_null,
    .bind_text = d_bind_text,
    .bind_blob = d_bind_blob,
    .step = d_step,
    .col_type = d_col_type,
    .col_i64 = d_col_i64,
    .col_double = d_col_double,
    .col_text = d_col_text,
    .col_blob = d_col_blob,
    .col_bytes = d_col_bytes,
    .changes = d_changes,
    .fail = d_fail,
    .errmsg = d_errmsg,
    .exec = d_exec,
    .col_count = d_col_count,
    .col_name = d_col_name,
    .copy_in = d_copy_in,
};

/* ---- connections --------------------------------------------------------------------------- */

static void notice_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg; /* NOTICEs (an IF NOT EXISTS that found it) are not the log's business */
}

struct pg_conn *pg_connect(struct store *s, const char *url, struct kt_err *err)
{
    struct pg_conn *c = kt_calloc(1, sizeof(*c));
    c->base.base.ops = s ? s->ops : NULL;
    c->base.base.store = s;
    c->base.drv = &pg_driver;
    /* the URL's own values are read after connect_timeout, so they win over it */
    const char *const keys[] = {"connect_timeout", "dbname", NULL};
    const char *const vals[] = {PG_CONNECT_TIMEOUT, url, NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        set_error(c, NULL);
        pg_unavailable(err, 1, "connect", c->errmsg);
        pg_disconnect(c);
        return NULL;
    }
    PQsetNoticeProcessor(c->pg, notice_quiet, NULL);
    /* A failure's message is its primary text alone: PostgreSQL's detail and context quote the
     * values of the row at fault ("Failing row contains (...)", a COPY's line), which may be
     * personal data, and the message goes into the error's detail and the log. */
    PQsetErrorVerbosity(c->pg, PQERRORS_TERSE);
    PQsetErrorContextVisibility(c->pg, PQSHOW_CONTEXT_NEVER);
    /* No JIT: the store's statements are index probes and, for segments, a subplan per
     * customer; compiling one took ~0.5 s of a 1.1 s segment count (200,000 customers, 4,000,000
     * events) and saved less, so a count went 1.1 s -> 0.75 s without it (BENCHMARKS.md). */
    int rc = pg_exec(c, "SET client_min_messages = warning; SET TIME ZONE 'UTC'; "
                        "SET standard_conforming_strings = on; SET jit = off");
    if (rc != SQL_OK) {
        pg_fail(c, rc, "connect", err);
        pg_disconnect(c);
        return NULL;
    }
    return c;
}

void pg_disconnect(struct pg_conn *c)
{
    if (c == NULL) {
        return;
    }
    c->broken = true; /* no DEALLOCATE one by one: the session's end drops them all */
    sql_conn_finalize(&c->base);
    PQfinish(c->pg);
    free(c->errmsg);
    free(c);
}
