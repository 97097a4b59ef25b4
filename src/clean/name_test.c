/*
 * name_test.c - full names (ФИО), by class of issue 21: names already standard, order, harmless
 * punctuation, particles and four-word names, gender, placeholders and mash, initials; the parts
 * given alone; the shipped lists. tests/clean/names.tsv holds the wider case set.
 */
#include "helpers.h"

#include "clean/clean.h"
#include "clean/internal.h"
#include "clean/name_internal.h"

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

struct want {
    const char *in;
    const char *verdict; /* "ok", "corrected", "suspicious", "invalid" */
    const char *parts;   /* "last|first|middle", NULL: not checked */
    const char *code;    /* change or reason, NULL: not checked */
    const char *gender;  /* "m", "f", "-", NULL: not checked */
};

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Checks one case and, for a value kept, that cleaning it again changes nothing. */
static void check(const struct want *w)
{
    struct clean_name n;
    clean_full_name(w->in, strlen(w->in), &A, &n);
    const char *verdict = clean_verdict_name(n.out.verdict);
    if (strcmp(verdict, w->verdict) != 0) {
        fail_msg("'%s': want %s, got %s (%s%s)", w->in, w->verdict, verdict, or_empty(n.out.change),
                 or_empty(n.out.reason));
    }
    const char *parts =
        arena_printf(&A, "%s|%s|%s", or_empty(n.last), or_empty(n.first), or_empty(n.middle));
    if (w->parts != NULL && strcmp(parts, w->parts) != 0) {
        fail_msg("'%s': want %s, got %s", w->in, w->parts, parts);
    }
    const char *code = n.out.verdict == CLEAN_CORRECTED ? n.out.change : n.out.reason;
    if (w->code != NULL && (code == NULL || strcmp(code, w->code) != 0)) {
        fail_msg("'%s': want %s, got %s", w->in, w->code, or_empty(code));
    }
    const char *gender = n.gender ? n.gender : "-";
    if (w->gender != NULL && strcmp(gender, w->gender) != 0) {
        fail_msg("'%s': want gender %s, got %s", w->in, w->gender, gender);
    }
    if (n.out.verdict == CLEAN_OK || n.out.verdict == CLEAN_CORRECTED) {
        /* the parts stored apart give the same gender as the whole name did */
        const char *g, *from;
        clean_infer_gender(n.last, n.first, n.middle, &A, &g, &from);
        if (strcmp(g ? g : "-", gender) != 0) {
            fail_msg("'%s': gender %s, of the parts %s", w->in, gender, g ? g : "-");
        }
    }
    if (n.out.verdict != CLEAN_INVALID) {
        struct clean_name again;
        clean_full_name(n.out.value, strlen(n.out.value), &A, &again);
        if (again.out.verdict == CLEAN_INVALID || again.out.verdict == CLEAN_CORRECTED ||
            strcmp(again.out.value, n.out.value) != 0) {
            fail_msg("'%s': '%s' cleaned again is %s '%s'", w->in, n.out.value,
                     clean_verdict_name(again.out.verdict), or_empty(again.out.value));
        }
    }
}

#define CHECK_ALL(cases)                                                                           \
    for (size_t i_ = 0; i_ < sizeof(cases) / sizeof((cases)[0]); i_++) {                           \
        check(&(cases)[i_]);                                                                       \
    }

