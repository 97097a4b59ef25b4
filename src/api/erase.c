/*
 * erase.c - POST /v1/customers/{id}/erase: depersonalisation on the customer's request, a
 * withdrawal or the end of the retention period, with an act of destruction (152-FZ art. 21;
 * docs/privacy.md), with the persons who destroyed named for the act. The rules live in
 * privacy/erase.c, the act in privacy/act.c.
 */
#include "api/api.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/jsonx.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

enum kt_rc api_customers_erase(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"reason", "operator", "privacy_request_id", "destroyed_by",
                                        NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct erase_opts o = {"request", r->key->id, NULL, NULL, PRIVACY_SYSTEM_NAME, NULL, 0};
    struct act_person *persons;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "operator", 64, 0, r->arena, &o.operator_id, err) != KT_OK ||
        jsonx_str(body, "", "privacy_request_id", 40, 0, r->arena, &o.request_id, err) != KT_OK ||
        privacy_persons_decode(body, "destroyed_by", r->arena, &persons, &o.n_persons, err) !=
            KT_OK) {
        return err->rc;
    }
    o.persons = persons;
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
        json_pack("{s:o, s:b}", "act", privacy_act_json(&act, r->arena), "wal_wiped", wiped);
    api_audit_note(r, "read", act.customer_id, AUDIT_F_ACTS); /* the act, shown in the reply */
    http_reply_json(r, 200, reply);
    return KT_OK;
}
