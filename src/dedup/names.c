/*
 * names.c - Russian first names' diminutives and short forms (dedup.h). The table holds the
 * forms a cashier or a customer types instead of the passport name, folded as the cleaner folds
 * ("ё" as "е"), and the spelling variants of one name (Наталия/Наталья). A form shared by two
 * names gives one of them (Слава: Вячеслав, though a Ярослав is Слава too): the comparison then
 * counts it as a weaker level than a match of the names themselves.
 */
#include <stdlib.h>
#include <string.h>

#include "clean/clean.h"
#include "dedup/dedup.h"

static const struct {
    const char *form, *full;
} forms[] = {
    {"алекс", "александр"}, {"алена", "елена"},     {"алеша", "алексей"},    {"андрюша", "андрей"},
    {"аня", "анна"},        {"боря", "борис"},      {"валя", "валентина"},   {"вика", "виктория"},
    {"витя", "виктор"},     {"влад", "владислав"},  {"вова", "владимир"},    {"володя", "владимир"},
    {"галя", "галина"},     {"гена", "геннадий"},   {"гриша", "григорий"},   {"дария", "дарья"},
    {"даша", "дарья"},      {"дима", "дмитрий"},    {"женя", "евгений"},     {"ира", "ирина"},
    {"катя", "екатерина"},  {"коля", "николай"},    {"костя", "константин"}, {"ксюша", "ксения"},
    {"лена", "елена"},      {"леня", "леонид"},     {"лера", "валерия"},     {"леха", "алексей"},
    {"леша", "алексей"},    {"лиза", "елизавета"},  {"люба", "любовь"},      {"маня", "мария"},
    {"марья", "мария"},     {"маша", "мария"},      {"миша", "михаил"},      {"митя", "дмитрий"},
    {"надя", "надежда"},    {"настя", "анастасия"}, {"ната", "наталья"},     {"наталия", "наталья"},
    {"наташа", "наталья"},  {"оля", "ольга"},       {"паша", "павел"},       {"петя", "петр"},
    {"поля", "полина"},     {"рома", "роман"},      {"саня", "александр"},   {"саша", "александр"},
    {"света", "светлана"},  {"серега", "сергей"},   {"сережа", "сергей"},    {"слава", "вячеслав"},
    {"соня", "софья"},      {"софия", "софья"},     {"стас", "станислав"},   {"таня", "татьяна"},
    {"тема", "артем"},      {"толя", "анатолий"},   {"федя", "федор"},       {"шура", "александр"},
    {"юля", "юлия"},        {"юра", "юрий"},        {"ваня", "иван"},
};

const char *dedup_first_name_full(const char *name, struct arena *a)
{
    struct clean_out out;
    clean_name_part(NAME_FIRST, name, strlen(name), a, &out);
    if (out.value == NULL || out.value[0] == '\0') {
        return NULL;
    }
    const char *key = clean_name_part_key(out.value, a);
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (strcmp(forms[i].form, key) == 0) {
            return forms[i].full;
        }
    }
    return key;
}
