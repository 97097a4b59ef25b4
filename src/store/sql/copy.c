/*
 * copy.c - store_copy (kartoteka store copy, store.h): an SQLite installation copied whole into a
 * fresh PostgreSQL database (docs/scale.md). Past 800 lines: one procedure - the tables, their
 * rows, the resume points and the checksums - whose parts share one notion of a table's key,
 * read best in one place.
 *
 * What is copied, each a "unit" with its resume point: the key store's tables (ks_meta, data_keys:
 * the wrapped keys as they are), every table of the main database but schema_migrations, in an
 * order where a referenced table comes before those that reference it, then the log of reads
 * (its table and its row of audit_anchor). The backends give the key store's and the log of
 * reads' connections (sql_hooks.keys_conn, reads_conn); everything else is the SQL layer's.
 *
 *   - Rows go in key order (the source's primary key), read in batches by the key (WHERE key >
 *     the last one), each batch one transaction on the target with the unit's resume point
 *     (copy_progress, a table of the copy's own in each target database, dropped at the end), so
 *     a run that stopped anywhere is continued by the next without a row twice.
 *   - Values go by their type; into a bytea column text and blobs go as bytes (SQLite keeps a
 *     sealed value or a blind index as a BLOB in a TEXT column). A column that references its own
 *     table (customers.merged_into) is written NULL and set once every row is there. An identity's
 *     sequence is moved past the largest value copied; outbox.rowid, PostgreSQL's own, takes
 *     SQLite's rowid (OVERRIDING SYSTEM VALUE).
 *   - Rows are copied as they are, hashes and all: the chains of the two logs stay verifiable.
 *   - A fresh target holds rows its migrations and its first open made (the audit anchors, the
 *     caps' version, its settings, its key store's id): those tables are "seeded" and emptied
 *     before they are copied (their triggers refuse a delete: disabled for it, as the tables'
 *     owner may). Any other table with rows that the copy has not started is refused.
 *   - The key store's id is in both databases (ks_meta.id, meta.keystore_id), which an open checks
 *     against each other: the target's meta.keystore_id is deleted before the key store is
 *     copied, so a target stopped between the two opens (and the open writes the id back).
 *   - At the end each unit is counted and hashed on both sides, by C through each driver: SHA-256
 *     over each row's values in key order (text keys compared as bytes on PostgreSQL, COLLATE
 *     "C", as SQLite's BINARY), text and blob both as bytes.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/mem.h"
#include "store/sql/sql_int.h"

#define COLS_MAX   128
#define KEY_MAX    8
#define PARAMS_MAX 4000 /* values in one INSERT */
#define DONE       "done"

enum side { SIDE_MAIN, SIDE_KEYS, SIDE_READS };

struct col {
    char name[64];
    bool bytea;    /* the target's column is bytea: text and blobs go as bytes */
    bool text;     /* the target's is text: as a key it is compared as bytes (COLLATE "C") */
    bool self_ref; /* references its own table: written NULL, set once every row is there */
    char identity; /* the target's: 'a' (always), 'd' (by default), 0 */
};

/* A unit: one table copied, with its resume point (copy_progress.tbl = name). */
struct unit {
    char name[80];     /* "customers", "keys.data_keys", "reads.audit_anchor" */
    char table[64];    /* the table, the same on both sides */
    enum side side;    /* whose database holds it on each side */
    const char *where; /* a condition on both sides' rows, or NULL */
    bool seeded;       /* a fresh target has rows here: emptied before the copy */
    /* its columns: the source's, in its order, then the target's rowid (overriding) */
    struct col c[COLS_MAX];
    int n;
    int key[KEY_MAX]; /* indexes into c, in the key's order */
    int nkey;
    bool overriding; /* writes a GENERATED ALWAYS column */
    bool has_self;   /* has a self_ref column */
};

struct val {
    int type; /* SQL_INTEGER ... SQL_NULL */
    int64_t i;
    double d;
    const unsigned char *p; /* text or blob, in a batch's arena */
    int n;
};

/* A batch of rows read, in its arena. */
struct batch {
    struct arena a;
    struct val *v; /* rows * the unit's n */
    size_t rows;
};

struct copy {
    struct store *from, *to;
    const struct store_copy_opts *o;
    int batch;
    struct unit *u; /* owned */
    size_t nu;
};

/* ---- connections ------------------------------------------------------------------------------
 */

/* A connection on one database of a store: the main one through the store (a read, or the write
 * transaction), the key store's and the log of reads' through the backend's hooks. */
struct link {
    struct store *s;
    enum side side;
    bool write;
    struct sql_conn *c;
};

static const struct sql_hooks *hooks_of(struct store *s)
{
    return ((struct sql_store *)s)->hooks;
}

static enum kt_rc link_get(struct link *l, struct store *s, enum side side, bool write,
                           struct kt_err *err)
{
    *l = (struct link){s, side, write, NULL};
    struct store_conn *sc = NULL;
    if (side == SIDE_MAIN) {
        enum kt_rc rc = write ? store_write_begin(s, &sc, err) : store_read_begin(s, &sc, err);
        l->c = (struct sql_conn *)sc;
        return rc;
    }
    const struct sql_hooks *h = hooks_of(s);
    enum kt_rc rc = side == SIDE_KEYS ? h->keys_conn(s, &l->c, err) : h->reads_conn(s, &l->c, err);
    if (rc == KT_OK && write && (rc = sql_exec(l->c, "BEGIN", err)) != KT_OK) {
        (side == SIDE_KEYS ? h->keys_conn_put : h->reads_conn_put)(s, l->c);
        l->c = NULL;
    }
    return rc;
}

