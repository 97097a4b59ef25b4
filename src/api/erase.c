/*
 * erase.c - POST /v1/customers/{id}/erase: depersonalisation on the customer's request, a
 * withdrawal or the end of the retention period, with an act of destruction (152-FZ art. 21;
 * docs/privacy.md), and the act as a printable document. The rules live in consent/erase.c.
 */
#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/jsonx.h"
#include "consent/consent.h"

json_t *api_act_json(struct arena *a, const struct destruction_act *x)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s}", "id", x->id, "customer_id",
                  x->customer_id, "at", api_time(a, x->at), "reason", x->reason, "categories",
                  json_loads(x->categories, 0, NULL), "system", x->system, "log_extract",
                  json_loads(x->log_extract, 0, NULL), "keep_until", api_time(a, x->keep_until));
    const char *names[] = {"key", "operator", "request_id"};
    const char *vals[] = {x->key_id, x->operator_id, x->request_id};
    for (size_t i = 0; i < 3; i++) {
        json_object_set_new(o, names[i], vals[i] ? json_string(vals[i]) : json_null());
    }
    return o;
}

void api_customers_erase(struct http_req *r)
{
    static const char *const known[] = {"reason", "operator", "request_id", NULL};
    struct kt_err err;
    kt_err_reset(&err);
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    struct erase_opts o = {"request", r->key->id, NULL, NULL, PRIVACY_SYSTEM_NAME};
    struct store_conn *w;
    struct customer cu;
    if (body == NULL || json_only_members(body, known, "", r->arena, &err) != KT_OK ||
        jsonx_str(body, "", "operator", 64, 0, r->arena, &o.operator_id, &err) != KT_OK ||
        jsonx_str(body, "", "request_id", 40, 0, r->arena, &o.request_id, &err) != KT_OK) {
        goto fail;
    }
    static const char *const reasons[] = {"request", "withdrawal", "retention", "unlawful", NULL};
    if (jsonx_enum(body, "", "reason", reasons, 0, &o.reason, &err) != KT_OK) {
        goto fail;
    }
    if (o.request_id != NULL && !id_valid(o.request_id, "r_")) {
        kt_err_set(&err, KT_EINVAL, "invalid_value", "request_id",
                   "request_id names a privacy request (r_...)");
        goto fail;
    }
    int64_t now = clock_now_ms();
    if (store_write_begin(r->app->store, &w, &err) != KT_OK) {
        goto fail;
    }
    struct destruction_act act;
    enum kt_rc rc = api_path_customer(r, w, &cu, &err);
    if (rc == KT_OK) {
        rc = privacy_erase(r->app->store, w, &r->app->secret, cu.ck, &o, now, r->arena, &act, &err);
    }
    if (rc == KT_OK && o.request_id != NULL) {
        struct kt_err e2;
        kt_err_reset(&e2);
        enum kt_rc prc = store_preq_close(
            w, o.request_id, "done", arena_printf(r->arena, "erased, act %s", act.id), now, &e2);
        rc = prc == KT_ENOTFOUND ? KT_OK : prc == KT_OK ? KT_OK : kt_err_copy(&err, &e2);
    }
    if (store_write_end(w, rc, &err) != KT_OK) {
        goto fail;
    }
    /* The WAL holds page images from before the erasure: copy and truncate it now. */
    struct kt_err e3;
    kt_err_reset(&e3);
    bool wiped = store_wipe_wal(r->app->store, &e3) == KT_OK;
    json_t *reply =
        json_pack("{s:o, s:b}", "act", api_act_json(r->arena, &act), "wal_wiped", wiped);
    http_reply_json(r, 200, reply);
    return;
fail:
    http_reply_error(r, &err);
}
