/*
 * page_assets.c - what the customer's pages load besides themselves (docs/pages.md): the one
 * stylesheet, GET /p/style.css. Public; served under the pages' Content-Security-Policy.
 */
#include "api/api.h"
#include "pages/page.h"

enum kt_rc api_page_style(struct http_req *r, struct kt_err *err)
{
    (void)err;
    size_t len = 0;
    const char *css = pages_stylesheet(&len);
    http_reply_text(r, 200, "text/css; charset=utf-8", css, len);
    return KT_OK;
}
