/*
 * city_test.c - cities, one test per class of input (docs/cleaning.md, "Cities"), and the shipped
 * list read back line by line. The wider case set is tests/clean/cities.tsv, measured by
 * bench/clean_accuracy.
 */
#include "helpers.h"

#include "base/tz.h"
#include "clean/clean.h"

struct want {
    const char *in;
    const char *verdict; /* "ok", "corrected", "suspicious", "invalid" */
    const char *value;   /* NULL when invalid */
    const char *code;    /* change (ok/corrected) or reason, NULL: not checked */
};

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

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void check(const struct want *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct clean_out o;
        clean_city(w[i].in, strlen(w[i].in), &A, &o);
        const char *code = o.verdict <= CLEAN_CORRECTED ? o.change : o.reason;
        if (strcmp(clean_verdict_name(o.verdict), w[i].verdict) != 0 ||
            !same(o.value, w[i].value) || (w[i].code != NULL && !same(code, w[i].code))) {
            fail_msg("'%s': want %s %s %s, got %s %s %s", w[i].in, w[i].verdict,
                     w[i].value ? w[i].value : "-", w[i].code ? w[i].code : "-",
                     clean_verdict_name(o.verdict), o.value ? o.value : "-", code ? code : "-");
        }
        if (o.value != NULL) { /* the standard form is stable */
            struct clean_out again;
            clean_city(o.value, strlen(o.value), &A, &again);
            assert_string_equal(again.value, o.value);
            assert_true(again.verdict == CLEAN_OK || again.verdict == CLEAN_SUSPICIOUS);
        }
    }
}

#define CHECK(cases) check(cases, sizeof(cases) / sizeof(cases[0]))

static void listed_names_stay_and_case_is_fixed(void **state)
{
    static const struct want w[] = {
        {"Москва", "ok", "Москва", NULL},
        {" Ростов-на-Дону ", "ok", "Ростов-на-Дону", NULL},
        {"Кимры", "ok", "Кимры", NULL},       /* a small town is never "corrected" to Химки */
        {"Куйбышев", "ok", "Куйбышев", NULL}, /* a town today, not Samara */
        {"москва", "corrected", "Москва", "case"},
        {"ростов на дону", "corrected", "Ростов-на-Дону", "city_name"},
        {"орел", "corrected", "Орёл", "city_name"},
        {"Mосква", "corrected", "Москва", NULL}, /* a Latin M */
        {"нижняя тура", "corrected", "Нижняя Тура", NULL},
        {"Дивеево", "ok", "Дивеево", NULL}, /* not on the list: kept */
        {"дивеево", "corrected", "Дивеево", "case"},
    };
    CHECK(w);
}

static void spellings_and_abbreviations(void **state)
{
    static const struct want w[] = {
        {"мск", "corrected", "Москва", "city_name"},
        {"Питер", "corrected", "Санкт-Петербург", "city_name"},
        {"Н. Новгород", "corrected", "Нижний Новгород", "city_name"},
        {"Петропавловск-Камч.", "corrected", "Петропавловск-Камчатский", "city_name"},
        {"Ростов н/Д", "corrected", "Ростов-на-Дону", "city_name"},
        {"Ст. Оскол", "corrected", "Старый Оскол", "city_name"},
        {"В. Пышма", "corrected", "Верхняя Пышма", "city_name"},
        {"с. Посад", "corrected", "Посад", "type_word"}, /* a village, not Сергиев Посад */
    };
    CHECK(w);
}

static void settlement_types_go(void **state)
{
    static const struct want w[] = {
        {"г. Москва", "corrected", "Москва", "type_word"},
        {"Москва г", "corrected", "Москва", "type_word"},
        {"Москва, г.", "corrected", "Москва", "type_word"},
        {"с. Дивеево", "corrected", "Дивеево", "type_word"},
        {"пгт Шушенское", "corrected", "Шушенское", "type_word"},
        {"п.г.т. Шушенское", "corrected", "Шушенское", "type_word"},
        {"Шушенское пгт", "corrected", "Шушенское", "type_word"},
        {"посёлок городского типа Шушенское", "corrected", "Шушенское", "type_word"},
        {"д. Простоквашино", "corrected", "Простоквашино", "type_word"},
        {"ст-ца Каневская", "corrected", "Каневская", "type_word"},
        {"р.п. Кольцово", "corrected", "Кольцово", "type_word"},
        {"ЗАТО г. Северск", "corrected", "Северск", "type_word"},
    };
    CHECK(w);
}

