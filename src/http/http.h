/*
 * http.h - what api/ handlers see of an HTTP request, without libmicrohttpd.
 *
 * The server (server.c and its parts, the only files that include microhttpd.h) reads the
 * request, matches a route, authenticates the key, checks the body's size and type, and calls the
 * route's handler with a struct http_req (router_call). The handler decodes, calls one domain
 * function and replies its success through the http_reply_*() functions; on failure it returns the
 * code its callee raised in `err` and the router replies that error, so no handler replies an error
 * itself (nginx's way: the handler returns a code, the core answers). Everything a handler
 * allocates for the request goes in r->arena.
 */
#ifndef KT_HTTP_HTTP_H
#define KT_HTTP_HTTP_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/keys.h"
#include "auth/session.h"
#include "deliver/policy.h"
#include "base/arena.h"
#include "base/cidr.h"
#include "base/err.h"
#include "deliver/smtp.h"
#include "store/model.h"
#include "store/store.h"

enum http_method {
    HTTP_GET,
    HTTP_POST,
    HTTP_PUT,
    HTTP_PATCH,
    HTTP_DELETE,
    HTTP_OPTIONS,
    HTTP_OTHER
};

struct http_req;
struct metrics;
struct import_worker;
struct sched;
struct lockout;
struct wallet;

/* A route's handler: KT_OK when it replied (http_reply_*), else the code of the error it raised
 * in `err` (empty on entry), which the router replies (router_call). */
typedef enum kt_rc (*http_handler_fn)(struct http_req *r, struct kt_err *err);

#define HTTP_TRACK_BODY_MAX (500u * 1024) /* a tracking batch, after gunzip (Segment's limit) */

#define ROUTE_PUBLIC 0u /* scopes == 0: no key needed */
#define ROUTE_ALL    (SCOPE_ADMIN | SCOPE_POS | SCOPE_COLLECT)

/* What a route takes and how it runs (struct route.flags). */
enum route_flag {
    ROUTE_JSON = 1u << 0,    /* the route takes a JSON body */
    ROUTE_UPLOAD = 1u << 1,  /* the route takes a file (CSV) up to kt_app.max_upload */
    ROUTE_BEACON = 1u << 2,  /* browsers post here: CORS for kt_app.cors_origins, JSON sent as
                                text/plain (navigator.sendBeacon), and a collect key in ?key= (a
                                beacon has no headers of its own) */
    ROUTE_LONG = 1u << 3,    /* analytics that may take seconds: the handler runs on the analytic
                                threads, never on a worker that serves the tills (http/offload.c) */
    ROUTE_PD = 1u << 4,      /* the reply may hold customers' personal data: the router refuses it
                                while the log of reads cannot take more (503 audit_busy), and logs
                                a read itself when the handler logged none (router_call; the
                                routes and what they log: docs/privacy.md, "The audit log") */
    ROUTE_STORES = 1u << 5,  /* a key limited to stores may call it: the route reads no customer,
                                or its handler applies the limit (api/common.c:
                                api_customer_visible, api_store_allowed); any other route refuses
                                such a key (403 forbidden), so a new route is closed to store keys
                                until someone decides otherwise */
    ROUTE_PAGE = 1u << 6,    /* a page a customer's browser opens (docs/pages.md): served with a
                                strict Content-Security-Policy (nothing but this server's
                                stylesheet and images, no script, no frame, forms posting here
                                only), no referrer, no framing */
    ROUTE_SESSION = 1u << 7, /* a route of the console's session itself (/v1/session...): no
                               key, the kt_session cookie is its credential, which its handler
                               resolves (http_session); scripts/check-scopes.py holds them to
                               the `session` scheme of the OpenAPI */
    ROUTE_TRACK = 1u << 9,   /* the Segment tracking API (api/tracking.c, docs/collect.md): the
                                body (at most HTTP_TRACK_BODY_MAX, gzip inflated) is read before
                                the key, which may be the Basic-auth user name or the body's
                                writeKey; a body too large is 400, not 413 */
    ROUTE_BULK = 1u << 10,   /* events: the handler waits for the events' writer (group commit,
                                events/group.c), so it runs on the ingest threads, never on a
                                worker that serves the tills, and batches arriving together
                                share a transaction (http/offload.c) */
    ROUTE_APP = 1u << 8,     /* the console's app (api/console.c, docs/console.md): served as a
                                ROUTE_PAGE is, under the console's policy instead - scripts,
                                styles and calls of this server only, nothing inline */
};

