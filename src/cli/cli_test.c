/*
 * cli_test.c - the operator's verbs over a small database: what they print is the document of
 * the domain module the API answers with (the export, the quality and loyalty reports, RFM), an
 * erasure writes an act the `act` verb prints, and bad usage exits 2 before touching anything.
 * Each verb runs in this process with its standard output and error captured.
 */
#include <fcntl.h>

#include "helpers.h"

#include "cli/cli.h"
#include "consent/consent.h"
#include "privacy/privacy.h"
#include "loyalty/enroll.h"
#include "loyalty/purchase.h"
#include "consent/consent.h"

#define NOW   1795000000000LL /* 2026-11-18T11:06:40Z */
#define PHONE "+79161234567"

static char out_text[1 << 16], err_text[4096];

/* Runs `fn` with argv (NULL-terminated) and the output captured; returns its exit code. */
static int run(int (*fn)(int, char **), const char *const *args)
{
    char *argv[32];
    int argc = 0;
    for (; args[argc] != NULL; argc++) {
        argv[argc] = (char *)args[argc];
    }
    argv[argc] = NULL;
    char path_out[160], path_err[160];
    kt_snprintf(path_out, sizeof(path_out), "%s/out", T.dir);
    kt_snprintf(path_err, sizeof(path_err), "%s/err", T.dir);
    fflush(stdout);
    fflush(stderr);
    int o = dup(1), e = dup(2);
    int fo = open(path_out, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int fe = open(path_err, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(o >= 0 && e >= 0 && fo >= 0 && fe >= 0);
    dup2(fo, 1);
    dup2(fe, 2);
    int code = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(o, 1);
    dup2(e, 2);
    close(o);
    close(e);
    ssize_t n = pread(fo, out_text, sizeof(out_text) - 1, 0);
    out_text[n > 0 ? n : 0] = '\0';
    n = pread(fe, err_text, sizeof(err_text) - 1, 0);
    err_text[n > 0 ? n : 0] = '\0';
    close(fo);
    close(fe);
    return code;
}

static const struct key_secret K = {{5, 5, 5}};

/* A member with a card and one receipt, in a database the verbs then open by its path. */
static const char *seed(void)
{
    struct enrol_env env = {&K, {0, 0}, "{{code}}"};
    struct enrol_req e = {.phone = PHONE, .send_code = false, .key_id = "k1"};
    struct enrol_result res;
    assert_int_equal(loyalty_enrol(T.s, &env, &e, NOW, &A, &res, NULL), KT_OK);
    const char *body = "{\"store\": \"S-1\", \"receipt\": \"R-1\", \"customer\": {\"phone\": "
                       "\"" PHONE "\"}, \"lines\": [{\"sku\": \"milk\", \"quantity\": 1, "
                       "\"price\": 8900, \"amount\": 8900}]}";
    json_t *doc = json_loads(body, 0, NULL);
    struct purchase_req req;
    struct receipt_posted posted;
    assert_int_equal(purchase_decode(doc, NOW, &A, &req, NULL), KT_OK);
    assert_int_equal(
        purchase_post(T.s, &req, body, strlen(body), "k1", "rq", NOW, &A, &posted, NULL), KT_OK);
    json_decref(doc);
    json_decref(posted.reply);
    store_close(T.s); /* the verbs open it themselves, as from a shell */
    T.s = NULL;
    return arena_strdup(&A, res.customer.id);
}

static int verbs_setup(void **state)
{
    store_setup(state);
    *state = (void *)seed();
    return 0;
}

static int verbs_teardown(void **state)
{
    (void)state;
    arena_release(&A);
    tmp_store_close(&T); /* store_close(NULL) is a no-op */
    return 0;
}

static json_t *printed_json(void)
{
    json_error_t je;
    json_t *doc = json_loads(out_text, 0, &je);
    if (doc == NULL) {
        fail_msg("not JSON (%s): %.200s", je.text, out_text);
    }
    return doc;
}

static void export_prints_the_access_document(void **state)
{
    const char *id = *state;
    assert_int_equal(
        run(cli_privacy, (const char *[]){"privacy", "export", id, "--db", T.path, NULL}), 0);
    json_t *doc = printed_json();
    assert_string_equal(json_string_value(json_object_get(doc, "customer_id")), id);
    assert_int_equal(json_array_size(json_object_get(doc, "purchases")), 1);
    assert_int_equal(json_array_size(json_object_get(doc, "cards")), 1);
    assert_non_null(json_object_get(doc, "purposes"));
    json_decref(doc);
    /* an unknown customer: the store's error, exit 1 */
    assert_int_equal(
        run(cli_privacy,
            (const char *[]){"privacy", "export", "c_aaaaaaaaaaaaaaaaaaaa", "--db", T.path, NULL}),
        1);
    assert_non_null(strstr(err_text, "kartoteka privacy export: "));
}

static void reports_print_their_modules_documents(void **state)
{
    (void)state;
    assert_int_equal(
        run(cli_report, (const char *[]){"report", "quality", "--json", "--db", T.path, NULL}), 0);
    json_t *doc = printed_json();
    assert_int_equal(json_integer_value(json_object_get(doc, "customers")), 1);
    json_decref(doc);
    assert_int_equal(
        run(cli_report, (const char *[]){"report", "rfm", "--json", "--db", T.path, NULL}), 0);
    doc = printed_json();
    assert_int_equal(json_integer_value(json_object_get(doc, "customers")), 1);
    json_decref(doc);
    assert_int_equal(run(cli_loyalty, (const char *[]){"loyalty", "report", "--db", T.path, NULL}),
                     0);
    doc = printed_json();
    const json_t *receipts = json_object_get(doc, "receipts");
    assert_int_equal(json_integer_value(json_object_get(receipts, "count")), 1);
    assert_int_equal(json_integer_value(json_object_get(receipts, "with_customer")), 1);
    json_decref(doc);
}

static void loyalty_shows_points_and_purchases(void **state)
{
    const char *id = *state;
    assert_int_equal(
        run(cli_loyalty, (const char *[]){"loyalty", "points", id, "--db", T.path, NULL}), 0);
    json_t *doc = printed_json();
    const json_t *bal = json_object_get(doc, "balance");
    /* 5% of 89 roubles, pending or, past the hold by the wall clock, available */
    assert_int_equal(json_integer_value(json_object_get(bal, "pending")) +
                         json_integer_value(json_object_get(bal, "available")),
                     4);
    assert_int_equal(json_array_size(json_object_get(doc, "history")), 1);
    json_decref(doc);
    assert_int_equal(
        run(cli_loyalty, (const char *[]){"loyalty", "purchases", id, "--db", T.path, NULL}), 0);
    doc = printed_json();
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 1);
    json_decref(doc);
}

static void clusters_need_customers_enough(void **state)
{
    (void)state;
    assert_int_equal(
        run(cli_cluster, (const char *[]){"cluster", "--k", "2", "--db", T.path, NULL}), 1);
    assert_non_null(strstr(err_text, "at most the number of customers with receipts, which is 1"));
}

/* The operator of personal data set as the API's PUT /v1/privacy/settings does, which completes
 * the drafts written before. */
static void settings_with_operator(void)
{
    T.s = cli_open_store(T.path); /* with the keys the verbs made beside it */
    assert_non_null(T.s);
    struct store_conn *w;
    struct privacy_settings ps;
    int64_t done = 0;
    assert_int_equal(store_write_begin(T.s, &w, NULL), KT_OK);
    assert_int_equal(privacy_settings_get(w, &A, &ps, NULL), KT_OK);
    ps.operator_name = "ООО «Ромашка»";
    ps.operator_address = "123456, г. Москва, ул. Лесная, д. 1";
    assert_int_equal(privacy_settings_put(w, &ps, NULL), KT_OK);
    assert_int_equal(privacy_acts_complete(w, &ps, NULL, NOW + 1, &A, &done, NULL), KT_OK);
    assert_int_equal(store_write_end(w, KT_OK, NULL), KT_OK);
    assert_int_equal(done, 1);
    store_close(T.s);
    T.s = NULL;
}

static void an_erasure_writes_the_act_the_act_verb_prints(void **state)
{
    const char *id = *state;
    assert_int_equal(run(cli_privacy, (const char *[]){"privacy", "erase", id, "--operator",
                                                       "dpo-1", "--by", "Иванова  Мария Петровна",
                                                       "--position", "DPO", "--db", T.path, NULL}),
                     0);
    const char *act = strstr(out_text, ": act a_");
    assert_non_null(act);
    char act_id[ID_MAX] = "";
    kt_strlcpy(act_id, act + 6, strcspn(act + 6, " ") + 1);
    /* No operator in the settings: the erasure is done, its act a draft that prints nothing. */
    assert_non_null(strstr(out_text, "is a draft: the operator (data_operator) is not set"));
    assert_int_equal(
        run(cli_privacy, (const char *[]){"privacy", "act", act_id, "--db", T.path, NULL}), 1);
    assert_non_null(strstr(err_text, "'data_operator.name'"));
    assert_int_equal(run(cli_privacy, (const char *[]){"privacy", "act", act_id, "--format", "json",
                                                       "--db", T.path, NULL}),
                     0);
    assert_non_null(strstr(out_text, "\"state\": \"draft\""));
    settings_with_operator();
    assert_int_equal(
        run(cli_privacy, (const char *[]){"privacy", "act", act_id, "--db", T.path, NULL}), 0);
    assert_non_null(strstr(out_text, "АКТ ОБ УНИЧТОЖЕНИИ ПЕРСОНАЛЬНЫХ ДАННЫХ № a_"));
    assert_non_null(strstr(out_text, "ООО «Ромашка»"));
    assert_non_null(strstr(out_text, "Иванова Мария Петровна, DPO")); /* cleaned: one space */
    assert_non_null(strstr(out_text, id));
    assert_non_null(strstr(out_text, "сотрудник dpo-1"));
    assert_null(strstr(out_text, PHONE));
    assert_int_equal(run(cli_privacy, (const char *[]){"privacy", "act", act_id, "--format",
                                                       "document", "--db", T.path, NULL}),
                     0);
    assert_true(out_text[0] == '{' && out_text[strlen(out_text) - 1] == '}');
    assert_int_equal(
        run(cli_privacy, (const char *[]){"privacy", "erase", id, "--db", T.path, NULL}), 1);
    assert_non_null(strstr(err_text, "erased already"));
}

static void clean_describes_each_value(void **state)
{
    (void)state;
    assert_int_equal(
        run(cli_clean, (const char *[]){"clean", "phone", "8 (916) 123-45-67", "x", NULL}), 0);
    json_t *doc = json_loads(out_text, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "value")), PHONE);
    assert_string_equal(json_string_value(json_object_get(doc, "verdict")), "corrected");
    assert_string_equal(json_string_value(json_object_get(doc, "input")), "8 (916) 123-45-67");
    json_decref(doc);
    assert_non_null(strstr(out_text, "\n{\"verdict\":\"invalid\"")); /* one line per value */
}