/* Gives the connection back; a write commits when `rc` is KT_OK, else rolls back. */
static enum kt_rc link_put(struct link *l, enum kt_rc rc, struct kt_err *err)
{
    if (l->c == NULL) {
        return rc;
    }
    if (l->side == SIDE_MAIN && l->write) {
        rc = store_write_end(&l->c->base, rc, err);
    } else if (l->side == SIDE_MAIN) {
        store_read_end(&l->c->base);
    } else {
        if (l->write && rc == KT_OK) {
            rc = sql_exec(l->c, "COMMIT", err);
        }
        if (l->write && rc != KT_OK) {
            l->c->drv->exec(l->c, "ROLLBACK");
        }
        const struct sql_hooks *h = hooks_of(l->s);
        (l->side == SIDE_KEYS ? h->keys_conn_put : h->reads_conn_put)(l->s, l->c);
    }
    l->c = NULL;
    return rc;
}

/* Runs `text` (without results) on c. */
static enum kt_rc run_text(struct sql_conn *c, const char *text, struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c, text, &st);
    if (src != SQL_OK) {
        return sql_fail(c, src, "copy", err);
    }
    src = sql_step(st);
    while (src == SQL_ROW) {
        src = sql_step(st);
    }
    enum kt_rc rc = src == SQL_DONE ? KT_OK : sql_fail(c, src, "copy", err);
    sql_finalize(st);
    return rc;
}

/* The one integer of `text` (a count), with `arg` bound to ?1 when not NULL. */
static enum kt_rc int_of(struct sql_conn *c, const char *text, const char *arg, int64_t *v,
                         struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c, text, &st);
    if (src != SQL_OK) {
        return sql_fail(c, src, "copy", err);
    }
    if (arg != NULL) {
        sql_bind_text(st, 1, arg);
    }
    enum kt_rc rc = sql_int_row(c, st, v, 1, "copy", err);
    sql_finalize(st);
    return rc;
}

/* ---- the tables and their columns ---------------------------------------------------------------
 */

struct catcol {
    const char *name;
    int64_t pk; /* place in the primary key from 1, 0 when not in it */
    const char *type;
    const char *identity; /* "a", "d" or "" */
    int64_t self_ref;
};

static void catcol_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct catcol *c = out;
    c->name = sql_col_text(st, 0, a);
    c->pk = sql_col_i64(st, 1);
    c->type = sql_col_text(st, 2, a);
    c->identity = sql_col_text(st, 3, a);
    c->self_ref = sql_col_i64(st, 4);
}

static const char cols_sqlite[] =
    "SELECT name, pk, lower(type), '', 0 FROM pragma_table_info(?1) ORDER BY cid";
static const char cols_pg[] =
    "SELECT a.attname::text, coalesce((SELECT k.n FROM pg_index i, unnest(i.indkey) WITH "
    "ORDINALITY k(att, n) WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.att = a.attnum), "
    "0), format_type(a.atttypid, a.atttypmod), a.attidentity::text, CASE WHEN EXISTS (SELECT 1 "
    "FROM pg_constraint f WHERE f.contype = 'f' AND f.conrelid = a.attrelid AND f.confrelid = "
    "a.attrelid AND a.attnum = ANY (f.conkey)) THEN 1 ELSE 0 END FROM pg_attribute a WHERE "
    "a.attrelid = to_regclass(?1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

static enum kt_rc columns(struct sql_conn *c, const char *table, struct arena *a,
                          struct catcol **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c, sql_text(c, cols_sqlite, cols_pg), &st);
    if (src != SQL_OK) {
        return sql_fail(c, src, "copy: columns", err);
    }
    sql_bind_text(st, 1, table);
    enum kt_rc rc = sql_rows(c, st, catcol_row, sizeof(**out), a, out, n, "copy: columns", err);
    sql_finalize(st);
    return rc;
}

static enum kt_rc schema_error(const char *table, const char *what, const char *name,
                               struct kt_err *err)
{
    kt_err_set(err, KT_ESTORE, "copy_schema", NULL,
               "the two databases' tables differ; are both at the same schema version?");
    kt_err_detail(err, "table %s: %s %s", table, what, name);
    return KT_ESTORE;
}

/* The unit's columns from both sides' catalogs. */
static enum kt_rc shape(struct unit *u, struct sql_conn *from, struct sql_conn *to,
                        struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct catcol *s = NULL, *t = NULL;
    size_t ns = 0, nt = 0;
    enum kt_rc rc = columns(from, u->table, &a, &s, &ns, err);
    rc = rc == KT_OK ? columns(to, u->table, &a, &t, &nt, err) : rc;
    if (rc == KT_OK && nt == 0) {
        rc = schema_error(u->table, "missing in", "the target", err);
    }
    u->n = u->nkey = 0;
    for (size_t i = 0; rc == KT_OK && i < ns; i++) {
        size_t j = 0;
        while (j < nt && strcmp(t[j].name, s[i].name) != 0) {
            j++;
        }
        if (j == nt) {
            rc = schema_error(u->table, "the target has no column", s[i].name, err);
        } else if (u->n == COLS_MAX || s[i].pk > KEY_MAX) {
            rc = schema_error(u->table, "too many columns at", s[i].name, err);
        } else {
            struct col *c = &u->c[u->n];
            kt_strlcpy(c->name, s[i].name, sizeof(c->name));
            c->bytea = strcmp(t[j].type, "bytea") == 0;
            c->text = strcmp(t[j].type, "text") == 0;
            c->self_ref = t[j].self_ref != 0;
            c->identity = t[j].identity ? t[j].identity[0] : 0;
            u->has_self |= c->self_ref;
            if (s[i].pk > 0) {
                u->key[s[i].pk - 1] = u->n;
                u->nkey = u->nkey > (int)s[i].pk ? u->nkey : (int)s[i].pk;
            }
            u->n++;
        }
    }
    /* PostgreSQL's own rowid (outbox): SQLite's implicit one */
    for (size_t j = 0; rc == KT_OK && j < nt; j++) {
        if (strcmp(t[j].name, "rowid") == 0 && t[j].identity && t[j].identity[0] == 'a' &&
            u->n < COLS_MAX && sql_dialect(from) == SQL_SQLITE) {
            struct col *c = &u->c[u->n++];
            kt_strlcpy(c->name, "rowid", sizeof(c->name));
            c->identity = 'a';
            u->overriding = true;
        }
    }
    if (rc == KT_OK && u->nkey == 0) {
        rc = schema_error(u->table, "no primary key", "", err);
    }
    arena_release(&a);
    return rc;
}

