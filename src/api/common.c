/*
 * common.c - small helpers shared by the resource files.
 */
#include <string.h>

#include "api/api.h"
#include "auth/seal.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/num.h"

const char *api_time(struct arena *a, int64_t ms)
{
    return time_rfc3339(a, ms);
}

enum kt_rc api_limit(struct http_req *r, int def, int max, int *out, struct kt_err *err)
{
    const char *s = http_req_query(r, "limit");
    int64_t v = def;
    if (s != NULL && !num_parse_cstr(s, 1, max, &v)) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "limit",
                          "limit must be a number from 1 to %d", max);
    }
    *out = (int)v;
    return KT_OK;
}

enum kt_rc api_version_query(struct http_req *r, int64_t *version, struct kt_err *err)
{
    static const char *const allowed[] = {"version", NULL};
    const char *v = http_req_query(r, "version");
    *version = 0;
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if (v != NULL && !num_parse_cstr(v, 1, INT32_MAX, version)) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "version",
                          "version is a number from 1");
    }
    return KT_OK;
}

static void decref(void *p)
{
    json_decref(p);
}

json_t *api_own(struct arena *a, json_t *v)
{
    if (v != NULL) {
        arena_defer(a, decref, v);
    }
    return v;
}

enum kt_rc api_path_customer_any(struct http_req *r, struct store_conn *c, struct customer *cu,
                                 struct kt_err *err)
{
    if (!id_valid(r->params[0], "c_")) {
        return kt_err_set(err, KT_ENOTFOUND, "customer_not_found", "id", "customer not found");
    }
    if (store_customer_get_by_id(c, r->params[0], r->arena, cu, NULL, err) != KT_OK) {
        return err->rc;
    }
    return api_customer_visible(r, c, cu->ck, NULL, err);
}

enum kt_rc api_customer_visible(struct http_req *r, struct store_conn *c, int64_t ck,
                                const char *except_request, struct kt_err *err)
{
    if (r->key == NULL || r->key->stores == NULL) {
        return KT_OK;
    }
    bool in = false;
    if (store_customer_in_stores(c, ck, r->key->stores, except_request, &in, err) != KT_OK) {
        return err->rc;
    }
    return in ? KT_OK /* the store's own words for a customer it does not have (sq_one) */
              : kt_err_set(err, KT_ENOTFOUND, "customer_not_found", NULL, "customer not found");
}

enum kt_rc api_store_allowed(struct http_req *r, const char *store, const char *field,
                             struct kt_err *err)
{
    if (r->key == NULL || keys_store_allowed(r->key, store)) {
        return KT_OK;
    }
    return kt_err_set(err, KT_EFORBIDDEN, "store_not_allowed", field,
                      store == NULL ? "a key limited to stores must name one of its stores"
                                    : "the key is not allowed to write for this store");
}

enum kt_rc api_unblocked_for(struct http_req *r, struct store_conn *c, const struct customer *cu,
                             const char *field, struct kt_err *err)
{
    if (r->method == HTTP_GET && r->key != NULL &&
        (r->key->scope == SCOPE_ADMIN || r->key->scope == SCOPE_DPO)) {
        return KT_OK; /* the DPO reads what the dispute is about */
    }
    return ident_unblocked(c, cu, field, NULL, err);
}

enum kt_rc api_blocked_to(struct http_req *r, struct store_conn *c, int64_t ck, struct kt_err *err)
{
    if (err->rc != KT_ELOCKED || r->key == NULL || r->key->stores == NULL) {
        return err->rc;
    }
    struct kt_err locked = *err;
    kt_err_reset(err);
    if (api_customer_visible(r, c, ck, r->rid, err) != KT_OK) {
        return err->rc; /* another store's customer: nobody, blocked or not */
    }
    *err = locked;
    return err->rc;
}

enum kt_rc api_path_customer(struct http_req *r, struct store_conn *c, struct customer *cu,
                             struct kt_err *err)
{
    enum kt_rc rc = api_path_customer_any(r, c, cu, err);
    return rc == KT_OK ? api_unblocked_for(r, c, cu, "id", err) : rc;
}

enum kt_rc api_since_until(struct http_req *r, int64_t *since, int64_t *until, struct kt_err *err)
{
    const char *names[] = {"since", "until"};
    int64_t *dst[] = {since, until};
    for (size_t i = 0; i < 2; i++) {
        const char *t = http_req_query(r, names[i]);
        if (t != NULL && !time_parse_rfc3339(t, strlen(t), dst[i])) {
            return kt_err_set(err, KT_EBADREQ, "bad_parameter", names[i],
                              "since and until are RFC 3339 times");
        }
    }
    return KT_OK;
}

/* What a cursor is sealed under: its list and the resource it belongs to. */
static const char *cursor_context(struct http_req *r, const char *list, const char *scope)
{
    return arena_printf(r->arena, "cursor\n%s\n%s", list, scope);
}

enum kt_rc api_cursor(struct http_req *r, const char *list, const char *scope, const char **pos,
                      struct kt_err *err)
{
    const char *c = http_req_query(r, "cursor");
    *pos = NULL;
    if (c != NULL &&
        !seal_open(&r->app->secret, cursor_context(r, list, scope), c, r->arena, pos)) {
        return api_bad_cursor(err);
    }
    return KT_OK;
}

enum kt_rc api_bad_cursor(struct kt_err *err)
{
    return kt_err_set(err, KT_EBADREQ, "bad_cursor", "cursor",
                      "the cursor is not one this API gave");
}

enum kt_rc api_cursor_num(struct http_req *r, const char *list, const char *scope, int64_t *pos,
                          struct kt_err *err)
{
    const char *text;
    if (api_cursor(r, list, scope, &text, err) != KT_OK) {
        return err->rc;
    }
    if (text != NULL && !num_parse_cstr(text, INT64_MIN, INT64_MAX, pos)) { /* never sealed so */
        return api_bad_cursor(err);
    }
    return KT_OK;
}

json_t *api_next_cursor(struct http_req *r, const char *list, const char *scope, const char *pos)
{
    return pos == NULL ? json_null()
                       : json_string(seal_make(&r->app->secret, cursor_context(r, list, scope), pos,
                                               r->arena));
}