struct route {
    enum http_method method;
    const char *pattern; /* "/v1/customers/{id}": literal segments and {name} parameters */
    http_handler_fn handler;
    unsigned scopes; /* key scopes allowed (bitmask of enum key_scope), 0 = public */
    unsigned flags;  /* enum route_flag */
};

/* Shared by all threads; immutable after start-up except where marked. */
struct kt_app {
    struct store *store;
    struct key_secret secret; /* keys the API key hashes */
    size_t max_body;          /* bytes */
    int64_t started_at;       /* ms */
    atomic_bool draining;     /* set at shutdown: /readyz answers 503 */
    struct metrics *metrics;  /* owned by the server */
    const struct route *routes;
    size_t n_routes;
    size_t max_upload;             /* bytes, for upload routes */
    const char *imports_dir;       /* where uploads wait for the import worker */
    struct import_worker *imports; /* the background import runner, or NULL */
    const char *sms_text;          /* the one-time code's SMS, {{code}} and {{card}} replaced */
    bool sms_sink;                 /* SMS go to the development sink: wait for the code's pass */
    struct sched *sched;           /* the job runner: POST /v1/loyalty/run-due asks it; the
                                      outbox's sender is woken through it when a code is queued */
    bool settable_clock;           /* PUT /v1/system/clock allowed (serve --settable-clock) */
    const char *cors_origins;      /* "https://a.example,https://b.example": beacon routes */
    const char *track_user_system; /* the tracking API's userId is the identifier ext:<this> */
    int64_t enrol_per_key;         /* enrolments per key per hour (--enrol-per-key), 0 = any */
    int64_t enrol_per_store;       /* enrolments per store per hour (--enrol-per-store), 0 = any */
    struct lockout *lockout;       /* addresses locked out after wrong keys, or NULL (off) */
    struct smtp_opts smtp;         /* --smtp-*: the e-mail channel; smtp.url NULL = none */
    const char *push_url;          /* --push-url: the push service's webhook, or NULL */
    const char *webhook_secret;    /* KARTOTEKA_WEBHOOK_SECRET: signs the push webhook */
    const char *sms_sender;        /* --sms-sender: the name a marketing SMS is signed with */
    struct policy_conf policy;     /* --quiet-hours-*: what a journey's simulation asks */
    struct cidr_list trusted;      /* --trusted-proxy: whose X-Forwarded-For is believed */
    struct session_conf session;   /* --session-idle, --session-max (cli/session_flags.c) */
    struct lockout *login_addr;    /* wrong logins per client address, or NULL (off) */
    struct lockout *login_email;   /* wrong logins per e-mail (its tag), or NULL (off) */
    const struct wallet *wallet;   /* --wallet: the wallet cards (wallet/wallet.h), or NULL */
    bool cookie_plain;             /* plain HTTP on a loopback listener: the session cookie goes
                                      without Secure (set by http_server_start) */
};

#define HTTP_MAX_PARAMS 4

struct http_req {
    /* the request (read-only for handlers) */
    enum http_method method;
    const struct route *route;           /* matched route */
    const char *params[HTTP_MAX_PARAMS]; /* path parameters in pattern order */
    size_t n_params;
    const char *body; /* NUL-terminated copy of the body, or "" */
    size_t body_len;
    json_t *parsed;      /* owned: the body as parsed before the handler (a tracking route's key
                            may be in it), or NULL; http_req_json hands it over */
    const char *rid;     /* request id (X-Request-Id) */
    const char *ip;      /* the client's address, numeric ("" when unknown): the audit log's */
    struct arena *arena; /* lives until the reply is sent */
    struct kt_app *app;
    const struct api_key *key;     /* the caller's key; NULL on public routes */
    const struct session *session; /* the caller's session when the key stands for one (the
                                      cookie), else NULL */
    void *impl;                    /* server.c's connection; opaque */
    struct store_conn *reader;     /* see http_req_reader(); owned by the server */
    bool reader_analytics;         /* `reader` is an analytic read (http_req_analytics) */

