/*
 * dedup_test.c - the matcher's pieces: Jaro-Winkler, the phonetic key of Russian names, first
 * names' diminutives.
 */
#include <math.h>

#include "helpers.h"

#include "dedup/dedup.h"

static int setup(void **state)
{
    arena_init(&A, 0);
    return 0;
}

static int teardown(void **state)
{
    arena_release(&A);
    return 0;
}

static void close_to(double got, double want)
{
    if (got < want - 0.001 || got > want + 0.001) {
        fail_msg("%.4f, wanted %.4f", got, want);
    }
}

static void jaro_winkler_by_code_points(void **state)
{
    /* the textbook cases (Winkler 1990) */
    close_to(dedup_jaro_winkler("martha", "marhta"), 0.9611);
    close_to(dedup_jaro_winkler("dwayne", "duane"), 0.84);
    close_to(dedup_jaro_winkler("dixon", "dicksonx"), 0.8133);
    close_to(dedup_jaro_winkler("same", "same"), 1.0);
    close_to(dedup_jaro_winkler("abc", "xyz"), 0.0);
    close_to(dedup_jaro_winkler("", ""), 1.0);
    close_to(dedup_jaro_winkler("", "a"), 0.0);
    /* a Cyrillic letter is one: the same figure as the Latin pair of the same shape */
    close_to(dedup_jaro_winkler("марта", "мартa"), dedup_jaro_winkler("marta", "martb"));
    close_to(dedup_jaro_winkler("иванов", "иваонв"), dedup_jaro_winkler("ivanov", "ivaonv"));
    /* past the cap only equality counts */
    char longa[200], longb[200];
    memset(longa, 'a', 150);
    longa[150] = '\0';
    memcpy(longb, longa, 151);
    close_to(dedup_jaro_winkler(longa, longb), 1.0);
    longb[149] = 'b';
    close_to(dedup_jaro_winkler(longa, longb), 0.0);
}