/* The main database's tables, a referenced one before those referencing it. */
static const char tables_sqlite[] =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT "
    "IN ('schema_migrations', 'copy_progress') ORDER BY name";
static const char refs_sqlite[] =
    "SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE "
    "m.type = 'table' AND f.\"table\" <> m.name";

struct ref {
    const char *from, *to;
};

static void ref_row(struct sql_stmt *st, struct arena *a, void *out)
{
    struct ref *r = out;
    r->from = sql_col_text(st, 0, a);
    r->to = sql_col_text(st, 1, a);
}

static const char *const seeded[] = {"meta", "audit_anchor", "message_caps_version"};

static void unit_add(struct copy *cp, const char *name, const char *table, enum side side,
                     const char *where, bool seed)
{
    struct unit *u = &cp->u[cp->nu++];
    memset(u, 0, sizeof(*u));
    kt_strlcpy(u->name, name, sizeof(u->name));
    kt_strlcpy(u->table, table, sizeof(u->table));
    u->side = side;
    u->where = where;
    u->seeded = seed;
}

static enum kt_rc units(struct copy *cp, struct sql_conn *c, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    const char **names = NULL;
    struct ref *refs = NULL;
    size_t n = 0, nr = 0;
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c, tables_sqlite, &st);
    enum kt_rc rc = src == SQL_OK ? sql_rows(c, st, sql_row_text, sizeof(*names), &a, &names, &n,
                                             "copy: tables", err)
                                  : sql_fail(c, src, "copy: tables", err);
    sql_finalize(st);
    st = NULL;
    if (rc == KT_OK) {
        src = sql_prepare(c, refs_sqlite, &st);
        rc = src == SQL_OK
                 ? sql_rows(c, st, ref_row, sizeof(*refs), &a, &refs, &nr, "copy: references", err)
                 : sql_fail(c, src, "copy: references", err);
        sql_finalize(st);
    }
    cp->u = kt_calloc(n + 4, sizeof(*cp->u));
    cp->nu = 0;
    unit_add(cp, "keys.ks_meta", "ks_meta", SIDE_KEYS, NULL, true);
    unit_add(cp, "keys.data_keys", "data_keys", SIDE_KEYS, NULL, true);
    bool *placed = arena_zalloc(&a, n + 1);
    for (size_t left = rc == KT_OK ? n : 0, progress = 1; left > 0 && progress;) {
        progress = 0;
        for (size_t i = 0; i < n; i++) {
            bool ready = !placed[i];
            for (size_t r = 0; ready && r < nr; r++) {
                if (strcmp(refs[r].from, names[i]) != 0) {
                    continue;
                }
                for (size_t j = 0; j < n; j++) {
                    ready &= strcmp(names[j], refs[r].to) != 0 || placed[j];
                }
            }
            if (!ready) {
                continue;
            }
            bool seed = false;
            for (size_t s = 0; s < sizeof(seeded) / sizeof(seeded[0]); s++) {
                seed |= strcmp(seeded[s], names[i]) == 0;
            }
            bool anchor = strcmp(names[i], "audit_anchor") == 0;
            unit_add(cp, names[i], names[i], SIDE_MAIN, anchor ? "log <> 'reads'" : NULL, seed);
            placed[i] = true;
            left--;
            progress++;
        }
        if (!progress) {
            rc = kt_err_set(err, KT_ESTORE, "copy_schema", NULL,
                            "the tables' references go round in a circle");
        }
    }
    unit_add(cp, "reads.reads", "reads", SIDE_READS, NULL, false);
    unit_add(cp, "reads.audit_anchor", "audit_anchor", SIDE_READS, "log = 'reads'", true);
    arena_release(&a);
    return rc;
}

/* ---- values ---------------------------------------------------------------------------------- */

static void val_read(struct sql_stmt *st, int i, struct arena *a, struct val *v)
{
    memset(v, 0, sizeof(*v));
    v->type = sql_col_type(st, i);
    if (v->type == SQL_INTEGER) {
        v->i = sql_col_i64(st, i);
    } else if (v->type == SQL_FLOAT) {
        v->d = sql_col_double(st, i);
    } else if (v->type == SQL_TEXT || v->type == SQL_BLOB) {
        const void *p =
            v->type == SQL_TEXT ? (const void *)sql_col_str(st, i) : sql_col_blob(st, i);
        v->n = sql_col_bytes(st, i);
        unsigned char *q = arena_alloc(a, (size_t)v->n + 1);
        if (v->n > 0) {
            memcpy(q, p, (size_t)v->n);
        }
        q[v->n] = '\0';
        v->p = q;
    } else {
        v->type = SQL_NULL;
    }
}

