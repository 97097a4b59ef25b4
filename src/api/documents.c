/*
 * documents.c - /v1/consent-documents: the texts a customer consents to, each key a series of
 * published versions (docs/privacy.md). A version once published never changes: a consent event
 * names the version and its SHA-256.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"

#define DOC_BODY_MAX (256 * 1024)
#define TEXT_MAX     200

json_t *api_consent_doc_json(struct arena *a, const struct consent_doc *d, bool with_body)
{
    json_t *o = json_pack(
        "{s:s, s:I, s:s, s:s, s:s, s:s, s:b}", "name", d->key, "version", (json_int_t)d->version,
        "ref", arena_printf(a, "%s@%lld", d->key, (long long)d->version), "purpose", d->purpose,
        "title", d->title, "sha256", d->sha256, "reconsent", d->reconsent);
    json_object_set_new(o, "term_days", d->term_days ? json_integer(d->term_days) : json_null());
    json_object_set_new(o, "published_at", json_string(api_time(a, d->published_at)));
    if (with_body) {
        json_object_set_new(o, "body", json_string(d->body));
    }
    return o;
}

enum kt_rc api_documents_put(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"purpose", "title", "body", "term_days", "reconsent", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct consent_doc d;
    memset(&d, 0, sizeof(d));
    struct store_conn *w;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK) {
        return err->rc;
    }
    d.key = r->params[0];
    if (!consent_key_valid(d.key)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "name",
                          "a document's name is 1-40 of a-z, 0-9, '_' and '-'");
    }
    int64_t term = 0;
    if (jsonx_enum(body, "", "purpose", consent_purposes, JSONX_REQUIRED, &d.purpose, err) !=
            KT_OK ||
        jsonx_str(body, "", "title", TEXT_MAX, JSONX_REQUIRED, r->arena, &d.title, err) != KT_OK ||
        jsonx_str(body, "", "body", DOC_BODY_MAX, JSONX_REQUIRED, r->arena, &d.body, err) !=
            KT_OK ||
        jsonx_int(body, "", "term_days", 1, 36500, 0, &term, err) != KT_OK ||
        jsonx_bool(body, "", "reconsent", 0, &d.reconsent, err) != KT_OK) {
        return err->rc;
    }
    d.term_days = term;
    int64_t now = clock_now_ms();
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = consent_doc_publish(w, &d, now, r->arena, err);
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "document", NULL, NULL,
                         arena_printf(r->arena, "publish %s@%lld", d.key, (long long)d.version),
                         r->rid, now, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    /* 201 for a new document, 200 for the next version of one (the document is replaced). */
    http_reply_json(r, d.version == 1 ? 201 : 200, api_consent_doc_json(r->arena, &d, false));
    return KT_OK;
}

enum kt_rc api_documents_list(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct consent_doc *d;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK || store_doc_list(rd, r->arena, &d, &n, err)) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, api_consent_doc_json(r->arena, &d[i], false));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}

enum kt_rc api_documents_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct consent_doc d;
    int64_t version;
    if (api_version_query(r, &version, err) != KT_OK) {
        return err->rc;
    }
    if (!consent_key_valid(r->params[0])) {
        return kt_err_set(err, KT_ENOTFOUND, "document_not_found", "name", "document not found");
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_doc_get(rd, r->params[0], version, r->arena, &d, NULL, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, api_consent_doc_json(r->arena, &d, true));
    return KT_OK;
}
