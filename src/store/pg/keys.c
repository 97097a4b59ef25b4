/*
 * keys.c - the PostgreSQL backend's key store: every customer's data key, wrapped under the
 * master key, in a database of its own on the same server ("<db>_keys", made at the first start),
 * never in the main one - so a dump or a replica of the main database holds nothing readable,
 * and an erasure that destroys a key reaches every copy made before it (docs/privacy.md,
 * "Encryption at rest"; docs/scale.md).
 *
 * The tables are SQLite's key store's (store/sqlite/keystore.c): data_keys (a tombstone for a
 * destroyed key) and ks_meta (the store's id, which the main database records; the master key's
 * id; `rotating_to` during a rotation). The checks at attach are the same: the pair belongs
 * together, the master key opens it, the installation secret fits the blind indexes.
 *
 * Every statement runs on its own (autocommit) on a connection of the key store's pool; keys are
 * made KEYS_AHEAD at a time in one statement, and go into the keyring's cache only once they are
 * committed, so a row is never sealed under a key that is not stored. Servers making keys at once
 * race on ON CONFLICT DO NOTHING: each caches only the keys it made, and reads the others'.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/pg/pg_int.h"

#define KEYS_AHEAD 512

static const char ks_schema[] =
    "CREATE TABLE IF NOT EXISTS ks_meta (key text PRIMARY KEY, value text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS data_keys (ck bigint PRIMARY KEY, master_id bytea, wrapped bytea,"
    "  created_at bigint NOT NULL, destroyed_at bigint);"
    "CREATE INDEX IF NOT EXISTS data_keys_master ON data_keys (master_id) "
    "WHERE master_id IS NOT NULL;";

static struct pg_store *store_of(struct store *s)
{
    return (struct pg_store *)s;
}

static void id_hex(const unsigned char id[CRYPT_ID_BYTES], char out[2 * CRYPT_ID_BYTES + 1])
{
    sodium_bin2hex(out, 2 * CRYPT_ID_BYTES + 1, id, CRYPT_ID_BYTES);
}

bool pg_url_keys(const char *url, char *out, size_t cap)
{
    const char *scheme = strstr(url, "://");
    if (scheme == NULL) {
        return false;
    }
    const char *path = strchr(scheme + 3, '/');
    if (path == NULL) {
        return false;
    }
    path++;
    size_t name = strcspn(path, "?");
    if (name == 0) {
        return false;
    }
    int n =
        snprintf(out, cap, "%.*s_keys%s", (int)(path - url + (ptrdiff_t)name), url, path + name);
    return n > 0 && (size_t)n < cap;
}

/* A statement on the key store: `text` with its values, run on a connection of the pool. */
struct ks_call {
    struct pg_conn *c;
    struct sql_stmt *st;
};

static enum kt_rc ks_begin(struct store *s, struct ks_call *k, const char *text, struct kt_err *err)
{
    struct pg_store *p = store_of(s);
    k->st = NULL;
    enum kt_rc rc = pg_pool_get(p, &p->keys.pool, &k->c, err);
    if (rc != KT_OK) {
        return rc;
    }
    bool keep = false;
    k->st = sql_stmt_kept(&k->c->base, text, &keep, err);
    if (k->st == NULL || !keep) { /* past the kept ones: not expected for the few here */
        sql_finalize(keep ? NULL : k->st);
        k->st = NULL;
        pg_pool_put(&p->keys.pool, k->c);
        k->c = NULL;
        return err && err->rc != KT_OK ? err->rc
                                       : kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                                                    "key store statement not kept");
    }
    return KT_OK;
}

static void ks_end(struct store *s, struct ks_call *k)
{
    if (k->st != NULL) {
        sql_done(k->st);
    }
    pg_pool_put(&store_of(s)->keys.pool, k->c);
}