/* Binds v to parameter i; text goes as bytes when `bytes` (a bytea column). */
static void val_bind(struct sql_stmt *st, int i, const struct val *v, bool bytes)
{
    if (v->type == SQL_INTEGER) {
        sql_bind_i64(st, i, v->i);
    } else if (v->type == SQL_FLOAT) {
        sql_bind_double(st, i, v->d);
    } else if (v->type == SQL_TEXT && !bytes) {
        sql_bind_textn(st, i, (const char *)v->p, v->n, SQL_STATIC);
    } else if (v->type == SQL_TEXT || v->type == SQL_BLOB) {
        sql_bind_blob(st, i, v->p, v->n, SQL_STATIC); /* p is never NULL: "" for none */
    } else {
        sql_bind_null(st, i);
    }
}

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

/* A key as text for copy_progress.last_key: per value i<int>, f<real>, t<hex>, b<hex> or n. */
static void key_encode(const struct val *v, int n, struct buf *b)
{
    for (int k = 0; k < n; k++) {
        buf_puts(b, k ? "," : "");
        if (v[k].type == SQL_INTEGER) {
            buf_printf(b, "i%lld", (long long)v[k].i);
        } else if (v[k].type == SQL_FLOAT) {
            buf_printf(b, "f%.17g", v[k].d);
        } else if (v[k].type == SQL_TEXT || v[k].type == SQL_BLOB) {
            buf_puts(b, v[k].type == SQL_TEXT ? "t" : "b");
            for (int j = 0; j < v[k].n; j++) {
                buf_printf(b, "%02x", v[k].p[j]);
            }
        } else {
            buf_puts(b, "n");
        }
    }
}

static bool key_decode(const char *s, struct arena *a, struct val *v, int n)
{
    for (int k = 0; k < n; k++) {
        memset(&v[k], 0, sizeof(v[k]));
        size_t len = strcspn(s, ",");
        if (s[0] == 'i') {
            v[k].type = SQL_INTEGER;
            v[k].i = strtoll(s + 1, NULL, 10);
        } else if (s[0] == 'f') {
            v[k].type = SQL_FLOAT;
            v[k].d = strtod(s + 1, NULL);
        } else if (s[0] == 't' || s[0] == 'b') {
            v[k].type = s[0] == 't' ? SQL_TEXT : SQL_BLOB;
            unsigned char *p = arena_alloc(a, len / 2 + 1);
            size_t got = 0;
            if (sodium_hex2bin(p, len / 2 + 1, s + 1, len - 1, NULL, &got, NULL) != 0) {
                return false;
            }
            p[got] = '\0';
            v[k].p = p;
            v[k].n = (int)got;
        } else if (s[0] == 'n') {
            v[k].type = SQL_NULL;
        } else {
            return false;
        }
        s += len;
        if (k + 1 < n && *s++ != ',') {
            return false;
        }
    }
    return true;
}

/* ---- statements ------------------------------------------------------------------------------ */

static void put_name(struct buf *b, const char *name)
{
    /* SQLite's implicit rowid is found by its bare name only */
    buf_printf(b, strcmp(name, "rowid") == 0 ? "%s" : "\"%s\"", name);
}

static void put_key(struct buf *b, const struct unit *u, bool pg)
{
    for (int k = 0; k < u->nkey; k++) {
        buf_puts(b, k ? ", " : "");
        put_name(b, u->c[u->key[k]].name);
        buf_puts(b, pg && u->c[u->key[k]].text ? " COLLATE \"C\"" : "");
    }
}

/* SELECT of the unit's columns after the key ?1..?nkey (when `after`), in key order. */
static char *select_text(const struct sql_conn *c, const struct unit *u, bool after,
                         const char *extra, int limit)
{
    bool pg = sql_dialect(c) == SQL_PG;
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "SELECT ");
    for (int i = 0; i < u->n; i++) {
        buf_puts(&b, i ? ", " : "");
        put_name(&b, u->c[i].name);
    }
    buf_printf(&b, " FROM \"%s\" WHERE (%s)", u->table, u->where ? u->where : "1 = 1");
    if (extra != NULL) {
        buf_printf(&b, " AND (%s)", extra);
    }
    if (after) {
        buf_puts(&b, " AND (");
        put_key(&b, u, pg);
        buf_puts(&b, ") > (");
        for (int k = 0; k < u->nkey; k++) {
            buf_printf(&b, "%s?%d", k ? ", " : "", k + 1);
        }
        buf_puts(&b, ")");
    }
    buf_puts(&b, " ORDER BY ");
    put_key(&b, u, pg);
    buf_printf(&b, " LIMIT %d", limit);
    char *t = kt_strdup(buf_cstr(&b));
    buf_release(&b);
    return t;
}

/* Reads up to `limit` rows after `last` (NULL: from the first) into b. */
static enum kt_rc read_batch(struct sql_conn *c, const struct unit *u, const struct val *last,
                             const char *extra, int limit, struct batch *b, struct kt_err *err)
{
    char *text = select_text(c, u, last != NULL, extra, limit);
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c, text, &st);
    free(text);
    if (src != SQL_OK) {
        return sql_fail(c, src, u->name, err);
    }
    for (int k = 0; last != NULL && k < u->nkey; k++) {
        val_bind(st, k + 1, &last[k], false);
    }
    b->v = arena_alloc(&b->a, sizeof(*b->v) * (size_t)u->n * (size_t)limit);
    b->rows = 0;
    while ((src = sql_step(st)) == SQL_ROW) {
        if (b->rows == 0 && st->drv->col_count(st) != u->n) {
            src = SQL_ERROR;
            break;
        }
        for (int i = 0; i < u->n; i++) {
            val_read(st, i, &b->a, &b->v[b->rows * (size_t)u->n + (size_t)i]);
        }
        b->rows++;
    }
    enum kt_rc rc = src == SQL_DONE ? KT_OK : sql_fail(c, src, u->name, err);
    sql_finalize(st);
    return rc;
}

