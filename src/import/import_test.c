/*
 * import_test.c - encodings, delimiters, quoting, and whole imports into a real store.
 */
#include "helpers.h"

#include "import/csvin.h"
#include "consent/consent.h"
#include "import/import.h"
#include "import/rejects.h"
#include "quality/quality.h"

static void encodings_are_detected(void **state)
{
    char *out;
    size_t n;
    const char *used;
    assert_int_equal(csvin_to_utf8("\xEF\xBB\xBFИмя;x", 11, NULL, &out, &n, &used, NULL), KT_OK);
    assert_string_equal(used, "utf-8");
    assert_string_equal(out, "Имя;x");
    free(out);
    /* "Имя" in Windows-1251 */
    assert_int_equal(csvin_to_utf8("\xC8\xEC\xFF;x", 5, NULL, &out, &n, &used, NULL), KT_OK);
    assert_string_equal(used, "windows-1251");
    assert_string_equal(out, "Имя;x");
    free(out);
    /* UTF-16LE with its BOM */
    assert_int_equal(
        csvin_to_utf8("\xFF\xFE\x18\x04\x3C\x04\x4F\x04", 8, NULL, &out, &n, &used, NULL), KT_OK);
    assert_string_equal(used, "utf-16");
    assert_string_equal(out, "Имя");
    free(out);
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(csvin_to_utf8("x", 1, "koi8-r", &out, &n, &used, &err), KT_EINVAL);
    assert_string_equal(err.code, "bad_encoding");
}

/* The encoding is decided on the whole file: one bad byte in a UTF-8 file leaves it UTF-8 (the
 * row is refused later), while Windows-1251 text stays Windows-1251 even where a capital letter
 * before "Ё" happens to form a valid UTF-8 sequence. */
static void one_bad_byte_does_not_make_a_file_windows_1251(void **state)
{
    char *out;
    size_t n;
    const char *used;
    const char *u8 = "Телефон;ФИО\r\n89161234567;Иванова Мария\r\n89161234568;Ма\xFFрия\r\n";
    assert_int_equal(csvin_to_utf8(u8, strlen(u8), NULL, &out, &n, &used, NULL), KT_OK);
    assert_string_equal(used, "utf-8");
    assert_memory_equal(out, u8, n);
    free(out);
    /* "СЕМЁНОВ;ВСЁ;Ёлкин" in Windows-1251: "СЁ" and "МЁ" are valid UTF-8 by chance */
    const char *cp = "\xD1\xC5\xCC\xA8\xCD\xCE\xC2;\xC2\xD1\xA8;\xA8\xEB\xEA\xE8\xED";
    assert_int_equal(csvin_to_utf8(cp, strlen(cp), NULL, &out, &n, &used, NULL), KT_OK);
    assert_string_equal(used, "windows-1251");
    assert_string_equal(out, "СЕМЁНОВ;ВСЁ;Ёлкин");
    free(out);
    /* plain ASCII is UTF-8 */
    assert_int_equal(csvin_to_utf8("a;b", 3, NULL, &out, &n, &used, NULL), KT_OK);
    assert_string_equal(used, "utf-8");
    free(out);
}

static void delimiters_are_detected(void **state)
{
    assert_int_equal(csvin_detect_delimiter("a;b;c\n1,2", 9), ';');
    assert_int_equal(csvin_detect_delimiter("a,b,c\n", 6), ',');
    assert_int_equal(csvin_detect_delimiter("a\tb\tc\n", 6), '\t');
    assert_int_equal(csvin_detect_delimiter("\"a;b\",c,d\n", 10), ',');
    assert_int_equal(csvin_detect_delimiter("abc\n", 4), ';');
}

struct collected {
    size_t rows;
    char last[64];
    size_t bad;        /* rows flagged */
    char bad_code[16]; /* of the last one */
    size_t bad_column;
};

static bool collect(void *arg, const char **f, size_t n, size_t end, const struct csvin_bad *bad)
{
    struct collected *c = arg;
    c->rows++;
    kt_strlcpy(c->last, n > 1 ? f[1] : "", sizeof(c->last));
    if (bad != NULL) {
        c->bad++;
        kt_strlcpy(c->bad_code, bad->code, sizeof(c->bad_code));
        c->bad_column = bad->column;
    }
    return true;
}

/* A NUL inside a value used to end the C string there ("И\0в" became "И"): the row is flagged
 * with the column, and the value handed out shows U+FFFD where the byte was. */
