/*
 * admit.c - what is checked before a handler, in the order docs/design.md ("A request") gives:
 * the target's length, the route and method, a repeated query parameter, the key and its scope,
 * the body's size, type and charset; then the dispatch, which replies once - the error of a
 * check, a preflight's 204, or what the route's handler makes (router_call).
 */
#include <microhttpd.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/log.h"
#include "consent/consent.h"
#include "http/lockout.h"
#include "http/server.h"
#include "http/server_int.h"

struct query_names {
    const char **names; /* in the request's arena */
    size_t n, cap;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    (void)value;
    struct query_names *q = cls;
    if (q->n < q->cap) {
        q->names[q->n++] = key;
    }
    return MHD_YES;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The name of a query parameter given more than once (?phone=A&phone=B), or NULL. Such a request
 * is refused rather than answered for one of the values: which one a client meant is a guess.
 * Sorted, so a target full of parameters costs n log n, not n squared. */
static const char *query_repeated(struct http_req *r)
{
    struct query_names q = {NULL, 0, 0};
    int n = MHD_get_connection_values(r->impl, MHD_GET_ARGUMENT_KIND, NULL, NULL);
    if (n < 2) {
        return NULL;
    }
    q.cap = (size_t)n;
    q.names = arena_alloc(r->arena, q.cap * sizeof(*q.names));
    MHD_get_connection_values(r->impl, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
    qsort(q.names, q.n, sizeof(*q.names), name_cmp);
    for (size_t i = 1; i < q.n; i++) {
        if (strcmp(q.names[i - 1], q.names[i]) == 0) {
            return q.names[i];
        }
    }
    return NULL;
}

/* The largest body the matched route takes. */
size_t http_body_limit(const struct reqctx *x)
{
    if (x->r.route && (x->r.route->flags & ROUTE_TRACK)) {
        return HTTP_TRACK_BODY_MAX;
    }
    return x->r.route && (x->r.route->flags & ROUTE_UPLOAD) ? x->srv->app->max_upload
                                                            : x->srv->app->max_body;
}

/* A wrong key from the caller's address is counted; the one that locks the address out is logged
 * and audited - the address, never the key. */
static void count_wrong_key(struct http_req *r, int64_t mono_ms)
{
    struct lockout *l = r->app->lockout;
    if (!lockout_fail(l, r->ip, mono_ms)) {
        return;
    }
    log_warn("lockout", "ip=%s seconds=%d", r->ip, lockout_seconds(l));
    audit_caller_begin(r->ip);
    audit_note(NULL, "lockout", NULL, 0, lockout_detail(l), NULL, r->rid, clock_now_ms());
    audit_caller_end();
}

/* Checks the key of a request (the caller's address not locked out, the key valid); the key in
 * r->key on success. */
static enum kt_rc authenticate(struct reqctx *x, const char *tok, struct kt_err *err)
{
    struct http_req *r = &x->r;
    int64_t mono_ms = clock_mono_ns() / 1000000;
    int wait = lockout_wait(r->app->lockout, r->ip, mono_ms);
    if (wait > 0) { /* the right key too: a guesser who hits learns nothing while locked */
        return kt_err_limit(err, wait, "locked_out", NULL,
                            "too many wrong API keys from this address; retry later");
    }
    if (tok == NULL) {
        return kt_err_set(err, KT_EAUTH, "missing_key", NULL,
                          "an API key is required: 'Authorization: Bearer <key>'");
    }
    struct store_conn *rd;
    struct api_key *key = arena_alloc(&x->arena, sizeof(*key));
    enum kt_rc rc = http_req_reader(r, &rd, err);
    if (rc == KT_OK) {
        rc = keys_verify(rd, &r->app->secret, tok, strlen(tok), &x->arena, key, err);
    }
    if (r->method != HTTP_GET) {
        http_req_reader_end(r); /* a handler that writes must not hold a snapshot */
    }
    if (rc == KT_EAUTH && strcmp(err->code, "invalid_key") == 0) {
        count_wrong_key(r, mono_ms);
    }
    if (rc == KT_OK) {
        r->key = key;
    }
    return rc;
}

/* The user name of `Authorization: Basic <base64(user:password)>` (a tracking route's key, as
 * the Segment SDKs send their write key), in the arena; NULL when it cannot be read. */
static const char *basic_user(struct reqctx *x, const char *b64)
{
    while (*b64 == ' ') {
        b64++;
    }
    size_t n = strlen(b64);
    if (n == 0 || n > 1024) {
        return NULL;
    }
    unsigned char *bin = arena_alloc(&x->arena, n + 1);
    size_t len = 0;
    if (sodium_base642bin(bin, n, b64, n, " ", &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        return NULL;
    }
    if (memchr(bin, '\0', len) != NULL) {
        return NULL;
    }
    bin[len] = '\0';
    char *user = (char *)bin;
    user[strcspn(user, ":")] = '\0';
    return user[0] != '\0' ? user : NULL;
}

/* A tracking route's body: the size (400 beyond, as the Segment API answers), gunzipped when
 * sent so. Checked before the key, which may be inside it. */
static enum kt_rc track_body(struct reqctx *x, struct kt_err *err)
{
    struct http_req *r = &x->r;
    if (x->too_big) {
        return kt_err_set(err, KT_EBADREQ, "batch_too_large", NULL,
                          "the body is larger than %u bytes", HTTP_TRACK_BODY_MAX);
    }
    const char *enc = http_req_header(r, "Content-Encoding");
    if (enc != NULL && strcasecmp(enc, "identity") != 0) {
        if (strcasecmp(enc, "gzip") != 0) {
            return kt_err_set(err, KT_EBADREQ, "unsupported_encoding", "Content-Encoding",
                              "the body may be sent as it is or with Content-Encoding: gzip");
        }
        struct buf out;
        enum inflate_result ir =
            http_inflate(x->body.p ? x->body.p : "", x->body.len, HTTP_TRACK_BODY_MAX, &out);
        if (ir == INFLATE_TOO_BIG) {
            return kt_err_set(err, KT_EBADREQ, "batch_too_large", NULL,
                              "the body inflates to more than %u bytes", HTTP_TRACK_BODY_MAX);
        }
        if (ir != INFLATE_OK) {
            return kt_err_set(err, KT_EBADREQ, "invalid_gzip", "Content-Encoding",
                              "the body is not one whole gzip stream");
        }
        buf_release(&x->body);
        x->body = out;
    }
    r->body = buf_cstr(&x->body);
    r->body_len = x->body.len;
    return KT_OK;
}

/* A tracking route's key when no Authorization header came: the body's `writeKey` (the browser
 * SDK sends it so). The body is parsed here once and handed to the handler (http_req_json). */
static enum kt_rc body_key(struct reqctx *x, const char **tok, struct kt_err *err)
{
    struct http_req *r = &x->r;
    r->parsed = http_json_parse(r->body, r->body_len, err);
    if (r->parsed == NULL) {
        return err->rc;
    }
    *tok = json_string_value(json_object_get(r->parsed, "writeKey"));
    return KT_OK;
}

/* Authenticates the key of a non-public route - or, without one, the console's session cookie,
 * whose changes need the X-CSRF-Token header - and checks its scope, and a store-limited key's
 * right to the route (only those marked ROUTE_STORES). */
static enum kt_rc authorize(struct reqctx *x, struct kt_err *err)
{
    struct http_req *r = &x->r;
    const char *h = MHD_lookup_connection_value(r->impl, MHD_HEADER_KIND, "Authorization");
    const char *in_url =
        (r->route->flags & ROUTE_BEACON) && h == NULL ? http_req_query(r, "key") : NULL;
    const char *tok = in_url;
    bool track = (r->route->flags & ROUTE_TRACK) != 0;
    if (in_url == NULL && h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        tok = h + 7;
        while (*tok == ' ') {
            tok++;
        }
    } else if (track && h != NULL && strncasecmp(h, "Basic ", 6) == 0) {
        tok = basic_user(x, h + 6);
    } else if (track && h == NULL && tok == NULL && body_key(x, &tok, err) != KT_OK) {
        return err->rc;
    }
    const char *cookie =
        h == NULL && in_url == NULL && !track ? http_req_cookie(r, SESSION_COOKIE) : NULL;
    if (cookie != NULL) { /* the console's session stands for a key (auth/session.h) */
        struct session *s = arena_alloc(&x->arena, sizeof(*s));
        struct api_key *k = arena_alloc(&x->arena, sizeof(*k));
        if (http_session(r, false, s, err) != KT_OK) {
            return err->rc;
        }
        session_as_key(s, k);
        r->key = k;
    } else if (authenticate(x, tok, err) != KT_OK) {
        return err->rc;
    }
    const struct api_key *key = r->key;
    if (in_url != NULL && key->scope != SCOPE_COLLECT) { /* URLs end up in logs and histories */
        return kt_err_set(err, KT_EFORBIDDEN, "key_in_url", NULL,
                          "only a collect key may be sent in the URL");
    }
    if ((r->route->scopes & (unsigned)key->scope) == 0 && r->session != NULL) {
        return kt_err_set(err, KT_EFORBIDDEN, "forbidden", NULL,
                          "the role '%s' does not allow this request", r->session->user.row.role);
    }
    if ((r->route->scopes & (unsigned)key->scope) == 0) {
        return kt_err_set(err, KT_EFORBIDDEN, "forbidden", NULL,
                          "the key's scope '%s' does not allow this request",
                          keys_scope_name(key->scope));
    }
    if (key->stores != NULL && !(r->route->flags & ROUTE_STORES)) {
        return kt_err_set(err, KT_EFORBIDDEN, "forbidden", NULL,
                          "a key limited to stores may not make this request");
    }
    return KT_OK;
}

static const char *const json_types[] = {"application/json", NULL};
static const char *const beacon_types[] = {"text/plain", NULL}; /* what sendBeacon sends */
static const char *const file_types[] = {"text/csv", "text/plain", "application/octet-stream",
                                         "application/vnd.ms-excel", NULL};

/* The Content-Type is one of `types` (parameters such as charset=utf-8 allowed). */
static bool type_is(struct http_req *r, const char *const *types)
{
    const char *ct = MHD_lookup_connection_value(r->impl, MHD_HEADER_KIND, "Content-Type");
    if (ct == NULL) {
        return false;
    }
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ') {
        n--;
    }
    for (const char *const *t = types; *t != NULL; t++) {
        if (n == strlen(*t) && strncasecmp(ct, *t, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether every charset parameter of the Content-Type names UTF-8 (any case, quoted or not); a
 * type without one is UTF-8 too. Bodies are read as UTF-8 and nothing else, so a client that
 * says latin1 or UTF-16 is told so rather than having its text misread. */
static bool charset_utf8(const char *ct)
{
    const char *p = ct + strcspn(ct, ";");
    while (*p == ';') {
        p++;
        p += strspn(p, " \t");
        const char *name = p;
        size_t n = strcspn(p, "=; \t");
        p += n;
        p += strspn(p, " \t");
        const char *v = p;
        size_t vn = 0;
        if (*p == '=') {
            p++;
            p += strspn(p, " \t");
            bool quoted = *p == '"';
            v = p + quoted;
            vn = strcspn(v, quoted ? "\"" : "; \t");
            if (quoted && v[vn] != '"') {
                return false;
            }
            p = v + vn + quoted;
        }
        if (n == 7 && strncasecmp(name, "charset", 7) == 0 &&
            !(vn == 5 && strncasecmp(v, "utf-8", 5) == 0)) {
            return false;
        }
        p += strcspn(p, ";");
    }
    return true;
}

/* A query parameter given twice is refused before the key is looked at, so a beacon's ?key= is
 * never ambiguous either. */
static enum kt_rc query_ok(struct http_req *r, struct kt_err *err)
{
    const char *twice = query_repeated(r);
    if (twice == NULL) {
        return KT_OK;
    }
    char name[48];
    http_param_name(name, sizeof(name), twice);
    return kt_err_set(err, KT_EBADREQ, "repeated_parameter", name,
                      "query parameter '%s' is given more than once", name);
}

/* The body's media type and charset for the route (415 otherwise). */
static enum kt_rc media_ok(struct http_req *r, struct kt_err *err)
{
    if (r->route->flags & ROUTE_JSON) {
        if (!type_is(r, json_types) &&
            !((r->route->flags & ROUTE_BEACON) && type_is(r, beacon_types))) {
            return kt_err_set(err, KT_EMEDIA, "unsupported_media_type", NULL,
                              "the body must be sent as 'application/json'");
        }
        if (!charset_utf8(http_req_header(r, "Content-Type"))) {
            return kt_err_set(
                err, KT_EMEDIA, "unsupported_media_type", NULL,
                "the body must be UTF-8: a charset other than utf-8 is not supported");
        }
    }
    if ((r->route->flags & ROUTE_UPLOAD) && !type_is(r, file_types)) {
        return kt_err_set(err, KT_EMEDIA, "unsupported_media_type", NULL,
                          "send the file as 'text/csv' (or text/plain, application/octet-stream)");
    }
    return KT_OK;
}

/* What is checked before a handler, in the order docs/design.md ("A request") gives: the
 * target's length, the route and method, a repeated query parameter, the key and its scope, the
 * body's size and type. KT_OK for a preflight once the route is known. */
static enum kt_rc admit(struct reqctx *x, struct kt_err *err)
{
    struct http_req *r = &x->r;
    if (x->target_len > HTTP_MAX_TARGET) { /* libmicrohttpd's own 414 comes only past CONN_MEMORY */
        return kt_err_set(err, KT_EURI, "uri_too_long", NULL,
                          "the request target (path and query) is longer than %u bytes",
                          HTTP_MAX_TARGET);
    }
    if (r->route == NULL && x->m.allow != 0) {
        r->allow = router_allow_header(x->m.allow, &x->arena);
        return kt_err_set(err, KT_EMETHOD, "method_not_allowed", NULL,
                          "the method is not allowed here; allowed: %s", r->allow);
    }
    if (r->route == NULL) {
        return kt_err_set(err, KT_ENOTFOUND, "not_found", NULL, "no such route");
    }
    if (x->preflight) {
        return KT_OK;
    }
    if (query_ok(r, err) != KT_OK ||
        ((r->route->flags & ROUTE_TRACK) && track_body(x, err) != KT_OK) ||
        (r->route->scopes != ROUTE_PUBLIC && authorize(x, err) != KT_OK)) {
        return err->rc;
    }
    if (x->too_big) {
        return kt_err_set(err, KT_ETOOBIG, "body_too_large", NULL,
                          "the request body is larger than %zu bytes", http_body_limit(x));
    }
    return media_ok(r, err);
}

/* The request's reply: the error of a check, a preflight's 204, or what its handler makes. */
void http_dispatch(struct reqctx *x)
{
    struct http_req *r = &x->r;
    struct kt_err err;
    kt_err_reset(&err);
    if (admit(x, &err) != KT_OK) {
        http_reply_error(r, &err);
    } else if (x->preflight) {
        http_reply_text(r, 204, "text/plain", "", 0);
    } else {
        r->body = buf_cstr(&x->body);
        r->body_len = x->body.len;
        router_call(r);
    }
}
