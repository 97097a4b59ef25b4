/*
 * copy.c - store_copy (kartoteka store copy, store.h): an SQLite installation copied whole into a
 * fresh PostgreSQL database (docs/scale.md). This file drives it: the units and their columns,
 * the checks before anything is written, each unit's copy with its resume point. Reading and
 * writing rows (connections, values, statements, batches) is copy_rows.c's, the checksums at the
 * end copy_verify.c's; copy_int.h holds what they share, a unit and its key among it.
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
 *     caps' version, its settings, its key store's id, the events' merge mark): those tables
 *     are "seeded" and emptied before they are copied (their triggers refuse a delete: disabled
 *     for it, as the tables' owner may). Any other table with rows that the copy has not
 *     started is refused.
 *   - The key store's id is in both databases (ks_meta.id, meta.keystore_id), which an open checks
 *     against each other: the target's meta.keystore_id is deleted before the key store is
 *     copied, so a target stopped between the two opens (and the open writes the id back).
 *   - At the end each unit is counted and hashed on both sides, by C through each driver: SHA-256
 *     over each row's values in key order (text keys compared as bytes on PostgreSQL, COLLATE
 *     "C", as SQLite's BINARY), text and blob both as bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/mem.h"
#include "store/sql/copy_int.h"

#define DONE "done"

/* ---- the tables and their columns ------------------------------------------------------------ */

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

static const char *const seeded[] = {"meta", "audit_anchor", "message_caps_version",
                                     "event_levels"};

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

/* ---- the resume points ----------------------------------------------------------------------- */

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
    enum kt_rc rc = sql_copy_int_of(c,
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
    enum kt_rc rc = sql_copy_int_of(c, text, NULL, n, err);
    free(text);
    return rc;
}

/* ---- copying a unit -------------------------------------------------------------------------- */

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
    rc = pg ? sql_copy_run_text(c, off, err) : KT_OK;
    rc = rc == KT_OK ? sql_copy_run_text(c, del, err) : rc;
    rc = rc == KT_OK && pg ? sql_copy_run_text(c, on, err) : rc;
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
        rc = sql_copy_link_get(&src, cp->from, u->side, false, err);
        rc = rc == KT_OK ? sql_copy_read_batch(src.c, u, first ? NULL : last, buf_cstr(&extra),
                                               cp->batch, &b, err)
                         : rc;
        rc = sql_copy_link_put(&src, rc, err);
        rc = rc == KT_OK ? sql_copy_link_get(&dst, cp->to, u->side, true, err) : rc;
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
                    sql_copy_val_bind(st, p++, &row[i], u->c[i].bytea);
                }
            }
            for (int k = 0; k < u->nkey; k++) {
                sql_copy_val_bind(st, p++, &row[u->key[k]], u->c[u->key[k]].bytea);
            }
            rc = sql_run(dst.c, st, NULL, err);
            sql_reset(st);
        }
        sql_finalize(st);
        if (dst.c != NULL) {
            rc = sql_copy_link_put(&dst, rc, err);
        }
        more = rc == KT_OK && b.rows == (size_t)cp->batch;
        if (more) { /* the last key outlives the batch */
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
        rc = sql_copy_run_text(c, text, err);
        free(text);
    }
    if (rc == KT_OK && strcmp(u->table, "customers") == 0 && u->side == SIDE_MAIN) {
        rc = sql_copy_run_text(
            c,
            "SELECT setval('customers_ck_seq', coalesce(max(ck), 0) + 1, false) FROM "
            "customers",
            err);
    }
    return rc;
}

