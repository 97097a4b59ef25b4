/*
 * custom.c - the retailer's own versions of the pages checked and stored (custom.h).
 *
 * The checks are a lint for the retailer's honest mistakes and a second wall: the boundary is the
 * pages' Content-Security-Policy (http/response.c), which forbids scripts, frames and every
 * other host's assets in the browser whatever the text holds. The scanner reads tags and their
 * attributes as a browser would for these purposes (quoted and unquoted values, comments), not a
 * full HTML parser; what it cannot read it refuses rather than lets through.
 */
#include "pages/custom.h"

#include <string.h>
#include <strings.h>

#include "clean/clean.h"
#include "pages/page.h"
#include "pages/page_int.h"

/* ---- where: a byte's line and column ------------------------------------------------------ */

static void pos_at(const char *s, size_t off, struct template_pos *pos)
{
    pos->line = 1;
    pos->column = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            pos->line++;
            pos->column = 1;
        } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
            pos->column++; /* a character's first byte */
        }
    }
}

static enum kt_rc refuse(const char *code, const char *s, size_t off, struct template_pos *pos,
                         struct kt_err *err, const char *what)
{
    pos_at(s, off, pos);
    return kt_err_set(err, KT_EINVAL, code, "body", "line %d, column %d: %s", pos->line,
                      pos->column, what);
}

/* ---- addresses ----------------------------------------------------------------------------- */

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && strncasecmp(s, prefix, k) == 0;
}

/* The address's scheme's length (before ':'), 0 when it has none (a path on this server). */
static size_t scheme_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                     (i > 0 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' ||
                                s[i] == '.')))) {
        i++;
    }
    return i > 0 && i < n && s[i] == ':' ? i : 0;
}

/* Why address `s` may not be an asset's (NULL: it may): another host's, or a scheme other than
 * data:. `link` for a link's href, which may lead anywhere but to a script. */
static const char *address_bad(const char *s, size_t n, bool link)
{
    while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    size_t k = scheme_len(s, n);
    if (starts(s, n, "javascript:") || starts(s, n, "vbscript:")) {
        return "a script's address";
    }
    if (link) {
        return starts(s, n, "data:") ? "a data: address in a link" : NULL;
    }
    if (starts(s, n, "//") || starts(s, n, "\\\\") || starts(s, n, "/\\")) {
        return "an address on another host: a page loads its assets from this server only";
    }
    if (k > 0 && !starts(s, n, "data:")) {
        return "an address on another host: a page loads its assets from this server only";
    }
    return NULL;
}

/* ---- stylesheets --------------------------------------------------------------------------- */

/* The first @import or url() of another host in `s` (a stylesheet, or a page's styles). */
static enum kt_rc css_scan(const char *s, size_t n, struct template_pos *pos, struct kt_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '@' && starts(s + i, n - i, "@import")) {
            return refuse("page_unsafe", s, i, pos, err,
                          "@import: a page has one stylesheet, /p/style.css");
        }
        if ((s[i] == 'u' || s[i] == 'U') && starts(s + i, n - i, "url(")) {
            size_t j = i + 4;
            while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '"' || s[j] == '\'')) {
                j++;
            }
            const char *why = address_bad(s + j, n - j, false);
            if (why != NULL) {
                return refuse("page_unsafe", s, i, pos, err, why);
            }
        }
    }
    return KT_OK;
}

/* ---- HTML and SVG -------------------------------------------------------------------------- */

static const char *const banned_tags[] = {"script",        "iframe", "frame",  "frameset",
                                          "object",        "embed",  "applet", "base",
                                          "foreignobject", "portal", "meta",   NULL};
/* meta: a page's meta tags are the layout's (refresh and http-equiv could send her elsewhere);
 * the built-in layout's own are allowed below. */

/* The attributes that name an address (srcset: a list of them). */
static const char *const address_attrs[] = {
    "src",        "href", "xlink:href", "action", "formaction", "poster",      "data",
    "background", "ping", "manifest",   "icon",   "srcset",     "imagesrcset", NULL};

