/*
 * keystore.c - the key store: every customer's data key, wrapped under the master key, in a
 * SQLite file of its own beside the database ("<db>.keys"), never inside it - so a copy of the
 * database or of its backups holds nothing readable, and an erasure that destroys a key reaches
 * every copy made before it (docs/privacy.md, "Encryption at rest").
 *
 *   - data_keys: one row per customer key `ck` (0 = the installation's own key): the id of the
 *     master key it is wrapped under and the wrapped key; an erasure leaves a tombstone (both
 *     NULL, destroyed_at set) so that a copy of the database opened later says "destroyed", not
 *     "missing". secure_delete zeroes the bytes, and the shred truncates the WAL after.
 *   - ks_meta: the key store's id (the database records it, so that another database's key store
 *     is refused), the id of the master key, and `rotating_to` while a rotation is unfinished.
 *
 * synchronous = FULL: a key is on disk before the row sealed under it commits in the database
 * (whose commits are only NORMAL). Keys are made KEYS_AHEAD at a time for the customer keys the
 * next inserts will take, so one fsync serves many new customers. A key goes into the cache only
 * once its transaction committed: a row is never sealed under a key that is not on disk.
 *
 * Handles: the store's `keys.db` (guarded by keys.mu) makes, destroys and rewraps keys; every
 * connection of the pool reads keys through a handle of its own (sq_conn.ks, autocommit, so each
 * read sees every key made before it), and opened keys are cached in the keyring (crypt.h).
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/sqlite/sqlite_int.h"

/* Keys made at once: one fsync of the key store serves this many new customers. A batch costs the
 * writer about 5 ms besides the fsync, once per KEYS_AHEAD new customers; with 256 the fsyncs
 * alone held an import to 3,000 customers a second. */
#define KEYS_AHEAD 4096

static const char ks_schema[] =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; "
    "CREATE TABLE IF NOT EXISTS ks_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) "
    "WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS data_keys ("
    "  ck INTEGER PRIMARY KEY," /* the customer key; 0 = the installation's own */
    "  master_id BLOB,"         /* the master key it is wrapped under; NULL: destroyed */
    "  wrapped BLOB,"           /* nonce, key, tag; NULL: destroyed */
    "  created_at INTEGER NOT NULL,"
    "  destroyed_at INTEGER);"
    "CREATE INDEX IF NOT EXISTS data_keys_master ON data_keys (master_id) "
    "WHERE master_id IS NOT NULL;";

