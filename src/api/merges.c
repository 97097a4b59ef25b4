/*
 * merges.c - POST /v1/customers/{id}/merge (a customer merged into this one) and POST
 * /v1/customers/{id}/unmerge (the newest merge of this customer taken back). Both are one write
 * each, audited; identity/ decides, the store journals (docs/identity.md, "Merge", "Un-merge").
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/jsonx.h"
#include "consent/consent.h"

/* ---- POST /v1/customers/{id}/merge --------------------------------------------------------- */

enum kt_rc api_customers_merge(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *key;
    json_t *v;
    struct store_conn *w;
    if (body == NULL) {
        return err->rc;
    }
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "from") != 0 && strcmp(key, "operator") != 0) {
            return kt_err_set(err, KT_EINVAL, "unknown_field", arena_strdup(r->arena, key),
                              "unknown field '%s'", key);
        }
    }
    const char *from, *op = NULL;
    if (jsonx_str(body, "", "from", 64, JSONX_REQUIRED, r->arena, &from, err) != KT_OK ||
        jsonx_str(body, "", "operator", 64, 0, r->arena, &op, err) != KT_OK) {
        return err->rc;
    }
    if (!id_valid(r->params[0], "c_") || !id_valid(from, "c_")) {
        return kt_err_set(err, KT_ENOTFOUND, "customer_not_found",
                          id_valid(r->params[0], "c_") ? "from" : "id", "customer not found");
    }
    struct ident_source src = {"admin", NULL, op, clock_now_ms(), r->rid};
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    struct customer cu;
    json_t *view = NULL;
    enum kt_rc rc = ident_merge(w, r->params[0], from, &src, src.observed_at, r->arena, &cu, err);
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "merge", cu.id, NULL,
                         arena_printf(r->arena, "merged %s", from), r->rid, src.observed_at, err);
    }
    if (rc == KT_OK) {
        view = ident_customer_json(w, &cu, r->arena, err);
        rc = view ? KT_OK : err->rc;
    }
    if ((rc = store_write_end(w, rc, err)) != KT_OK) {
        json_decref(view);
        return err->rc;
    }
    http_reply_json(r, 200, json_pack("{s:o}", "customer", view));
    return KT_OK;
}

/* ---- POST /v1/customers/{id}/unmerge ------------------------------------------------------- */

enum kt_rc api_customers_unmerge(struct http_req *r, struct kt_err *err)
{
    json_t *body = r->body_len > 0 ? api_own(r->arena, http_req_json(r, err)) : NULL;
    const char *key;
    json_t *v;
    if (body == NULL && err->rc != KT_OK) {
        return err->rc;
    }
    json_object_foreach(body, key, v)
    {
        return kt_err_set(err, KT_EINVAL, "unknown_field", arena_strdup(r->arena, key),
                          "unknown field '%s'", key);
    }
    if (!id_valid(r->params[0], "c_")) {
        return kt_err_set(err, KT_ENOTFOUND, "customer_not_found", "id", "customer not found");
    }
    struct store_conn *w;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    int64_t now = clock_now_ms();
    struct customer cu, survivor;
    json_t *view = NULL, *other = NULL;
    enum kt_rc rc = ident_unmerge(w, r->params[0], now, r->arena, &cu, &survivor, err);
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "unmerge", cu.id, NULL,
                         arena_printf(r->arena, "took back the merge into %s", survivor.id), r->rid,
                         now, err);
    }
    if (rc == KT_OK) {
        view = ident_customer_json(w, &cu, r->arena, err);
        other = view ? ident_customer_json(w, &survivor, r->arena, err) : NULL;
        rc = other ? KT_OK : err->rc;
    }
    if ((rc = store_write_end(w, rc, err)) != KT_OK) {
        json_decref(view);
        json_decref(other);
        return err->rc;
    }
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "customer", view, "survivor", other));
    return KT_OK;
}
