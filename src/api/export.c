/*
 * export.c - GET /v1/customers/{id}/export: everything held about a customer, the access right of
 * 152-FZ art. 14 (docs/privacy.md), as one JSON document; `kartoteka privacy export` prints the
 * same document, built by export/customer.c.
 */
#include "api/api.h"
#include "base/clock.h"
#include "consent/consent.h"
#include "export/export.h"

enum kt_rc api_customers_export(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    int64_t now = clock_now_ms();
    json_t *doc = NULL;
    if (http_req_reader(r, &rd, err) == KT_OK && api_path_customer(r, rd, &cu, err) == KT_OK) {
        doc = export_customer_doc(rd, &cu, now, r->arena, err);
    }
    if (doc == NULL) {
        return err->rc;
    }
    api_audit_note(r, "export", cu.id,
                   api_audit_fields(&cu) | AUDIT_F_CONSENTS | AUDIT_F_HISTORY | AUDIT_F_PURCHASES |
                       AUDIT_F_POINTS | AUDIT_F_CARDS | AUDIT_F_SUBSCRIPTIONS | AUDIT_F_EVENTS |
                       AUDIT_F_TRAITS);
    http_reply_json(r, 200, doc);
    return KT_OK;
}