static enum kt_rc ks_meta(struct store *s, const char *key, char *val, size_t cap, bool *found,
                          struct kt_err *err)
{
    struct ks_call k;
    *found = false;
    enum kt_rc rc = ks_begin(s, &k, "SELECT value FROM ks_meta WHERE key = ?1", err);
    if (rc != KT_OK) {
        return rc;
    }
    sql_bind_text(k.st, 1, key);
    int src = sql_step(k.st);
    if (src == SQL_ROW) {
        *found = true;
        kt_strlcpy(val, sql_col_str(k.st, 0), cap);
    } else if (src != SQL_DONE) {
        rc = pg_fail(k.c, src, "key store", err);
    }
    ks_end(s, &k);
    return rc;
}

/* Sets (or with `val` NULL removes) a setting of the key store. */
static enum kt_rc ks_meta_put(struct store *s, const char *key, const char *val, struct kt_err *err)
{
    struct ks_call k;
    enum kt_rc rc =
        ks_begin(s, &k,
                 val ? "INSERT INTO ks_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO "
                       "UPDATE SET value = excluded.value"
                     : "DELETE FROM ks_meta WHERE key = ?1",
                 err);
    if (rc != KT_OK) {
        return rc;
    }
    sql_bind_text(k.st, 1, key);
    if (val) {
        sql_bind_text(k.st, 2, val);
    }
    rc = sql_run(&k.c->base, k.st, NULL, err);
    ks_end(s, &k);
    return rc;
}

/* A setting of the main database, in a write transaction of its own. */
static enum kt_rc main_meta(struct store *s, const char *key, const char *put, char *val,
                            size_t cap, bool *found, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 256);
    struct store_conn *w = NULL;
    enum kt_rc rc = put ? store_write_begin(s, &w, err) : store_read_begin(s, &w, err);
    const char *v = NULL;
    if (rc == KT_OK && put) {
        rc = store_meta_put(w, key, put, err);
        rc = store_write_end(w, rc, err);
    } else if (rc == KT_OK) {
        rc = store_meta_get(w, key, &a, &v, found, err);
        store_read_end(w);
        if (rc == KT_OK && *found) {
            kt_strlcpy(val, v, cap);
        }
    }
    arena_release(&a);
    return rc;
}

/* ---- attaching ------------------------------------------------------------------------------ */

/* The key store's database, made when missing (on the main database's connection). */
static enum kt_rc ks_create(struct pg_store *s, struct kt_err *err)
{
    struct pg_conn *c = pg_connect(&s->base.base, s->keys.url, NULL);
    if (c != NULL) {
        pg_disconnect(c);
        return KT_OK;
    }
    const char *path = strstr(s->keys.url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    if (path == NULL) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "db",
                          "the database URL names no database");
    }
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)strcspn(path + 1, "?"), path + 1);
    for (const char *p = name; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-')) {
            return kt_err_set(err, KT_EINVAL, "invalid_value", "db",
                              "the database's name may hold letters, digits, '_' and '-' only");
        }
    }
    struct pg_conn *m = NULL;
    enum kt_rc rc = pg_pool_get(s, &s->rw, &m, err);
    if (rc != KT_OK) {
        return rc;
    }
    char text[300];
    snprintf(text, sizeof(text), "CREATE DATABASE \"%s\"", name);
    int src = pg_exec(m, text);
    if (src != SQL_OK && strcmp(m->sqlstate, "42P04") != 0) { /* made meanwhile by another */
        rc = pg_fail(m, src, "create the key store", err);
    } else {
        log_info("key_store_created", "database=%s", name);
    }
    pg_pool_put(&s->rw, m);
    return rc;
}

static enum kt_rc not_ours(struct pg_store *s, struct kt_err *err)
{
    (void)s;
    return kt_err_set(err, KT_ESTORE, "key_store_mismatch", NULL,
                      "the key store database is missing or is not the one this database's data "
                      "is sealed with: restore that one beside the database");
}