static void one_key_whatever_the_spelling(void **state)
{
    const char *k = dedup_name_key("Иванов", &A);
    assert_non_null(k);
    const char *same[] = {"Иванова", "Ivanov", "Iwanow", "Ivanoff", "IVANOVA", "Bdfyjd", "иванов"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        const char *got = dedup_name_key(same[i], &A);
        if (got == NULL || strcmp(got, k) != 0) {
            fail_msg("%s -> %s, Иванов -> %s", same[i], got ? got : "NULL", k);
        }
    }
    struct {
        const char *a, *b;
    } pairs[] = {
        {"Яковлев", "Jakovlev"},      {"Яковлев", "Yakovlev"},    {"Смирнова", "Smirnoff"},
        {"Петровская", "Петровский"}, {"Мария", "Maria"},         {"Кузнецова", "Kuznetsov"},
        {"Соловьёв", "Solovyov"},     {"Соловьев", "Soloviev"},   {"Щукин", "Shchukin"},
        {"Хабибуллин", "Khabibulin"}, {"Алексеев", "Alekseev"},   {"Юрьев", "Yuriev"},
        {"Даниил", "Danil"},          {"Шевченко", "Shevchenko"}, {"Ткачёв", "Tkachev"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const char *x = dedup_name_key(pairs[i].a, &A), *y = dedup_name_key(pairs[i].b, &A);
        if (x == NULL || y == NULL || strcmp(x, y) != 0) {
            fail_msg("%s -> %s but %s -> %s", pairs[i].a, x ? x : "NULL", pairs[i].b,
                     y ? y : "NULL");
        }
    }
    /* different names stay apart */
    struct {
        const char *a, *b;
    } apart[] = {{"Иванов", "Ивашов"},
                 {"Смирнов", "Семенов"},
                 {"Петров", "Петрик"},
                 {"Кузнецов", "Кузьмин"},
                 {"Мария", "Марина"}};
    for (size_t i = 0; i < sizeof(apart) / sizeof(apart[0]); i++) {
        const char *x = dedup_name_key(apart[i].a, &A), *y = dedup_name_key(apart[i].b, &A);
        if (x != NULL && y != NULL && strcmp(x, y) == 0) {
            fail_msg("%s and %s share %s", apart[i].a, apart[i].b, x);
        }
    }
    assert_null(dedup_name_key("", &A));
    assert_null(dedup_name_key("---", &A));
}

static void diminutives_to_the_full_name(void **state)
{
    assert_string_equal(dedup_first_name_full("Саша", &A), "александр");
    assert_string_equal(dedup_first_name_full("Наташа", &A), "наталья");
    assert_string_equal(dedup_first_name_full("Наталия", &A), "наталья");
    assert_string_equal(dedup_first_name_full("Лёша", &A), "алексей");
    assert_string_equal(dedup_first_name_full("Natasha", &A), "наталья");
    assert_string_equal(dedup_first_name_full("Александр", &A), "александр");
    assert_string_equal(dedup_first_name_full("Ольга", &A), "ольга");
    assert_null(dedup_first_name_full("", &A));
}

static int cmp(enum dedup_kind k, const char *x, const char *y)
{
    struct dedup_value a = dedup_value(k, x, &A), b = dedup_value(k, y, &A);
    return dedup_compare(k, &a, &b);
}

static void levels_of_each_kind(void **state)
{
    assert_int_equal(cmp(DK_NAME, "Иванов", "иванов"), 3);
    assert_int_equal(cmp(DK_NAME, "Иванов", "Ivanoff"), 2);
    assert_int_equal(cmp(DK_NAME, "Иванов", "Иванова"), 2);
    assert_int_equal(cmp(DK_NAME, "Иванов", "Иваненко"), 1);
    assert_int_equal(cmp(DK_NAME, "Иванов", "Сидоров"), 0);
    assert_int_equal(cmp(DK_NAME, "Иванов", ""), -1);
    assert_int_equal(cmp(DK_FIRST_NAME, "Наташа", "Наталья"), 2);
    assert_int_equal(cmp(DK_FIRST_NAME, "Natalia", "Наталья"), 2);
    assert_int_equal(cmp(DK_FIRST_NAME, "Ольга", "Наталья"), 0);
    assert_int_equal(cmp(DK_DATE, "1985-03-12", "1985-03-12"), 3);
    assert_int_equal(cmp(DK_DATE, "1985-03-12", "1985-12-03"), 2);
    assert_int_equal(cmp(DK_DATE, "1985-03-12", "1985-03-13"), 1);
    assert_int_equal(cmp(DK_DATE, "1985-03-12", "1986-03-12"), 1);
    assert_int_equal(cmp(DK_DATE, "1985-03-12", "1990-07-01"), 0);
    assert_int_equal(cmp(DK_DATE, "1985-03", "1985-03-12"), -1);
    assert_int_equal(cmp(DK_PHONE, "+7 916 123-45-67", "89161234567"), 2);
    assert_int_equal(cmp(DK_PHONE, "+79161234567", "+79161234568"), 1);
    assert_int_equal(cmp(DK_PHONE, "+79161234567", "+79161234576"), 1);
    assert_int_equal(cmp(DK_PHONE, "+79161234567", "+79161237654"), 0);
    assert_int_equal(cmp(DK_EMAIL, "Natalia.Ivanova@gmail.com", "natalia.ivanova@gmail.com"), 2);
    /* the cleaner mends a known domain's typo: then it is the same address */
    assert_int_equal(cmp(DK_EMAIL, "natalia.ivanova@gmail.com", "natalia.ivanova@gmial.com"), 2);
    assert_int_equal(cmp(DK_EMAIL, "natalia.ivanova@yandex.ru", "natalia.ivanva@yandex.ru"), 1);
    assert_int_equal(cmp(DK_EMAIL, "natalia.ivanova@gmail.com", "ivanova@gmail.com"), 0);
    assert_int_equal(cmp(DK_EXACT, "4011", " 4011 "), 1);
    assert_int_equal(cmp(DK_EXACT, "4011", "4012"), 0);
    assert_int_equal(cmp(DK_TEXT, "tullaroop street", "tullaroop street"), 3);
    assert_int_equal(cmp(DK_TEXT, "tullaroop street", "tullaroop stret"), 2);
    assert_int_equal(cmp(DK_TEXT, "tullaroop street", "giblin street"), 0);
    assert_string_equal(dedup_level_name(DK_DATE, 2), "day_month_swapped");
    assert_string_equal(dedup_level_name(DK_PHONE, -1), "missing");
}

static void comparison_files(void **state)
{
    struct dedup_conf c;
    const char *id;
    char err[160];
    assert_true(dedup_conf_parse(dedup_default_conf, &c, &id, &A, err, sizeof(err)));
    assert_string_equal(id, "record_id");
    assert_int_equal(c.n_fields, 8);
    assert_true(c.field[0].tf);
    assert_true(dedup_conf_parse("id x # the id\nfield y name tf\nblock y:key:2\nthreshold 0.5\n"
                                 "block-cap 10\n",
                                 &c, &id, &A, err, sizeof(err)));
    assert_true(c.rule[0].part[0].key);
    assert_int_equal(c.rule[0].part[0].prefix, 2);
    assert_int_equal(c.block_cap, 10);
    static const struct {
        const char *text, *err;
    } bad[] = {
        {"id x\nfield y nme\nblock y\n", "line 2: unknown kind 'nme'"},
        {"id x\nfield y name\nblock z\n", "line 3: block on 'z', which is no field"},
        {"id x\nfield y name\nblock y:soft\n", "line 3: 'soft' is neither 'key' nor a length"},
        {"id x\nfield y name\nfield y date\nblock y\n", "line 3: field 'y' twice"},
        {"id x\nfield y name\nblock y\nthreshold 1.5\n", "line 4: a threshold is"},
        {"id x\nfield y name\nblock y\nblock-cap 1\n", "line 4: block-cap is from 2"},
        {"id x\nfield y name\nwhat\n", "line 3: not understood: 'what'"},
        {"field y name\nblock y\n", "an id, at least one field"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_false(dedup_conf_parse(bad[i].text, &c, &id, &A, err, sizeof(err)));
        if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0) {
            fail_msg("'%s' said '%s'", bad[i].text, err);
        }
    }
}

static void a_small_run(void **state)
{
    struct dedup_conf c;
    const char *id;
    char err[160];
    assert_true(dedup_conf_parse("id id\nfield last name tf\nfield first first_name\n"
                                 "field born date\nblock last:key\nthreshold 0.5\n",
                                 &c, &id, &A, err, sizeof(err)));
    struct dedup_set *s = dedup_set_new(&c);
    static const char *const rows[][3] = {
        {"Иванов", "Саша", "1980-01-02"},   {"Ivanov", "Aleksandr", "1980-01-02"},
        {"Петров", "Пётр", "1970-05-06"},   {"Сидоров", "Иван", "1990-07-08"},
        {"Кузнецов", "Олег", "1966-09-10"}, {"Смирнов", "Павел", "1975-11-12"},
    };
    char ids[6][4];
    for (size_t i = 0; i < 6; i++) {
        snprintf(ids[i], sizeof(ids[i]), "r%zu", i);
        dedup_set_add(s, ids[i], rows[i]);
    }
    assert_int_equal(dedup_set_size(s), 6);
    struct dedup_pair *pairs;
    size_t n;
    struct dedup_stats st;
    dedup_run(s, &pairs, &n, &st, NULL, NULL);
    assert_int_equal(st.candidates, 1); /* only the two Ivanovs share a key */
    assert_int_equal(n, 1);
    assert_string_equal(dedup_set_id(s, pairs[0].a), "r0");
    assert_string_equal(dedup_set_id(s, pairs[0].b), "r1");
    assert_int_equal(pairs[0].level[1], 2); /* Саша: Александр behind the diminutive */
    assert_int_equal(pairs[0].level[2], 3);
    free(pairs);
    dedup_set_free(s);
}

/* One pair scored after a run: the model a run learnt gives the same weight to the same pair, the
 * keys of two records of one person meet, and a veto stops a pair whatever its weight. */
static void one_pair_after_a_run(void **state)
{
    struct dedup_conf c;
    const char *id;
    char msg[128];
    assert_true(dedup_conf_parse(dedup_default_conf, &c, &id, &A, msg, sizeof(msg)));
    struct dedup_set *s = dedup_set_new(&c);
    char ids[16], phone[16], birth[16];
    static const char *const last[] = {"Иванова", "Петров", "Сидорова", "Кузнецов", "Орлова"};
    static const char *const first[] = {"Наталья", "Пётр", "Анна", "Иван", "Ольга"};
    for (int i = 0; i < 400; i++) { /* people, each typed twice, the second with a slip */
        for (int twice = 0; twice < 2; twice++) {
            snprintf(ids, sizeof(ids), "r%d_%d", i, twice);
            snprintf(phone, sizeof(phone), "+7916%07d", twice ? i + 5000000 : i);
            snprintf(birth, sizeof(birth), "19%02d-%02d-%02d", 40 + i % 60, 1 + i % 12, 1 + i % 28);
            const char *raw[DEDUP_FIELDS_MAX] = {
                last[i % 5], first[(i / 5) % 5], NULL, birth, phone, NULL, NULL, NULL};
            dedup_set_add(s, ids, raw);
        }
    }
    struct dedup_pair *ps = NULL;
    size_t n = 0;
    struct dedup_stats st;
    dedup_run(s, &ps, &n, &st, NULL, NULL);
    assert_true(n > 300);
    struct dedup_model m;
    dedup_model_of(&st, &m);
    int8_t level[DEDUP_FIELDS_MAX];
    double prob;
    const struct dedup_value *x = dedup_set_values(s, ps[0].a), *y = dedup_set_values(s, ps[0].b);
    double w = dedup_score(&c, &m, x, y, level, &prob);
    assert_true(prob >= c.threshold);
    assert_true(w > 0);
    double sum = log2(m.lambda / (1 - m.lambda));
    for (size_t f = 0; f < c.n_fields; f++) {
        assert_int_equal(level[f], ps[0].level[f]);
        sum += dedup_level_weight(&m, f, level[f]);
    }
    close_to(w, sum);
    /* the two records share a blocking key */
    const char *kx[DEDUP_RULES_MAX], *ky[DEDUP_RULES_MAX];
    size_t nx = dedup_record_keys(&c, x, &A, kx), ny = dedup_record_keys(&c, y, &A, ky);
    bool meet = false;
    for (size_t i = 0; i < nx; i++) {
        for (size_t j = 0; j < ny; j++) {
            meet = meet || strcmp(kx[i], ky[j]) == 0;
        }
    }
    assert_true(meet);
    /* different first names with one birth date: twins, whatever the weight */
    level[1] = 0;
    level[3] = (int8_t)(dedup_levels(DK_DATE) - 1);
    assert_true(dedup_vetoed(&c, level));
    level[1] = (int8_t)(dedup_levels(DK_FIRST_NAME) - 1);
    assert_false(dedup_vetoed(&c, level));
    free(ps);
    dedup_set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(jaro_winkler_by_code_points, setup, teardown),
        cmocka_unit_test_setup_teardown(one_key_whatever_the_spelling, setup, teardown),
        cmocka_unit_test_setup_teardown(diminutives_to_the_full_name, setup, teardown),
        cmocka_unit_test_setup_teardown(levels_of_each_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(comparison_files, setup, teardown),
        cmocka_unit_test_setup_teardown(a_small_run, setup, teardown),
        cmocka_unit_test_setup_teardown(one_pair_after_a_run, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