static void standard_names_are_ok(void **state)
{
    /* the bug: every clean name came back `corrected` with change "split" */
    static const struct want cases[] = {
        {"Иванов Иван Иванович", "ok", "Иванов|Иван|Иванович", NULL, "m"},
        {"Петрова Анна Сергеевна", "ok", "Петрова|Анна|Сергеевна", NULL, "f"},
        {"Сидоров Пётр", "ok", "Сидоров|Пётр|", NULL, "m"},
        {"Иван Иванович", "ok", "|Иван|Иванович", NULL, "m"},
        {"Смирнова", "ok", "Смирнова||", NULL, "f"},
        {"Римский-Корсаков Николай Андреевич", "ok", NULL, NULL, "m"},
        {"Хачатурян Арам Ильич", "ok", "Хачатурян|Арам|Ильич", NULL, "m"},
        {"Джугашвили Иосиф Виссарионович", "ok", NULL, NULL, "m"},
        {"Галиева Гульнара Ильдаровна", "ok", NULL, NULL, "f"},
        {"Ким Сергей Николаевич", "ok", "Ким|Сергей|Николаевич", NULL, "m"},
        {"Шостакович Дмитрий Дмитриевич", "ok", "Шостакович|Дмитрий|Дмитриевич", NULL, "m"},
        {"Токаев Касым-Жомарт Кемелевич", "ok", NULL, NULL, "m"},
        {"Ivanov Ivan Ivanovich", "ok", "Ivanov|Ivan|Ivanovich", NULL, "m"},
        {"  Иванов Иван  ", "ok", "Иванов|Иван|", NULL, "m"}, /* outer spaces are no change */
    };
    CHECK_ALL(cases);
    struct clean_name n;
    clean_full_name("Иванов Иван Иванович", strlen("Иванов Иван Иванович"), &A, &n);
    assert_null(n.out.change);
}

static void order_is_scored_not_positional(void **state)
{
    static const struct want cases[] = {
        {"Иванов Иванович Иван", "corrected", "Иванов|Иван|Иванович", "order", "m"},
        {"Иван Иванов Иванович", "corrected", "Иванов|Иван|Иванович", "order", "m"},
        {"Иван Иванович Иванов", "corrected", "Иванов|Иван|Иванович", "order", "m"},
        {"Сергеевна Анна Петрова", "corrected", "Петрова|Анна|Сергеевна", "order", "f"},
        {"Анна Петрова", "corrected", "Петрова|Анна|", "order", "f"},
        {"Тигран Гаспарян", "corrected", "Гаспарян|Тигран|", "order", "m"},
        {"Сергей Ким", "corrected", "Ким|Сергей|", "order", "m"},
        {"Роман Аркадьевич Абрамович", "corrected", "Абрамович|Роман|Аркадьевич", "order", "m"},
        {"Ivan Ivanov", "corrected", "Ivanov|Ivan|", "order", "m"},
        {"Петровна Ирина", "corrected", "|Ирина|Петровна", "order", "f"},
        /* when nothing tells, the typed order stands */
        {"Роман Денис", "ok", "Роман|Денис|", NULL, "m"},
        {"Ким Саша", "ok", "Ким|Саша|", NULL, "-"},
        {"Петрович Иван", "ok", "Петрович|Иван|", NULL, "m"},
    };
    CHECK_ALL(cases);
}

static void harmless_punctuation_is_tidied(void **state)
{
    static const struct want cases[] = {
        {"Иванов, Иван Иванович", "corrected", "Иванов|Иван|Иванович", "punctuation", "m"},
        {"Иванов Иван Иванович.", "corrected", "Иванов|Иван|Иванович", "punctuation", "m"},
        {"Иванов,Иван,Иванович,", "corrected", "Иванов|Иван|Иванович", "punctuation", "m"},
        {"Иванова - Петрова Анна", "corrected", "Иванова-Петрова|Анна|", "punctuation", "f"},
        {"Иванова – Петрова Анна", "corrected", "Иванова-Петрова|Анна|", "punctuation", "f"},
        {"Иванов - Иван", "corrected", "Иванов|Иван|", "punctuation", "m"},
        {"Иванов-Иван", "corrected", "Иванов|Иван|", "punctuation", "m"},
        {"Склодовская-Кюри Мария", "ok", "Склодовская-Кюри|Мария|", NULL, "f"},
        {"Склодовская-Кюри", "ok", "Склодовская-Кюри||", NULL, "f"},
        {"«Петрова Анна»", "corrected", "Петрова|Анна|", "punctuation", "f"},
        {"Иванов Иван (Ваня)", "corrected", "Иванов|Иван|", "bracketed_dropped", "m"},
        {"Иванова (Петрова) Анна", "corrected", "Иванова|Анна|", "bracketed_dropped", "f"},
        {"(Иванов) Иван Иванович", "corrected", "Иванов|Иван|Иванович", "punctuation", "m"},
        {"Д’Артаньян Шарль", "corrected", "Д'Артаньян|Шарль|", "punctuation", "m"},
        {"Иван\u200bов Иван", "corrected", "Иванов|Иван|", "invisible_characters", "m"},
        {"Иванов  Иван", "corrected", "Иванов|Иван|", "spacing", "m"},
        {"г-н Иванов Иван", "corrected", "Иванов|Иван|", "title_dropped", "m"},
    };
    CHECK_ALL(cases);
    /* what is not harmless is still refused */
    struct clean_name n;
    clean_full_name("Иванов1 Иван", strlen("Иванов1 Иван"), &A, &n);
    assert_string_equal(n.out.reason, "digits");
    clean_full_name("Иван @ Иванов", strlen("Иван @ Иванов"), &A, &n);
    assert_string_equal(n.out.reason, "bad_character");
}