static enum kt_rc check_pair(struct pg_store *s, struct kt_err *err)
{
    struct store *base = &s->base.base;
    char ks_id[80] = "", db_id[80] = "";
    bool ks_has = false, db_has = false;
    enum kt_rc rc = main_meta(base, "keystore_id", NULL, db_id, sizeof(db_id), &db_has, err);
    rc = rc == KT_OK ? ks_meta(base, "id", ks_id, sizeof(ks_id), &ks_has, err) : rc;
    if (rc == KT_OK && db_has && (!ks_has || strcmp(ks_id, db_id) != 0)) {
        return not_ours(s, err);
    }
    if (rc == KT_OK && !ks_has) {
        unsigned char r[16], mid[CRYPT_ID_BYTES];
        char mhex[2 * CRYPT_ID_BYTES + 1];
        randombytes_buf(r, sizeof(r));
        sodium_bin2hex(ks_id, sizeof(ks_id), r, sizeof(r));
        crypt_master_id(s->base.crypt, mid);
        id_hex(mid, mhex);
        rc = ks_meta_put(base, "id", ks_id, err);
        rc = rc == KT_OK ? ks_meta_put(base, "master_id", mhex, err) : rc;
    }
    if (rc == KT_OK && !db_has) {
        rc = main_meta(base, "keystore_id", ks_id, NULL, 0, NULL, err);
    }
    return rc;
}

static enum kt_rc check_master(struct pg_store *s, struct kt_err *err)
{
    struct store *base = &s->base.base;
    char have[80] = "", rot[80] = "", mine[2 * CRYPT_ID_BYTES + 1], next[2 * CRYPT_ID_BYTES + 1];
    bool found = false, rotating = false;
    unsigned char id[CRYPT_ID_BYTES];
    crypt_master_id(s->base.crypt, id);
    id_hex(id, mine);
    crypt_next_id(s->base.crypt, id);
    id_hex(id, next);
    bool has_next = s->base.rotating;
    enum kt_rc rc = ks_meta(base, "master_id", have, sizeof(have), &found, err);
    rc = rc == KT_OK ? ks_meta(base, "rotating_to", rot, sizeof(rot), &rotating, err) : rc;
    if (rc != KT_OK) {
        return rc;
    }
    if (rotating && !(has_next && strcmp(rot, next) == 0)) {
        return kt_err_set(err, KT_ESTORE, "rotation_unfinished", NULL,
                          "a rotation of the master key was interrupted: run 'kartoteka keys "
                          "rotate-master' again with the same keys");
    }
    if (!found || strcmp(have, mine) == 0 || (has_next && strcmp(have, next) == 0)) {
        return KT_OK;
    }
    return kt_err_set(err, KT_ESTORE, "master_key_mismatch", NULL,
                      "the master key does not open the key store: give the key its data keys "
                      "are sealed under (--master-key-file, KARTOTEKA_MASTER_KEY)");
}

static enum kt_rc check_index(struct pg_store *s, struct kt_err *err)
{
    char want[2 * CRYPT_BIDX_BYTES + 1], have[80] = "";
    bool found = false;
    crypt_bidx_check(s->base.crypt, want);
    enum kt_rc rc =
        main_meta(&s->base.base, "blind_index_check", NULL, have, sizeof(have), &found, err);
    if (rc == KT_OK && !found) {
        return main_meta(&s->base.base, "blind_index_check", want, NULL, 0, NULL, err);
    }
    if (rc == KT_OK && strcmp(have, want) != 0) {
        return kt_err_set(err, KT_EINVAL, "secret_mismatch", NULL,
                          "the installation secret does not belong to this database: its "
                          "lookups would find nobody; restore the original secret file or "
                          "KARTOTEKA_SECRET");
    }
    return rc;
}

enum kt_rc pg_keys_attach(struct store *base, struct kt_err *err)
{
    struct pg_store *s = store_of(base);
    if (s->keys.attached) {
        return KT_OK;
    }
    if (s->keys.url == NULL) {
        char url[2048];
        if (!pg_url_keys(s->url, url, sizeof(url))) {
            return kt_err_set(err, KT_EINVAL, "invalid_value", "db",
                              "the database URL names no database (postgresql://HOST/NAME)");
        }
        s->keys.url = kt_strdup(url);
        pg_pool_init(&s->keys.pool, s->keys.url, 16);
    }
    enum kt_rc rc = ks_create(s, err);
    struct pg_conn *c = NULL;
    rc = rc == KT_OK ? pg_pool_get(s, &s->keys.pool, &c, err) : rc;
    if (rc == KT_OK) {
        int src = pg_exec(c, "SET synchronous_commit = on");
        src = src == SQL_OK ? pg_exec(c, ks_schema) : src;
        rc = src == SQL_OK ? KT_OK : pg_fail(c, src, "key store schema", err);
        pg_pool_put(&s->keys.pool, c);
    }
    rc = rc == KT_OK ? check_pair(s, err) : rc;
    rc = rc == KT_OK ? check_master(s, err) : rc;
    rc = rc == KT_OK ? check_index(s, err) : rc;
    s->keys.attached = rc == KT_OK;
    return rc;
}

