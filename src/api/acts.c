/*
 * acts.c - /v1/destruction-acts: the acts of destruction the erasures wrote, as JSON or as the
 * printable document (?format=text) a data-protection officer files.
 */
#include <string.h>

#include "api/api.h"
#include "base/buf.h"
#include "base/id.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

enum kt_rc api_acts_get(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"format", NULL};
    struct store_conn *rd;
    struct destruction_act x;
    const char *fmt = http_req_query(r, "format");
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "format", "format is json or text");
    }
    if (!id_valid(r->params[0], "a_")) {
        return kt_err_set(err, KT_ENOTFOUND, "act_not_found", "id", "act not found");
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_act_get(rd, r->params[0], r->arena, &x, err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", x.customer_id, AUDIT_F_ACTS);
    if (fmt && strcmp(fmt, "text") == 0) {
        struct buf b;
        buf_init(&b, 4096);
        privacy_act_text(&b, &x, r->arena);
        http_reply_text(r, 200, "text/plain; charset=utf-8", buf_cstr(&b), b.len);
        buf_release(&b);
    } else {
        http_reply_json(r, 200, api_act_json(r->arena, &x));
    }
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
        json_array_append_new(items, api_act_json(r->arena, &x[i]));
        api_audit_note(r, "read", x[i].customer_id, AUDIT_F_ACTS);
    }
    audit_nothing_read(); /* an empty page names no one */
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o}", "items", items, "next_cursor",
                              api_next_cursor(r, "destruction-acts", "",
                                              n == (size_t)limit ? x[n - 1].id : NULL)));
    return KT_OK;
}
