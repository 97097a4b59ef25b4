/*
 * join_points.c - /v1/join-points (docs/pages.md, "Join points and QR codes"): a store and a spot
 * where a QR code invites customers to join, named by a short random code; its QR code as SVG and
 * PNG and its printable A5/A6 poster. The join form its link opens (/j/{code}) is a later part of
 * issue 14. No customer data is read here.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/num.h"
#include "pages/join_points.h"
#include "pages/qr.h"

#define STORE_MAX       64 /* a store's code, as /v1/stores takes it */
#define LABEL_MAX_BYTES (JP_LABEL_MAX * 4)
#define MODULE_PX       10 /* the PNG's pixels a module unless ?module_px= says */

/* A join point as the API shows it; `link` is its public link, or NULL (no public_url yet). */
static json_t *jp_json(struct arena *a, const struct join_point *j, const char *link)
{
    const char *base = arena_printf(a, "/v1/join-points/%s", j->code);
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s?, s:s, s:s?, s:s, s:s, s:s}", "code", j->code, "store", j->store,
        "spot", j->spot, "label", j->label, "created_at", api_time(a, j->created_at), "url", link,
        "qr_svg", arena_printf(a, "%s/qr.svg", base), "qr_png", arena_printf(a, "%s/qr.png", base),
        "poster", arena_printf(a, "%s/poster.svg", base));
    json_object_set_new(o, "label", j->label ? json_string(j->label) : json_null());
    json_object_set_new(o, "url", link ? json_string(link) : json_null());
    json_object_set_new(o, "disabled_at",
                        j->disabled_at ? json_string(api_time(a, j->disabled_at)) : json_null());
    return o;
}

/* The links' start when public_url is set, else NULL (a list or a read still answers). */
static enum kt_rc base_or_null(struct store_conn *c, struct arena *a, const char **out,
                               struct kt_err *err)
{
    struct kt_err e;
    kt_err_reset(&e);
    *out = NULL;
    if (jp_base(c, a, out, &e) == KT_OK || strcmp(e.code, "public_url_required") == 0) {
        return KT_OK;
    }
    *err = e;
    return err->rc;
}

static const char *link_of(struct arena *a, const char *base, const struct join_point *j)
{
    return base ? arena_printf(a, "%s%s", base, j->code) : NULL;
}

/* POST /v1/join-points {store, spot, label?} -> 201. */
enum kt_rc api_join_points_create(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"store", "spot", "label", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *store, *spot, *label = NULL, *link;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "store", STORE_MAX, JSONX_REQUIRED, r->arena, &store, err) != KT_OK ||
        jsonx_enum(body, "", "spot", jp_spots, JSONX_REQUIRED, &spot, err) != KT_OK ||
        jsonx_str(body, "", "label", LABEL_MAX_BYTES, JSONX_EMPTY_OK, r->arena, &label, err) !=
            KT_OK) {
        return err->rc;
    }
    struct store_conn *w;
    struct join_point j;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = jp_create(w, store, spot, label, clock_now_ms(), r->arena, &j, err);
    if (rc == KT_OK) {
        rc = jp_link(w, j.code, r->arena, &link, err); /* no public_url: nothing is made */
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 201, jp_json(r->arena, &j, link));
    return KT_OK;
}

enum kt_rc api_join_points_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", "store", NULL};
    struct store_conn *rd;
    struct join_point *js;
    size_t n;
    int limit;
    const char *cursor, *store = http_req_query(r, "store");
    const char *scope = store ? store : "";
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 100, 1000, &limit, err) != KT_OK ||
        api_cursor(r, "join_points", scope, &cursor, err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK ||
        jp_list(rd, store, cursor, (size_t)limit, r->arena, &js, &n, err) != KT_OK) {
        return err->rc;
    }
    const char *base;
    if (base_or_null(rd, r->arena, &base, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, jp_json(r->arena, &js[i], link_of(r->arena, base, &js[i])));
    }
    const char *next = n == (size_t)limit ? js[n - 1].code : NULL;
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o}", "items", items, "next_cursor",
                              api_next_cursor(r, "join_points", scope, next)));
    return KT_OK;
}

enum kt_rc api_join_points_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct join_point j;
    const char *base;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        jp_get(rd, r->params[0], r->arena, &j, err) != KT_OK ||
        base_or_null(rd, r->arena, &base, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, jp_json(r->arena, &j, link_of(r->arena, base, &j)));
    return KT_OK;
}

/* POST /v1/join-points/{code}/disable: it takes no one from then on; again, the same reply. */
enum kt_rc api_join_points_disable(struct http_req *r, struct kt_err *err)
{
    struct store_conn *w;
    struct join_point j;
    const char *base = NULL;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = jp_disable(w, r->params[0], clock_now_ms(), r->arena, &j, err);
    if (rc == KT_OK) {
        rc = base_or_null(w, r->arena, &base, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, jp_json(r->arena, &j, link_of(r->arena, base, &j)));
    return KT_OK;
}

/* The join point of the path with its link, for its pictures: a disabled one has none to print
 * (409 join_point_disabled). */
static enum kt_rc printable(struct http_req *r, const char *const *allowed, struct store_conn **rd,
                            struct join_point *j, const char **link, struct kt_err *err)
{
    if (http_req_query_only(r, allowed, err) != KT_OK || http_req_reader(r, rd, err) != KT_OK ||
        jp_get(*rd, r->params[0], r->arena, j, err) != KT_OK) {
        return err->rc;
    }
    if (j->disabled_at) {
        return kt_err_set(err, KT_ECONFLICT, "join_point_disabled", NULL,
                          "the join point is disabled: it has no code to print");
    }
    return jp_link(*rd, j->code, r->arena, link, err);
}

enum kt_rc api_join_points_qr_svg(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {NULL};
    struct store_conn *rd;
    struct join_point j;
    const char *link, *svg;
    if (printable(r, allowed, &rd, &j, &link, err) != KT_OK ||
        qr_svg(link, link, r->arena, &svg, err) != KT_OK) {
        return err->rc;
    }
    http_reply_text(r, 200, "image/svg+xml", svg, strlen(svg));
    return KT_OK;
}

enum kt_rc api_join_points_qr_png(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"module_px", NULL};
    struct store_conn *rd;
    struct join_point j;
    const char *link, *px = http_req_query(r, "module_px");
    const unsigned char *png;
    size_t len;
    int64_t module_px = MODULE_PX;
    if (px != NULL && !num_parse_cstr(px, 1, QR_MODULE_PX_MAX, &module_px)) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "module_px",
                          "module_px is a number from 1 to %d", QR_MODULE_PX_MAX);
    }
    if (printable(r, allowed, &rd, &j, &link, err) != KT_OK ||
        qr_png(link, (int)module_px, r->arena, &png, &len, err) != KT_OK) {
        return err->rc;
    }
    http_reply_text(r, 200, "image/png", (const char *)png, len);
    return KT_OK;
}

enum kt_rc api_join_points_poster(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"paper", NULL};
    struct store_conn *rd;
    struct join_point j;
    const char *link, *svg, *paper = http_req_query(r, "paper");
    if (paper != NULL && strcmp(paper, "a5") != 0 && strcmp(paper, "a6") != 0) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "paper", "paper is a5 or a6");
    }
    if (printable(r, allowed, &rd, &j, &link, err) != KT_OK ||
        jp_poster(rd, &j, paper, r->arena, &svg, err) != KT_OK) {
        return err->rc;
    }
    http_reply_text(r, 200, "image/svg+xml", svg, strlen(svg));
    return KT_OK;
}
