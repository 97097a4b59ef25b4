/*
 * fuzz_page_check.c - arbitrary bytes as the retailer's version of a page, of the stylesheet and
 * of an SVG logo (pages/custom.c): no crash, no leak, no read past the text; a refusal is a 422
 * (or a 415 for a logo's type) with field "body" and a place inside the text (line and column at
 * least 1 and the line no further than the text's lines, or 0, 0 for the whole text); a page that
 * passes compiles and renders in the layout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pages/custom.h"
#include "pages/page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const char *name, const char *text, size_t size, const char *type)
{
    struct template_pos pos = {-1, -1};
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = pages_check(name, text, size, type, &pos, &err);
    if (rc == KT_OK) {
        if (strcmp(name, "refused") == 0) {
            struct arena a;
            arena_init(&a, 0);
            const char *html;
            size_t len;
            struct kt_err e2;
            kt_err_reset(&e2);
            json_t *ctx = json_pack("{s:s, s:s}", "heading", "Заголовок", "text", "Текст");
            (void)pages_render(name, "Т", ctx, &a, &html, &len, &e2);
            json_decref(ctx);
            arena_release(&a);
        }
        return;
    }
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) {
        lines += text[i] == '\n';
    }
    if ((rc != KT_EINVAL && rc != KT_EMEDIA) ||
        (rc == KT_EINVAL && strcmp(err.field, "body") != 0) || pos.line < 0 || pos.column < 0 ||
        (pos.line == 0) != (pos.column == 0) || (size_t)pos.line > lines) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1); /* not NUL-terminated for the checks: the sanitizers see */
    memcpy(text, data, size);      /* a read past `size` only through the copy's extra byte */
    text[size] = '\0';
    one("refused", text, size, NULL);
    one("layout", text, size, NULL);
    one(PAGES_STYLE, text, size, NULL);
    one(PAGES_LOGO, text, size, "image/svg+xml");
    free(text);
    return 0;
}
