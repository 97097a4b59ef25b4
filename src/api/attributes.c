/*
 * attributes.c - /v1/attributes: the questionnaire fields a retailer declares.
 *
 * PUT creates or changes a declaration. A change that could make stored values invalid (another
 * type, fewer allowed values) is refused with 409 while any customer holds a value; adding
 * allowed values or editing the title is always fine. Declarations are readable by every key
 * scope, because a web form needs them to draw itself; they hold no personal data.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "identity/attrs.h"

static bool same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_def(const struct attr_def *a, const struct attr_def *b)
{
    return same_text(a->type, b->type) && same_text(a->items, b->items) &&
           same_text(a->values, b->values) && same_text(a->title, b->title) &&
           same_text(a->description, b->description);
}

/* Decides and writes inside the transaction; *status is 200 or 201. */
static enum kt_rc put_def(struct store_conn *w, struct attr_def *def, int64_t now, int *status,
                          struct arena *a, struct kt_err *err)
{
    struct attr_def old;
    bool found;
    enum kt_rc rc = store_attr_get(w, def->name, a, &old, &found, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!found) {
        def->created_at = def->updated_at = now;
        *status = 201;
        return store_attr_put(w, def, err);
    }
    *status = 200;
    def->created_at = old.created_at;
    if (same_def(&old, def)) {
        def->updated_at = old.updated_at;
        return KT_OK;
    }
    if (attr_def_narrows(&old, def)) {
        bool used = false;
        rc = store_attr_in_use(w, def->name, &used, err);
        if (rc == KT_OK && used) {
            return kt_err_set(err, KT_ECONFLICT, "attribute_in_use", "type",
                              "customers hold values of '%s'; its type cannot change and allowed "
                              "values cannot be removed",
                              def->name);
        }
    }
    def->updated_at = now > old.updated_at ? now : old.updated_at + 1;
    return rc == KT_OK ? store_attr_put(w, def, err) : rc;
}

enum kt_rc api_attributes_put(struct http_req *r, struct kt_err *err)
{
    struct attr_def def;
    struct store_conn *w;
    int status = 0;
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL || attr_def_decode(r->params[0], body, r->arena, &def, err) != KT_OK ||
        store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = put_def(w, &def, clock_now_ms(), &status, r->arena, err);
    if ((rc = store_write_end(w, rc, err)) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, status, attr_def_json(&def));
    return KT_OK;
}

enum kt_rc api_attributes_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct attr_def def;
    if (!attr_name_valid(r->params[0])) {
        return kt_err_set(err, KT_ENOTFOUND, "attribute_not_found", "name", "attribute not found");
    }
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_attr_get(rd, r->params[0], r->arena, &def, NULL, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, attr_def_json(&def));
    return KT_OK;
}

enum kt_rc api_attributes_list(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct attr_def *defs;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_attr_list(rd, r->arena, &defs, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, attr_def_json(&defs[i]));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}