static void a_nul_or_a_bad_byte_flags_its_row(void **state)
{
    const char text[] = "a;b\r\n1;\xD0\x98\0\xD0\xB2\r\n2;ok\r\n";
    struct collected c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(csvin_parse(text, sizeof(text) - 1, ';', collect, &c, NULL), KT_OK);
    assert_int_equal(c.rows, 3);
    assert_int_equal(c.bad, 1);
    assert_string_equal(c.bad_code, "nul_byte");
    assert_int_equal(c.bad_column, 1);
    const char one[] = "a;b\r\n1;\xD0\x98\0\xD0\xB2\r\n";
    memset(&c, 0, sizeof(c));
    assert_int_equal(csvin_parse(one, sizeof(one) - 1, ';', collect, &c, NULL), KT_OK);
    assert_string_equal(c.last, "И\xEF\xBF\xBDв");
    const char utf[] = "a;b\r\n\xFF;x\r\n";
    memset(&c, 0, sizeof(c));
    assert_int_equal(csvin_parse(utf, sizeof(utf) - 1, ';', collect, &c, NULL), KT_OK);
    assert_int_equal(c.bad, 1);
    assert_string_equal(c.bad_code, "invalid_utf8");
    assert_int_equal(c.bad_column, 0);
}

static void quoting_follows_rfc4180(void **state)
{
    const char *text = "a;b\r\n1;\"x;\"\"y\"\"\r\nz\"\r\n\r\n2;3\r\n";
    struct collected c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(csvin_parse(text, strlen(text), ';', collect, &c, NULL), KT_OK);
    assert_int_equal(c.rows, 3); /* the empty line is skipped */
    assert_string_equal(c.last, "3");
    c.rows = 0;
    const char *two = "a;b\r\n1;\"x;\"\"y\"\"\r\nz\"\r\n";
    assert_int_equal(csvin_parse(two, strlen(two), ';', collect, &c, NULL), KT_OK);
    assert_string_equal(c.last, "x;\"y\"\r\nz");
}

static const struct key_secret secret = {{1, 2, 3, 4, 5, 6, 7, 8}};

static struct import_stats run_with(const char *csv, const char *map, const char *legal_basis,
                                    struct buf *rejects)
{
    struct import_opts o;
    memset(&o, 0, sizeof(o));
    o.map = map;
    o.src.channel = "import";
    o.batch = 2;
    o.legal_basis = legal_basis;
    o.secret = &secret;
    struct import_stats st;
    struct kt_err err;
    kt_err_reset(&err);
    if (import_run(T.s, csv, strlen(csv), &o, rejects, &st, NULL, NULL, &err) != KT_OK) {
        fail_msg("import failed: %s %s", err.code, err.msg);
    }
    return st;
}

static struct import_stats run(const char *csv, const char *map, struct buf *rejects)
{
    return run_with(csv, map, "test file: consent collected on paper", rejects);
}

/* Under the strict policy a row needs its consent evidence: a paper form number in the row, or
 * the file's legal basis. */
static void rows_without_consent_evidence_are_rejected(void **state)
{
    const char *csv = "Телефон;Анкета\r\n"
                      "8 999 555 00 01;A-1\r\n"
                      "8 999 555 00 02;\r\n";
    struct buf rej;
    buf_init(&rej, 0);
    struct import_stats st = run_with(csv, NULL, NULL, &rej);
    assert_int_equal(st.created, 1);
    assert_int_equal(st.rejected, 1);
    assert_non_null(strstr(buf_cstr(&rej), ";3;rejected;consent_required"));
    buf_release(&rej);

    struct store_conn *r;
    struct ident found;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(store_ident_find(r, "phone", "+79995550001", &A, &found, NULL, NULL), KT_OK);
    struct consent_event *ev;
    size_t n;
    assert_int_equal(store_consent_list(r, found.ck, &A, &ev, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].action, "grant");
    assert_string_equal(ev[0].paper_form, "A-1");
    assert_string_equal(ev[0].source, "import");
    assert_int_equal(store_ident_find(r, "phone", "+79995550002", &A, &found, NULL, NULL),
                     KT_ENOTFOUND);
    store_read_end(r);
}