static enum kt_rc ks_fail(sqlite3 *db, int rc, const char *what, struct kt_err *err)
{
    kt_err_set(err, rc == SQLITE_BUSY ? KT_EBUSY : KT_ESTORE,
               rc == SQLITE_BUSY ? "store_busy" : "store_error", NULL,
               rc == SQLITE_BUSY ? "the database is busy; retry shortly" : "the database failed");
    kt_err_detail(err, "key store, %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return err ? err->rc : KT_ESTORE;
}

static enum kt_rc ks_open(const char *path, sqlite3 **out, int busy_ms, struct kt_err *err)
{
    int rc = sqlite3_open_v2(
        path, out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(*out, busy_ms);
        rc = sqlite3_exec(*out, ks_schema, NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        enum kt_rc r = ks_fail(*out, rc, "open", err);
        sqlite3_close(*out);
        *out = NULL;
        return r;
    }
    return KT_OK;
}

/* ---- reading a key -------------------------------------------------------------------------- */

/* The connection's own handle on the key store, opened on first use. */
static enum kt_rc conn_ks(struct sq_conn *c, struct kt_err *err)
{
    if (c->ks_get != NULL) {
        return KT_OK;
    }
    struct sq_store *s = (struct sq_store *)c->base.base.store;
    enum kt_rc rc = c->ks ? KT_OK : ks_open(s->keys.path, &c->ks, s->busy_ms, err);
    if (rc != KT_OK) {
        return rc;
    }
    /* A key read is a cache miss of a lookup: through a memory map it costs no system call.
     * The key store is written rarely (a key per new customer, made 256 at a time), so the map
     * is seldom dropped, unlike the main database's (docs/design.md, "No memory map"). */
    sqlite3_exec(c->ks, "PRAGMA mmap_size = 1073741824", NULL, NULL, NULL);
    int src = sqlite3_prepare_v3(c->ks,
                                 "SELECT master_id, wrapped, destroyed_at FROM data_keys "
                                 "WHERE ck = ?1",
                                 -1, SQLITE_PREPARE_PERSISTENT, &c->ks_get, NULL);
    return src == SQLITE_OK ? KT_OK : ks_fail(c->ks, src, "prepare", err);
}

/* What the key store holds for ck: 1 a key (unwrapped into dk), 0 none, -1 a tombstone. */
static enum kt_rc ks_read(struct sq_conn *c, int64_t ck, int *what, unsigned char *dk,
                          struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)c->base.base.store;
    enum kt_rc rc = conn_ks(c, err);
    if (rc != KT_OK) {
        return rc;
    }
    sqlite3_stmt *st = c->ks_get;
    sqlite3_bind_int64(st, 1, ck);
    int src = sqlite3_step(st);
    *what = 0;
    if (src == SQLITE_ROW && sqlite3_column_type(st, 1) == SQLITE_NULL) {
        *what = -1;
    } else if (src == SQLITE_ROW) {
        *what = 1;
        rc = sqlite3_column_bytes(st, 0) != CRYPT_ID_BYTES
                 ? kt_err_set(err, KT_ESTORE, "data_key_corrupt", NULL, "a data key does not open")
                 : crypt_dk_unwrap(s->base.crypt, ck, sqlite3_column_blob(st, 0),
                                   sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                                   dk, err);
    } else if (src != SQLITE_DONE) {
        rc = ks_fail(c->ks, src, "read", err);
    }
    sqlite3_reset(st);
    return rc;
}

/* A key made, kept to be cached once its transaction commits. */
struct made {
    int64_t ck;
    unsigned char dk[CRYPT_KEY_BYTES];
};

/* Makes the keys of ck and the KEYS_AHEAD - 1 after it that have none, in one transaction; the
 * keys it made go into the cache after the commit, so the inserts that take them next need not
 * read them back. A key that existed already (ON CONFLICT) is not the one made: not cached. */
static enum kt_rc make_keys(struct sq_store *s, int64_t from, struct kt_err *err)
{
    sqlite3 *db = s->keys.db;
    sqlite3_stmt *st = NULL;
    int64_t n = from == 0 ? 1 : KEYS_AHEAD; /* the installation's key is one of its kind */
    struct made *made = sodium_allocarray((size_t)n, sizeof(*made));
    size_t n_made = 0;
    if (made == NULL) {
        abort(); /* out of memory, as kt_malloc */
    }
    int src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_prepare_v2(db,
                                 "INSERT INTO data_keys (ck, master_id, wrapped, created_at) "
                                 "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ck) DO NOTHING",
                                 -1, &st, NULL);
    }
    int64_t now = clock_now_ms();
    for (int64_t ck = from; src == SQLITE_OK && ck < from + n; ck++) {
        unsigned char w[CRYPT_WRAP_BYTES], id[CRYPT_ID_BYTES];
        struct made *m = &made[n_made];
        m->ck = ck;
        crypt_dk_make(m->dk);
        crypt_dk_wrap(s->base.crypt, false, ck, m->dk, w, id);
        sqlite3_bind_int64(st, 1, ck);
        sqlite3_bind_blob(st, 2, id, sizeof(id), SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 3, w, sizeof(w), SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, now);
        src = sqlite3_step(st);
        n_made += src == SQLITE_DONE && sqlite3_changes(db) == 1;
        src = src == SQLITE_DONE ? SQLITE_OK : src;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (src == SQLITE_OK) {
        src = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    enum kt_rc rc = KT_OK;
    if (src != SQLITE_OK) {
        rc = ks_fail(db, src, "make keys", err);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        n_made = 0;
    }
    for (size_t i = 0; i < n_made; i++) {
        crypt_cache_put(s->base.crypt, made[i].ck, made[i].dk);
    }
    sodium_free(made); /* wiped */
    return rc;
}

enum kt_rc sq_dk(struct sql_conn *base, int64_t ck, bool make, unsigned char *dk,
                 struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    struct sq_store *s = (struct sq_store *)c->base.base.store;
    if (crypt_cache_get(s->base.crypt, ck, dk)) {
        return KT_OK;
    }
    int what = 0;
    enum kt_rc rc = ks_read(c, ck, &what, dk, err);
    if (rc == KT_OK && what == 0 && make) {
        pthread_mutex_lock(&s->keys.mu);
        rc = make_keys(s, ck, err);
        pthread_mutex_unlock(&s->keys.mu);
        if (rc == KT_OK) {
            rc = ks_read(c, ck, &what, dk, err);
        }
    }
    return sql_dk_answer(&s->base, ck, what, dk, rc, err);
}

enum kt_rc sq_dk_many(struct sql_conn *base, const int64_t *cks, size_t n,
                      unsigned char (*dks)[CRYPT_KEY_BYTES], int *what, struct kt_err *err)
{
    struct sq_conn *c = (struct sq_conn *)base;
    struct sq_store *s = (struct sq_store *)c->base.base.store;
    memset(what, 0, n * sizeof(*what));
    if (n == 0) {
        return KT_OK;
    }
    enum kt_rc rc = conn_ks(c, err);
    sqlite3_stmt *st = NULL;
    int src = rc == KT_OK ? sqlite3_prepare_v2(c->ks,
                                               "SELECT ck, master_id, wrapped, destroyed_at "
                                               "FROM data_keys WHERE ck BETWEEN ?1 AND ?2 "
                                               "ORDER BY ck",
                                               -1, &st, NULL)
                          : SQLITE_OK;
    if (rc == KT_OK && src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, cks[0]);
        sqlite3_bind_int64(st, 2, cks[n - 1]);
    }
    size_t i = 0;
    while (rc == KT_OK && src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t ck = sqlite3_column_int64(st, 0);
        while (i < n && cks[i] < ck) {
            i++;
        }
        if (i == n) {
            break;
        }
        if (cks[i] != ck) {
            continue; /* a customer of the range not asked for */
        }
        if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
            what[i] = -1;
        } else if (sqlite3_column_bytes(st, 1) != CRYPT_ID_BYTES) {
            rc = kt_err_set(err, KT_ESTORE, "data_key_corrupt", NULL, "a data key does not open");
        } else {
            rc = crypt_dk_unwrap(s->base.crypt, ck, sqlite3_column_blob(st, 1),
                                 sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                                 dks[i], err);
            what[i] = rc == KT_OK;
        }
    }
    if (rc == KT_OK && src != SQLITE_ROW && src != SQLITE_DONE && src != SQLITE_OK) {
        rc = ks_fail(c->ks, src, "read", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- attaching the key store to the database ------------------------------------------------ */

static enum kt_rc ks_meta(sqlite3 *db, const char *key, char *val, size_t cap, bool *found,
                          struct kt_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(db, "SELECT value FROM ks_meta WHERE key = ?1", -1, &st, NULL);
    *found = false;
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            *found = true;
            const unsigned char *v = sqlite3_column_text(st, 0);
            kt_strlcpy(val, v ? (const char *)v : "", cap);
            src = SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? KT_OK : ks_fail(db, src, "meta", err);
}

static enum kt_rc ks_meta_put(sqlite3 *db, const char *key, const char *val, struct kt_err *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(db,
                                 val ? "INSERT INTO ks_meta (key, value) VALUES (?1, ?2) ON "
                                       "CONFLICT (key) DO UPDATE SET value = excluded.value"
                                     : "DELETE FROM ks_meta WHERE key = ?1",
                                 -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (val != NULL) {
            sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
        }
        src = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? KT_OK : ks_fail(db, src, "meta", err);
}

enum kt_rc sq_keys_meta_put(struct sq_store *s, const char *key, const char *val,
                            struct kt_err *err)
{
    return ks_meta_put(s->keys.db, key, val, err);
}

static void id_hex(const unsigned char id[CRYPT_ID_BYTES], char hex[2 * CRYPT_ID_BYTES + 1])
{
    sodium_bin2hex(hex, 2 * CRYPT_ID_BYTES + 1, id, CRYPT_ID_BYTES);
}

/* A setting of the main database, read or written on the writer outside a transaction. */
static enum kt_rc main_meta(struct sq_store *s, const char *key, const char *put, char *val,
                            size_t cap, bool *found, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 256);
    const char *v = NULL;
    enum kt_rc rc = put ? sql_meta_put(&s->writer->base.base, key, put, err)
                        : sql_meta_get(&s->writer->base.base, key, &a, &v, found, err);
    if (rc == KT_OK && put == NULL && *found) {
        kt_strlcpy(val, v, cap);
    }
    arena_release(&a);
    return rc;
}

static enum kt_rc not_ours(struct sq_store *s, struct kt_err *err)
{
    return kt_err_set(err, KT_ESTORE, "key_store_mismatch", NULL,
                      "the key store '%s' is missing or is not the one this database's data is "
                      "sealed with: restore that one beside the database",
                      s->keys.path);
}

/* The key store and the database belong together: the database records the key store's id. A
 * missing key store is made only for a database that never had one. */
static enum kt_rc check_pair(struct sq_store *s, struct kt_err *err)
{
    char ks_id[80] = "", db_id[80] = "";
    bool ks_has = false, db_has = false;
    enum kt_rc rc = main_meta(s, "keystore_id", NULL, db_id, sizeof(db_id), &db_has, err);
    if (rc == KT_OK && db_has && access(s->keys.path, F_OK) != 0) {
        return not_ours(s, err);
    }
    if (rc == KT_OK) {
        rc = ks_open(s->keys.path, &s->keys.db, s->busy_ms, err);
    }
    if (rc == KT_OK) {
        rc = ks_meta(s->keys.db, "id", ks_id, sizeof(ks_id), &ks_has, err);
    }
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
        rc = ks_meta_put(s->keys.db, "id", ks_id, err);
        if (rc == KT_OK) {
            rc = ks_meta_put(s->keys.db, "master_id", mhex, err);
        }
    }
    if (rc == KT_OK && !db_has) {
        rc = main_meta(s, "keystore_id", ks_id, NULL, 0, NULL, err);
    }
    return rc;
}

/* The master key opens the key store: its id is the one the keys are wrapped under (or, for the
 * rotation verb, the next one is), and no rotation is left half done. */
static enum kt_rc check_master(struct sq_store *s, struct kt_err *err)
{
    char have[80] = "", rot[80] = "", mine[2 * CRYPT_ID_BYTES + 1], next[2 * CRYPT_ID_BYTES + 1];
    bool found = false, rotating = false;
    unsigned char id[CRYPT_ID_BYTES];
    crypt_master_id(s->base.crypt, id);
    id_hex(id, mine);
    crypt_next_id(s->base.crypt, id);
    id_hex(id, next);
    bool has_next = s->base.rotating;
    enum kt_rc rc = ks_meta(s->keys.db, "master_id", have, sizeof(have), &found, err);
    if (rc == KT_OK) {
        rc = ks_meta(s->keys.db, "rotating_to", rot, sizeof(rot), &rotating, err);
    }
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
                      "the master key does not open the key store '%s': give the key its data "
                      "keys are sealed under (--master-key-file, KARTOTEKA_MASTER_KEY)",
                      s->keys.path);
}

/* The installation secret keys the blind indexes: one that does not fit them is refused. */
static enum kt_rc check_index(struct sq_store *s, struct kt_err *err)
{
    char want[2 * CRYPT_BIDX_BYTES + 1], have[80] = "";
    bool found = false;
    crypt_bidx_check(s->base.crypt, want);
    enum kt_rc rc = main_meta(s, "blind_index_check", NULL, have, sizeof(have), &found, err);
    if (rc == KT_OK && !found) {
        return main_meta(s, "blind_index_check", want, NULL, 0, NULL, err);
    }
    if (rc == KT_OK && strcmp(have, want) != 0) {
        return kt_err_set(err, KT_EINVAL, "secret_mismatch", NULL,
                          "the installation secret does not belong to this database: its "
                          "lookups would find nobody; restore the original secret file or "
                          "KARTOTEKA_SECRET");
    }
    return rc;
}

enum kt_rc sq_keys_attach(struct sq_store *s, struct kt_err *err)
{
    if (s->keys.db != NULL) {
        return KT_OK;
    }
    if (s->base.crypt == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                          "the database was opened without its keys");
    }
    enum kt_rc rc = check_pair(s, err);
    if (rc == KT_OK) {
        rc = check_master(s, err);
    }
    if (rc == KT_OK) {
        rc = check_index(s, err);
    }
    if (rc != KT_OK) {
        sqlite3_close(s->keys.db); /* attached only when everything fits */
        s->keys.db = NULL;
    }
    return rc;
}

