/*
 * router.h - matching a method and a path against the route table.
 *
 * Patterns are split at "/"; a segment "{name}" matches any one non-empty segment and its text
 * becomes a parameter. Literal segments win over parameters, so "/v1/customers/lookup" could sit
 * beside "/v1/customers/{id}". A last segment "{name*}" matches the rest of the path (one or more
 * segments, the first may be empty: "/admin/{path*}" matches "/admin/" and "/admin/a/b"), and its
 * text is the last parameter; it loses to every other pattern. A path that matches some pattern but
 * not with this method is a 405, and `allow` lists the methods that would have matched.
 */
#ifndef KT_HTTP_ROUTER_H
#define KT_HTTP_ROUTER_H

#include "http/http.h"

struct route_match {
    const struct route *route;           /* NULL when nothing matched */
    int index;                           /* position in the table, -1 when none */
    const char *params[HTTP_MAX_PARAMS]; /* in the arena */
    size_t n_params;
    unsigned allow; /* bit per enum http_method matching the path */
};

void router_match(const struct route *routes, size_t n, enum http_method method, const char *path,
                  struct arena *a, struct route_match *m);

const char *http_method_name(enum http_method m);
enum http_method http_method_parse(const char *s);

/* Runs the matched route's handler and makes sure the request has a reply: the error the handler
 * returned (its `struct kt_err`, with the status http_status_of() gives its code and the
 * Retry-After of a limit or a busy store), or a 500 when it returned KT_OK without replying. The
 * one place a handler's error is replied. Around the handler the audit log knows the caller's
 * address (audit_caller_begin); a ROUTE_PD route is refused with 503 audit_busy while the log of
 * reads cannot take more, and gets an entry of the router's when its handler logged none. */
void router_call(struct http_req *r);

/* "GET, POST" for an allow mask, in the arena. */
const char *router_allow_header(unsigned allow, struct arena *a);

#endif
