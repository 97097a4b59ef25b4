/*
 * page.c - the pages' templates, compiled once (page.h).
 */
#include "pages/page.h"

#include <pthread.h>
#include <string.h>

#include "base/embed.h"
#include "base/log.h"
#include "template/template.h"

extern const struct embedded_file pages_data_files[];
extern const size_t pages_data_files_count;

#define PAGES_MAX 32

static struct {
    const char *name[PAGES_MAX]; /* the file's name without ".html" */
    struct template *t[PAGES_MAX];
    size_t n;
    const char *css;
    size_t css_len;
} pages;

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Compiles every page of data/ (a template that does not compile is a bug: logged, left out). */
static void compile_all(void)
{
    for (size_t i = 0; i < pages_data_files_count && pages.n < PAGES_MAX; i++) {
        const struct embedded_file *f = &pages_data_files[i];
        size_t len = strlen(f->name);
        if (len > 4 && strcmp(f->name + len - 4, ".css") == 0) {
            pages.css = f->data;
            pages.css_len = f->len;
            continue;
        }
        struct kt_err err;
        kt_err_reset(&err);
        struct template *t = NULL;
        if (template_compile(f->data, f->len, TEMPLATE_HTML, &t, NULL, &err) != KT_OK) {
            log_error("page_template", "file=%s code=%s", f->name, err.code);
            continue;
        }
        pages.name[pages.n] = f->name;
        pages.t[pages.n++] = t;
    }
}

static const struct template *find(const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < pages.n; i++) {
        if (strncmp(pages.name[i], name, len) == 0 && strcmp(pages.name[i] + len, ".html") == 0) {
            return pages.t[i];
        }
    }
    return NULL;
}

static enum kt_rc render(const struct template *t, const json_t *ctx, struct buf *out,
                         struct kt_err *err)
{
    struct template_warnings w;
    return template_render(t, ctx, out, &w, err);
}

enum kt_rc pages_render(const char *name, const char *title, const json_t *ctx, struct arena *a,
                        const char **html, size_t *len, struct kt_err *err)
{
    pthread_once(&once, compile_all);
    const struct template *body = find(name), *layout = find("layout");
    if (body == NULL || layout == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "no page %s", name);
    }
    json_t *empty = json_object();
    struct buf b, page;
    buf_init(&b, 2 * PAGES_PAGE_MAX); /* a cap: over PAGES_PAGE_MAX is refused below */
    buf_init(&page, 2 * PAGES_PAGE_MAX);
    enum kt_rc rc = render(body, ctx != NULL ? ctx : empty, &b, err);
    if (rc == KT_OK) {
        json_t *outer = json_pack("{s:s, s:s}", "title", title, "body", buf_cstr(&b));
        const json_t *refresh = ctx != NULL ? json_object_get(ctx, "refresh") : NULL;
        if (json_is_string(refresh)) { /* "<s>;url=<path>": the page's meta refresh */
            json_object_set(outer, "refresh", (json_t *)refresh);
        }
        rc = render(layout, outer, &page, err);
        json_decref(outer);
    }
    if (rc == KT_OK && page.len > PAGES_PAGE_MAX) {
        rc = kt_err_set(err, KT_EINTERNAL, "internal", NULL, "page %s weighs %zu bytes", name,
                        page.len);
    }
    if (rc == KT_OK) {
        *len = page.len;
        *html = arena_strdup(a, buf_cstr(&page));
    }
    buf_release(&b);
    buf_release(&page);
    json_decref(empty);
    return rc;
}

const char *pages_stylesheet(size_t *len)
{
    pthread_once(&once, compile_all);
    *len = pages.css_len;
    return pages.css != NULL ? pages.css : "";
}