void sq_conn_ks_close(struct sq_conn *c)
{
    sqlite3_finalize(c->ks_get);
    c->ks_get = NULL;
    sqlite3_close(c->ks);
    c->ks = NULL;
}

/* ---- warming the cache ----------------------------------------------------------------------- */

static void *warm(void *arg)
{
    struct sq_store *s = arg;
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10); /* the tills first */
    int64_t t0 = clock_mono_ns(), n = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(s->keys.path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) ==
            SQLITE_OK &&
        sqlite3_prepare_v2(db,
                           "SELECT ck, master_id, wrapped FROM data_keys WHERE wrapped IS NOT "
                           "NULL ORDER BY ck DESC LIMIT ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, (int64_t)crypt_cache_capacity(s->base.crypt));
        while (!atomic_load(&s->keys.stop) && sqlite3_step(st) == SQLITE_ROW) {
            int64_t ck = sqlite3_column_int64(st, 0);
            unsigned char dk[CRYPT_KEY_BYTES];
            if (!crypt_cache_get(s->base.crypt, ck, dk) &&
                sqlite3_column_bytes(st, 1) == CRYPT_ID_BYTES &&
                crypt_dk_unwrap(s->base.crypt, ck, sqlite3_column_blob(st, 1),
                                sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), dk,
                                NULL) == KT_OK) {
                crypt_cache_put(s->base.crypt, ck, dk);
                n++;
            }
            sodium_memzero(dk, sizeof(dk));
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    log_info("keys_warm", "keys=%lld ms=%lld", (long long)n,
             (long long)((clock_mono_ns() - t0) / 1000000));
    return NULL;
}

