/*
 * loyalty.c - /v1/loyalty/program: the programme's rules, read and published (docs/loyalty.md).
 */
#include "api/api.h"
#include "base/clock.h"
#include "consent/consent.h"
#include "loyalty/program.h"

static json_t *program_json(struct arena *a, const struct loyalty_rules *r, int64_t at)
{
    json_t *o =
        json_pack("{s:I, s:o}", "version", (json_int_t)r->version, "rules", loyalty_rules_json(r));
    json_object_set_new(o, "published_at", at ? json_string(api_time(a, at)) : json_null());
    return o;
}

void api_loyalty_program_get(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *rd;
    struct loyalty_rules rules;
    int64_t at = 0;
    if (http_req_reader(r, &rd, &err) != KT_OK ||
        loyalty_program_get(rd, r->arena, &rules, &at, &err) != KT_OK) {
        http_reply_error(r, &err);
        return;
    }
    http_reply_json(r, 200, program_json(r->arena, &rules, at));
}

void api_loyalty_program_put(struct http_req *r)
{
    struct kt_err err;
    kt_err_reset(&err);
    json_t *body = api_own(r->arena, http_req_json(r, &err));
    struct store_conn *w;
    struct loyalty_rules rules;
    int64_t now = clock_now_ms();
    if (body == NULL || store_write_begin(r->app->store, &w, &err) != KT_OK) {
        http_reply_error(r, &err);
        return;
    }
    enum kt_rc rc = loyalty_program_publish(w, body, r->key->id, now, r->arena, &rules, &err);
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "program", NULL, NULL,
                         arena_printf(r->arena, "publish version %lld", (long long)rules.version),
                         r->rid, now, &err);
    }
    if (store_write_end(w, rc, &err) != KT_OK) {
        http_reply_error(r, &err);
        return;
    }
    http_reply_json(r, 200, program_json(r->arena, &rules, now));
}