static void keys_are_created_listed_and_revoked(void **state)
{
    (void)state;
    assert_int_equal(run(cli_keys, (const char *[]){"keys", "create", "--scope", "pos", "--name",
                                                    "till 1", "--db", T.path, NULL}),
                     0);
    assert_memory_equal(out_text, "kt_", 3);
    char id[13];
    kt_strlcpy(id, out_text + 3, sizeof(id));
    assert_non_null(strstr(err_text, "it is shown only this once"));
    assert_int_equal(run(cli_keys, (const char *[]){"keys", "list", "--db", T.path, NULL}), 0);
    assert_non_null(strstr(out_text, id));
    assert_non_null(strstr(out_text, "till 1"));
    assert_int_equal(run(cli_keys, (const char *[]){"keys", "revoke", id, "--db", T.path, NULL}),
                     0);
    assert_non_null(strstr(out_text, "revoked"));
    assert_int_equal(run(cli_keys, (const char *[]){"keys", "revoke", id, "--db", T.path, NULL}),
                     1);
    assert_non_null(strstr(err_text, "no active key"));
}

static void migrate_tells_the_schema_version(void **state)
{
    (void)state;
    assert_int_equal(
        run(cli_migrate, (const char *[]){"migrate", "--status", "--db", T.path, NULL}), 0);
    assert_non_null(strstr(out_text, "(up to date)"));
    assert_null(strstr(out_text, "applied"));
    assert_int_equal(run(cli_migrate, (const char *[]){"migrate", "--db", T.path, NULL}), 0);
    assert_non_null(strstr(out_text, "applied 0 migrations"));
}

