/*
 * clean.c - "what would Kartoteka make of this value": POST /v1/clean for forms (a QR form can
 * check a phone before the customer presses send). The description of a value is clean/'s
 * (clean/describe.c), which `kartoteka clean` prints too. Nothing is stored.
 */

#include "api/api.h"
#include "base/clock.h"
#include "clean/describe.h"

enum kt_rc api_clean(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL) {
        return err->rc;
    }
    json_t *results = json_object();
    const char *key;
    json_t *v;
    int64_t now = clock_now_ms();
    json_object_foreach(body, key, v)
    {
        if (!clean_kind_valid(key)) {
            kt_err_set(err, KT_EINVAL, "unknown_field", arena_strdup(r->arena, key),
                       "unknown field '%s'", key);
        } else if (!json_is_string(v)) {
            kt_err_set(err, KT_EINVAL, "wrong_type", arena_strdup(r->arena, key),
                       "'%s' must be a string", key);
        } else if (json_string_length(v) > 4096) {
            kt_err_set(err, KT_EINVAL, "too_long", arena_strdup(r->arena, key),
                       "'%s' is longer than 4096 bytes", key);
        }
        if (err->rc != KT_OK) {
            json_decref(results);
            return err->rc;
        }
        json_object_set_new(
            results, key,
            clean_describe(key, json_string_value(v), json_string_length(v), now, r->arena));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "results", results));
    return KT_OK;
}
