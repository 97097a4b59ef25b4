/*
 * page_assets.c - what the customer's pages load besides themselves (docs/pages.md): the one
 * stylesheet, GET /p/style.css. Public; served under the pages' Content-Security-Policy. And the
 * replies every page's handler makes: a page, the invalid link's, the stale form's.
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

enum kt_rc api_page_reply(struct http_req *r, int status, const char *name, const char *title,
                          const json_t *ctx, struct kt_err *err)
{
    const char *html = NULL;
    size_t len = 0;
    if (pages_render(name, title, ctx, r->arena, &html, &len, err) != KT_OK) {
        return err->rc;
    }
    http_reply_text(r, status, "text/html; charset=utf-8", html, len);
    return KT_OK;
}

enum kt_rc api_page_invalid(struct http_req *r, struct kt_err *err)
{
    return api_page_reply(r, http_status_of(KT_ENOTFOUND), "invalid", "Ссылка недействительна",
                          NULL, err);
}

enum kt_rc api_page_stale(struct http_req *r, const char *text, const char *back,
                          struct kt_err *err)
{
    json_t *ctx =
        json_pack("{s:s, s:s, s:s}", "heading", "Форма устарела", "text", text, "back", back);
    kt_err_reset(err);
    enum kt_rc rc =
        api_page_reply(r, http_status_of(KT_EFORBIDDEN), "refused", "Форма устарела", ctx, err);
    json_decref(ctx);
    return rc;
}
