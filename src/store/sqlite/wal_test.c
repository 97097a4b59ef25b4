/*
 * wal_test.c - a long read never holds the writer (issue 11): the checkpointer lets the WAL grow
 * while a long read lives and starts it over once the read ends, and analytic reads yield to a
 * pending restart so the WAL stays bounded under a back-to-back loop of them.
 */
#include "helpers.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

#include "base/clock.h"

#define VALUE_BYTES (256 * 1024) /* one write: 64 WAL frames; 64 writes pass the restart mark */

static char value[VALUE_BYTES + 1];

struct holder {
    struct store *s;
    bool analytics;
    _Atomic int64_t release_ns; /* monotonic; the read ends once this is set and passed */
    atomic_bool began;
    _Atomic int64_t ended_ns;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t write_one(struct store *s, int i);

/* A long read: a snapshot taken (one query) and held until release_ns. A write comes just before,
 * so the snapshot is one of the WAL's (as under a till's load), not of the database file alone - a
 * reader of the file alone holds up no restart. */
static void *hold_read(void *arg)
{
    struct holder *h = arg;
    write_one(h->s, 1000);
    struct store_conn *rd;
    struct arena a;
    arena_init(&a, 0);
    enum kt_rc rc = h->analytics ? store_read_begin_analytics(h->s, &rd, NULL)
                                 : store_read_begin(h->s, &rd, NULL);
    assert_int_equal(rc, KT_OK);
    const char *v;
    store_meta_get(rd, "k", &a, &v, NULL, NULL); /* the snapshot begins with the first read */
    atomic_store(&h->began, true);
    int64_t until;
    while ((until = atomic_load(&h->release_ns)) == 0 || clock_mono_ns() < until) {
        sleep_ms(1);
    }
    store_read_end(rd);
    atomic_store(&h->ended_ns, clock_mono_ns());
    arena_release(&a);
    return NULL;
}

static struct store *open_store(struct tmp_store *t)
{
    assert_true(sodium_init() >= 0);
    log_set_level(LOG_WARN);
    kt_strlcpy(t->dir, "/tmp/kt-test-XXXXXX", sizeof(t->dir));
    assert_non_null(mkdtemp(t->dir));
    kt_snprintf(t->path, sizeof(t->path), "%s/k.db", t->dir);
    t->pgdb[0] = '\0'; /* SQLite's own test (tmp_store_close drops no PostgreSQL database) */
    /* the server's busy timeout */
    struct store_opts o = {t->path, 5000, 8, STORE_MIGRATE, 0, test_keyring(), -1, false, NULL};
    assert_int_equal(store_open(&o, &t->s, NULL), KT_OK);
    return t->s;
}

/* One write of VALUE_BYTES; returns how long it took from asking for the writer to the commit. */
static int64_t write_one(struct store *s, int i)
{
    int64_t t0 = clock_mono_ns();
    struct store_conn *w;
    assert_int_equal(store_write_begin(s, &w, NULL), KT_OK);
    char key[16];
    kt_snprintf(key, sizeof(key), "k%d", i % 8);
    memset(value, 'a' + i % 26, VALUE_BYTES); /* every page differs from the key's last value */
    assert_int_equal(store_meta_put(w, key, value, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    return clock_mono_ns() - t0;
}

/* Frames in the WAL now, read by a connection of the test's own (a PASSIVE round). */
static int wal_frames(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL); /* WAL mode seen */
    int log = -1, done = -1;
    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    sqlite3_close(db);
    return log;
}

static void a_long_read_never_holds_the_writer(void **state)
{
    (void)state;
    struct tmp_store t;
    struct store *s = open_store(&t);
    struct holder h = {s, false, 0, false, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, hold_read, &h), 0);
    while (!atomic_load(&h.began)) {
        sleep_ms(1);
    }
    /* Writes while the read lives: far past the restart mark (16 MiB of WAL). */
    int64_t worst = 0, t0 = clock_mono_ns();
    int i = 0;
    for (; i < 100 || clock_mono_ns() - t0 < 1000 * 1000000LL; i++) {
        int64_t ns = write_one(s, i);
        worst = ns > worst ? ns : worst;
        sleep_ms(1); /* requests come with gaps; the checkpointer takes the writer in one */
    }
    print_message("writes beside the read: %d, the slowest %.1f ms\n", i, (double)worst / 1e6);
    assert_true(worst < 250 * 1000000LL);   /* it was the reader's whole remaining time */
    assert_true(wal_frames(t.path) > 4096); /* the WAL grew while the read lived */
    atomic_store(&h.release_ns, clock_mono_ns());
    pthread_join(th, NULL);
    /* Once the read is over, the WAL starts over (the checkpointer is woken at its end). */
    int frames = 0;
    for (int k = 0; k < 200; k++, i++) {
        sleep_ms(10);
        write_one(s, i);
        if ((frames = wal_frames(t.path)) < 4096) {
            break;
        }
    }
    assert_true(frames < 4096);
    tmp_store_close(&t);
}

static void analytic_reads_yield_to_a_pending_restart(void **state)
{
    (void)state;
    struct tmp_store t;
    struct store *s = open_store(&t);
    struct holder h = {s, true, 0, false, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, hold_read, &h), 0);
    while (!atomic_load(&h.began)) {
        sleep_ms(1);
    }
    for (int i = 0; i < 80; i++) {
        write_one(s, i);
    }
    sleep_ms(300); /* a checkpointer round sees the WAL past the mark and the read in the way */
    /* A till's read is never held back... */
    int64_t t0 = clock_mono_ns();
    struct store_conn *rd;
    assert_int_equal(store_read_begin(s, &rd, NULL), KT_OK);
    store_read_end(rd);
    assert_true(clock_mono_ns() - t0 < 250 * 1000000LL);
    /* ...an analytic one waits for the first to end and the WAL to start over. */
    atomic_store(&h.release_ns, clock_mono_ns() + 200 * 1000000LL);
    assert_int_equal(store_read_begin_analytics(s, &rd, NULL), KT_OK);
    int64_t got = clock_mono_ns();
    int64_t ended = atomic_load(&h.ended_ns);
    assert_true(ended != 0 && ended <= got);
    assert_true(got - t0 < 5000 * 1000000LL);
    store_read_end(rd);
    write_one(s, 0); /* after a RESTART, the next write starts the WAL from its beginning */
    assert_true(wal_frames(t.path) < 4096);
    pthread_join(th, NULL);
    tmp_store_close(&t);
}