void sq_keys_warm(struct sq_store *s)
{
    /* a cache fitted to the customers there are (twice as many slots), unless --key-cache said;
     * still one thread here */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->keys.db, "SELECT coalesce(max(ck), 0) FROM data_keys", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        crypt_cache_fit(s->base.crypt, (size_t)sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    if (!s->keys.warming && pthread_create(&s->keys.warmer, NULL, warm, s) == 0) {
        s->keys.warming = true;
    }
}

void sq_keys_close(struct sq_store *s)
{
    if (s->keys.warming) {
        atomic_store(&s->keys.stop, true);
        pthread_join(s->keys.warmer, NULL);
        s->keys.warming = false;
    }
    sqlite3_close(s->keys.db);
    s->keys.db = NULL;
    free(s->keys.path);
    s->keys.path = NULL;
    pthread_mutex_destroy(&s->keys.mu);
    crypt_free(s->base.crypt);
    s->base.crypt = NULL;
}

/* ---- destroying keys ------------------------------------------------------------------------ */

/* Tombstones for the keys of `cks` in one transaction of the key store, then its WAL truncated so
 * that the wrapped keys survive in neither file (secure_delete zeroed them in the pages). */
static enum kt_rc ks_destroy(struct sq_store *s, const int64_t *cks, size_t n, struct kt_err *err)
{
    sqlite3 *db = s->keys.db;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->keys.mu);
    int src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_prepare_v2(db,
                                 "INSERT INTO data_keys (ck, created_at, destroyed_at) "
                                 "VALUES (?1, ?2, ?2) ON CONFLICT (ck) DO UPDATE SET "
                                 "master_id = NULL, wrapped = NULL, destroyed_at = "
                                 "coalesce(destroyed_at, excluded.destroyed_at)",
                                 -1, &st, NULL);
    }
    int64_t now = clock_now_ms();
    for (size_t i = 0; src == SQLITE_OK && i < n; i++) {
        sqlite3_bind_int64(st, 1, cks[i]);
        sqlite3_bind_int64(st, 2, now);
        src = sqlite3_step(st);
        src = src == SQLITE_DONE ? SQLITE_OK : src;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    src = src == SQLITE_OK ? sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) : src;
    enum kt_rc rc = KT_OK;
    if (src != SQLITE_OK) {
        rc = ks_fail(db, src, "destroy keys", err);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    } else {
        /* every reader of the key store reads in autocommit, briefly: the truncation waits for
         * them at most the busy timeout */
        src = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        if (src != SQLITE_OK) {
            log_warn("key_store_wal_not_wiped", "detail=\"%s\"", sqlite3_errmsg(db));
        }
    }
    pthread_mutex_unlock(&s->keys.mu);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        crypt_cache_drop(s->base.crypt, cks[i]);
    }
    return rc;
}

