/*
 * page_assets.c - what the customer's pages load besides themselves (docs/pages.md): the one
 * stylesheet, GET /p/style.css, and the retailer's logo, GET /p/logo (404 when none is stored).
 * Public; served under the pages' Content-Security-Policy, with an entity tag that changes with
 * the bytes: `If-None-Match` of the current one is a 304, and the pages link them as
 * `?v=<tag>`, which may be cached for a year (a new version is a new address).
 * The replies every page's handler makes: a page, the invalid link's, the stale form's; and the
 * admin's reply of a page's link (the questionnaire's, the preferences').
 */
#include <string.h>

#include "api/api.h"
#include "consent/consent.h"
#include "pages/page.h"

static enum kt_rc serve(struct http_req *r, const char *name, struct kt_err *err)
{
    static const char *const allowed[] = {"v", NULL};
    struct pages_asset a;
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if (!pages_asset(name, r->arena, &a)) {
        return kt_err_set(err, KT_ENOTFOUND, "page_not_found", NULL, "no logo is stored");
    }
    const char *v = http_req_query(r, "v"), *inm = http_req_header(r, "If-None-Match");
    r->etag = a.etag;
    r->cache_control =
        v != NULL && strlen(a.etag) == 18 && strncmp(v, a.etag + 1, 16) == 0 && v[16] == '\0'
            ? "public, max-age=31536000, immutable"
            : "no-cache";
    if (inm != NULL && strstr(inm, a.etag) != NULL) {
        http_reply_text(r, 304, a.type, "", 0);
        return KT_OK;
    }
    http_reply_text(r, 200, a.type, a.data, a.len);
    return KT_OK;
}

enum kt_rc api_page_style(struct http_req *r, struct kt_err *err)
{
    return serve(r, PAGES_STYLE, err);
}

enum kt_rc api_page_logo(struct http_req *r, struct kt_err *err)
{
    return serve(r, PAGES_LOGO, err);
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

enum kt_rc api_page_link(struct http_req *r, struct store_conn *rd, const char *prefix,
                         const char *token, struct kt_err *err)
{
    struct privacy_settings s;
    if (privacy_settings_get(rd, r->arena, &s, err) != KT_OK) {
        return err->rc;
    }
    const char *path = arena_printf(r->arena, "/%s/%s", prefix, token);
    json_t *o = json_pack("{s:s, s:s}", "token", token, "path", path);
    if (s.public_url && s.public_url[0]) {
        json_object_set_new(o, "url",
                            json_string(arena_printf(r->arena, "%s%s", s.public_url, path)));
    }
    http_reply_json(r, 200, o);
    return KT_OK;
}
