/*
 * page_int.h - what page.c (the pages in memory) shares with custom.c (the retailer's versions
 * checked and stored); not for other modules.
 */
#ifndef KT_PAGES_PAGE_INT_H
#define KT_PAGES_PAGE_INT_H

#include "pages/page.h"
#include "template/template.h"

/* The compiled built-in page `name` (NULL for the stylesheet, the logo, unknown names). */
const struct template *pages_builtin_template(const char *name);

/*
 * The bytes page `name` would weigh with `page` in place of its current version (or, when `name`
 * is "layout", the heaviest of the pages inside `page` as the layout), rendered with a sample of
 * the values its built-in version uses (each list three items long). Render errors (the
 * template's limits) in `err`.
 */
enum kt_rc pages_weigh(const char *name, const struct template *page, size_t *bytes,
                       struct kt_err *err);

#endif
