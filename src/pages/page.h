/*
 * page.h - how the customer's pages are made (docs/pages.md): each page is a template of the one
 * template language (template/template.h, HTML-escaped) rendered with its context inside one
 * layout (lang="ru", the viewport of a phone, one stylesheet at /p/style.css, the retailer's
 * logo at /p/logo when there is one, no script, no third-party asset), so that a page is a few
 * kilobytes and the Content-Security-Policy the pages are served with (http/response.c,
 * ROUTE_PAGE) can forbid everything else.
 *
 * The built-in pages are in src/pages/data/ (compiled into the binary), in Russian. The retailer
 * may store a version of their own of any of them, of the stylesheet and a logo (docs/pages.md,
 * "The retailer's own pages"; pages/custom.h): the current stored version is used where there is
 * one, else the built-in. The stored versions are read into memory, compiled once, and read again
 * when they change: this process's own change at once (pages_changed), another server's within
 * PAGES_CHECK_MS (one read of the largest `seq`, no write).
 */
#ifndef KT_PAGES_PAGE_H
#define KT_PAGES_PAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#define PAGES_PAGE_MAX  (50 * 1024) /* bytes a page may weigh (the issue: under 50 KB) */
#define PAGES_STYLE_MAX (16 * 1024) /* bytes of the stylesheet */
#define PAGES_LOGO_MAX  (64 * 1024) /* bytes of the logo, which the 50 KB do not count */
#define PAGES_CHECK_MS  1000        /* how stale another server's change may be */
#define PAGES_STYLE     "style.css" /* the stylesheet's name among the pages */
#define PAGES_LOGO      "logo"      /* the logo's */

/*
 * Page `name` (data/<name>.html, or the retailer's current version of it) rendered with `ctx`
 * (borrowed; may be NULL) inside the layout, titled `title`: the HTML and its length in `a`. An
 * unknown name is KT_EINTERNAL; a built-in page that would weigh more than PAGES_PAGE_MAX is
 * KT_EINTERNAL too (a bug of its template or data). A retailer's version that fails to render
 * (too heavy with these values, too much work) is logged and the built-in one is served instead.
 * A string `refresh` in `ctx` ("60;url=/t/CODE") becomes the layout's meta refresh (the tablet's
 * return to an empty form, without a script).
 */
enum kt_rc pages_render(const char *name, const char *title, const json_t *ctx, struct arena *a,
                        const char **html, size_t *len, struct kt_err *err);

/* Where the retailer's versions are read from (serve, once at the start); NULL: built-ins only.
 * The versions are read at the next page. */
void pages_use_store(struct store *s);

/* This process stored a version: the next page reads the versions again. */
void pages_changed(void);

/* What /p/ serves: the stylesheet or the logo (`name` PAGES_STYLE or PAGES_LOGO), copied into
 * `a`, with its media type and an entity tag that changes with its bytes. False when there is
 * none (no logo stored). */
struct pages_asset {
    const char *data;
    size_t len;
    const char *type;
    const char *etag; /* "\"<16 hex digits>\"" */
};
bool pages_asset(const char *name, struct arena *a, struct pages_asset *out);

/* The names the retailer may replace, in order: the built-in pages (the layout among them), then
 * PAGES_STYLE and PAGES_LOGO. *names is static. */
size_t pages_names(const char *const **names);

/* Whether `name` is one of pages_names(). */
bool pages_name_known(const char *name);

/* The built-in text of page `name` or of PAGES_STYLE (NULL for the logo and unknown names). */
const char *pages_builtin(const char *name, size_t *len);

#endif