enum kt_rc sq_keys_shred(struct store *base, int64_t *shredded, struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)base;
    struct sq_conn *w = s->writer;
    *shredded = 0;
    if (s->keys.db == NULL) {
        return KT_OK;
    }
    enum kt_rc rc = KT_OK;
    for (size_t n = 1000; rc == KT_OK && n == 1000;) {
        struct arena a;
        arena_init(&a, 0);
        int64_t *cks = NULL;
        n = 0;
        struct sql_stmt *st = NULL;
        pthread_mutex_lock(&s->write_mu);
        int src = sql_prepare(&w->base, "SELECT ck FROM key_shreds ORDER BY ck LIMIT 1000", &st);
        if (src != SQL_OK) {
            rc = sql_fail(&w->base, src, "key shreds", err);
        } else {
            rc = sql_rows(&w->base, st, sql_row_i64, sizeof(*cks), &a, &cks, &n, "key shreds", err);
        }
        sql_finalize(st);
        st = NULL;
        rc = rc == KT_OK && n > 0 ? ks_destroy(s, cks, n, err) : rc;
        if (rc == KT_OK && n > 0 &&
            sql_prepare(&w->base, "DELETE FROM key_shreds WHERE ck <= ?1", &st) == SQL_OK) {
            sql_bind_i64(st, 1, cks[n - 1]);
            rc = sql_run(&w->base, st, NULL, err);
            sql_finalize(st);
        }
        pthread_mutex_unlock(&s->write_mu);
        *shredded += (int64_t)n;
        arena_release(&a);
    }
    if (rc == KT_OK && *shredded > 0) {
        log_info("keys_destroyed", "count=%lld", (long long)*shredded);
    }
    return rc;
}

