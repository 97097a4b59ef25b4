/*
 * seal.c - sealed columns for every file of the SQL layer: binding a value sealed under its
 * customer's data key, opening what a row read back, blind indexes, and the free-text attributes
 * split from the rest (docs/privacy.md, "Encryption at rest").
 *
 * How a sealed value travels: the column holds a BLOB (crypt.h's format); sql_col_text() copies a
 * BLOB into the arena behind a tag that no UTF-8 text can start with (SEALED_TAG, then its length),
 * and the file that read the row calls sql_unseal() on each sealed member of its records, which
 * opens it in place. A TEXT value is clear (a field the retailer keeps in clear, or a row the
 * migration has not reached yet) and passes untouched, so reading never depends on the policy
 * the row was written under. A tag left unopened cannot reach a reply unnoticed: it is not UTF-8.
 *
 * The data step of migration 0013, which seals what is still clear, is in seal_migrate.c.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/sql/sql_int.h"

#define SEALED_TAG 0xff /* never the first byte of UTF-8 text */
#define STACK_SEAL 512  /* values this long are sealed on the stack */

void sql_key_init(struct sql_key *k, struct sql_conn *c, int64_t ck, bool make)
{
    k->c = c;
    k->ck = ck;
    k->make = make;
    k->have = false;
}

void sql_key_release(struct sql_key *k)
{
    if (k->have) {
        sodium_memzero(k->dk, sizeof(k->dk));
        k->have = false;
    }
}

static enum kt_rc key_get(struct sql_key *k, struct kt_err *err)
{
    if (k->have) {
        return KT_OK;
    }
    enum kt_rc rc = sql_dk(k->c, k->ck, k->make, k->dk, err);
    k->have = rc == KT_OK;
    return rc;
}

enum kt_rc sql_bind_sealed(struct sql_key *k, struct sql_stmt *st, int i, const char *column,
                           const char *value, struct kt_err *err)
{
    if (value == NULL) {
        sql_bind_null(st, i);
        return KT_OK;
    }
    enum kt_rc rc = key_get(k, err);
    if (rc != KT_OK) {
        return rc;
    }
    size_t n = strlen(value), sn = n + CRYPT_SEAL_OVERHEAD;
    unsigned char small[STACK_SEAL + CRYPT_SEAL_OVERHEAD];
    unsigned char *out = n <= STACK_SEAL ? small : kt_malloc(sn);
    crypt_seal(k->dk, k->ck, column, value, n, out);
    sql_bind_blob(st, i, out, (int)sn, SQL_TRANSIENT);
    if (out != small) {
        free(out);
    }
    return KT_OK;
}

enum kt_rc sql_bind_policy(struct sql_key *k, bool seal, struct sql_stmt *st, int i,
                           const char *column, const char *value, struct kt_err *err)
{
    if (!seal) {
        sql_bind_text(st, i, value);
        return KT_OK;
    }
    return sql_bind_sealed(k, st, i, column, value, err);
}

bool sql_is_sealed(const char *v)
{
    return v != NULL && (unsigned char)v[0] == SEALED_TAG;
}

const char *sql_col_text(struct sql_stmt *st, int i, struct arena *a)
{
    if (sql_col_type(st, i) == SQL_BLOB) {
        size_t n = (size_t)sql_col_bytes(st, i);
        unsigned char *t = arena_alloc(a, n + 6);
        t[0] = SEALED_TAG;
        for (int b = 0; b < 4; b++) {
            t[1 + b] = (unsigned char)(n >> (8 * b));
        }
        memcpy(t + 5, sql_col_blob(st, i), n);
        t[n + 5] = '\0';
        return (const char *)t;
    }
    const char *t = sql_col_str(st, i);
    return t ? arena_strndup(a, (const char *)t, (size_t)sql_col_bytes(st, i)) : NULL;
}

/* The bytes of a value sql_col_text() kept sealed. */
static const unsigned char *tagged(const char *v, size_t *n)
{
    const unsigned char *t = (const unsigned char *)v;
    *n = (size_t)t[1] | (size_t)t[2] << 8 | (size_t)t[3] << 16 | (size_t)t[4] << 24;
    return t + 5;
}

