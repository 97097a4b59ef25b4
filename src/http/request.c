/*
 * request.c - what a handler reads of its request (http.h): its headers and query parameters,
 * through libmicrohttpd, and its read connection to the store, opened on first use and ended
 * before a write or at the end of the request.
 */
#include <microhttpd.h>
#include <string.h>

#include "base/mem.h"
#include "http/server_int.h"

const char *http_req_header(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->impl, MHD_HEADER_KIND, name);
}

const char *http_req_query(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->impl, MHD_GET_ARGUMENT_KIND, name);
}

struct query_check {
    const char *const *allowed;
    const char *bad; /* first parameter not allowed */
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    struct query_check *q = cls;
    for (const char *const *a = q->allowed; *a != NULL; a++) {
        if (strcmp(*a, key) == 0) {
            return MHD_YES;
        }
    }
    q->bad = key;
    return MHD_NO;
}

/* A query parameter's name as an error quotes it: cut short, no control characters or quotes. */
void http_param_name(char *out, size_t size, const char *name)
{
    kt_strlcpy(out, name, size);
    for (char *p = out; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == '\'') {
            *p = '?';
        }
    }
}

enum kt_rc http_req_query_only(struct http_req *r, const char *const *allowed, struct kt_err *err)
{
    struct query_check q = {allowed, NULL};
    MHD_get_connection_values(r->impl, MHD_GET_ARGUMENT_KIND, check_arg, &q);
    if (q.bad == NULL) {
        return KT_OK;
    }
    char name[48];
    http_param_name(name, sizeof(name), q.bad);
    return kt_err_set(err, KT_EBADREQ, "unknown_parameter", name, "unknown query parameter '%s'",
                      name);
}

enum kt_rc http_req_reader(struct http_req *r, struct store_conn **out, struct kt_err *err)
{
    if (r->reader == NULL) {
        enum kt_rc rc = store_read_begin(r->app->store, &r->reader, err);
        if (rc != KT_OK) {
            return rc;
        }
    }
    *out = r->reader;
    return KT_OK;
}

enum kt_rc http_req_analytics(struct http_req *r, struct store_conn **out, struct kt_err *err)
{
    if (r->reader != NULL && !r->reader_analytics) {
        http_req_reader_end(r);
    }
    if (r->reader == NULL) {
        enum kt_rc rc = store_read_begin_analytics(r->app->store, &r->reader, err);
        if (rc != KT_OK) {
            return rc;
        }
        r->reader_analytics = true;
    }
    *out = r->reader;
    return KT_OK;
}

void http_req_reader_end(struct http_req *r)
{
    if (r->reader != NULL) {
        store_read_end(r->reader);
        r->reader = NULL;
        r->reader_analytics = false;
    }
}
