/*
 * blocks.c - POST /v1/customers/{id}/block and /unblock, GET /v1/customers/{id}/blocks: the
 * DPO's blocking of a customer's data while a disputed accuracy or lawfulness is checked
 * (152-FZ art. 21; docs/privacy.md, "Blocking"). The rules live in privacy/block.c; what a block
 * stops is checked where the data would be used (ident_unblocked, api_unblocked_for).
 */
#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

json_t *api_block_json(struct arena *a, const struct customer_block *b)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", b->id, "customer_id", b->customer_id,
                  "reason", b->reason, "privacy_request_id", b->privacy_request_id, "blocked_at",
                  api_time(a, b->blocked_at), "active", b->unblocked_at == 0);
    const char *names[] = {"note", "key_id", "outcome", "outcome_note"};
    const char *vals[] = {b->note, b->key_id, b->outcome, b->outcome_note};
    for (size_t i = 0; i < 4; i++) {
        json_object_set_new(o, names[i], vals[i] ? json_string(vals[i]) : json_null());
    }
    json_object_set_new(o, "unblocked_at",
                        b->unblocked_at ? json_string(api_time(a, b->unblocked_at)) : json_null());
    return o;
}

enum kt_rc api_customers_block(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"reason", "privacy_request_id", "note", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct block_opts o = {NULL, NULL, NULL, r->key->id, r->rid};
    struct customer_block b;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_enum(body, "", "reason", privacy_block_reasons, JSONX_REQUIRED, &o.reason, err) !=
            KT_OK ||
        jsonx_str(body, "", "privacy_request_id", 40, JSONX_REQUIRED, r->arena,
                  &o.privacy_request_id, err) != KT_OK ||
        jsonx_str(body, "", "note", PRIVACY_NOTE_MAX, 0, r->arena, &o.note, err) != KT_OK ||
        privacy_block_customer(r->app->store, r->params[0], &o, clock_now_ms(), r->arena, &b,
                               err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", b.customer_id, AUDIT_F_BLOCKS); /* the block, shown in the reply */
    http_reply_json(r, 201, api_block_json(r->arena, &b));
    return KT_OK;
}

enum kt_rc api_customers_unblock(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"outcome", "note", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct block_opts o = {NULL, NULL, NULL, r->key->id, r->rid};
    const char *outcome = NULL;
    struct customer_block b;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_enum(body, "", "outcome", privacy_unblock_outcomes, JSONX_REQUIRED, &outcome, err) !=
            KT_OK ||
        jsonx_str(body, "", "note", PRIVACY_NOTE_MAX, 0, r->arena, &o.note, err) != KT_OK ||
        privacy_unblock_customer(r->app->store, r->params[0], outcome, &o, clock_now_ms(), r->arena,
                                 &b, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", b.customer_id, AUDIT_F_BLOCKS);
    http_reply_json(r, 200, api_block_json(r->arena, &b));
    return KT_OK;
}

enum kt_rc api_customer_blocks(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    struct customer_block *bs;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer_any(r, rd, &cu, err) != KT_OK ||
        store_block_list(rd, cu.ck, r->arena, &bs, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, api_block_json(r->arena, &bs[i]));
    }
    api_audit_note(r, "read", cu.id, AUDIT_F_BLOCKS);
    http_reply_json(r, 200, json_pack("{s:s, s:o}", "customer_id", cu.id, "blocks", items));
    return KT_OK;
}