static bool in(const char *const *list, const char *s, size_t n)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strlen(list[i]) == n && strncasecmp(list[i], s, n) == 0) {
            return true;
        }
    }
    return false;
}

static bool name_char(char c)
{
    return c != '\0' && strchr(" \t\r\n/>=\"'", c) == NULL;
}

static size_t skip_space(const char *s, size_t n, size_t i)
{
    while (i < n && strchr(" \t\r\n", s[i]) != NULL && s[i] != '\0') {
        i++;
    }
    return i;
}

/* The attributes of the tag whose name ends at `i`; *end just after its '>'. */
static enum kt_rc attrs_scan(const char *s, size_t n, size_t i, const char *tag, size_t tag_len,
                             size_t *end, struct template_pos *pos, struct kt_err *err)
{
    bool link = (tag_len == 1 && strncasecmp(tag, "a", 1) == 0) ||
                (tag_len == 4 && strncasecmp(tag, "area", 4) == 0);
    while (i < n && s[i] != '>') {
        i = skip_space(s, n, i);
        if (i < n && (s[i] == '/' || s[i] == '"' || s[i] == '\'' || s[i] == '=')) {
            i++;
            continue;
        }
        size_t a0 = i;
        while (i < n && name_char(s[i])) {
            i++;
        }
        if (i == a0) { /* a byte no attribute starts with (a NUL in an SVG): passed over */
            i++;
            continue;
        }
        size_t a_len = i - a0, v0 = i, v_len = 0;
        bool unquoted = false;
        if (a_len > 2 && s[a0] == '{' && s[a0 + 1] == '{' && strchr("#^/!", s[a0 + 2]) == NULL) {
            return refuse("page_unsafe", s, a0, pos, err,
                          "a value where an attribute's name goes: values go inside quotes");
        }
        i = skip_space(s, n, i);
        if (i < n && s[i] == '=') {
            i = skip_space(s, n, i + 1);
            if (i < n && (s[i] == '"' || s[i] == '\'')) {
                const char *q = memchr(s + i + 1, s[i], n - i - 1);
                if (q == NULL) {
                    return refuse("page_unsafe", s, i, pos, err, "an attribute's quote not closed");
                }
                v0 = i + 1;
                v_len = (size_t)(q - (s + v0));
                i = (size_t)(q - s) + 1;
            } else {
                v0 = i;
                while (i < n && strchr(" \t\r\n>", s[i]) == NULL && s[i] != '\0') {
                    i++;
                }
                v_len = i - v0;
                unquoted = true;
            }
        }
        if (unquoted && memmem(s + v0, v_len, "{{", 2) != NULL) {
            return refuse("page_unsafe", s, v0, pos, err,
                          "a value in an unquoted attribute: values go inside quotes");
        }
        if (a_len > 2 && strncasecmp(s + a0, "on", 2) == 0) {
            return refuse("page_unsafe", s, a0, pos, err,
                          "an event handler (on...=): a page runs no script");
        }
        if (a_len == 10 && strncasecmp(s + a0, "http-equiv", 10) == 0) {
            return refuse("page_unsafe", s, a0, pos, err,
                          "http-equiv: a page neither refreshes nor sets headers");
        }
        if (in(address_attrs, s + a0, a_len)) {
            const char *why = address_bad(s + v0, v_len, link && a_len == 4);
            if (why == NULL && a_len >= 6 && strncasecmp(s + a0 + a_len - 6, "srcset", 6) == 0 &&
                !starts(s + v0, v_len, "data:") &&
                (memchr(s + v0, ':', v_len) != NULL || memmem(s + v0, v_len, "//", 2) != NULL)) {
                why = "an address on another host: a page loads its assets from this server only";
            }
            if (why != NULL) {
                return refuse("page_unsafe", s, a0, pos, err, why);
            }
        }
    }
    *end = i < n ? i + 1 : n;
    return KT_OK;
}

/* The one http-equiv a layout may hold: the tablet's return to its empty form, whose address the
 * server puts in `refresh` (docs/pages.md, "The tablet") - never a retailer's. */
