/*
 * custom.h - the retailer's own versions of the customer's pages (docs/pages.md, "The retailer's
 * own pages"): a page's template, the stylesheet and the logo, each checked before it is stored
 * and stored as the next version of its name (table page_versions); a reset stores a version
 * without a body, which brings the built-in back. page.h renders with the current versions.
 */
#ifndef KT_PAGES_CUSTOM_H
#define KT_PAGES_CUSTOM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"
#include "template/template.h"

/*
 * Checks `len` bytes of `body` as the retailer's version of `name` (pages_name_known), a 422 with
 * field "body" and *pos the place (line and column 1-based; 0, 0 for the whole text) when it may
 * not be stored:
 *   - a page: it compiles as an HTML template (the template's codes: template_syntax, ...); it
 *     uses only names its built-in version uses (page_unknown_variable); it adds no script nor
 *     third-party asset (page_unsafe: <script>, <iframe>, <object>, <embed>, <base>, an on*=
 *     handler, a javascript: address, an http(s):// or //host address in a src, href (but a
 *     link's), srcset, action...; @import or url() of another host in a style); rendered with
 *     a sample of its values inside the layout it weighs at most PAGES_PAGE_MAX (page_too_large);
 *     the layout shows the page, {{{body}}} (page_missing_variable);
 *   - the stylesheet: UTF-8, at most PAGES_STYLE_MAX, no @import nor url() of another host;
 *   - the logo (`type` its media type): a PNG, or an SVG with nothing a page may not hold, at most
 *     PAGES_LOGO_MAX (logo_invalid when the bytes are not the type).
 */
enum kt_rc pages_check(const char *name, const char *body, size_t len, const char *type,
                       struct template_pos *pos, struct kt_err *err);

/*
 * Stores `v` (name, body or NULL for a reset, len, type, created_at, key_id set) as the next
 * version of its name in write transaction `w`, unless it is the current one already (the same
 * body again, or a reset of what is the built-in already): then *added is false and *v that
 * version (version 0 when none was ever stored). Checked before, with pages_check.
 */
enum kt_rc pages_save(struct store_conn *w, struct page_version *v, struct arena *a, bool *added,
                      struct kt_err *err);

#endif