static void particles_and_four_word_names(void **state)
{
    static const struct want cases[] = {
        {"фон Мекк Надежда Филаретовна", "ok", "фон Мекк|Надежда|Филаретовна", NULL, "f"},
        {"Надежда Филаретовна фон Мекк", "corrected", "фон Мекк|Надежда|Филаретовна", "order", "f"},
        {"ФОН МЕКК НАДЕЖДА", "corrected", "фон Мекк|Надежда|", NULL, "f"},
        {"Людвиг ван Бетховен", "corrected", "ван Бетховен|Людвиг|", "order", "m"},
        {"фон дер Пален Пётр", "ok", "фон дер Пален|Пётр|", NULL, "m"},
        {"Каримов Рустам Шавкат угли", "ok", "Каримов|Рустам|Шавкат угли", NULL, "m"},
        {"Юлдашева Нигора Бахтиёр кизи", "ok", "Юлдашева|Нигора|Бахтиёр кизи", NULL, "f"},
        {"Мамедов Али Гусейн Оглы", "corrected", "Мамедов|Али|Гусейн оглы", "case", "m"},
        {"Токтогулов Азамат Нурбек уулу", "ok", NULL, NULL, "m"},
        {"Хасан ибн Али", "ok", "|Хасан|ибн Али", NULL, "m"},
        {"Алиев Магомед Расул Ахмедович", "ok", "Алиев|Магомед Расул|Ахмедович", NULL, "m"},
        {"Иванов Иван Иванович Петрович", "invalid", NULL, "too_many_parts", NULL},
        {"А. кызы", "invalid", NULL, "bad_particle", NULL},
    };
    CHECK_ALL(cases);
}

static void gender_follows_the_grammar(void **state)
{
    static const struct want cases[] = {
        {"Анна Кузьмич", "corrected", "Кузьмич|Анна|", "order", "f"},
        {"Ольга Бабич", "corrected", "Бабич|Ольга|", "order", "f"},
        {"Иван Кузьмич", "ok", "|Иван|Кузьмич", NULL, "m"},
        {"Ким Саша", "ok", NULL, NULL, "-"},
        {"Женя Петрова", "corrected", "Петрова|Женя|", "order", "f"},
        {"Саргсян Ашот", "ok", NULL, NULL, "m"},
        {"Акопян Гаяне", "ok", NULL, NULL, "f"},
        {"Беридзе Гиви", "ok", NULL, NULL, "m"},
        {"Гелашвили Нино", "ok", NULL, NULL, "f"},
        {"Джапаридзе Тамар", "ok", NULL, NULL, "f"},
        {"Мамедова Айгюн", "ok", NULL, NULL, "f"},
        {"Рахимова Дильноза", "ok", NULL, NULL, "f"},
        {"Шевченко", "ok", NULL, NULL, "-"},
        {"Щербина Игорь", "ok", NULL, NULL, "m"}, /* the first name over the surname's ending */
    };
    CHECK_ALL(cases);
    const char *g, *from;
    clean_infer_gender(NULL, "Анна", "Кузьмич", &A, &g, &from); /* parts given apart */
    assert_null(g);
    clean_infer_gender("Иванова", "Саша", NULL, &A, &g, &from);
    assert_string_equal(g, "f");
    assert_string_equal(from, "surname");
    clean_infer_gender("Ким", "Саша", NULL, &A, &g, &from);
    assert_null(g);
    assert_null(from);
}