/* Bytes of the WAL file now. */
static long wal_bytes(const char *path)
{
    char wal[160];
    kt_snprintf(wal, sizeof(wal), "%s-wal", path);
    struct stat st;
    return stat(wal, &st) == 0 ? (long)st.st_size : -1;
}

struct writer_probe {
    struct store *s;
    atomic_bool stop;
    _Atomic int64_t worst_ns;
};

static void *probe_writes(void *arg)
{
    struct writer_probe *p = arg;
    for (int i = 0; !atomic_load(&p->stop); i++) {
        int64_t ns = write_one(p->s, 2000 + i);
        if (ns > atomic_load(&p->worst_ns)) {
            atomic_store(&p->worst_ns, ns);
        }
        sleep_ms(1);
    }
    return NULL;
}

/* An erasure's wipe of the WAL meets a long read: it neither holds the tills nor is forgotten. */
static void an_erasure_wipe_waits_for_a_long_read_without_the_writer(void **state)
{
    (void)state;
    struct tmp_store t;
    struct store *s = open_store(&t);
    struct holder h = {s, true, 0, false, 0};
    pthread_t th, pw;
    assert_int_equal(pthread_create(&th, NULL, hold_read, &h), 0);
    while (!atomic_load(&h.began)) {
        sleep_ms(1);
    }
    for (int i = 0; i < 10; i++) {
        write_one(s, i);
    }
    struct writer_probe p = {s, false, 0};
    assert_int_equal(pthread_create(&pw, NULL, probe_writes, &p), 0);
    int64_t t0 = clock_mono_ns();
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_wipe_wal(s, &err), KT_EBUSY); /* deferred: a long read holds the WAL */
    int64_t took = clock_mono_ns() - t0;
    sleep_ms(200);
    atomic_store(&p.stop, true);
    pthread_join(pw, NULL);
    print_message("the wipe answered in %.1f ms; the slowest write beside it %.1f ms\n",
                  (double)took / 1e6, (double)atomic_load(&p.worst_ns) / 1e6);
    /* The old wipe held the writer 200 ms per try, so a write that arrived as a try began waited
     * nearly all of it; 190 ms keeps that failing and leaves a loaded test machine (ASan, other
     * builds on two cores) room for its scheduling delays, which reached 100 ms. */
    assert_true(atomic_load(&p.worst_ns) < 190 * 1000000LL);
    assert_true(wal_bytes(t.path) > 0);
    atomic_store(&h.release_ns, clock_mono_ns());
    pthread_join(th, NULL);
    /* Once the read is over, the checkpointer cuts the WAL to nothing. */
    long bytes = -1;
    for (int k = 0; k < 300 && (bytes = wal_bytes(t.path)) != 0; k++) {
        sleep_ms(10);
    }
    assert_int_equal(bytes, 0);
    tmp_store_close(&t);
}

int main(void)
{
    if (test_pg() != NULL) { /* SQLite's own files; docs/scale.md lists the twins owed */
        printf("SQLite's own test: skipped on PostgreSQL\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_long_read_never_holds_the_writer),
        cmocka_unit_test(analytic_reads_yield_to_a_pending_restart),
        cmocka_unit_test(an_erasure_wipe_waits_for_a_long_read_without_the_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
