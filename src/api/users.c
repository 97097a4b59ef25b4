/*
 * users.c - the console's users for the settings screen (docs/console.md, "People and sessions"):
 * GET /v1/users, POST /v1/users, PATCH /v1/users/{id}; admin only. The replies name staff by
 * e-mail (kept sealed at rest, auth/users.h); every change is written to the audit log in its
 * transaction (action "user", the e-mail never).
 */
#include <string.h>

#include "api/api.h"
#include "auth/users.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"

/* `stores` of a body: a JSON array of store codes as the JSON text a user keeps (keys.h's rules),
 * or NULL when absent or null. */
static enum kt_rc stores_of(struct http_req *r, const json_t *v, const char **out,
                            struct kt_err *err)
{
    *out = NULL;
    if (v == NULL || json_is_null(v)) { /* absent or null: not limited */
        return KT_OK;
    }
    if (!json_is_array(v) || json_array_size(v) == 0) {
        return kt_err_set(err, KT_EINVAL, "bad_stores", "stores",
                          "stores must be a list of store codes, or null");
    }
    struct buf list;
    buf_init(&list, 0);
    size_t i;
    json_t *code;
    bool ok = true;
    json_array_foreach(v, i, code)
    {
        const char *c = json_string_value(code);
        ok = ok && c != NULL && strchr(c, ',') == NULL;
        buf_printf(&list, "%s%s", i > 0 ? "," : "", c != NULL ? c : "");
    }
    enum kt_rc rc = ok ? keys_stores_parse(buf_cstr(&list), r->arena, out, err)
                       : kt_err_set(err, KT_EINVAL, "bad_stores", "stores",
                                    "stores must be a list of store codes, or null");
    buf_release(&list);
    return rc;
}

/* A change in one transaction, audited: create (`id` NULL) or change of user `id`. */
static enum kt_rc users_write(struct http_req *r, const char *id, const struct user_new *in,
                              const struct user_change *ch, struct user *u, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(r->app->store, &w, err);
    if (rc == KT_OK) {
        rc = id == NULL ? users_create(w, &r->app->secret, in, now, r->arena, u, err)
                        : users_change(w, &r->app->secret, id, ch, now, r->arena, u, err);
        if (rc == KT_OK) {
            rc = audit_write(w, r->key->id, "user", NULL, NULL,
                             users_audit_detail(id == NULL ? "create" : "change", u, r->arena),
                             r->rid, now, err);
        }
        rc = store_write_end(w, rc, err);
    }
    return rc;
}

/* Paged in creation order; the position is the last user's id (users are few: the page is cut
 * from the whole list). */
enum kt_rc api_users_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    struct store_conn *rd;
    struct user *us;
    size_t n, from = 0;
    int limit;
    const char *pos = NULL;
    if (http_req_query_only(r, allowed, err) != KT_OK || api_limit(r, 100, 1000, &limit, err) ||
        api_cursor(r, "users", "", &pos, err) != KT_OK || http_req_reader(r, &rd, err) != KT_OK ||
        users_list(rd, &r->app->secret, r->arena, &us, &n, err) != KT_OK) {
        return err->rc;
    }
    while (pos != NULL && from < n && strcmp(us[from++].row.id, pos) != 0) {
    }
    json_t *items = json_array();
    size_t i = from;
    for (; i < n && i < from + (size_t)limit; i++) {
        json_array_append_new(items, api_user_json(&us[i]));
    }
    const char *next = i < n ? us[i - 1].row.id : NULL;
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o}", "items", items, "next_cursor",
                              api_next_cursor(r, "users", "", next)));
    return KT_OK;
}

enum kt_rc api_users_create(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"email", "role", "stores", "password", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct user_new in = {NULL, NULL, NULL, NULL};
    char made[USER_PASSWORD_GEN + 1] = "";
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "email", 320, JSONX_REQUIRED, r->arena, &in.email, err) != KT_OK ||
        jsonx_str(body, "", "role", 32, JSONX_REQUIRED, r->arena, &in.role, err) != KT_OK ||
        jsonx_str(body, "", "password", USER_PASSWORD_MAX, 0, r->arena, &in.password, err) !=
            KT_OK ||
        stores_of(r, json_object_get(body, "stores"), &in.stores, err) != KT_OK) {
        return err->rc;
    }
    if (in.password == NULL) { /* made here, shown once in the reply */
        users_password_new(made);
        in.password = made;
    }
    struct user u;
    if (users_write(r, NULL, &in, NULL, &u, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 201,
                    json_pack("{s:o, s:o}", "user", api_user_json(&u), "password",
                              made[0] != '\0' ? json_string(made) : json_null()));
    return KT_OK;
}

enum kt_rc api_users_patch(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"role", "stores", "disabled", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct user_change ch = {NULL, NULL, false, -1, NULL, false};
    bool disabled = false;
    json_t *d = body != NULL ? json_object_get(body, "disabled") : NULL;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "role", 32, 0, r->arena, &ch.role, err) != KT_OK ||
        jsonx_bool(body, "", "disabled", 0, &disabled, err) != KT_OK) {
        return err->rc;
    }
    if (d != NULL && !json_is_null(d)) {
        ch.disabled = disabled ? 1 : 0;
    }
    json_t *st = json_object_get(body, "stores");
    ch.stores_set = st != NULL;
    if (ch.stores_set && stores_of(r, st, &ch.stores, err) != KT_OK) {
        return err->rc;
    }
    struct user u;
    if (users_write(r, r->params[0], NULL, &ch, &u, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, api_user_json(&u));
    return KT_OK;
}
