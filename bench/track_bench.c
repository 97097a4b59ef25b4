/*
 * track_bench.c - what tracking adds to a marketing e-mail at send time (docs/messages.md,
 * "Feedback"): the HTML of a typical campaign e-mail (about 3 KB, nine links, one of them the
 * unsubscribe page's) rewritten by track_html - its pixel and eight links signed - for a new
 * message id each time, beside a plain copy of the same HTML into the same kind of arena (the
 * floor: what any change of the body costs) in the same run.
 *
 *   track_bench [--count 200000] [--runs 3]
 *
 * Prints each run and the medians:
 *   RESULT track_per_s=... copy_per_s=... us_per_email=... bytes_in=... bytes_out=...
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/num.h"
#include "deliver/track.h"

static const char HEAD[] =
    "<!doctype html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Магазин</title>"
    "</head>\n<body style=\"margin:0;padding:0;font-family:Arial,sans-serif\">\n"
    "<table width=\"600\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#ffffff\">\n"
    "<tr><td style=\"padding:24px;font-size:20px;color:#222\">Здравствуйте, Анна!</td></tr>\n"
    "<tr><td style=\"padding:0 24px;font-size:15px;color:#444;line-height:22px\">На вашей карте "
    "1 234 балла. Часть из них сгорит 24 марта - успейте потратить их до этого дня.</td></tr>\n";
static const char LINE[] =
    "<tr><td style=\"border-bottom:1px solid #eee\"><a href=\"https://shop.example/p/%d?"
    "utm_source=kartoteka&amp;utm_medium=email&amp;utm_campaign=spring\">Товар %d</a></td>"
    "<td align=\"right\">1 шт.</td><td align=\"right\">1 299,00 ₽</td></tr>\n";
static const char TAIL[] =
    "<tr><td style=\"padding:24px;font-size:12px;color:#888\">Магазин, Москва. "
    "<a href=\"https://kt.example/u/YzAxMjM0NTY3ODkwYWJjZGVmZ2hpai5uZXdzLmVtYWls\">Отписаться"
    "</a>. <a href=\"mailto:help@shop.example\">Написать нам</a></td></tr>\n"
    "</table>\n</body>\n</html>\n";

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int64_t count = 200000, runs = 3;
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'c'}, {"runs", required_argument, NULL, 'r'}, {0}};
    for (int ch; (ch = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if ((ch != 'c' && ch != 'r') ||
            !num_parse_cstr(optarg, 1, 100000000, ch == 'c' ? &count : &runs)) {
            fprintf(stderr, "usage: track_bench [--count N] [--runs N]\n");
            return 2;
        }
    }
    char html[8192];
    size_t n = (size_t)snprintf(html, sizeof(html), "%s", HEAD);
    for (int i = 1; i <= 8; i++) {
        n += (size_t)snprintf(html + n, sizeof(html) - n, LINE, i, i);
    }
    snprintf(html + n, sizeof(html) - n, "%s", TAIL);
    struct key_secret k = {{42}};
    double *t = calloc((size_t)runs, sizeof(double)), *c = calloc((size_t)runs, sizeof(double));
    size_t out_len = 0;
    for (int64_t r = 0; r < runs; r++) {
        struct arena a;
        arena_init(&a, 0);
        int64_t t0 = clock_mono_ns();
        for (int64_t i = 0; i < count; i++) {
            char id[40];
            snprintf(id, sizeof(id), "m_%032llx", (unsigned long long)(i * 2654435761u));
            const char *out =
                track_html(&k, "https://kt.example", "https://kt.example/u/", id, html, &a);
            out_len = strlen(out);
            if ((i & 1023) == 1023) {
                arena_release(&a); /* a batch's arena: 32 e-mails in the sender, here 1,024 */
                arena_init(&a, 0);
            }
        }
        int64_t t1 = clock_mono_ns();
        for (int64_t i = 0; i < count; i++) {
            const char *out = arena_strdup(&a, html);
            if (out[0] != '<') {
                abort();
            }
            if ((i & 1023) == 1023) {
                arena_release(&a);
                arena_init(&a, 0);
            }
        }
        int64_t t2 = clock_mono_ns();
        arena_release(&a);
        t[r] = (double)count / ((double)(t1 - t0) / 1e9);
        c[r] = (double)count / ((double)(t2 - t1) / 1e9);
        printf("run %lld: track %.0f e-mails/s, copy %.0f e-mails/s\n", (long long)r + 1, t[r],
               c[r]);
    }
    qsort(t, (size_t)runs, sizeof(double), cmp);
    qsort(c, (size_t)runs, sizeof(double), cmp);
    double mt = t[runs / 2], mc = c[runs / 2];
    printf("RESULT track_per_s=%.0f copy_per_s=%.0f us_per_email=%.2f bytes_in=%zu "
           "bytes_out=%zu\n",
           mt, mc, 1e6 / mt, strlen(html), out_len);
    free(t);
    free(c);
    return 0;
}
