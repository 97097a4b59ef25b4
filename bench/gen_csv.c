/*
 * gen_csv.c - writes N synthetic customers as a CSV the way a Russian Excel export looks
 * (';', day-first dates, phones with brackets and dashes, full names in one column), for the
 * import benchmark. The people are synth.h's, with phones under +7 PREFIX.
 *
 *   gen_csv --count N [--prefix 915] > customers.csv
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/num.h"
#include "synth.h"

int main(int argc, char **argv)
{
    int64_t count = 0;
    const char *prefix = "915";
    static const struct option opts[] = {{"count", required_argument, NULL, 'n'},
                                         {"prefix", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n' && !num_parse_cstr(optarg, 1, 9999999, &count)) {
            count = 0;
        } else if (c == 'p') {
            prefix = optarg;
        }
    }
    if (count == 0 || strlen(prefix) != 3) {
        fprintf(stderr, "usage: gen_csv --count N [--prefix 3DIGITS]\n");
        return 2;
    }
    printf("Телефон;ФИО;Дата рождения;E-mail;Город;Номер карты\r\n");
    for (int64_t i = 0; i < count; i++) {
        struct synth s;
        synth_make((uint64_t)i, prefix, &s);
        /* +7XXXYYYYYYY written as 8 (XXX) YYY-YY-YY */
        const char *p = s.phone + 2;
        printf("8 (%.3s) %.3s-%.2s-%.2s;%s %s;%.2s.%.2s.%.4s;%s;%s;%s\r\n", p, p + 3, p + 6, p + 8,
               s.last, s.first, s.birth + 8, s.birth + 5, s.birth, s.email, s.city, s.card);
    }
    return 0;
}