void pg_keys_close(struct store *base)
{
    struct pg_store *s = store_of(base);
    pg_pool_close(&s->keys.pool);
    free(s->keys.url);
    s->keys.url = NULL;
    s->keys.attached = false;
}

/* ---- reading and making keys ---------------------------------------------------------------- */

/* What the key store holds for ck: 1 a key (unwrapped into dk), 0 none, -1 a tombstone. */
static enum kt_rc ks_read(struct store *s, int64_t ck, int *what, unsigned char *dk,
                          struct kt_err *err)
{
    struct ks_call k;
    *what = 0;
    enum kt_rc rc = ks_begin(s, &k, "SELECT master_id, wrapped FROM data_keys WHERE ck = ?1", err);
    if (rc != KT_OK) {
        return rc;
    }
    sql_bind_i64(k.st, 1, ck);
    int src = sql_step(k.st);
    if (src == SQL_ROW && sql_col_type(k.st, 1) == SQL_NULL) {
        *what = -1;
    } else if (src == SQL_ROW) {
        *what = 1;
        int idn = sql_col_bytes(k.st, 0);
        const void *id = sql_col_blob(k.st, 0);
        int wn = sql_col_bytes(k.st, 1);
        const void *w = sql_col_blob(k.st, 1);
        rc = idn != CRYPT_ID_BYTES
                 ? kt_err_set(err, KT_ESTORE, "data_key_corrupt", NULL, "a data key does not open")
                 : crypt_dk_unwrap(store_of(s)->base.crypt, ck, id, w, (size_t)wn, dk, err);
    } else if (src != SQL_DONE) {
        rc = pg_fail(k.c, src, "key store read", err);
    }
    ks_end(s, &k);
    return rc;
}

/* Makes the keys of ck and the KEYS_AHEAD - 1 after it that have none, in one statement, and
 * caches those it made once they are stored. */
static enum kt_rc make_keys(struct store *base, int64_t from, struct kt_err *err)
{
    struct pg_store *s = store_of(base);
    int64_t n = from == 0 ? 1 : KEYS_AHEAD;
    struct made {
        int64_t ck;
        unsigned char dk[CRYPT_KEY_BYTES];
    } *made = sodium_allocarray((size_t)n, sizeof(*made));
    if (made == NULL) {
        abort(); /* out of memory, as kt_malloc */
    }
    struct buf q;
    buf_init(&q, 0);
    buf_puts(&q, "INSERT INTO data_keys (ck, master_id, wrapped, created_at) VALUES ");
    int64_t now = clock_now_ms();
    for (int64_t i = 0; i < n; i++) {
        unsigned char w[CRYPT_WRAP_BYTES], id[CRYPT_ID_BYTES];
        char wh[2 * CRYPT_WRAP_BYTES + 1], ih[2 * CRYPT_ID_BYTES + 1];
        made[i].ck = from + i;
        crypt_dk_make(made[i].dk);
        crypt_dk_wrap(s->base.crypt, false, made[i].ck, made[i].dk, w, id);
        sodium_bin2hex(wh, sizeof(wh), w, sizeof(w));
        sodium_bin2hex(ih, sizeof(ih), id, sizeof(id));
        buf_printf(&q, "%s(%lld, '\\x%s'::bytea, '\\x%s'::bytea, %lld)", i ? "," : "",
                   (long long)made[i].ck, ih, wh, (long long)now);
    }
    buf_puts(&q, " ON CONFLICT (ck) DO NOTHING RETURNING ck");
    struct pg_conn *c = NULL;
    enum kt_rc rc = q.failed ? kt_err_set(err, KT_ESTORE, "store_error", NULL, "out of memory")
                             : pg_pool_get(s, &s->keys.pool, &c, err);
    if (rc == KT_OK) {
        PGresult *res = PQexec(c->pg, buf_cstr(&q));
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            /* RETURNING gives the keys this statement made, in no promised order */
            for (int r = 0; r < PQntuples(res); r++) {
                int64_t ck = strtoll(PQgetvalue(res, r, 0), NULL, 10);
                if (ck >= from && ck < from + n) {
                    crypt_cache_put(s->base.crypt, ck, made[ck - from].dk);
                }
            }
        } else {
            int src = pg_exec(c, "SELECT 1"); /* records the state of the connection */
            if (src == PG_UNAVAILABLE) {
                rc = pg_unavailable(err, 1, "make keys", PQresultErrorMessage(res));
            } else {
                rc = kt_err_set(err, KT_ESTORE, "store_error", NULL, "the key store failed");
                kt_err_detail(err, "make keys: %s", PQresultErrorMessage(res));
            }
        }
        PQclear(res);
        pg_pool_put(&s->keys.pool, c);
    }
    if (q.p != NULL) {
        sodium_memzero(q.p, q.len);
    }
    buf_release(&q);
    sodium_free(made); /* wiped */
    return rc;
}

