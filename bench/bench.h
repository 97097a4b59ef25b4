/*
 * bench.h - what the benchmark programs share: dying with the store's error, plain SQLite
 * statements on the side, a median, and an e-mail template saved with the installation's public
 * URL (an e-mail's unsubscribe link needs it). Each program defines BENCH_NAME (its name in
 * messages) before it includes this.
 */
#ifndef KT_BENCH_H
#define KT_BENCH_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "consent/consent.h"
#include "deliver/template_store.h"

static inline void bench_die(const char *what, const struct kt_err *err)
{
    fprintf(stderr, BENCH_NAME ": %s: %s %s %s\n", what, err->code, err->msg, err->detail);
    exit(1);
}

static inline void bench_sql(sqlite3 *db, const char *text)
{
    char *msg = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, BENCH_NAME ": %s: %s\n", text, msg);
        exit(1);
    }
}

/* The first column of the first row of `text` (0 when none). */
static inline int64_t bench_one_int(sqlite3 *db, const char *text)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, text, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static inline int bench_cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The median of `n` values (sorts them). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
    return v[n / 2];
}

/* Template `name` of `body` saved, and public_url set, in one transaction. */
static inline void bench_template(struct store *s, const char *name, json_t *body)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *w;
    struct privacy_settings ps;
    struct msg_tpl t;
    struct template_pos pos;
    bool added;
    if (msg_tpl_decode(name, body, &a, &t, &pos, &err) != KT_OK ||
        store_write_begin(s, &w, &err) != KT_OK) {
        bench_die("template", &err);
    }
    enum kt_rc rc = msg_tpl_save(w, &t.row, &a, &added, &err);
    rc = rc == KT_OK ? privacy_settings_get(w, &a, &ps, &err) : rc;
    ps.public_url = "https://shop.example";
    rc = rc == KT_OK ? privacy_settings_put(w, &ps, &err) : rc;
    if (store_write_end(w, rc, &err) != KT_OK) {
        bench_die("setup", &err);
    }
    msg_tpl_release(&t);
    arena_release(&a);
}

#endif
