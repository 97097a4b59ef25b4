/*
 * view.c - a customer and its history as every document shows them: the API's replies, the
 * export of everything held (152-FZ art. 14), the console. The writer of the data is this module,
 * so it knows their forms (identifiers matched by key but shown as entered, history values).
 */
#include <string.h>

#include "base/clock.h"
#include "clean/clean.h"
#include "identity/identity.h"

static json_t *ident_json(struct arena *a, const struct ident *id)
{
    json_t *o = json_object();
    if (strncmp(id->kind, "ext:", 4) == 0) {
        json_object_set_new(o, "kind", json_string("external"));
        json_object_set_new(o, "system", json_string(id->kind + 4));
    } else {
        json_object_set_new(o, "kind", json_string(id->kind));
    }
    /* E-mails are matched by their IDNA key but shown as the profile shows them. */
    json_object_set_new(o, "value",
                        json_string(strcmp(id->kind, "email") == 0
                                        ? clean_email_display(id->value, a)
                                        : id->value));
    json_object_set_new(o, "verified", json_boolean(id->verified));
    json_object_set_new(o, "added_at", json_string(time_rfc3339(a, id->created_at)));
    json_object_set_new(o, "channel", json_string(id->channel));
    return o;
}

json_t *ident_customer_json(struct store_conn *c, const struct customer *cu, struct arena *a,
                            struct kt_err *err)
{
    struct ident *ids = NULL;
    size_t n_ids = 0;
    const char **merged = NULL;
    size_t n_merged = 0;
    if (store_ident_list(c, cu->ck, a, &ids, &n_ids, err) != KT_OK ||
        store_customer_merged_from(c, cu->ck, a, &merged, &n_merged, err) != KT_OK) {
        return NULL;
    }
    static const char *const qnames[] = {"ok", "corrected", "suspicious", "ok"};
    json_t *profile = json_object(), *verified = json_array(), *idents = json_array();
    json_t *quality = json_object();
    for (int f = 0; f < PF_COUNT; f++) {
        if (cu->val[f] != NULL) {
            json_object_set_new(profile, pf_names[f], json_string(cu->val[f]));
            json_object_set_new(quality, pf_names[f],
                                json_string(qnames[quality_get(cu->quality, f)]));
            if (cu->verified & (1u << f)) {
                json_array_append_new(verified, json_string(pf_names[f]));
            }
        }
    }
    for (size_t i = 0; i < n_ids; i++) {
        json_array_append_new(idents, ident_json(a, &ids[i]));
    }
    json_t *attrs = json_loads(cu->attrs ? cu->attrs : "{}", 0, NULL);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id", cu->id, "created_at",
                  time_rfc3339(a, cu->created_at), "updated_at", time_rfc3339(a, cu->updated_at),
                  "profile", profile, "quality", quality, "verified", verified, "attributes",
                  attrs ? attrs : json_object(), "identifiers", idents);
    if (cu->gender_inferred && cu->val[PF_GENDER] != NULL) {
        json_object_set_new(o, "gender_inferred", json_true());
    }
    if (cu->erased_at != 0) {
        json_object_set_new(o, "erased_at", json_string(time_rfc3339(a, cu->erased_at)));
    }
    if (n_merged > 0) {
        json_t *m = json_array();
        for (size_t i = 0; i < n_merged; i++) {
            json_array_append_new(m, json_string(merged[i]));
        }
        json_object_set_new(o, "merged_from", m);
    }
    return o;
}

json_t *ident_history_json(struct arena *a, const struct history_entry *h)
{
    json_t *src = json_pack("{s:s}", "channel", h->channel);
    if (h->store_id) {
        json_object_set_new(src, "store", json_string(h->store_id));
    }
    if (h->operator_id) {
        json_object_set_new(src, "operator", json_string(h->operator_id));
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "at", time_rfc3339(a, h->at), "field", h->field,
                          "action", h->action, "source", src);
    json_object_set_new(o, "old_value", ident_history_value(h, h->old_value, a));
    json_object_set_new(o, "new_value", ident_history_value(h, h->new_value, a));
    if (h->request_id) {
        json_object_set_new(o, "request_id", json_string(h->request_id));
    }
    if (h->reason) {
        json_object_set_new(o, "reason", json_string(h->reason));
    }
    return o;
}