enum kt_rc pg_dk(struct sql_conn *c, int64_t ck, bool make, unsigned char *dk, struct kt_err *err)
{
    struct store *base = c->base.store;
    struct pg_store *s = store_of(base);
    if (crypt_cache_get(s->base.crypt, ck, dk)) {
        return KT_OK;
    }
    int what = 0;
    enum kt_rc rc = ks_read(base, ck, &what, dk, err);
    if (rc == KT_OK && what == 0 && make) {
        rc = make_keys(base, ck, err);
        rc = rc == KT_OK ? ks_read(base, ck, &what, dk, err) : rc;
    }
    return sql_dk_answer(&s->base, ck, what, dk, rc, err);
}

enum kt_rc pg_dk_many(struct sql_conn *c, const int64_t *cks, size_t n,
                      unsigned char (*dks)[CRYPT_KEY_BYTES], int *what, struct kt_err *err)
{
    struct store *s = c->base.store;
    memset(what, 0, n * sizeof(*what));
    if (n == 0) {
        return KT_OK;
    }
    struct ks_call k;
    enum kt_rc rc = ks_begin(s, &k,
                             "SELECT ck, master_id, wrapped FROM data_keys "
                             "WHERE ck BETWEEN ?1 AND ?2 ORDER BY ck",
                             err);
    if (rc != KT_OK) {
        return rc;
    }
    sql_bind_i64(k.st, 1, cks[0]);
    sql_bind_i64(k.st, 2, cks[n - 1]);
    size_t i = 0;
    int src;
    while (rc == KT_OK && (src = sql_step(k.st)) == SQL_ROW) {
        int64_t ck = sql_col_i64(k.st, 0);
        while (i < n && cks[i] < ck) {
            i++;
        }
        if (i == n) {
            src = SQL_DONE;
            break;
        }
        if (cks[i] != ck) {
            continue; /* a customer of the range not asked for */
        }
        if (sql_col_type(k.st, 2) == SQL_NULL) {
            what[i] = -1;
        } else if (sql_col_bytes(k.st, 1) != CRYPT_ID_BYTES) {
            rc = kt_err_set(err, KT_ESTORE, "data_key_corrupt", NULL, "a data key does not open");
        } else {
            rc =
                crypt_dk_unwrap(store_of(s)->base.crypt, ck, sql_col_blob(k.st, 1),
                                sql_col_blob(k.st, 2), (size_t)sql_col_bytes(k.st, 2), dks[i], err);
            what[i] = rc == KT_OK;
        }
    }
    if (rc == KT_OK && src != SQL_DONE && src != SQL_ROW) {
        rc = pg_fail(k.c, src, "key store read", err);
    }
    ks_end(s, &k);
    return rc;
}

/* ---- destroying and rewrapping --------------------------------------------------------------- */

/* Tombstones for the keys queued by erasures (key_shreds in the main database), then the queue
 * emptied; the keys leave the cache. */
