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
#include "privacy/privacy.h"

json_t *api_act_json(struct arena *a, const struct destruction_act *x)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s}", "id", x->id, "customer_id",
                  x->customer_id, "at", api_time(a, x->at), "reason", x->reason, "categories",
                  json_loads(x->categories, 0, NULL), "controller_system", x->system, "log_extract",
                  json_loads(x->log_extract, 0, NULL), "expires_at", api_time(a, x->keep_until));
    const char *names[] = {"key_id", "operator", "privacy_request_id"};
    const char *vals[] = {x->key_id, x->operator_id, x->request_id};
    for (size_t i = 0; i < 3; i++) {
        json_object_set_new(o, names[i], vals[i] ? json_string(vals[i]) : json_null());
    }
    return o;
}

enum kt_rc api_customers_erase(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"reason", "operator", "privacy_request_id", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct erase_opts o = {"request", r->key->id, NULL, NULL, PRIVACY_SYSTEM_NAME};
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "operator", 64, 0, r->arena, &o.operator_id, err) != KT_OK ||
        jsonx_str(body, "", "privacy_request_id", 40, 0, r->arena, &o.request_id, err) != KT_OK) {
        return err->rc;
    }
    static const char *const reasons[] = {"request", "withdrawal", "retention", "unlawful", NULL};
    if (jsonx_enum(body, "", "reason", reasons, 0, &o.reason, err) != KT_OK) {
        return err->rc;
    }
    if (o.request_id != NULL && !id_valid(o.request_id, "r_")) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "privacy_request_id",
                          "privacy_request_id names a privacy request (r_...)");
    }
    struct destruction_act act;
    bool wiped;
    if (privacy_erase_customer(r->app->store, &r->app->secret, r->params[0], &o, clock_now_ms(),
                               r->arena, &act, &wiped, err) != KT_OK) {
        return err->rc;
    }
    json_t *reply =
        json_pack("{s:o, s:b}", "act", api_act_json(r->arena, &act), "wal_wiped", wiped);
    api_audit_note(r, "read", act.customer_id, AUDIT_F_ACTS); /* the act, shown in the reply */
    http_reply_json(r, 200, reply);
    return KT_OK;
}
