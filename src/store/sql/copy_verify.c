/*
 * copy_verify.c - store_copy's check at the end (copy.c drives the copy; copy_int.h): each unit
 * counted and hashed on both sides, by C through each driver: SHA-256 over each row's values in
 * key order, text and blob both as bytes, so that the same rows give the same digest whichever
 * database holds them. A difference is copy_mismatch, naming the table.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "store/sql/copy_int.h"

/* The canonical text of a value for the checksum: the same on both sides. */
static void val_hash(crypto_hash_sha256_state *h, const struct val *v)
{
    unsigned char tag[9];
    if (v->type == SQL_INTEGER) {
        tag[0] = 'I';
        for (int k = 0; k < 8; k++) {
            tag[1 + k] = (unsigned char)((uint64_t)v->i >> (56 - 8 * k));
        }
        crypto_hash_sha256_update(h, tag, 9);
    } else if (v->type == SQL_FLOAT) {
        char t[40];
        int n = snprintf(t, sizeof(t), "F%.17g;", v->d);
        crypto_hash_sha256_update(h, (const unsigned char *)t, (unsigned long long)n);
    } else if (v->type == SQL_TEXT || v->type == SQL_BLOB) {
        tag[0] = 'B';
        for (int k = 0; k < 4; k++) {
            tag[1 + k] = (unsigned char)((uint32_t)v->n >> (24 - 8 * k));
        }
        crypto_hash_sha256_update(h, tag, 5);
        crypto_hash_sha256_update(h, v->p, (unsigned long long)v->n);
    } else {
        crypto_hash_sha256_update(h, (const unsigned char *)"N", 1);
    }
}

static enum kt_rc digest(struct store *s, const struct unit *u, int chunk, unsigned char *out,
                         int64_t *rows, struct kt_err *err)
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    *rows = 0;
    struct val last[KEY_MAX];
    struct arena keep;
    arena_init(&keep, 0);
    enum kt_rc rc = KT_OK;
    for (bool more = true, first = true; rc == KT_OK && more; first = false) {
        struct batch b;
        arena_init(&b.a, 0);
        struct link l;
        rc = sql_copy_link_get(&l, s, u->side, false, err);
        rc = rc == KT_OK ? sql_copy_read_batch(l.c, u, first ? NULL : last, NULL, chunk, &b, err)
                         : rc;
        rc = sql_copy_link_put(&l, rc, err);
        for (size_t r = 0; rc == KT_OK && r < b.rows; r++) {
            for (int i = 0; i < u->n; i++) {
                val_hash(&h, &b.v[r * (size_t)u->n + (size_t)i]);
            }
        }
        *rows += (int64_t)b.rows;
        more = rc == KT_OK && b.rows == (size_t)chunk;
        if (more) {
            arena_release(&keep); /* the previous key: sql_copy_read_batch is done with it */
            arena_init(&keep, 0);
            sql_copy_key_of(u, &b, b.rows - 1, last);
            for (int k = 0; k < u->nkey; k++) {
                unsigned char *p = arena_alloc(&keep, (size_t)last[k].n + 1);
                memcpy(p, last[k].p ? last[k].p : (const unsigned char *)"", (size_t)last[k].n);
                p[last[k].n] = '\0';
                last[k].p = p;
            }
        }
        arena_release(&b.a);
    }
    arena_release(&keep);
    crypto_hash_sha256_final(&h, out);
    return rc;
}

enum kt_rc sql_copy_verify(struct copy *cp, const struct unit *u, struct kt_err *err)
{
    unsigned char a[crypto_hash_sha256_BYTES], b[crypto_hash_sha256_BYTES];
    int64_t na = 0, nb = 0;
    enum kt_rc rc = digest(cp->from, u, cp->batch, a, &na, err);
    rc = rc == KT_OK ? digest(cp->to, u, cp->batch, b, &nb, err) : rc;
    if (rc == KT_OK && (na != nb || memcmp(a, b, sizeof(a)) != 0)) {
        kt_err_set(err, KT_ESTORE, "copy_mismatch", NULL,
                   "a table of the copy differs from the source's");
        kt_err_detail(err, "table %s: %lld rows in the source, %lld in the target%s", u->name,
                      (long long)na, (long long)nb, na == nb ? ", their values differ" : "");
        return KT_ESTORE;
    }
    if (rc == KT_OK) {
        sql_copy_tell(cp, u, nb, na, true);
    }
    return rc;
}