static void placeholders_and_mash(void **state)
{
    static const struct want cases[] = {
        {"null", "invalid", NULL, "no_name", NULL},
        {"не указано", "invalid", NULL, "no_name", NULL},
        {"Ф.И.О.", "invalid", NULL, "no_name", NULL},
        {"-", "invalid", NULL, "no_name", NULL},
        {"н/д", "invalid", NULL, "no_name", NULL},
        {"null ИП", "invalid", NULL, "no_name", NULL},
        {"Клиент", "suspicious", "Клиент||", "placeholder_name", "-"},
        {"Тест Тестович", "suspicious", NULL, "placeholder_name", "-"},
        {"Qwerty", "suspicious", "Qwerty||", "keyboard_mash", "-"},
        {"asdf", "suspicious", "asdf||", "keyboard_mash", NULL}, /* never title-cased */
        {"ФЫВА", "suspicious", "ФЫВА||", "keyboard_mash", NULL},
        {"ИвановИванИванович", "suspicious", NULL, "run_together", "-"},
        {"иванованнаивановна", "suspicious", "иванованнаивановна||", "run_together", "-"},
        {"ООО Ромашка", "suspicious", NULL, "organisation", NULL},
        /* near misses stay names */
        {"Беридзе Нана", "ok", NULL, NULL, "f"},
        {"Мкртчян Ашот", "ok", NULL, NULL, "m"},
        {"Абдулмаликов Магомед", "ok", NULL, NULL, "m"},
        {"Смит Джон", "ok", NULL, NULL, "m"},
        {"Тестоедов Иван", "ok", NULL, NULL, "m"},
    };
    CHECK_ALL(cases);
}

static void initials_keep_their_dots(void **state)
{
    static const struct want cases[] = {
        {"Иванов И.И.", "ok", "Иванов|И.|И.", NULL, "m"},
        {"Иванов И. И.", "ok", "Иванов|И.|И.", NULL, "m"},
        {"Иванов И.И", "corrected", "Иванов|И.|И.", "punctuation", "m"},
        {"Иванов И И", "corrected", "Иванов|И.|И.", "punctuation", "m"},
        {"И.И. Иванов", "corrected", "Иванов|И.|И.", "order", "m"},
        {"Иванов И.И..", "corrected", "Иванов|И.|И.", "punctuation", "m"},
        {"И.И.", "suspicious", NULL, "initials_only", NULL},
    };
    CHECK_ALL(cases);
    struct clean_name n;
    clean_full_name("И.И. Иванов", strlen("И.И. Иванов"), &A, &n);
    assert_string_equal(n.out.value, "Иванов И.И."); /* typed together, kept together */
}