/* The key of row r of b. */
static void key_of(const struct unit *u, const struct batch *b, size_t r, struct val *out)
{
    for (int k = 0; k < u->nkey; k++) {
        out[k] = b->v[r * (size_t)u->n + (size_t)u->key[k]];
    }
}

static char *insert_text(const struct sql_conn *c, const struct unit *u, size_t rows)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "INSERT INTO \"%s\" (", u->table);
    for (int i = 0; i < u->n; i++) {
        buf_printf(&b, "%s\"%s\"", i ? ", " : "", u->c[i].name);
    }
    buf_puts(&b, u->overriding && sql_dialect(c) == SQL_PG ? ") OVERRIDING SYSTEM VALUE VALUES "
                                                           : ") VALUES ");
    for (size_t r = 0; r < rows; r++) {
        buf_puts(&b, r ? ", (" : "(");
        for (int i = 0; i < u->n; i++) {
            buf_printf(&b, "%s?%zu", i ? ", " : "", r * (size_t)u->n + (size_t)i + 1);
        }
        buf_puts(&b, ")");
    }
    char *t = kt_strdup(buf_cstr(&b));
    buf_release(&b);
    return t;
}

/* A BLOB for a column the target keeps as text: a value sealed under --sealed-fields, which
 * PostgreSQL does not take. */
static enum kt_rc blob_refused(const struct unit *u, int i, struct kt_err *err)
{
    kt_err_set(err, KT_EINVAL, "sealed_fields_unsupported", NULL,
               "the source seals a field PostgreSQL keeps clear (--sealed-fields): open it "
               "with --sealed-fields none first to clear them, then copy");
    kt_err_detail(err, "table %s, column %s", u->table, u->c[i].name);
    return KT_EINVAL;
}

/* Writes the rows of b, PARAMS_MAX values a statement. */
static enum kt_rc write_rows(struct sql_conn *c, const struct unit *u, const struct batch *b,
                             struct kt_err *err)
{
    size_t per = (size_t)(PARAMS_MAX / u->n);
    per = per ? per : 1;
    struct sql_stmt *full = NULL;
    enum kt_rc rc = KT_OK;
    for (size_t r0 = 0; rc == KT_OK && r0 < b->rows; r0 += per) {
        size_t rows = b->rows - r0 < per ? b->rows - r0 : per;
        struct sql_stmt *st = rows == per ? full : NULL;
        if (st == NULL) {
            char *text = insert_text(c, u, rows);
            int src = c->drv->prepare(c, text, rows == per, &st);
            free(text);
            if (src != SQL_OK) {
                rc = sql_fail(c, src, u->name, err);
                break;
            }
            full = rows == per ? st : full;
        }
        for (size_t r = 0; r < rows; r++) {
            for (int i = 0; i < u->n; i++) {
                const struct val *v = &b->v[(r0 + r) * (size_t)u->n + (size_t)i];
                int p = (int)(r * (size_t)u->n) + i + 1;
                if (u->c[i].self_ref) {
                    sql_bind_null(st, p);
                } else if (v->type == SQL_BLOB && !u->c[i].bytea && u->c[i].text) {
                    rc = blob_refused(u, i, err);
                } else {
                    val_bind(st, p, v, u->c[i].bytea);
                }
            }
        }
        rc = rc == KT_OK ? sql_run(c, st, NULL, err) : rc;
        sql_reset(st);
        if (st != full) {
            sql_finalize(st);
        }
    }
    sql_finalize(full);
    return rc;
}

/* ---- the resume points -------------------------------------------------------------------------
 */

static const char progress_table[] =
    "CREATE TABLE IF NOT EXISTS copy_progress (tbl text PRIMARY KEY, last_key text NOT NULL, rows "
    "bigint NOT NULL)";

/* The unit's resume point on the target: *started false when it has none (no table either). */
static enum kt_rc progress_get(struct sql_conn *c, const struct unit *u, struct arena *a,
                               bool *started, const char **last_key, int64_t *rows,
                               struct kt_err *err)
{
    int64_t exists = 0;
    *started = false;
    enum kt_rc rc = int_of(c,
                           sql_text(c,
                                    "SELECT count(*) FROM sqlite_master WHERE name = "
                                    "'copy_progress'",
                                    "SELECT count(*) FROM pg_tables WHERE tablename = "
                                    "'copy_progress' AND schemaname = current_schema()"),
                           NULL, &exists, err);
    if (rc != KT_OK || exists == 0) {
        return rc;
    }
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c, "SELECT last_key, rows FROM copy_progress WHERE tbl = ?1", &st);
    if (src != SQL_OK) {
        return sql_fail(c, src, "copy progress", err);
    }
    sql_bind_text(st, 1, u->name);
    src = sql_step(st);
    if (src == SQL_ROW) {
        *started = true;
        *last_key = sql_col_text(st, 0, a);
        *rows = sql_col_i64(st, 1);
    } else if (src != SQL_DONE) {
        rc = sql_fail(c, src, "copy progress", err);
    }
    sql_finalize(st);
    return rc;
}

