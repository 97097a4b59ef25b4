/*
 * response.c - the reply a request made (http_reply_*), queued on its connection as
 * libmicrohttpd's response: the body encoded, and the headers every reply carries (request id,
 * no caching unless the handler says otherwise, no sniffing), an entity tag, CORS for a beacon
 * route, Retry-After, Allow, Idempotent-Replayed, and Connection: close while the server drains.
 */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "http/server_int.h"

/* The pages' policy (ROUTE_PAGE): their own stylesheet and images (a QR code, a barcode inline
 * as data:), forms posting to this server, nothing else - no script, no frame, no base. */
#define HTTP_PAGE_CSP                                                                              \
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "             \
    "frame-ancestors 'none'; base-uri 'none'"
/* The console's policy (ROUTE_APP): the pages' plus its own scripts and calls to this server
 * (the API); no inline script or style, no other origin. */
#define HTTP_CONSOLE_CSP                                                                           \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* CORS for a beacon route: the request's Origin back when it is one the retailer listed. */
static void cors_headers(struct http_req *r, struct MHD_Response *resp)
{
    const char *origin = MHD_lookup_connection_value(r->impl, MHD_HEADER_KIND, "Origin");
    const char *list = r->app->cors_origins;
    size_t n = origin ? strlen(origin) : 0;
    bool ok = false;
    for (const char *p = list; n > 0 && p != NULL && *p != '\0' && !ok;) {
        size_t len = strcspn(p, ",");
        ok = len == n && strncmp(p, origin, n) == 0;
        p += len + (p[len] == ',');
    }
    MHD_add_response_header(resp, "Vary", "Origin");
    if (ok) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "POST, OPTIONS");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                "Content-Type, Authorization, X-Request-Id, X-Retry-Count");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
}

enum MHD_Result http_queue(struct reqctx *x, struct MHD_Connection *c)
{
    struct http_req *r = &x->r;
    char *data;
    size_t len;
    const char *type;
    if (r->json != NULL) {
        data = json_dumps(r->json, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
        if (data == NULL) {
            data = kt_strdup("{\"error\":{\"code\":\"internal\",\"message\":\"encoding\"}}");
            r->status = http_status_of(KT_EINTERNAL);
        }
        len = strlen(data);
        type = "application/json";
    } else {
        data = r->text;
        r->text = NULL;
        len = r->text_len;
        type = r->text_type;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "X-Request-Id", x->rid);
    MHD_add_response_header(resp, "Cache-Control",
                            r->cache_control != NULL ? r->cache_control : "no-store");
    if (r->etag != NULL) {
        MHD_add_response_header(resp, "ETag", r->etag);
    }
    if (r->last_modified != NULL) {
        MHD_add_response_header(resp, "Last-Modified", r->last_modified);
    }
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->route != NULL && (r->route->flags & ROUTE_BEACON)) {
        cors_headers(r, resp);
    }
    if (r->route != NULL && (r->route->flags & (ROUTE_PAGE | ROUTE_APP))) {
        MHD_add_response_header(resp, "Content-Security-Policy",
                                (r->route->flags & ROUTE_APP) ? HTTP_CONSOLE_CSP : HTTP_PAGE_CSP);
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    }
    if (r->retry_after > 0) {
        char ra[16];
        kt_snprintf(ra, sizeof(ra), "%d", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    if (r->allow != NULL) {
        MHD_add_response_header(resp, "Allow", r->allow);
    }
    if (r->location != NULL && r->status >= 300 && r->status < 400) {
        MHD_add_response_header(resp, "Location", r->location);
    }
    if (r->set_cookie != NULL) {
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    }
    if (r->replayed) {
        MHD_add_response_header(resp, "Idempotent-Replayed", "true");
    }
    if (x->srv->tls.cert_pem != NULL) {
        MHD_add_response_header(resp, "Strict-Transport-Security", HTTP_HSTS);
    }
    if (r->app->draining) {
        MHD_add_response_header(resp, "Connection", "close"); /* let keep-alive clients go */
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}
