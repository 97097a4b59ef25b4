/*
 * page_templates.c - /v1/pages: the retailer's own versions of the customer's pages, their
 * stylesheet and logo (docs/pages.md, "The retailer's own pages"; pages/custom.h):
 *
 *   GET  /v1/pages                  every name that may be replaced, replaced or not, its version
 *   GET  /v1/pages/{name}           the text in force (?version=: a stored version's)
 *   PUT  /v1/pages/{name}           {"body": "..."}: checked, stored as the next version
 *   PUT  /v1/pages/logo             the logo's image itself (image/png or image/svg+xml)
 *   POST /v1/pages/{name}/reset     the built-in again (a version without a body)
 *
 * Admin only; the retailer's texts, nobody's personal data (no audit row). A refused text is a
 * 422 whose error says the field (`body`) and, as a template's does, the line and the column.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "pages/custom.h"
#include "pages/page.h"

static const char *kind_of(const char *name)
{
    return strcmp(name, PAGES_STYLE) == 0  ? "stylesheet"
           : strcmp(name, PAGES_LOGO) == 0 ? "logo"
                                           : "page";
}

/* A name's JSON from its version `v` (version 0: never replaced); the text in force as `body`
 * when `body` (a logo's bytes never: its `type` and `bytes`). */
static json_t *page_json(struct arena *a, const char *name, const struct page_version *v, bool body)
{
    json_t *o = json_pack("{s:s, s:s, s:b, s:I}", "name", name, "kind", kind_of(name), "overridden",
                          v->body != NULL, "version", (json_int_t)v->version);
    if (v->version > 0) {
        json_object_set_new(o, "created_at", json_string(api_time(a, v->created_at)));
        json_object_set_new(o, "key_id", v->key_id ? json_string(v->key_id) : json_null());
    }
    if (strcmp(name, PAGES_LOGO) == 0) {
        if (v->body != NULL) {
            json_object_set_new(o, "type", json_string(v->type));
            json_object_set_new(o, "bytes", json_integer((json_int_t)v->len));
        }
    } else if (body) {
        size_t len = 0;
        const char *text = v->body != NULL ? v->body : pages_builtin(name, &len);
        len = v->body != NULL ? v->len : len;
        json_object_set_new(o, "body", json_stringn(text, len));
    }
    return o;
}

static enum kt_rc known(struct http_req *r, struct kt_err *err)
{
    if (!pages_name_known(r->params[0])) {
        return kt_err_set(err, KT_ENOTFOUND, "page_not_found", "name",
                          "no page of that name (GET /v1/pages lists them)");
    }
    return KT_OK;
}

enum kt_rc api_pages_list(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct page_version *v;
    size_t n, nn;
    const char *const *names;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_page_list(rd, r->arena, &v, &n, err) != KT_OK) {
        return err->rc;
    }
    nn = pages_names(&names);
    json_t *items = json_array();
    for (size_t i = 0; i < nn; i++) {
        struct page_version none = {.name = names[i]};
        const struct page_version *cur = &none;
        for (size_t k = 0; k < n; k++) {
            cur = strcmp(v[k].name, names[i]) == 0 ? &v[k] : cur;
        }
        json_array_append_new(items, page_json(r->arena, names[i], cur, false));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}

enum kt_rc api_pages_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct page_version v = {.name = r->params[0]};
    int64_t version;
    bool found = false;
    if (known(r, err) != KT_OK || api_version_query(r, &version, err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK ||
        store_page_get(rd, r->params[0], version, r->arena, &v, version > 0 ? NULL : &found, err) !=
            KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, page_json(r->arena, r->params[0], &v, true));
    return KT_OK;
}

/* Checks and stores `body` (NULL: a reset) as the next version of `name`. */
static enum kt_rc store_version(struct http_req *r, const char *name, const char *body, size_t len,
                                const char *type, struct kt_err *err)
{
    struct template_pos pos = {0, 0};
    struct store_conn *w;
    bool added = false;
    if (body != NULL && pages_check(name, body, len, type, &pos, err) != KT_OK) {
        if (pos.line > 0) {
            http_error_more(
                r, json_pack("{s:{s:i, s:i}}", "error", "line", pos.line, "column", pos.column));
        }
        return err->rc;
    }
    struct page_version v = {0, name, 0, body, len, body ? type : NULL, clock_now_ms(), r->key->id};
    enum kt_rc rc = store_write_begin(r->app->store, &w, err);
    if (rc == KT_OK) {
        rc = pages_save(w, &v, r->arena, &added, err);
        rc = store_write_end(w, rc, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (added) {
        pages_changed(); /* this server's pages at once; the others' within PAGES_CHECK_MS */
    }
    /* 201 for a name's first version; 200 for the next and for the same text again. */
    http_reply_json(r, added && v.version == 1 ? 201 : 200, page_json(r->arena, name, &v, true));
    return KT_OK;
}

enum kt_rc api_pages_put(struct http_req *r, struct kt_err *err)
{
    static const char *const members[] = {"body", NULL};
    const char *text = NULL;
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL || known(r, err) != KT_OK ||
        json_only_members(body, members, "", r->arena, err) != KT_OK) {
        return err->rc;
    }
    if (jsonx_str(body, "", "body", 4u << 20, JSONX_REQUIRED, r->arena, &text, err) != KT_OK) {
        return err->rc;
    }
    const json_t *s = json_object_get(body, "body");
    return store_version(r, r->params[0], json_string_value(s), json_string_length(s), NULL, err);
}

enum kt_rc api_pages_logo_put(struct http_req *r, struct kt_err *err)
{
    const char *ct = http_req_header(r, "Content-Type");
    size_t n = ct != NULL ? strcspn(ct, "; ") : 0;
    const char *type = n == 9 && strncasecmp(ct, "image/png", 9) == 0         ? "image/png"
                       : n == 13 && strncasecmp(ct, "image/svg+xml", 13) == 0 ? "image/svg+xml"
                                                                              : NULL;
    if (type == NULL) {
        return kt_err_set(err, KT_EMEDIA, "unsupported_media_type", NULL,
                          "send the logo as image/png or image/svg+xml");
    }
    if (r->body_len == 0) {
        return kt_err_set(err, KT_EINVAL, "logo_invalid", "body", "the body is empty");
    }
    return store_version(r, PAGES_LOGO, r->body, r->body_len, type, err);
}

enum kt_rc api_pages_reset(struct http_req *r, struct kt_err *err)
{
    if (known(r, err) != KT_OK) {
        return err->rc;
    }
    return store_version(r, r->params[0], NULL, 0, NULL, err);
}