void sql_copy_tell(struct copy *cp, const struct unit *u, int64_t done, int64_t total,
                   bool verified)
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
    enum kt_rc rc = sql_copy_link_get(&l, cp->to, u->side, false, err);
    rc = rc == KT_OK ? progress_get(l.c, u, &a, &started, &last_key, &done, err) : rc;
    rc = sql_copy_link_put(&l, rc, err);
    if (rc != KT_OK || (started && strcmp(last_key, DONE) == 0)) {
        arena_release(&a);
        return rc;
    }
    rc = sql_copy_link_get(&l, cp->from, u->side, false, err);
    rc = rc == KT_OK ? count_rows(l.c, u, &total, err) : rc;
    rc = sql_copy_link_put(&l, rc, err);
    struct val last[KEY_MAX];
    bool have_last = started;
    if (rc == KT_OK && started && !sql_copy_key_decode(last_key, &a, last, u->nkey)) {
        rc = kt_err_set(err, KT_ESTORE, "copy_progress_corrupt", NULL,
                        "the copy's resume point cannot be read: drop the target and copy again");
        kt_err_detail(err, "table %s", u->name);
    }
    if (rc == KT_OK && !started && strcmp(u->name, "keys.ks_meta") == 0) {
        /* the key store's id changes: the target's main database forgets the old one first */
        rc = sql_copy_link_get(&l, cp->to, SIDE_MAIN, true, err);
        rc = rc == KT_OK ? sql_copy_run_text(l.c, "DELETE FROM meta WHERE key = 'keystore_id'", err)
                         : rc;
        rc = sql_copy_link_put(&l, rc, err);
    }
    for (bool first = !started, more = true; rc == KT_OK && more; first = false) {
        struct batch b;
        arena_init(&b.a, 0);
        rc = sql_copy_link_get(&l, cp->from, u->side, false, err);
        rc = rc == KT_OK
                 ? sql_copy_read_batch(l.c, u, have_last ? last : NULL, NULL, cp->batch, &b, err)
                 : rc;
        rc = sql_copy_link_put(&l, rc, err);
        if (rc == KT_OK && (b.rows > 0 || first)) {
            struct buf key;
            buf_init(&key, 0);
            if (b.rows > 0) {
                struct val k[KEY_MAX];
                sql_copy_key_of(u, &b, b.rows - 1, k);
                sql_copy_key_encode(k, u->nkey, &key);
            } else {
                buf_puts(&key, last_key ? last_key : "");
            }
            rc = sql_copy_link_get(&l, cp->to, u->side, true, err);
            rc = rc == KT_OK && first && u->seeded ? clear_seeded(l.c, u, err) : rc;
            rc = rc == KT_OK ? sql_copy_write_rows(l.c, u, &b, err) : rc;
            bool last_batch = b.rows < (size_t)cp->batch;
            if (rc == KT_OK && last_batch && u->has_self) {
                rc = progress_put(l.c, u, buf_cstr(&key), done + (int64_t)b.rows, err);
                rc = sql_copy_link_put(&l, rc, err);
                rc = rc == KT_OK ? fix_self(cp, u, err) : rc;
                rc = rc == KT_OK ? sql_copy_link_get(&l, cp->to, u->side, true, err) : rc;
            }
            if (rc == KT_OK && last_batch) {
                rc = sequences(l.c, u, err);
            }
            rc = rc == KT_OK ? progress_put(l.c, u, last_batch ? DONE : buf_cstr(&key),
                                            done + (int64_t)b.rows, err)
                             : rc;
            rc = sql_copy_link_put(&l, rc, err);
            buf_release(&key);
            if (rc == KT_OK) {
                done += (int64_t)b.rows;
                sql_copy_tell(cp, u, done, total > done ? total : done, false);
            }
        }
        more = rc == KT_OK && b.rows == (size_t)cp->batch;
        if (more) {
            sql_copy_key_of(u, &b, b.rows - 1, last);
            for (int k = 0; k < u->nkey; k++) { /* outlives the batch */
                unsigned char *p = arena_alloc(&a, (size_t)last[k].n + 1);
                memcpy(p, last[k].p ? last[k].p : (const unsigned char *)"", (size_t)last[k].n);
                p[last[k].n] = '\0';
                last[k].p = p;
            }
            have_last = true;
        } else if (rc == KT_OK && b.rows == 0 && !first) {
            /* the last batch was full and nothing followed: close the unit */
            rc = sql_copy_link_get(&l, cp->to, u->side, true, err);
            rc = rc == KT_OK && u->has_self ? sql_copy_link_put(&l, rc, err) : rc;
            rc = rc == KT_OK && u->has_self ? fix_self(cp, u, err) : rc;
            rc =
                rc == KT_OK && u->has_self ? sql_copy_link_get(&l, cp->to, u->side, true, err) : rc;
            rc = rc == KT_OK ? sequences(l.c, u, err) : rc;
            rc = rc == KT_OK ? progress_put(l.c, u, DONE, done, err) : rc;
            rc = sql_copy_link_put(&l, rc, err);
        }
        arena_release(&b.a);
    }
    arena_release(&a);
    return rc == KT_OK ? rc : named(u, rc, err);
}

