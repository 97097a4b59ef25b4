/*
 * customer_traits.c - what the analytics know of one customer, for the console's customer page
 * (docs/console.md): GET /v1/customers/{id}/traits, the computed traits (RFM scores, clusters,
 * the built-in and defined traits) with when each was computed, and GET
 * /v1/customers/{id}/segments, the saved segments the customer is in now with when they entered.
 * Both read one customer's personal data: logged as reads of traits / segment membership.
 */
#include "api/api.h"
#include "consent/consent.h"

/* The path's customer on the reader, or the error (unknown, another store's, blocked). */
static enum kt_rc path_customer(struct http_req *r, struct store_conn **rd, struct customer *cu,
                                struct kt_err *err)
{
    static const char *const allowed[] = {NULL};
    if (http_req_query_only(r, allowed, err) != KT_OK || http_req_reader(r, rd, err) != KT_OK) {
        return err->rc;
    }
    return api_path_customer(r, *rd, cu, err);
}

enum kt_rc api_customer_traits(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    struct trait *tr;
    size_t n;
    if (path_customer(r, &rd, &cu, err) != KT_OK ||
        store_traits_list(rd, cu.ck, r->arena, &tr, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "name", tr[i].name, "value",
                                               tr[i].value ? tr[i].value : "", "computed_at",
                                               api_time(r->arena, tr[i].computed_at)));
    }
    api_audit_note(r, "read", cu.id, AUDIT_F_TRAITS);
    http_reply_json(r, 200, json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items));
    return KT_OK;
}

enum kt_rc api_customer_segments(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    struct customer_segment *sg;
    size_t n;
    if (path_customer(r, &rd, &cu, err) != KT_OK ||
        store_customer_segments(rd, cu.ck, r->arena, &sg, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items,
                              json_pack("{s:s, s:s, s:s}", "id", sg[i].id, "name", sg[i].name,
                                        "entered_at", api_time(r->arena, sg[i].entered_at)));
    }
    api_audit_note(r, "read", cu.id, AUDIT_F_SEGMENTS);
    http_reply_json(r, 200, json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items));
    return KT_OK;
}