static void rows_get_results_and_a_rerun_changes_nothing(void **state)
{
    const char *csv = "Телефон;ФИО;Дата рождения;Пол\r\n"
                      "8 (999) 111-22-33;Иванова Анна;24.03.1985;\r\n"
                      "12;Петров Пётр;;м\r\n"
                      "+7 999 111 22 44;Сидоров Олег;31.02.1980;м\r\n"
                      "8 999 111 22 33;Иванова Анна Сергеевна;;\r\n";
    struct buf rej;
    buf_init(&rej, 0);
    struct import_stats st = run(csv, NULL, &rej);
    assert_int_equal(st.rows, 4);
    assert_int_equal(st.created, 2);  /* row 4 is row 2's customer */
    assert_int_equal(st.updated, 1);  /* it adds the patronymic */
    assert_int_equal(st.rejected, 1); /* "12" is no phone and nothing else identifies */
    assert_int_equal(st.partial, 1);  /* 31.02.1980 refused, the rest kept */
    assert_non_null(strstr(buf_cstr(&rej), "_row;_status;_reasons"));
    assert_non_null(strstr(buf_cstr(&rej), ";3;rejected;\"phone: too_short; no_identifier\""));
    assert_non_null(strstr(buf_cstr(&rej), ";4;partial;birth_date: no_such_date"));
    buf_reset(&rej);
    st = run(csv, NULL, &rej);
    assert_int_equal(st.created, 0);
    assert_int_equal(st.updated, 0);
    assert_int_equal(st.unchanged, 3);
    buf_release(&rej);

    struct store_conn *r;
    struct ident found;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(store_ident_find(r, "phone", "+79991112233", &A, &found, NULL, NULL), KT_OK);
    struct customer cu;
    assert_int_equal(store_customer_get(r, found.ck, &A, &cu, NULL, NULL), KT_OK);
    assert_string_equal(cu.val[PF_MIDDLE_NAME], "Сергеевна");
    assert_string_equal(cu.val[PF_GENDER], "f");
    assert_true(cu.gender_inferred);
    store_read_end(r);
}

/* Only the bad row is refused, with the reason, the line and the column; the rest go in. */
static void rows_with_a_nul_or_a_bad_byte_are_rejected_alone(void **state)
{
    const char csv[] = "Телефон;ФИО\r\n"
                       "8 999 555 10 01;Иванова Анна\r\n"
                       "8 999 555 10 02;И\0ванов Пётр\r\n"
                       "8 999 555 10 03;Ма\xFFрия\r\n"
                       "8 999 555 10 04;Петрова Ольга\r\n";
    struct import_opts o;
    memset(&o, 0, sizeof(o));
    o.src.channel = "import";
    o.legal_basis = "test";
    o.secret = &secret;
    struct import_stats st;
    struct buf rej;
    buf_init(&rej, 0);
    assert_int_equal(import_run(T.s, csv, sizeof(csv) - 1, &o, &rej, &st, NULL, NULL, NULL), KT_OK);
    assert_string_equal(st.encoding, "utf-8");
    assert_int_equal(st.created, 2);
    assert_int_equal(st.rejected, 2);
    assert_non_null(strstr(buf_cstr(&rej), "И\xEF\xBF\xBDванов Пётр;3;rejected;ФИО: nul_byte\r\n"));
    assert_non_null(strstr(buf_cstr(&rej), "Ма\xEF\xBF\xBDрия;4;rejected;ФИО: invalid_utf8\r\n"));
    buf_release(&rej);
    struct store_conn *r;
    struct ident found;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(store_ident_find(r, "phone", "+79995551002", &A, &found, NULL, NULL),
                     KT_ENOTFOUND);
    assert_int_equal(store_ident_find(r, "phone", "+79995551004", &A, &found, NULL, NULL), KT_OK);
    store_read_end(r);
    /* a header that cannot be read fails the file */
    const char head[] = "Телефон;\xFFИО\r\n8 999 555 10 05;Анна\r\n";
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(import_run(T.s, head, sizeof(head) - 1, &o, NULL, &st, NULL, NULL, &err),
                     KT_EINVAL);
    assert_string_equal(err.code, "invalid_utf8");
}

static bool has_key(unsigned char (*keys)[32], size_t n, const char *kind, const char *value)
{
    unsigned char h[32];
    suppress_hash(&secret, kind, value, h);
    for (size_t i = 0; i < n; i++) {
        if (memcmp(keys[i], h, 32) == 0) {
            return true;
        }
    }
    return false;
}

/* A reject line carries the keys an erasure suppresses: of the values in mapped columns, even
 * when too broken for the row to decode, and of any phone, e-mail or card number written in free
 * text, in the spellings people use. */
