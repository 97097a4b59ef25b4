/*
 * page_bench.c - what the retailer's own pages cost a page (docs/pages.md, "The retailer's own
 * pages"): the questionnaire rendered in its layout, one thread, beside the same page from the
 * built-ins alone, in the same run.
 *
 *   page_bench --db PATH [--count 200000] [--runs 5]
 *
 * Four ways, alternated in each run:
 *   built-in       pages_render with no store: the built-in page, layout and stylesheet (the
 *                  reference: what the pages cost before the retailer's versions)
 *   stored         the retailer's questionnaire, stylesheet and logo stored; pages_render looks at
 *                  the store at most every PAGES_CHECK_MS (what was built)
 *   check/render   the same plus a read of the versions' seq around every page (a reader taken,
 *                  SELECT max(seq), the reader given back): what a check at each page would cost
 *   seq only       that read alone, without a page
 * The context is the questionnaire's for a customer with four fields, two missing and the consent
 * box, built before timing. Prints each run and the medians:
 *   RESULT builtin_per_s=... stored_per_s=... check_per_s=... seq_us=...
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_NAME "page_bench"
#include "bench.h"

#include "base/clock.h"
#include "base/num.h"
#include "cli/cli.h"
#include "pages/custom.h"
#include "pages/page.h"

static json_t *context(void)
{
    json_t *fields = json_array();
    static const char *const f[][4] = {{"first_name", "Имя", "text", "given-name"},
                                       {"last_name", "Фамилия", "text", "family-name"},
                                       {"birth_date", "Дата рождения", "date", "bday"},
                                       {"email", "Электронная почта", "email", "email"}};
    for (int i = 0; i < 4; i++) {
        json_array_append_new(fields, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", f[i][0],
                                                "label", f[i][1], "type", f[i][2], "autocomplete",
                                                f[i][3], "value", i == 0 ? "Анна" : ""));
    }
    return json_pack("{s:s, s:o, s:[{s:s}, {s:s}], s:b, s:b, s:b, s:{s:s, s:s}}", "csrf",
                     "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
                     "fields", fields, "missing", "label", "дата рождения", "label",
                     "согласие на обработку персональных данных", "complete", 0, "done", 0,
                     "phone_unverified", 0, "consent", "title", "Согласие на обработку ПДн", "text",
                     "Я согласен на обработку моих персональных данных.");
}

static void save(struct store *s, const char *name, const char *body, size_t len, const char *type)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct template_pos pos;
    struct store_conn *w;
    bool added;
    struct page_version v = {0, name, 0, body, len, type, clock_now_ms(), NULL};
    if (pages_check(name, body, len, type, &pos, &err) != KT_OK) {
        bench_die(name, &err);
    }
    struct arena a;
    arena_init(&a, 0);
    if (store_write_begin(s, &w, &err) != KT_OK ||
        store_write_end(w, pages_save(w, &v, &a, &added, &err), &err) != KT_OK) {
        bench_die("save", &err);
    }
    arena_release(&a);
}

/* Pages per second of `count` renders; with `check`, a read of the seq around each. */
static double pages_per_s(struct store *s, const json_t *ctx, int64_t count, bool check, bool page)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct arena a;
    arena_init(&a, 0);
    int64_t t0 = clock_mono_ns();
    for (int64_t i = 0; i < count; i++) {
        if (check) {
            struct store_conn *rd;
            int64_t seq;
            if (store_read_begin(s, &rd, &err) != KT_OK ||
                store_page_seq(rd, &seq, &err) != KT_OK) {
                bench_die("seq", &err);
            }
            store_read_end(rd);
        }
        if (page) {
            const char *html;
            size_t len;
            if (pages_render("questionnaire", "Анкета участника", ctx, &a, &html, &len, &err) !=
                KT_OK) {
                bench_die("render", &err);
            }
        }
        if ((i & 255) == 255) {
            arena_release(&a);
        }
    }
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    arena_release(&a);
    return (double)count / secs;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int64_t count = 200000, runs = 5;
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"count", required_argument, NULL, 'c'},
                                         {"runs", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (c == 'd') {
            path = optarg;
        } else if (!(c == 'c' && num_parse_cstr(optarg, 1, 100000000, &count)) &&
                   !(c == 'r' && num_parse_cstr(optarg, 1, 32, &runs))) {
            return 2;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: page_bench --db PATH [--count N] [--runs N]\n");
        return 2;
    }
    struct store *s = cli_open_store_mode(path, 5000, 0, STORE_MIGRATE);
    if (s == NULL) {
        return 1;
    }
    size_t len;
    const char *q = pages_builtin("questionnaire", &len);
    char *mine = malloc(len + 64);
    snprintf(mine, len + 64, "<p class=\"brand\">Клуб «Ромашка»</p>\n%s", q);
    const char *css = pages_builtin(PAGES_STYLE, &len);
    char *style = malloc(len + 64);
    snprintf(style, len + 64, "%s.brand { color: #8a1c1c; }\n", css);
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">"
                              "<circle cx=\"5\" cy=\"5\" r=\"4\" fill=\"#8a1c1c\"/></svg>";
    save(s, "questionnaire", mine, strlen(mine), NULL);
    save(s, PAGES_STYLE, style, strlen(style), NULL);
    save(s, PAGES_LOGO, svg, strlen(svg), "image/svg+xml");
    json_t *ctx = context();
    double b[32], st[32], ch[32], seq[32];
    for (int r = 0; r < runs; r++) {
        pages_use_store(NULL);
        b[r] = pages_per_s(s, ctx, count, false, true);
        pages_use_store(s);
        st[r] = pages_per_s(s, ctx, count, false, true);
        ch[r] = pages_per_s(s, ctx, count, true, true);
        seq[r] = 1e6 / pages_per_s(s, ctx, count, true, false);
        printf("run %d: built-in %.0f/s  stored %.0f/s  check/render %.0f/s  seq %.2f us\n", r + 1,
               b[r], st[r], ch[r], seq[r]);
    }
    printf("RESULT builtin_per_s=%.0f stored_per_s=%.0f check_per_s=%.0f seq_us=%.2f\n",
           bench_median(b, (int)runs), bench_median(st, (int)runs), bench_median(ch, (int)runs),
           bench_median(seq, (int)runs));
    json_decref(ctx);
    free(mine);
    free(style);
    pages_use_store(NULL);
    store_close(s);
    return 0;
}