/* ---- rotating the master key ---------------------------------------------------------------- */

/* Rewraps up to `limit` keys still under the current master key with the next one, in one
 * transaction; *did counts them. */
static enum kt_rc rewrap(struct sq_store *s, const unsigned char *old_id, int limit, int64_t *did,
                         struct kt_err *err)
{
    sqlite3 *db = s->keys.db;
    sqlite3_stmt *st = NULL, *up = NULL;
    *did = 0;
    int src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_prepare_v2(db,
                                 "SELECT ck, master_id, wrapped FROM data_keys WHERE master_id = "
                                 "?1 LIMIT ?2",
                                 -1, &st, NULL);
    }
    if (src == SQLITE_OK) {
        src = sqlite3_prepare_v2(
            db, "UPDATE data_keys SET master_id = ?2, wrapped = ?3 WHERE ck = ?1", -1, &up, NULL);
    }
    if (src == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, old_id, CRYPT_ID_BYTES, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, limit);
    }
    enum kt_rc rc = KT_OK;
    while (src == SQLITE_OK && rc == KT_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        src = SQLITE_OK;
        int64_t ck = sqlite3_column_int64(st, 0);
        unsigned char dk[CRYPT_KEY_BYTES], w[CRYPT_WRAP_BYTES], id[CRYPT_ID_BYTES];
        rc = crypt_dk_unwrap(s->base.crypt, ck, sqlite3_column_blob(st, 1),
                             sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), dk,
                             err);
        if (rc == KT_OK) {
            crypt_dk_wrap(s->base.crypt, true, ck, dk, w, id);
            sqlite3_bind_int64(up, 1, ck);
            sqlite3_bind_blob(up, 2, id, sizeof(id), SQLITE_TRANSIENT);
            sqlite3_bind_blob(up, 3, w, sizeof(w), SQLITE_TRANSIENT);
            src = sqlite3_step(up);
            src = src == SQLITE_DONE ? SQLITE_OK : src;
            sqlite3_reset(up);
            (*did)++;
        }
        sodium_memzero(dk, sizeof(dk));
    }
    src = src == SQLITE_DONE ? SQLITE_OK : src;
    sqlite3_finalize(st);
    sqlite3_finalize(up);
    if (rc == KT_OK && src == SQLITE_OK) {
        src = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc == KT_OK && src != SQLITE_OK) {
        rc = ks_fail(db, src, "rotate", err);
    }
    if (rc != KT_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

enum kt_rc sq_keys_rotate(struct store *base, int limit, int64_t *rewrapped, int64_t *left,
                          struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)base;
    *rewrapped = 0;
    *left = 0;
    if (!s->base.rotating || s->keys.db == NULL) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", NULL,
                          "no new master key was given to rotate to");
    }
    unsigned char old_id[CRYPT_ID_BYTES], next_id[CRYPT_ID_BYTES];
    char have[80] = "", old_hex[2 * CRYPT_ID_BYTES + 1], next_hex[2 * CRYPT_ID_BYTES + 1];
    crypt_master_id(s->base.crypt, old_id);
    crypt_next_id(s->base.crypt, next_id);
    id_hex(old_id, old_hex);
    id_hex(next_id, next_hex);
    bool found = false;
    pthread_mutex_lock(&s->keys.mu);
    enum kt_rc rc = ks_meta(s->keys.db, "master_id", have, sizeof(have), &found, err);
    if (rc == KT_OK && strcmp(have, next_hex) == 0) { /* done before: nothing left */
        pthread_mutex_unlock(&s->keys.mu);
        return KT_OK;
    }
    rc = rc == KT_OK ? ks_meta_put(s->keys.db, "rotating_to", next_hex, err) : rc;
    if (rc == KT_OK) {
        rc = rewrap(s, old_id, limit, rewrapped, err);
    }
    sqlite3_stmt *st = NULL;
    if (rc == KT_OK &&
        sqlite3_prepare_v2(s->keys.db, "SELECT count(*) FROM data_keys WHERE master_id = ?1", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, old_id, CRYPT_ID_BYTES, SQLITE_STATIC);
        *left = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    }
    sqlite3_finalize(st);
    if (rc == KT_OK && *left == 0) { /* every key is under the new one: it is the master now */
        rc = ks_meta_put(s->keys.db, "master_id", next_hex, err);
        rc = rc == KT_OK ? ks_meta_put(s->keys.db, "rotating_to", NULL, err) : rc;
        sqlite3_wal_checkpoint_v2(s->keys.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    }
    pthread_mutex_unlock(&s->keys.mu);
    return rc;
}

/* ---- store_copy ------------------------------------------------------------------------------ */

enum kt_rc sq_keys_conn(struct store *base, struct sql_conn **out, struct kt_err *err)
{
    struct sq_store *s = (struct sq_store *)base;
    *out = NULL;
    if (s->keys.db == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the key store is not attached");
    }
    struct sq_conn *c = kt_calloc(1, sizeof(*c));
    pthread_mutex_lock(&s->keys.mu);
    sq_conn_wrap(c, base, s->keys.db);
    *out = &c->base;
    return KT_OK;
}

void sq_keys_conn_put(struct store *base, struct sql_conn *c)
{
    struct sq_store *s = (struct sq_store *)base;
    sql_conn_finalize(c); /* the handle stays the store's */
    free(c);
    pthread_mutex_unlock(&s->keys.mu);
}
