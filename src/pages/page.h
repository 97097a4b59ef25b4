/*
 * page.h - how the customer's pages are made (docs/pages.md): each page is a template of the one
 * template language (template/template.h, HTML-escaped) rendered with its context inside one
 * layout (lang="ru", the viewport of a phone, one stylesheet at /p/style.css, no script, no
 * third-party asset), so that a page is a few kilobytes and the Content-Security-Policy the
 * pages are served with (http/response.c, ROUTE_PAGE) can forbid everything else.
 *
 * The built-in pages are in src/pages/data/ (compiled into the binary), in Russian; a retailer's
 * own versions are later work (docs/pages-plan.md, part 3).
 */
#ifndef KT_PAGES_PAGE_H
#define KT_PAGES_PAGE_H

#include <jansson.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"

#define PAGES_PAGE_MAX (50 * 1024) /* bytes a page may weigh (the issue: under 50 KB) */

/*
 * Page `name` (data/<name>.html) rendered with `ctx` (borrowed; may be NULL) inside the layout,
 * titled `title`: the HTML and its length in `a`. An unknown name is KT_EINTERNAL; a page that
 * would weigh more than PAGES_PAGE_MAX is KT_EINTERNAL too (a bug of its template or data).
 * A string `refresh` in `ctx` ("60;url=/t/CODE") becomes the layout's meta refresh (the tablet's
 * return to an empty form, without a script).
 */
enum kt_rc pages_render(const char *name, const char *title, const json_t *ctx, struct arena *a,
                        const char **html, size_t *len, struct kt_err *err);

/* The stylesheet (data/style.css), for GET /p/style.css. */
const char *pages_stylesheet(size_t *len);

#endif
