/*
 * consents.c - a customer's consents: the state of each purpose (GET /v1/customers/{id}/consents),
 * decisions recorded with their evidence (POST), and the evidence file a regulator or a court asks
 * for (GET .../consents/evidence): every event and the text of every document version they name.
 * The rules live in consent/consent.c (docs/privacy.md).
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"
#include "loyalty/bonus.h"

/* "source": {"channel", "store", "operator"} of a consent or subscription change. */
bool api_consent_actor(struct http_req *r, const json_t *body, struct consent_actor *who,
                       struct kt_err *err)
{
    memset(who, 0, sizeof(*who));
    who->key_id = r->key ? r->key->id : NULL;
    who->request_id = r->rid;
    const json_t *s = json_object_get(body, "source");
    if (s == NULL) { /* the office's keys (admin, dpo) are "admin"; a till's are "pos" */
        who->source = r->key != NULL && (r->key->scope == SCOPE_ADMIN || r->key->scope == SCOPE_DPO)
                          ? "admin"
                          : "pos";
        return api_store_allowed(r, NULL, "source.store", err) == KT_OK;
    }
    static const char *const known[] = {"channel", "store", "operator", NULL};
    if (json_only_members(s, known, "source", r->arena, err) != KT_OK ||
        jsonx_str(s, "source", "channel", 32, 0, r->arena, &who->source, err) != KT_OK ||
        jsonx_str(s, "source", "store", 64, 0, r->arena, &who->store_id, err) != KT_OK ||
        jsonx_str(s, "source", "operator", 64, 0, r->arena, &who->operator_id, err) != KT_OK) {
        return false;
    }
    if (who->source == NULL) {
        who->source = "admin";
    }
    if (strcmp(who->source, "admin") != 0 && !ident_channel_valid(who->source)) {
        kt_err_set(err, KT_EINVAL, "invalid_value", "source.channel",
                   "source.channel is one of admin, pos, web, app, qr_form, tablet, import, "
                   "call_center, paper");
        return false;
    }
    return api_store_allowed(r, who->store_id, "source.store", err) == KT_OK;
}

enum kt_rc api_consents_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    json_t *o = NULL;
    if (http_req_reader(r, &rd, err) == KT_OK && api_path_customer(r, rd, &cu, err) == KT_OK) {
        o = consent_states_json(rd, &cu, clock_now_ms(), r->arena, err);
    }
    if (o == NULL) {
        return err->rc;
    }
    api_audit_note(r, "read", cu.id, AUDIT_F_CONSENTS);
    http_reply_json(r, 200, o);
    return KT_OK;
}

enum kt_rc api_consents_post(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"source", "consents", NULL};
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct consent_actor who;
    struct consent_input *in = NULL;
    size_t n = 0;
    struct store_conn *w;
    struct customer cu;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        !api_consent_actor(r, body, &who, err)) {
        return err->rc;
    }
    if (json_object_get(body, "consents") == NULL) {
        return kt_err_set(err, KT_EINVAL, "missing_field", "consents",
                          "consents lists the decisions to record");
    }
    if (consent_decode(json_object_get(body, "consents"), who.source, now, r->arena, &in, &n,
                       err) != KT_OK) {
        return err->rc;
    }
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    int64_t due = 0;
    json_t *o = NULL;
    enum kt_rc rc = api_path_customer_any(r, w, &cu, err);
    if (rc == KT_OK) {
        rc = ident_live(&cu, "id", "a new consent comes with a new profile", err);
    }
    bool grants = false; /* a block lets a withdrawal through (it uses nothing), not a grant */
    for (size_t i = 0; i < n; i++) {
        grants = grants || in[i].granted;
    }
    if (rc == KT_OK && grants) {
        rc = ident_unblocked(w, &cu, "id", "a withdrawal is recorded, a grant is not", err);
    }
    who.subject = cu.id;
    if (rc == KT_OK) {
        rc = consent_record(w, cu.ck, in, n, &who, now, &due, err);
    }
    if (rc == KT_OK) { /* the pd_processing consent may complete a member's profile */
        rc = loyalty_welcome_check(w, cu.ck, now, r->arena, NULL, err);
    }
    if (rc == KT_OK) {
        o = consent_states_json(w, &cu, now, r->arena, err);
        rc = o ? KT_OK : err->rc;
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        json_decref(o);
        return err->rc;
    }
    if (due) {
        json_object_set_new(o, "erasure_due_at", json_string(api_time(r->arena, due)));
    }
    http_reply_json(r, 200, o);
    return KT_OK;
}

enum kt_rc api_consents_evidence(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    struct consent_event *ev;
    struct consent_doc *docs;
    size_t n, n_docs;
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        store_consent_list(rd, cu.ck, r->arena, &ev, &n, err) != KT_OK ||
        store_doc_list(rd, r->arena, &docs, &n_docs, err) != KT_OK) {
        return err->rc;
    }
    json_t *events = json_array(), *used = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(events, consent_event_json(r->arena, &ev[i]));
    }
    /* The text of every document version the events name, with its hash. */
    for (size_t d = 0; d < n_docs; d++) {
        bool named = false;
        for (size_t i = 0; i < n && !named; i++) {
            named = ev[i].doc_key && strcmp(ev[i].doc_key, docs[d].key) == 0 &&
                    ev[i].doc_version == docs[d].version;
        }
        if (named) {
            json_array_append_new(used, api_consent_doc_json(r->arena, &docs[d], true));
        }
    }
    json_t *state = consent_states_json(rd, &cu, clock_now_ms(), r->arena, err);
    if (state == NULL) {
        json_decref(events);
        json_decref(used);
        return err->rc;
    }
    api_audit_note(r, "evidence", cu.id, AUDIT_F_CONSENTS);
    http_reply_json(r, 200,
                    json_pack("{s:s, s:s, s:s, s:O, s:o, s:o}", "customer_id", cu.id,
                              "generated_at", api_time(r->arena, clock_now_ms()),
                              "controller_system", PRIVACY_SYSTEM_NAME, "consents",
                              json_object_get(state, "items"), "events", events, "documents",
                              used));
    json_decref(state);
    return KT_OK;
}
