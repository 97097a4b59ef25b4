/*
 * template_bench.c - how fast a compiled template renders a typical campaign e-mail (issue 12
 * asks for 20,000 messages/s per core, render and enqueue), beside the same e-mail written by
 * hand in C - the JSON lookups, the escaping and the money, with no template - in the same run.
 *
 *   template_bench [--count 1000000] [--runs 3]
 *
 * The e-mail is an HTML body of about 3 KB: a greeting with a fallback name, the points balance
 * with its plural, the next expiry date, three cart lines with prices, a coupon section, the store
 * and an unsubscribe link. Each customer has its own context, built before timing (a campaign
 * builds it from the store, which this does not measure). Prints each run and the medians:
 *   RESULT template_per_s=... hand_per_s=... ratio=... bytes=...
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/num.h"
#include "template/template.h"

#define CONTEXTS 1000 /* distinct customers, rendered in turn */

static const char EMAIL[] =
    "<!doctype html>\n"
    "<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{{store.name}}</title></head>\n"
    "<body style=\"margin:0;padding:0;font-family:Arial,sans-serif;background:#f4f4f4\">\n"
    "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" role=\"presentation\">\n"
    "<tr><td align=\"center\" style=\"padding:24px 0\">\n"
    "<table width=\"600\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#ffffff\">\n"
    "<tr><td style=\"padding:24px;font-size:20px;color:#222\">\n"
    "Здравствуйте, {{first_name | default: \"покупатель\"}}!\n"
    "</td></tr>\n"
    "<tr><td style=\"padding:0 24px;font-size:15px;color:#444;line-height:22px\">\n"
    "На вашей карте {{points | plural: \"балл\", \"балла\", \"баллов\"}}.\n"
    "{{#expiry}}\n"
    "Часть из них сгорит {{expiry.date | date}} - успейте потратить их до этого дня.\n"
    "{{/expiry}}\n"
    "</td></tr>\n"
    "<tr><td style=\"padding:16px 24px\">\n"
    "<p style=\"font-size:15px;color:#444\">Вы оставили в корзине:</p>\n"
    "<table width=\"100%\" cellpadding=\"6\" cellspacing=\"0\" "
    "style=\"border-collapse:collapse\">\n"
    "{{#cart}}\n"
    "<tr><td style=\"border-bottom:1px solid #eee\"><a href=\"{{url}}\">{{name}}</a></td>\n"
    "<td align=\"right\" style=\"border-bottom:1px solid #eee\">{{qty}} шт.</td>\n"
    "<td align=\"right\" style=\"border-bottom:1px solid #eee\">{{price | money}}</td></tr>\n"
    "{{/cart}}\n"
    "</table>\n"
    "<p style=\"font-size:15px;color:#444\">Итого: <b>{{total | money}}</b></p>\n"
    "</td></tr>\n"
    "{{#coupon}}\n"
    "<tr><td style=\"padding:16px 24px;background:#fff6d5;font-size:15px\">\n"
    "Ваш промокод <b>{{code}}</b> даёт скидку {{percent}}% до {{until | date: \"year\"}}.\n"
    "</td></tr>\n"
    "{{/coupon}}\n"
    "<tr><td style=\"padding:24px;font-size:12px;color:#888;line-height:18px\">\n"
    "{{store.name}}, {{store.city}}, {{store.address}}. Вы получили это письмо, потому что\n"
    "согласились получать новости и предложения. <a href=\"{{unsubscribe_url}}\">Отписаться</a>.\n"
    "</td></tr>\n"
    "</table>\n"
    "</td></tr>\n"
    "</table>\n"
    "</body></html>\n";

static json_t *make_context(int i)
{
    static const char *names[] = {"Анна", "Олег", "", "Мария", "Пётр"};
    json_t *cart = json_array();
    for (int k = 0; k < 3; k++) {
        json_array_append_new(
            cart, json_pack("{s:s, s:s, s:i, s:I}", "name",
                            k == 0 ? "Чай \"Цейлонский\" 100 г" : "Шоколад 70% & орехи", "url",
                            "https://shop.example.ru/p/12345?utm_source=email&utm_campaign=cart",
                            "qty", 1 + (i + k) % 3, "price", (json_int_t)(4990 + 1000 * k + i)));
    }
    json_t *ctx =
        json_pack("{s:s, s:i, s:{s:s}, s:o, s:I, s:s, s:{s:s, s:s, s:s}}", "first_name",
                  names[i % 5], "points", i % 1200, "expiry", "date", "2026-04-24", "cart", cart,
                  "total", (json_int_t)(21970 + 3 * i), "unsubscribe_url",
                  "https://shop.example.ru/u/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "store", "name",
                  "Кофейня «Зёрна»", "city", "Тула", "address", "ул. Ленина, 1");
    if (i % 2 == 0) {
        json_object_set_new(ctx, "coupon",
                            json_pack("{s:s, s:i, s:s}", "code", "SPRING-25", "percent", 25,
                                      "until", "2026-05-31"));
    }
    return ctx;
}

