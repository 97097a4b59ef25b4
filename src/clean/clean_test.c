/*
 * clean_test.c - standard forms of phones, e-mails, text, dates and gender.
 */
#include "helpers.h"

#include "clean/clean.h"

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

static const char *phone(const char *in)
{
    struct clean_phone p;
    clean_phone(in, strlen(in), &A, &p);
    return p.out.verdict == CLEAN_INVALID ? p.out.reason : p.out.value;
}

static void phones_to_e164(void **state)
{
    assert_string_equal(phone("8 (916) 123-45-67"), "+79161234567");
    assert_string_equal(phone("+7 916 1234567"), "+79161234567");
    assert_string_equal(phone("89161234567"), "+79161234567");
    assert_string_equal(phone("9161234567"), "+79161234567");
    assert_string_equal(phone("79161234567"), "+79161234567");
    assert_string_equal(phone("тел. 8-916-123-45-67"), "+79161234567");
    assert_string_equal(phone("+7 (495) 123-45-67 доб. 139"), "+74951234567");
    assert_string_equal(phone("8 800 555-35-35"), "+78005553535");
    assert_string_equal(phone("810 44 20 7946 0000"), "+442079460000");
    assert_string_equal(phone("0044 20 7946 0000"), "+442079460000");
    assert_string_equal(phone("+375 29 123-45-67"), "+375291234567");
    assert_string_equal(phone("+7 701 123 4567"), "+77011234567");
    assert_string_equal(phone("+79161234567"), "+79161234567");
}

static void phones_refused(void **state)
{
    assert_string_equal(phone(""), "empty");
    assert_string_equal(phone("12345"), "too_short");
    assert_string_equal(phone("+7 916 123 45"), "too_short");
    assert_string_equal(phone("+7 916 123 45 678"), "too_long");
    assert_string_equal(phone("+7 516 123 45 67"), "impossible_code");
    assert_string_equal(phone("+999 123 456 789"), "unknown_country_code");
    assert_string_equal(phone("+375 29 123-45-6"), "too_short");
    assert_string_equal(phone("8916abc4567"), "not_a_number");
    assert_string_equal(phone("++79161234567"), "not_a_number");
    assert_string_equal(phone("not a phone"), "not_a_number");
}

static void phone_type_and_extension(void **state)
{
    struct clean_phone p;
    const char *ext = "+7 (495) 123-45-67 доб. 139";
    clean_phone(ext, strlen(ext), &A, &p);
    assert_int_equal(p.type, PHONE_LANDLINE);
    assert_string_equal(p.extension, "139");
    assert_string_equal(p.country, "RU");
    clean_phone("89161234567", 11, &A, &p);
    assert_int_equal(p.type, PHONE_MOBILE);
    assert_int_equal(p.out.verdict, CLEAN_CORRECTED);
    clean_phone("+79161234567", 12, &A, &p);
    assert_int_equal(p.out.verdict, CLEAN_OK);
    clean_phone("+77011234567", 12, &A, &p);
    assert_string_equal(p.country, "KZ");
    assert_int_equal(p.type, PHONE_MOBILE);
}

static const char *email(const char *in, const char **display)
{
    struct clean_email e;
    clean_email(in, strlen(in), &A, &e);
    if (display) {
        *display = e.display;
    }
    return e.out.verdict == CLEAN_INVALID ? e.out.reason : e.out.value;
}

static void emails_standardised(void **state)
{
    const char *d;
    assert_string_equal(email("  Ivan.Petrov@Mail.RU ", &d), "ivan.petrov@mail.ru");
    assert_string_equal(d, "ivan.petrov@mail.ru");
    assert_string_equal(email("иван@пример.рф", &d), "иван@xn--e1afmkfd.xn--p1ai");
    assert_string_equal(d, "иван@пример.рф");
    assert_string_equal(email("a+tag@sub.example.com.", NULL), "a+tag@sub.example.com");
    /* A stored key back to the form the profile shows (identifiers, history). */
    assert_string_equal(clean_email_display("иван@xn--e1afmkfd.xn--p1ai", &A), "иван@пример.рф");
    assert_string_equal(clean_email_display("ivan@mail.ru", &A), "ivan@mail.ru");
    assert_string_equal(clean_email_display("a@xn--p1ai.xn--e1afmkfd.xn--p1ai", &A),
                        "a@рф.пример.рф");
    assert_null(clean_email_display(NULL, &A));
}