#define PAGES_REFRESH_TAG "<meta http-equiv=\"refresh\" content=\"{{refresh}}\">"

/* The first tag or attribute of HTML (or SVG) `s` that would run a script or load another host's
 * asset. `meta_ok`: the layout, whose <meta> tags are its own (charset, viewport, robots, the
 * tablet's refresh). */
static enum kt_rc html_scan(const char *s, size_t n, bool meta_ok, struct template_pos *pos,
                            struct kt_err *err)
{
    for (size_t i = 0; i < n;) {
        if (s[i] != '<') {
            i++;
            continue;
        }
        if (starts(s + i, n - i, "<!--")) {
            const char *e = memmem(s + i + 4, n - i - 4, "-->", 3);
            i = e != NULL ? (size_t)(e - s) + 3 : n;
            continue;
        }
        size_t t0 = i + 1 + (i + 1 < n && s[i + 1] == '/');
        size_t t = t0;
        while (t < n && name_char(s[t])) {
            t++;
        }
        if (t == t0 || (s[i + 1] == '!' || s[i + 1] == '?')) {
            i++;
            continue; /* text ("a < b"), a doctype */
        }
        if (s[t0] == '{') {
            return refuse("page_unsafe", s, t0, pos, err, "a tag's name from a value");
        }
        bool meta = t - t0 == 4 && strncasecmp(s + t0, "meta", 4) == 0;
        if (in(banned_tags, s + t0, t - t0) && !(meta && meta_ok)) {
            return refuse("page_unsafe", s, i, pos, err,
                          "a tag a page may not hold (script, frame, object, embed, base, meta)");
        }
        if (meta && meta_ok && starts(s + i, n - i, PAGES_REFRESH_TAG)) {
            i += sizeof(PAGES_REFRESH_TAG) - 1; /* the server's own refresh: a path of its own */
            continue;
        }
        if (KT_OK != attrs_scan(s, n, t, s + t0, t - t0, &i, pos, err)) {
            return err->rc;
        }
    }
    return css_scan(s, n, pos, err); /* <style> and style="" */
}

/* ---- the check ----------------------------------------------------------------------------- */

/* Every name `t` uses is one the built-in version `b` uses (anywhere: a retailer may move a name
 * in or out of a section; what the page's context holds is what its built-in shows). */
static enum kt_rc vars_known(const struct template *t, const struct template *b,
                             struct template_pos *pos, struct kt_err *err)
{
    const struct template_var *tv, *bv;
    size_t tn = template_vars(t, &tv), bn = template_vars(b, &bv);
    for (size_t i = 0; i < tn; i++) {
        bool known = false;
        for (size_t k = 0; k < bn && !known; k++) {
            known = strcmp(tv[i].name, bv[k].name) == 0;
        }
        if (!known) {
            pos->line = tv[i].line;
            pos->column = tv[i].column;
            return kt_err_set(err, KT_EINVAL, "page_unknown_variable", "body",
                              "line %d, column %d: '%s' is not among the page's values (its "
                              "built-in version shows every value it has)",
                              tv[i].line, tv[i].column, tv[i].name);
        }
    }
    return KT_OK;
}

