/*
 * acts.c - /v1/destruction-acts: the acts of destruction the erasures wrote (Order 179), as JSON,
 * as the printable document (?format=text) a data-protection officer signs by hand, and as the
 * canonical document (/document) to sign with a qualified electronic signature. A draft has
 * neither form until the settings complete it (409 operator_unknown, responsible_unknown).
 */
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/id.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

/* The act named by the path, read with the privacy settings (a draft's refusal names what they
 * lack). */
static enum kt_rc act_read(struct http_req *r, struct destruction_act *x,
                           struct privacy_settings *ps, struct kt_err *err)
{
    struct store_conn *rd;
    if (!id_valid(r->params[0], "a_")) {
        return kt_err_set(err, KT_ENOTFOUND, "act_not_found", "id", "act not found");
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_act_get(rd, r->params[0], r->arena, x, err) != KT_OK ||
        privacy_settings_get(rd, r->arena, ps, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", x->customer_id, AUDIT_F_ACTS);
    return KT_OK;
}

enum kt_rc api_acts_get(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"format", NULL};
    struct destruction_act x;
    struct privacy_settings ps;
    const char *fmt = http_req_query(r, "format");
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "text") != 0) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "format", "format is json or text");
    }
    if (act_read(r, &x, &ps, err) != KT_OK) {
        return err->rc;
    }
    if (fmt && strcmp(fmt, "text") == 0) { /* a paper to sign: only of a complete act */
        if (privacy_act_ready(&x, &ps, err) != KT_OK) {
            return err->rc;
        }
        struct buf b;
        buf_init(&b, 8192);
        privacy_act_text(&b, &x, r->arena);
        http_reply_text(r, 200, "text/plain; charset=utf-8", buf_cstr(&b), b.len);
        buf_release(&b);
    } else {
        http_reply_json(r, 200, privacy_act_json(&x, r->arena));
    }
    return KT_OK;
}

/* GET /v1/destruction-acts/{id}/document: the bytes to sign, exactly as stored when the act was
 * completed; their SHA-256 is the act's document_sha256. */
enum kt_rc api_acts_document(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {NULL};
    struct destruction_act x;
    struct privacy_settings ps;
    if (http_req_query_only(r, allowed, err) != KT_OK || act_read(r, &x, &ps, err) != KT_OK ||
        privacy_act_ready(&x, &ps, err) != KT_OK) {
        return err->rc;
    }
    http_reply_text(r, 200, "application/json", x.document, strlen(x.document));
    return KT_OK;
}

enum kt_rc api_acts_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    struct store_conn *rd;
    struct destruction_act *x;
    size_t n;
    int limit;
    const char *cursor;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 50, 500, &limit, err) != KT_OK ||
        api_cursor(r, "destruction-acts", "", &cursor, err) != KT_OK) {
        return err->rc;
    }
    if (cursor && !id_valid(cursor, "a_")) {
        return api_bad_cursor(err);
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_act_list(rd, cursor, limit, r->arena, &x, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, privacy_act_json(&x[i], r->arena));
        api_audit_note(r, "read", x[i].customer_id, AUDIT_F_ACTS);
    }
    audit_nothing_read(); /* an empty page names no one */
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o}", "items", items, "next_cursor",
                              api_next_cursor(r, "destruction-acts", "",
                                              n == (size_t)limit ? x[n - 1].id : NULL)));
    return KT_OK;
}

/* PUT /v1/destruction-acts/{id}/signature: a detached CMS (CAdES) signature of the act's document,
 * DER or PEM, checked to sign it and attached once (privacy_act_sign). */
enum kt_rc api_acts_sign(struct http_req *r, struct kt_err *err)
{
    static const char *const types[] = {"application/pkcs7-signature", "application/pkcs7-mime",
                                        "application/cms", "application/octet-stream",
                                        "application/x-pem-file"};
    const char *ct = http_req_header(r, "Content-Type");
    size_t n = ct ? strcspn(ct, "; ") : 0;
    bool known = false;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        known = known || (n == strlen(types[i]) && strncasecmp(ct, types[i], n) == 0);
    }
    if (!known) {
        return kt_err_set(err, KT_EMEDIA, "unsupported_media_type", NULL,
                          "send the signature as 'application/pkcs7-signature' (DER or PEM)");
    }
    if (r->body_len == 0) {
        return kt_err_set(err, KT_EBADREQ, "empty_body", NULL, "the body holds no signature");
    }
    if (!id_valid(r->params[0], "a_")) {
        return kt_err_set(err, KT_ENOTFOUND, "act_not_found", "id", "act not found");
    }
    struct destruction_act x;
    if (privacy_act_sign(r->app->store, r->params[0], r->body, r->body_len, r->key->id,
                         clock_now_ms(), r->arena, &x, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", x.customer_id, AUDIT_F_ACTS); /* the act, shown in the reply */
    http_reply_json(r, 200, privacy_act_json(&x, r->arena));
    return KT_OK;
}

/* GET /v1/destruction-acts/{id}/signature: the signature as it was attached. */
enum kt_rc api_acts_signature(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {NULL};
    struct store_conn *rd;
    const void *sig;
    size_t len;
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if (!id_valid(r->params[0], "a_")) {
        return kt_err_set(err, KT_ENOTFOUND, "act_not_found", "id", "act not found");
    }
    struct destruction_act x;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_act_get(rd, r->params[0], r->arena, &x, err) != KT_OK ||
        store_act_signature(rd, r->params[0], r->arena, &sig, &len, NULL, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", x.customer_id, AUDIT_F_ACTS);
    http_reply_text(r, 200, "application/pkcs7-signature", sig, len);
    return KT_OK;
}
