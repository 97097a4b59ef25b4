/*
 * fuzz_template.c - arbitrary bytes as a template, HTML and text: the compiler never crashes or
 * leaks; a refusal says a line and a column inside the text and a template_ code; a template that
 * compiles renders against a fixed context within the output limit, twice alike, and lists its
 * variables by names it holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char CONTEXT[] =
    "{\"first_name\": \"Анна\", \"points\": 21, \"balance\": 123450, \"empty\": \"\","
    " \"born\": \"1990-03-24\", \"at\": \"2025-03-24T10:00:00+03:00\", \"none\": null,"
    " \"flag\": true, \"off\": false, \"html\": \"<b>&'\\\"</b>\","
    " \"store\": {\"city\": \"Тула\", \"address\": {\"street\": \"Ленина\"}},"
    " \"lines\": [{\"name\": \"чай\", \"price\": 9900, \"qty\": 2},"
    "            {\"name\": \"сахар\", \"price\": 5000, \"qty\": 1, \"lines\": [1, 2, 3]}],"
    " \"l\": [[1, 2], [3], []], \"n\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}";

static void render_twice(const struct template *t, const json_t *ctx)
{
    struct buf a, b;
    buf_init(&a, BUF_MAX_DEFAULT);
    buf_init(&b, BUF_MAX_DEFAULT);
    struct template_warnings w;
    struct kt_err e1, e2;
    kt_err_reset(&e1);
    kt_err_reset(&e2);
    enum kt_rc r1 = template_render(t, ctx, &a, &w, &e1);
    enum kt_rc r2 = template_render(t, ctx, &b, NULL, &e2);
    if (r1 != r2 || w.n > TEMPLATE_WARNINGS_MAX || w.total < w.n) {
        abort();
    }
    if (r1 == KT_OK && (a.len > TEMPLATE_OUTPUT_MAX || strcmp(buf_cstr(&a), buf_cstr(&b)) != 0)) {
        abort();
    }
    if (r1 != KT_OK && strncmp(e1.code, "template_", 9) != 0) {
        abort();
    }
    buf_release(&a);
    buf_release(&b);
}

static void one(const char *text, size_t size, enum template_kind kind, const json_t *ctx)
{
    struct template *t;
    struct template_pos pos;
    struct kt_err err;
    kt_err_reset(&err);
    if (template_compile(text, size, kind, &t, &pos, &err) != KT_OK) {
        if (t != NULL || strncmp(err.code, "template_", 9) != 0 ||
            (size <= TEMPLATE_TEXT_MAX && (pos.line < 1 || pos.column < 1))) {
            abort();
        }
        return;
    }
    const struct template_var *v;
    size_t n = template_vars(t, &v);
    for (size_t i = 0; i < n; i++) {
        if (v[i].name == NULL || v[i].name[0] == '\0' || v[i].line < 1 || v[i].column < 1) {
            abort();
        }
    }
    render_twice(t, ctx);
    template_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *ctx;
    if (ctx == NULL) {
        ctx = json_loads(CONTEXT, 0, NULL);
        if (ctx == NULL) {
            abort();
        }
    }
    one((const char *)data, size, TEMPLATE_HTML, ctx);
    one((const char *)data, size, TEMPLATE_TEXT, ctx);
    return 0;
}