static void reject_lines_carry_the_keys_of_what_names_a_person(void **state)
{
    struct arena a;
    arena_init(&a, 0);
    const char *cells[] = {"12-34", "IVAN@Example.COM ", "2000 0000 0001 5",
                           "звонить +7 (916) 123-45-67 или 8.916.765.43.21, почта <Petr@mail.ru>; "
                           "д.р. 24.03.1985; 8 903 111\xEF\xBF\xBD"
                           "22 33"};
    const char *kinds[] = {"phone", "email", "card"};
    unsigned char(*keys)[32] = NULL;
    size_t n = 0;
    import_reject_keys(&secret, NULL, cells, 4, kinds, 3, &a, &keys, &n);
    assert_true(has_key(keys, n, "email", "ivan@example.com"));
    assert_true(has_key(keys, n, "card", "2000000000015"));
    assert_true(has_key(keys, n, "phone", "+79161234567"));
    assert_true(has_key(keys, n, "phone", "+79167654321"));
    assert_true(has_key(keys, n, "phone", "+79031112233")); /* a NUL was where U+FFFD is */
    assert_true(has_key(keys, n, "email", "petr@mail.ru"));
    assert_false(has_key(keys, n, "phone", "+71234"));
    for (size_t i = 0; i < n; i++) {
        for (size_t k = i + 1; k < n; k++) {
            assert_memory_not_equal(keys[i], keys[k], 32); /* no repeats */
        }
    }
    /* nothing that looks like an identifier: no keys */
    const char *plain[] = {"Иванова Анна", "24.03.1985", "Казань"};
    import_reject_keys(&secret, NULL, plain, 3, NULL, 0, &a, &keys, &n);
    assert_int_equal(n, 0);
    arena_release(&a);
}

static void bad_files_are_refused_before_writing(void **state)
{
    struct import_opts o;
    memset(&o, 0, sizeof(o));
    o.src.channel = "import";
    o.secret = &secret;
    struct import_stats st;
    struct kt_err err;
    kt_err_reset(&err);
    const char *noid = "Имя;Город\r\nАнна;Казань\r\n";
    assert_int_equal(import_run(T.s, noid, strlen(noid), &o, NULL, &st, NULL, NULL, &err),
                     KT_EINVAL);
    assert_string_equal(err.code, "no_identifier_column");
    kt_err_reset(&err);
    o.map = "Телефон=phone,Карта=card";
    const char *csv = "Телефон;Имя\r\n89991112233;Анна\r\n";
    assert_int_equal(import_run(T.s, csv, strlen(csv), &o, NULL, &st, NULL, NULL, &err), KT_EINVAL);
    assert_string_equal(err.code, "bad_mapping");
    kt_err_reset(&err);
    assert_int_equal(import_run(T.s, "", 0, &o, NULL, &st, NULL, NULL, &err), KT_EINVAL);
}

static void the_report_counts_what_was_imported(void **state)
{
    intake_reset();
    const char *csv = "Телефон;ФИО;Дата рождения;Карта\r\n"
                      "8 (999) 111-22-33;Иванова Анна;24.03.1985;1001\r\n"
                      "8 (999) 111-22-34;Иванова Анна;24.03.1985;1002\r\n"
                      "+7 999 999 99 99;Тест Тестович;;\r\n";
    run(csv, NULL, NULL);
    struct store_conn *r;
    json_t *rep = NULL;
    assert_int_equal(store_read_begin(T.s, &r, NULL), KT_OK);
    assert_int_equal(quality_report(r, 1795000000000LL, &A, &rep, NULL), KT_OK);
    store_read_end(r);
    assert_int_equal(json_integer_value(json_object_get(rep, "customers")), 3);
    json_t *dup = json_object_get(json_object_get(rep, "duplicates"), "same_name_and_birth_date");
    assert_int_equal(json_integer_value(json_object_get(dup, "groups")), 1);
    assert_int_equal(json_integer_value(json_object_get(dup, "customers")), 2);
    json_t *phone = json_object_get(json_object_get(rep, "validity"), "phone");
    assert_int_equal(json_integer_value(json_object_get(phone, "suspicious")), 1);
    json_t *cards = json_object_get(rep, "cards_per_customer");
    assert_int_equal(json_integer_value(json_object_get(cards, "1")), 2);
    assert_int_equal(json_integer_value(json_object_get(cards, "0")), 1);
    json_t *ch = json_array_get(json_object_get(json_object_get(rep, "sources"), "by_channel"), 0);
    assert_string_equal(json_string_value(json_object_get(ch, "channel")), "import");
    assert_int_equal(json_integer_value(json_object_get(ch, "requests")), 3);
    json_decref(rep);
}

int main(void)
{
    audit_key_init(&secret); /* the audit log's entries are chained with it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodings_are_detected),
        cmocka_unit_test(one_bad_byte_does_not_make_a_file_windows_1251),
        cmocka_unit_test(a_nul_or_a_bad_byte_flags_its_row),
        cmocka_unit_test(delimiters_are_detected),
        cmocka_unit_test(reject_lines_carry_the_keys_of_what_names_a_person),
        cmocka_unit_test(quoting_follows_rfc4180),
        cmocka_unit_test_setup_teardown(rows_get_results_and_a_rerun_changes_nothing, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(rows_without_consent_evidence_are_rejected, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(rows_with_a_nul_or_a_bad_byte_are_rejected_alone,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(bad_files_are_refused_before_writing, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(the_report_counts_what_was_imported, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