static enum kt_rc progress_put(struct sql_conn *c, const struct unit *u, const char *last_key,
                               int64_t rows, struct kt_err *err)
{
    struct sql_stmt *st = NULL;
    int src = sql_prepare(c,
                          "INSERT INTO copy_progress (tbl, last_key, rows) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT (tbl) DO UPDATE SET last_key = excluded.last_key, rows = "
                          "excluded.rows",
                          &st);
    if (src != SQL_OK) {
        return sql_fail(c, src, "copy progress", err);
    }
    sql_bind_text(st, 1, u->name);
    sql_bind_text(st, 2, last_key);
    sql_bind_i64(st, 3, rows);
    enum kt_rc rc = sql_run(c, st, NULL, err);
    sql_finalize(st);
    return rc;
}

static enum kt_rc count_rows(struct sql_conn *c, const struct unit *u, int64_t *n,
                             struct kt_err *err)
{
    char *text = sql_printf("SELECT count(*) FROM \"%s\" WHERE (%s)", u->table,
                            u->where ? u->where : "1 = 1");
    enum kt_rc rc = int_of(c, text, NULL, n, err);
    free(text);
    return rc;
}

/* ---- copying a unit
 * ------------------------------------------------------------------------------ */

/* A seeded table's rows on the target (its migrations' and its open's), gone before the copy;
 * the append-only tables' triggers are set aside for it (the owner of the tables may). */
static enum kt_rc clear_seeded(struct sql_conn *c, const struct unit *u, struct kt_err *err)
{
    int64_t n = 0;
    enum kt_rc rc = count_rows(c, u, &n, err);
    if (rc != KT_OK || n == 0) {
        return rc;
    }
    bool pg = sql_dialect(c) == SQL_PG;
    char *off = sql_printf("ALTER TABLE \"%s\" DISABLE TRIGGER USER", u->table);
    char *del =
        sql_printf("DELETE FROM \"%s\" WHERE (%s)", u->table, u->where ? u->where : "1 = 1");
    char *on = sql_printf("ALTER TABLE \"%s\" ENABLE TRIGGER USER", u->table);
    rc = pg ? run_text(c, off, err) : KT_OK;
    rc = rc == KT_OK ? run_text(c, del, err) : rc;
    rc = rc == KT_OK && pg ? run_text(c, on, err) : rc;
    free(off);
    free(del);
    free(on);
    return rc;
}

