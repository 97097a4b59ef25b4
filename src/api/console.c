/*
 * console.c - the marketer's console (docs/console.md, "The console"): the single-page app built
 * from console/ at build time (console/build.sh, Vite) and embedded in the binary. GET /admin and
 * every GET /admin/{path*} that is not an asset answer index.html (the app reads the address
 * itself, so a reload or a link opens the same screen), never cached; GET /admin/assets/{file} is
 * a built file, named by its content's hash, so cached for a year. All of them are public (the app
 * logs in through /v1/session) and served under the console's Content-Security-Policy
 * (ROUTE_APP: scripts and styles of this server only, no inline ones, calls to this server
 * only, no framing).
 */
#include <string.h>

#include "api/api.h"
#include "base/embed.h"

extern const struct embedded_file console_files[];
extern const size_t console_files_count;

#define CONSOLE_INDEX "index.html"

static const struct embedded_file *console_file(const char *name)
{
    for (size_t i = 0; i < console_files_count; i++) {
        if (strcmp(console_files[i].name, name) == 0) {
            return &console_files[i];
        }
    }
    return NULL;
}

/* The Content-Type of a built file by its extension. */
static const char *console_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".woff2", "font/woff2"},
        {".html", "text/html; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(dot, types[i].ext) == 0) {
            return types[i].type;
        }
    }
    return "application/octet-stream";
}

enum kt_rc api_console_index(struct http_req *r, struct kt_err *err)
{
    const struct embedded_file *f = console_file(CONSOLE_INDEX);
    if (f == NULL) { /* the build always embeds it (console/build.sh checks) */
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the console is not built in");
    }
    r->cache_control = "no-cache";
    http_reply_text(r, 200, console_type(f->name), f->data, f->len);
    return KT_OK;
}

enum kt_rc api_console_asset(struct http_req *r, struct kt_err *err)
{
    const char *name = r->params[0];
    const struct embedded_file *f = strcmp(name, CONSOLE_INDEX) == 0 ? NULL : console_file(name);
    if (f == NULL) {
        return kt_err_set(err, KT_ENOTFOUND, "not_found", NULL, "no such file of the console");
    }
    r->cache_control = "public, max-age=31536000, immutable";
    http_reply_text(r, 200, console_type(f->name), f->data, f->len);
    return KT_OK;
}
