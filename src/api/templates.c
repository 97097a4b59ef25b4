/*
 * templates.c - /v1/templates: stored message templates, each name a series of versions
 * (docs/messages.md, "Templates"). PUT compiles every part before it stores anything: a part that
 * does not compile is a 422 whose error says the part (`field`), the line and the column. Names no
 * customer's context holds are warned (`unknown_variables`), not refused. The preview renders a
 * version for a real customer and is audited as a read of their data; nothing is sent.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/id.h"
#include "consent/consent.h"
#include "deliver/sms.h"
#include "deliver/template_store.h"
#include "identity/identity.h"

/* A refused part: the reply's error says where, as a segment's syntax_error does. */
static enum kt_rc compile_error(struct http_req *r, const struct kt_err *err,
                                const struct template_pos *pos)
{
    if (pos->line > 0) {
        http_error_more(
            r, json_pack("{s:{s:i, s:i}}", "error", "line", pos->line, "column", pos->column));
    }
    return err->rc;
}

enum kt_rc api_templates_put(struct http_req *r, struct kt_err *err)
{
    struct msg_tpl t;
    struct template_pos pos;
    struct store_conn *w;
    bool added = false;
    json_t *unknown = NULL;
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL) {
        return err->rc;
    }
    if (msg_tpl_decode(r->params[0], body, r->arena, &t, &pos, err) != KT_OK) {
        return compile_error(r, err, &pos);
    }
    t.row.created_at = clock_now_ms();
    t.row.key_id = r->key->id;
    enum kt_rc rc = store_write_begin(r->app->store, &w, err);
    if (rc == KT_OK) {
        rc = msg_tpl_save(w, &t.row, r->arena, &added, err);
        if (rc == KT_OK) {
            rc = msg_tpl_unknown_vars(w, &t, r->arena, &unknown, err);
        }
        rc = store_write_end(w, rc, err);
    }
    msg_tpl_release(&t);
    if (rc != KT_OK) {
        json_decref(unknown);
        return err->rc;
    }
    json_t *o = msg_template_json(r->arena, &t.row, true);
    json_object_set_new(o, "unknown_variables", unknown);
    /* 201 for a new template; 200 for its next version and for the same body again. */
    http_reply_json(r, added && t.row.version == 1 ? 201 : 200, o);
    return KT_OK;
}

enum kt_rc api_templates_list(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct msg_template *t;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_template_list(rd, r->arena, &t, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, msg_template_json(r->arena, &t[i], false));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}

/* The version the path and ?version= name (the latest without it). */
static enum kt_rc find(struct http_req *r, struct store_conn *rd, int64_t version,
                       struct msg_template *out, struct kt_err *err)
{
    if (!msg_tpl_name_valid(r->params[0])) {
        return kt_err_set(err, KT_ENOTFOUND, "template_not_found", "name", "template not found");
    }
    return store_template_get(rd, r->params[0], version, r->arena, out, NULL, err);
}

enum kt_rc api_templates_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct msg_template t;
    int64_t version;
    if (api_version_query(r, &version, err) != KT_OK) {
        return err->rc;
    }
    if (http_req_reader(r, &rd, err) != KT_OK || find(r, rd, version, &t, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, msg_template_json(r->arena, &t, true));
    return KT_OK;
}