enum kt_rc pg_keys_shred(struct store *base, int64_t *shredded, struct kt_err *err)
{
    struct pg_store *s = store_of(base);
    *shredded = 0;
    if (!s->keys.attached) {
        return KT_OK;
    }
    enum kt_rc rc = KT_OK;
    for (size_t n = 1000; rc == KT_OK && n == 1000;) {
        struct arena a;
        arena_init(&a, 0);
        int64_t *cks = NULL;
        n = 0;
        struct pg_conn *m = NULL;
        struct sql_stmt *st = NULL;
        rc = pg_pool_get(s, &s->rw, &m, err);
        if (rc == KT_OK) {
            int src =
                sql_prepare(&m->base, "SELECT ck FROM key_shreds ORDER BY ck LIMIT 1000", &st);
            rc = src == SQL_OK ? sql_rows(&m->base, st, sql_row_i64, sizeof(*cks), &a, &cks, &n,
                                          "key shreds", err)
                               : pg_fail(m, src, "key shreds", err);
            sql_finalize(st);
            st = NULL;
        }
        struct ks_call k = {0};
        rc = rc == KT_OK && n > 0 ? ks_begin(base, &k,
                                             "INSERT INTO data_keys (ck, created_at, "
                                             "destroyed_at) VALUES (?1, ?2, ?2) ON CONFLICT (ck) "
                                             "DO UPDATE SET master_id = NULL, wrapped = NULL, "
                                             "destroyed_at = coalesce(data_keys.destroyed_at, "
                                             "excluded.destroyed_at)",
                                             err)
                                  : rc;
        int64_t now = clock_now_ms();
        for (size_t i = 0; rc == KT_OK && n > 0 && i < n; i++) {
            sql_bind_i64(k.st, 1, cks[i]);
            sql_bind_i64(k.st, 2, now);
            rc = sql_run(&k.c->base, k.st, NULL, err);
            crypt_cache_drop(s->base.crypt, cks[i]);
        }
        if (k.c != NULL) {
            ks_end(base, &k);
        }
        if (rc == KT_OK && n > 0 &&
            sql_prepare(&m->base, "DELETE FROM key_shreds WHERE ck <= ?1", &st) == SQL_OK) {
            sql_bind_i64(st, 1, cks[n - 1]);
            rc = sql_run(&m->base, st, NULL, err);
            sql_finalize(st);
        }
        if (m != NULL) {
            pg_pool_put(&s->rw, m);
        }
        *shredded += (int64_t)n;
        arena_release(&a);
    }
    if (rc == KT_OK && *shredded > 0) {
        log_info("keys_destroyed", "count=%lld", (long long)*shredded);
    }
    return rc;
}