static void regions_and_countries_go(void **state)
{
    static const struct want w[] = {
        {"Москва, Россия", "corrected", "Москва", "region_dropped"},
        {"Подольск (Московская обл.)", "corrected", "Подольск", "region_dropped"},
        {"Химки МО", "corrected", "Химки", "region_dropped"},
        {"Раменский р-н, д. Заболотье", "corrected", "Заболотье", "region_dropped"},
        {"Подольск Московская обл г", "corrected", "Подольск", "region_dropped"},
        {"Москва, ул. Ленина, д. 5", "corrected", "Москва", "address_dropped"},
        {"Россия", "invalid", NULL, "not_a_city"},
        {"Московская обл.", "invalid", NULL, "region_not_city"},
    };
    CHECK(w);
}

static void junk_is_refused(void **state)
{
    static const struct want w[] = {
        {"-", "invalid", NULL, "placeholder"},
        {"не указан", "invalid", NULL, "placeholder"},
        {"н/д", "invalid", NULL, "placeholder"},
        {"xxx", "invalid", NULL, "placeholder"},
        {"?", "invalid", NULL, "placeholder"},
        {"0", "invalid", NULL, "no_letters"},
        {"город", "invalid", NULL, "no_name"},
        {"г.", "invalid", NULL, "no_name"},
        {"Город 1", "invalid", NULL, "no_letters"},
        {"Ногинск-9", "suspicious", "Ногинск-9", "digits"},
    };
    CHECK(w);
}

static void typos_only_when_one_city_is_near(void **state)
{
    static const struct want w[] = {
        {"Новосибирк", "corrected", "Новосибирск", "typo"},
        {"Екатеренбург", "corrected", "Екатеринбург", "typo"},
        {"Санкт-Питербург", "corrected", "Санкт-Петербург", "typo"},
        {"Иркуцк", "corrected", "Иркутск", "typo"},
        {"Кемерова", "corrected", "Кемерово", "typo"},
        {"Кирово", "ok", "Кирово", NULL},           /* a village's ending */
        {"Николаевка", "ok", "Николаевка", NULL},   /* not Николаевск */
        {"Октябрьское", "ok", "Октябрьское", NULL}, /* not Октябрьский */
        {"Искра", "ok", "Искра", NULL},             /* к for т is no slip: not Истра */
        {"Кировское", "ok", "Кировское", NULL},     /* not Куровское */
        {"Пушкина", "ok", "Пушкина", NULL},         /* Пушкин or Пушкино */
        {"Перм", "ok", "Перм", NULL},               /* too short to tell */
    };
    CHECK(w);
}

static void former_names_are_today_s(void **state)
{
    static const struct want w[] = {
        {"Ленинград", "corrected", "Санкт-Петербург", "former_name"},
        {"Загорск", "corrected", "Сергиев Посад", "former_name"},
        {"Нур-Султан", "corrected", "Астана", "former_name"},
        {"Арзамас-16", "corrected", "Саров", "former_name"},
        {"г. Горький", "corrected", "Нижний Новгород", "former_name"},
        {"Горки", "ok", "Горки", NULL}, /* a village, not Горький */
    };
    CHECK(w);
}

static void latin_letters_and_layout(void **state)
{
    static const struct want w[] = {
        {"Yekaterinburg", "corrected", "Екатеринбург", NULL},
        {"Nizhniy Novgorod", "corrected", "Нижний Новгород", NULL},
        {"Zheleznogorsk", "corrected", "Железногорск", "transliteration"},
        {"Gus-Khrustalny", "corrected", "Гусь-Хрустальный", "transliteration"},
        {"Vjcrdf", "corrected", "Москва", "keyboard_layout"},
        {"Cfyrn-Gtnth,ehu", "corrected", "Санкт-Петербург", "keyboard_layout"},
        {"Berlin", "ok", "Berlin", NULL},
        {"~!Ji", "corrected", "Ош", "keyboard_layout"}, /* found by the fuzzer: read until stable */
    };
    CHECK(w);
}