static void bad_usage_exits_2(void **state)
{
    (void)state;
    const char *const *cases[] = {
        (const char *[]){"report", NULL},
        (const char *[]){"report", "nonsense", NULL},
        (const char *[]){"cluster", "--k", "1", NULL},
        (const char *[]){"privacy", "export", "not-an-id", NULL},
        (const char *[]){"privacy", "erase", "c_x", "--reason", "because", NULL},
        (const char *[]){"loyalty", "points", NULL},
        (const char *[]){"clean", NULL},
        (const char *[]){"clean", "shoe_size", "43", NULL},
        (const char *[]){"keys", NULL},
        (const char *[]){"keys", "revoke", NULL},
        (const char *[]){"keys", "create", "--scope", "root", "--name", "x", "--db", T.path, NULL},
        (const char *[]){"keys", "list", "--threads", "4", NULL}, /* serve's, not theirs */
        (const char *[]){"migrate", "--listen", "127.0.0.1:0", NULL},
        (const char *[]){"privacy", "erase", "c_x", "--by", "Иванова Мария", NULL},
        (const char *[]){"privacy", "act", "a_x", "--format", "pdf", NULL},
    };
    int (*fns[])(int, char **) = {cli_report,  cli_report, cli_cluster, cli_privacy, cli_privacy,
                                  cli_loyalty, cli_clean,  cli_clean,   cli_keys,    cli_keys,
                                  cli_keys,    cli_keys,   cli_migrate, cli_privacy, cli_privacy};
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        assert_int_equal(run(fns[i], cases[i]), 2);
        assert_non_null(strstr(err_text, "kartoteka"));
    }
}

int main(void)
{
    audit_key_init(&K); /* the audit log's entries are chained with it */
#define V_(f) cmocka_unit_test_setup_teardown(f, verbs_setup, verbs_teardown)
    const struct CMUnitTest tests[] = {
        V_(export_prints_the_access_document),
        V_(reports_print_their_modules_documents),
        V_(loyalty_shows_points_and_purchases),
        V_(clusters_need_customers_enough),
        V_(an_erasure_writes_the_act_the_act_verb_prints),
        V_(clean_describes_each_value),
        V_(keys_are_created_listed_and_revoked),
        V_(migrate_tells_the_schema_version),
        V_(bad_usage_exits_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
