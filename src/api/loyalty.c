/*
 * loyalty.c - /v1/loyalty/program (the programme's rules, read and published) and
 * /v1/customers/{id}/points (balance, history, manual adjustments). docs/loyalty.md.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"
#include "loyalty/ledger.h"
#include "loyalty/program.h"
#include "sched/sched.h"

static json_t *program_json(struct arena *a, const struct loyalty_rules *r, int64_t at)
{
    json_t *o =
        json_pack("{s:I, s:o}", "version", (json_int_t)r->version, "rules", loyalty_rules_json(r));
    json_object_set_new(o, "published_at", at ? json_string(api_time(a, at)) : json_null());
    json_object_set_new(o, "started_at",
                        r->started_at ? json_string(api_time(a, r->started_at)) : json_null());
    return o;
}

enum kt_rc api_loyalty_program_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct loyalty_rules rules;
    int64_t at = 0;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        loyalty_program_get(rd, r->arena, &rules, &at, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, program_json(r->arena, &rules, at));
    return KT_OK;
}

enum kt_rc api_loyalty_program_put(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct loyalty_rules rules;
    int64_t now = clock_now_ms();
    if (body == NULL || loyalty_program_set(r->app->store, body, r->key->id, r->rid, NULL, now,
                                            r->arena, &rules, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, program_json(r->arena, &rules, now));
    return KT_OK;
}

/* ---- /v1/customers/{id}/points ------------------------------------------------------------- */

enum kt_rc api_points_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    struct ledger_entry *e;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        store_ledger_list(rd, cu.ck, r->arena, &e, &n, err) != KT_OK) {
        return err->rc;
    }
    struct points_balance b;
    loyalty_balance(e, n, clock_now_ms(), &b);
    api_audit_note(r, "read", cu.id, AUDIT_F_POINTS);
    http_reply_json(r, 200, loyalty_balance_json(r->arena, cu.id, &b));
    return KT_OK;
}

enum kt_rc api_points_history(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    struct ledger_entry *e;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        store_ledger_list(rd, cu.ck, r->arena, &e, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = loyalty_ledger_json(r->arena, e, n);
    api_audit_note(r, "read", cu.id, AUDIT_F_POINTS);
    http_reply_json(r, 200, json_pack("{s:s, s:o}", "customer_id", cu.id, "items", items));
    return KT_OK;
}

enum kt_rc api_points_adjust(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    int64_t now = clock_now_ms();
    struct store_conn *w;
    struct customer cu;
    struct loyalty_rules rules;
    struct points_balance after;
    int64_t at;
    if (body == NULL) {
        return err->rc;
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "points") != 0 && strcmp(key, "reason") != 0) {
            return kt_err_set(err, KT_EINVAL, "unknown_field", arena_strdup(r->arena, key),
                              "unknown field '%s'", key);
        }
    }
    int64_t points;
    const char *reason;
    if (jsonx_int(body, "", "points", -10000000, 10000000, JSONX_REQUIRED, &points, err) != KT_OK ||
        jsonx_str(body, "", "reason", 500, JSONX_REQUIRED, r->arena, &reason, err) != KT_OK) {
        return err->rc;
    }
    if (points == 0) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "points",
                          "an adjustment is not zero points");
    }
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = api_path_customer(r, w, &cu, err);
    if (rc == KT_OK) {
        rc = ident_live(&cu, "id", NULL, err);
    }
    if (rc == KT_OK) {
        rc = loyalty_program_get(w, r->arena, &rules, &at, err);
    }
    if (rc == KT_OK) {
        rc = loyalty_adjust(w, cu.ck, points, reason, &rules, r->key->id, r->rid, now, r->arena,
                            &after, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "points", cu.id, NULL,
                         arena_printf(r->arena, "adjust %+lld", (long long)points), r->rid, now,
                         err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, loyalty_balance_json(r->arena, cu.id, &after));
    return KT_OK;
}

/* POST /v1/loyalty/run-due: the due work now - every job the scheduler's table runs on demand
 * (sched/jobs.c: erasures due, retention, points past their expiry, birthday bonuses, old event
 * ids, import reject lines), run by the scheduler's runner, which runs them every minute anyway. */
enum kt_rc api_loyalty_run_due(struct http_req *r, struct kt_err *err)
{
    int64_t now = clock_now_ms();
    struct sched_report rep;
    if (sched_run_now(r->app->sched, now, &rep, err) != KT_OK) {
        return err->rc;
    }
    json_t *o = sched_report_json(&rep);
    json_object_set_new(o, "at", json_string(api_time(r->arena, now)));
    http_reply_json(r, 200, o);
    return KT_OK;
}