/* Every line of the shipped list: the name is itself, each spelling and former name is it. */
static void the_list_reads_back(void **state)
{
    const char *dir = getenv("KT_SOURCE_DIR");
    char path[512];
    kt_snprintf(path, sizeof(path), "%s/src/clean/data/cities.tsv", dir ? dir : ".");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int names = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        char *cols[4] = {line, NULL, NULL, NULL};
        for (int c = 1; c < 4 && cols[c - 1] != NULL; c++) {
            char *tab = strchr(cols[c - 1], '\t');
            cols[c] = tab ? (*tab = '\0', tab + 1) : NULL;
        }
        struct want w = {cols[0], "ok", cols[0], NULL};
        check(&w, 1);
        for (int c = 1; c < 3; c++) {
            for (char *p = cols[c]; p != NULL && *p != '\0';) {
                char *comma = strchr(p, ',');
                if (comma != NULL) {
                    *comma = '\0';
                }
                struct want s = {p, "corrected", cols[0], c == 2 ? "former_name" : NULL};
                check(&s, 1);
                p = comma ? comma + 1 : NULL;
            }
        }
        names++;
    }
    fclose(f);
    assert_true(names > 1100);
}

/* Every zone the list names is one of the tz database's, and every town has one. */
static void the_list_s_zones_are_real(void **state)
{
    (void)state;
    const char *dir = getenv("KT_SOURCE_DIR");
    char path[512];
    kt_snprintf(path, sizeof(path), "%s/src/clean/data/cities.tsv", dir ? dir : ".");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int zones = 0, without = 0;
    struct arena a;
    arena_init(&a, 0);
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        bool heading = line[0] == '#';
        char *tab = strchr(line, '\t'), *zone = heading ? tab : NULL;
        for (int c = 1; !heading && tab != NULL && c < 3; c++) {
            tab = strchr(tab + 1, '\t');
            zone = c == 2 ? tab : NULL; /* the fourth column */
        }
        if (zone != NULL) {
            const struct tz *z;
            if (tz_find(zone + 1, NULL, &z, NULL) != KT_OK) {
                fail_msg("cities.tsv: '%s' is not a time zone", zone + 1);
            }
            zones++;
        }
        if (!heading && line[0] != '\0') {
            line[strcspn(line, "\t")] = '\0';
            without += clean_city_zone(line, &a) == NULL; /* a name of towns in two zones */
            arena_release(&a);
        }
    }
    fclose(f);
    arena_release(&a);
    assert_true(zones > 100);
    /* only names of towns in two zones (Троицк of Moscow and of Chelyabinsk, Киров, Мирный):
     * 37 lines of 19 names */
    assert_true(without <= 40);
}

static void cities_have_zones(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    const char *want[][2] = {
        {"Москва", "Europe/Moscow"},
        {"мск", "Europe/Moscow"},
        {"Ленинград", "Europe/Moscow"},
        {"Калининград", "Europe/Kaliningrad"},
        {"г. Владивосток", "Asia/Vladivostok"},
        {"Барнаул", "Asia/Barnaul"},
        {"Горно-Алтайск", "Asia/Barnaul"},
        {"Томск", "Asia/Tomsk"},
        {"Кемерово", "Asia/Novokuznetsk"},
        {"Новосибирск", "Asia/Novosibirsk"},
        {"Ижевск", "Europe/Samara"},
        {"Уфа", "Asia/Yekaterinburg"},
        {"Якутск", "Asia/Yakutsk"},
        {"Среднеколымск", "Asia/Srednekolymsk"},
        {"Петропавловск-Камчатский", "Asia/Kamchatka"},
        {"Анадырь", "Asia/Anadyr"},
        {"Севастополь", "Europe/Simferopol"},
        {"Чита", "Asia/Chita"},
        {"Актобе", "Asia/Aqtobe"},
        {"Алматы", "Asia/Almaty"},
        {"Минск", "Europe/Minsk"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
        const char *z = clean_city_zone(want[i][0], &a);
        if (z == NULL || strcmp(z, want[i][1]) != 0) {
            fail_msg("%s: %s, not %s", want[i][0], z ? z : "none", want[i][1]);
        }
    }
    assert_null(clean_city_zone("Нижняя Тура-12", &a)); /* not listed */
    assert_null(clean_city_zone("", &a));
    assert_null(clean_city_zone(NULL, &a));
    arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listed_names_stay_and_case_is_fixed),
        cmocka_unit_test(spellings_and_abbreviations),
        cmocka_unit_test(settlement_types_go),
        cmocka_unit_test(regions_and_countries_go),
        cmocka_unit_test(junk_is_refused),
        cmocka_unit_test(typos_only_when_one_city_is_near),
        cmocka_unit_test(former_names_are_today_s),
        cmocka_unit_test(latin_letters_and_layout),
        cmocka_unit_test(the_list_reads_back),
        cmocka_unit_test(the_list_s_zones_are_real),
        cmocka_unit_test(cities_have_zones),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