/* The reference: the same e-mail by hand, escaping runs of plain bytes at once. */
static void esc(struct buf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *ent = *s == '&'    ? "&amp;"
                          : *s == '<'  ? "&lt;"
                          : *s == '>'  ? "&gt;"
                          : *s == '"'  ? "&quot;"
                          : *s == '\'' ? "&#39;"
                                       : NULL;
        if (ent != NULL) {
            buf_append(b, run, (size_t)(s - run));
            buf_puts(b, ent);
            run = s + 1;
        }
    }
    buf_append(b, run, (size_t)(s - run));
}

static void money(struct buf *b, json_int_t k)
{
    json_int_t r = k / 100;
    if (r >= 1000) {
        buf_printf(b, "%lld\xC2\xA0%03lld", r / 1000, r % 1000);
    } else {
        buf_printf(b, "%lld", r);
    }
    if (k % 100) {
        buf_printf(b, ",%02lld", k % 100);
    }
    buf_puts(b, "\xC2\xA0\xE2\x82\xBD");
}

static const char *const GEN[] = {"января", "февраля", "марта",    "апреля",  "мая",    "июня",
                                  "июля",   "августа", "сентября", "октября", "ноября", "декабря"};

static void date(struct buf *b, const char *s, bool year)
{
    int64_t y, m, d;
    num_parse_i64(s, 4, 0, 9999, &y);
    num_parse_i64(s + 5, 2, 1, 12, &m);
    num_parse_i64(s + 8, 2, 1, 31, &d);
    buf_printf(b, "%d %s", (int)d, GEN[m - 1]);
    if (year) {
        buf_printf(b, " %d", (int)y);
    }
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void plural(struct buf *b, json_int_t n)
{
    const char *w = n % 10 == 1 && n % 100 != 11                                   ? "балл"
                    : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? "балла"
                                                                                   : "баллов";
    if (n >= 1000) {
        buf_printf(b, "%lld\xC2\xA0%03lld\xC2\xA0%s", n / 1000, n % 1000, w);
    } else {
        buf_printf(b, "%lld\xC2\xA0%s", n, w);
    }
}

static void hand(const json_t *c, struct buf *b)
{
    const json_t *store = json_object_get(c, "store");
    const char *first = str(c, "first_name");
    buf_puts(b, "<!doctype html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>");
    esc(b, str(store, "name"));
    buf_puts(b,
             "</title></head>\n"
             "<body style=\"margin:0;padding:0;font-family:Arial,sans-serif;background:#f4f4f4\">\n"
             "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" role=\"presentation\">\n"
             "<tr><td align=\"center\" style=\"padding:24px 0\">\n"
             "<table width=\"600\" cellpadding=\"0\" cellspacing=\"0\" "
             "style=\"background:#ffffff\">\n"
             "<tr><td style=\"padding:24px;font-size:20px;color:#222\">\n"
             "Здравствуйте, ");
    esc(b, first && *first ? first : "покупатель");
    buf_puts(b, "!\n</td></tr>\n"
                "<tr><td style=\"padding:0 24px;font-size:15px;color:#444;line-height:22px\">\n"
                "На вашей карте ");
    plural(b, json_integer_value(json_object_get(c, "points")));
    buf_puts(b, ".\n");
    const json_t *exp = json_object_get(c, "expiry");
    if (json_is_object(exp)) {
        buf_puts(b, "Часть из них сгорит ");
        date(b, str(exp, "date"), false);
        buf_puts(b, " - успейте потратить их до этого дня.\n");
    }
    buf_puts(b, "</td></tr>\n<tr><td style=\"padding:16px 24px\">\n"
                "<p style=\"font-size:15px;color:#444\">Вы оставили в корзине:</p>\n"
                "<table width=\"100%\" cellpadding=\"6\" cellspacing=\"0\" "
                "style=\"border-collapse:collapse\">\n");
    const json_t *cart = json_object_get(c, "cart");
    for (size_t i = 0; i < json_array_size(cart); i++) {
        const json_t *l = json_array_get(cart, i);
        buf_puts(b, "<tr><td style=\"border-bottom:1px solid #eee\"><a href=\"");
        esc(b, str(l, "url"));
        buf_puts(b, "\">");
        esc(b, str(l, "name"));
        buf_printf(b,
                   "</a></td>\n<td align=\"right\" style=\"border-bottom:1px solid #eee\">%lld "
                   "шт.</td>\n<td align=\"right\" style=\"border-bottom:1px solid #eee\">",
                   json_integer_value(json_object_get(l, "qty")));
        money(b, json_integer_value(json_object_get(l, "price")));
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</table>\n<p style=\"font-size:15px;color:#444\">Итого: <b>");
    money(b, json_integer_value(json_object_get(c, "total")));
    buf_puts(b, "</b></p>\n</td></tr>\n");
    const json_t *cp = json_object_get(c, "coupon");
    if (json_is_object(cp)) {
        buf_puts(b, "<tr><td style=\"padding:16px 24px;background:#fff6d5;font-size:15px\">\n"
                    "Ваш промокод <b>");
        esc(b, str(cp, "code"));
        buf_printf(b, "</b> даёт скидку %lld%% до ",
                   json_integer_value(json_object_get(cp, "percent")));
        date(b, str(cp, "until"), true);
        buf_puts(b, ".\n</td></tr>\n");
    }
    buf_puts(b, "<tr><td style=\"padding:24px;font-size:12px;color:#888;line-height:18px\">\n");
    esc(b, str(store, "name"));
    buf_puts(b, ", ");
    esc(b, str(store, "city"));
    buf_puts(b, ", ");
    esc(b, str(store, "address"));
    buf_puts(b, ". Вы получили это письмо, потому что\n"
                "согласились получать новости и предложения. <a href=\"");
    esc(b, str(c, "unsubscribe_url"));
    buf_puts(b, "\">Отписаться</a>.\n</td></tr>\n</table>\n</td></tr>\n</table>\n</body></html>\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One timed run: renders `count` messages, cycling through the contexts; messages per second. */
static double run(const struct template *t, json_t **ctx, long count, size_t *bytes)
{
    struct buf out;
    buf_init(&out, BUF_MAX_DEFAULT);
    struct kt_err err;
    kt_err_reset(&err);
    *bytes = 0;
    int64_t t0 = clock_mono_ns();
    for (long i = 0; i < count; i++) {
        buf_reset(&out);
        if (t != NULL) {
            if (template_render(t, ctx[i % CONTEXTS], &out, NULL, &err) != KT_OK) {
                fprintf(stderr, "template_bench: %s\n", err.msg);
                exit(1);
            }
        } else {
            hand(ctx[i % CONTEXTS], &out);
        }
        *bytes += out.len;
    }
    double s = (double)(clock_mono_ns() - t0) / 1e9;
    buf_release(&out);
    return (double)count / s;
}

/* The reference must print what the template prints, or the ratio means nothing. */
static void check_same(const struct template *t, json_t **ctx)
{
    struct buf a, b;
    buf_init(&a, BUF_MAX_DEFAULT);
    buf_init(&b, BUF_MAX_DEFAULT);
    struct kt_err err;
    kt_err_reset(&err);
    for (int i = 0; i < CONTEXTS; i++) {
        buf_reset(&a);
        buf_reset(&b);
        template_render(t, ctx[i], &a, NULL, &err);
        hand(ctx[i], &b);
        if (strcmp(buf_cstr(&a), buf_cstr(&b)) != 0) {
            fprintf(stderr, "template_bench: context %d renders differently:\n%s\n---\n%s\n", i,
                    buf_cstr(&a), buf_cstr(&b));
            exit(1);
        }
    }
    buf_release(&a);
    buf_release(&b);
}

int main(int argc, char **argv)
{
    int64_t count = 1000000, runs = 3;
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'c'}, {"runs", required_argument, NULL, 'r'}, {0}};
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        bool ok = (o == 'c' && num_parse_cstr(optarg, 1, INT64_MAX, &count)) ||
                  (o == 'r' && num_parse_cstr(optarg, 1, 99, &runs));
        if (!ok) {
            fprintf(stderr, "usage: template_bench [--count 1000000] [--runs 3]\n");
            return 2;
        }
    }
    struct template *t;
    struct kt_err err;
    kt_err_reset(&err);
    if (template_compile(EMAIL, strlen(EMAIL), TEMPLATE_HTML, &t, NULL, &err) != KT_OK) {
        fprintf(stderr, "template_bench: %s\n", err.msg);
        return 1;
    }
    json_t *ctx[CONTEXTS];
    for (int i = 0; i < CONTEXTS; i++) {
        ctx[i] = make_context(i);
    }
    check_same(t, ctx);
    double tpl[99], ref[99];
    size_t bytes = 0;
    for (int r = 0; r < runs; r++) { /* alternated, so both see the same noise */
        tpl[r] = run(t, ctx, (long)count, &bytes);
        ref[r] = run(NULL, ctx, (long)count, &bytes);
        printf("run %d: template %.0f/s, by hand %.0f/s\n", r + 1, tpl[r], ref[r]);
        fflush(stdout);
    }
    qsort(tpl, (size_t)runs, sizeof(double), cmp_double);
    qsort(ref, (size_t)runs, sizeof(double), cmp_double);
    printf("RESULT template_per_s=%.0f hand_per_s=%.0f ratio=%.2f bytes=%zu\n", tpl[runs / 2],
           ref[runs / 2], tpl[runs / 2] / ref[runs / 2], bytes / (size_t)count);
    for (int i = 0; i < CONTEXTS; i++) {
        json_decref(ctx[i]);
    }
    template_free(t);
    return 0;
}