/* Rewraps up to `limit` keys still under the master key `old_id` with the next one. */
static enum kt_rc rewrap(struct store *base, const unsigned char *old_id, int limit, int64_t *did,
                         struct kt_err *err)
{
    struct pg_store *s = store_of(base);
    struct pg_conn *c = NULL;
    *did = 0;
    enum kt_rc rc = pg_pool_get(s, &s->keys.pool, &c, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct sql_stmt *st = NULL, *up = NULL;
    int src = pg_exec(c, "BEGIN");
    src = src == SQL_OK ? sql_prepare(&c->base,
                                      "SELECT ck, master_id, wrapped FROM data_keys WHERE "
                                      "master_id = ?1 LIMIT ?2 FOR UPDATE",
                                      &st)
                        : src;
    src = src == SQL_OK ? sql_prepare(&c->base,
                                      "UPDATE data_keys SET master_id = ?2, wrapped = ?3 WHERE "
                                      "ck = ?1",
                                      &up)
                        : src;
    if (src == SQL_OK) {
        sql_bind_blob(st, 1, old_id, CRYPT_ID_BYTES, SQL_STATIC);
        sql_bind_i64(st, 2, limit);
    }
    while (src == SQL_OK && rc == KT_OK && (src = sql_step(st)) == SQL_ROW) {
        src = SQL_OK;
        int64_t ck = sql_col_i64(st, 0);
        unsigned char dk[CRYPT_KEY_BYTES], w[CRYPT_WRAP_BYTES], id[CRYPT_ID_BYTES];
        int wn = sql_col_bytes(st, 2);
        const void *id_old = sql_col_blob(st, 1), *w_old = sql_col_blob(st, 2);
        rc = crypt_dk_unwrap(s->base.crypt, ck, id_old, w_old, (size_t)wn, dk, err);
        if (rc == KT_OK) {
            crypt_dk_wrap(s->base.crypt, true, ck, dk, w, id);
            sql_bind_i64(up, 1, ck);
            sql_bind_blob(up, 2, id, sizeof(id), SQL_TRANSIENT);
            sql_bind_blob(up, 3, w, sizeof(w), SQL_TRANSIENT);
            src = sql_step(up);
            src = src == SQL_DONE ? SQL_OK : src;
            sql_reset(up);
            (*did)++;
        }
        sodium_memzero(dk, sizeof(dk));
    }
    src = src == SQL_DONE ? SQL_OK : src;
    sql_finalize(st);
    sql_finalize(up);
    src = rc == KT_OK && src == SQL_OK ? pg_exec(c, "COMMIT") : src;
    if (rc == KT_OK && src != SQL_OK) {
        rc = pg_fail(c, src, "rotate", err);
    }
    if (rc != KT_OK) {
        pg_exec(c, "ROLLBACK");
    }
    pg_pool_put(&s->keys.pool, c);
    return rc;
}

enum kt_rc pg_keys_rotate(struct store *base, int limit, int64_t *rewrapped, int64_t *left,
                          struct kt_err *err)
{
    struct pg_store *s = store_of(base);
    *rewrapped = 0;
    *left = 0;
    if (!s->base.rotating || !s->keys.attached) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", NULL,
                          "no new master key was given to rotate to");
    }
    unsigned char old_id[CRYPT_ID_BYTES], next_id[CRYPT_ID_BYTES];
    char have[80] = "", next_hex[2 * CRYPT_ID_BYTES + 1];
    crypt_master_id(s->base.crypt, old_id);
    crypt_next_id(s->base.crypt, next_id);
    id_hex(next_id, next_hex);
    bool found = false;
    enum kt_rc rc = ks_meta(base, "master_id", have, sizeof(have), &found, err);
    if (rc == KT_OK && strcmp(have, next_hex) == 0) { /* done before: nothing left */
        return KT_OK;
    }
    rc = rc == KT_OK ? ks_meta_put(base, "rotating_to", next_hex, err) : rc;
    rc = rc == KT_OK ? rewrap(base, old_id, limit, rewrapped, err) : rc;
    struct ks_call k = {0};
    rc = rc == KT_OK
             ? ks_begin(base, &k, "SELECT count(*) FROM data_keys WHERE master_id = ?1", err)
             : rc;
    if (rc == KT_OK) {
        sql_bind_blob(k.st, 1, old_id, CRYPT_ID_BYTES, SQL_STATIC);
        rc = sql_int_row(&k.c->base, k.st, left, 1, "rotate", err);
        pg_pool_put(&s->keys.pool, k.c);
    }
    if (rc == KT_OK && *left == 0) { /* every key is under the new one: it is the master now */
        rc = ks_meta_put(base, "master_id", next_hex, err);
        rc = rc == KT_OK ? ks_meta_put(base, "rotating_to", NULL, err) : rc;
    }
    return rc;
}

/* ---- store_copy ------------------------------------------------------------------------------ */

enum kt_rc pg_keys_conn(struct store *base, struct sql_conn **out, struct kt_err *err)
{
    struct pg_store *s = store_of(base);
    struct pg_conn *c = NULL;
    *out = NULL;
    if (!s->keys.attached) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the key store is not attached");
    }
    enum kt_rc rc = pg_pool_get(s, &s->keys.pool, &c, err);
    *out = rc == KT_OK ? &c->base : NULL;
    return rc;
}

void pg_keys_conn_put(struct store *base, struct sql_conn *c)
{
    pg_pool_put(&store_of(base)->keys.pool, (struct pg_conn *)c);
}