enum kt_rc sql_unseal(struct sql_key *k, const char *column, const char **v, struct arena *a,
                      struct kt_err *err)
{
    if (!sql_is_sealed(*v)) {
        return KT_OK;
    }
    enum kt_rc rc = key_get(k, err);
    if (rc != KT_OK) {
        return rc;
    }
    size_t n, got = 0;
    const unsigned char *s = tagged(*v, &n);
    if (n < CRYPT_SEAL_OVERHEAD) {
        n = CRYPT_SEAL_OVERHEAD - 1; /* refused below */
    }
    unsigned char *out = arena_alloc(a, n - CRYPT_SEAL_OVERHEAD + 2);
    if (n < CRYPT_SEAL_OVERHEAD || !crypt_open(k->dk, k->ck, column, s, n, out, &got)) {
        kt_err_set(err, KT_ESTORE, "data_key_corrupt", NULL, "a sealed value does not open");
        kt_err_detail(err, "customer key %lld, %s", (long long)k->ck, column);
        return KT_ESTORE;
    }
    out[got] = '\0';
    *v = (const char *)out;
    return KT_OK;
}

/* ---- blind indexes -------------------------------------------------------------------------- */

void sql_bidx(struct sql_conn *c, const char *domain, const char *value,
              unsigned char out[CRYPT_BIDX_BYTES])
{
    struct sql_store *s = (struct sql_store *)c->base.store;
    crypt_bidx(s->crypt, domain, value, strlen(value), out);
}

void sql_bind_bidx(struct sql_conn *c, struct sql_stmt *st, int i, const char *domain,
                   const char *value)
{
    unsigned char h[CRYPT_BIDX_BYTES];
    sql_bidx(c, domain, value, h);
    sql_bind_blob(st, i, h, sizeof(h), SQL_TRANSIENT);
}

/* ---- free-text attributes ------------------------------------------------------------------- */

/* The names of the declared attributes whose values are free text (type string, or a list of
 * strings), on this connection: `names` an array in the arena. */
enum kt_rc sql_attrs_free_text(struct sql_conn *c, struct arena *a, const char ***names, size_t *n,
                               struct kt_err *err)
{
    struct sql_stmt *st = sql_stmt(c, SQL_ATTR_FREE_TEXT,
                                   "SELECT name FROM attributes WHERE type = 'string' OR "
                                   "(type = 'list' AND items = 'string')",
                                   err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    return sql_rows(c, st, sql_row_text, sizeof(**names), a, names, n, "free-text attributes", err);
}

static char *dump(struct arena *a, const json_t *o)
{
    char *t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    char *copy = arena_strdup(a, t ? t : "{}");
    free(t);
    return copy;
}

enum kt_rc sql_attrs_split(struct sql_conn *c, const char *attrs, struct arena *a,
                           const char **clear, const char **sealed, struct kt_err *err)
{
    *clear = attrs ? attrs : "{}";
    *sealed = NULL;
    if (attrs == NULL || strcmp(attrs, "{}") == 0) {
        return KT_OK;
    }
    const char **names = NULL;
    size_t n = 0;
    enum kt_rc rc = sql_attrs_free_text(c, a, &names, &n, err);
    json_t *all = rc == KT_OK && n > 0 ? json_loads(attrs, 0, NULL) : NULL;
    json_t *text = json_object();
    for (size_t i = 0; all != NULL && i < n; i++) {
        json_t *v = json_object_get(all, names[i]);
        if (v != NULL && !json_is_null(v)) {
            json_object_set(text, names[i], v);
            json_object_set_new(all, names[i], json_string("sealed"));
        }
    }
    if (json_object_size(text) > 0) {
        *clear = dump(a, all);
        *sealed = dump(a, text);
    }
    json_decref(all);
    json_decref(text);
    return rc;
}

const char *sql_attrs_join(const char *clear, const char *sealed, struct arena *a)
{
    if (sealed == NULL) {
        return clear;
    }
    json_t *all = json_loads(clear ? clear : "{}", 0, NULL), *text = json_loads(sealed, 0, NULL);
    const char *out = clear;
    if (all != NULL && text != NULL && json_object_update(all, text) == 0) {
        out = dump(a, all);
    }
    json_decref(all);
    json_decref(text);
    return out;
}

enum kt_rc sql_dk_answer(struct sql_store *s, int64_t ck, int what, const unsigned char *dk,
                         enum kt_rc rc, struct kt_err *err)
{
    if (rc == KT_OK && what == 1) {
        crypt_cache_put(s->crypt, ck, dk);
        return KT_OK;
    }
    if (rc == KT_OK && what == -1) {
        return kt_err_set(err, KT_EGONE, "customer_key_destroyed", NULL,
                          "the customer's data was erased: its key is destroyed");
    }
    if (rc == KT_OK) {
        kt_err_set(err, KT_ESTORE, "data_key_missing", NULL,
                   "a customer's data key is missing from the key store");
        kt_err_detail(err, "customer key %lld", (long long)ck);
        return KT_ESTORE;
    }
    return rc;
}