static bool uses(const struct template *t, const char *name)
{
    const struct template_var *v;
    size_t n = template_vars(t, &v);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

static enum kt_rc too_large(size_t len, size_t max, struct template_pos *pos, struct kt_err *err)
{
    *pos = (struct template_pos){0, 0};
    return kt_err_set(err, KT_EINVAL, "page_too_large", "body",
                      "%zu bytes: at most %zu may be stored", len, max);
}

static enum kt_rc check_template(const char *name, const char *body, size_t len,
                                 struct template_pos *pos, struct kt_err *err)
{
    struct template *t = NULL;
    size_t bytes = 0;
    if (template_compile(body, len, TEMPLATE_HTML, &t, pos, err) != KT_OK) {
        kt_strlcpy(err->field, "body", sizeof(err->field));
        return err->rc;
    }
    enum kt_rc rc = html_scan(body, len, strcmp(name, "layout") == 0, pos, err);
    if (rc == KT_OK) {
        rc = vars_known(t, pages_builtin_template(name), pos, err);
    }
    if (rc == KT_OK && strcmp(name, "layout") == 0 && !uses(t, "body")) {
        *pos = (struct template_pos){0, 0};
        rc = kt_err_set(err, KT_EINVAL, "page_missing_variable", "body",
                        "the layout must show the page: {{{body}}}");
    }
    if (rc == KT_OK && (rc = pages_weigh(name, t, &bytes, err)) != KT_OK) {
        *pos = (struct template_pos){0, 0};
        kt_strlcpy(err->field, "body", sizeof(err->field));
    }
    if (rc == KT_OK && bytes > PAGES_PAGE_MAX) {
        *pos = (struct template_pos){0, 0};
        rc = kt_err_set(err, KT_EINVAL, "page_too_large", "body",
                        "the page weighs %zu bytes with a sample of its values: at most %d", bytes,
                        PAGES_PAGE_MAX);
    }
    template_free(t);
    return rc;
}

static enum kt_rc check_logo(const char *body, size_t len, const char *type,
                             struct template_pos *pos, struct kt_err *err)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (len > PAGES_LOGO_MAX) {
        return too_large(len, PAGES_LOGO_MAX, pos, err);
    }
    *pos = (struct template_pos){0, 0};
    if (type != NULL && strcmp(type, "image/png") == 0) {
        return len > sizeof(png) && memcmp(body, png, sizeof(png)) == 0
                   ? KT_OK
                   : kt_err_set(err, KT_EINVAL, "logo_invalid", "body",
                                "the body is not a PNG image");
    }
    if (type == NULL || strcmp(type, "image/svg+xml") != 0) {
        return kt_err_set(err, KT_EMEDIA, "unsupported_media_type", NULL,
                          "a logo is sent as image/png or image/svg+xml");
    }
    if (!clean_utf8_valid(body, len) || memmem(body, len, "<svg", 4) == NULL) {
        return kt_err_set(err, KT_EINVAL, "logo_invalid", "body",
                          "the body is not an SVG image in UTF-8");
    }
    return html_scan(body, len, false, pos, err);
}

enum kt_rc pages_check(const char *name, const char *body, size_t len, const char *type,
                       struct template_pos *pos, struct kt_err *err)
{
    if (strcmp(name, PAGES_LOGO) == 0) {
        return check_logo(body, len, type, pos, err);
    }
    if (strcmp(name, PAGES_STYLE) == 0) {
        if (len > PAGES_STYLE_MAX) {
            return too_large(len, PAGES_STYLE_MAX, pos, err);
        }
        if (!clean_utf8_valid(body, len) || memchr(body, '\0', len) != NULL) {
            *pos = (struct template_pos){0, 0};
            return kt_err_set(err, KT_EINVAL, "template_invalid_utf8", "body",
                              "the stylesheet is not UTF-8 text");
        }
        return css_scan(body, len, pos, err);
    }
    return check_template(name, body, len, pos, err);
}

/* ---- stored -------------------------------------------------------------------------------- */

static bool same(const struct page_version *a, const struct page_version *b)
{
    if (a->body == NULL || b->body == NULL) {
        return a->body == b->body;
    }
    return a->len == b->len && memcmp(a->body, b->body, a->len) == 0 &&
           ((a->type == NULL && b->type == NULL) ||
            (a->type != NULL && b->type != NULL && strcmp(a->type, b->type) == 0));
}

enum kt_rc pages_save(struct store_conn *w, struct page_version *v, struct arena *a, bool *added,
                      struct kt_err *err)
{
    struct page_version last = {.body = NULL};
    bool found = false;
    *added = false;
    if (store_page_get(w, v->name, 0, a, &last, &found, err) != KT_OK) {
        return err->rc;
    }
    if (same(&last, v)) { /* the current version again (or the built-in, never replaced) */
        if (found) {
            *v = last;
        }
        return KT_OK;
    }
    v->version = found ? last.version + 1 : 1;
    *added = true;
    return store_page_put(w, v, err);
}