static void parts_given_alone(void **state)
{
    static const struct {
        enum name_part part;
        const char *in, *verdict, *value_or_reason;
    } cases[] = {
        {NAME_LAST, "Иванов", "ok", "Иванов"},
        {NAME_LAST, "иванов.", "corrected", "Иванов"},
        {NAME_LAST, "фон Мекк", "ok", "фон Мекк"},
        {NAME_LAST, "Иванова - Петрова", "corrected", "Иванова-Петрова"},
        {NAME_LAST, "Иванов Петров", "invalid", "several_words"},
        {NAME_FIRST, "алёна", "corrected", "Алёна"},
        {NAME_FIRST, "Анна Мария", "ok", "Анна Мария"},
        {NAME_FIRST, "Фыва", "suspicious", "Фыва"},
        {NAME_MIDDLE, "Гусейн оглы", "ok", "Гусейн оглы"},
        {NAME_MIDDLE, "Шавкат угли", "ok", "Шавкат угли"},
        {NAME_MIDDLE, "-", "invalid", "no_name"},
        {NAME_MIDDLE, "нет", "invalid", "no_name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct clean_out o;
        clean_name_part(cases[i].part, cases[i].in, strlen(cases[i].in), &A, &o);
        const char *got = o.verdict == CLEAN_INVALID ? o.reason : o.value;
        if (strcmp(clean_verdict_name(o.verdict), cases[i].verdict) != 0 ||
            strcmp(got, cases[i].value_or_reason) != 0) {
            fail_msg("part '%s': want %s '%s', got %s '%s'", cases[i].in, cases[i].verdict,
                     cases[i].value_or_reason, clean_verdict_name(o.verdict), got);
        }
    }
}

static void patronymics_come_from_first_names(void **state)
{
    static const struct {
        const char *key;
        int level, sex;
    } cases[] = {
        {"иванович", 3, NAME_MALE},     {"сергеевна", 3, NAME_FEMALE},
        {"игоревич", 3, NAME_MALE},     {"юрьевна", 3, NAME_FEMALE},
        {"павлович", 3, NAME_MALE},     {"львович", 3, NAME_MALE},
        {"яковлевич", 3, NAME_MALE},    {"михайлович", 3, NAME_MALE},
        {"кузьмич", 3, NAME_MALE},      {"ильинична", 3, NAME_FEMALE},
        {"никитична", 3, NAME_FEMALE},  {"шостакович", 2, NAME_MALE},
        {"бабич", 1, NAME_MALE},        {"гусейн оглы", 3, NAME_MALE},
        {"рашид кызы", 3, NAME_FEMALE}, {"ибн али", 3, NAME_MALE},
        {"иванов", 0, NAME_NONE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int sex;
        int level = name_patronymic(cases[i].key, &sex);
        if (level != cases[i].level || sex != cases[i].sex) {
            fail_msg("'%s': want %d/%d, got %d/%d", cases[i].key, cases[i].level, cases[i].sex,
                     level, sex);
        }
    }
}

/* Every line of a shipped list: one entry, letters (and a hyphen or apostrophe), unique. */
static void check_list(const char *name)
{
    const char *dir = getenv("KT_SOURCE_DIR");
    if (dir == NULL) {
        skip();
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/src/clean/data/%s", dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    const char *seen[4096];
    size_t n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        if (strpbrk(line, " \t,;.0123456789") != NULL) {
            fail_msg("%s: '%s' is not one name", name, line);
        }
        const char *key = clean_fold(line, &A);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(seen[i], key) == 0) {
                fail_msg("%s: '%s' twice", name, line);
            }
        }
        assert_true(n < sizeof(seen) / sizeof(seen[0]));
        seen[n++] = key;
    }
    fclose(f);
    assert_true(n > 10);
}

static void shipped_lists_load_and_are_unique(void **state)
{
    assert_true(data_load());
    check_list("names_male.txt");
    check_list("names_female.txt");
    check_list("surnames.txt");
    enum name_sex sex;
    assert_non_null(data_first_name("саша", &sex));
    assert_int_equal(sex, NAME_BOTH); /* in both lists: tells no gender */
    assert_true(data_surname("ким"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(standard_names_are_ok),
        cmocka_unit_test(order_is_scored_not_positional),
        cmocka_unit_test(harmless_punctuation_is_tidied),
        cmocka_unit_test(particles_and_four_word_names),
        cmocka_unit_test(gender_follows_the_grammar),
        cmocka_unit_test(placeholders_and_mash),
        cmocka_unit_test(initials_keep_their_dots),
        cmocka_unit_test(parts_given_alone),
        cmocka_unit_test(patronymics_come_from_first_names),
        cmocka_unit_test(shipped_lists_load_and_are_unique),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
