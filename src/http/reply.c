/*
 * reply.c - error replies, the one place where a result code becomes an HTTP status, and JSON
 * bodies in. Nothing here echoes request content: parse errors give a byte offset and a
 * description, never the text near it (it could be someone's name).
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "http/http.h"
#include "pages/limits.h"

int http_status_of(enum kt_rc rc)
{
    switch (rc) {
    case KT_OK:
        return 200;
    case KT_EINVAL:
        return 422;
    case KT_EBADREQ:
        return 400;
    case KT_ENOTFOUND:
        return 404;
    case KT_EGONE:
        return 410;
    case KT_ELOCKED:
        return 423;
    case KT_ECONFLICT:
        return 409;
    case KT_EFORBIDDEN:
        return 403;
    case KT_EAUTH:
        return 401;
    case KT_EMETHOD:
        return 405;
    case KT_ETOOBIG:
        return 413;
    case KT_EURI:
        return 414;
    case KT_EMEDIA:
        return 415;
    case KT_ELIMIT:
        return 429;
    case KT_EBUSY:
        return 503;
    case KT_ESPACE:
        return 507;
    case KT_EUPSTREAM:
        return 502;
    case KT_ESTORE:
    case KT_EINTERNAL:
        return 500;
    }
    return 500;
}

json_t *http_error_json(const struct kt_err *err, const char *rid)
{
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(err->code[0] ? err->code : "internal"));
    json_object_set_new(e, "message", json_string(err->msg[0] ? err->msg : "internal error"));
    if (err->field[0] != '\0') {
        json_object_set_new(e, "field", json_string(err->field));
    }
    if (err->offset >= 0) {
        json_object_set_new(e, "offset", json_integer(err->offset));
    }
    if (rid != NULL) {
        json_object_set_new(e, "request_id", json_string(rid));
    }
    return json_pack("{s:o}", "error", e);
}

/* Every 429 tells the client when to come back (RFC 6585): the wait the code raising the limit
 * gave, else one second, so no handler can send a 429 without Retry-After. */
static void set_status(struct http_req *r, int status)
{
    r->status = status;
    if (status == 429 && r->retry_after <= 0) {
        r->retry_after = 1;
    }
}

void http_reply_json(struct http_req *r, int status, json_t *body)
{
    json_decref(r->json);
    free(r->text);
    r->text = NULL;
    set_status(r, status);
    r->json = body;
}

void http_reply_text(struct http_req *r, int status, const char *type, const char *text, size_t len)
{
    json_decref(r->json);
    r->json = NULL;
    free(r->text);
    set_status(r, status);
    r->text = kt_strndup(text, len);
    r->text_len = len;
    r->text_type = type;
}

void http_reply_redirect(struct http_req *r, const char *url)
{
    http_reply_text(r, 302, "text/plain; charset=utf-8", "", 0);
    r->location = url;
}

/* A customer's page over a limit answers the page that says so in Russian, not JSON. */
static bool limited_page(struct http_req *r, int status)
{
    const char *html = NULL;
    size_t len = 0;
    struct kt_err e;
    kt_err_reset(&e);
    if (status != 429 || r->route == NULL || !(r->route->flags & ROUTE_PAGE) ||
        pages_render_limited(r->retry_after, r->arena, &html, &len, &e) != KT_OK) {
        return false;
    }
    http_reply_text(r, status, "text/html; charset=utf-8", html, len);
    return true;
}

void http_reply_error(struct http_req *r, const struct kt_err *err)
{
    int status = http_status_of(err->rc);
    if (status == 429 || err->rc == KT_EBUSY || err->rc == KT_ESPACE) {
        r->retry_after = err->retry_after > 0 ? err->retry_after : 1;
    }
    if (limited_page(r, status)) { /* the Russian page is the whole reply */
    } else if (status >= 500 && err->rc != KT_EBUSY && err->rc != KT_ESPACE) {
        /* The client gets a generic sentence; the log line gets the code and the detail. */
        struct kt_err safe = *err;
        kt_strlcpy(safe.msg, "internal error; the request id identifies it in the logs",
                   sizeof(safe.msg));
        safe.field[0] = '\0';
        http_reply_json(r, status, http_error_json(&safe, r->rid));
    } else {
        json_t *body = http_error_json(err, r->rid);
        if (r->err_more != NULL) {
            json_object_update_recursive(body, r->err_more);
        }
        http_reply_json(r, status, body);
    }
    if (r->err.rc == KT_OK) {
        r->err = *err;
    }
}

void http_error_more(struct http_req *r, json_t *members)
{
    json_decref(r->err_more);
    r->err_more = members;
}

static const char *json_error_text(enum json_error_code c)
{
    switch (c) {
    case json_error_premature_end_of_input:
        return "unexpected end of input";
    case json_error_end_of_input_expected:
        return "unexpected data after the JSON value";
    case json_error_invalid_syntax:
        return "invalid syntax";
    case json_error_invalid_format:
        return "invalid format";
    case json_error_null_character:
        return "NUL character in a string";
    case json_error_numeric_overflow:
        return "number out of range";
    case json_error_duplicate_key:
        return "duplicate key";
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    default:
        return "invalid JSON";
    }
}

json_t *http_json_parse(const char *data, size_t len, struct kt_err *err)
{
    if (len == 0) {
        kt_err_set(err, KT_EBADREQ, "empty_body", NULL, "the request body is empty");
        return NULL;
    }
    json_error_t je;
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (v == NULL) {
        enum json_error_code c = json_error_code(&je);
        const char *code = c == json_error_invalid_utf8    ? "invalid_utf8"
                           : c == json_error_duplicate_key ? "duplicate_key"
                                                           : "malformed_json";
        kt_err_set(err, KT_EBADREQ, code, NULL, "malformed JSON at byte %d: %s", je.position,
                   json_error_text(c));
        if (err) {
            err->offset = je.position;
        }
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        kt_err_set(err, KT_EBADREQ, "body_not_object", NULL,
                   "the request body must be a JSON object");
        return NULL;
    }
    return v;
}

json_t *http_req_json(struct http_req *r, struct kt_err *err)
{
    if (r->parsed != NULL) { /* parsed during admission: handed over once */
        json_t *j = r->parsed;
        r->parsed = NULL;
        return j;
    }
    return http_json_parse(r->body, r->body_len, err);
}
