/*
 * helpers.h - shared by the cmocka unit tests: a fresh temporary directory and store per test.
 * Header-only so each test program stays one file plus the library.
 */
#ifndef KT_TESTS_HELPERS_H
#define KT_TESTS_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <sqlite3.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "crypt/crypt.h"
#include "deliver/template_store.h"
#include "store/store.h"

/* The keyring of every test store: fixed keys, so a test that reopens a store opens its data;
 * the environment gets them too, for the command-line verbs a test runs on the same database. */
static inline struct crypt *test_keyring(void)
{
    static const unsigned char master[32] = {'t', 'e', 's', 't', 'm'};
    static const unsigned char secret[32] = {'t', 'e', 's', 't', 's'};
    char hex[65];
    sodium_bin2hex(hex, sizeof(hex), master, sizeof(master));
    setenv("KARTOTEKA_MASTER_KEY", hex, 1);
    sodium_bin2hex(hex, sizeof(hex), secret, sizeof(secret));
    setenv("KARTOTEKA_SECRET", hex, 1);
    struct crypt_opts o = {master, secret, 4096};
    return crypt_new(&o);
}

struct tmp_store {
    char dir[64];
    char path[512]; /* the SQLite file, or the PostgreSQL database's URL */
    char pgdb[40];  /* the PostgreSQL database's name, "" on SQLite */
    struct store *s;
};

/* The store tests run on PostgreSQL when KT_TEST_PG names the socket folder of a running cluster
 * (tests/pg/with-pg, which ctest's *_pg entries run them under); each store is then a database
 * of its own, made for the test and dropped after. */
static inline const char *test_pg(void)
{
    const char *d = getenv("KT_TEST_PG");
    return d != NULL && d[0] != '\0' ? d : NULL;
}

/* A test that reads or edits SQLite's file itself is SQLite's alone. */
#define SQLITE_ONLY()                                                                              \
    do {                                                                                           \
        if (test_pg() != NULL) {                                                                   \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* Runs `sql` on the cluster's database `db` (administration: CREATE and DROP DATABASE). */
static inline void test_pg_admin(const char *db, const char *sql)
{
    char url[512];
    kt_snprintf(url, sizeof(url), "postgresql:///%s?host=%s&user=kartoteka", db, test_pg());
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    }
    PQclear(r);
    PQfinish(c);
}

static inline void tmp_store_open(struct tmp_store *t)
{
    assert_true(sodium_init() >= 0);
    log_set_level(LOG_WARN);
    kt_strlcpy(t->dir, "/tmp/kt-test-XXXXXX", sizeof(t->dir));
    assert_non_null(mkdtemp(t->dir));
    kt_snprintf(t->path, sizeof(t->path), "%s/k.db", t->dir);
    t->pgdb[0] = '\0';
    if (test_pg() != NULL) {
        char sql[96];
        id_new(t->pgdb, sizeof(t->pgdb), "t");
        for (char *p = t->pgdb; *p; p++) {
            *p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        }
        kt_snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->pgdb);
        test_pg_admin("postgres", sql);
        kt_snprintf(t->path, sizeof(t->path), "postgresql:///%s?host=%s&user=kartoteka", t->pgdb,
                    test_pg());
    }
    struct store_opts o = {t->path, 200, 8, STORE_MIGRATE, 0, test_keyring(), -1, false, NULL};
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_open(&o, &t->s, &err), KT_OK);
}

static inline void tmp_store_close(struct tmp_store *t)
{
    store_close(t->s);
    t->s = NULL;
    if (t->pgdb[0] != '\0') {
        char sql[128];
        kt_snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->pgdb);
        test_pg_admin("postgres", sql);
        kt_snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s_keys WITH (FORCE)", t->pgdb);
        test_pg_admin("postgres", sql);
    }
    char cmd[160];
    kt_snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

/* The usual fixture: a fresh store in T and an arena in A for each test. */
static struct tmp_store T __attribute__((unused));
static struct arena A __attribute__((unused));

static inline int store_setup(void **state)
{
    (void)state;
    tmp_store_open(&T);
    arena_init(&A, 0);
    return 0;
}

static inline int store_teardown(void **state)
{
    (void)state;
    arena_release(&A);
    tmp_store_close(&T);
    return 0;
}

/* Transactions on T that a test expects to work. */
static inline struct store_conn *wbegin(void)
{
    struct store_conn *w;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    return w;
}

static inline void wcommit(struct store_conn *w)
{
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
}

static inline struct store_conn *rbegin(void)
{
    struct store_conn *r;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    return r;
}

/* The one integer an SQL query gives, read straight from T's database file beside the store
 * (a count of rows the store's interface does not tell). */
static inline int64_t test_count(const char *sql)
{
    if (T.pgdb[0] != '\0') {
        PGconn *c = PQconnectdb(T.path);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
            fail_msg("%s: %s", sql, PQresultErrorMessage(r));
        }
        int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return n;
    }
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(T.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Runs `sql` on T's database, outside the store (a test's own edit of a row). */
static inline void test_exec(const char *sql)
{
    if (T.pgdb[0] != '\0') {
        PGconn *c = PQconnectdb(T.path);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
            fail_msg("%s: %s", sql, PQresultErrorMessage(r));
        }
        PQclear(r);
        PQfinish(c);
        return;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(T.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* A bare customer (an id, no profile) in the write transaction `w`; its ck. */
static inline int64_t test_customer(struct store_conn *w)
{
    struct customer c;
    memset(&c, 0, sizeof(c));
    id_new(c.id, sizeof(c.id), "c_");
    c.created_at = c.updated_at = 1000;
    assert_int_equal(store_customer_insert(w, &c, NULL), KT_OK);
    return c.ck;
}

/* An e-mail template `name` saved (a new version) in the write transaction `w`. */
static inline void test_template(struct store_conn *w, const char *name, const char *subject,
                                 const char *text)
{
    json_t *body =
        json_pack("{s:s, s:s, s:s}", "channel", "email", "subject", subject, "text", text);
    struct msg_tpl t;
    struct template_pos pos;
    bool added;
    assert_int_equal(msg_tpl_decode(name, body, &A, &t, &pos, NULL), KT_OK);
    assert_int_equal(msg_tpl_save(w, &t.row, &A, &added, NULL), KT_OK);
    msg_tpl_release(&t);
    json_decref(body);
}

#endif
