/*
 * fields.c - the profile's fields of the pages (fields.h).
 */
#include "pages/fields.h"

const struct pages_field pages_fields[PAGES_FIELDS_N] = {
    {PF_PHONE, "phone", "Телефон", "tel", "tel",
     "Проверьте номер телефона: нужен мобильный номер, например +7 900 123-45-67"},
    {PF_FIRST_NAME, "first_name", "Имя", "text", "given-name",
     "Проверьте, как написано имя: только буквы, дефис и пробел"},
    {PF_LAST_NAME, "last_name", "Фамилия", "text", "family-name",
     "Проверьте, как написана фамилия: только буквы, дефис и пробел"},
    {PF_BIRTH_DATE, "birth_date", "Дата рождения", "date", "bday",
     "Проверьте дату рождения: день, месяц и год, не позже сегодняшнего дня"},
    {PF_EMAIL, "email", "Электронная почта", "email", "email",
     "Это не похоже на адрес электронной почты: проверьте, нет ли опечатки"},
};