/* ---- the copy -------------------------------------------------------------------------------- */

/* Before anything is written: each unit's columns, and no rows where the copy has not begun. */
static enum kt_rc prepare(struct copy *cp, struct kt_err *err)
{
    struct link src;
    enum kt_rc rc = sql_copy_link_get(&src, cp->from, SIDE_MAIN, false, err);
    rc = rc == KT_OK ? units(cp, src.c, err) : rc;
    rc = sql_copy_link_put(&src, rc, err);
    for (size_t i = 0; rc == KT_OK && i < cp->nu; i++) {
        struct unit *u = &cp->u[i];
        struct link dst = {0};
        struct arena a;
        arena_init(&a, 0);
        bool started = false;
        const char *last = NULL;
        int64_t rows = 0, n = 0;
        rc = sql_copy_link_get(&src, cp->from, u->side, false, err);
        rc = rc == KT_OK ? sql_copy_link_get(&dst, cp->to, u->side, false, err) : rc;
        rc = rc == KT_OK ? shape(u, src.c, dst.c, err) : rc;
        rc = rc == KT_OK ? progress_get(dst.c, u, &a, &started, &last, &rows, err) : rc;
        rc = rc == KT_OK && !started && !u->seeded ? count_rows(dst.c, u, &n, err) : rc;
        if (rc == KT_OK && n > 0) {
            rc = kt_err_set(err, KT_EINVAL, "target_not_empty", NULL,
                            "the target database holds data already: copy into a fresh one");
            kt_err_detail(err, "table %s has %lld rows", u->name, (long long)n);
        }
        if (dst.c != NULL) {
            sql_copy_link_put(&dst, KT_OK, NULL);
        }
        rc = sql_copy_link_put(&src, rc, err);
        arena_release(&a);
    }
    return rc;
}

static enum kt_rc on_sides(struct store *s, const char *text, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    for (enum side side = SIDE_MAIN; rc == KT_OK && side <= SIDE_READS; side++) {
        struct link l;
        rc = sql_copy_link_get(&l, s, side, true, err);
        rc = rc == KT_OK ? sql_copy_run_text(l.c, text, err) : rc;
        rc = sql_copy_link_put(&l, rc, err);
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
    enum kt_rc rc = sql_copy_link_get(&a, from, SIDE_MAIN, false, err);
    rc = rc == KT_OK ? sql_copy_link_get(&b, to, SIDE_MAIN, false, err) : rc;
    bool ok = rc == KT_OK && sql_dialect(a.c) == SQL_SQLITE && sql_dialect(b.c) == SQL_PG;
    if (rc == KT_OK) {
        sql_copy_link_put(&b, KT_OK, NULL);
    }
    rc = sql_copy_link_put(&a, rc, err);
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
        rc = sql_copy_verify(&cp, &cp.u[i], err);
    }
    rc = rc == KT_OK ? on_sides(to, "DROP TABLE IF EXISTS copy_progress", err) : rc;
    free(cp.u);
    return rc;
}