static void emails_refused(void **state)
{
    assert_string_equal(email("ivan", NULL), "no_at_sign");
    assert_string_equal(email("ivan@", NULL), "no_domain");
    assert_string_equal(email("@mail.ru", NULL), "no_local_part");
    assert_string_equal(email("ivan@localhost", NULL), "bad_domain");
    assert_string_equal(email("iv..an@mail.ru", NULL), "bad_local_part");
    assert_string_equal(email(".ivan@mail.ru", NULL), "bad_local_part");
    assert_string_equal(email("ivan@-shop.ru", NULL), "bad_domain");
    assert_string_equal(email("ivan@mail.123", NULL), "bad_domain");
    assert_string_equal(email("\"iv an\"@mail.ru", NULL), "contains_space");
    assert_string_equal(email("\"ivan\"@mail.ru", NULL), "quoted_local_part");
    assert_string_equal(email("ivan@[127.0.0.1]", NULL), "ip_literal");
    assert_string_equal(email("iv an@mail.ru", NULL), "contains_space");
    char local[80];
    memset(local, 'a', 65);
    kt_strlcpy(local + 65, "@mail.ru", sizeof(local) - 65);
    assert_string_equal(email(local, NULL), "bad_local_part");
}

static const char *text(const char *in, size_t max)
{
    struct clean_out t;
    clean_text(in, strlen(in), max, &A, &t);
    return t.verdict == CLEAN_INVALID ? t.reason : t.value;
}

static void text_is_trimmed_folded_and_nfc(void **state)
{
    assert_string_equal(text("  Анна   Мария \t", 100), "Анна Мария");
    assert_string_equal(text("Анна\xc2\xa0Мария", 100), "Анна Мария"); /* no-break space */
    /* "й" as и + combining breve becomes the one precomposed letter */
    assert_string_equal(text("\xd0\xb8\xcc\x86", 100), "\xd0\xb9");
    assert_string_equal(text("   ", 100), "empty");
    assert_string_equal(text("abc\x01", 100), "control_character");
    assert_string_equal(text("ab\xff", 100), "invalid_utf8");
    assert_string_equal(text("abcdef", 5), "too_long");
    struct clean_out t;
    clean_text("Анна", strlen("Анна"), 100, &A, &t);
    assert_int_equal(t.verdict, CLEAN_OK);
}