    /* the reply (set through http_reply_*) */
    int status;
    json_t *json; /* owned */
    char *text;   /* owned (malloc); used when json is NULL */
    size_t text_len;
    const char *text_type;     /* Content-Type of text */
    int retry_after;           /* seconds, 0 = no Retry-After header */
    const char *allow;         /* Allow header for 405 */
    const char *location;      /* Location header of a redirect (in the arena), or NULL */
    const char *etag;          /* ETag header (in the arena), or NULL */
    const char *last_modified; /* Last-Modified header (in the arena), or NULL */
    const char *cache_control; /* Cache-Control instead of no-store (static), or NULL */
    bool replayed;             /* Idempotent-Replayed: true */
    const char *set_cookie;    /* Set-Cookie header (in the arena), or NULL */
    struct kt_err err;         /* what went wrong, for the log line */
    json_t *err_more;          /* owned: what the error reply adds to its body (http_error_more) */
};

/* A request header or a query parameter (decoded), or NULL. Borrowed for the request. */
const char *http_req_header(struct http_req *r, const char *name);
const char *http_req_query(struct http_req *r, const char *name);

/* A cookie of the request, or NULL. Borrowed for the request. */
const char *http_req_cookie(struct http_req *r, const char *name);

/* The console's session of the request (the kt_session cookie; auth/session.h) in `out`:
 * KT_EAUTH no_session / session_expired; second_factor_needed when its second factor is still
 * to come and `needed_ok` is false; for any method but GET the X-CSRF-Token header checked
 * (KT_EFORBIDDEN csrf_missing / csrf_wrong). Its last use is written at most once a minute. */
enum kt_rc http_session(struct http_req *r, bool needed_ok, struct session *out,
                        struct kt_err *err);

/* The reply sets the session cookie to `value`, or clears it (NULL): HttpOnly, SameSite=Strict,
 * Path=/, and Secure unless the server listens in plain HTTP on loopback (kt_app.cookie_plain). */
void http_set_session_cookie(struct http_req *r, const char *value);

/* Refuses (KT_EBADREQ unknown_parameter) any query parameter not in the NULL-terminated
 * `allowed`. */
enum kt_rc http_req_query_only(struct http_req *r, const char *const *allowed, struct kt_err *err);

/* The request's read connection, opened on first use with a snapshot that lasts until
 * http_req_reader_end() or the end of the handler. End it before beginning a write. */
enum kt_rc http_req_reader(struct http_req *r, struct store_conn **out, struct kt_err *err);
/* The same for a long read (segments, reports, exports): the snapshot of the key check is ended
 * and an analytic one begun (store_read_begin_analytics), so the query never holds the tills. */
enum kt_rc http_req_analytics(struct http_req *r, struct store_conn **out, struct kt_err *err);
void http_req_reader_end(struct http_req *r);

/* Parses the body as a JSON object (new reference) or raises KT_EBADREQ with the byte offset. */
json_t *http_req_json(struct http_req *r, struct kt_err *err);

/* Parses any buffer as a JSON object (for the fuzzers and the importer). */
json_t *http_json_parse(const char *data, size_t len, struct kt_err *err);

/* Replies. http_reply_json takes ownership of `body`. */
void http_reply_json(struct http_req *r, int status, json_t *body);
void http_reply_text(struct http_req *r, int status, const char *type, const char *text,
                     size_t len);
void http_reply_error(struct http_req *r, const struct kt_err *err);
/* A 302 to `url` (printable ASCII, kept by the caller for the request), with an empty body. */
void http_reply_redirect(struct http_req *r, const char *url);

/* What a handler knows of its error beyond the code, message and field - where a query failed to
 * parse, whose cards are in the way - for the error reply the router makes: `members` (taken
 * over) are merged into its body, recursively, so {"error": {"line": 3}} lands inside the error
 * object and {"cards": [...]} beside it. The handler then returns the error's code. */
void http_error_more(struct http_req *r, json_t *members);

/* The HTTP status of a result code: the one mapping (reply.c). No other code names an error's
 * status; a reply that is not an error object but answers with an error status (a probe, a page)
 * takes it from here too. */
int http_status_of(enum kt_rc rc);

/* The error object as the API sends it (new reference). */
json_t *http_error_json(const struct kt_err *err, const char *rid);

#endif
