/*
 * quality_test.c - the intake tally (who brings what, counted per source and day, flushed to the
 * store at most every two seconds or when a report forces it) and the quality report over a small
 * base, on a real SQLite store.
 */
#include "helpers.h"

#include "auth/keys.h"
#include "identity/identity.h"
#include "quality/quality.h"

#define NOW 1795000000000LL /* 2026-11-18T11:06:40Z */

/* A customer document decoded as the API decodes it, then written. */
static struct upsert_req decoded(const char *doc_text)
{
    json_error_t je;
    json_t *doc = json_loads(doc_text, 0, &je);
    assert_non_null(doc);
    struct upsert_req req;
    struct kt_err err;
    kt_err_reset(&err);
    struct ident_decode_opts o = {false, false, SCOPE_ADMIN, NULL};
    if (ident_decode(doc, &o, NULL, 0, NOW, &A, &req, &err) != KT_OK) {
        fail_msg("did not decode: %s %s", err.code, err.field);
    }
    json_decref(doc);
    return req;
}

static void upsert(const struct upsert_req *req)
{
    struct store_conn *w;
    struct upsert_result res;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(ident_upsert(w, req, NOW, &A, &res, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
}

static json_t *report(void)
{
    struct store_conn *rd;
    json_t *rep = NULL;
    assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
    assert_int_equal(quality_report(rd, NOW, &A, &rep, NULL), KT_OK);
    store_read_end(rd);
    return rep;
}

static const json_t *by_channel(const json_t *rep, const char *channel)
{
    const json_t *list = json_object_get(json_object_get(rep, "sources"), "by_channel"), *v;
    size_t i;
    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "channel")), channel) == 0) {
            return v;
        }
    }
    return NULL;
}

static int64_t num(const json_t *o, const char *name)
{
    return (int64_t)json_integer_value(json_object_get(o, name));
}

static void the_tally_counts_each_source_and_reaches_the_report(void **state)
{
    (void)state;
    intake_reset();
    struct upsert_req a = decoded("{\"source\": {\"channel\": \"pos\", \"store\": \"S-1\"},"
                                  " \"profile\": {\"phone\": \"8 (916) 123-45-67\","
                                  " \"first_name\": \"Ирина\"}}");
    struct upsert_req b = decoded("{\"source\": {\"channel\": \"web\"},"
                                  " \"profile\": {\"email\": \"irina@example.ru\"}}");
    upsert(&a);
    upsert(&b);
    intake_record(&a.src, &a, false, NOW);
    intake_record(&b.src, &b, false, NOW);
    intake_record(&a.src, NULL, true, NOW); /* a request refused whole: one invalid value */
    intake_record(NULL, NULL, false, NOW);  /* nobody said where it came from */

    /* Nothing reaches the report before a flush. */
    json_t *rep = report();
    assert_null(by_channel(rep, "pos"));
    json_decref(rep);

    assert_int_equal(intake_flush_store(T.s, NOW, NULL), KT_OK);
    rep = report();
    assert_int_equal(num(rep, "customers"), 2);
    const json_t *pos = by_channel(rep, "pos");
    assert_non_null(pos);
    assert_int_equal(num(pos, "requests"), 2);
    assert_int_equal(num(pos, "refused"), 1);
    /* phone corrected (trunk prefix 8), first name ok, the refused request's invalid value */
    assert_int_equal(num(pos, "corrected"), 1);
    assert_int_equal(num(pos, "suspicious_or_invalid"), 1);
    assert_int_equal(num(by_channel(rep, "web"), "requests"), 1);
    assert_int_equal(num(by_channel(rep, "unknown"), "requests"), 1);
    const json_t *fields = json_object_get(json_object_get(rep, "completeness"), "fields");
    assert_int_equal(num(json_object_get(fields, "phone"), "filled"), 1);
    assert_int_equal(num(json_object_get(fields, "email"), "filled"), 1);
    json_decref(rep);

    /* The tally was handed over: flushing again adds nothing. */
    assert_int_equal(intake_flush_store(T.s, NOW + 5000, NULL), KT_OK);
    rep = report();
    assert_int_equal(num(by_channel(rep, "pos"), "requests"), 2);
    json_decref(rep);
}

/* Flushes from the write paths are at most every two seconds; a report's is forced. */
static void flushes_are_spaced_unless_forced(void **state)
{
    (void)state;
    intake_reset();
    struct ident_source src = {"tablet", "S-9", NULL, NOW, NULL};
    struct store_conn *w;
    intake_record(&src, NULL, false, NOW);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(intake_flush(w, false, NOW, NULL), KT_OK); /* the first goes */
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    intake_record(&src, NULL, false, NOW + 1000);
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(intake_flush(w, false, NOW + 1000, NULL), KT_OK); /* too soon: kept */
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    json_t *rep = report();
    assert_int_equal(num(by_channel(rep, "tablet"), "requests"), 1);
    json_decref(rep);
    assert_int_equal(intake_flush_store(T.s, NOW + 1500, NULL), KT_OK); /* forced */
    rep = report();
    assert_int_equal(num(by_channel(rep, "tablet"), "requests"), 2);
    json_decref(rep);
    intake_reset();
}

int main(void)
{
#define T_(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        T_(the_tally_counts_each_source_and_reaches_the_report),
        T_(flushes_are_spaced_unless_forced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
