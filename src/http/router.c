/*
 * router.c - path matching (see router.h), and the call of the matched handler, which replies
 * the handler's error and keeps the audit log of reads complete (ROUTE_PD). The table is small
 * (tens of routes) and matching is a linear scan over segments without allocation until a match is
 * found.
 */
#include "http/router.h"

#include <string.h>

#include "base/clock.h"
#include "consent/consent.h"

const char *http_method_name(enum http_method m)
{
    static const char *const names[] = {"GET",    "POST",    "PUT",  "PATCH",
                                        "DELETE", "OPTIONS", "OTHER"};
    return names[m];
}

enum http_method http_method_parse(const char *s)
{
    for (int m = HTTP_GET; m < HTTP_OTHER; m++) {
        if (strcmp(s, http_method_name((enum http_method)m)) == 0) {
            return (enum http_method)m;
        }
    }
    return HTTP_OTHER;
}

/* Next segment of `*p` (after the leading '/'); false at the end. */
static bool next_seg(const char **p, const char **seg, size_t *len)
{
    if (**p != '/') {
        return false;
    }
    (*p)++;
    *seg = *p;
    while (**p != '\0' && **p != '/') {
        (*p)++;
    }
    *len = (size_t)(*p - *seg);
    return true;
}

/* The parameters of a pattern: its "{...}" segments. */
static size_t count_params(const char *pattern)
{
    size_t n = 0;
    for (const char *p = strstr(pattern, "/{"); p != NULL; p = strstr(p + 1, "/{")) {
        n++;
    }
    return n;
}

/* Matches; returns -1 when not, else the number of parameter segments (fewer is more literal). */
static int match_one(const char *pattern, const char *path, const char **params, struct arena *a)
{
    const char *pp = pattern, *sp = path;
    const char *ps, *ss;
    size_t pl, sl;
    int nparams = 0;
    for (;;) {
        bool more_p = next_seg(&pp, &ps, &pl);
        bool more_s = next_seg(&sp, &ss, &sl);
        if (!more_p || !more_s) {
            return more_p == more_s && *sp == '\0' ? nparams : -1;
        }
        if (pl > 3 && ps[0] == '{' && ps[pl - 2] == '*' && ps[pl - 1] == '}' && *pp == '\0' &&
            nparams < HTTP_MAX_PARAMS) {
            /* "{name*}", the last segment: the rest of the path, one segment or more, may be empty;
             * less literal than any other pattern. */
            if (params != NULL) {
                params[nparams] = arena_strdup(a, ss);
            }
            return HTTP_MAX_PARAMS;
        }
        if (pl > 2 && ps[0] == '{' && ps[pl - 1] == '}') {
            if (sl == 0 || nparams == HTTP_MAX_PARAMS) {
                return -1;
            }
            if (params != NULL) {
                params[nparams] = arena_strndup(a, ss, sl);
            }
            nparams++;
        } else if (pl != sl || memcmp(ps, ss, sl) != 0) {
            return -1;
        }
    }
}

void router_match(const struct route *routes, size_t n, enum http_method method, const char *path,
                  struct arena *a, struct route_match *m)
{
    memset(m, 0, sizeof(*m));
    m->index = -1;
    int best = -1, best_params = HTTP_MAX_PARAMS + 1;
    for (size_t i = 0; i < n; i++) {
        int np = match_one(routes[i].pattern, path, NULL, a);
        if (np < 0) {
            continue;
        }
        m->allow |= 1u << routes[i].method;
        if (routes[i].method == method && np < best_params) {
            best = (int)i;
            best_params = np;
        }
    }
    if (best >= 0) {
        m->route = &routes[best];
        m->index = best;
        int np = match_one(routes[best].pattern, path, m->params, a);
        m->n_params = np == HTTP_MAX_PARAMS ? count_params(routes[best].pattern) : (size_t)np;
    }
}

const char *router_allow_header(unsigned allow, struct arena *a)
{
    char out[64] = "";
    size_t len = 0;
    for (int mth = HTTP_GET; mth < HTTP_OTHER; mth++) {
        if (allow & (1u << mth)) {
            len += kt_snprintf(out + len, sizeof(out) - len, "%s%s", len ? ", " : "",
                               http_method_name((enum http_method)mth));
        }
    }
    return arena_strdup(a, out);
}

/* The customer a route names in its path ("/v1/customers/{id}/..."), or NULL. */
static const char *path_customer(const struct http_req *r)
{
    static const char prefix[] = "/v1/customers/{id}";
    return strncmp(r->route->pattern, prefix, sizeof(prefix) - 1) == 0 && r->n_params > 0
               ? r->params[0]
               : NULL;
}

/* A route whose reply may hold personal data leaves at least one entry in the audit log: the
 * handler notes each customer it shows (or a change names them); when it noted nothing and did
 * not say its reply holds no personal data, the router notes the read itself, naming the
 * customer of the path if there is one - so a handler that forgets is still logged. Called
 * while the caller's address is still known. */
static void audit_fallback(struct http_req *r)
{
    struct audit_tally t = audit_caller_tally();
    if ((r->route->flags & ROUTE_PD) && r->status < 400 && t.entries == 0 && !t.nothing_read) {
        audit_note(r->key ? r->key->id : NULL, "read", path_customer(r), 0, r->route->pattern, NULL,
                   r->rid, clock_now_ms());
    }
}

void router_call(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    if ((r->route->flags & ROUTE_PD) && !audit_admit()) { /* read nothing the log cannot hold */
        kt_err_set(&err, KT_EBUSY, "audit_busy", NULL,
                   "the audit log cannot record this read now; retry shortly");
        err.retry_after = 2;
        http_reply_error(r, &err);
        return;
    }
    audit_caller_begin(r->ip);
    enum kt_rc rc = r->route->handler(r, &err);
    if (rc == KT_OK && (r->json != NULL || r->text != NULL)) {
        audit_fallback(r);
    }
    audit_caller_end();
    if (rc != KT_OK && err.rc == KT_OK) { /* a code without its error: a bug of the handler */
        kt_err_set(&err, KT_EINTERNAL, "internal", NULL, "internal error");
        kt_err_detail(&err, "the handler returned '%s' without raising an error", kt_rc_name(rc));
    }
    if (rc != KT_OK) {
        http_reply_error(r, &err);
        return;
    }
    if (r->json == NULL && r->text == NULL) {
        struct kt_err e;
        kt_err_reset(&e);
        kt_err_set(&e, KT_EINTERNAL, "internal", NULL, "the handler gave no reply");
        http_reply_error(r, &e);
    }
}