static void utf8_validation(void **state)
{
    assert_true(clean_utf8_valid("привет", strlen("привет")));
    assert_false(clean_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(clean_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(clean_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(clean_utf8_valid("\xd0", 1));             /* cut short */
    assert_true(clean_utf8_valid("\xf0\x9f\x98\x80", 4));
}

static const char *date(const char *in, long long today)
{
    struct clean_out t;
    clean_birth_date(in, strlen(in), today, &A, &t);
    return t.verdict == CLEAN_INVALID ? t.reason : t.value;
}

static void dates_in_every_usual_form(void **state)
{
    long long today = 20416; /* 2025-11-24 */
    const char *forms[] = {"1985-03-24",    "24.03.1985",    "24/3/85",      "19850324",
                           "24031985",      "24 марта 1985", "24 мар. 1985", "24-03-1985",
                           "24 March 1985", " 24.3.1985 "};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        assert_string_equal(date(forms[i], today), "1985-03-24");
    }
    assert_string_equal(date("5 мая 2001", today), "2001-05-05");
    assert_string_equal(date("01.02.10", today), "2010-02-01"); /* two digits: not in future */
    assert_string_equal(date("1985-02-30", today), "no_such_date");
    assert_string_equal(date("2030-01-01", today), "in_future");
    assert_string_equal(date("2015-01-01", today), "under_14");
    assert_string_equal(date("2011-11-25", today), "under_14"); /* 14 tomorrow */
    assert_string_equal(date("2011-11-24", today), "2011-11-24");
    assert_string_equal(date("1910-01-01", today), "over_110");
    assert_string_equal(date("not a date", today), "not_a_date");
    struct clean_out t;
    clean_birth_date("1985-03-24", 10, today, &A, &t);
    assert_int_equal(t.verdict, CLEAN_OK);
    clean_birth_date("24.03.1985", 10, today, &A, &t);
    assert_int_equal(t.verdict, CLEAN_CORRECTED);
    clean_birth_date("01.01.1970", 10, today, &A, &t);
    assert_int_equal(t.verdict, CLEAN_SUSPICIOUS);
    assert_string_equal(t.reason, "placeholder_date");
    clean_gender("Ж", strlen("Ж"), &A, &t);
    assert_string_equal(t.value, "f");
    clean_gender("male", 4, &A, &t);
    assert_string_equal(t.value, "m");
    clean_gender("x", 1, &A, &t);
    assert_int_equal(t.verdict, CLEAN_INVALID);
}

static void full_names_are_split_in_any_order(void **state)
{
    struct clean_name n;
    static const struct {
        const char *in, *last, *first, *middle, *gender, *from;
    } cases[] = {
        {"Иванов Иван Иванович", "Иванов", "Иван", "Иванович", "m", "patronymic"},
        {"Иван Иванович Иванов", "Иванов", "Иван", "Иванович", "m", "patronymic"},
        {"иванов иван", "Иванов", "Иван", NULL, "m", "first_name"},
        {"  ПЕТРОВА   анна  сергеевна ", "Петрова", "Анна", "Сергеевна", "f", "patronymic"},
        {"Анна Петрова", "Петрова", "Анна", NULL, "f", "first_name"},
        {"Смирнова", "Смирнова", NULL, NULL, "f", "surname"},
        {"Иван Иванович", NULL, "Иван", "Иванович", "m", "patronymic"},
        {"Ivanov Ivan", "Ivanov", "Ivan", NULL, "m", "first_name"},
        {"Bdfyjd Bdfy", "Иванов", "Иван", NULL, "m", "first_name"},
        {"Мамедов Али Гусейн оглы", "Мамедов", "Али", "Гусейн оглы", "m", "patronymic"},
        {"Петрова-Водкина Алёна", "Петрова-Водкина", "Алёна", NULL, "f", "first_name"},
        {"Иванoв Иван", "Иванов", "Иван", NULL, "m", "first_name"}, /* Latin o */
        {"Дмитрий Дмитриевич Шостакович", "Шостакович", "Дмитрий", "Дмитриевич", "m",
         "patronymic"}, /* an -ович surname */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clean_full_name(cases[i].in, strlen(cases[i].in), &A, &n);
        if (n.out.verdict == CLEAN_INVALID) {
            fail_msg("case %zu refused: %s", i, n.out.reason);
        }
        const char *got[] = {n.last, n.first, n.middle, n.gender, n.gender_from};
        const char *want[] = {cases[i].last, cases[i].first, cases[i].middle, cases[i].gender,
                              cases[i].from};
        for (int k = 0; k < 5; k++) {
            if ((got[k] == NULL) != (want[k] == NULL) ||
                (got[k] != NULL && strcmp(got[k], want[k]) != 0)) {
                fail_msg("case %zu part %d: want %s, got %s", i, k, want[k] ? want[k] : "-",
                         got[k] ? got[k] : "-");
            }
        }
    }
    clean_full_name("Иванов1 Иван", strlen("Иванов1 Иван"), &A, &n);
    assert_string_equal(n.out.reason, "digits");
    clean_full_name("Иван @ Иванов", strlen("Иван @ Иванов"), &A, &n);
    assert_string_equal(n.out.reason, "bad_character");
    clean_full_name("Тест Тестович", strlen("Тест Тестович"), &A, &n);
    assert_int_equal(n.out.verdict, CLEAN_SUSPICIOUS);
    assert_string_equal(n.out.reason, "placeholder_name");
    clean_full_name("Ivanov Ivan", strlen("Ivanov Ivan"), &A, &n);
    assert_true(n.latin);
}

static void name_parts_and_keys(void **state)
{
    struct clean_out t;
    clean_name_part(NAME_FIRST, "алёна", strlen("алёна"), &A, &t);
    assert_string_equal(t.value, "Алёна"); /* ё is kept */
    assert_int_equal(t.verdict, CLEAN_CORRECTED);
    clean_name_part(NAME_LAST, "Иванов", strlen("Иванов"), &A, &t);
    assert_int_equal(t.verdict, CLEAN_OK);
    clean_name_part(NAME_LAST, "Иванов Петров", strlen("Иванов Петров"), &A, &t);
    assert_string_equal(t.reason, "several_words");
    clean_name_part(NAME_FIRST, "Фыва", strlen("Фыва"), &A, &t);
    assert_int_equal(t.verdict, CLEAN_SUSPICIOUS);
    /* ё matches е, and a Latin spelling matches the Cyrillic one */
    assert_string_equal(clean_name_key("Артёмов", "Алёна", NULL, &A),
                        clean_name_key("Артемов", "Алена", NULL, &A));
    assert_string_equal(clean_name_key("Ivanov", "Ivan", NULL, &A),
                        clean_name_key("Иванов", "Иван", NULL, &A));
    assert_null(clean_name_key(NULL, "Иван", NULL, &A));
}

static void cities_by_any_spelling(void **state)
{
    const char *std[][2] = {{"мск", "Москва"},
                            {"г. Москва", "Москва"},
                            {"Moscow", "Москва"},
                            {"Питер", "Санкт-Петербург"},
                            {"ростов на дону", "Ростов-на-Дону"},
                            {"город Казань", "Казань"},
                            {"нижняя тура", "Нижняя Тура"},
                            {"орел", "Орёл"}};
    for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++) {
        struct clean_out t;
        clean_city(std[i][0], strlen(std[i][0]), &A, &t);
        assert_string_equal(t.value, std[i][1]);
    }
}

static void phones_and_emails_flagged(void **state)
{
    struct clean_phone p;
    clean_phone("+7 999 999-99-99", 16, &A, &p);
    assert_int_equal(p.out.verdict, CLEAN_SUSPICIOUS);
    assert_string_equal(p.out.reason, "repeated_digits");
    clean_phone("8 (916) 123-45-67", strlen("8 (916) 123-45-67"), &A, &p);
    assert_int_equal(p.out.verdict, CLEAN_CORRECTED);
    assert_string_equal(p.out.change, "trunk_prefix_8");
    assert_int_equal(p.type, PHONE_MOBILE);
    const char *fixes[][2] = {{"ivan@mail.ri", "ivan@mail.ru"},
                              {"ivan@gmial.com", "ivan@gmail.com"},
                              {"ivan@yandex/ru", "ivan@yandex.ru"},
                              {"ivan@mailru", "ivan@mail.ru"},
                              {"ivan@ya.ru", "ivan@ya.ru"}};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(email(fixes[i][0], NULL), fixes[i][1]);
    }
    const char *flagged[][2] = {{"info@shop.ru", "role_address"},
                                {"noreply@shop.ru", "role_address"},
                                {"test@test.ru", "placeholder_address"},
                                {"a@a.ru", "placeholder_address"},
                                {"x@mailinator.com", "disposable_domain"}};
    for (size_t i = 0; i < 5; i++) {
        struct clean_email e;
        clean_email(flagged[i][0], strlen(flagged[i][0]), &A, &e);
        assert_int_equal(e.out.verdict, CLEAN_SUSPICIOUS);
        assert_string_equal(e.out.reason, flagged[i][1]);
    }
    assert_string_equal(email("ivan@b.test", NULL), "special_use_domain");
    assert_string_equal(email("ИВАН@почта.рф", NULL), "иван@xn--80a1acny.xn--p1ai");
}

static void cleaning_is_idempotent(void **state)
{
    const char *phones[] = {"8 (916) 123-45-67", "+375 29 123-45-67", "810 44 20 7946 0000"};
    for (size_t i = 0; i < 3; i++) {
        const char *once = phone(phones[i]);
        assert_string_equal(phone(once), once);
    }
    const char *d;
    email("Иван@Пример.РФ", &d);
    const char *d2;
    email(d, &d2);
    assert_string_equal(d, d2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(phones_to_e164),
        cmocka_unit_test(phones_refused),
        cmocka_unit_test(phone_type_and_extension),
        cmocka_unit_test(emails_standardised),
        cmocka_unit_test(emails_refused),
        cmocka_unit_test(text_is_trimmed_folded_and_nfc),
        cmocka_unit_test(utf8_validation),
        cmocka_unit_test(dates_in_every_usual_form),
        cmocka_unit_test(full_names_are_split_in_any_order),
        cmocka_unit_test(name_parts_and_keys),
        cmocka_unit_test(cities_by_any_spelling),
        cmocka_unit_test(phones_and_emails_flagged),
        cmocka_unit_test(cleaning_is_idempotent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