/* The customer the body names (422 when nobody is: the reference is wrong, not the path). */
static enum kt_rc body_customer(struct http_req *r, struct store_conn *rd, const char *id,
                                struct customer *cu, struct kt_err *err)
{
    bool found = false;
    if (store_customer_get_by_id(rd, id, r->arena, cu, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) {
        return kt_err_set(err, KT_EINVAL, "customer_not_found", "customer_id",
                          "customer not found");
    }
    if (ident_live(cu, "customer_id", "a template renders only for a live customer", err) !=
            KT_OK ||
        api_unblocked_for(r, rd, cu, "customer_id", err) != KT_OK) {
        return err->rc;
    }
    return KT_OK;
}

/* Renders template `t` (compiled) for the body's customer into *out; without `customer_id`
 * (allowed when `optional`) against the body's context alone, and nobody's data is read. */
static enum kt_rc render_for(struct http_req *r, struct store_conn *rd, const json_t *body,
                             const struct msg_tpl *t, bool optional, json_t **out,
                             struct kt_err *err)
{
    const char *id = NULL;
    const json_t *context = NULL;
    struct customer cu;
    json_t *ctx = NULL;
    if (jsonx_str(body, "", "customer_id", 64, optional ? 0 : JSONX_REQUIRED, r->arena, &id, err) !=
            KT_OK ||
        jsonx_object(body, "", "context", NULL, 0, r->arena, &context, err) != KT_OK ||
        (id != NULL && body_customer(r, rd, id, &cu, err) != KT_OK)) {
        return err->rc;
    }
    if (id == NULL) {
        audit_nothing_read();
        ctx = json_pack("{s:o}", "context", context ? json_deep_copy(context) : json_object());
    } else {
        api_audit_note(r, "read", cu.id,
                       api_audit_fields(&cu) | AUDIT_F_ATTRIBUTES | AUDIT_F_POINTS |
                           AUDIT_F_TRAITS);
        struct msg_links links;
        if (api_msg_links(r, rd, &links, err) != KT_OK ||
            msg_context_json(rd, &cu, context, &links, clock_now_ms(), r->arena, &ctx, err) !=
                KT_OK) {
            return err->rc;
        }
    }
    enum kt_rc rc = msg_tpl_render_json(t, ctx, r->arena, out, err);
    json_decref(ctx);
    if (rc == KT_OK && id != NULL) {
        json_object_set_new(*out, "customer_id", json_string(cu.id));
    }
    return rc;
}

/* The version the body's `version` names (the latest without it), compiled into *t. */
static enum kt_rc body_template(struct http_req *r, struct store_conn *rd, const json_t *body,
                                struct msg_tpl *t, struct kt_err *err)
{
    int64_t version = 0;
    struct msg_template row;
    if (jsonx_int(body, "", "version", 1, INT32_MAX, 0, &version, err) != KT_OK ||
        find(r, rd, version, &row, err) != KT_OK) {
        return err->rc;
    }
    return msg_tpl_compile(&row, t, err);
}

/* With `topic`, the preview is a marketing SMS's: its text as it goes, signed and with the
 * customer's opt-out link (docs/messages.md, "SMS"), and that text counted in `sms`. */
static enum kt_rc as_marketing(struct http_req *r, struct store_conn *rd, const json_t *body,
                               const struct msg_tpl *t, json_t *out, struct kt_err *err)
{
    const char *topic = NULL, *unsub = NULL;
    json_t *parts = json_object_get(out, "parts");
    const char *cid = json_string_value(json_object_get(out, "customer_id"));
    if (jsonx_str(body, "", "topic", 64, 0, r->arena, &topic, err) != KT_OK || topic == NULL) {
        return err->rc;
    }
    if (strcmp(t->row.channel, "sms") != 0 || cid == NULL) {
        return kt_err_set(err, KT_EINVAL, cid ? "invalid_value" : "missing_field",
                          cid ? "topic" : "customer_id",
                          "a topic previews a marketing SMS to a customer: an sms template and "
                          "a customer_id");
    }
    if (deliver_optout_url(rd, &r->app->secret, "sms", r->app->sms_sender, cid, topic, r->arena,
                           &unsub, err) != KT_OK) {
        return err->rc;
    }
    const char *text = sms_marketing_text(json_string_value(json_object_get(parts, "text")),
                                          r->app->sms_sender, unsub, r->arena);
    json_object_set_new(parts, "text", json_string(text));
    json_object_set_new(out, "sms", msg_sms_json(text));
    return KT_OK;
}

enum kt_rc api_templates_preview(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"customer_id", "context", "version", "topic", NULL};
    struct store_conn *rd;
    struct msg_tpl t = {0};
    json_t *out = NULL;
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK || body_template(r, rd, body, &t, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = render_for(r, rd, body, &t, false, &out, err);
    rc = rc == KT_OK ? as_marketing(r, rd, body, &t, out, err) : rc;
    if (rc == KT_OK) {
        json_object_set_new(out, "name", json_string(t.row.name));
        json_object_set_new(out, "version", json_integer(t.row.version));
        json_object_set_new(out, "channel", json_string(t.row.channel));
        http_reply_json(r, 200, out);
    } else {
        json_decref(out);
    }
    msg_tpl_release(&t);
    return rc;
}

enum kt_rc api_templates_test(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"to", "customer_id", "context", "version", NULL};
    struct store_conn *rd;
    struct msg_tpl t = {0};
    json_t *out = NULL;
    const char *to;
    char id[ID_MAX];
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "to", 320, JSONX_REQUIRED, r->arena, &to, err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK || body_template(r, rd, body, &t, err) != KT_OK) {
        return err->rc;
    }
    struct deliver_result res;
    id_new(id, sizeof(id), "test_");
    struct msg_test m = {id, to, &r->app->smtp, r->app->push_url, r->app->webhook_secret};
    /* Refused before the customer's data are read. */
    enum kt_rc rc = msg_tpl_test_check(&t, &m, err);
    if (rc == KT_OK) {
        rc = render_for(r, rd, body, &t, true, &out, err);
    }
    http_req_reader_end(r);
    if (rc == KT_OK) {
        rc = msg_tpl_test_send(&t, json_object_get(out, "parts"), &m, clock_now_ms(), &res, err);
    }
    msg_tpl_release(&t);
    json_decref(out);
    if (rc != KT_OK) {
        return rc;
    }
    json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "id", id, "status", deliver_class_name(res.cls),
                          "code", res.code, "reason", res.text);
    http_reply_json(r, 200, o);
    return KT_OK;
}