/* After the rows: the columns that reference their own table, from the source. */
static enum kt_rc fix_self(struct copy *cp, const struct unit *u, struct kt_err *err)
{
    struct buf extra, set;
    buf_init(&extra, 0);
    buf_init(&set, 0);
    buf_printf(&set, "UPDATE \"%s\" SET ", u->table);
    int n = 0;
    for (int i = 0; i < u->n; i++) {
        if (u->c[i].self_ref) {
            buf_printf(&extra, "%s\"%s\" IS NOT NULL", n ? " OR " : "", u->c[i].name);
            buf_printf(&set, "%s\"%s\" = ?%d", n ? ", " : "", u->c[i].name, n + 1);
            n++;
        }
    }
    for (int k = 0; k < u->nkey; k++) {
        buf_printf(&set, "%s\"%s\" = ?%d", k ? " AND " : " WHERE ", u->c[u->key[k]].name,
                   n + k + 1);
    }
    enum kt_rc rc = KT_OK;
    struct val last[KEY_MAX];
    struct arena keep;
    arena_init(&keep, 0);
    for (bool more = true, first = true; rc == KT_OK && more; first = false) {
        struct batch b;
        arena_init(&b.a, 0);
        struct link src = {0}, dst = {0};
        rc = link_get(&src, cp->from, u->side, false, err);
        rc = rc == KT_OK
                 ? read_batch(src.c, u, first ? NULL : last, buf_cstr(&extra), cp->batch, &b, err)
                 : rc;
        rc = link_put(&src, rc, err);
        rc = rc == KT_OK ? link_get(&dst, cp->to, u->side, true, err) : rc;
        struct sql_stmt *st = NULL;
        if (rc == KT_OK && b.rows > 0) {
            int s = sql_prepare(dst.c, buf_cstr(&set), &st);
            rc = s == SQL_OK ? KT_OK : sql_fail(dst.c, s, u->name, err);
        }
        for (size_t r = 0; rc == KT_OK && r < b.rows; r++) {
            const struct val *row = &b.v[r * (size_t)u->n];
            int p = 1;
            for (int i = 0; i < u->n; i++) {
                if (u->c[i].self_ref) {
                    val_bind(st, p++, &row[i], u->c[i].bytea);
                }
            }
            for (int k = 0; k < u->nkey; k++) {
                val_bind(st, p++, &row[u->key[k]], u->c[u->key[k]].bytea);
            }
            rc = sql_run(dst.c, st, NULL, err);
            sql_reset(st);
        }
        sql_finalize(st);
        if (dst.c != NULL) {
            rc = link_put(&dst, rc, err);
        }
        more = rc == KT_OK && b.rows == (size_t)cp->batch;
        if (more) { /* the last key outlives the batch */
            key_of(u, &b, b.rows - 1, last);
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
    buf_release(&extra);
    buf_release(&set);
    return rc;
}

/* After the rows: every identity's sequence past the largest value copied (and customers_ck_seq,
 * where a new customer's key is taken). */
static enum kt_rc sequences(struct sql_conn *c, const struct unit *u, struct kt_err *err)
{
    if (sql_dialect(c) != SQL_PG) {
        return KT_OK;
    }
    enum kt_rc rc = KT_OK;
    for (int i = 0; rc == KT_OK && i < u->n; i++) {
        if (u->c[i].identity == 0) {
            continue;
        }
        char *text = sql_printf("SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'), "
                                "coalesce(max(\"%s\"), 0) + 1, false) FROM \"%s\"",
                                u->table, u->c[i].name, u->c[i].name, u->table);
        rc = run_text(c, text, err);
        free(text);
    }
    if (rc == KT_OK && strcmp(u->table, "customers") == 0 && u->side == SIDE_MAIN) {
        rc = run_text(c,
                      "SELECT setval('customers_ck_seq', coalesce(max(ck), 0) + 1, false) FROM "
                      "customers",
                      err);
    }
    return rc;
}

static void tell(struct copy *cp, const struct unit *u, int64_t done, int64_t total, bool verified)
{
    if (cp->o != NULL && cp->o->progress != NULL) {
        cp->o->progress(cp->o->ctx, u->name, done, total, verified);
    }
}

/* The failure's detail names the table. */
static enum kt_rc named(const struct unit *u, enum kt_rc rc, struct kt_err *err)
{
    if (err != NULL && strncmp(err->detail, "table ", 6) != 0) {
        char d[sizeof(err->detail)];
        kt_strlcpy(d, err->detail, sizeof(d));
        kt_err_detail(err, "table %s: %s", u->name, d);
    }
    return rc;
}

static enum kt_rc copy_unit(struct copy *cp, struct unit *u, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct link l;
    bool started = false;
    const char *last_key = NULL;
    int64_t done = 0, total = 0;
    enum kt_rc rc = link_get(&l, cp->to, u->side, false, err);
    rc = rc == KT_OK ? progress_get(l.c, u, &a, &started, &last_key, &done, err) : rc;
    rc = link_put(&l, rc, err);
    if (rc != KT_OK || (started && strcmp(last_key, DONE) == 0)) {
        arena_release(&a);
        return rc;
    }
    rc = link_get(&l, cp->from, u->side, false, err);
    rc = rc == KT_OK ? count_rows(l.c, u, &total, err) : rc;
    rc = link_put(&l, rc, err);
    struct val last[KEY_MAX];
    bool have_last = started;
    if (rc == KT_OK && started && !key_decode(last_key, &a, last, u->nkey)) {
        rc = kt_err_set(err, KT_ESTORE, "copy_progress_corrupt", NULL,
                        "the copy's resume point cannot be read: drop the target and copy again");
        kt_err_detail(err, "table %s", u->name);
    }
    if (rc == KT_OK && !started && strcmp(u->name, "keys.ks_meta") == 0) {
        /* the key store's id changes: the target's main database forgets the old one first */
        rc = link_get(&l, cp->to, SIDE_MAIN, true, err);
        rc = rc == KT_OK ? run_text(l.c, "DELETE FROM meta WHERE key = 'keystore_id'", err) : rc;
        rc = link_put(&l, rc, err);
    }
    for (bool first = !started, more = true; rc == KT_OK && more; first = false) {
        struct batch b;
        arena_init(&b.a, 0);
        rc = link_get(&l, cp->from, u->side, false, err);
        rc = rc == KT_OK ? read_batch(l.c, u, have_last ? last : NULL, NULL, cp->batch, &b, err)
                         : rc;
        rc = link_put(&l, rc, err);
        if (rc == KT_OK && (b.rows > 0 || first)) {
            struct buf key;
            buf_init(&key, 0);
            if (b.rows > 0) {
                struct val k[KEY_MAX];
                key_of(u, &b, b.rows - 1, k);
                key_encode(k, u->nkey, &key);
            } else {
                buf_puts(&key, last_key ? last_key : "");
            }
            rc = link_get(&l, cp->to, u->side, true, err);
            rc = rc == KT_OK && first && u->seeded ? clear_seeded(l.c, u, err) : rc;
            rc = rc == KT_OK ? write_rows(l.c, u, &b, err) : rc;
            bool last_batch = b.rows < (size_t)cp->batch;
            if (rc == KT_OK && last_batch && u->has_self) {
                rc = progress_put(l.c, u, buf_cstr(&key), done + (int64_t)b.rows, err);
                rc = link_put(&l, rc, err);
                rc = rc == KT_OK ? fix_self(cp, u, err) : rc;
                rc = rc == KT_OK ? link_get(&l, cp->to, u->side, true, err) : rc;
            }
            if (rc == KT_OK && last_batch) {
                rc = sequences(l.c, u, err);
            }
            rc = rc == KT_OK ? progress_put(l.c, u, last_batch ? DONE : buf_cstr(&key),
                                            done + (int64_t)b.rows, err)
                             : rc;
            rc = link_put(&l, rc, err);
            buf_release(&key);
            if (rc == KT_OK) {
                done += (int64_t)b.rows;
                tell(cp, u, done, total > done ? total : done, false);
            }
        }
        more = rc == KT_OK && b.rows == (size_t)cp->batch;
        if (more) {
            key_of(u, &b, b.rows - 1, last);
            for (int k = 0; k < u->nkey; k++) { /* outlives the batch */
                unsigned char *p = arena_alloc(&a, (size_t)last[k].n + 1);
                memcpy(p, last[k].p ? last[k].p : (const unsigned char *)"", (size_t)last[k].n);
                p[last[k].n] = '\0';
                last[k].p = p;
            }
            have_last = true;
        } else if (rc == KT_OK && b.rows == 0 && !first) {
            /* the last batch was full and nothing followed: close the unit */
            rc = link_get(&l, cp->to, u->side, true, err);
            rc = rc == KT_OK && u->has_self ? link_put(&l, rc, err) : rc;
            rc = rc == KT_OK && u->has_self ? fix_self(cp, u, err) : rc;
            rc = rc == KT_OK && u->has_self ? link_get(&l, cp->to, u->side, true, err) : rc;
            rc = rc == KT_OK ? sequences(l.c, u, err) : rc;
            rc = rc == KT_OK ? progress_put(l.c, u, DONE, done, err) : rc;
            rc = link_put(&l, rc, err);
        }
        arena_release(&b.a);
    }
    arena_release(&a);
    return rc == KT_OK ? rc : named(u, rc, err);
}

/* ---- verifying
 * ----------------------------------------------------------------------------------- */

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
        rc = link_get(&l, s, u->side, false, err);
        rc = rc == KT_OK ? read_batch(l.c, u, first ? NULL : last, NULL, chunk, &b, err) : rc;
        rc = link_put(&l, rc, err);
        for (size_t r = 0; rc == KT_OK && r < b.rows; r++) {
            for (int i = 0; i < u->n; i++) {
                val_hash(&h, &b.v[r * (size_t)u->n + (size_t)i]);
            }
        }
        *rows += (int64_t)b.rows;
        more = rc == KT_OK && b.rows == (size_t)chunk;
        if (more) {
            arena_release(&keep); /* the previous key: read_batch is done with it */
            arena_init(&keep, 0);
            key_of(u, &b, b.rows - 1, last);
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

static enum kt_rc verify(struct copy *cp, const struct unit *u, struct kt_err *err)
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
        tell(cp, u, nb, na, true);
    }
    return rc;
}

/* ---- the copy ----------------------------------------------------------------------------------
 */

/* Before anything is written: each unit's columns, and no rows where the copy has not begun. */
static enum kt_rc prepare(struct copy *cp, struct kt_err *err)
{
    struct link src;
    enum kt_rc rc = link_get(&src, cp->from, SIDE_MAIN, false, err);
    rc = rc == KT_OK ? units(cp, src.c, err) : rc;
    rc = link_put(&src, rc, err);
    for (size_t i = 0; rc == KT_OK && i < cp->nu; i++) {
        struct unit *u = &cp->u[i];
        struct link dst = {0};
        struct arena a;
        arena_init(&a, 0);
        bool started = false;
        const char *last = NULL;
        int64_t rows = 0, n = 0;
        rc = link_get(&src, cp->from, u->side, false, err);
        rc = rc == KT_OK ? link_get(&dst, cp->to, u->side, false, err) : rc;
        rc = rc == KT_OK ? shape(u, src.c, dst.c, err) : rc;
        rc = rc == KT_OK ? progress_get(dst.c, u, &a, &started, &last, &rows, err) : rc;
        rc = rc == KT_OK && !started && !u->seeded ? count_rows(dst.c, u, &n, err) : rc;
        if (rc == KT_OK && n > 0) {
            rc = kt_err_set(err, KT_EINVAL, "target_not_empty", NULL,
                            "the target database holds data already: copy into a fresh one");
            kt_err_detail(err, "table %s has %lld rows", u->name, (long long)n);
        }
        if (dst.c != NULL) {
            link_put(&dst, KT_OK, NULL);
        }
        rc = link_put(&src, rc, err);
        arena_release(&a);
    }
    return rc;
}

static enum kt_rc on_sides(struct store *s, const char *text, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    for (enum side side = SIDE_MAIN; rc == KT_OK && side <= SIDE_READS; side++) {
        struct link l;
        rc = link_get(&l, s, side, true, err);
        rc = rc == KT_OK ? run_text(l.c, text, err) : rc;
        rc = link_put(&l, rc, err);
    }
    return rc;
}

static enum kt_rc versions(struct store *from, struct store *to, struct kt_err *err)
{
    int have = 0, want = 0, thave = 0, twant = 0;
    enum kt_rc rc = store_schema_version(from, &have, &want, err);
    rc = rc == KT_OK ? store_schema_version(to, &thave, &twant, err) : rc;
    if (rc == KT_OK && have != want) {
        return kt_err_set(err, KT_EINVAL, "schema_behind", NULL,
                          "the source's schema is at version %d, this binary's at %d: run "
                          "'kartoteka migrate' on it first",
                          have, want);
    }
    if (rc == KT_OK && thave != have) {
        return kt_err_set(err, KT_EINVAL, "schema_differs", NULL,
                          "the target's schema is at version %d, the source's at %d", thave, have);
    }
    return rc;
}

enum kt_rc store_copy(struct store *from, struct store *to, const struct store_copy_opts *o,
                      struct kt_err *err)
{
    struct link a, b;
    enum kt_rc rc = link_get(&a, from, SIDE_MAIN, false, err);
    rc = rc == KT_OK ? link_get(&b, to, SIDE_MAIN, false, err) : rc;
    bool ok = rc == KT_OK && sql_dialect(a.c) == SQL_SQLITE && sql_dialect(b.c) == SQL_PG;
    if (rc == KT_OK) {
        link_put(&b, KT_OK, NULL);
    }
    rc = link_put(&a, rc, err);
    if (rc == KT_OK && !ok) {
        return kt_err_set(err, KT_EINVAL, "copy_unsupported", NULL,
                          "a copy goes from an SQLite database into a PostgreSQL one");
    }
    struct copy cp = {from, to, o, o && o->batch > 0 ? o->batch : 10000, NULL, 0};
    rc = rc == KT_OK ? versions(from, to, err) : rc;
    rc = rc == KT_OK ? prepare(&cp, err) : rc;
    rc = rc == KT_OK ? on_sides(to, progress_table, err) : rc;
    for (size_t i = 0; rc == KT_OK && i < cp.nu; i++) {
        rc = copy_unit(&cp, &cp.u[i], err);
    }
    for (size_t i = 0; rc == KT_OK && i < cp.nu; i++) {
        rc = verify(&cp, &cp.u[i], err);
    }
    rc = rc == KT_OK ? on_sides(to, "DROP TABLE IF EXISTS copy_progress", err) : rc;
    free(cp.u);
    return rc;
}
